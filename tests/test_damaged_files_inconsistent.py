"""Files whose Pixel Data is inconsistent, not merely cut short (offset tables that disagree with the items,
offsets that do not increase, another tag inside the value, fragments that start no frame, native data shorter than
its frames): they still raise, whole or cut. The cases: tests/damaged_files_util.py.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pydicom
import pytest

import framecodec as fc
from damaged_files_util import _cut, jpeg, rle
from datasets import Layout, assert_identical, make_pixels, native_dataset, save, to_bytes


def test_an_offset_table_that_disagrees_with_the_items_still_raises(tmp_path: Path) -> None:
    b = rle("basic")
    value = b.value_start
    bad = bytearray(b.data)
    struct.pack_into("<I", bad, value + 8 + 4 * 2, struct.unpack_from("<I", bad, value + 8 + 4 * 2)[0] + 2)
    # Whole, the file opens (its frames' items are read with the frames) and reading frame 1, whose items then run
    # past frame 2's offset, names frame 2; frame 0 is sound. Cut short after frame 2's start, the table of the whole
    # frames is looked at when the file is opened.
    whole = _cut(bytes(bad), len(bad), tmp_path / "bad.dcm")
    with fc.FrameReader(whole) as r:
        np.testing.assert_array_equal(r[0], b.reference[0])
        with pytest.raises(fc.EncapsulationError, match="frame 2: .*does not land on an item tag"):
            r[1]
        with pytest.raises(fc.EncapsulationError, match="frame 2: .*does not land on an item tag"):
            r.raw(1)
    with pytest.raises(fc.EncapsulationError, match="frame 2: .*does not land on an item tag"):
        fc.pixel_array(whole)
    with pytest.raises(fc.EncapsulationError, match="does not land on an item tag"):
        fc.FrameReader(_cut(bytes(bad), b.cuts()["inside the last frame"], tmp_path / "cut.dcm"))


def test_a_whole_file_whose_tables_point_past_its_fragments_still_raises(tmp_path: Path) -> None:
    # The value ends with its sequence delimiter: an offset past it is an error in the table, not a file cut short.
    b = rle("basic")
    bad = bytearray(b.data)
    last = b.value_start + 8 + 4 * (b.n - 1)
    struct.pack_into("<I", bad, last, struct.unpack_from("<I", bad, last)[0] + 1000)
    with pytest.raises(fc.EncapsulationError, match="past the end of the data") as e:
        fc.FrameReader(_cut(bytes(bad), len(bad), tmp_path / "bad.dcm"))
    assert "is missing" not in str(e.value)
    b = rle("extended")
    ds = pydicom.dcmread(io.BytesIO(b.data))
    eo = list(struct.unpack(f"<{b.n}Q", ds.ExtendedOffsetTable))
    eo[-1] += 1000
    ds.ExtendedOffsetTable = struct.pack(f"<{b.n}Q", *eo)
    data = to_bytes(ds)
    with pytest.raises(fc.EncapsulationError, match="past the end of the data") as e:
        fc.FrameReader(_cut(data, len(data), tmp_path / "bad.dcm"))
    assert "is missing" not in str(e.value)


def test_offsets_that_do_not_increase_still_raise(tmp_path: Path) -> None:
    b = rle("extended")
    ds = pydicom.dcmread(io.BytesIO(b.data))
    eo = list(struct.unpack(f"<{b.n}Q", ds.ExtendedOffsetTable))
    eo[3], eo[4] = eo[4], eo[3]
    ds.ExtendedOffsetTable = struct.pack(f"<{b.n}Q", *eo)
    data = to_bytes(ds)
    with pytest.raises(fc.EncapsulationError, match="does not increase"):
        fc.FrameReader(_cut(data, len(data) - 30, tmp_path / "bad.dcm"))


def test_another_tag_inside_the_value_still_raises(tmp_path: Path) -> None:
    b = rle("empty")
    bad = bytearray(b.data)
    bad[b.frame_starts[2] : b.frame_starts[2] + 4] = b"\x08\x00\x16\x00"  # not an item: the value is broken
    with pytest.raises(fc.EncapsulationError, match="unexpected tag"):
        fc.FrameReader(_cut(bytes(bad), b.cuts()["inside the last frame"], tmp_path / "bad.dcm"))


def test_jpeg_fragments_that_start_no_frame_still_raise(tmp_path: Path) -> None:
    b = jpeg("empty", fragments=3)
    bad = bytearray(b.data)
    bad[b.frame_starts[0] + 8 : b.frame_starts[0] + 10] = b"\x00\x00"  # frame 0's SOI gone
    with pytest.raises(fc.EncapsulationError) as e:  # the table's own error, as before: no frame is "whole"
        fc.FrameReader(_cut(bytes(bad), b.cuts()["inside the last frame"], tmp_path / "bad.dcm"))
    assert "is missing" not in str(e.value)


def test_as_many_fragments_as_frames_are_not_one_frame_each_when_the_file_was_cut(tmp_path: Path) -> None:
    # Before: a JPEG file of 3 fragments a frame, cut after 6 fragments of 6 frames, read as one fragment per frame
    # (the last one ends with EOI): frames 1 to 5 were parts of frames 0 and 1.
    b = jpeg("empty", fragments=3)
    path = tmp_path / "cut.dcm"
    path.write_bytes(b.data[: b.frame_ends[1]])  # frames 0 and 1: 6 items
    with fc.FrameReader(path) as r:
        assert r.whole_frames == 2
        assert_identical(r.read([0, 1]), b.reference[:2])
    with pytest.raises(fc.EncapsulationError, match="frame 2 is missing"):
        fc.pixel_array(path)


def test_native_pixel_data_shorter_than_its_frames_still_raises(tmp_path: Path) -> None:
    layout = Layout(4, 4, frames=3)
    ds = native_dataset(make_pixels(layout), layout)
    ds.NumberOfFrames = 4  # the value holds 3 frames: inconsistent, whatever the file's length
    path = save(ds, tmp_path / "short.dcm")
    with pytest.raises(ValueError, match="needs 64 bytes of Pixel Data, but it holds 48"):
        fc.FrameReader(path)
