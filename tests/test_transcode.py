"""framecodec.transcode (issue 17), tested from its specification: every source syntax framecodec reads into every
target, the output decoded with pydicom's own decoders (or zlib and numpy where pydicom 3.0 has none) equal to the
input decoded the same way; the attributes; the progress callback; the refusals and failures, which leave no
output; and the peak memory of a 10,000-frame transcode in a child process, against a control that shows the bound
can fail.

Inputs are made with pydicom, zlib, numpy and Pillow (tests/datasets.py, tests/writer_util.py), never framecodec.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array as pydicom_pixel_array
from pydicom.uid import UID

import framecodec as fc
from conftest import NO_LIBDEFLATE
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    RLE,
    Layout,
    assert_identical,
    base_dataset,
    dataset,
    encode_frames,
    frame_bytes,
    make_pixels,
    native_dataset,
    save,
    stored_values,
)
from framecodec._transcode import BATCH_BYTES
from writer_util import (
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    TARGETS,
    check_offset_tables,
    jpeg_tiles,
    listing,
    number_of_frames,
    own_decode,
    pad,
    walk_items,
)

LAYOUTS = {
    "grey8": Layout(7, 5, frames=5),  # odd frame sizes: odd fragments
    "int16-stored12": Layout(9, 7, bits=16, stored=12, signed=True, frames=4),
    "uint16-single": Layout(5, 3, bits=16),  # no Number of Frames
    "rgb8": Layout(5, 7, samples=3, frames=3),
    "ybr-full": Layout(6, 5, samples=3, photometric="YBR_FULL", frames=2),  # kept as YBR_FULL
    "bits1": Layout(9, 7, bits=1, frames=6),
    "uint32": Layout(3, 5, bits=32, frames=2),
}
#: Native colour with Planar Configuration 1: the output is interleaved (Planar Configuration 0).
PLANAR = Layout(5, 7, samples=3, planar=1, frames=3)
SOURCE_SYNTAXES = {
    "explicit": EXPLICIT,
    "implicit": IMPLICIT,
    "big-endian": BIG_ENDIAN,
    "encapsulated-uncompressed": ENCAPSULATED_UNCOMPRESSED,
    "deflate": DEFLATE,
    "rle": RLE,
}


@dataclass
class Source:
    path: Path
    photometric: str  # the output's Photometric Interpretation
    expected: npt.NDArray[Any]  # what the output must decode to (raw: YBR_FULL kept)
    near: npt.NDArray[Any] | None = None  # JPEG colour: pydicom's own YCbCr to RGB, within 1 of ``expected``


def make_framecodec_syntax(folder: Path, layout: Layout, ts: str, name: str) -> Source:
    arr = make_pixels(layout, seed=len(name))
    ds = dataset(arr, layout, ts)
    ds.PatientName = "Test^Transcode"
    path = Path(save(ds, folder / f"{name}.dcm"))
    expected = own_decode(path, raw=True)
    np.testing.assert_array_equal(expected, arr)  # the reference reads the input as it was made
    # pydicom gives big endian data as big endian values; the outputs are little endian
    return Source(path, layout.pi, expected.astype(expected.dtype.newbyteorder("<")))


def make_jpeg(folder: Path, name: str) -> Source:
    """JPEG Baseline tiles made by Pillow: grey, 4:2:2 (YBR_FULL_422), 4:4:4 (YBR_FULL). The output holds RGB as
    pydicom's Dataset.decompress gives it with framecodec's plugin (libjpeg-turbo's conversion): Pillow's YCbCr
    converted by libjpeg-turbo's formula (tests/jpeg_family_util.py), within 1 of pydicom 3.0's own numpy one."""
    pytest.importorskip("PIL", reason="Pillow makes the JPEG tiles")
    from jpeg_family_util import pydicom_reference

    kind = name.removeprefix("jpeg-")
    pi, subsampling, samples = {
        "grey": ("MONOCHROME2", 0, 1),
        "ybr422": ("YBR_FULL_422", 1, 3),
        "ybr444": ("YBR_FULL", 0, 3),
    }[kind]
    layout = Layout(37, 35, samples=samples, frames=3, photometric=pi)
    frames = make_pixels(layout, seed=21).reshape((3,) + layout.frame_shape)
    ds = base_dataset(layout, JPEG_BASELINE)
    ds.PatientName = "Test^Transcode"
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate(jpeg_tiles(frames, subsampling))
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    path = Path(save(ds, folder / f"{name}.dcm"))
    expected = pydicom_reference(path, JPEG_BASELINE, raw=False, plugin="pillow")
    near = pydicom_pixel_array(path, decoding_plugin="pillow") if samples == 3 else None
    return Source(path, "RGB" if samples == 3 else "MONOCHROME2", expected, near)


def make_j2k(folder: Path, name: str) -> Source:
    """JPEG 2000 Lossless by pydicom's own encoder (pylibjpeg-openjpeg): grey 12 of 16 bits signed, RGB, and RGB
    with the reversible colour transform (YBR_RCT, written as RGB)."""
    pytest.importorskip("openjpeg", reason="pylibjpeg-openjpeg encodes and decodes the JPEG 2000 input")
    kind = name.removeprefix("j2k-")
    layout = {
        "grey16s12": Layout(37, 35, bits=16, stored=12, signed=True, frames=2),
        "rgb": Layout(37, 35, samples=3, frames=2),
        "ybr-rct": Layout(37, 35, samples=3, frames=2),
    }[kind]
    arr = make_pixels(layout, seed=23)
    ds = native_dataset(arr, layout)
    ds.PatientName = "Test^Transcode"
    if kind == "ybr-rct":
        ds.PhotometricInterpretation = "YBR_RCT"  # pydicom's encoder then applies the RCT
    ds.compress(JPEG_2000_LOSSLESS, arr, encoding_plugin="pylibjpeg")
    assert ds.PhotometricInterpretation == ("YBR_RCT" if kind == "ybr-rct" else layout.pi)
    path = Path(save(ds, folder / f"{name}.dcm"))
    expected = pydicom_pixel_array(path, decoding_plugin="pylibjpeg")
    assert_identical(expected, arr)
    return Source(path, "MONOCHROME2" if layout.samples == 1 else "RGB", expected)


def source_ids() -> list[str]:
    ids = []
    for name, layout in LAYOUTS.items():
        for label, ts in SOURCE_SYNTAXES.items():
            if ts == BIG_ENDIAN and layout.bits == 1:
                continue  # pydicom cannot write 1-bit big endian data sets the way PS3.5 packs them
            ids.append(f"{name}-{label}")
    ids += [f"rgb8-planar-{label}" for label in ("explicit", "implicit", "big-endian")]
    ids += ["jpeg-grey", "jpeg-ybr422", "jpeg-ybr444", "j2k-grey16s12", "j2k-rgb", "j2k-ybr-rct"]
    return ids


SOURCE_IDS = source_ids()


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Source]:
    folder = tmp_path_factory.mktemp("sources")
    made: dict[str, Source] = {}

    def get(sid: str) -> Source:
        if sid not in made:
            if sid.startswith("jpeg-"):
                made[sid] = make_jpeg(folder, sid)
            elif sid.startswith("j2k-"):
                made[sid] = make_j2k(folder, sid)
            elif sid.startswith("rgb8-planar-"):
                label = sid.removeprefix("rgb8-planar-")
                made[sid] = make_framecodec_syntax(folder, PLANAR, SOURCE_SYNTAXES[label], sid)
            else:
                name, label = next(
                    (n, sid[len(n) + 1 :])
                    for n in LAYOUTS
                    if sid.startswith(n + "-") and sid[len(n) + 1 :] in SOURCE_SYNTAXES
                )
                made[sid] = make_framecodec_syntax(folder, LAYOUTS[name], SOURCE_SYNTAXES[label], sid)
        return made[sid]

    return get


def check_output(dst: Path, src: Source, to: str) -> Dataset:
    """The output's attributes: transfer syntax, Photometric Interpretation, SOP Instance UID kept, Number of
    Frames, the Image Pixel module, interleaved colour; its offset table points at the real items."""
    out, inp = pydicom.dcmread(dst), pydicom.dcmread(src.path)
    assert out.file_meta.TransferSyntaxUID == TARGETS[to]
    assert out.PhotometricInterpretation == src.photometric
    assert out.SOPInstanceUID == inp.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID
    assert out.SOPClassUID == inp.SOPClassUID == out.file_meta.MediaStorageSOPClassUID
    assert number_of_frames(out) == number_of_frames(inp)
    if "NumberOfFrames" in inp:
        assert out.NumberOfFrames == inp.NumberOfFrames
    for keyword in (
        "Rows",
        "Columns",
        "SamplesPerPixel",
        "BitsAllocated",
        "BitsStored",
        "PixelRepresentation",
        "PatientName",
    ):
        assert out[keyword].value == inp[keyword].value, keyword
    if int(out.SamplesPerPixel) > 1:
        assert out.PlanarConfiguration == 0
    if to == "explicit":
        assert not out["PixelData"].is_undefined_length
    else:
        check_offset_tables(out, "extended" if "ExtendedOffsetTable" in out else "basic")
    return out


# ------------------------------------------------------------------------------------------ every pair


@pytest.mark.parametrize("to", list(TARGETS))
@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_transcode_every_pair(sid: str, to: str, sources: Callable[[str], Source], tmp_path: Path) -> None:
    src = sources(sid)
    before = src.path.read_bytes()
    dst = tmp_path / "out.dcm"
    got = fc.transcode(src.path, dst, to, threads=2)
    assert isinstance(got, Path) and got == dst
    assert src.path.read_bytes() == before  # the input is never modified
    assert listing(tmp_path) == ["out.dcm"]  # no temporary file left
    check_output(dst, src, to)
    decoded = own_decode(dst, raw=True)
    assert_identical(decoded, src.expected)
    if src.near is not None:
        assert np.abs(decoded.astype(np.int64) - src.near).max() <= 1


@pytest.mark.parametrize("to", list(TARGETS))
def test_transcode_to_a_uid_and_as_str(to: str, sources: Callable[[str], Source], tmp_path: Path) -> None:
    """``to`` as the target's UID (str or pydicom UID) gives the same file as its name; str paths work."""
    src = sources("int16-stored12-rle")
    by_name = fc.transcode(src.path, tmp_path / "name.dcm", to)
    by_uid = fc.transcode(str(src.path), str(tmp_path / "uid.dcm"), TARGETS[to])
    assert by_uid == tmp_path / "uid.dcm" and isinstance(by_uid, Path)
    fc.transcode(src.path, tmp_path / "pydicom-uid.dcm", UID(TARGETS[to]))
    assert by_name.read_bytes() == by_uid.read_bytes() == (tmp_path / "pydicom-uid.dcm").read_bytes()
    assert_identical(own_decode(by_uid), src.expected)


@pytest.mark.parametrize("level", [None, 1, 9])
def test_transcode_deflate_levels_are_pythons_zlib(level: int | None, tmp_path: Path) -> None:
    layout = LAYOUTS["int16-stored12"]
    arr = make_pixels(layout)
    src = Path(save(dataset(arr, layout, EXPLICIT), tmp_path / "in.dcm"))
    dst = fc.transcode(src, tmp_path / "out.dcm", "deflate", level=level)
    frags = walk_items(pydicom.dcmread(dst).PixelData).fragments
    native = frame_bytes(stored_values(arr, layout), layout)
    assert frags == [pad(zlib.compress(f, 6 if level is None else level, wbits=-15)) for f in native]
    if fc.codecs.libdeflate_version is None:
        pytest.skip(f"libdeflate part: {NO_LIBDEFLATE}")
    small = fc.transcode(src, tmp_path / "small.dcm", "deflate", level=12, backend="libdeflate")
    assert_identical(own_decode(small), arr)


def test_new_uid(sources: Callable[[str], Source], tmp_path: Path) -> None:
    src = sources("rgb8-explicit")
    inp = pydicom.dcmread(src.path)
    dst = fc.transcode(src.path, tmp_path / "out.dcm", "rle", new_uid=True)
    out = pydicom.dcmread(dst)
    assert out.SOPInstanceUID != inp.SOPInstanceUID
    assert out.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID and UID(out.SOPInstanceUID).is_valid
    assert_identical(own_decode(dst), src.expected)
    kept = pydicom.dcmread(fc.transcode(src.path, tmp_path / "kept.dcm", "rle", new_uid=False))
    assert kept.SOPInstanceUID == inp.SOPInstanceUID


def test_verify_false_writes_the_same_file(sources: Callable[[str], Source], tmp_path: Path) -> None:
    src = sources("bits1-deflate")
    for to in TARGETS:
        a = fc.transcode(src.path, tmp_path / f"{to}-verified.dcm", to, verify=True)
        b = fc.transcode(src.path, tmp_path / f"{to}-unverified.dcm", to, verify=False)
        assert a.read_bytes() == b.read_bytes(), to


# ------------------------------------------------------------------------------------------ progress


def check_progress(calls: list[tuple[int, int]], total: int) -> None:
    assert calls, "progress was never called"
    assert all(t == total for _, t in calls), calls
    done = [d for d, _ in calls]
    assert done[0] > 0 and all(b > a for a, b in zip(done, done[1:])), calls
    assert calls[-1] == (total, total)


def test_progress_small(sources: Callable[[str], Source], tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    fc.transcode(sources("grey8-rle").path, tmp_path / "out.dcm", "deflate", progress=lambda d, t: calls.append((d, t)))
    check_progress(calls, 5)


def test_progress_over_several_batches(tmp_path: Path) -> None:
    """128 MiB of decoded frames: several batches of "a few tens of MB", so several calls, increasing."""
    layout = Layout(512, 512, frames=512)
    ds = base_dataset(layout, EXPLICIT)
    ramp = (np.arange(512 * 512, dtype=np.uint32) // 7 % 256).astype(np.uint8).reshape(1, 512, 512)
    arr = ramp + np.arange(512, dtype=np.uint8)[:, None, None]  # frame i: the ramp shifted by i
    ds.PixelData = arr.tobytes()
    ds["PixelData"].VR = "OB"
    src = Path(save(ds, tmp_path / "in.dcm"))
    del ds
    calls: list[tuple[int, int]] = []
    dst = fc.transcode(
        src, tmp_path / "out.dcm", "encapsulated-uncompressed", progress=lambda d, t: calls.append((d, t))
    )
    check_progress(calls, 512)
    assert len(calls) >= 2, calls
    frames = walk_items(pydicom.dcmread(dst).PixelData).fragments
    assert len(frames) == 512 and frames[0] == arr[0].tobytes() and frames[-1] == arr[-1].tobytes()
    assert frames[300] == arr[300].tobytes()


# ------------------------------------------------------------------------------------------ refusals


def test_the_input_itself_is_refused(
    sources: Callable[[str], Source], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = sources("grey8-explicit")
    folder = tmp_path / "work"
    folder.mkdir()
    path = folder / "in.dcm"
    path.write_bytes(src.path.read_bytes())
    before = path.read_bytes()
    monkeypatch.chdir(folder)
    for dst in (path, str(path), folder / "." / "in.dcm", Path("in.dcm"), "in.dcm"):
        with pytest.raises(ValueError):
            fc.transcode(path, dst, "rle")
    assert path.read_bytes() == before and listing(folder) == ["in.dcm"]


def test_a_link_to_the_input_is_refused(sources: Callable[[str], Source], tmp_path: Path) -> None:
    """A symbolic or hard link to the input names the input itself: writing it would replace the input's
    contents (a hard link) or the input (the rename through a symbolic link replaces the link, which is no
    harm, but the output would still be 'the input itself')."""
    src = sources("grey8-explicit")
    path = tmp_path / "in.dcm"
    path.write_bytes(src.path.read_bytes())
    before = path.read_bytes()
    (tmp_path / "sym.dcm").symlink_to(path)
    os.link(path, tmp_path / "hard.dcm")
    for dst in (tmp_path / "sym.dcm", tmp_path / "hard.dcm"):
        with pytest.raises(ValueError):
            fc.transcode(path, dst, "rle")
        with pytest.raises(ValueError):
            fc.transcode(dst, path, "rle")
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["hard.dcm", "in.dcm", "sym.dcm"]


@pytest.mark.parametrize("to", ["jpeg", "1.2.840.10008.1.2.4.50", "", "RLE ", "1.2.840.10008.1.2"])
def test_unknown_target_is_refused(to: str, sources: Callable[[str], Source], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        fc.transcode(sources("grey8-explicit").path, tmp_path / "out.dcm", to)
    assert listing(tmp_path) == []


def test_a_missing_input_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fc.transcode(tmp_path / "missing.dcm", tmp_path / "out.dcm", "rle")
    assert listing(tmp_path) == []


# ------------------------------------------------------------------------------------------ corrupt inputs


def _corrupt(layout: Layout, ts: str, damage: Callable[[list[bytes]], list[bytes]]) -> Callable[[Path], Path]:
    """A file whose last frame's bytes are damaged (the other frames good)."""

    def make(path: Path) -> Path:
        arr = make_pixels(layout, seed=31)
        frames = encode_frames(arr, layout, ts)
        return Path(save(dataset(arr, layout, ts, frames=damage(frames)), path))

    return make


def _last(change: Callable[[bytes], bytes]) -> Callable[[list[bytes]], list[bytes]]:
    return lambda frames: frames[:-1] + [change(frames[-1])]


def _native_truncated(path: Path) -> Path:
    layout = Layout(8, 8, bits=16, frames=3)
    ds = dataset(make_pixels(layout), layout, EXPLICIT)
    ds.PixelData = ds.PixelData[:-10]  # the last frame 5 pixels short
    return Path(save(ds, path))


def _jpeg_truncated(path: Path) -> Path:
    pytest.importorskip("PIL", reason="Pillow makes the JPEG tiles")
    layout = Layout(37, 35, samples=3, frames=3, photometric="YBR_FULL_422")
    frames = make_pixels(layout, seed=5).reshape((3,) + layout.frame_shape)
    tiles = jpeg_tiles(frames, 1)
    tiles[-1] = tiles[-1][: len(tiles[-1]) // 2]  # cut in its scan
    ds = base_dataset(layout, JPEG_BASELINE)
    ds.PixelData = encapsulate(tiles)
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    return Path(save(ds, path))


GREY16 = Layout(8, 8, bits=16, frames=3)
CORRUPT: dict[str, Callable[[Path], Path]] = {
    "deflate-not-deflate": _corrupt(GREY16, DEFLATE, _last(lambda f: b"\x07\x01\x02\x03" * 5)),
    "deflate-cut-short": _corrupt(GREY16, DEFLATE, _last(lambda f: f[: len(f) // 2])),
    "deflate-too-long": _corrupt(GREY16, DEFLATE, lambda fs: fs[:-1] + [zlib.compress(b"\x00" * 200, 6, wbits=-15)]),
    "rle-bad-header": _corrupt(GREY16, RLE, _last(lambda f: b"\x10\x00\x00\x00" + f[4:])),
    "rle-cut-short": _corrupt(GREY16, RLE, _last(lambda f: f[: 64 + (len(f) - 64) // 3])),
    "encapsulated-uncompressed-short": _corrupt(GREY16, ENCAPSULATED_UNCOMPRESSED, _last(lambda f: f[:-4])),
    "native-truncated": _native_truncated,
    "jpeg-cut-short": _jpeg_truncated,
}


@pytest.mark.parametrize("existing", [False, True], ids=["no-output", "existing-output"])
@pytest.mark.parametrize("to", list(TARGETS))
@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_input_raises_and_leaves_no_output(case: str, to: str, existing: bool, tmp_path: Path) -> None:
    src = CORRUPT[case](tmp_path / "in.dcm")
    before = src.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "out.dcm"
    if existing:
        dst.write_bytes(b"an older file")
    with pytest.raises(ValueError):
        fc.transcode(src, dst, to)
    assert listing(out) == (["out.dcm"] if existing else [])  # no output, no temporary file
    if existing:
        assert dst.read_bytes() == b"an older file"
    assert src.read_bytes() == before


# ------------------------------------------------------------------------------------------ peak memory

#: 10,000 frames of 64 x 64 RGB 8-bit: 122.9 MB decoded.
RSS_FRAMES = 10_000
RSS_DECODED = RSS_FRAMES * 64 * 64 * 3
#: What a streaming transcode may add to the peak RSS: well under the decoded size (and the control's growth), room
#: for a few batches: a batch read, decoded, encoded and decoded again to verify, and the allocator's slack.
RSS_BOUND = 5 * BATCH_BYTES

CHILD = r"""
import os, sys, traceback

# Linux keeps a process's peak RSS (ru_maxrss) across exec, taken from the process it was forked from: the child of
# a big pytest process starts at pytest's peak. A fork starts from its own RSS at the fork, so the work runs in one.
pid = os.fork()
if pid:
    sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
code = 1
try:
    import resource
    import numpy as np
    import pydicom
    import framecodec as fc

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    what, src, warm, dst = sys.argv[1:5]
    if what == "transcode":
        fc.transcode(warm, dst + ".warm.dcm", "rle")  # code paths, imports and the thread pool used once
        before = peak()
        fc.transcode(src, dst, "rle")
    else:
        fc.pixel_array(warm)
        before = peak()
        arr = fc.pixel_array(src)
        assert arr.shape == (10000, 64, 64, 3), arr.shape
    after = peak()
    print(before, after)
    code = 0
except BaseException:
    traceback.print_exc()
finally:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
"""


@pytest.fixture(scope="module")
def rss_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Native Explicit VR Little Endian, 10,000 frames of 64 x 64 RGB: random values in runs of 8 along each
    row (RLE compresses them about 4:1); and a 10-frame file of the same layout for the warm-up."""
    folder = tmp_path_factory.mktemp("rss")
    rng = np.random.default_rng(17)
    out = []
    for name, frames in (("big.dcm", RSS_FRAMES), ("warm.dcm", 10)):
        layout = Layout(64, 64, samples=3, frames=frames)
        arr = np.repeat(rng.integers(0, 256, (frames, 64, 8, 3), dtype=np.uint8), 8, axis=2)
        ds = base_dataset(layout, EXPLICIT)
        ds.PixelData = arr.tobytes()
        ds["PixelData"].VR = "OB"
        out.append(Path(save(ds, folder / name)))
        del ds, arr
    return out[0], out[1]


def child_growth(what: str, src: Path, warm: Path, dst: Path) -> tuple[int, str]:
    env = dict(os.environ)
    package = str(Path(fc.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([package] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    r = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(src), str(warm), str(dst)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    before, after = map(int, r.stdout.split())
    return after - before, f"peak RSS {before / 2**20:.0f} MiB before, {after / 2**20:.0f} MiB after"


def test_peak_rss_of_a_10000_frame_transcode_stays_bounded(rss_source: tuple[Path, Path], tmp_path: Path) -> None:
    """A transcode of 123 MB of frames (native, memory-mapped) to RLE in a child process: its peak RSS grows by
    less than RSS_BOUND, while the control (the whole file decoded at once) grows by more: the bound can fail."""
    src, warm = rss_source
    dst = tmp_path / "out.dcm"
    growth, said = child_growth("transcode", src, warm, dst)
    control, control_said = child_growth("pixel_array", src, warm, tmp_path / "unused.dcm")
    assert control > RSS_BOUND and control >= RSS_DECODED * 0.9, f"the control stays under the bound: {control_said}"
    assert growth < RSS_BOUND, (
        f"transcode: {said} (+{growth / 2**20:.0f} MiB; the bound {RSS_BOUND >> 20} MiB, "
        f"the control +{control / 2**20:.0f} MiB, the frames {RSS_DECODED / 2**20:.0f} MiB)"
    )
    # the output is right: its first and last frames, by pydicom's own RLE decoder, against the input's bytes
    out = pydicom.dcmread(dst)
    assert out.NumberOfFrames == RSS_FRAMES and out.file_meta.TransferSyntaxUID == RLE
    with open(src, "rb") as f:
        f.seek(os.path.getsize(src) - 64 * 64 * 3)
        last = np.frombuffer(f.read(), np.uint8).reshape(64, 64, 3)
    assert_identical(pydicom_pixel_array(dst, index=RSS_FRAMES - 1, decoding_plugin="pydicom"), last)
