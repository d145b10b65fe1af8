"""Whole multi-frame DICOM files made from the frames of frames.py, for benchmarks and tests (nothing is
downloaded):

    f = write_frames_file(folder / "seg.dcm", "seg", 1_000, DEFLATE, offset_table="extended")
    f.path, f.frames, f.decoded_bytes, f.pixel_data_bytes
    f.frame(i)                  # the generator's frame i: what a decoder must return for frame i
    f.pixels()                  # all of them, (frames, rows, columns[, samples])

Kinds (:data:`KINDS`): "tiles" (240 x 240 RGB ``microscopy_tile(i)``, a VL Whole Slide Microscopy Image,
TILED_FULL: the tiles in rows of a rectangle whose sides multiply out to the frames), "seg" (512 x 512 1-bit
``segmentation_frame(i)``, one series through a volume, a binary Segmentation) and "ct" (512 x 512 int16
``ct_frame(i)``, an Enhanced CT Image, Bits Stored 12, signed). Transfer syntaxes (:data:`SYNTAXES`), each
frame encoded by framecodec (so these files are for timing readers, not a reference for framecodec's
encoders: slides.py's encoders are independent of framecodec):

- RLE Lossless: ``framecodec.codecs.rle_encode`` (1-bit frames: a segment of one 0/1 byte a pixel, as pylibjpeg-rle
  writes and reads them; pydicom 3.0's own RLE decoder refuses 1-bit data);
- Deflated Image Frame Compression: ``framecodec.codecs.deflate`` at ``level`` of the frame, bit-packed first when
  1-bit (``framecodec.codecs.pack_bits``, least significant bit first);
- Explicit VR Little Endian (native): the frames one after another, 1-bit frames packed continuously (a frame
  need not start on a byte boundary: PS3.5 8.1.1);
- Encapsulated Uncompressed Explicit VR Little Endian: each frame's native bytes in a fragment of its own,
  1-bit frames packed each on its own.

Encapsulated frames are one fragment each, with a Basic Offset Table, an empty one, or an empty one and the
Extended Offset Table (``offset_table``). Frames are made and encoded on a thread pool, a batch at a time, and
streamed to the file (memory for two batches, whatever the number of frames); the file appears under its name
only once complete.

Sizes: :func:`frame_counts` gives 100 and 1,000 frames, and 100,000 too when asked for, or when the
environment variable ``FRAMECODEC_BENCH_FRAMES`` (which bench_reader.py reads too) is 100,000 or more.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import codecs  # rle_encode, deflate, pack_bits
from .dicom_bytes import (
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    RLE,
    SYNTAX_NAMES,
    atomic_file,
    write_dataset,
    write_encapsulated_pixel_data,
    write_native_pixel_data,
)
from .frames import ct_frame, microscopy_tile, segmentation_frame
from .slide_header import header as slide_header
from .slide_spec import TILED_FULL, SlideSpec
from .volume_headers import (
    ENHANCED_CT,
    SEGMENTATION,
    enhanced_ct_header,
    per_frame_functional_groups,
    segmentation_header,
)

SYNTAXES = (RLE, DEFLATE, EXPLICIT, ENCAPSULATED_UNCOMPRESSED)
FRAME_COUNTS = (100, 1_000)
HUGE = 100_000
ENV = "FRAMECODEC_BENCH_FRAMES"
BATCH = 64  # frames made and encoded together: enough to keep the pool busy, few enough to stay small


@dataclass(frozen=True)
class Kind:
    """One kind of frames, and the Image Pixel attributes of a file of them."""

    name: str
    make: Callable[[int, int], npt.NDArray[Any]]  # (index, size) -> frame
    size: int  # default Rows = Columns
    samples: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    sop_class: str

    @property
    def dtype(self) -> np.dtype[Any]:
        """What a decoder returns (pydicom's dtypes): one uint8 a pixel for 1-bit frames."""
        return np.dtype("<i2") if self.bits_allocated == 16 else np.dtype("u1")

    def frame_shape(self, size: int) -> tuple[int, ...]:
        return (size, size, self.samples) if self.samples > 1 else (size, size)

    def stored_bits(self, size: int) -> int:
        """Bits of one native frame."""
        return size * size * self.samples * self.bits_allocated


KINDS = {
    k.name: k
    for k in (
        Kind("tiles", lambda i, size: microscopy_tile(i, size), 240, 3, 8, 8, False, "1.2.840.10008.5.1.4.1.1.77.1.6"),
        Kind("seg", lambda i, size: segmentation_frame(i, size), 512, 1, 1, 1, False, SEGMENTATION),
        Kind("ct", lambda i, size: ct_frame(i, size), 512, 1, 16, 12, True, ENHANCED_CT),
    )
}


@dataclass(frozen=True)
class FramesFile:
    """A written file and how to get its reference frames."""

    path: Path
    kind: Kind
    frames: int
    size: int  # Rows = Columns
    transfer_syntax: str
    offset_table: str  # "basic", "empty" or "extended"; "" for native
    pixel_data_bytes: int  # the encoded frames, without item headers or padding (native: the value's length)

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return self.kind.frame_shape(self.size)

    @property
    def decoded_bytes(self) -> int:
        """Bytes of the decoded frames, as ``framecodec.pixel_array`` and pydicom return them."""
        return self.frames * int(np.prod(self.frame_shape)) * self.kind.dtype.itemsize

    def frame(self, index: int) -> npt.NDArray[Any]:
        """Frame ``index`` as the generator made it: what decoding frame ``index`` of the file must give."""
        if not 0 <= index < self.frames:
            raise IndexError(f"frame {index} of {self.frames}")
        return np.asarray(self.kind.make(index, self.size), self.kind.dtype)

    def pixels(self, indices: Iterable[int] | None = None) -> npt.NDArray[Any]:
        """The frames at ``indices`` (all by default), stacked: (frames, rows, columns[, samples])."""
        chosen = range(self.frames) if indices is None else indices
        return np.stack([self.frame(i) for i in chosen])


def frame_counts(huge: bool | None = None) -> tuple[int, ...]:
    """The numbers of frames to make files of: 100 and 1,000, and 100,000 when ``huge`` (None: when the
    environment variable FRAMECODEC_BENCH_FRAMES is 100,000 or more)."""
    if huge is None:
        huge = int(os.environ.get(ENV, "0") or 0) >= HUGE
    return FRAME_COUNTS + ((HUGE,) if huge else ())


def encode_frame(kind: Kind, frame: npt.NDArray[Any], transfer_syntax: str, level: int = 6) -> bytes:
    """One frame as it goes in a fragment of ``transfer_syntax`` (not native: see :func:`_native_chunks`)."""
    size = frame.shape[0]
    if transfer_syntax == RLE:
        return codecs.rle_encode(frame, size, size, kind.samples, kind.bits_allocated)
    packed = codecs.pack_bits(frame) if kind.bits_allocated == 1 else np.ascontiguousarray(frame).tobytes()
    if transfer_syntax == DEFLATE:
        return codecs.deflate(packed, level)
    if transfer_syntax == ENCAPSULATED_UNCOMPRESSED:
        return packed
    raise ValueError(f"no frame encoder for transfer syntax {transfer_syntax}")


def _made(kind: Kind, size: int, transfer_syntax: str, level: int, index: int) -> bytes | npt.NDArray[Any]:
    frame = kind.make(index, size)
    return frame if transfer_syntax == EXPLICIT else encode_frame(kind, frame, transfer_syntax, level)


def _frames(
    kind: Kind, count: int, size: int, transfer_syntax: str, level: int, threads: int | None
) -> Generator[Any, None, None]:
    """Frame 0, 1, ... made (and encoded, unless native) on a pool, in order: the next batch is under way while
    the caller writes this one, and no more than two batches are held."""
    work = partial(_made, kind, size, transfer_syntax, level)
    with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool:
        pending = pool.map(work, range(min(BATCH, count)))
        for start in range(BATCH, count + BATCH, BATCH):
            upcoming = pool.map(work, range(start, min(start + BATCH, count))) if start < count else iter(())
            yield from pending
            pending = upcoming


def _native_chunks(kind: Kind, frames: Iterable[npt.NDArray[Any]]) -> Iterator[bytes]:
    """The native Pixel Data value: the frames' bytes; 1-bit frames packed as one bit stream (a frame starts
    where the previous one ended, mid-byte if its bit count is not a multiple of 8), the last byte zero-padded."""
    if kind.bits_allocated != 1:
        for frame in frames:
            yield np.ascontiguousarray(frame, kind.dtype).tobytes()
        return
    carry = np.zeros(0, np.uint8)  # the bits (< 8) of the previous frames that did not fill a byte
    for frame in frames:
        bits = np.concatenate((carry, np.asarray(frame, np.uint8).reshape(-1)))
        whole = bits.size - bits.size % 8
        yield np.packbits(bits[:whole], bitorder="little").tobytes()
        carry = bits[whole:]
    if carry.size:
        yield np.packbits(carry, bitorder="little").tobytes()


def _tile_grid(frames: int) -> tuple[int, int]:
    """(across, down) with across x down = frames, as square as the divisors allow, wider than high."""
    down = max(d for d in range(1, int(frames**0.5) + 1) if frames % d == 0)
    return frames // down, down


def header(kind: Kind, frames: int, size: int, transfer_syntax: str, offset_table: str, instance: str) -> Any:
    """The data set of a file of ``frames`` frames of ``kind``, without its Pixel Data (nor, for "seg" and "ct",
    its Per-Frame Functional Groups)."""
    if kind.name == "tiles":
        across, down = _tile_grid(frames)
        spec = SlideSpec(
            width=across * size,
            height=down * size,
            tile=size,
            tiling=TILED_FULL,
            transfer_syntax=transfer_syntax,
            offset_table=offset_table or "basic",
        )
        return slide_header(spec, frames, instance=instance)
    if kind.name == "seg":
        return segmentation_header(size, frames, transfer_syntax, instance)
    return enhanced_ct_header(size, frames, transfer_syntax, instance)


def write_frames_file(
    path: str | os.PathLike[str],
    kind: str,
    frames: int,
    transfer_syntax: str,
    *,
    offset_table: str = "basic",
    level: int = 6,
    size: int | None = None,
    threads: int | None = None,
) -> FramesFile:
    """Write ``frames`` frames of ``kind`` ("tiles", "seg", "ct") in ``transfer_syntax`` (:data:`SYNTAXES`)
    to ``path``. ``offset_table``: "basic", "empty" or "extended" (encapsulated syntaxes; ignored for native);
    ``level``: the deflate level; ``size``: Rows = Columns (default the kind's: 240 for tiles, 512 otherwise);
    ``threads``: the pool making and encoding frames (default: every core)."""
    path = Path(path)
    k = KINDS[kind]
    size = k.size if size is None else size
    if transfer_syntax not in SYNTAXES:
        raise ValueError(f"transfer syntax must be one of {[SYNTAX_NAMES[s] for s in SYNTAXES]}: {transfer_syntax}")
    if frames < 1:
        raise ValueError("a file needs at least one frame")
    native = transfer_syntax == EXPLICIT
    if not native and offset_table not in ("basic", "empty", "extended"):
        raise ValueError(f"offset_table must be 'basic', 'empty' or 'extended', not {offset_table!r}")
    offset_table = "" if native else offset_table
    ds = header(k, frames, size, transfer_syntax, offset_table, instance=path.name)
    # closing: a failed write stops the pool's generator (and so the pool) at once
    with closing(_frames(k, frames, size, transfer_syntax, level, threads)) as made, atomic_file(path) as f:
        write_dataset(f, ds)
        if kind != "tiles":
            f.write(per_frame_functional_groups(k.sop_class, size, frames))
        if native:
            length = -(-frames * k.stored_bits(size) // 8)
            write_native_pixel_data(f, _native_chunks(k, made), length, b"OW" if k.bits_allocated > 8 else b"OB")
            encoded = length
        else:
            encoded = int(write_encapsulated_pixel_data(f, made, frames, offset_table).sum())
    return FramesFile(path, k, frames, size, transfer_syntax, offset_table, encoded)


def write_frames_files(
    folder: str | os.PathLike[str],
    kinds: Sequence[str] = tuple(KINDS),
    syntaxes: Sequence[str] = SYNTAXES,
    counts: Sequence[int] | None = None,
    **options: Any,
) -> list[FramesFile]:
    """One file per kind, syntax and count (default :func:`frame_counts`), named like ``seg-deflate-1000.dcm``
    in ``folder``; ``options`` go to :func:`write_frames_file`."""
    folder = Path(folder)
    return [
        write_frames_file(folder / f"{kind}-{SYNTAX_NAMES[ts]}-{n}.dcm", kind, n, ts, **options)
        for n in (frame_counts() if counts is None else counts)
        for kind in kinds
        for ts in syntaxes
    ]
