"""``python -m framecodec transcode``: every direction, its options, JPEG inputs, corrupt inputs.

Test files are built with pydicom (tests/datasets.py, never with framecodec), JPEG files with DCMTK when it
is installed. Expected values come from pydicom (its own decoders where it has them) and FrameReader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

import framecodec as fc
from cli_util import cli, listing, run_main, write
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    PYDICOM_31,
    RLE,
    Layout,
    assert_identical,
    dataset,
    make_pixels,
    native_dataset,
    reference,
    save,
)

DEFLATED_DATA_SET = "1.2.840.10008.1.2.1.99"  # Deflated Explicit VR Little Endian


SYNTAXES = {
    "explicit": EXPLICIT,
    "rle": RLE,
    "deflate": DEFLATE,
    "encapsulated-uncompressed": ENCAPSULATED_UNCOMPRESSED,
}


LAYOUTS = {
    "int16": Layout(10, 12, bits=16, stored=12, signed=True, frames=4),
    "rgb-planar": Layout(6, 9, samples=3, planar=1, frames=3),
    "ybr": Layout(6, 9, samples=3, photometric="YBR_FULL", frames=2),
    "bits1": Layout(9, 7, bits=1, frames=5),
    "single": Layout(7, 5, bits=16),
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every layout in every syntax transcode writes, plus implicit VR, big endian and a deflated data set
    (Deflated Explicit VR Little Endian: native pixels that pydicom reads, framecodec does not)."""
    folder = tmp_path_factory.mktemp("sources")
    for i, (name, layout) in enumerate(LAYOUTS.items()):
        for label, ts in {**SYNTAXES, "implicit": IMPLICIT, "big": BIG_ENDIAN}.items():
            if ts == BIG_ENDIAN and layout.bits == 1:
                continue  # pydicom cannot write 1-bit big endian data sets the way PS3.5 packs them
            write(folder, f"{name}-{label}.dcm", layout, ts, seed=i)
        deflated = native_dataset(make_pixels(layout, i), layout, DEFLATED_DATA_SET)
        deflated.PatientName = "Test^CLI"
        save(deflated, folder / f"{name}-deflated-data-set.dcm")
    return folder


def _pydicom_own(path: Path, ts: str, bits: int) -> Any:
    """pydicom's own decoder's array of the output, where pydicom has one (None otherwise)."""
    if ts == EXPLICIT:
        return pydicom.pixels.pixel_array(path, raw=True)
    if ts == RLE and bits != 1:
        return pydicom.pixels.pixel_array(path, raw=True, decoding_plugin="pydicom")
    if ts == DEFLATE and PYDICOM_31:
        return pydicom.pixels.pixel_array(path, raw=True, decoding_plugin="pydicom")
    return None


@pytest.mark.filterwarnings("ignore:The number of bytes of compressed pixel data matches")  # pydicom, on
@pytest.mark.parametrize("to", SYNTAXES)  # Encapsulated Uncompressed (of course) and tiny incompressible frames
def test_transcode_every_direction(to: str, sources: Path, tmp_path: Path) -> None:
    """All sources into a folder in one run; each output decodes (with pydicom's own decoder where it has one)
    to the source's pixels as pydicom decodes them, keeps the other attributes and the SOP Instance UID."""
    out = tmp_path / "out"
    inputs = sorted(sources.iterdir())
    r = cli("transcode", *inputs, out, "--to", to, "--threads", "2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    assert listing(out) == [p.name for p in inputs]
    ts = SYNTAXES[to]
    for src in inputs:
        dst = out / src.name
        ds, before = pydicom.dcmread(dst), pydicom.dcmread(src)
        assert ds.file_meta.TransferSyntaxUID == ts
        assert ds.SOPInstanceUID == before.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
        assert ds.PatientName == "Test^CLI" and "LossyImageCompression" not in ds
        assert ds.PhotometricInterpretation == before.PhotometricInterpretation
        assert ds["PixelData"].is_undefined_length == (to != "explicit")
        expected = reference(before, raw=True)  # a data set: pydicom reads a deflated one only through dcmread
        np.testing.assert_array_equal(fc.pixel_array(dst, raw=True), expected)
        assert fc.pixel_array(dst, raw=True).shape == expected.shape
        own = _pydicom_own(dst, ts, int(ds.BitsAllocated))
        if own is not None:
            np.testing.assert_array_equal(own, expected)
        np.testing.assert_array_equal(ds.pixel_array, reference(before))  # pydicom's API, whichever plugin


def test_transcode_options(tmp_path: Path) -> None:
    src = write(tmp_path, "ct.dcm", Layout(16, 16, bits=16, stored=12, frames=3), EXPLICIT)
    fast, best = tmp_path / "fast.dcm", tmp_path / "best.dcm"
    assert cli("transcode", src, fast, "--to", "deflate", "--level", "1", "--no-verify").returncode == 0
    assert cli("transcode", src, best, "--to", "deflate", "--level", "9", "--new-uid", "-q").returncode == 0
    for path in (fast, best):
        assert_identical(fc.pixel_array(path), reference(src))
    assert pydicom.dcmread(fast).SOPInstanceUID == pydicom.dcmread(src).SOPInstanceUID
    renamed = pydicom.dcmread(best)
    assert renamed.SOPInstanceUID != pydicom.dcmread(src).SOPInstanceUID
    assert renamed.SOPInstanceUID == renamed.file_meta.MediaStorageSOPInstanceUID
    if fc.codecs.libdeflate_version is not None:
        small = tmp_path / "small.dcm"
        assert (
            cli("transcode", src, small, "--to", "deflate", "--backend", "libdeflate", "--level", "12").returncode == 0
        )
        assert_identical(fc.pixel_array(small), reference(src))
        data = small.read_bytes()
        frames = fc.encaps.iter_frames(data, fc.encaps.locate_pixel_data(small).frame_table(data))
        native = reference(src).astype("<u2")
        assert [zlib.decompress(bytes(f), -15) for f in frames] == [frame.tobytes() for frame in native]
    folder = tmp_path / "existing"
    folder.mkdir()
    assert cli("transcode", src, folder, "--to", "rle").returncode == 0  # one input into an existing folder
    assert listing(folder) == ["ct.dcm"]
    lossy = pydicom.dcmread(src)
    lossy.LossyImageCompression = "01"
    save(lossy, tmp_path / "lossy.dcm")
    assert cli("transcode", tmp_path / "lossy.dcm", tmp_path / "lossy-rle.dcm", "--to", "rle").returncode == 0
    assert pydicom.dcmread(tmp_path / "lossy-rle.dcm").LossyImageCompression == "01"  # kept, never reset


def test_transcode_big_endian_binary_values(tmp_path: Path) -> None:
    """Explicit VR Big Endian in: OW values other than the Pixel Data are swapped for little endian."""
    layout = Layout(4, 6, bits=16, frames=2)
    ds = dataset(make_pixels(layout), layout, BIG_ENDIAN)
    words = np.arange(1, 9, dtype=">u2")
    ds.add_new(0x60003000, "OW", words.tobytes())  # Overlay Data
    src = Path(save(ds, tmp_path / "big.dcm"))
    out = tmp_path / "little.dcm"
    assert cli("transcode", src, out, "--to", "explicit").returncode == 0
    written = pydicom.dcmread(out)
    assert np.frombuffer(written[0x60003000].value, "<u2").tolist() == words.tolist()
    assert_identical(written.pixel_array, reference(src).astype("<u2"))


def test_transcode_jpeg(grey_native: Path, tmp_path: Path) -> None:
    """A syntax pydicom decodes: the output holds pydicom's pixels; without a JPEG plugin, the file fails."""
    if shutil.which("dcmcjpeg") is None:
        pytest.skip("dcmcjpeg (DCMTK) is not installed: apt-get install dcmtk")
    jpeg = tmp_path / "jpeg.dcm"
    subprocess.run(["dcmcjpeg", "+e1", str(grey_native), str(jpeg)], check=True, capture_output=True)
    out = tmp_path / "rle.dcm"
    r = cli("transcode", jpeg, out, "--to", "rle")
    try:
        expected = reference(jpeg)  # JPEG Lossless: pydicom's pylibjpeg or GDCM plugin, named
    except Exception as e:  # no JPEG Lossless plugin for pydicom here: the command must fail, and say so
        assert r.returncode == 1 and r.stderr.startswith(f"framecodec: {jpeg}: ")
        assert listing(tmp_path) == ["jpeg.dcm"]
        pytest.skip(f"pydicom cannot decode JPEG Lossless here ({e}): only the command's failure was checked")
    assert r.returncode == 0, r.stderr
    assert_identical(fc.pixel_array(out), expected)
    # JPEG Baseline: decoded by the engine (libjpeg-turbo); the reference is pydicom's Pillow plugin, named
    baseline = tmp_path / "baseline.dcm"
    subprocess.run(["dcmcjpeg", "+eb", str(grey_native), str(baseline)], check=True, capture_output=True)
    assert cli("transcode", baseline, tmp_path / "baseline-rle.dcm", "--to", "rle").returncode == 0
    pillow = pydicom.pixels.pixel_array(baseline, decoding_plugin="pillow")
    assert_identical(pydicom.pixels.pixel_array(tmp_path / "baseline-rle.dcm", decoding_plugin="pydicom"), pillow)


def test_transcode_a_corrupt_input_among_good_ones(tmp_path: Path) -> None:
    layout = Layout(8, 8, bits=16, frames=3)
    good1 = write(tmp_path, "a.dcm", layout, RLE)
    good2 = write(tmp_path, "c.dcm", layout, EXPLICIT)
    corrupt = tmp_path / "b.dcm"
    frames = [b"\x01\x02\x03" * 5] * 3  # not deflate streams
    ds = dataset(make_pixels(layout), layout, DEFLATE, frames=frames)
    save(ds, corrupt)
    out = tmp_path / "out"
    r = cli("transcode", good1, corrupt, good2, out, "--to", "deflate")
    assert r.returncode == 1
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"framecodec: {corrupt}: frame 0: ")
    assert listing(out) == ["a.dcm", "c.dcm"]  # no b.dcm, no temporary file
    for src in (good1, good2):
        assert_identical(fc.pixel_array(out / src.name), reference(src))


def test_transcode_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.dcm", Layout(4, 4, frames=2), EXPLICIT)
    before = src.read_bytes()
    (tmp_path / "link.dcm").symlink_to(src)
    os.link(src, tmp_path / "hard.dcm")
    r = cli("transcode", src, src, "--to", "rle")
    assert r.returncode == 2 and "is the input itself" in r.stderr
    for out in (tmp_path / "link.dcm", tmp_path / "hard.dcm", tmp_path):
        code, _, err = run_main(capsys, "transcode", src, out, "--to", "rle")
        assert code == 2 and "is the input itself" in err, (out, err)
    other = write(tmp_path, "other.dcm", Layout(4, 4), EXPLICIT)
    code, _, err = run_main(capsys, "transcode", other, src, tmp_path, "--to", "rle")  # into their own folder
    assert code == 2 and "is the input itself" in err
    code, _, err = run_main(capsys, "transcode", src, other, src, "--to", "rle")  # OUT exists, not a folder
    assert code == 2 and "not a folder" in err
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(src, sub / "in.dcm")
    code, _, err = run_main(capsys, "transcode", src, sub / "in.dcm", tmp_path / "out", "--to", "rle")
    assert code == 2 and "would both be written" in err  # two inputs of one name
    assert src.read_bytes() == before
    assert listing(tmp_path) == ["hard.dcm", "in.dcm", "link.dcm", "other.dcm", "sub"]
