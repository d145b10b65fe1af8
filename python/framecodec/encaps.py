"""Encapsulated Pixel Data (PS3.5 A.4): scanning fragments and frames, locating Pixel Data in a file, writing it.

- :func:`locate_pixel_data` -> :class:`PixelDataLocation`: where the Pixel Data value is in a file or buffer, its
  transfer syntax, Number of Frames and Extended Offset Table; a path is read only up to the Pixel Data element.
- :func:`frame_table` -> :class:`FrameTable`: each frame's fragments, from the Extended or Basic Offset Table, one
  fragment per frame, or JPEG / JPEG 2000 start markers (``PixelDataLocation.frame_table(buffer)`` for a file).
- :func:`frame_bytes`, :func:`iter_frames`: a frame's codestream, a zero-copy ``memoryview`` when it is one
  fragment, joined ``bytes`` otherwise.
- :func:`scan_fragments` -> :class:`FragmentTable`: every fragment, the Basic Offset Table, the delimiter.
- :func:`encapsulate`, :func:`encapsulate_extended`: one fragment per frame, byte-identical to
  ``pydicom.encaps.encapsulate`` / ``encapsulate_extended``.
- :class:`EncapsulationError` (a ``ValueError``, also ``framecodec.EncapsulationError``): malformed, truncated
  or inconsistent data, naming the frame or byte offset.

The native core walks the item sequence with the GIL released and fills numpy arrays; nothing here
copies a frame until :func:`frame_bytes` is asked for one, and a frame that is one fragment comes
back as a zero-copy ``memoryview`` of the caller's buffer. Every offset is a byte offset from the
start of the buffer that was scanned, so a whole file in an ``mmap`` and the location that
:func:`locate_pixel_data` reports fit together::

    loc = locate_pixel_data(path)                       # reads only the header
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        table = loc.frame_table(mm)                      # or frame_table(mm, n, offset=loc.offset, ...)
        first = frame_bytes(mm, table, 0)
        ...
        del first                                        # release views before the mmap closes

Reading follows pydicom's ``pydicom.encaps`` where the data are valid and is stricter where they are
not: a fragment that runs past the end of the buffer, a partial item header, an offset table that does
not match the fragments, or frames that cannot be told apart raise :class:`EncapsulationError` instead
of returning short or guessed frames. A value that ends without the sequence delimiter (as pydicom holds
``PixelData`` in memory) is read and reported with ``has_delimiter=False``.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import EncapsulationError, encapsulate, encapsulate_extended

if TYPE_CHECKING:
    from typing_extensions import Buffer

U64Array = npt.NDArray[np.uint64]
#: Offsets or lengths as numpy integers, a list of ints, or the raw OV bytes of (7FE0,0001/0002).
OffsetsLike = Union[U64Array, "Buffer", "list[int]", "tuple[int, ...]"]
FrameSource = Literal["extended", "basic", "one_per_frame", "single_frame", "markers"]

__all__ = [
    "EncapsulationError",
    "FragmentTable",
    "FrameTable",
    "PixelDataLocation",
    "encapsulate",
    "encapsulate_extended",
    "frame_bytes",
    "frame_table",
    "iter_frames",
    "locate_pixel_data",
    "scan_fragments",
]


@dataclass(frozen=True)
class FragmentTable:
    """The items of an encapsulated Pixel Data value, as :func:`scan_fragments` found them."""

    #: Each fragment's value (past its 8-byte item header), from the start of the buffer. Read-only.
    offsets: U64Array
    #: Each fragment's value length. Read-only.
    lengths: U64Array
    #: The Basic Offset Table's values (uint32 in the data, widened); empty when the table is empty.
    basic_offsets: U64Array
    #: The item tag after the Basic Offset Table: the origin of Basic and Extended Offset Table offsets.
    first_item: int
    #: Just past the sequence delimiter item, or the end of the buffer when there is none.
    end: int
    #: Whether the sequence delimiter (FFFE,E0DD) ended the value (else the end of the buffer did).
    has_delimiter: bool

    def __len__(self) -> int:
        return len(self.offsets)


#: Which fragments make up each frame, as :func:`frame_table` found them: the native class (read-only ``offsets``,
#: ``lengths`` and ``frame_fragments`` arrays, viewing the table's own memory; ``source``, ``first_item``, ``end``,
#: ``has_delimiter``, and ``buffer_address``/``buffer_size``, where the bytes of the buffer it was made from are).
#: A table made by hand knows no buffer; a pickled one leaves its buffer behind and :func:`frame_bytes` refuses it.
FrameTable = _core.FrameTable
#: Where the top-level Pixel Data of a file or data set is, from :func:`locate_pixel_data`; its ``frame_table``
#: method builds the table of that Pixel Data in the file's buffer (and refuses a value cut short).
PixelDataLocation = _core.PixelDataLocation


def scan_fragments(buffer: Buffer, offset: int = 0) -> FragmentTable:
    """Walk the item sequence of an encapsulated Pixel Data value without copying it.

    ``buffer`` is any C-contiguous buffer (bytes, bytearray, memoryview, numpy array, mmap); the value
    starts at ``offset`` with the Basic Offset Table's item tag and ends at the sequence delimiter or at
    the end of ``buffer``. Raises :class:`EncapsulationError`, naming the byte offset, when the first item
    is not the Basic Offset Table, an item has undefined length, another tag appears, or an item runs past
    the end of the buffer (a truncated value). Odd fragment lengths are reported as they are.
    """
    offsets, lengths, bot, first_item, end, has_delimiter = _core._scan_fragments(buffer, offset)
    return FragmentTable(offsets, lengths, bot, first_item, end, has_delimiter)


def frame_table(
    buffer: Buffer,
    number_of_frames: int,
    extended_offsets: OffsetsLike | None = None,
    extended_lengths: OffsetsLike | None = None,
    transfer_syntax: str | None = None,
    *,
    offset: int = 0,
) -> FrameTable:
    """For each of ``number_of_frames`` frames, the fragments that make it up.

    The value starts at ``offset`` in ``buffer`` (see :func:`scan_fragments`). Frame boundaries come from,
    in order of preference:

    1. the Extended Offset Table, ``extended_offsets`` and ``extended_lengths`` (numpy arrays, lists, or the
       raw OV bytes of (7FE0,0001) and (7FE0,0002)); one fragment per frame (PS3.3 C.7.6.3.1.8); both
       empty is the same as none; a filled Basic Offset Table next to it (not allowed) is ignored, as pydicom does;
    2. the Basic Offset Table, when it is not empty;
    3. one fragment per frame, when there are as many fragments as frames;
    4. a single frame takes all fragments;
    5. the codestream: a frame starts at each fragment that begins with a JPEG SOI marker (FFD8, JPEG,
       JPEG-LS, lossless JPEG) or with JPEG 2000 SOC and SIZ markers (FF4F FF51, JPEG 2000, HTJ2K), chosen by
       ``transfer_syntax`` (a UID) or, without one, by the first fragment's first bytes.

    With an Extended Offset Table the table is made from the table alone (its consistency, and its first and
    last frame's items, are checked here) so that opening a memory-mapped file of many frames reads none of
    the others; :func:`frame_bytes` and :func:`iter_frames` check each other frame's item when they read it.

    Raises :class:`EncapsulationError` naming the frame and the cause when the tables and the data disagree:
    a table with the wrong number of entries, an offset that does not land on an item tag or does not
    increase, a first offset that skips fragments, an Extended Offset Table frame longer than its fragment
    or spread over several, fewer fragments than frames, or a codestream whose frame starts do not number
    ``number_of_frames``. pydicom instead guesses (JPEG EOI near a fragment's end) and may yield more or
    fewer frames than asked for; on valid data both give the same frames.
    """
    if (extended_offsets is None) != (extended_lengths is None):
        raise ValueError("extended_offsets and extended_lengths must be given together")
    if transfer_syntax is not None and not isinstance(transfer_syntax, str):
        raise TypeError(f"transfer_syntax must be a UID string or None, not {type(transfer_syntax).__name__}")
    eo = _as_u64(extended_offsets, "extended_offsets")
    el = _as_u64(extended_lengths, "extended_lengths")
    return _core._frame_table(buffer, number_of_frames, offset, eo, el, transfer_syntax)


def frame_bytes(buffer: Buffer, table: FrameTable, index: int) -> memoryview | bytes:
    """Frame ``index``'s codestream from ``buffer``, the buffer ``table`` was made from.

    A frame that is one fragment is a zero-copy ``memoryview`` of ``buffer`` (it keeps ``buffer`` exported:
    an ``mmap`` cannot close while one is alive); a frame of several fragments is joined into new ``bytes``.
    Negative indices count from the end.

    The table belongs to the buffer it was made from: it records where that buffer's bytes are and how many
    there are, and any other buffer is a ``ValueError``, even one of the same length (its offsets would cut
    another buffer's bytes anywhere). A copy of the bytes, or the same file mapped again (a new ``mmap``,
    at another address), needs its own table: :func:`frame_table` is cheap. While the buffer is alive its
    address is its own; a view of it (``memoryview(mm)``, a numpy array over it) is the same buffer.
    """
    i = _frame_index(index, len(table))
    mv = _byte_view(buffer, table)
    if table._lazy:  # a lazy table: this frame's items read and checked now
        offsets, lengths, _ = table._select(mv, np.array([i], np.int64))
        if len(offsets) == 1:
            return mv[int(offsets[0]) : int(offsets[0]) + int(lengths[0])]
        return b"".join(mv[o : o + n] for o, n in zip(offsets.tolist(), lengths.tolist()))
    if table.source == "extended":  # the table was made without reading this frame's item: check it now
        _core._verify_extended_frames(mv, table.offsets, table.lengths, i, i + 1)
    first, last = int(table.frame_fragments[i]), int(table.frame_fragments[i + 1])
    if last - first == 1:
        o = int(table.offsets[first])
        return mv[o : o + int(table.lengths[first])]
    return b"".join(
        mv[o : o + n] for o, n in zip(table.offsets[first:last].tolist(), table.lengths[first:last].tolist())
    )


def iter_frames(buffer: Buffer, table: FrameTable) -> Iterator[memoryview | bytes]:
    """Every frame in order, as :func:`frame_bytes` returns them."""
    mv = _byte_view(buffer, table)
    if table.source == "extended":
        _core._verify_extended_frames(mv, table.offsets, table.lengths, 0, len(table))
    offsets, lengths = table.offsets.tolist(), table.lengths.tolist()
    if table.one_fragment_per_frame:
        for o, n in zip(offsets, lengths):
            yield mv[o : o + n]
        return
    ff = table.frame_fragments.tolist()
    for a, b in zip(ff, ff[1:]):
        if b - a == 1:
            yield mv[offsets[a] : offsets[a] + lengths[a]]
        else:
            yield b"".join(mv[o : o + n] for o, n in zip(offsets[a:b], lengths[a:b]))


def locate_pixel_data(path_or_buffer: str | os.PathLike[str] | os.PathLike[bytes] | Buffer) -> PixelDataLocation:
    """Find the top-level Pixel Data (7FE0,0010) of a DICOM file without reading the pixels.

    Takes a path (``str`` or ``os.PathLike``; the file is read in 64 KiB blocks up to the Pixel Data element's
    header, skipping every value it does not need) or a buffer holding the file or at least its header
    (bytes, memoryview, mmap, numpy array). Parses the optional preamble and file meta (PS3.10 7.1) and the
    top-level data set in implicit or explicit VR little endian, skipping sequences of undefined length
    item by item. Reports the value's offset and length, whether it is encapsulated, the transfer syntax,
    Number of Frames, and the Extended Offset Table when present. Raises :class:`EncapsulationError` when the
    data set is malformed or truncated before Pixel Data, has no Pixel Data, or is big endian or deflated,
    and ``OSError`` when the file cannot be read (or is not a regular file: a FIFO, a device, a /proc file).

    ``bytes`` are the file's contents, as for every other buffer; a path held in ``bytes`` is read as a path
    only through ``os.PathLike`` (or ``os.fsdecode(path)``), and the error for bytes that name a file says so.
    """
    if isinstance(path_or_buffer, (str, os.PathLike)):
        return _core._locate_pixel_data_file(path_or_buffer)
    with _bytes_named_a_file(path_or_buffer):
        return _core._locate_pixel_data_buffer(path_or_buffer)


def _locate_in_buffer(buffer: Buffer) -> PixelDataLocation:
    """:func:`locate_pixel_data` of a buffer, the Extended Offset Table left where it lies: its ``frame_table``
    reads the table there (opening a 100,000-frame file copies none of its 1.6 MB), and its
    ``extended_offsets`` and ``extended_lengths`` raise ``ValueError``."""
    with _bytes_named_a_file(buffer):
        return _core._locate_pixel_data_buffer(buffer, read_extended=False)


@contextmanager
def _bytes_named_a_file(data: object) -> Iterator[None]:
    """Adds to the error for unreadable ``bytes`` that they name an existing file: a caller who passed a bytes
    path, which open() would take, is told how to pass it (bytes are always data here)."""
    try:
        yield
    except EncapsulationError as e:
        if isinstance(data, bytes) and 0 < len(data) < 4096 and b"\0" not in data and os.path.exists(data):
            raise EncapsulationError(
                f"{e} (the bytes {data[:80]!r} were read as a DICOM file's contents, but they name a file: pass "
                "its path as str or os.PathLike to read it, e.g. os.fsdecode(path))"
            ) from None
        raise


def _frame_index(index: int, n: int) -> int:
    if isinstance(index, bool):  # as pixel_array: True is not frame 1
        raise TypeError("a frame index must be an int, not bool")
    try:
        i = operator.index(index)  # ints, numpy integers; a float is a TypeError, not an AttributeError
    except TypeError:
        raise TypeError(f"a frame index must be an int, not {type(index).__name__}") from None
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(f"frame index {index} out of range for {n} frames")
    return i


def _byte_view(buffer: Buffer, table: FrameTable) -> memoryview:
    if table.buffer_address == 0:
        raise ValueError(
            "the frame table was unpickled: it belongs to a buffer of the process that pickled it; make the table "
            "again from the buffer here (frame_table), or pickle a FrameReader, which reopens its file by path"
        )
    if table.buffer_address is not None:
        address, size = _core._buffer_span(buffer)
        if (address, size) != (table.buffer_address, table.buffer_size):
            raise ValueError(
                f"the frame table was made from another buffer ({table.buffer_size} bytes at "
                f"{table.buffer_address:#x}; this one: {size} bytes at {address:#x}): pass the buffer the table was "
                "made from; a copy of it, or the file mapped again, needs its own table (frame_table)"
            )
    mv = memoryview(buffer)
    if mv.ndim != 1 or mv.format != "B":
        mv = mv.cast("B")  # raises for a buffer that is not C-contiguous
    if len(mv) < table.end:
        raise ValueError(
            f"buffer has {len(mv)} bytes but the table's Pixel Data ends at byte {table.end}: "
            "pass the buffer the table was made from"
        )
    return mv


def _ints_as_u64(values: list[object], name: str) -> U64Array:
    """Python ints as uint64, each checked: numpy would turn a list holding 2**63 or more into float64 (and
    round it) or into objects, and the error would not say which value is wrong or why."""
    out = np.empty(len(values), np.uint64)
    for i, v in enumerate(values):
        if isinstance(v, bool):
            raise TypeError(f"{name}[{i}] is a bool, not an integer")
        try:
            n = operator.index(v)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"{name}[{i}] is {type(v).__name__}, not an integer") from None
        if n < 0:
            raise ValueError(f"{name} must not be negative: {name}[{i}] is {n}")
        if n >= 1 << 64:
            raise ValueError(f"{name}[{i}] is {n}, more than an unsigned 64-bit offset or length can be (2**64 - 1)")
        out[i] = n
    return out


def _as_u64(values: OffsetsLike | None, name: str) -> U64Array | None:
    if values is None:
        return None
    if isinstance(values, (bytes, bytearray, memoryview)):
        raw = memoryview(values).cast("B")
        if len(raw) % 8:
            raise EncapsulationError(f"{name} holds {len(raw)} bytes, not a multiple of 8 (OV: uint64 values)")
        return np.require(np.frombuffer(raw, dtype="<u8"), np.uint64, ["A", "C"])
    if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.dtype == object):
        return _ints_as_u64(list(values), name)
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if arr.dtype.kind not in "ui" or arr.ndim != 1:
        raise TypeError(
            f"{name} must be a one-dimensional sequence of integers or OV bytes, got {arr.dtype} {arr.shape}"
        )
    if arr.dtype.kind == "i" and (arr < 0).any():
        raise ValueError(f"{name} must not be negative")
    return np.require(arr, np.uint64, ["A", "C"])
