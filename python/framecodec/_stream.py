"""A local file's frames read in order, batch by batch, with ``pread``: what ``transcode`` reads from.

Nothing is memory-mapped: a map's pages count in the process's resident memory, and on kernels that cache files in
large folios one touch maps a whole folio, so that even checking each item header of a file maps all of it. Here
the header is read by pydicom and ``locate_pixel_data`` (up to Pixel Data), the frame boundaries come from the
Extended or Basic Offset Table (or, when both are empty, a walk of the item headers: 12 bytes read per item), and
each batch's bytes are read into one buffer, headed by a Basic Offset Table made for the batch, so that the
frame table and the batch engine check and decode them exactly as they do a whole file's. Resident memory is
then that of a batch, whatever the file's size.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._core import EncapsulationError
from ._layout import BIG_ENDIAN, PixelLayout, layout_of
from ._source import _HEADER_TAGS, Frames, _engine_codec, _read, float_pixels_follow
from .encaps import frame_bytes, frame_table, locate_pixel_data

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["FileStream", "open_stream"]

_ITEM, _DELIMITER = 0xE000FFFE, 0xE0DDFFFE  # (FFFE,E000), (FFFE,E0DD) read as one little-endian uint32
_DEFLATED_DATA_SET = "1.2.840.10008.1.2.1.99"


class FileStream:
    """Frames ``start:stop`` of a file as the engine takes them (:meth:`batch`), read with ``pread``."""

    def __init__(self, path: str, ds: Dataset, layout: PixelLayout, ts: str, codec: Any, fd: int, size: int) -> None:
        self.path, self.ds, self.layout, self.transfer_syntax, self.codec = path, ds, layout, ts, codec
        self._fd, self._size = fd, size
        # encapsulated: each frame's first item (its tag's offset in the file), and where the last frame ends
        self._starts: npt.NDArray[np.uint64] | None = None
        self._end = 0
        self._extended: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]] | None = None
        self._native_at = 0  # native: the value's first byte

    def __len__(self) -> int:
        return self.layout.number_of_frames

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> FileStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def batch(self, start: int, stop: int) -> Frames:
        """Frames ``start:stop`` in a buffer of their own, with their table, for ``_decode.decode``."""
        k = stop - start
        if self._starts is None:
            return self._native_batch(start, stop)
        first = int(self._starts[start])
        end = int(self._starts[stop]) if stop < len(self) else self._end
        if self._extended is not None:  # one fragment a frame, PS3.3 C.7.6.3.1.8: the lengths are the table's
            offsets, lengths = self._extended
            chunk = self._read_items(first, end, np.zeros(0, np.uint64))
            table = frame_table(
                chunk, k, offsets[start:stop] - offsets[start], lengths[start:stop], self.transfer_syntax
            )
        else:
            chunk = self._read_items(first, end, self._starts[start:stop] - np.uint64(first))
            table = frame_table(chunk, k, transfer_syntax=self.transfer_syntax)
        return Frames(
            self.ds,
            self.layout,
            self.transfer_syntax,
            self.codec,
            chunk,
            table.offsets,
            table.lengths,
            table.frame_fragments,
            table.source == "extended",
            table,
        )

    def raw(self, frames: Frames) -> list[memoryview | bytes]:
        """The codestreams of a batch's frames (views of its buffer where a frame is one fragment); native frames'
        bytes (Bits Allocated 8 or more)."""
        if frames.table is None:
            size = self.layout.stored_frame_size
            return [frames.buffer[i * size : (i + 1) * size] for i in range(len(frames.offsets))]
        return [frame_bytes(frames.buffer, frames.table, i) for i in range(len(frames.table))]

    def _read_items(self, first: int, end: int, bot: npt.NDArray[np.uint64]) -> memoryview:
        """The items from ``first`` to ``end`` headed by a Basic Offset Table item holding ``bot``."""
        head = 8 + 4 * len(bot)
        chunk = np.empty(head + end - first, np.uint8)
        chunk[:8] = np.frombuffer(struct.pack("<II", _ITEM, 4 * len(bot)), np.uint8)
        chunk[8:head] = np.frombuffer(bot.astype("<u4").tobytes(), np.uint8)
        self._pread_into(chunk[head:], first)
        return chunk.data

    def _native_batch(self, start: int, stop: int) -> Frames:
        lay = self.layout
        if lay.bits_allocated == 1:  # PS3.5 8.1.1: frames follow each other bit by bit
            bit0 = start * lay.pixels_per_frame
            first, end = bit0 // 8, (stop * lay.pixels_per_frame + 7) // 8
            offsets = np.arange(stop - start, dtype=np.uint64) * np.uint64(lay.pixels_per_frame) + np.uint64(bit0 % 8)
        else:
            first, end = start * lay.stored_frame_size, stop * lay.stored_frame_size
            offsets = np.arange(stop - start, dtype=np.uint64) * np.uint64(lay.stored_frame_size)
        chunk = np.empty(end - first, np.uint8)
        self._pread_into(chunk, self._native_at + first)
        lengths = np.full(stop - start, lay.stored_frame_size, np.uint64)
        return Frames(self.ds, lay, self.transfer_syntax, "native", chunk.data, offsets, lengths, None, False)

    def _pread_into(self, out: npt.NDArray[np.uint8], at: int) -> None:
        view = out.data
        done = 0
        while done < len(view):
            got = os.preadv(self._fd, [view[done:]], at + done)
            if got <= 0:
                raise EncapsulationError(
                    f"truncated Pixel Data: {self.path} ends at byte {self._size}, inside the frames' bytes "
                    f"{at}-{at + len(view)}"
                )
            done += got

    def _pread(self, n: int, at: int) -> bytes:
        data = os.pread(self._fd, n, at)
        if len(data) < n:
            raise EncapsulationError(
                f"truncated Pixel Data: {self.path} ends at byte {self._size}, before byte {at + n}"
            )
        return data


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def require_regular_file(path: str) -> None:
    """``OSError`` (EINVAL) for a path that is not a regular file, before anything opens it: opening a FIFO waits
    for a writer, and a device (``/dev/zero``) never ends. The words are the C++ ``RegularFile``'s."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    for test, kind in _KINDS:
        if test(mode):
            raise OSError(errno.EINVAL, f"not a regular file but {kind}, which is not read", path)


def open_stream(path: str) -> FileStream | None:
    """The frames of ``path`` for reading in order, or None when the file needs ``FrameReader`` (a syntax pydicom
    decodes without a frame table, Explicit VR Big Endian, a deflated data set). Raises as ``FrameReader`` does
    for a bad file."""
    require_regular_file(path)
    with open(path, "rb") as f:
        ds = _read(f, convert=True, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
        floats = float_pixels_follow(f)
    if floats:
        raise ValueError(f"{path}: {floats} cannot be transcoded: it cannot be encapsulated (PS3.5 A.4)")
    ts = str(ds.file_meta.get("TransferSyntaxUID", "") if hasattr(ds, "file_meta") else "")
    if not ts or ts in (BIG_ENDIAN, _DEFLATED_DATA_SET):
        return None
    codec = _engine_codec(ts, ds)
    loc = locate_pixel_data(path)
    if not loc.encapsulated and codec != "native":
        return None
    layout = layout_of(ds)
    fd = os.open(path, os.O_RDONLY)
    try:
        stream = FileStream(path, ds, layout, ts, codec, fd, os.fstat(fd).st_size)
        if not loc.encapsulated:
            stream._native_at = loc.offset
            need = (
                (len(stream) * layout.pixels_per_frame + 7) // 8
                if layout.bits_allocated == 1
                else (len(stream) * layout.stored_frame_size)
            )
            if loc.length is None or loc.length < need or loc.offset + need > stream._size:
                raise ValueError(
                    f"(0028,0008) Number of Frames {len(stream)} with {layout.describe()} needs {need} bytes of Pixel "
                    f"Data, but it holds {min(loc.length or 0, stream._size - loc.offset)}"
                )
        else:
            _frame_starts(stream, loc.offset, loc.extended_offsets, loc.extended_lengths)
        return stream
    except BaseException:
        os.close(fd)
        raise


def _frame_starts(stream: FileStream, value_at: int, eo: Any, el: Any) -> None:
    """Each frame's first item from the offset tables, or from a walk of the item headers when both are empty."""
    n = len(stream)
    tag, bot_length = struct.unpack("<II", stream._pread(8, value_at))
    if tag != _ITEM:
        raise EncapsulationError(
            f"the encapsulated Pixel Data at offset {value_at} does not start with an item "
            "(the Basic Offset Table, PS3.5 A.4)"
        )
    origin = value_at + 8 + bot_length  # the first item after the Basic Offset Table: the tables' origin
    if eo is not None and len(eo):  # PS3.3 C.7.6.3.1.8: one fragment a frame
        if len(eo) != n or len(el) != n:
            raise EncapsulationError(
                f"the Extended Offset Table has {len(eo)} offsets and {len(el)} lengths for {n} frames"
            )
        if n > 1 and np.any(np.diff(eo.astype(np.int64)) <= 0):  # each batch is read from its first frame on
            raise EncapsulationError("the Extended Offset Table's offsets do not increase")
        stream._extended = (eo.astype(np.uint64), el.astype(np.uint64))
        stream._starts = eo.astype(np.uint64) + np.uint64(origin)
        last = int(stream._starts[-1])
        tag, length = struct.unpack("<II", stream._pread(8, last))  # the last item's own length: the end
        if tag != _ITEM or length == 0xFFFFFFFF:
            raise EncapsulationError(
                f"the Extended Offset Table's last offset does not land on an item tag (byte {last})"
            )
        stream._end = last + 8 + length
        return
    if bot_length:
        if bot_length != 4 * n:
            raise EncapsulationError(f"the Basic Offset Table holds {bot_length // 4} offsets for {n} frames")
        bot = np.frombuffer(stream._pread(bot_length, value_at + 8), "<u4").astype(np.uint64)
        if np.any(np.diff(bot.astype(np.int64)) <= 0):
            raise EncapsulationError("the Basic Offset Table's offsets do not increase")
        stream._starts = bot + np.uint64(origin)
        positions, lengths, _ = _walk(stream, int(stream._starts[-1]))  # the last frame's fragments
        stream._end = int(positions[-1]) + 8 + int(lengths[-1])
        return
    positions, lengths, heads = _walk(stream, origin)
    if len(positions) == n:
        frame_first = np.arange(n)
    elif n == 1:
        frame_first = np.zeros(1, np.int64)
    else:  # the frame table's own rules find the frame starts (JPEG SOI, JPEG 2000 SOC SIZ), on a compact copy
        compact = b"".join(struct.pack("<II", _ITEM, len(h)) + h for h in heads)
        table = frame_table(struct.pack("<II", _ITEM, 0) + compact, n, transfer_syntax=stream.transfer_syntax)
        frame_first = table.frame_fragments[:-1].astype(np.int64)
    stream._starts = positions[frame_first]
    stream._end = int(positions[-1]) + 8 + int(lengths[-1])


def _walk(stream: FileStream, at: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], list[bytes]]:
    """Every fragment item's position, value length and first 4 bytes, up to the sequence delimiter."""
    positions: list[int] = []
    lengths: list[int] = []
    heads: list[bytes] = []
    while True:
        data = os.pread(stream._fd, 12, at)
        if len(data) < 8:
            raise EncapsulationError(
                f"truncated Pixel Data: {stream.path} ends at byte {stream._size} without the sequence delimiter "
                f"(FFFE,E0DD), after {len(positions)} fragments"
            )
        tag, length = struct.unpack("<II", data[:8])
        if tag == _DELIMITER:
            break
        if tag != _ITEM or length == 0xFFFFFFFF:
            raise EncapsulationError(
                f"expected an item tag (FFFE,E000) at byte {at} of the Pixel Data, found {data[:4].hex()}"
            )
        if at + 8 + length > stream._size:
            raise EncapsulationError(
                f"truncated Pixel Data: the fragment at byte {at} runs past the end of the {stream._size}-byte file"
            )
        positions.append(at)
        lengths.append(length)
        heads.append(data[8 : 8 + min(4, length)])
        at += 8 + length
    if not positions:
        raise EncapsulationError("the encapsulated Pixel Data holds no fragments")
    return np.array(positions, np.uint64), np.array(lengths, np.uint64), heads
