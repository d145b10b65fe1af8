"""The fault table (docs/faults.md), bad arguments: paths that are not regular files, bytes taken as a path or as
data, overlapping or closed buffers, frame indexes and transfer syntaxes of the wrong type; the exception each
raises and what the message says.

Every test here was a silent wrong result, a hang or a misleading error before the fix that came with it
(issue 10).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import framecodec as fc
from framecodec.slide import tile_positions


def path_readers() -> list:
    """Every function that takes a path: the header walks (FileSource) and the memory-mapped readers."""
    return [
        fc.encaps.locate_pixel_data,
        tile_positions,
        fc.pixel_array,
        fc.FrameReader,
        fc._core.MappedFile,
        lambda p: list(fc.iter_pixels(p)),
    ]


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
    done = subprocess.run(
        [sys.executable, "-c", FIFO_SCRIPT, str(fifo), reader], capture_output=True, text=True, timeout=60
    )
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
        (
            "decode_frame",
            lambda at: fc.codecs.decode_frame(place(deflated), "deflate", 8, 8, 1, 8, out=memoryview(buf)[at : at + n]),
        ),
        (
            "_decode_frames",
            lambda at: (
                fc._core._decode_frames(
                    place(deflated),
                    "deflate",
                    8,
                    8,
                    1,
                    8,
                    memoryview(buf)[at : at + n],
                    np.array([0], np.uint64),
                    np.array([len(deflated)], np.uint64),
                )
                or memoryview(buf)[at : at + n]
            ),
        ),
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


def test_a_closed_mmap_says_it_is_closed(dicom_path: Path) -> None:
    # Before: "buffer must be C-contiguous".
    import mmap

    with open(dicom_path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    mm.close()
    for call in (
        fc.encaps.locate_pixel_data,
        fc.encaps.scan_fragments,
        lambda b: fc.codecs.unpack_bits(b, 8),
        tile_positions,
    ):
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
    with (
        open(dicom_path, "rb") as f,
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as one,
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as two,
    ):
        t1 = loc.frame_table(one)
        first = bytes(fc.encaps.frame_bytes(one, t1, 0))
        with pytest.raises(ValueError, match="made from another buffer"):
            fc.encaps.frame_bytes(two, t1, 0)
        assert bytes(fc.encaps.frame_bytes(two, loc.frame_table(two), 0)) == first  # its own table
    # A table made by hand knows no buffer: it is used as given (as before).
    by_hand = fc.encaps.FrameTable(
        table.offsets,
        table.lengths,
        table.frame_fragments,
        table.source,
        table.first_item,
        table.end,
        table.has_delimiter,
    )
    assert bytes(fc.encaps.frame_bytes(b, by_hand, 0)) == b"XY"
