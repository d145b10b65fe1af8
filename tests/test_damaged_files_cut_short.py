"""Files cut short in their Pixel Data (``head -c N good.dcm > cut.dcm``): what is whole still reads, through
FrameReader, pixel_array, read_region and the command line, at every cut point of every case; the others raise,
naming the frame and where the file ends. The cases, and which frames are whole at a cut: tests/damaged_files_util.py.
"""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset

import framecodec as fc
from damaged_files_util import CASES, Built, _codestream, _cut, _frames, encapsulated, jpeg, native, rle
from datasets import EXPLICIT, RLE, Layout, assert_identical, encode_frames, make_pixels, to_bytes


@pytest.fixture(scope="module", params=list(CASES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Built]:
    return request.param, CASES[request.param](tmp_path_factory.mktemp("build"))


def test_every_cut_point(built: tuple[str, Built], tmp_path: Path) -> None:
    name, b = built
    assert_identical(fc.pixel_array(io.BytesIO(b.data)), b.reference)  # the intact file, as pydicom decodes it
    for where, cut in b.cuts().items():
        path = tmp_path / "cut.dcm"
        path.write_bytes(b.data[:cut])
        k = b.whole(cut)
        check_cut(path, b, cut, k, f"{name}, cut {where} (byte {cut})")


def check_cut(path: Path, b: Built, cut: int, k: int, label: str) -> None:
    n = b.n
    with fc.FrameReader(path) as r:
        assert (len(r), r.whole_frames) == (n, k), label
        assert isinstance(r.whole_frames, int)
        if k:
            assert_identical(r.read(list(range(k))), b.reference[:k])
            assert_identical(r[k - 1], b.reference[k - 1])
            assert_identical(r.read(slice(0, k)), b.reference[:k])
        got: list[npt.NDArray[Any]] = []
        if k == n:  # cut in what follows the frames (the sequence delimiter): every frame reads, pixel_array too
            every = list(r)
            assert len(every) == n
            for i, frame in enumerate(every):  # (np.stack would turn big endian frames native)
                assert_identical(frame, b.reference[i])
            assert r.truncation is None or r.truncation.startswith(f"it ends at byte {cut}"), label
            assert_identical(fc.pixel_array(path), b.reference)
            return
        assert r.truncation is not None and r.truncation.startswith(f"it ends at byte {cut}"), (label, r.truncation)
        head = rf"the file is truncated \(it ends at byte {cut}\b"
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing: {head}"):
            r[k]
        assert issubclass(fc.EncapsulationError, ValueError)
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {n - 1} is missing: {head}"):
            r[-1]
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing: {head}"):
            r.raw(k)
        if k + 1 < n:
            with pytest.raises(fc.EncapsulationError, match=rf"^frames {k} and {n - 1} are missing: {head}"):
                r.read([n - 1, 0, k])
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing"):
            for frame in r:  # the whole frames, in order, then the first missing one's error
                got.append(frame)
        assert len(got) == k
        if k:
            for i, frame in enumerate(got):
                assert_identical(frame, b.reference[i])
            if b.delimiter is not None:  # encapsulated: the codestream as stored (less a pad byte, by the EOT)
                stored, got_raw = _codestream(b.data, b.frame_starts[k - 1], b.frame_ends[k - 1]), bytes(r.raw(k - 1))
                assert stored.startswith(got_raw) and len(stored) - len(got_raw) <= 1, label
        with pytest.raises(fc.EncapsulationError, match=rf"^frames? {k}\b.* missing: {head}"):
            r.read()  # every frame: the missing ones named, from the first
    # pixel_array of the whole file still refuses it, naming the first missing frame
    with pytest.raises(ValueError, match=rf"frame {k}\b"):
        fc.pixel_array(path)


def test_a_cut_at_every_byte(tmp_path: Path) -> None:
    """Every cut of small files from the Pixel Data on: the count of whole frames is the expected one, and those
    frames decode (RLE with a Basic Offset Table and two fragments a frame; JPEG frames split over three fragments
    with no offset table; native 16-bit)."""
    small = Layout(4, 6, bits=16, frames=4)
    for b in (rle("basic", fragments=2, layout=small), jpeg("empty", fragments=3, frames=3), native(small, EXPLICIT)):
        start = b.value_start if b.delimiter is not None else b.frame_starts[0]
        path = tmp_path / "cut.dcm"
        for cut in range(start, len(b.data) + 1):
            path.write_bytes(b.data[:cut])
            with fc.FrameReader(path) as r:
                k = b.whole(cut)
                assert r.whole_frames == k, cut
                if k:
                    assert_identical(r.read(slice(0, k)), b.reference[:k])
                if k < b.n:
                    with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing"):
                        r.read(k)


def test_the_frame_table_holds_the_whole_frames(tmp_path: Path) -> None:
    b = rle("basic", fragments=3)
    cut = b.cuts()["in the middle of the frames"]
    path = tmp_path / "cut.dcm"
    path.write_bytes(b.data[:cut])
    with fc.FrameReader(path) as r:
        table = r.frame_table
        assert table is not None and len(table) == r.whole_frames == 3 and table.source == "basic"
        assert not table.has_delimiter and table.end == b.frame_starts[3]
        for i in range(3):
            table = fc.encaps.locate_pixel_data(b.data).frame_table(b.data)
            assert bytes(r.raw(i)) == bytes(fc.encaps.frame_bytes(b.data, table, i))
        assert "3 whole: the file is truncated" in repr(r)


def test_a_truncated_reader_pickles(tmp_path: Path) -> None:
    b = rle("extended")
    path = tmp_path / "cut.dcm"
    path.write_bytes(b.data[: b.cuts()["inside the last frame"]])
    with fc.FrameReader(path) as r:
        again = pickle.loads(pickle.dumps(r))
        assert again.whole_frames == b.n - 1 and again.truncation == r.truncation is not None
    assert_identical(again.read(slice(0, b.n - 1)), b.reference[:-1])
    with pytest.raises(fc.EncapsulationError, match=rf"^frame {b.n - 1} is missing"):
        again[b.n - 1]


def test_read_region_over_whole_tiles(tmp_path: Path) -> None:
    """A TILED_FULL slide of 2 x 2 tiles on 2 focal planes, cut inside the second plane's tiles: the first plane
    reads, a region over a missing tile raises naming it."""
    layout = Layout(12, 16, samples=3, frames=8)
    arr = make_pixels(layout, 6)
    frames = encode_frames(arr, layout, RLE)
    b = encapsulated(RLE, layout, frames, _frames(arr, layout), table="basic")
    ds = pydicom.dcmread(io.BytesIO(b.data))
    ds.DimensionOrganizationType = "TILED_FULL"
    ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows, ds.TotalPixelMatrixFocalPlanes = 32, 24, 2
    ds.NumberOfOpticalPaths = 1
    optical = Dataset()
    optical.OpticalPathIdentifier = "1"
    ds.OpticalPathSequence = [optical]
    data = to_bytes(ds)
    start = data.index(b.data[b.frame_starts[0] :])  # the frames' items, moved by the attributes added
    cut = start + (b.frame_starts[5] + b.frame_ends[5]) // 2 - b.frame_starts[0]  # inside tile 5 (plane 1)
    path = tmp_path / "slide.dcm"
    path.write_bytes(data[:cut])
    matrix = np.zeros((24, 32, 3), np.uint8)  # plane 0 from the numpy tiles, row by row
    for t in range(4):
        y, x = 12 * (t // 2), 16 * (t % 2)
        matrix[y : y + 12, x : x + 16] = arr[t]
    with fc.FrameReader(path) as r:
        assert r.whole_frames == 5
        assert_identical(r.read_region((0, 0), (32, 24)), matrix)
        assert_identical(r.read_region((3, 5), (20, 15), focal_plane=0), matrix[5:20, 3:23])
        assert_identical(r.read_region((0, 0), (16, 12), focal_plane=1), arr[4])  # tile 4 is whole
        with pytest.raises(fc.EncapsulationError, match=r"^frame 5 is missing: the file is truncated"):
            r.read_region((10, 0), (12, 6), focal_plane=1)  # tiles 4 and 5


def cli(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "framecodec", *map(str, args)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("case", ["rle basic offset table", "native explicit int16", "jpeg three fragments, markers"])
def test_info_shows_a_truncated_file(case: str, tmp_path: Path) -> None:
    b = CASES[case](tmp_path)
    cut = b.cuts()["in the middle of the frames"]
    k = b.whole(cut)
    path = _cut(b.data, cut, tmp_path / "cut.dcm")
    r = cli("info", path)
    assert r.returncode == 1
    assert r.stdout.startswith(f"{path}\n  transfer syntax ")  # the header, shown
    assert f"  frames            {k} of {b.n} whole: the file is truncated; it ends at byte {cut}" in r.stdout
    assert r.stderr.startswith(
        f"framecodec: {path}: the file is truncated: {k} of {b.n} frames are whole (it ends at byte {cut}"
    )
    r = cli("info", "--json", path)
    got = json.loads(r.stdout)[0]
    assert r.returncode == 1 and (got["frames"], got["whole_frames"]) == (b.n, k)
    assert got["truncation"].startswith(f"it ends at byte {cut}") and got["file_size"] == cut
    r = cli("info", "--json", _cut(b.data, len(b.data), tmp_path / "whole.dcm"))
    got = json.loads(r.stdout)[0]
    assert r.returncode == 0 and got["whole_frames"] == b.n and got["truncation"] is None


def test_decode_writes_the_whole_frames_asked_for(tmp_path: Path) -> None:
    b = rle("basic", fragments=3)
    cut = b.cuts()["in the middle of the frames"]
    k = b.whole(cut)
    path = _cut(b.data, cut, tmp_path / "cut.dcm")
    out = tmp_path / "out.npy"
    r = cli("decode", path, "-o", out, "--frames", f"0:{k}")
    assert r.returncode == 0, r.stderr
    assert_identical(np.load(out), b.reference[:k])
    out.unlink()
    for spec, named in ((f"{k - 1}:{k + 2}", f"frames {k} and {k + 1} are"), (None, f"frames {k}, ")):
        r = cli("decode", path, "-o", out, *(["--frames", spec] if spec else []))
        assert r.returncode == 1 and not out.exists()
        assert r.stderr.startswith(f"framecodec: {path}: {named}"), r.stderr
        assert f"missing: the file is truncated (it ends at byte {cut}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.dcm"]  # no temporary file left
