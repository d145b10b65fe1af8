"""framecodec.FrameWriter (issue 17): every syntax and layout round trips through batches of any size, the file is
valid DICOM for pydicom, and its frames decode with pydicom's own decoders (or zlib and numpy where pydicom 3.0
has none) to the source arrays; the data set given is not modified.

References are never framecodec: tests/writer_util.py (pydicom, zlib, numpy), tests/datasets.py.
"""

from __future__ import annotations

import copy
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest

import framecodec as fc
from conftest import NO_LIBDEFLATE
from datasets import DEFLATE, EXPLICIT, NAMES, RLE, Layout, assert_identical, frame_bytes, stored_values
from writer_cases import ENCAPSULATED, IDS, LAYOUTS, SYNTAXES, batches, check_file, source, write_file
from writer_util import check_offset_tables, listing, own_decode, pad


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_round_trip_in_batches(name: str, ts: str, tmp_path: Path) -> None:
    layout = LAYOUTS[name]
    ds, arr, frames = source(layout, seed=len(name))
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts, threads=2) as w:
        assert w.path == path and isinstance(w.path, Path)
        assert w.number_of_frames == layout.frames and w.frames_written == 0 and not w.closed
        done = 0
        for batch in batches(frames):
            w.write(batch)
            done += 1 if batch.ndim == len(layout.frame_shape) else len(batch)
            assert w.frames_written == done
    assert w.closed and w.frames_written == layout.frames
    assert listing(tmp_path) == ["out.dcm"]
    check_file(path, ds, layout, ts)
    assert_identical(own_decode(path), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_str_path_one_call_and_properties(ts: str, tmp_path: Path) -> None:
    layout = LAYOUTS["rgb8"]
    ds, arr, frames = source(layout)
    w = fc.FrameWriter(str(tmp_path / "out.dcm"), ds, ts)
    assert w.path == tmp_path / "out.dcm" and isinstance(w.path, Path) and not w.closed
    w.write(frames)
    assert w.frames_written == 3 and not w.closed
    w.close()
    assert w.closed
    w.close()  # idempotent once closed
    assert w.closed and listing(tmp_path) == ["out.dcm"]
    check_file(tmp_path / "out.dcm", ds, layout, ts)
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_one_bit_frames_as_bool(ts: str, tmp_path: Path) -> None:
    layout = LAYOUTS["bits1"]
    ds, arr, frames = source(layout, seed=3)
    with fc.FrameWriter(tmp_path / "out.dcm", ds, ts) as w:
        w.write(frames[:4].astype(bool))
        w.write(frames[4].astype(bool))  # one frame, no frame axis
        w.write(frames[5:])
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_batches_that_are_views(ts: str, tmp_path: Path) -> None:
    """Any numpy array of the right shape and dtype: strided views, Fortran order, a reversed view."""
    layout = Layout(6, 5, bits=16, stored=12, frames=4)
    ds, arr, frames = source(layout, seed=9)
    wide = np.zeros((4, 6, 10), np.uint16)
    wide[..., ::2] = frames
    with fc.FrameWriter(tmp_path / "out.dcm", ds, ts) as w:
        w.write(wide[:2, :, ::2])  # not contiguous
        w.write(np.asfortranarray(frames[2]))
        w.write(frames[::-1][:1])  # frame 3, as a negative-stride view
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


def test_planar_configuration_of_the_data_set_is_replaced(tmp_path: Path) -> None:
    """write takes interleaved colour frames: the file says Planar Configuration 0, whatever the data set said."""
    layout = LAYOUTS["rgb8"]
    ds, arr, frames = source(layout)
    ds.PlanarConfiguration = 1
    for ts in SYNTAXES:
        path = tmp_path / f"{NAMES[ts]}.dcm"
        write_file(path, ds, ts, frames)
        assert pydicom.dcmread(path).PlanarConfiguration == 0
        assert_identical(own_decode(path), arr)
    del ds.PlanarConfiguration  # absent: added
    write_file(tmp_path / "absent.dcm", ds, RLE, frames)
    assert pydicom.dcmread(tmp_path / "absent.dcm").PlanarConfiguration == 0


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_threads_do_not_change_the_bytes(ts: str, tmp_path: Path) -> None:
    layout = Layout(33, 17, bits=16, frames=11)
    ds, arr, frames = source(layout, seed=4)
    files = []
    for threads in (1, 3, None):
        path = tmp_path / f"t{threads}.dcm"
        with fc.FrameWriter(path, ds, ts, threads=threads) as w:
            for batch in batches(frames):
                w.write(batch)
        files.append(path.read_bytes())
    assert files[0] == files[1] == files[2]
    assert_identical(own_decode(tmp_path / "t1.dcm"), arr)


def native_frames(frames: npt.NDArray[Any], layout: Layout) -> list[bytes]:
    """Each frame's native little-endian bytes (two's complement for signed values), 1-bit frames bit-packed
    on their own: what Deflated Image Frame Compression deflates (PS3.5 8.2.16)."""
    return frame_bytes(stored_values(frames, layout), layout)


@pytest.mark.parametrize("level", [None, 0, 1, 9])
@pytest.mark.parametrize("name", ["int16-stored12", "bits1", "rgb8"])
def test_deflate_frames_are_pythons_zlib(name: str, level: int | None, tmp_path: Path) -> None:
    """The zlib backend (the default): each fragment is Python's zlib raw deflate of the native frame at the
    level (None: 6), padded to even length."""
    layout = LAYOUTS[name]
    ds, arr, frames = source(layout)
    path = tmp_path / "out.dcm"
    write_file(path, ds, DEFLATE, frames, level=level)
    enc = check_offset_tables(pydicom.dcmread(path), "basic")
    expected = [pad(zlib.compress(f, 6 if level is None else level, wbits=-15)) for f in native_frames(frames, layout)]
    assert enc.fragments == expected
    write_file(tmp_path / "zlib.dcm", ds, DEFLATE, frames, level=level, backend="zlib")
    assert (tmp_path / "zlib.dcm").read_bytes() == path.read_bytes()


def test_libdeflate_backend(tmp_path: Path) -> None:
    if fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    layout = LAYOUTS["int16-stored12"]
    ds, arr, frames = source(layout)
    for level in (None, 1, 12):
        path = tmp_path / f"l{level}.dcm"
        write_file(path, ds, DEFLATE, frames, level=level, backend="libdeflate")
        check_file(path, ds, layout, DEFLATE)
        assert_identical(own_decode(path), arr)  # zlib inflates libdeflate's streams


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_the_data_set_is_not_modified_and_pixel_elements_are_dropped(ts: str, tmp_path: Path) -> None:
    """Pixel Data and a stale Extended Offset Table in the data set are dropped; elements after (7FE0,0010) are
    written after the Pixel Data; the caller's data set is unchanged."""
    layout = Layout(5, 4, bits=16, frames=3)
    ds, arr, frames = source(layout, seed=5)
    ds.PixelData = b"\x01\x02" * 7
    ds["PixelData"].VR = "OW"
    ds.ExtendedOffsetTable = b"\x07" * 24
    ds.ExtendedOffsetTableLengths = b"\x09" * 24
    ds.add_new(0x7FE10010, "LO", "FRAMECODEC TEST")  # a private block after the Pixel Data
    ds.add_new(0x7FE11001, "LO", "after the pixels")
    ds.DataSetTrailingPadding = b"\x00" * 4  # (FFFC,FFFC): the last element there is
    before, meta = copy.deepcopy(ds), copy.deepcopy(ds.file_meta)
    path = tmp_path / "out.dcm"
    options = {"offset_table": "basic"} if ts in ENCAPSULATED else {}
    write_file(path, ds, ts, frames, **options)
    assert ds == before and ds.file_meta == meta
    assert ds.PixelData == b"\x01\x02" * 7 and ds.file_meta.TransferSyntaxUID == EXPLICIT
    out = pydicom.dcmread(path)
    assert "ExtendedOffsetTable" not in out and "ExtendedOffsetTableLengths" not in out
    assert_identical(own_decode(path), arr)
    assert out[0x7FE11001].value == "after the pixels" and out.DataSetTrailingPadding == b"\x00" * 4
    head = pydicom.dcmread(path, stop_before_pixels=True)  # stops at the Pixel Data: they come after it
    assert 0x7FE11001 not in head and 0xFFFCFFFC not in head and "PatientName" in head


@pytest.mark.parametrize("keyword", ["FloatPixelData", "DoubleFloatPixelData"])
@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_float_pixel_data_in_the_data_set_is_dropped(ts: str, keyword: str, tmp_path: Path) -> None:
    """The specification: Float / Double Float Pixel Data in the data set are ignored (dropped), as Pixel Data is."""
    layout = Layout(5, 4, bits=16, frames=3)
    ds, arr, frames = source(layout, seed=5)
    setattr(ds, keyword, b"\x00" * 8)
    write_file(tmp_path / "out.dcm", ds, ts, frames)
    assert keyword in ds
    out = pydicom.dcmread(tmp_path / "out.dcm")
    assert keyword not in out
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)
