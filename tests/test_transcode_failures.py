"""framecodec.transcode's refusals (the input itself or a link to it as the output, an unknown target, a missing
input) and corrupt inputs: each raises and leaves no output, no temporary file, and any older output as it was."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.encaps import encapsulate

import framecodec as fc
from datasets import (
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    RLE,
    Layout,
    base_dataset,
    dataset,
    encode_frames,
    make_pixels,
    save,
)
from transcode_util import Source
from writer_util import JPEG_BASELINE, TARGETS, jpeg_tiles, listing

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
