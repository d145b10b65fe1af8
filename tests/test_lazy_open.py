"""Opening a file reads its offset table and none of its frames' pages (issue 21): with a Basic Offset Table each
frame's items are walked and checked when the frame is read, with an Extended Offset Table each frame's item; the
errors the eager walk gave are raised then, naming the frame. Page faults are counted, never timed.
"""

from __future__ import annotations

import io
import pickle
import resource
import struct
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

import framecodec as fc
from damaged_files_util import _cut, rle

ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
FRAMES = 2_000
SIDE = 256  # 64 KiB frames of 8-bit samples: every item header on a page (and a fault-around window) of its own


def _header(n: int) -> bytes:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ENCAPSULATED_UNCOMPRESSED
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    ds.Rows = ds.Columns = SIDE
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation, ds.NumberOfFrames = 7, 0, n
    f = io.BytesIO()
    ds.save_as(f, enforce_file_format=True)
    assert ds.file_meta.TransferSyntaxUID != ExplicitVRLittleEndian
    return f.getvalue()


def _big_file(path: Path, table: str) -> Path:
    """FRAMES frames of SIDE x SIDE, one fragment each, the frames' bytes left as holes of a sparse file but for a
    byte that says which frame it is."""
    size = SIDE * SIDE
    offsets = [i * (8 + size) for i in range(FRAMES)]
    with open(path, "wb") as f:
        f.write(_header(FRAMES))
        if table == "extended":  # (7FE0,0001), (7FE0,0002): OV, uint64 (PS3.3 C.7.6.3.1.8)
            for tag, values in ((1, offsets), (2, [size] * FRAMES)):
                f.write(struct.pack("<HH2sHI", 0x7FE0, tag, b"OV", 0, 8 * FRAMES) + struct.pack(f"<{FRAMES}Q", *values))
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
        bot = struct.pack(f"<{FRAMES}I", *offsets) if table == "basic" else b""
        f.write(struct.pack("<HHI", 0xFFFE, 0xE000, len(bot)) + bot)
        for i in range(FRAMES):
            f.write(struct.pack("<HHI", 0xFFFE, 0xE000, size) + bytes([i % 251]))
            f.seek(size - 1, io.SEEK_CUR)
        f.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    return path


def _faults(fn: object) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()  # type: ignore[operator]
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.parametrize("table", ["basic", "extended"])
def test_open_touches_no_frame_pages(tmp_path: Path, table: str) -> None:
    path = _big_file(tmp_path / f"{table}.dcm", table)
    warm = _big_file(tmp_path / f"warm_{table}.dcm", table)
    fc.FrameReader(warm).close()  # imports, the allocator's arenas, pydicom's caches: not what is counted
    readers: list[fc.FrameReader] = []
    lazy = _faults(lambda: readers.append(fc.FrameReader(path)))
    # What reading every item header costs, the same file mapped again: at least one fault a frame. (The eager
    # walk of a Basic Offset Table; an Extended Offset Table's items checked all at once.)
    loc = fc.encaps.locate_pixel_data(str(path))
    mapped = fc._core.MappedFile(str(path))
    if table == "basic":
        eager = _faults(lambda: loc.frame_table(mapped).offsets)
    else:
        t = loc.frame_table(mapped)
        eager = _faults(lambda: list(fc.encaps.iter_frames(mapped, t)))
    assert eager >= FRAMES - 2  # (the first and last frames' pages: the table read them)
    assert lazy < 200, f"opening touched {lazy} pages for {FRAMES} frames"
    r = readers[0]
    frames = r[[0, 1234, FRAMES - 1]]
    assert [int(f[0, 0]) for f in frames] == [0, 1234 % 251, (FRAMES - 1) % 251]
    assert not frames[:, 1:].any()
    if table == "basic":  # the table's arrays are every fragment's, walked when asked for
        t = r.frame_table
        assert t is not None and "walked when read" in repr(t)
        np.testing.assert_array_equal(t.frame_fragments, np.arange(FRAMES + 1))
        np.testing.assert_array_equal(np.diff(t.offsets), SIDE * SIDE + 8)
        assert t.one_fragment_per_frame and "2000 fragments" in repr(t)
    r.close()


@pytest.mark.parametrize("table", ["basic", "extended"])
def test_pickled_reader_keeps_its_table_lazy(tmp_path: Path, table: str) -> None:
    # A Dask worker unpickles the reader: its table travels as where the offset table lies in the file, so
    # neither pickling nor unpickling reads every frame's items, and it does not grow by 24 bytes a frame.
    path = _big_file(tmp_path / f"{table}.dcm", table)
    with fc.FrameReader(path) as r:
        data = pickle.dumps(r)
        assert r.frame_table is not None and r.frame_table._lazy and "walked when read" in repr(r.frame_table)
        eager = fc.encaps.locate_pixel_data(str(path)).frame_table(r._open().buffer)
        assert len(pickle.dumps(eager)) > 24 * FRAMES > len(data)
    pickle.loads(data).close()  # imports and caches: not what is counted
    readers: list[fc.FrameReader] = []
    faults = _faults(lambda: readers.append(pickle.loads(data)))
    assert faults < 200, f"unpickling touched {faults} pages for {FRAMES} frames"
    with readers[0] as r2:
        t = r2.frame_table
        assert t is not None and t._lazy and "walked when read" in repr(t)
        frames = r2[[FRAMES - 1, 0, 1234]]
        assert [int(f[0, 0]) for f in frames] == [(FRAMES - 1) % 251, 0, 1234 % 251]
        assert not frames[:, 1:].any()
        assert t == eager  # its arrays, asked for, are the eager table's
        np.testing.assert_array_equal(t.offsets, eager.offsets)


def test_extended_offset_table_errors_at_read_name_the_frame(tmp_path: Path) -> None:
    path = _big_file(tmp_path / "e.dcm", "extended")
    data = bytearray(path.read_bytes())
    loc = fc.encaps.locate_pixel_data(str(path))
    assert loc.extended_offsets is not None
    first_item = loc.offset + 8  # after the empty Basic Offset Table item
    struct.pack_into("<HH", data, first_item + int(loc.extended_offsets[1000]), 0x0008, 0x0010)  # not an item tag
    path.write_bytes(bytes(data))
    with fc.FrameReader(path) as r:  # opens: frame 1000's item is not read
        assert r.frame_table is not None and r.frame_table._lazy
        assert int(r[999][0, 0]) == 999 % 251
        with pytest.raises(fc.EncapsulationError, match=r"frame 1000: .*does not land on an item tag"):
            r[1000]
        with pytest.raises(fc.EncapsulationError, match=r"frame 1000: "):
            r.raw(1000)
        # The table reads its offset table from the buffer it is given: another one is refused, not read past.
        with pytest.raises(ValueError, match="does not hold this lazy frame table"):
            r.frame_table._select(b"\0" * 64, np.array([0], np.int64))
    with pytest.raises(fc.EncapsulationError, match=r"frame 1000: "):
        fc.pixel_array(path)


def test_frames_of_two_fragments_decode(tmp_path: Path) -> None:
    b = rle("basic", fragments=2)
    path = _cut(b.data, len(b.data), tmp_path / "two.dcm")
    with fc.FrameReader(path) as r:
        t = r.frame_table
        assert t is not None and t.source == "basic"
        for i in reversed(range(b.n)):  # one at a time, the last first: each walked alone
            np.testing.assert_array_equal(r[i], b.reference[i])
        np.testing.assert_array_equal(r[:], b.reference)
        np.testing.assert_array_equal(r[[3, 1, 3]], b.reference[[3, 1, 3]])
        # The lazy table's arrays are the eager table's, as frame_table over the bytes in memory finds them.
        with open(path, "rb") as f:
            data = f.read()
        eager = fc.encaps.locate_pixel_data(data).frame_table(data)
        assert eager.source == "basic" and len(eager.offsets) == 2 * b.n
        assert [bytes(r.raw(i)) for i in range(b.n)] == [
            bytes(fc.encaps.frame_bytes(data, eager, i)) for i in range(b.n)
        ]
        assert t == eager
        np.testing.assert_array_equal(t.offsets, eager.offsets)
        np.testing.assert_array_equal(t.frame_fragments, eager.frame_fragments)
    np.testing.assert_array_equal(fc.pixel_array(path), b.reference)
    ds = pydicom.dcmread(path)
    ds.pixel_array_options(decoding_plugin="pydicom")  # pydicom's own RLE decoder: never framecodec's plugin
    np.testing.assert_array_equal(ds.pixel_array, b.reference)  # pydicom reads the same file


def _bot(b_data: bytes, value_start: int, n: int) -> list[int]:
    return list(struct.unpack_from(f"<{n}I", b_data, value_start + 8))


def test_basic_offset_table_errors_at_read_name_the_frame(tmp_path: Path) -> None:
    b = rle("basic", fragments=2)
    bot = _bot(b.data, b.value_start, b.n)
    # Frame 3's offset inside frame 2's second item: frame 2's items run past it.
    bad = bytearray(b.data)
    struct.pack_into("<I", bad, b.value_start + 8 + 4 * 3, bot[3] - 2)
    with fc.FrameReader(_cut(bytes(bad), len(bad), tmp_path / "a.dcm")) as r:
        np.testing.assert_array_equal(r[4], b.reference[4])  # the frames that are sound read
        with pytest.raises(fc.EncapsulationError, match=r"frame 3: .*does not land on an item tag"):
            r[2]
        with pytest.raises(fc.EncapsulationError, match=r"frame 3: .*does not land on an item tag"):
            r.raw(2)
        with pytest.raises(fc.EncapsulationError, match=r"frame 3: "):
            r.frame_table.offsets  # type: ignore[union-attr]
    # Frame 2's item header broken (another tag where its second item starts): named when frame 2 is read.
    bad = bytearray(b.data)
    first_item = b.value_start + 8 + 4 * b.n
    second = first_item + bot[2] + 8 + struct.unpack_from("<I", bad, first_item + bot[2] + 4)[0]
    struct.pack_into("<HH", bad, second, 0x0008, 0x0010)
    with fc.FrameReader(_cut(bytes(bad), len(bad), tmp_path / "b.dcm")) as r:
        np.testing.assert_array_equal(r[1], b.reference[1])
        with pytest.raises(fc.EncapsulationError, match=r"frame 2: "):
            r[2]
    # The last frame cut short: its items are walked at open, which finds the file cut short there.
    with fc.FrameReader(_cut(b.data, b.frame_ends[-1] - 3, tmp_path / "c.dcm")) as r:
        assert r.whole_frames == b.n - 1
        np.testing.assert_array_equal(r[: b.n - 1], b.reference[: b.n - 1])
        with pytest.raises(fc.EncapsulationError):
            r[b.n - 1]


def test_regions_and_pydicom_syntaxes_walk_the_frames_they_read(tmp_path: Path) -> None:
    # JPEG (pydicom decodes it through the table's frame_bytes) with a Basic Offset Table of two-fragment frames.
    from damaged_files_util import jpeg

    b = jpeg("basic", fragments=2)
    path = _cut(b.data, len(b.data), tmp_path / "j.dcm")
    with fc.FrameReader(path) as r:
        assert r.frame_table is not None and r.frame_table._lazy
        np.testing.assert_array_equal(r[2], b.reference[2])
        np.testing.assert_array_equal(r[:], b.reference)
