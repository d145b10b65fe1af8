"""Where each frame's bytes are in an object read by byte ranges (``_remote``): its *spans*, the bytes of its
items, from the Extended or Basic Offset Table in the header, from a walk of the Pixel Data's item headers (C++,
over large sequential reads: the whole Pixel Data is read once), or from a sidecar index that matches the object.

The sidecar index is a small file beside a DICOM file (``NAME.fcidx``, written by ``_index.write_index``) holding
where each frame's bytes are, so that a file with an empty Basic Offset Table and no Extended Offset Table opens
without walking its Pixel Data. It is a NumPy ``.npz`` (no pickled objects) holding the frames' spans (each frame's
items: first item tag to last item's end), the Pixel Data's first item, the transfer syntax and number of frames,
and the identity of the file it was made from: its size and ETag (objects) or modification time (files). An index
whose file has changed since is never used: one found beside the file is ignored with a warning, one named by
``index=`` is an error.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import EncapsulationError
from ._ranges import MAX_REQUEST, Ranges, is_url, open_ranges
from ._truncated import ONE_FRAGMENT_PER_FRAME
from .encaps import frame_table

if TYPE_CHECKING:
    from .encaps import PixelDataLocation
    from .slide import SlideGeometry

__all__ = [
    "INDEX_SUFFIX",
    "NotIndexed",
    "Spans",
    "encapsulated_spans",
    "find_index",
    "native_spans",
    "walk",
    "walked_spans",
    "whole_frames",
]

_ITEM = 0xE000FFFE  # (FFFE,E000) as a little-endian uint32
#: The walk of a value with no offset table reads this many bytes per request, WALK_REQUESTS at once.
WALK_BLOCK, WALK_REQUESTS = MAX_REQUEST, 4
INDEX_SUFFIX = ".fcidx"
INDEX_FORMAT = "framecodec-index 1"


@dataclass
class Spans:
    """Where each frame's bytes are in the object: ``starts[i]:ends[i]`` (encapsulated: frame ``i``'s items from
    its first item tag; native: the bytes that hold its bits). ``ends[-1]`` is 0 until it is known (a Basic Offset
    Table says where the last frame starts, not where it ends)."""

    starts: npt.NDArray[np.uint64]
    ends: npt.NDArray[np.uint64]
    source: str  # "extended", "basic", "walk", "index" or "native"
    bits: npt.NDArray[np.uint64] | None = None  # native 1-bit: each frame's first bit within its first byte
    geometry: SlideGeometry | None = None  # a tiled image's, when a sidecar index held it


class NotIndexed(Exception):
    """``open_remote(local=True)``: the file has no matching sidecar index, or needs none (it is memory-mapped)."""


def walk(
    ranges: Ranges,
    at: int,
    block: int,
    what: str,
    requests: int = 1,
    partial: bool = False,
) -> tuple[int | None, npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
    """Every item from ``at`` to the sequence delimiter, read ``requests`` blocks of ``block`` bytes at a time:
    (where the delimiter starts, the items' tag positions, value lengths, first 4 value bytes). ``partial``: an
    object that ends before the delimiter gives its items wholly in it, and None for the delimiter."""
    positions: list[npt.NDArray[np.uint64]] = []
    lengths: list[npt.NDArray[np.uint64]] = []
    heads: list[npt.NDArray[np.uint8]] = []
    size = ranges.size
    while True:
        if at + 8 > size and partial:
            p_all, ln_all = _joined(positions, np.uint64), _joined(lengths, np.uint64)
            keep = p_all + np.uint64(8) + ln_all <= np.uint64(size)  # items wholly in the object
            return None, p_all[keep], ln_all[keep], _joined(heads, np.uint8).reshape(-1, 4)[keep]
        if at + 8 > size:
            raise EncapsulationError(
                f"truncated Pixel Data: {ranges.url} ends at byte {size}, before the sequence delimiter (FFFE,E0DD) "
                f"that ends {what} (the walk of its items reached byte {at})"
            )
        parts = [(a, min(size, a + block)) for a in range(at, min(size, at + requests * block), block)]
        got = ranges.fetch(parts, [f"{what} (the walk of its items)"] * len(parts))
        data = got[0] if len(got) == 1 else b"".join(got)
        p, ln, h, nxt, done = _core._walk_items(data, 0, at)
        positions.append(p)
        lengths.append(ln)
        heads.append(h)
        if done:
            return int(nxt) - 8, np.concatenate(positions), np.concatenate(lengths), np.concatenate(heads)
        at = int(nxt)


def _joined(parts: list[Any], dtype: Any) -> Any:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def encapsulated_spans(
    ranges: Ranges, head: bytes, loc: PixelDataLocation, n: int, ts: str, index: Any, local: bool = False
) -> Spans:
    bot_length = struct.unpack_from("<I", head, loc.offset + 4)[0] if len(head) >= loc.offset + 8 else 0
    tag = struct.unpack_from("<I", head, loc.offset)[0] if len(head) >= loc.offset + 4 else 0
    if tag != _ITEM:
        raise EncapsulationError(
            f"the encapsulated Pixel Data at offset {loc.offset} of {ranges.url} does not start "
            "with an item (the Basic Offset Table, PS3.5 A.4)"
        )
    origin = loc.offset + 8 + bot_length  # the first item after the Basic Offset Table: the tables' origin
    if index is not None and index is not False:  # an index named by the caller is always checked, and used
        named = find_index(ranges, index, origin, n, ts)
        if named is not None:
            return named
    eo, el = loc.extended_offsets, loc.extended_lengths
    if local:  # a local file with an offset table, or whose index does not fit: mapped
        found = None if bot_length or (eo is not None and len(eo)) else find_index(ranges, index, origin, n, ts)
        if found is None:
            raise NotIndexed
        return found
    if eo is not None and el is not None and len(eo):  # PS3.3 C.7.6.3.1.8: one fragment a frame
        if len(eo) != n or len(el) != n:
            raise EncapsulationError(
                f"the Extended Offset Table has {len(eo)} offsets and {len(el)} lengths for the "
                f"data set's (0028,0008) Number of Frames {n}"
            )
        starts = eo.astype(np.uint64) + np.uint64(origin)
        lengths = el.astype(np.uint64)
        return Spans(starts, starts + np.uint64(8) + lengths + (lengths & np.uint64(1)), "extended")
    if bot_length:
        if bot_length != 4 * n:
            raise EncapsulationError(
                f"the Basic Offset Table holds {bot_length // 4} offsets for the data set's "
                f"(0028,0008) Number of Frames {n}"
            )
        bot = np.frombuffer(head, "<u4", n, loc.offset + 8).astype(np.uint64)
        if int(bot[0]) != 0 or (n > 1 and bool(np.any(np.diff(bot.astype(np.int64)) <= 0))):
            raise EncapsulationError("the Basic Offset Table's offsets do not start at 0 and increase (PS3.5 A.4)")
        starts = bot + np.uint64(origin)
        ends = np.append(starts[1:], np.uint64(0))
        return Spans(starts, ends, "basic")
    found = find_index(ranges, index, origin, n, ts) if index is None else None
    if found is not None:
        return found
    return walked_spans(ranges, origin, n, ts)


def walked_spans(ranges: Ranges, origin: int, n: int, ts: str) -> Spans:
    """The spans of a value with no offset table, from a walk of its items (the whole value is read once)."""
    delimiter, positions, lengths, heads = walk(
        ranges, origin, WALK_BLOCK, "the Pixel Data", WALK_REQUESTS, partial=ts in ONE_FRAGMENT_PER_FRAME
    )
    if not len(positions) and delimiter is not None:
        raise EncapsulationError(f"the encapsulated Pixel Data of {ranges.url} holds no fragments")
    item_ends = positions + np.uint64(8) + lengths
    if delimiter is None:  # cut short: a syntax of one fragment a frame, every item wholly in the object a frame
        k = min(len(positions), n)
        missing = np.full(n - k, ranges.size, np.uint64)  # past the end: refused as missing (whole_frames)
        return Spans(np.concatenate((positions[:k], missing)), np.concatenate((item_ends[:k], missing + 1)), "walk")
    if len(positions) == n:
        return Spans(positions, item_ends, "walk")
    if n == 1:
        return Spans(positions[:1], item_ends[-1:], "walk")
    # The frame table's own rules find the frame starts (JPEG SOI, JPEG 2000 SOC SIZ) on a compact copy.
    keep = np.minimum(lengths, 4).astype(np.int64)
    compact = b"".join(struct.pack("<II", _ITEM, int(k)) + heads[i, :k].tobytes() for i, k in enumerate(keep))
    table = frame_table(struct.pack("<II", _ITEM, 0) + compact, n, transfer_syntax=ts)
    ff = table.frame_fragments.astype(np.int64)
    return Spans(positions[ff[:-1]], item_ends[ff[1:] - 1], "walk")


def native_spans(ranges: Ranges, loc: PixelDataLocation, layout: Any) -> Spans:
    n = layout.number_of_frames
    if layout.bits_allocated == 1:  # PS3.5 8.1.1: frames follow each other bit by bit, not byte-aligned
        need = (n * layout.pixels_per_frame + 7) // 8
        bit0 = np.arange(n, dtype=np.uint64) * np.uint64(layout.pixels_per_frame)
        starts = np.uint64(loc.offset) + bit0 // np.uint64(8)
        ends = np.uint64(loc.offset) + (bit0 + np.uint64(layout.pixels_per_frame + 7)) // np.uint64(8)
        spans = Spans(starts, ends, "native", bit0 % np.uint64(8))
    else:
        need = n * layout.stored_frame_size
        starts = np.uint64(loc.offset) + np.arange(n, dtype=np.uint64) * np.uint64(layout.stored_frame_size)
        spans = Spans(starts, starts + np.uint64(layout.stored_frame_size), "native")
    if loc.length is None or loc.length < need:
        raise ValueError(
            f"(0028,0008) Number of Frames {n} with {layout.describe()} needs {need} bytes of Pixel "
            f"Data, but it holds {loc.length}"
        )
    return spans


def whole_frames(spans: Spans, size: int) -> tuple[int | None, str | None]:
    """Frames whose bytes lie past the end of the object: the object was cut short (None, None: none)."""
    ends = spans.ends.astype(np.int64)
    past = np.flatnonzero((ends > size) | (spans.starts.astype(np.int64) >= size))
    if not len(past):
        return None, None
    k = int(past[0])
    return k, f"it ends at byte {size} inside frame {k}, whose bytes run to {int(ends[k]) or 'the end'}"


# --- the sidecar index ----------------------------------------------------------------------------------


def index_identity(ranges: Ranges) -> str:
    """What the index checks the file against: its size, and its ETag, or a local file's modification time."""
    if ranges.etag is not None:
        return f"{ranges.size} {ranges.etag}"
    name = ranges.url
    try:
        return f"{ranges.size} mtime={os.stat(name).st_mtime_ns}"
    except OSError:
        return f"{ranges.size}"


def default_location(ranges: Ranges) -> str | None:
    url = ranges.url
    return url + INDEX_SUFFIX if is_url(url) or os.path.isfile(url) else None


def find_index(ranges: Ranges, index: Any, origin: int, n: int, ts: str) -> Spans | None:
    """The spans an index gives for the object behind ``ranges`` (None: no index, or ``index=False``)."""
    if index is False:
        return None
    where = os.fspath(index) if index is not None else default_location(ranges)
    if where is None:
        return None
    try:
        data = _read(where, ranges)
    except FileNotFoundError:
        if index is None:
            return None
        raise
    why = ""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            fields = {k: z[k] for k in z.files}
        if str(fields["format"]) != INDEX_FORMAT:
            why = f"it is not a framecodec index of this version ({fields['format']})"
        elif str(fields["identity"]) != index_identity(ranges):
            why = f"it was made for another version of the file ({fields['identity']}, now {index_identity(ranges)})"
        elif (int(fields["origin"]), int(fields["frames"]), str(fields["transfer_syntax"])) != (origin, n, ts):
            why = "its Pixel Data, Number of Frames or transfer syntax differ from the file's"
        else:
            starts, ends = fields["starts"].astype(np.uint64), fields["ends"].astype(np.uint64)
            if len(starts) != n or len(ends) != n or bool(np.any(ends <= starts)) or int(ends.max()) > ranges.size:
                why = "its frame spans do not fit the file"
            geometry = _geometry(fields, n)
    except (KeyError, ValueError, OSError) as e:
        why = f"it cannot be read ({e})"
    if why:
        message = f"the index {where} is not used: {why}"
        if index is not None:
            raise ValueError(message)
        warnings.warn(message + "; the Pixel Data is walked instead", stacklevel=5)
        return None
    return Spans(starts, ends, "index", geometry=geometry)


def _geometry(fields: dict[str, Any], n: int) -> Any:
    """The tile positions an index holds (None when the file is not tiled)."""
    from .slide import SlideGeometry

    if "g_positions" not in fields:
        return None
    positions = fields["g_positions"].astype(np.int64)
    if positions.shape != (n, 2):
        raise ValueError(f"its tile positions are of shape {positions.shape} for {n} frames")
    return SlideGeometry(
        str(fields["g_organization"]),
        int(fields["g_total"][0]),
        int(fields["g_total"][1]),
        positions,
        fields["g_focal_planes"].astype(np.int64),
        fields["g_optical_paths"].astype(np.int64),
        tuple(float(z) for z in fields["g_z"]),
        tuple(str(i) for i in fields["g_paths"]),
    )


#: The largest index read (32 bytes a frame, more with tile positions: a 200,000-frame slide's is about 10 MB).
_MAX_INDEX = 256 << 20


def _read(where: str, ranges: Ranges) -> bytes:
    """The index's bytes, through the same checked, retried reads as the object's (with its options)."""
    if not is_url(where):
        return Path(where).read_bytes()
    index = open_ranges(where, getattr(ranges, "storage_options", None), ranges.retries)
    try:
        return index.head(_MAX_INDEX)
    finally:
        with ranges._count:
            ranges.requests += index.requests
            ranges.bytes_read += index.bytes_read
