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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Union, cast

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


@dataclass(frozen=True)
class FrameTable:
    """Which fragments make up each frame, as :func:`frame_table` found them.

    Frame ``i`` is made of fragments ``frame_fragments[i]`` up to (not including) ``frame_fragments[i + 1]``,
    in order; every frame has at least one.
    """

    #: Each fragment's value, from the start of the buffer, in frame order. Read-only.
    offsets: U64Array
    #: Each fragment's length (for an Extended Offset Table, the length it gives). Read-only.
    lengths: U64Array
    #: ``number_of_frames + 1`` fragment indices. Read-only.
    frame_fragments: U64Array
    #: How the boundaries were found: ``"extended"`` (Extended Offset Table), ``"basic"`` (Basic Offset Table),
    #: ``"one_per_frame"``, ``"single_frame"`` or ``"markers"`` (JPEG SOI / JPEG 2000 SOC+SIZ at fragment starts).
    source: FrameSource
    #: As in :class:`FragmentTable`.
    first_item: int
    end: int
    has_delimiter: bool
    #: The address and size of the bytes of the buffer the table was made from (None for a table made by hand):
    #: :func:`frame_bytes` and :func:`iter_frames` read only that buffer with it (any view of it), so a table
    #: never cuts another buffer's bytes at its offsets.
    buffer_address: int | None = field(default=None, compare=False, repr=False)
    buffer_size: int | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.frame_fragments) - 1

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled, a table leaves its buffer behind: its address means nothing in another process, so it is
        # marked 0 ("from elsewhere") and frame_bytes refuses it. FrameReader pickles by path and ties its
        # table to the file mapped where it is unpickled.
        detached = replace(self, buffer_address=None if self.buffer_address is None else 0)
        return (_restore_table, (tuple(getattr(detached, f) for f in self.__dataclass_fields__),))

    def _bind(self, buffer: Buffer) -> FrameTable:
        """This table for ``buffer``, which the caller knows holds the same bytes (the same file, unchanged)."""
        address, size = _core._buffer_span(buffer)
        return replace(self, buffer_address=address, buffer_size=size)

    @property
    def number_of_frames(self) -> int:
        return len(self.frame_fragments) - 1

    @property
    def one_fragment_per_frame(self) -> bool:
        """Every frame is one fragment, so :func:`frame_bytes` never copies."""
        return len(self.offsets) == len(self.frame_fragments) - 1

    def fragments(self, index: int) -> range:
        """The indices (into ``offsets`` and ``lengths``) of frame ``index``'s fragments."""
        i = _frame_index(index, len(self))
        return range(int(self.frame_fragments[i]), int(self.frame_fragments[i + 1]))

    @property
    def frame_lengths(self) -> U64Array:
        """Each frame's length in bytes: the sum of its fragments' lengths."""
        if self.one_fragment_per_frame:
            return self.lengths
        sums = np.concatenate(([0], np.cumsum(self.lengths, dtype=np.uint64)))
        return np.diff(sums[self.frame_fragments.astype(np.intp)])


@dataclass(frozen=True)
class PixelDataLocation:
    """Where the top-level Pixel Data (7FE0,0010) of a file or data set is, from :func:`locate_pixel_data`."""

    #: The value's first byte: for encapsulated data, the Basic Offset Table's item tag.
    offset: int
    #: The value's length, or None when it is undefined (encapsulated data ends at its sequence delimiter).
    length: int | None
    #: Undefined length, i.e. a sequence of fragment items (PS3.5 A.4).
    encapsulated: bool
    #: (0002,0010) Transfer Syntax UID; None when the data has no file meta information.
    transfer_syntax: str | None
    #: Top-level (0028,0008) Number of Frames; None when absent (a single frame) or not an integer.
    number_of_frames: int | None
    #: (7FE0,0001) Extended Offset Table, None when absent. Read-only.
    extended_offsets: U64Array | None
    #: (7FE0,0002) Extended Offset Table Lengths, None when absent. Read-only.
    extended_lengths: U64Array | None
    #: The (7FE0,0010) tag's first byte.
    element_offset: int
    #: "OB" or "OW" in an explicit VR data set, None in implicit VR.
    vr: str | None
    #: Whether the data set is explicit VR (it may contradict the transfer syntax; it is read as encoded).
    explicit_vr: bool

    def frame_table(self, buffer: Buffer, number_of_frames: int | None = None) -> FrameTable:
        """:func:`frame_table` of this Pixel Data in ``buffer``, which holds the file this location came from.

        ``number_of_frames`` defaults to the data set's Number of Frames, or 1 when it has none; a Number of
        Frames of 0 is an :class:`EncapsulationError` (a data set with Pixel Data has a frame).
        """
        if not self.encapsulated:
            raise EncapsulationError(
                f"the Pixel Data at offset {self.offset} is native (defined length {self.length}), not encapsulated"
            )
        if number_of_frames is None and self.number_of_frames == 0:
            raise EncapsulationError(
                "(0028,0008) Number of Frames is 0, but the data set has Pixel Data: pass number_of_frames if the "
                "count is known"
            )
        n = number_of_frames if number_of_frames is not None else (self.number_of_frames or 1)
        table = frame_table(
            buffer,
            n,
            self.extended_offsets,
            self.extended_lengths,
            self.transfer_syntax,
            offset=self.offset,
        )
        # In a file the value ends with its sequence delimiter (PS3.5 A.4); running into the end of the data
        # instead means the file was cut short. Cut at an item boundary, the last frame may have lost fragments
        # and nothing else would tell: unless its end is fixed (by the Extended Offset Table, or by a transfer
        # syntax whose frames are one fragment each, and every frame is one), that is an error, not a short last
        # frame. (A file whose other frames are several fragments each does not follow that rule: its last frame
        # may be missing fragments too.)
        whole = (
            table.source == "extended"
            or (self.transfer_syntax in _ONE_FRAGMENT_PER_FRAME and table.one_fragment_per_frame)
            or (
                (self.transfer_syntax or "").startswith(_JPEG_FAMILY)
                and _ends_its_codestream(buffer, table)
                and _each_fragment_starts_a_codestream(buffer, table)
            )
        )
        if not table.has_delimiter and not whole:
            raise EncapsulationError(
                f"truncated Pixel Data: the encapsulated value at offset {self.offset} runs to the end of the data "
                f"at byte {table.end} without its sequence delimiter (FFFE,E0DD), so frame {len(table) - 1}, the "
                "last, may be missing fragments; the file was cut short"
            )
        return table


# The JPEG family (PS3.5 8.2, A.4): every codestream ends with FF D9, JPEG's and JPEG-LS's EOI and JPEG 2000's
# EOC, which their coded data never holds (JPEG stuffs a 00 after FF; JPEG 2000 forbids FF 90 and above).
_JPEG_FAMILY = "1.2.840.10008.1.2.4."


def _ends_its_codestream(buffer: Buffer, table: FrameTable) -> bool:
    """Whether the last fragment ends with an end-of-codestream marker (then padded to even length by one 00)."""
    if not len(table.offsets) or not int(table.lengths[-1]):
        return False
    end = int(table.offsets[-1]) + int(table.lengths[-1])
    tail = bytes(memoryview(buffer)[max(0, end - 3) : end])
    return tail.endswith(b"\xff\xd9") or tail.endswith(b"\xff\xd9\x00")


def _each_fragment_starts_a_codestream(buffer: Buffer, table: FrameTable) -> bool:
    """For a table that took one fragment per frame because it found as many fragments as frames: whether every
    fragment begins with a start marker (JPEG SOI FF D8, JPEG 2000 SOC FF 4F), so that each frame ends where the
    next one starts. A file cut short can hold as many fragments as frames with frames split over several of them;
    other tables found their frame starts from an offset table or the markers themselves."""
    if table.source != "one_per_frame" or not len(table.offsets):
        return True
    data = np.frombuffer(_byte_view(buffer, table), np.uint8)  # the buffer the table was made from, as bytes
    starts = table.offsets.astype(np.intp)
    if bool((table.lengths < 2).any()) or int(starts.max()) + 2 > len(data):
        return False
    first, second = data[starts], data[starts + 1]
    return bool(((first == 0xFF) & ((second == 0xD8) | (second == 0x4F))).all())


# Transfer syntaxes whose frames are one fragment each (PS3.5 A.4.2, 8.2.16, A.4.11): the last frame's item is
# the whole frame.
_ONE_FRAGMENT_PER_FRAME = frozenset({"1.2.840.10008.1.2.5", "1.2.840.10008.1.2.8.1", "1.2.840.10008.1.2.1.98"})


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
    if eo is not None and el is not None and len(eo) == 0 and len(el) == 0:
        eo = el = None  # empty (7FE0,0001/0002) elements say as little as an empty Basic Offset Table
    offsets, lengths, ff, source, first_item, end, has_delimiter, address, size = _core._frame_table(
        buffer, number_of_frames, offset, eo, el, transfer_syntax
    )
    return FrameTable(offsets, lengths, ff, cast(FrameSource, source), first_item, end, has_delimiter, address, size)


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
        raw = _core._locate_pixel_data_file(path_or_buffer)
    else:
        with _bytes_named_a_file(path_or_buffer):
            raw = _core._locate_pixel_data_buffer(path_or_buffer)
    element_offset, offset, length, encapsulated, vr, ts, explicit_vr, nframes, eo, el = raw
    return PixelDataLocation(
        offset=offset,
        length=length,
        encapsulated=encapsulated,
        transfer_syntax=ts,
        number_of_frames=nframes,
        extended_offsets=eo,
        extended_lengths=el,
        element_offset=element_offset,
        vr=vr or None,
        explicit_vr=explicit_vr,
    )


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


def _restore_table(values: tuple[object, ...]) -> FrameTable:
    return FrameTable(*values)  # type: ignore[arg-type]


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
        raise TypeError(f"{name} must be a one-dimensional sequence of integers or OV bytes, got {arr.dtype} {arr.shape}")
    if arr.dtype.kind == "i" and (arr < 0).any():
        raise ValueError(f"{name} must not be negative")
    return np.require(arr, np.uint64, ["A", "C"])
