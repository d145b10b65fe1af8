"""A file read by byte ranges (an object in a bucket, on an HTTP server, or a file object): ``FrameReader``'s remote
half.

Opening reads the header in one request (``HEAD_BYTES``; more, in larger steps, only when the header is longer),
finds the Pixel Data in it with the C++ ``locate_pixel_data``, and makes each frame's *span*, the bytes of its
items in the object, from the Extended or Basic Offset Table in those bytes, without reading any frame. A value
with neither table is indexed once by walking its item headers (C++, over large sequential reads: the whole Pixel
Data is read), or from a sidecar index when one is there and matches the object.

A read then asks for the spans of every frame it needs at once (``_ranges`` merges and fetches them concurrently),
copies them behind a Basic Offset Table made for the batch, and has the frame table and the batch engine check and
decode them exactly as they do a local file's: a frame's items are never trusted more than in a file. Frames keep
their numbers in the batch (the table has every frame, those not fetched with no fragments), so the engine's
errors name the frame of the file. Recently read frames are kept (``cache_bytes``) for overlapping regions; large
reads are fetched and decoded in slices of about ``SLICE_BYTES``, the next slice fetched while one decodes.

Transfer syntaxes whose Pixel Data cannot be cut into frames by position (Explicit VR Big Endian, a deflated data
set, float pixels and native data that pydicom decodes) are read whole into a temporary file first.
"""

from __future__ import annotations

import io
import os
import re
import struct
import tempfile
import threading
import weakref
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._core import EncapsulationError
from ._layout import BIG_ENDIAN, layout_of, number_of_frames
from ._ranges import HEAD_BYTES, MAX_REQUEST, Ranges
from ._source import _HEADER_TAGS, Frames, _engine_codec, _layout_or_none, _read, float_pixels_follow, open_partial
from ._spans import NotIndexed, Spans, encapsulated_spans, native_spans, walk, whole_frames
from .encaps import FrameTable, frame_table, locate_pixel_data

if TYPE_CHECKING:
    from .encaps import PixelDataLocation

__all__ = ["NotIndexed", "Remote", "open_remote"]

_ITEM, _DELIMITER = 0xE000FFFE, 0xE0DDFFFE  # (FFFE,E000), (FFFE,E0DD) as little-endian uint32
_DEFLATED_DATA_SET = "1.2.840.10008.1.2.1.99"
#: A read's frames are fetched and decoded in slices of about this many bytes.
SLICE_BYTES = 64 << 20


class Remote:
    """The ranged half of a remote ``FrameReader``: the header's ``Frames`` and the frames' spans."""

    def __init__(self, ranges: Ranges, header: bytes, frames: Frames, spans: Spans | None, cache_bytes: int) -> None:
        self.ranges, self.header, self.frames, self.spans = ranges, header, frames, spans
        self.cache_bytes = cache_bytes
        self.local_path: str | None = None  # an object read whole: the temporary file that holds it
        self.element_offset = 0  # the (7FE0,0010) tag's first byte
        self.native_end: int | None = None  # native Pixel Data: the value's end
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    @property
    def ranged(self) -> bool:
        """Whether frames are fetched by range (else the object was read whole into a temporary file)."""
        return self.spans is not None

    def __getstate__(self) -> dict[str, Any]:
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("ranges", "_cache", "_cached", "_lock", "local_path", "_unlink")
        }
        state["recipe"] = self.ranges.recipe()
        if not self.ranged:  # read whole: opened again where it is unpickled
            state["frames"] = state["spans"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from ._ranges import reopen

        recipe = state.pop("recipe")
        ranges = reopen(*recipe)
        if state["spans"] is None:
            again = open_remote(ranges, index=False, cache_bytes=state["cache_bytes"])
            state = {**state, "frames": again.frames, "header": again.header}
            if again.local_path is not None:  # the temporary file now goes with this object
                state["local_path"] = again.local_path
                self._unlink = weakref.finalize(self, _remove, again.local_path)
                again._unlink.detach()
        self.__dict__.update(state)
        self.__dict__.setdefault("local_path", None)
        self.ranges = ranges
        self._cache, self._cached, self._lock = OrderedDict(), 0, threading.Lock()

    # --- fetching frames -------------------------------------------------------------------------------

    def slices(self, sel: npt.NDArray[np.int64]) -> list[slice]:
        """``sel`` cut into runs of about ``SLICE_BYTES`` of frame bytes, in order."""
        assert self.spans is not None
        sizes = self._sizes(sel)
        total = np.cumsum(sizes)
        if not len(sel) or int(total[-1]) <= SLICE_BYTES:
            return [slice(0, len(sel))]
        cuts = np.searchsorted(total, np.arange(SLICE_BYTES, int(total[-1]), SLICE_BYTES), side="right")
        bounds = [0, *sorted({int(c) for c in cuts if 0 < c < len(sel)}), len(sel)]
        return [slice(a, b) for a, b in zip(bounds, bounds[1:])]

    def _sizes(self, sel: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        assert self.spans is not None
        ends = self.spans.ends.astype(np.int64)
        ends[-1] = ends[-1] or self.ranges.size  # the last frame's end may not be known yet
        return (ends - self.spans.starts.astype(np.int64))[sel]

    def gather(self, wanted: npt.NDArray[np.int64]) -> Frames:
        """A ``Frames`` holding frames ``wanted`` (any order, repeats allowed) under their own numbers."""
        assert self.spans is not None
        frames = np.unique(wanted)
        pieces = self._bytes(frames)
        if self.spans.source == "native":
            return self._native(frames, pieces)
        return self._encapsulated(frames, pieces)

    def _bytes(self, frames: npt.NDArray[np.int64]) -> list[bytes | memoryview]:
        """Each frame's span, from the cache or fetched (the fetched ones cached)."""
        spans = self.spans
        assert spans is not None
        n = len(spans.starts)
        if n - 1 in frames:
            self.settle()
        whole = self.frames.whole_frames
        if whole is not None and self.frames.truncation is not None and int(frames[-1]) >= whole:
            from ._truncated import missing_frames_error

            raise missing_frames_error(frames[frames >= whole].tolist(), whole, n, self.frames.truncation)
        with self._lock:
            held = {int(f): self._cache[int(f)] for f in frames if int(f) in self._cache}
            for f in held:
                self._cache.move_to_end(f)
        missing = [int(f) for f in frames if int(f) not in held]
        got = self.ranges.fetch(
            [(int(spans.starts[f]), int(spans.ends[f])) for f in missing], [f"frame {f}" for f in missing]
        )
        fetched = dict(zip(missing, got))
        self._keep(fetched)
        return [held[int(f)] if int(f) in held else fetched[int(f)] for f in frames]

    def _keep(self, fetched: dict[int, memoryview]) -> None:
        if self.cache_bytes <= 0:
            return
        kept, room = {}, self.cache_bytes  # the last frames of a large read only: the rest would be evicted at once
        for f in reversed(list(fetched)):
            room -= len(fetched[f])
            if room < 0:
                break
            kept[f] = fetched[f]
        with self._lock:
            for f, view in reversed(kept.items()):
                if len(view) > self.cache_bytes // 4 or f in self._cache:
                    continue
                self._cache[f] = bytes(view)  # a copy: a view would keep its whole merged request alive
                self._cached += len(view)
            while self._cached > self.cache_bytes:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old)

    def _native(self, frames: npt.NDArray[np.int64], pieces: list[bytes | memoryview]) -> Frames:
        spans, lay = self.spans, self.frames.layout
        assert spans is not None
        n = len(spans.starts)
        chunk = np.concatenate([np.frombuffer(p, np.uint8) for p in pieces])
        sizes = np.array([len(p) for p in pieces], np.uint64)
        at = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.uint64)  # each frame's first byte in the chunk
        offsets = np.zeros(n, np.uint64)
        offsets[frames] = at * np.uint64(8) + spans.bits[frames] if spans.bits is not None else at  # 1-bit: in bits
        lengths = np.full(n, lay.stored_frame_size, np.uint64)
        return replace(self.frames, buffer=chunk.data, offsets=offsets, lengths=lengths, frame_fragments=None)

    def _encapsulated(self, frames: npt.NDArray[np.int64], pieces: list[bytes | memoryview]) -> Frames:
        """The frames' items behind a Basic Offset Table of their own, tabled by the C++ frame table."""
        n = len(self.spans.starts)  # type: ignore[union-attr]
        k = len(frames)
        sizes = np.array([len(p) for p in pieces], np.uint64)
        bot = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype("<u4")
        head = np.frombuffer(struct.pack("<II", _ITEM, 4 * k) + bot.tobytes(), np.uint8)
        chunk = np.concatenate([head, *(np.frombuffer(p, np.uint8) for p in pieces)])
        try:
            table = frame_table(chunk.data, k, transfer_syntax=self.frames.transfer_syntax)
        except EncapsulationError:
            raise self._blame(frames, pieces) from None
        counts = np.zeros(n, np.uint64)
        counts[frames] = np.diff(table.frame_fragments)
        ff = np.concatenate(([0], np.cumsum(counts))).astype(np.uint64)
        table = FrameTable(
            table.offsets,
            table.lengths,
            ff,
            table.source,
            table.first_item,
            table.end,
            table.has_delimiter,
            table.buffer_address,
            table.buffer_size,
        )
        return replace(
            self.frames,
            buffer=chunk.data,
            offsets=table.offsets,
            lengths=table.lengths,
            frame_fragments=ff,
            extended=False,
            table=table,
        )

    def _blame(self, frames: npt.NDArray[np.int64], pieces: list[bytes | memoryview]) -> EncapsulationError:
        """The error of the first frame whose items do not make a frame on their own."""
        spans = self.spans
        assert spans is not None
        for f, piece in zip(frames.tolist(), pieces):
            one = struct.pack("<II", _ITEM, 4) + b"\0\0\0\0" + bytes(piece)
            try:
                frame_table(one, 1, transfer_syntax=self.frames.transfer_syntax)
            except EncapsulationError as e:
                return EncapsulationError(
                    f"frame {f} (bytes {int(spans.starts[f])}-{int(spans.ends[f]) - 1} of {self.ranges.url}, from the "
                    f"{_TABLES[spans.source]}): its items are not one frame: {e}"
                )
        return EncapsulationError(f"frames {frames.tolist()[:8]} of {self.ranges.url} do not make a frame table")

    def settle(self) -> None:
        """Finds where the last frame's items end, once (a Basic Offset Table does not say): a walk from its first
        item to the sequence delimiter. An object that ends before it has lost its last frame, which is then
        missing (``whole_frames``), as in a local file cut short."""
        spans = self.spans
        if spans is None or spans.source == "native" or int(spans.ends[-1]):
            return
        start, n, size = int(spans.starts[-1]), len(spans.starts), self.ranges.size
        typical = int(np.median(np.diff(spans.starts.astype(np.int64)))) if n > 1 else 0
        end = walk(self.ranges, start, max(2 * typical, 1 << 16), "the last frame", partial=True)[0]
        if end is not None:
            spans.ends[-1] = end
            return
        spans.ends[-1] = size + 1  # past the end: missing
        if self.frames.whole_frames is None or self.frames.whole_frames > n - 1:
            self.frames.whole_frames = n - 1
            self.frames.truncation = (
                f"it ends at byte {size} inside frame {n - 1}, the last, before the sequence delimiter (FFFE,E0DD)"
            )

    def pixel_data_end(self) -> int:
        """Where the Pixel Data element ends (encapsulated: past its sequence delimiter)."""
        spans = self.spans
        assert spans is not None
        if self.native_end is not None:
            return self.native_end
        self.settle()
        return int(spans.ends.max()) + 8  # the delimiter item (FFFE,E0DD) and its zero length, PS3.5 A.4

    def data_set(self) -> bytes:
        """The file without its Pixel Data: the header read at open, then the elements after the Pixel Data (a few
        bytes fetched, when there are any), for pydicom."""
        if self.spans is None:
            raise ValueError("the object was read whole")
        end = self.pixel_data_end()
        tail = (
            bytes(self.ranges.fetch([(end, self.ranges.size)], ["the elements after the Pixel Data"])[0])
            if (end < self.ranges.size)
            else b""
        )
        return self.header[: self.element_offset] + tail

    def describe(self) -> dict[str, Any]:
        """What ``framecodec info`` says of the frames' bytes: the offset table, how frames were found, their bytes
        (item headers excluded: an estimate where a frame is several fragments)."""
        spans = self.spans
        assert spans is not None
        if spans.source == "native":
            return {
                "offset_table": None,
                "frames_found_by": None,
                "compressed": self.pixel_data_end() - int(spans.starts[0]),
            }
        self.pixel_data_end()
        n = len(spans.starts)
        compressed = int((spans.ends.astype(np.int64) - spans.starts.astype(np.int64)).sum()) - 8 * n
        table = {"extended": "extended", "basic": "basic"}.get(spans.source, "empty")
        return {"offset_table": table, "frames_found_by": spans.source, "compressed": compressed}


_TABLES = {
    "extended": "Extended Offset Table",
    "basic": "Basic Offset Table",
    "walk": "walk of its items",
    "index": "sidecar index",
    "native": "native Pixel Data",
}


def _transfer_syntax(head: bytes) -> str:
    """(0002,0010) from the file meta information (explicit VR little endian, PS3.10 7.1), or ""."""
    at = head.find(b"\x02\x00\x10\x00UI", 0, 4096)
    if at < 0:
        return ""
    (length,) = struct.unpack_from("<H", head, at + 6)
    return head[at + 8 : at + 8 + length].rstrip(b"\0 ").decode("ascii", "replace")


def open_remote(ranges: Ranges, *, index: Any = None, cache_bytes: int = 64 << 20, local: bool = False) -> Remote:
    """Reads the header of the object behind ``ranges`` and makes its frames' spans (see the module's text).
    ``local``: a local file, read so only when its frames come from a sidecar index (else ``NotIndexed``)."""
    head = ranges.head(HEAD_BYTES)
    if len(head) == 0:
        raise ValueError(f"{ranges.url} is empty, not a DICOM file")
    syntax = _transfer_syntax(head)
    if not syntax:  # nothing more is read of an object that is no DICOM file
        raise ValueError(
            f"{ranges.url} has no (0002,0010) Transfer Syntax UID: it is not a DICOM file with file meta "
            "information (PS3.10 7.1), or it is truncated"
        )
    if syntax in (BIG_ENDIAN, _DEFLATED_DATA_SET):
        return _whole(ranges, head, cache_bytes, local)
    loc, head = _locate(ranges, head)
    if loc is None:
        return _whole(ranges, head, cache_bytes, local)
    f = io.BytesIO(head)
    ds = _read(f, convert=True, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
    if float_pixels_follow(f):
        return _whole(ranges, head, cache_bytes, local)
    ts = str(ds.file_meta.get("TransferSyntaxUID", "") if hasattr(ds, "file_meta") else "")
    if not ts:
        raise ValueError(
            f"{ranges.url} has no (0002,0010) Transfer Syntax UID: it is not a DICOM file with file meta "
            "information (PS3.10 7.1)"
        )
    codec = _engine_codec(ts, ds)
    if not loc.encapsulated and codec != "native":  # native data pydicom decodes: read whole
        return _whole(ranges, head, cache_bytes, local)
    if loc.encapsulated and codec == "native":
        raise EncapsulationError(
            f"the transfer syntax {ts} needs native Pixel Data, but the Pixel Data at offset "
            f"{loc.offset} is encapsulated"
        )
    if not loc.encapsulated and codec is None:
        return _whole(ranges, head, cache_bytes, local)
    layout = layout_of(ds) if codec is not None else _layout_or_none(ds)
    n = layout.number_of_frames if codec is not None else number_of_frames(ds)
    if local and not loc.encapsulated:
        raise NotIndexed
    if loc.encapsulated:
        spans = encapsulated_spans(ranges, head, loc, n, ts, index, local)
    else:
        spans = native_spans(ranges, loc, layout)
    whole, note = whole_frames(spans, ranges.size)
    claims = (spans.ends.astype(np.int64) - spans.starts.astype(np.int64)).clip(0).astype(np.uint64)
    if not int(spans.ends[-1]):
        claims[-1] = max(0, ranges.size - int(spans.starts[-1]))
    frames = Frames(
        ds,
        layout,
        ts,
        codec,
        b"",
        spans.starts,
        claims,
        np.arange(n + 1, dtype=np.uint64),
        False,
        whole_frames=whole,
        truncation=note,
    )
    if codec == "native":
        frames.frame_fragments = None
    remote = Remote(ranges, head, frames, spans, cache_bytes)
    remote.element_offset = loc.element_offset
    remote.native_end = None if loc.encapsulated else loc.offset + (loc.length or 0)
    return remote


#: locate_pixel_data's words for an element whose value runs past the end of what was read.
_CUT = re.compile(r"at offset (\d+) has length (\d+)")


def _locate(ranges: Ranges, head: bytes) -> tuple[PixelDataLocation | None, bytes]:
    """The Pixel Data's location, reading on while the header is longer than what was read (twice as far each time,
    or past an element whose length says how far) until its Basic Offset Table is in; None when the object, read
    whole, has no Pixel Data to locate."""
    while True:
        need = 0
        try:
            loc = locate_pixel_data(head)
            need = loc.offset + 8
            if loc.encapsulated and len(head) >= need:
                need += struct.unpack_from("<I", head, loc.offset + 4)[0]  # the Basic Offset Table's value
            if len(head) >= need or not loc.encapsulated or len(head) >= ranges.size:
                return loc, head
        except EncapsulationError as e:
            if len(head) >= ranges.size:
                if "no (7FE0,0010)" in str(e) or "Pixel Data" not in str(e):
                    return None, head  # pydicom reads what is there (float pixels, ...) and says what is wrong
                raise EncapsulationError(f"{ranges.url}: {e}") from None
            if "truncated data set" not in str(e):
                raise EncapsulationError(f"{ranges.url}: {e}") from None
            cut = _CUT.search(str(e))  # an element of known length runs past what was read: read past its end
            need = int(cut[1]) + 12 + int(cut[2]) + (64 << 10) if cut else 0
        grow = min(ranges.size, max(2 * len(head), need))
        head += bytes(ranges.fetch([(len(head), grow)], ["the header"])[0])


def _whole(ranges: Ranges, head: bytes, cache_bytes: int, local: bool = False) -> Remote:
    """The object read whole into a temporary file, opened as a local file (the file is removed with the reader)."""
    if local:
        raise NotIndexed
    fd, path = tempfile.mkstemp(prefix="framecodec-", suffix=".dcm")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
            at = len(head)
            while at < ranges.size:
                parts = [
                    (a, min(ranges.size, a + MAX_REQUEST))
                    for a in range(at, min(ranges.size, at + 4 * MAX_REQUEST), MAX_REQUEST)
                ]
                for piece in ranges.fetch(parts, ["the object"] * len(parts)):
                    out.write(piece)
                at = parts[-1][1]
        try:
            frames = open_partial(path)
        except ValueError as e:  # the messages name the object, not its temporary copy
            raise type(e)(str(e).replace(path, ranges.url)) from None
    except BaseException:
        os.unlink(path)
        raise
    remote = Remote(ranges, head, frames, None, cache_bytes)
    remote.local_path = path  # pydicom reads it for the syntaxes it decodes
    remote._unlink = weakref.finalize(remote, _remove, path)
    return remote


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
