"""Files cut short in their Pixel Data (a copy that stopped early, ``head -c N good.dcm``): which frames are whole.

``encaps.frame_table`` (C++) refuses an encapsulated value that runs into the end of the data: a fragment past
the end, a Basic or Extended Offset Table offset past it, or no sequence delimiter to show the last frame complete.
When that happens :func:`truncated_table` looks at the value again: if it is only cut short (it runs to the end
of the data, with no delimiter before it) and what is there is consistent, it returns the table of the frames
that are wholly in the file, from the first one up to the first missing one, and where the file ends. Frames
are whole by the same rules the full table uses (PS3.5 A.4, PS3.3 C.7.6.3.1.8):

* Extended Offset Table: each frame is one item; a frame is whole when its whole item is in the file;
* Basic Offset Table: frame ``i`` is whole when frame ``i + 1``'s first item starts inside the file and frame
  ``i``'s items fill the bytes up to it; the last frame only with the sequence delimiter;
* no offset table, a transfer syntax of one fragment per frame (RLE, Deflated Image Frame Compression,
  Encapsulated Uncompressed): every item wholly in the file is a frame;
* no offset table, the JPEG family: frames start at the fragments that begin with the start marker; a frame is
  whole when the next frame's first fragment is there, or its last fragment ends with the end-of-codestream
  marker FF D9 (as ``PixelDataLocation.frame_table`` requires);
* otherwise (one frame, or frames that only the complete value can tell apart) no frame is known to be whole.

The prefix that holds the whole frames is checked by the C++ table builder or scanner, with all their strictness;
a value that breaks before the end of the data, or whose tables disagree with what is there, is not "cut short":
``None`` is returned and the caller raises the original error. A file cut inside its sequence delimiter has every
frame (the C++ builder reads the value up to the delimiter).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ._core import EncapsulationError
from ._layout import number_of_frames
from .encaps import FrameSource, FrameTable, frame_table, locate_pixel_data, scan_fragments

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from ._layout import PixelLayout
    from .encaps import PixelDataLocation

# The JPEG family (PS3.5 8.2, A.4): every codestream ends with FF D9, JPEG's and JPEG-LS's EOI and JPEG 2000's
# EOC, which their coded data never holds. The C++ PixelDataLocation.frame_table (last_frame_whole) has the same.
JPEG_FAMILY = "1.2.840.10008.1.2.4."
# Transfer syntaxes whose frames are one fragment each (PS3.5 A.4.2, 8.2.16, A.4.11): an item is a whole frame.
ONE_FRAGMENT_PER_FRAME = frozenset({"1.2.840.10008.1.2.5", "1.2.840.10008.1.2.8.1", "1.2.840.10008.1.2.1.98"})

_ITEM = b"\xfe\xff\x00\xe0"  # (FFFE,E000), PS3.5 7.5
_DELIMITER = b"\xfe\xff\xdd\xe0"  # (FFFE,E0DD)
_UNDEFINED = 0xFFFFFFFF

#: How the data ends after the last whole item: inside an item header, inside an item's value, exactly at an item
#: boundary, or inside the sequence delimiter's header.
Ending = Literal["header", "value", "boundary", "delimiter"]


@dataclass(frozen=True)
class Truncated:
    """The whole frames of a value cut short, and where the data ends."""

    table: FrameTable  # the whole frames only (len(table) == whole), bound to the whole buffer
    whole: int  # frames 0 .. whole - 1 are whole
    frames: int  # of the data set's frames
    note: str  # where the data ends, for messages: "it ends at byte 2142 inside frame 6: ..."


def truncated_table(buffer: Any, loc: PixelDataLocation, number_of_frames: int) -> Truncated | None:
    """The whole frames of ``loc``'s encapsulated value in ``buffer`` when the value is cut short by the end of the
    data, else None (the value is complete, or inconsistent: the caller's error stands)."""
    if not loc.encapsulated or number_of_frames < 1:
        return None
    with memoryview(buffer) as view:
        mv = view if view.ndim == 1 and view.format == "B" else view.cast("B")
        try:
            return _truncated(buffer, mv, loc, number_of_frames)
        finally:
            if mv is not view:
                mv.release()


def missing_frames_error(missing: Sequence[int], whole: int, number_of_frames: int, note: str) -> EncapsulationError:
    """The error for reading frames that are not (wholly) in a truncated file: which, where the file ends, and how
    many frames are whole."""
    frames = sorted(set(int(i) for i in missing))
    named = list(map(str, frames[:5])) + ([f"{len(frames) - 5} more"] if len(frames) > 5 else [])
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    which = f"frame {listed} is" if len(frames) == 1 else f"frames {listed} are"
    if whole == 0:
        held = f"none of its {number_of_frames} frames is whole"
    elif whole == 1:
        held = f"only frame 0 of {number_of_frames} is whole"
    else:
        held = f"frames 0 to {whole - 1} of {number_of_frames} are whole"
    return EncapsulationError(f"{which} missing: the file is truncated ({note}); {held}")


# --- the walk ------------------------------------------------------------------------------------------


def _walk(mv: memoryview, pos: int) -> tuple[int, Ending] | None:
    """Walks the items from ``pos`` to the end of the data: where the last whole item ends (the next one's start)
    and how the data ends there; None when the value ends (its delimiter) or breaks (another tag, an undefined
    length) before the end of the data: then it was not cut short."""
    size = len(mv)
    while True:
        left = size - pos
        if left == 0:
            return pos, "boundary"
        head = bytes(mv[pos : pos + min(4, left)])
        if left < 8:  # a header cut short: an item's or the delimiter's, as far as its bytes tell
            if left >= 4 and head == _DELIMITER:
                return pos, "delimiter"
            return (pos, "header") if _ITEM.startswith(head) or _DELIMITER.startswith(head) else None
        (length,) = struct.unpack_from("<I", mv, pos + 4)
        if head != _ITEM or length == _UNDEFINED:
            return None
        if length > left - 8:
            return pos, "value"
        pos += 8 + length


def _note(size: int, end: int, how: Ending, what: str, frame_start: int | None) -> str:
    """Where the data ends, for messages. ``end`` is where the last whole item ends, ``what`` the frame(s) the
    bytes there belong to, ``frame_start`` the first missing frame's first item when an offset table gives it."""
    if how == "header":
        return f"it ends at byte {size} inside {what}: the item header at byte {end} is cut short"
    if how == "value":
        return f"it ends at byte {size} inside {what}: the item at byte {end} runs past the end"
    if how == "delimiter":
        return f"it ends at byte {size} inside the sequence delimiter at byte {end}"
    if frame_start is not None and end == frame_start:
        return f"it ends at byte {size}, where {what} would start"
    return (
        f"it ends at byte {size} after a fragment of {what}, without its sequence delimiter: the frame may be "
        "missing fragments"
    )


def _frame(k: int, n: int) -> str:
    """The frame the data ends in, for notes: past the last one, what follows it (the sequence delimiter)."""
    return f"frame {k}" if k < n else "what follows the last frame"


def _truncated(buffer: Any, mv: memoryview, loc: PixelDataLocation, n: int) -> Truncated | None:
    size, start, ts = len(mv), loc.offset, loc.transfer_syntax
    eo, el = loc.extended_offsets, loc.extended_lengths
    if eo is not None and el is not None and len(eo) == 0 and len(el) == 0:
        eo = el = None  # empty (7FE0,0001/0002) say nothing, as in frame_table
    source: FrameSource = "extended" if eo is not None else "basic"
    if start > size:
        return None
    # PS3.5 A.4: the value starts with the Basic Offset Table's item.
    if size - start < 8:
        if not _ITEM.startswith(bytes(mv[start : start + 4])):
            return None
        note = f"it ends at byte {size} inside the item header of the Basic Offset Table (at byte {start})"
        return _nothing(buffer, n, source, min(start + 8, size), note)
    (length,) = struct.unpack_from("<I", mv, start + 4)
    if bytes(mv[start : start + 4]) != _ITEM or length == _UNDEFINED or length % 4:
        return None
    first_item = start + 8 + length
    if first_item > size:
        return _nothing(
            buffer, n, source, size, f"it ends at byte {size} inside the Basic Offset Table (its item at byte {start})"
        )
    whole = _cut_in_delimiter(buffer, mv, loc, n, eo, el, first_item)
    if whole is not None:
        return whole
    if eo is not None and el is not None:
        return _extended(buffer, mv, loc, n, eo, el, first_item)
    bot = np.frombuffer(bytes(mv[start + 8 : first_item]), "<u4").astype(np.int64)
    if len(bot):
        return _basic(buffer, mv, loc, n, bot, first_item)
    return _scanned(buffer, mv, loc, n, first_item, ts)


def _nothing(buffer: Any, n: int, source: FrameSource, first_item: int, note: str) -> Truncated:
    """No frame is whole: the data ends before the first frame's item, or nothing tells where a frame ends."""
    empty = np.zeros(0, np.uint64)
    table = FrameTable(empty, empty, np.zeros(1, np.uint64), source, first_item, first_item, False)
    return Truncated(table._bind(buffer), 0, n, note)


def _cut_in_delimiter(
    buffer: Any, mv: memoryview, loc: PixelDataLocation, n: int, eo: Any, el: Any, first_item: int
) -> Truncated | None:
    """The data ends inside the sequence delimiter's header (4 to 7 of its 8 bytes): every item is there, and the
    whole value is read up to the delimiter by the C++ builder, with its checks."""
    size = len(mv)
    for at in range(max(first_item, size - 7), size - 3):
        if bytes(mv[at : at + 4]) != _DELIMITER:
            continue
        try:
            with mv[:at] as prefix:
                table = frame_table(prefix, n, eo, el, loc.transfer_syntax, offset=loc.offset)
        except EncapsulationError:
            continue
        note = f"it ends at byte {size} inside the sequence delimiter at byte {at}; every frame is whole"
        return Truncated(table._bind(buffer), n, n, note)
    return None


def _item_end(mv: memoryview, at: int) -> int | None:
    """The end of the item whose header is at ``at`` (None: not an item of explicit length)."""
    if len(mv) - at < 8 or bytes(mv[at : at + 4]) != _ITEM:
        return None
    (length,) = struct.unpack_from("<I", mv, at + 4)
    return None if length == _UNDEFINED else at + 8 + length


def _extended(
    buffer: Any,
    mv: memoryview,
    loc: PixelDataLocation,
    n: int,
    eo: npt.NDArray[np.uint64],
    el: npt.NDArray[np.uint64],
    first_item: int,
) -> Truncated | None:
    """PS3.3 C.7.6.3.1.8: one item per frame, where the table says; a frame is whole when its item is."""
    size = len(mv)
    if len(eo) != n or len(el) != n:
        return None
    # The table's own consistency, as the C++ builder checks it (bounded first, so that the sums cannot wrap).
    if int(eo[0]) != 0 or bool((eo >= np.uint64(1 << 62)).any()) or bool((el >= np.uint64(_UNDEFINED)).any()):
        return None
    offsets, ends = eo.astype(np.int64), eo.astype(np.int64) + 8 + el.astype(np.int64)
    if n > 1 and bool((offsets[1:] <= offsets[:-1]).any() or (ends[:-1] > offsets[1:]).any()):
        return None
    k = int(np.searchsorted(first_item + ends, size, side="right"))  # items that end inside the data
    cut = first_item
    while k > 0:  # the item's own length, which may hold one pad byte more than the table's
        end = _item_end(mv, first_item + int(offsets[k - 1]))
        if end is None:
            return None
        if end <= size:
            cut = end
            break
        k -= 1
    if k < n and cut != first_item + int(offsets[k]):
        return None  # frame k's item does not follow frame k - 1's
    tail = _walk(mv, cut)
    # A delimiter before the frames the table has, or after the last frame another item (not one per frame):
    # inconsistent, not cut short (the delimiter after every frame was read whole before, or refused).
    if tail is None or tail[1] == "delimiter" or (k == n and tail[1] == "value"):
        return None
    if k == 0:
        return _nothing(buffer, n, "extended", first_item, _note(size, tail[0], tail[1], "frame 0", cut))
    try:
        with mv[:cut] as prefix:
            table = frame_table(prefix, k, eo[:k], el[:k], loc.transfer_syntax, offset=loc.offset)
    except EncapsulationError:
        return None
    return Truncated(table._bind(buffer), k, n, _note(size, tail[0], tail[1], _frame(k, n), cut))


def _basic(
    buffer: Any, mv: memoryview, loc: PixelDataLocation, n: int, bot: npt.NDArray[np.int64], first_item: int
) -> Truncated | None:
    """PS3.5 A.4: the table gives where each frame's first item is; frame i is whole when frame i + 1 starts
    inside the data and frame i's items end exactly there."""
    size = len(mv)
    if len(bot) != n or int(bot[0]) != 0 or bool((np.diff(bot) <= 0).any()):
        return None
    starts = first_item + bot
    k = int(np.searchsorted(starts[1:], size, side="right"))  # frames whose successor starts inside the data
    cut = int(starts[k])
    tail = _walk(mv, cut)
    if tail is None or tail[1] == "delimiter":  # a delimiter before frames the table has: not cut short
        return None
    fragments = _fragments(mv, loc.offset, cut)
    if fragments is None:
        return None
    offsets, lengths = fragments
    item_starts = offsets.astype(np.int64) - 8
    first = np.searchsorted(item_starts, starts[:k])
    if k and (int(first[-1]) >= len(item_starts) or bool((item_starts[first] != starts[:k]).any())):
        return None  # an offset that does not land on an item tag
    ff = np.append(first, len(item_starts)).astype(np.uint64)
    if k == n - 1 and tail[1] == "header":  # the last frame's items, then a header cut short: it may be whole
        last_offsets, last_lengths = _items(mv, cut, tail[0])
        if _last_frame_whole(mv, loc.transfer_syntax, last_offsets, last_lengths, len(offsets) == k):
            offsets, lengths = np.concatenate((offsets, last_offsets)), np.concatenate((lengths, last_lengths))
            ff = np.append(ff, len(offsets)).astype(np.uint64)
            k, cut = n, tail[0]
    table = FrameTable(offsets, lengths, ff, "basic", first_item, cut, False)._bind(buffer)
    return Truncated(table, k, n, _note(size, tail[0], tail[1], _frame(k, n), cut))


def _fragments(mv: memoryview, offset: int, cut: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]] | None:
    """The fragments of the value up to ``cut`` (the C++ scanner, with its checks), which must end exactly there."""
    try:
        with mv[:cut] as prefix:
            scan = scan_fragments(prefix, offset)
    except EncapsulationError:
        return None
    if scan.has_delimiter or scan.end != cut:
        return None
    return scan.offsets, scan.lengths


def _items(mv: memoryview, pos: int, end: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The values of the items from ``pos`` to ``end``, which ``_walk`` found whole."""
    offsets, lengths = [], []
    while pos < end:
        (length,) = struct.unpack_from("<I", mv, pos + 4)
        offsets.append(pos + 8)
        lengths.append(length)
        pos += 8 + length
    return np.array(offsets, np.uint64), np.array(lengths, np.uint64)


def _last_frame_whole(
    mv: memoryview,
    ts: str | None,
    offsets: npt.NDArray[np.uint64],
    lengths: npt.NDArray[np.uint64],
    others_one_each: bool,
) -> bool:
    """Whether the last frame's fragments, all there but with no delimiter after them, are the whole frame, as
    ``PixelDataLocation.frame_table`` decides it: one fragment in a syntax of one fragment per frame whose other
    frames are one fragment each too, or a last fragment that ends its JPEG-family codestream."""
    if not len(offsets):
        return False
    if ts in ONE_FRAGMENT_PER_FRAME:
        return len(offsets) == 1 and others_one_each
    return (ts or "").startswith(JPEG_FAMILY) and _ends_with_eoi(mv, int(offsets[-1]), int(lengths[-1]))


def _scanned(
    buffer: Any, mv: memoryview, loc: PixelDataLocation, n: int, first_item: int, ts: str | None
) -> Truncated | None:
    """No offset table: the items wholly in the data, split into frames by the transfer syntax's rule."""
    size = len(mv)
    tail = _walk(mv, first_item)
    if tail is None or tail[1] == "delimiter":  # the delimiter case was read whole, or refused, before
        return None
    end, how = tail
    fragments = _fragments(mv, loc.offset, end)
    if fragments is None:
        return None
    offsets, lengths = fragments
    m = len(offsets)
    family = _family(ts, mv, offsets, lengths)
    if family == "one":  # PS3.5 8.2.16, A.4.2, A.4.11: each item is a frame
        if m > n or (m == n and how != "header"):
            return None  # more items than frames is not this layout (as many, the C++ builder took)
        ff = np.arange(m + 1, dtype=np.uint64)
        table = FrameTable(offsets, lengths, ff, "one_per_frame", first_item, end, False)._bind(buffer)
        return Truncated(table, m, n, _note(size, end, how, _frame(m, n), end))
    if family == "none" or m == 0:
        source: FrameSource = "single_frame" if n == 1 else "one_per_frame"
        what = "frame 0" if n == 1 else "the frames"
        note = _note(size, end, how, what, None)
        if family == "none" and n > 1:
            note += " (with no offset table, the frames cannot be told apart before the value's end)"
        return _nothing(buffer, n, source, first_item, note)
    starts = [j for j in range(m) if _starts_frame(mv, int(offsets[j]), int(lengths[j]), family)]
    if not starts or starts[0] != 0 or len(starts) > n:
        return None  # as the C++ builder refuses it
    found = len(starts)
    # The last frame found is whole when its last fragment ends its codestream (FF D9: EOI, EOC).
    k = found if _ends_with_eoi(mv, int(offsets[-1]), int(lengths[-1])) else found - 1
    ff = np.array(starts[: k + 1] + ([m] if k == found else []), np.uint64)
    kept = int(ff[-1])  # the whole frames' fragments; the table ends where the next one's item starts
    table_end = int(offsets[kept]) - 8 if kept < m else end
    table = FrameTable(offsets[:kept], lengths[:kept], ff, "markers", first_item, table_end, False)._bind(buffer)
    what = _frame(k, n) if k == found or how == "boundary" else f"frame {k} or {k + 1}"
    return Truncated(table, k, n, _note(size, end, how, what, end if k == found else None))


def _family(
    ts: str | None, mv: memoryview, offsets: npt.NDArray[np.uint64], lengths: npt.NDArray[np.uint64]
) -> Literal["one", "jpeg", "j2k", "none"]:
    """How frames are told apart without an offset table, as ``codestream_for_transfer_syntax`` (C++) says."""
    if ts in ONE_FRAGMENT_PER_FRAME:
        return "one"
    if ts is not None and ts.startswith(JPEG_FAMILY):
        tail = ts[len(JPEG_FAMILY) :]
        number = int(tail) if tail.isascii() and tail.isdigit() else -1
        if 50 <= number <= 87:  # JPEG processes, lossless JPEG, JPEG-LS (PS3.5 A.4.1-3)
            return "jpeg"
        if 90 <= number <= 93 or 201 <= number <= 203:  # JPEG 2000, HTJ2K (A.4.4)
            return "j2k"
        return "none"
    if ts is not None and ts.startswith("1.2.840.10008."):
        return "none"
    if len(offsets) and _starts_frame(mv, int(offsets[0]), int(lengths[0]), "jpeg"):  # a private syntax: the
        return "jpeg"  # first fragment's first bytes tell
    if len(offsets) and _starts_frame(mv, int(offsets[0]), int(lengths[0]), "j2k"):
        return "j2k"
    return "none"


def _starts_frame(mv: memoryview, offset: int, length: int, family: str) -> bool:
    head = bytes(mv[offset : offset + min(length, 4)])
    if family == "jpeg":
        return head[:2] == b"\xff\xd8"  # SOI, PS3.5 A.4.1
    return head == b"\xff\x4f\xff\x51"  # SOC then SIZ, A.4.4


def _ends_with_eoi(mv: memoryview, offset: int, length: int) -> bool:
    """FF D9 (EOI, EOC) at the end of the fragment, then at most the one pad byte 00 (PS3.5 A.4)."""
    if length == 0:
        return False
    end = offset + length
    tail = bytes(mv[max(offset, end - 3) : end])
    return tail.endswith(b"\xff\xd9") or tail.endswith(b"\xff\xd9\x00")


# What open_source (_source.py) does with a file cut short: the table of its whole frames, or the error naming the
# first missing one.

#: Set by open_partial: _from_buffer then builds the table of a truncated file's whole frames.
TRUNCATED_OK: ContextVar[bool] = ContextVar("framecodec_truncated_ok", default=False)


def table_or_cut(buffer: Any, loc: PixelDataLocation, layout: PixelLayout) -> tuple[FrameTable, Truncated | None]:
    """The frame table of a file's encapsulated Pixel Data. A value that is only cut short by the end of the file
    is, for ``open_partial``, the table of its whole frames and where the file ends; otherwise an error naming
    the first missing frame. A value that is inconsistent raises the table's own error."""
    n = layout.number_of_frames
    try:
        return loc.frame_table(buffer, n, lazy=True), None
    except EncapsulationError as e:
        loc = locate_pixel_data(buffer)  # with its Extended Offset Table's values, which truncated_table reads
        cut = truncated_table(buffer, loc, n)
        if cut is None:
            raise EncapsulationError(
                f"{_eager_error(buffer, loc, n, e)} (the data set's (0028,0008) Number of Frames is {n})"
            ) from None
    if cut.whole < n and not TRUNCATED_OK.get():
        raise missing_frames_error([cut.whole], cut.whole, n, cut.note)
    return cut.table, cut


def _eager_error(buffer: Any, loc: PixelDataLocation, n: int, lazy: EncapsulationError) -> EncapsulationError:
    """The error of the eager table, which walks every frame's items in order: a broken value names its first
    broken frame as it did before tables were lazy, not the last frame, the only one the lazy table walks."""
    try:
        loc.frame_table(buffer, n)
    except EncapsulationError as e:
        return e
    return lazy


def cut_fields(cut: Truncated | None) -> dict[str, Any]:
    return (
        {"whole_frames": None, "truncation": None}
        if cut is None
        else {"whole_frames": cut.whole, "truncation": cut.note}
    )


def any_cut(ds: Dataset, buffer: Any) -> Truncated | None:
    """The whole frames of a truncated file in a transfer syntax pydicom decodes, or None."""
    try:
        loc = locate_pixel_data(buffer)
        return truncated_table(buffer, loc, number_of_frames(ds)) if loc.encapsulated else None
    except (ValueError, TypeError):
        return None
