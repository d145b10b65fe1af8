"""``FrameWriter``: a multi-frame DICOM file written as a stream of frame batches, in bounded memory.

The header (every attribute but Pixel Data) is written first, with room for the offset table; each
``write(frames)`` encodes one batch on the worker pool (one C++ call, the GIL released) and appends its
items; ``close()`` fills in the offset table, appends the sequence delimiter and what follows Pixel Data,
syncs the file and renames it into place. Memory is that of a batch, whatever the number of frames. What it checks
before writing, and with ``verify=True`` after, is in ``_writer_checks``.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import _core
from ._backends import Backend
from ._compress import _frames_of
from ._file_header import file_header
from ._layout import PixelLayout, layout_of
from ._output import discard, publish, temporary_beside
from ._writer_checks import (
    ENCODERS,
    EXPLICIT,
    LIMIT,
    check_bits,
    encapsulated,
    native_length,
    verify_batch,
    verify_file,
    worst_item,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset
    from typing_extensions import Buffer

__all__ = ["FrameWriter", "OffsetTable"]

OffsetTable = Literal["auto", "basic", "extended", "none"]

_ITEM = b"\xfe\xff\x00\xe0"  # (FFFE,E000) Item, little endian
_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"  # (FFFE,E0DD) Sequence Delimitation Item, PS3.5 A.4


class FrameWriter:
    """Write a multi-frame DICOM file frame batch by frame batch.

    ``dataset`` holds every attribute but Pixel Data (Number of Frames included; it is copied, never changed).
    ``transfer_syntax``: Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, 1-bit frames packed), RLE
    Lossless (1.2.840.10008.1.2.5), Encapsulated Uncompressed (1.2.840.10008.1.2.1.98) or native Explicit VR
    Little Endian (1.2.840.10008.1.2.1) for ``write``; any encapsulated syntax for ``write_encoded``.
    ``level`` and ``backend`` choose the deflate encoder (as ``framecodec.compress``), ``threads`` the workers.
    ``offset_table``: ``"auto"`` writes the Basic Offset Table when the Pixel Data cannot reach 4 GiB (by the
    codec's worst case), else the Extended Offset Table; ``"basic"``, ``"extended"`` or ``"none"`` (an empty
    Basic Offset Table only). ``verify=True`` decodes every encoded batch again and compares it with the frames
    given, and on ``close`` opens the file written and checks its frame table and first and last frames.

    The file is written to a temporary name beside ``path`` and renamed by ``close()``; ``abort()``, an
    exception inside a ``with`` block, a frame count that is not Number of Frames, or a writer dropped unclosed
    leave no output and no temporary file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        dataset: Dataset,
        transfer_syntax: str,
        *,
        level: int | None = None,
        backend: Backend | None = None,
        threads: int | None = None,
        offset_table: OffsetTable = "auto",
        verify: bool = False,
    ) -> None:
        self.path = Path(os.fspath(path))
        ts = str(transfer_syntax)
        if offset_table not in ("auto", "basic", "extended", "none"):
            raise ValueError(f"offset_table must be 'auto', 'basic', 'extended' or 'none', not {offset_table!r}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._codec = ENCODERS.get(ts)
        self._native = ts == EXPLICIT
        if not self._native and self._codec is None and not encapsulated(ts):
            raise ValueError(
                f"FrameWriter writes {', '.join(sorted([*ENCODERS, EXPLICIT]))} (and the codestreams of any "
                f"encapsulated transfer syntax with write_encoded), not {ts}"
            )
        if backend not in (None, "zlib", "libdeflate"):
            raise ValueError(f"backend must be 'zlib' or 'libdeflate', not {backend!r}")
        if backend == "libdeflate" and _core.libdeflate_version is None:
            raise ValueError("backend='libdeflate': framecodec was built without libdeflate")
        if backend is not None and self._codec != "deflate":
            raise ValueError(f"backend applies to Deflated Image Frame Compression only, not {ts}")
        self.level = 6 if level is None else level
        top = 12 if backend == "libdeflate" else 9
        if self._codec == "deflate" and not -1 <= self.level <= top:
            raise ValueError(f"level must be -1 or 0-{top} for the {backend or 'zlib'} backend, got {self.level}")
        self.backend, self.threads, self.verify = backend, threads, verify
        self.transfer_syntax = ts
        self.layout: PixelLayout = layout_of(dataset)
        self.number_of_frames = self.layout.number_of_frames
        self.frames_written = 0
        n = self.number_of_frames
        self._table: str = "none" if self._native else self._choose_table(offset_table)
        if self._native:
            self._value_length = native_length(self.layout)  # raises before anything is written
        full_chroma = self._native or self._codec is not None  # write() takes decoded, full-size chroma
        head, tail = file_header(dataset, ts, self.layout, self._table == "extended", full_chroma)
        self._tail = tail
        self._offsets = np.zeros(n, np.uint64)  # each frame's item, from the first item after the BOT
        self._lengths = np.zeros(n, np.uint64)  # each item's value length (even)
        self._carry = np.zeros(0, np.uint8)  # native 1-bit: the bits of the last batch short of a byte
        self._first: tuple[bool, bytes] | None = None  # verify: the first and last frames given
        self._last: tuple[bool, bytes] | None = None
        self._closed = False
        self._tmp: Path | None = temporary_beside(self.path)
        try:
            self._file: io.BufferedWriter = open(self._tmp, "wb")  # noqa: SIM115 - closed by close()/abort()
            self._file.write(head)
            if self._table == "extended":  # the two OV values end the header: 8 bytes a frame each
                self._eot_at = len(head) - 2 * (12 + 8 * n) + 12
            if self._native:
                vr = b"OB" if self.layout.bits_allocated <= 8 else b"OW"
                self._file.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, vr, 0, self._value_length))
            else:  # PS3.5 A.4: undefined length, then the Basic Offset Table item (its values filled at close)
                self._file.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
                bot = 4 * n if self._table == "basic" else 0
                self._bot_at = self._file.tell() + 8
                self._file.write(_ITEM + struct.pack("<I", bot) + bytes(bot))
            self._items_at = self._file.tell()  # the first item after the BOT: the offsets' origin
        except BaseException as e:
            self._cleanup()
            if isinstance(e, OSError):
                raise self._named(e) from e
            raise

    # --- writing ---------------------------------------------------------------------------------------

    def write(self, frames: npt.NDArray[Any]) -> None:
        """Encode and append a batch of frames: (n, rows, columns[, samples]) for any n, or one frame without
        the frame axis, as ``framecodec.pixel_array`` gives them; integers that fit Bits Allocated and Bits
        Stored (1-bit frames: 0/1 or bool). ``ValueError``, with nothing of the batch written, when they do not
        fit the data set or there would be more frames than Number of Frames."""
        self._check_open()
        arr = np.asarray(frames)
        frame_shape = self.layout.frame_shape
        if arr.ndim == len(frame_shape) + 1 and arr.shape[0] == 0 and arr.shape[1:] == frame_shape:
            return  # an empty batch
        if self._codec is None and not self._native:
            raise ValueError(
                f"write encodes {', '.join(sorted([*ENCODERS, EXPLICIT]))}; for "
                f"{self.transfer_syntax} pass the codestreams to write_encoded"
            )
        if self.layout.bits_allocated == 1:
            check_bits(arr)
        pixels, k = _frames_of(arr, self.layout)
        self._reserve(k)
        try:
            if self._native:
                self._write_native(pixels, k)
            else:
                self._write_encoded_batch(pixels, k)
        except BaseException as e:
            self._fail()
            if isinstance(e, OSError):
                raise self._named(e) from e
            raise

    def write_encoded(self, codestreams: Iterable[Buffer]) -> None:
        """Append frames already encoded in the writer's transfer syntax (e.g. JPEG tiles passed through), one
        codestream each, unchanged but for a pad byte to even length. Native output takes each frame's bytes
        (Bits Allocated 8 or more)."""
        self._check_open()
        items = [memoryview(c).cast("B") for c in codestreams]
        if not items:
            return
        self._reserve(len(items))
        try:
            if self._native:
                size = self.layout.stored_frame_size
                if self.layout.bits_allocated == 1:
                    raise ValueError("native 1-bit frames are not byte-aligned: pass the pixels to write()")
                for i, item in enumerate(items):
                    if len(item) != size and not (size % 2 and len(item) == size + 1):  # an item's pad byte
                        raise ValueError(
                            f"frame {self.frames_written + i} has {len(item)} bytes; a native frame of "
                            f"{self.layout.describe()} has {size}"
                        )
                items = [item[:size] for item in items]
                self._remember(bytes(items[0]), bytes(items[-1]), raw=False)
                self._file.writelines(items)
                self.frames_written += len(items)
                return
            for i, item in enumerate(items):
                if not 0 < len(item) < LIMIT:
                    raise ValueError(
                        f"frame {self.frames_written + i}'s codestream has {len(item)} bytes: a fragment "
                        "holds 1 to 4294967294 bytes (PS3.5 A.4)"
                    )
            lengths = np.array([len(c) + (len(c) & 1) for c in items], np.uint64)
            starts = np.concatenate(([0], np.cumsum(lengths + 8)[:-1])).astype(np.uint64)
            self._append_items(starts, lengths, items, codestreams=True)
            self._remember(bytes(items[0]), bytes(items[-1]), raw=True)
        except BaseException as e:
            self._fail()
            if isinstance(e, OSError):
                raise self._named(e) from e
            raise

    def _reserve(self, k: int) -> None:
        if self.frames_written + k > self.number_of_frames:
            raise ValueError(
                f"{self.frames_written + k} frames written, but (0028,0008) Number of Frames is "
                f"{self.number_of_frames}: frames {self.number_of_frames} onwards have no place"
            )

    def _write_encoded_batch(self, pixels: npt.NDArray[Any], k: int) -> None:
        lay = self.layout
        assert self._codec is not None
        value, eot, eot_lengths = _core._encode_frames(
            pixels,
            k,
            self._codec,
            lay.rows,
            lay.columns,
            lay.samples_per_pixel,
            lay.bits_allocated,
            level=self.level,
            offset_table="extended",
            threads=self.threads or 0,
            backend=self.backend,
        )
        assert eot is not None and eot_lengths is not None
        starts = np.frombuffer(eot, "<u8").astype(np.uint64)
        lengths = np.frombuffer(eot_lengths, "<u8").astype(np.uint64)
        items = memoryview(value)[8:]  # past the empty Basic Offset Table item
        self._append_items(starts, lengths, [items], codestreams=False)
        if self.verify:
            verify_batch(value, starts, lengths, pixels, lay, self._codec, self.threads, self.frames_written - k)
        frame = lay.stored_frame_size if lay.bits_allocated != 1 else lay.pixels_per_frame
        flat = pixels.reshape(-1).view(np.uint8)
        self._remember(flat[:frame].tobytes(), flat[len(flat) - frame :].tobytes(), raw=False)

    def _append_items(
        self,
        starts: npt.NDArray[np.uint64],
        lengths: npt.NDArray[np.uint64],
        chunks: list[memoryview],
        *,
        codestreams: bool,
    ) -> None:
        """Items at ``starts`` (from the batch's first item) of value ``lengths``; ``chunks`` is either the
        batch's items, headers and pads included, or (``codestreams``) one codestream per item, to which the item
        headers and pad bytes are added."""
        k = len(starts)
        base = self._file.tell() - self._items_at
        offsets = starts + np.uint64(base)
        if self._table == "basic" and int(offsets[-1]) > LIMIT:
            raise ValueError(
                f"frame {self.frames_written + k - 1} would start {int(offsets[-1])} bytes into the Pixel Data, past "
                "what a Basic Offset Table can address (4 GiB): write with offset_table='extended'"
            )
        if codestreams:
            out: list[Any] = []
            for c, n in zip(chunks, lengths.tolist()):
                out += [_ITEM, struct.pack("<I", n), c] + ([b"\x00"] if n != len(c) else [])
            self._file.writelines(out)
        else:
            self._file.writelines(chunks)
        self._offsets[self.frames_written : self.frames_written + k] = offsets
        self._lengths[self.frames_written : self.frames_written + k] = lengths
        self.frames_written += k

    def _write_native(self, pixels: npt.NDArray[Any], k: int) -> None:
        lay = self.layout
        if lay.bits_allocated == 1:  # PS3.5 8.1.1: the frames' bits follow each other, not byte-aligned
            bits = np.concatenate((self._carry, (pixels.reshape(-1) != 0).view(np.uint8)))
            whole = len(bits) // 8 * 8
            self._file.write(_core.pack_bits(bits[:whole]))
            self._carry = bits[whole:].copy()
            frame = lay.pixels_per_frame
            self._remember(pixels.reshape(-1)[:frame].tobytes(), pixels.reshape(-1)[-frame:].tobytes(), raw=False)
        else:
            flat = pixels.reshape(-1).view(np.uint8)
            self._file.write(flat.data)
            frame = lay.stored_frame_size
            self._remember(flat[:frame].tobytes(), flat[len(flat) - frame :].tobytes(), raw=False)
        self.frames_written += k

    def _remember(self, first: bytes, last: bytes, *, raw: bool) -> None:
        """For ``verify``: the first and last frames given, as codestreams (``raw``) or as pixel bytes."""
        if self.verify:
            self._first = (raw, first) if self._first is None else self._first
            self._last = (raw, last)

    # --- ending ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Fill in the offset table, end the Pixel Data, sync and rename the file into place. ``ValueError``,
        and no file, when fewer frames were written than Number of Frames."""
        if self._closed:
            return
        self._check_open()
        try:
            if self.frames_written != self.number_of_frames:
                raise ValueError(
                    f"{self.frames_written} frames were written, but (0028,0008) Number of Frames is "
                    f"{self.number_of_frames}: {self.path} is not written"
                )
            f = self._file
            if self._native:
                if self._carry.size:
                    f.write(_core.pack_bits(self._carry))
                if (f.tell() - self._items_at) % 2:
                    f.write(b"\x00")  # PS3.5 7.1.1: values have even length
                if f.tell() - self._items_at != self._value_length:
                    raise AssertionError("native Pixel Data length differs from the length written in its header")
            else:
                f.write(_DELIMITER)
            f.write(self._tail)
            if self._table == "basic":
                f.seek(self._bot_at)
                f.write(self._offsets.astype("<u4").tobytes())
            elif self._table == "extended":  # PS3.3 C.7.6.3.1.8: offsets from the first item; lengths
                f.seek(self._eot_at)
                f.write(self._offsets.astype("<u8").tobytes())
                f.seek(12, os.SEEK_CUR)  # past the lengths element's header
                f.write(self._lengths.astype("<u8").tobytes())
            f.close()
            assert self._tmp is not None
            if self.verify:
                verify_file(
                    self._tmp,
                    self.transfer_syntax,
                    self.layout,
                    self._items_at,
                    self._offsets,
                    self._first,
                    self._last,
                    self.threads,
                )
            publish(self._tmp, self.path)
            self._tmp = None
            self._closed = True
        except BaseException as e:
            self._cleanup()
            if isinstance(e, OSError):
                raise self._named(e) from e
            raise

    def abort(self) -> None:
        """Stop writing: the temporary file is removed, nothing appears at ``path``."""
        self._cleanup()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        if getattr(self, "_tmp", None) is not None:
            warnings.warn(
                f"FrameWriter for {self.path} was never closed: nothing was written", ResourceWarning, stacklevel=2
            )
            self._cleanup()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("aborted" if self._tmp is None else "open")
        return (
            f"<FrameWriter {str(self.path)!r}: {self.frames_written} of {self.number_of_frames} frames, "
            f"{self.transfer_syntax}, {state}>"
        )

    def _named(self, error: BaseException) -> BaseException:
        """An I/O error while writing as one line naming the output (ENOSPC, EFBIG, EIO ...), not the temporary
        file; other errors as they are."""
        if not isinstance(error, OSError) or str(self.path) in str(error):
            return error
        return type(error)(error.errno, f"cannot write {self.path}: {error.strerror or error}")

    def _check_open(self) -> None:
        if self._tmp is None:
            raise ValueError(f"the FrameWriter for {self.path} is {'closed' if self._closed else 'aborted'}")

    def _fail(self) -> None:
        """A batch failed half-way: the file holds part of it, so nothing more can be written."""
        self._cleanup()

    def _cleanup(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None and not file.closed:
            file.close()
        if self._tmp is not None:
            discard(self._tmp)
            self._tmp = None

    # --- layout of the file ------------------------------------------------------------------------------

    def _choose_table(self, asked: OffsetTable) -> str:
        if asked != "auto":
            return asked
        frame = worst_item(self.layout, self._codec)
        return "basic" if frame * self.number_of_frames <= LIMIT else "extended"
