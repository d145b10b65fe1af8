"""The fault table (docs/faults.md): each class of hostile or broken input, the exception it raises and what
the message says. Every test here was a silent wrong result, a hang or a misleading error before the fix
that came with it (issue 10)."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from framecodec.slide import tile_positions
from datasets import DEFLATE, RLE, Layout, base_dataset, dataset, encapsulated_value, make_pixels, save, to_bytes

# ---------------------------------------------------------------- paths


@pytest.fixture
def dicom_path(tmp_path: Path) -> Path:
    layout = Layout(6, 5, frames=3)
    return save(dataset(make_pixels(layout, 1), layout, RLE), tmp_path / "three.dcm")


def path_readers() -> list:
    """Every function that takes a path: the header walks (FileSource) and the memory-mapped readers."""
    return [fc.encaps.locate_pixel_data, tile_positions, fc.pixel_array, fc.FrameReader, fc._core.MappedFile,
            lambda p: list(fc.iter_pixels(p))]  # fmt: skip


@pytest.mark.parametrize("read", path_readers())
def test_a_path_with_a_nul_byte_is_refused_as_open_refuses_it(read, dicom_path: Path) -> None:
    # Before: the header walks read the file named by the part before the NUL.
    with pytest.raises(ValueError, match="embedded null byte"):
        open(str(dicom_path) + "\0.txt", "rb")
    with pytest.raises(ValueError, match="embedded null byte"):
        read(str(dicom_path) + "\0.txt")
    with pytest.raises(ValueError, match="embedded null byte"):
        read(Path(str(dicom_path) + "\0"))


FIFO_SCRIPT = """
import os, sys
import framecodec as fc
from framecodec.slide import tile_positions
readers = {"locate": fc.encaps.locate_pixel_data, "tiles": tile_positions, "pixel_array": fc.pixel_array,
           "reader": fc.FrameReader, "mapped": fc._core.MappedFile}
try:
    readers[sys.argv[2]](sys.argv[1])
except OSError as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("reader", ["locate", "tiles", "pixel_array", "reader", "mapped"])
def test_a_fifo_is_refused_at_once(reader: str, tmp_path: Path) -> None:
    # Before: locate_pixel_data and tile_positions blocked forever in open(), waiting for a writer. In a child
    # process with a timeout, so that a regression fails instead of hanging the suite.
    fifo = tmp_path / "pipe.dcm"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-c", FIFO_SCRIPT, str(fifo), reader], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.stdout.startswith("OSError") and "not a regular file but a FIFO" in done.stdout, done


@pytest.mark.parametrize("read", path_readers())
def test_a_directory_is_a_directory(read, tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        read(tmp_path)


@pytest.mark.parametrize("read", path_readers())
def test_a_file_whose_size_is_not_its_length(read) -> None:
    # /proc files say 0 bytes and hold data; before: "is empty, not a DICOM file" or "Invalid argument".
    with pytest.raises(OSError, match=r"/proc \(procfs\), whose size \(0 bytes\) is not its length"):
        read("/proc/self/status")
    sys_file = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if sys_file.exists():  # /sys files say 4096 bytes whatever they hold; before: "No such device"
        with pytest.raises(OSError, match=r"/sys \(sysfs\), whose size \(4096 bytes\) is not its length"):
            read(sys_file)


def test_a_bytes_path_is_a_path_where_open_would_take_it(dicom_path: Path) -> None:
    # Before: pixel_array and FrameReader refused bytes ("not bytes"); open() takes them as paths.
    expected = fc.pixel_array(dicom_path)
    raw = os.fsencode(dicom_path)
    assert np.array_equal(fc.pixel_array(raw), expected)
    assert np.array_equal(np.stack(list(fc.iter_pixels(raw))), expected)
    with fc.FrameReader(raw) as r:
        assert r.path == str(dicom_path) and np.array_equal(r[:], expected)


@pytest.mark.parametrize("read", [fc.encaps.locate_pixel_data, tile_positions])
def test_bytes_are_data_where_a_buffer_is_taken_and_the_error_says_they_name_a_file(read, dicom_path: Path) -> None:
    # locate_pixel_data and tile_positions take a buffer of the file's contents, bytes included; bytes that
    # happen to name a file are still data, but the error says how to pass the path.
    with pytest.raises(fc.EncapsulationError, match=r"they name a file: pass its path as str or os.PathLike"):
        read(os.fsencode(dicom_path))
    with pytest.raises(fc.EncapsulationError) as e:
        read(b"not a path, not a file")
    assert "name a file" not in str(e.value)
    if read is fc.encaps.locate_pixel_data:
        assert read(dicom_path.read_bytes()) == read(dicom_path)


# ---------------------------------------------------------------- out= that shares memory with the input


def overlapping_calls(buf: bytearray, packed: bytes, deflated: bytes, rle: bytes):
    """(name, call with out at a given offset of buf, where the input is copied at 0) for every out= function."""
    n = 64

    def place(data: bytes) -> memoryview:
        buf[: len(data)] = data
        return memoryview(buf)[: len(data)]

    return [
        ("unpack_bits", lambda at: fc.codecs.unpack_bits(place(packed), n, out=memoryview(buf)[at : at + n])),
        ("inflate", lambda at: fc.codecs.inflate(place(deflated), n, out=memoryview(buf)[at : at + n])),
        ("rle_decode", lambda at: fc.codecs.rle_decode(place(rle), 8, 8, 1, 8, out=memoryview(buf)[at : at + n])),
        ("decode_frame", lambda at: fc.codecs.decode_frame(place(deflated), "deflate", 8, 8, 1, 8,
                                                   out=memoryview(buf)[at : at + n])),  # fmt: skip
        ("_decode_frames", lambda at: fc._core._decode_frames(
            place(deflated), "deflate", 8, 8, 1, 8, memoryview(buf)[at : at + n], np.array([0], np.uint64),
            np.array([len(deflated)], np.uint64)) or memoryview(buf)[at : at + n]),  # fmt: skip
    ]


def test_out_overlapping_the_input_is_refused() -> None:
    # Before: unpack_bits into an out that shared the input's memory gave wrong values (it writes 8 bytes for
    # every byte it reads); inflate and RLE likewise overwrite input they have yet to read.
    values = (np.arange(64) % 3 == 0).astype(np.uint8)
    packed = fc.codecs.pack_bits(values)
    deflated = fc.codecs.deflate(values.tobytes())
    rle = fc.codecs.rle_encode(values.tobytes(), 8, 8, 1, 8)
    buf = bytearray(4096)
    for name, call in overlapping_calls(buf, packed, deflated, rle):
        for at in (0, 1, 4):  # out over the input's first bytes, and starting inside it
            with pytest.raises(ValueError, match=r"out overlaps .* decoding in place is not supported"):
                call(at)
        got = call(1024)  # beside the input: fine
        assert np.array_equal(np.asarray(got).reshape(-1)[:64], values), name


# ---------------------------------------------------------------- arguments: the error says what is wrong


def test_a_closed_mmap_says_it_is_closed(dicom_path: Path) -> None:
    # Before: "buffer must be C-contiguous".
    import mmap

    with open(dicom_path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    mm.close()
    for call in (fc.encaps.locate_pixel_data, fc.encaps.scan_fragments, lambda b: fc.codecs.unpack_bits(b, 8),
                 tile_positions):
        with pytest.raises(ValueError, match="cannot be read: mmap closed or invalid"):
            call(mm)
    released = memoryview(b"abcd")
    released.release()
    with pytest.raises(ValueError, match="cannot be read: operation forbidden on released memoryview"):
        fc.codecs.inflate(released, 4)
    with pytest.raises(ValueError, match="data must be C-contiguous"):
        fc.codecs.unpack_bits(np.zeros((4, 4), np.uint8)[:, ::2], 8)
    with pytest.raises(TypeError, match="out must be writable"):
        fc.codecs.inflate(fc.codecs.deflate(b"abcd"), 4, out=bytes(4))


def test_a_float_frame_index_is_a_type_error() -> None:
    # Before: AttributeError ("'float' object has no attribute '__index__'").
    buf = fc.encaps.encapsulate([b"ab", b"cd"])
    table = fc.encaps.frame_table(buf, 2)
    for index in (1.0, np.float64(1), "1", True):
        with pytest.raises(TypeError, match="frame index must be an int"):
            fc.encaps.frame_bytes(buf, table, index)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="frame index must be an int"):
            table.fragments(index)  # type: ignore[arg-type]
    assert bytes(fc.encaps.frame_bytes(buf, table, np.int64(1))) == b"cd"
    assert bytes(fc.encaps.frame_bytes(buf, table, -1)) == b"cd"


def test_a_transfer_syntax_without_a_utf8_form_is_a_value_error() -> None:
    # Before: pybind11's RuntimeError "Unable to cast Python instance of type <class 'str'> to C++ type".
    buf = fc.encaps.encapsulate([b"ab", b"cd"])
    with pytest.raises(ValueError, match=r"transfer_syntax is not valid text: .* no UTF-8 form"):
        fc.encaps.frame_table(buf, 2, transfer_syntax="1.2.840.10008.1.2.4.50\udcff")
    assert fc.encaps.frame_table(buf, 2, transfer_syntax="1.2.840.10008.1.2.4.50é").source == "basic"


@pytest.mark.parametrize("huge", [2**63, 2**64 - 1])
def test_offsets_of_2_63_and_more_are_refused_for_what_they_are(huge: int) -> None:
    # Before: a list holding 2**63 became float64 in numpy and was refused as "got float64", a list holding
    # 2**64 as "got object": neither is the reason. Now the values reach the table checks, which say where.
    buf = fc.encaps.encapsulate([b"ab", b"cd"], offset_table="none")
    for offsets, lengths in (([0, huge], [2, 2]), ((0, huge), (2, 2)), ([0, 10], [2, huge])):
        with pytest.raises(fc.EncapsulationError, match=rf"frame 1: the Extended Offset Table (offset|length) {huge}"):
            fc.encaps.frame_table(buf, 2, offsets, lengths)
    with pytest.raises(ValueError, match=r"extended_offsets\[1\] is 18446744073709551616, more than an unsigned 64-bit"):
        fc.encaps.frame_table(buf, 2, [0, 2**64], [2, 2])
    with pytest.raises(ValueError, match=r"extended_lengths must not be negative: extended_lengths\[0\] is -2"):
        fc.encaps.frame_table(buf, 2, [0, 10], [-2, 2])
    with pytest.raises(TypeError, match=r"extended_offsets\[1\] is float, not an integer"):
        fc.encaps.frame_table(buf, 2, [0, 10.0], [2, 2])
    # The engine's own arrays: integers only, never a float truncated or a negative value wrapped.
    out = np.zeros(2, np.uint8)
    with pytest.raises(TypeError, match=r"offsets must hold integers .* got dtype float64 \(numpy makes a list"):
        fc._core._decode_frames(buf, "uncompressed", 1, 1, 1, 8, out, [16, huge], [2, 2])
    with pytest.raises(ValueError, match="offsets must not be negative"):
        fc._core._decode_frames(buf, "uncompressed", 1, 1, 1, 8, out, np.array([16, -1]), [2, 2])
    with pytest.raises(fc.EncapsulationError, match=rf"frame 1: its data \(2 bytes at offset {huge}\) runs past the end"):
        fc._core._decode_frames(buf, "uncompressed", 1, 1, 1, 8, out, np.array([16, huge], np.uint64), [2, 2])
    with pytest.raises(fc.EncapsulationError, match=r"puts its item outside the 28-byte data"):
        fc._core._verify_extended_frames(buf, np.array([huge, 26], np.uint64), np.array([2, 2], np.uint64), 0, 1)


# ---------------------------------------------------------------- encapsulation that disagrees with itself


def test_an_extended_offset_table_length_shorter_than_its_item_is_refused() -> None:
    # Before: accepted, and frame_bytes returned the first `length` bytes of the item: a short frame.
    frames = [b"aaaa", b"bbbbbb", b"cccc"]
    buf, eo, el = fc.encaps.encapsulate_extended(frames)
    lengths = np.frombuffer(el, "<u8").copy()
    for i in (0, 1, 2):  # the first and last frames are checked by frame_table, the others when read
        short = lengths.copy()
        short[i] -= 2
        with pytest.raises(fc.EncapsulationError, match=rf"frame {i}: the Extended Offset Table length {short[i]} is "
                                                         rf"shorter than its fragment's length {lengths[i]}"):  # fmt: skip
            table = fc.encaps.frame_table(buf, 3, eo, short)
            fc.encaps.frame_bytes(buf, table, i)
    # One byte short of an item that ends in the 0x00 pad byte: an odd codestream's own length, accepted.
    odd = [b"abc", b"defgh", b"i"]
    buf, eo, el = fc.encaps.encapsulate_extended(odd)
    unpadded = np.array([len(f) for f in odd], np.uint64)
    table = fc.encaps.frame_table(buf, 3, eo, unpadded)
    assert [bytes(f) for f in fc.encaps.iter_frames(buf, table)] == odd
    padded = fc.encaps.frame_table(buf, 3, eo, el)
    assert [bytes(f) for f in fc.encaps.iter_frames(buf, padded)] == [f + b"\0" for f in odd]
    not_a_pad = bytearray(buf)
    not_a_pad[8 + 8 + 3] = 0x55  # frame 0's pad byte is data now
    with pytest.raises(fc.EncapsulationError, match="frame 0: the Extended Offset Table length 3 is shorter"):
        fc.encaps.frame_table(bytes(not_a_pad), 3, eo, unpadded)


def nested_sequences(levels: int) -> bytes:
    """An explicit VR data set whose first element is `levels` sequences of undefined length, each in the item
    (of undefined length) of the one around it, then encapsulated Pixel Data."""
    def el(tag: int, vr: bytes, value: bytes, length: int | None = None) -> bytes:
        n = len(value) if length is None else length
        if tag >> 16 == 0xFFFE:
            return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, n) + value
        return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, vr, 0, n) + value

    undefined = 0xFFFFFFFF
    inner = b""
    for _ in range(levels):
        item = el(0xFFFEE000, b"", b"", undefined) + inner + el(0xFFFEE00D, b"", b"")
        inner = el(0x00081115, b"SQ", b"", undefined) + item + el(0xFFFEE0DD, b"", b"")
    return inner + el(0x7FE00010, b"OB", b"", undefined) + fc.encaps.encapsulate([b"ab"], delimiter=True)


def test_the_sequence_nesting_limit_is_the_one_the_message_states() -> None:
    # Before: items counted as levels too, so 33 nested sequences were refused as "nested more than 64 deep".
    assert fc.encaps.locate_pixel_data(nested_sequences(64)).encapsulated
    with pytest.raises(fc.EncapsulationError, match="has no Plane Position"):  # past the 64 levels, to the end
        tile_positions(nested_sequences(64))
    for read in (fc.encaps.locate_pixel_data, tile_positions):
        with pytest.raises(fc.EncapsulationError, match="sequences nested more than 64 deep"):
            read(nested_sequences(65))


def with_number_of_frames(source: Path | str, value: str, out: Path) -> Path:
    import pydicom

    ds = pydicom.dcmread(source)
    ds.NumberOfFrames = value
    ds.save_as(out)
    return out


def test_number_of_frames_0_is_refused_not_read_as_1(tmp_path: Path, dicom_path: Path) -> None:
    # Before: the frame table of locate_pixel_data's location and the reader of transfer syntaxes pydicom
    # decodes took "0" for 1 frame, silently.
    zero = with_number_of_frames(dicom_path, "0", tmp_path / "zero.dcm")
    loc = fc.encaps.locate_pixel_data(zero)
    assert loc.number_of_frames == 0
    with pytest.raises(fc.EncapsulationError, match=r"\(0028,0008\) Number of Frames is 0"):
        loc.frame_table(zero.read_bytes())
    assert len(loc.frame_table(zero.read_bytes(), 3)) == 3  # the caller may say how many
    with pytest.raises(ValueError, match=r"\(0028,0008\) Number of Frames must be at least 1, got 0"):
        fc.pixel_array(zero)
    with pytest.raises(ValueError, match=r"Number of Frames must be at least 1, got 0"):
        fc.FrameReader(zero)
    import pydicom.data

    jpeg = with_number_of_frames(pydicom.data.get_testdata_file("SC_rgb_jpeg_dcmtk.dcm"), "0", tmp_path / "jpeg.dcm")
    with fc.FrameReader(jpeg) as r:  # decoded by pydicom: the count is framecodec's to read
        with pytest.raises(ValueError, match=r"Number of Frames must be at least 1, got 0"):
            len(r)
    with pytest.raises(ValueError, match=r"Number of Frames must be at least 1, got 0"):
        fc.pixel_array(jpeg, [0])


def item_boundaries(value_start: int, data: bytes) -> list[int]:
    """Where each item of the encapsulated value starting at value_start begins, and where the data ends."""
    out, pos = [], value_start
    while pos + 8 <= len(data) and data[pos : pos + 4] == b"\xfe\xff\x00\xe0":
        out.append(pos)
        pos += 8 + struct.unpack("<I", data[pos + 4 : pos + 8])[0]
    return out + [pos]


@pytest.mark.parametrize("layout_kind", ["basic, two fragments per frame", "markers", "single frame"])
def test_a_file_cut_at_an_item_boundary_is_truncated_not_a_short_last_frame(layout_kind: str, tmp_path: Path) -> None:
    # Before: a file cut where one of the last frame's items ends read as a complete value: frame_bytes and
    # FrameReader.raw returned the last frame without its remaining fragments, with no error.
    from pydicom.uid import JPEGBaseline8Bit

    n = 1 if layout_kind == "single frame" else 3
    layout = Layout(8, 8, 3, frames=n)
    jpeg = [b"\xff\xd8" + bytes([i]) * 40 + b"\xff\xd9" for i in range(n)]
    ds = base_dataset(layout, JPEGBaseline8Bit)
    ds.PixelData = encapsulated_value(jpeg, fragments_per_frame=3, bot=layout_kind.startswith("basic"))
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    data = to_bytes(ds)
    loc = fc.encaps.locate_pixel_data(data)
    whole = loc.frame_table(data)
    assert whole.has_delimiter and bytes(fc.encaps.frame_bytes(data, whole, -1)).startswith(jpeg[-1])
    last_frame_items = item_boundaries(loc.offset, data)[-4:-1]  # the last frame's three items begin here
    for cut in last_frame_items[1:]:  # after one of the last frame's items, after two
        short = data[:cut]
        with pytest.raises(fc.EncapsulationError, match=r"truncated Pixel Data: .* without its sequence delimiter"):
            fc.encaps.locate_pixel_data(short).frame_table(short)
        path = tmp_path / "cut.dcm"
        path.write_bytes(short)
        # JPEG frames are the engine's (libjpeg-turbo): the frame table is built, and refused, when the file opens
        with pytest.raises(ValueError, match="without its sequence delimiter"), fc.FrameReader(path) as r:
            r.raw(n - 1)
    # Cut before the delimiter only: the last fragment ends with the codestream's EOI (FF D9), which JPEG's coded
    # data never holds, so the last frame is known to be whole (PS3.5 A.4, ITU-T T.81 B.1.1.5).
    short = data[: len(data) - 8]
    table = fc.encaps.locate_pixel_data(short).frame_table(short)
    assert not table.has_delimiter and bytes(fc.encaps.frame_bytes(short, table, -1)) == jpeg[-1]
    # A bare value (as pydicom holds PixelData) has no delimiter to miss: read as it is, documented.
    value = ds.PixelData
    assert len(fc.encaps.frame_table(value[: last_frame_items[1] - loc.offset], n)) == n


def test_a_file_cut_before_its_delimiter_still_decodes_when_the_last_frame_is_whole(tmp_path: Path) -> None:
    # One fragment per frame by the transfer syntax (RLE, deflate, encapsulated uncompressed) or the Extended
    # Offset Table: the last frame's end is known, and the decoders check each frame's size.
    layout = Layout(6, 6, frames=3)
    for ts, kwargs in ((RLE, {}), (DEFLATE, {"bot": False}), (RLE, {"extended": True})):
        data = to_bytes(dataset(make_pixels(layout, 3), layout, ts, **kwargs))
        table = fc.encaps.locate_pixel_data(data[:-8]).frame_table(data[:-8])
        assert not table.has_delimiter and len(table) == 3
        assert np.array_equal(fc.pixel_array(io.BytesIO(data[:-8])), fc.pixel_array(io.BytesIO(data)))


def test_tiled_full_optical_paths_past_the_optical_path_sequence_are_refused() -> None:
    # Found by fuzz_tile_positions: Number of Optical Paths 2 and an Optical Path Sequence of 1 item gave
    # frames on optical path 1, an index past optical_path_identifiers.
    from pydicom.sequence import Sequence as DicomSequence

    import wsi_util as w

    slide = w.Slide(across=2, down=2, paths=("p", "q"))
    ds = w.wsi_dataset(slide, None, dimension_organization="TILED_FULL")
    p = tile_positions(w.to_bytes(ds))
    assert [p.optical_path_identifiers[i] for i in p.optical_paths] == ["p"] * 4 + ["q"] * 4
    ds.OpticalPathSequence = DicomSequence(list(ds.OpticalPathSequence)[:1])
    with pytest.raises(fc.EncapsulationError, match=r"frame 4 of the TILED_FULL order is on optical path 1, but the "
                                                     r"Optical Path Sequence \(0048,0105\) has 1 item"):  # fmt: skip
        tile_positions(w.to_bytes(ds))


def test_a_frame_table_reads_only_the_buffer_it_was_made_from(dicom_path: Path) -> None:
    # Before: a table used with another buffer of the same length returned that buffer's bytes at its offsets.
    import mmap

    a = fc.encaps.encapsulate([b"ab", b"cd"])
    b = fc.encaps.encapsulate([b"XY", b"ZW"])
    assert len(a) == len(b)
    table = fc.encaps.frame_table(a, 2)
    with pytest.raises(ValueError, match="the frame table was made from another buffer .* pass the buffer the table"):
        fc.encaps.frame_bytes(b, table, 0)
    with pytest.raises(ValueError, match="made from another buffer"):
        list(fc.encaps.iter_frames(bytearray(a), table))  # a copy is another buffer too
    assert bytes(fc.encaps.frame_bytes(memoryview(a), table, 1)) == b"cd"  # a view of it is the same buffer
    assert bytes(fc.encaps.frame_bytes(np.frombuffer(a, np.uint8), table, 0)) == b"ab"
    # A file: the table made over one map does not read a second map of the same file (another address).
    loc = fc.encaps.locate_pixel_data(dicom_path)
    with open(dicom_path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as one, \
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as two:  # fmt: skip
        t1 = loc.frame_table(one)
        first = bytes(fc.encaps.frame_bytes(one, t1, 0))
        with pytest.raises(ValueError, match="made from another buffer"):
            fc.encaps.frame_bytes(two, t1, 0)
        assert bytes(fc.encaps.frame_bytes(two, loc.frame_table(two), 0)) == first  # its own table
    # A table made by hand knows no buffer: it is used as given (as before).
    by_hand = fc.encaps.FrameTable(table.offsets, table.lengths, table.frame_fragments, table.source, table.first_item,
                            table.end, table.has_delimiter)  # fmt: skip
    assert bytes(fc.encaps.frame_bytes(b, by_hand, 0)) == b"XY"


# ---------------------------------------------------------------- the fuzzers' findings, through the Python API

REGRESSIONS = Path(__file__).parent / "fuzz" / "regressions"


def regression_inputs(*targets: str) -> list:
    return [pytest.param(t, p, id=f"{t}/{p.name}") for t in targets for p in sorted((REGRESSIONS / t).glob("*"))
            if p.is_file()]  # fmt: skip


@pytest.mark.parametrize(("target", "path"), regression_inputs("locate", "tile_positions", "batch"))
def test_fuzz_regression_inputs_through_the_python_api(target: str, path: Path) -> None:
    # tests/fuzz/run.sh replays every saved input through its fuzz target; the whole-file ones also go through
    # the functions a user calls: a result or a ValueError, never a crash or a wrong-sized answer.
    data = path.read_bytes()
    if target == "batch":
        data = data[3:]  # the target's layout bytes, then the file
    try:
        if target == "tile_positions":
            p = tile_positions(data)
            n = p.number_of_frames
            assert len(p.column_positions) == len(p.optical_paths) == n
            assert all(i < len(p.optical_path_identifiers) for i in p.optical_paths.tolist()) or (
                p.source == "tiled_full" and not p.optical_path_identifiers
            )
        else:
            fc.encaps.locate_pixel_data(data)
            fc.pixel_array(io.BytesIO(data))
    except ValueError:
        pass


def test_the_regression_folders_hold_inputs() -> None:
    # The replay above must not pass by finding nothing: the tile walk's finding is there.
    assert regression_inputs("tile_positions")


def test_extended_offsets_closer_than_an_item_header_are_refused() -> None:
    # Found by fuzz_encaps: two offsets 3 bytes apart made `next - offset - 8` wrap around, so the length check
    # passed and the table held a frame running past the end of the buffer (caught only when it was read).
    buf = fc.encaps.encapsulate([b"aaaa", b"bb", b"cc"], offset_table="none")
    with pytest.raises(fc.EncapsulationError, match=r"frame 1: the Extended Offset Table offsets 12 and 15 \(frame 2\) "
                                                     r"are 3 bytes apart, too close for an item header"):  # fmt: skip
        fc.encaps.frame_table(buf, 3, [0, 12, 15], [4, 2, 2])


# ---------------------------------------------------------------- header claims refused before allocation (issue 18)

HUGE = 65535  # Rows and Columns: 4 GiB per 8-bit frame
IMAGE_SYNTAXES = {"jpeg": "1.2.840.10008.1.2.4.50", "j2k": "1.2.840.10008.1.2.4.90",
                  "htj2k": "1.2.840.10008.1.2.4.201", "jpegls": "1.2.840.10008.1.2.4.80"}  # fmt: skip
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"


def claiming(layout: Layout, syntax: str, frames: list[bytes], bot: bool = True) -> bytes:
    """A file whose header claims ``layout`` and whose Pixel Data holds ``frames`` (one fragment each)."""
    ds = base_dataset(layout, syntax)
    ds.PixelData = encapsulated_value(frames, bot=bot)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return to_bytes(ds)


def raw_deflate(data: bytes) -> bytes:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


SCRATCH_SCRIPT = """
import sys
import numpy as np
import framecodec as fc
import framecodec.pixels

def hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))

# Past the Python check (pixel_array refuses such files before allocating): the engine on its own must not size a
# scratch buffer from the claim either.
framecodec.pixels.check_claims = lambda frames, sel, headers=True: None
path, rows, spp, bits, planar = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
stream = bytes.fromhex(sys.argv[6])
shape = (rows, rows, spp) if spp > 1 else (rows, rows)
out = np.empty(shape, np.uint8)  # never written: its pages cost nothing
for name, decode in [
    ("pixel_array", lambda: fc.pixel_array(path, out=out, threads=4)),
    ("decode_frame", lambda: fc.codecs.decode_frame(stream, "deflate", rows, rows, spp, bits, out=out.reshape(-1),
                                             planar=planar, backend="libdeflate")),
    ("decode_frame zlib", lambda: fc.codecs.decode_frame(stream, "deflate", rows, rows, spp, bits, out=out.reshape(-1),
                                                  planar=planar, backend="zlib")),
]:
    before = hwm()
    try:
        decode()
        print(name, 0, "decoded", sep="\\t")
    except ValueError as e:
        print(name, hwm() - before, e, sep="\\t")
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is read from /proc/self/status (Linux)")
@pytest.mark.parametrize(("rows", "spp", "bits", "planar"), [(8192, 3, 8, 1), (23170, 1, 1, 0)],
                         ids=["planar", "one_bit"])  # fmt: skip
def test_a_tiny_deflate_frame_claiming_a_huge_frame_costs_no_scratch_memory(
    tmp_path: Path, rows: int, spp: int, bits: int, planar: int
) -> None:
    # Before: libdeflate's path for planar and 1-bit frames zero-filled a scratch buffer of the whole claimed frame
    # (std::vector::resize) before finding the 6-byte stream short: RSS grew by the claim, per worker.
    if not fc.backends().get("libdeflate"):
        pytest.skip("the scratch buffer belongs to the libdeflate path; this build has no libdeflate")
    layout = Layout(rows, rows, samples=spp, bits=bits, planar=planar)
    stream = raw_deflate(bytes(100))
    data = claiming(layout, DEFLATE, [stream])
    assert len(data) < 1024
    path = tmp_path / "huge_frame.dcm"
    path.write_bytes(data)
    claim = rows * rows * spp if bits == 8 else (rows * rows + 7) // 8
    run = subprocess.run([sys.executable, "-c", SCRATCH_SCRIPT, str(path), str(rows), str(spp), str(bits),
                          str(planar), stream.hex()], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 3, run.stdout
    for line in lines:
        name, growth, message = line.split("\t")
        assert int(growth) < claim // 4, f"{name}: the peak RSS grew by {int(growth)} bytes for a {claim}-byte claim"
        assert f"its {len(stream)} bytes of deflate data can decode to at most {1032 * len(stream) + 258} bytes" in (
            message), line  # fmt: skip
        assert f"claims {claim} bytes per frame" in message, line
        if name == "pixel_array":
            assert message.startswith("frame 0: "), line


def engine_codecs() -> list:
    """deflate, RLE, Encapsulated Uncompressed and each image codec this build decodes."""
    built = fc.backends()["codecs"]
    params = [pytest.param(DEFLATE, id="deflate"), pytest.param(RLE, id="rle"),
              pytest.param(ENCAPSULATED_UNCOMPRESSED, id="uncompressed")]  # fmt: skip
    for codec, syntax in IMAGE_SYNTAXES.items():
        reason = f"this build has no {codec} decoder" if not built.get(codec) else ""
        params.append(pytest.param(syntax, id=codec, marks=pytest.mark.skipif(bool(reason), reason=reason)))
    return params


@pytest.fixture
def no_huge_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy.empty / zeros refuse to allocate more than 1 GB: the check must come first."""
    for name in ("empty", "zeros"):
        real = getattr(np, name)

        def guarded(shape: object, dtype: object = float, *args: object, _real: Any = real, **kwargs: object) -> object:
            n = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize  # type: ignore[call-overload]
            assert n <= 1 << 30, f"numpy asked for {n} bytes"
            return _real(shape, dtype, *args, **kwargs)

        monkeypatch.setattr(np, name, guarded)


@pytest.mark.parametrize("syntax", engine_codecs())
@pytest.mark.parametrize("frame_size", [6, 100])
def test_a_small_file_claiming_terabytes_is_refused_before_allocating(tmp_path: Path, syntax: str, frame_size: int,
                                                                      no_huge_arrays: None) -> None:  # fmt: skip
    # Before: pixel_array allocated 1000 x 65535 x 65535 bytes (3.9 TiB) from the header first: a MemoryError, or
    # where memory overcommits an allocation and a late error. 100-byte frames pass RLE's 64-byte header.
    import time

    layout = Layout(HUGE, HUGE, frames=1000)
    data = claiming(layout, syntax, [bytes(frame_size)] * 1000, bot=False)
    assert len(data) < 120_000
    path = tmp_path / "claims.dcm"
    path.write_bytes(data)
    per_frame, total = HUGE * HUGE, HUGE * HUGE * 1000
    readers = {
        "pixel_array": lambda: fc.pixel_array(path),
        "pixel_array of a file object": lambda: fc.pixel_array(io.BytesIO(data)),
        "pixel_array of frames 3 and 4": lambda: fc.pixel_array(path, [3, 4]),
        "iter_pixels": lambda: next(iter(fc.iter_pixels(path))),
        "FrameReader.read": lambda: fc.FrameReader(path).read(),
        "decompress": lambda: fc.decompress(__import__("pydicom").dcmread(io.BytesIO(data))),
    }
    for name, read in readers.items():
        with pytest.raises(ValueError) as caught:
            read()
        message = str(caught.value)
        first = 3 if "frames 3" in name else 0
        assert message.startswith(f"frame {first}: "), (name, message)
        # the compressed size, or (JPEG 2000, JPEG-LS: no ratio bound) that the header is no header of this frame
        assert f"its {frame_size}" in message or "this is not the" in message, (name, message)
        assert f"claims {per_frame} bytes per frame (Rows {HUGE} x Columns {HUGE}" in message, (name, message)
        assert message.endswith("refused before allocating"), (name, message)
        if name in ("pixel_array", "FrameReader.read", "decompress"):
            assert f"{total} bytes for the 1000 frames asked for" in message, (name, message)


def test_the_bound_is_not_refusing_deflate_at_its_best_ratio(tmp_path: Path) -> None:
    # zlib compresses zeros about 1029:1, close to raw deflate's 1032:1: such frames must still decode, 1-bit ones
    # (8 pixels a byte) included.
    for layout in (Layout(4096, 4096, frames=2), Layout(4096, 4096, bits=1, frames=2)):
        stored = 4096 * 4096 if layout.bits == 8 else 4096 * 4096 // 8
        stream = raw_deflate(bytes(stored))
        assert stored / len(stream) > 1000
        path = tmp_path / f"zeros{layout.bits}.dcm"
        path.write_bytes(claiming(layout, DEFLATE, [stream, stream]))
        arr = fc.pixel_array(path)
        assert arr.shape == (2, 4096, 4096) and not arr.any()


def test_an_arithmetic_coded_jpeg_has_no_ratio_bound(tmp_path: Path) -> None:
    # T.81 arithmetic coding can spend less than a bit per block: such a frame is left to the codec's own checks.
    if not fc.backends()["codecs"].get("jpeg"):
        pytest.skip("this build has no JPEG decoder")
    sof9 = b"\xff\xc9" + struct.pack(">HBHHB", 11, 8, 4096, 4096, 1) + b"\x01\x11\x00"
    frame = b"\xff\xd8" + sof9 + b"\xff\xd9"
    path = tmp_path / "arith.dcm"
    path.write_bytes(claiming(Layout(4096, 4096), IMAGE_SYNTAXES["jpeg"], [frame]))
    with pytest.raises(fc.DecodeError) as caught:
        fc.pixel_array(path)
    assert "refused before allocating" not in str(caught.value)
    huffman = frame.replace(b"\xff\xc9", b"\xff\xc0")
    path.write_bytes(claiming(Layout(4096, 4096), IMAGE_SYNTAXES["jpeg"], [huffman]))
    with pytest.raises(fc.DecodeError, match=r"frame 0: its 18 bytes of JPEG data can decode to at most 36864 bytes"):
        fc.pixel_array(path)
