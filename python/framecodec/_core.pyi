"""Type stubs for framecodec._core, the native extension."""

import os
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from typing import Any, Literal

from typing_extensions import Buffer, TypeAlias

# Anything with the buffer protocol; numpy arrays are listed because typeshed marks them as buffers
# only for Python >= 3.12.
_BufferLike: TypeAlias = Buffer | npt.NDArray[Any]

_U64 = npt.NDArray[np.uint64]

_Backend: TypeAlias = Literal["zlib", "libdeflate"]

zlib_version: str
libdeflate_version: str | None

def _explain_rejected(data: _BufferLike, size: int) -> None:
    """What inflate raises when libdeflate rejects ``data``: zlib's DecodeError, or one saying that the two
    decoders disagree when zlib decodes it. For the tests."""

def _inflate_backend() -> _Backend:
    """The backend inflate, decode_frame and pixel_array use without backend=: FRAMECODEC_INFLATE when set, else
    libdeflate when the build has it, else zlib."""

class DecodeError(ValueError):
    """Compressed pixel data is corrupt, truncated, or inconsistent with the expected frame."""

class EncapsulationError(ValueError):
    """Encapsulated Pixel Data or the data set around it is malformed, truncated, or disagrees with its offset tables."""

def deflate(data: _BufferLike, level: int = 6, backend: _Backend | None = None) -> bytes:
    """Compress one frame to a raw RFC 1951 deflate stream (no zlib header or checksum).

    ``data`` is any C-contiguous buffer. ``backend``: zlib by default (the bytes Python's zlib writes),
    ``"libdeflate"`` for its speed and levels. ``level``: -1 (the default, 6) or 0..9 for zlib, 0..12 for
    libdeflate.
    """

def inflate(
    data: _BufferLike, size: int, out: _BufferLike | None = None, backend: _Backend | None = None
) -> npt.NDArray[np.uint8]:
    """Decompress a raw deflate stream that decodes to exactly ``size`` bytes.

    One trailing 0x00 pad byte is accepted. Writes into ``out`` (writable, contiguous, uint8,
    exactly ``size`` bytes) when given and returns it as a uint8 array.
    Raises DecodeError when the stream is corrupt, truncated, decodes to fewer or more than ``size``
    bytes, or has data after its end beyond one pad byte. ``backend``: None is FRAMECODEC_INFLATE when set,
    else libdeflate when the build has it (a stream it rejects is decoded again by zlib for the message).
    """

def pack_bits(values: _BufferLike) -> bytes:
    """Pack uint8/bool values (non-zero is 1), first value in the least significant bit of the first byte."""

def unpack_bits(
    data: _BufferLike, count: int, bit_offset: int = 0, out: _BufferLike | None = None
) -> npt.NDArray[np.uint8]:
    """Unpack ``count`` bits starting at bit ``bit_offset`` of ``data`` into 0/1 uint8 values."""

def deflate_bound(n: int, backend: _Backend | None = None) -> int:
    """Upper bound of ``deflate``'s output size for ``n`` input bytes, with ``backend`` (default zlib)."""

def rle_decode(
    data: _BufferLike,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: _BufferLike | None = None,
    segment_order: Literal[">", "<"] = ">",
    planar: bool = False,
) -> npt.NDArray[np.uint8]:
    """Decode one RLE Lossless frame (PS3.5 Annex G) into native little-endian pixel bytes.

    Interleaved (planar configuration 0) by default; with ``planar=True`` one plane per sample, back to
    back. ``bits_allocated`` is 1, 8, 16, 32 or 64; with 1 the result is one byte (0/1) per pixel.
    ``segment_order="<"`` reads the non-conformant least-significant-first segment order of some old files.
    Writes into ``out`` (writable, contiguous, uint8, exactly rows x columns x samples x bytes per sample)
    when given. Raises DecodeError naming the problem for a bad header or offsets, a segment that decodes
    short, or a run past the end of its segment; a segment that decodes long is trimmed.
    """

def rle_encode(
    pixels: _BufferLike,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    packed: bool = False,
) -> bytes:
    """Encode one frame as RLE Lossless (PS3.5 G.3): a 64-byte header and one segment per byte plane.

    ``pixels`` holds native little-endian interleaved samples (any C-contiguous buffer or array). With
    ``bits_allocated=1`` it is one byte per pixel (non-zero is 1), or bit-packed with ``packed=True``.
    """

def encapsulate(frames: Iterable[_BufferLike], offset_table: str = "basic", delimiter: bool = False) -> bytes:
    """Encapsulate frames as a Pixel Data value (PS3.5 A.4): a Basic Offset Table item, then one fragment item
    per frame, each padded to even length with one 0x00.

    ``offset_table``: ``"basic"`` fills the BOT with each frame's offset (EncapsulationError, pointing to the
    Extended Offset Table, when one would exceed 2**32 - 1); ``"extended"`` and ``"none"`` leave it empty (use
    :func:`encapsulate_extended` for the Extended Offset Table's values). ``delimiter=True`` appends the
    sequence delimiter (FFFE,E0DD); leave it False for ``Dataset.PixelData``, whose writer appends it.
    Byte-identical to ``pydicom.encaps.encapsulate(frames, has_bot=offset_table == "basic")``. Empty frames
    and frames over 4294967294 bytes raise EncapsulationError.
    """

def encapsulate_extended(frames: Iterable[_BufferLike], delimiter: bool = False) -> tuple[bytes, bytes, bytes]:
    """(value with an empty BOT, Extended Offset Table, Extended Offset Table Lengths), the last two as the OV
    bytes of (7FE0,0001) and (7FE0,0002). Byte-identical to ``pydicom.encaps.encapsulate_extended``."""

# The native halves of framecodec.encaps; use the typed wrappers there.
def _scan_fragments(buffer: _BufferLike, offset: int = 0) -> tuple[_U64, _U64, _U64, int, int, bool]: ...
def _walk_items(buffer: _BufferLike, offset: int, base: int) -> tuple[_U64, _U64, npt.NDArray[np.uint8], int, bool]:
    """(item tag offsets, lengths, first 4 value bytes each, next item, delimiter met) of a block read at ``base``."""
def _frame_table(
    buffer: _BufferLike,
    number_of_frames: int,
    offset: int,
    extended_offsets: _U64 | None,
    extended_lengths: _U64 | None,
    transfer_syntax: str | None,
) -> tuple[_U64, _U64, _U64, str, int, int, bool, int, int]: ...
def _buffer_span(buffer: _BufferLike) -> tuple[int, int]: ...
def _verify_extended_frames(buffer: _BufferLike, offsets: _U64, lengths: _U64, begin: int, end: int) -> None: ...
def _locate_pixel_data_buffer(
    buffer: _BufferLike,
) -> tuple[int, int, int | None, bool, str, str | None, bool, int | None, _U64 | None, _U64 | None]: ...
def _locate_pixel_data_file(
    path: str | os.PathLike[str] | os.PathLike[bytes],
) -> tuple[int, int, int | None, bool, str, str | None, bool, int | None, _U64 | None, _U64 | None]: ...

# The native half of framecodec._slide_positions.tile_positions; use the typed wrapper there.
_TilePositions: TypeAlias = tuple[
    int,
    str,
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    list[bytes],
    str | None,
    str | None,
    int | None,
    int | None,
    int | None,
    int | None,
    int | None,
    int | None,
    int,
]

def _tile_positions(buffer: _BufferLike) -> _TilePositions:
    """Every frame's position in a tiled image held in a buffer; framecodec's tile_positions wraps the result."""

def _tile_positions_file(path: str | os.PathLike[str] | os.PathLike[bytes]) -> _TilePositions:
    """Every frame's position in a tiled image file, reading only its header; tile_positions wraps the result."""

# The batch engine; framecodec.pixel_array, iter_pixels and compress wrap it.
def default_threads() -> int:
    """The number of workers threads=None gives: one per core."""

def _pool_run(tasks: int, threads: int, work_bytes: int, fail: bool = False) -> tuple[list[int], int]:
    """For the tests: run_parallel over `tasks` tasks; how many times each ran, and on how many threads."""

_DecodeCodec = Literal["deflate", "rle", "uncompressed", "native", "jpeg", "j2k", "htj2k", "jpegls"]

def _codec_library(codec: _DecodeCodec) -> str:
    """The library this build decodes an image codec with, e.g. "libjpeg-turbo 2.1.5"; "" when built without it."""

def _decode_frames(
    buffer: _BufferLike,
    codec: _DecodeCodec,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: _BufferLike,
    offsets: _U64,
    lengths: _U64,
    frame_fragments: _U64 | None = None,
    frames: npt.NDArray[np.int64] | None = None,
    planar: bool = False,
    segment_order: Literal[">", "<"] = ">",
    extended: bool = False,
    threads: int = 0,
    backend: _Backend | None = None,
    bits_stored: int = 0,
    signed: bool = False,
    ybr: bool = False,
    raw: bool = False,
) -> None: ...
def _decode_region(
    buffer: _BufferLike,
    codec: _DecodeCodec,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: _BufferLike,
    out_rows: int,
    out_columns: int,
    offsets: _U64,
    lengths: _U64,
    frame_fragments: _U64 | None,
    frames: npt.NDArray[np.int64],
    rects: npt.NDArray[np.int64],
    places: npt.NDArray[np.int64],
    scale: int = 1,
    planar: bool = False,
    segment_order: Literal[">", "<"] = ">",
    extended: bool = False,
    threads: int = 0,
    backend: _Backend | None = None,
    bits_stored: int = 0,
    signed: bool = False,
    ybr: bool = False,
    raw: bool = False,
) -> None:
    """Decode the rectangles (x, y, width, height in each frame) of frames straight into out (out_rows x
    out_columns pixels) at places (column, row), reduced by scale (1, 2, 4 or 8); pixels no frame covers are
    left as they are. FrameReader.read_region wraps it."""

def _encode_frames(
    pixels: _BufferLike,
    number_of_frames: int,
    codec: Literal["deflate", "rle", "uncompressed"],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    level: int = 6,
    offset_table: Literal["auto", "basic", "extended"] = "auto",
    threads: int = 0,
    backend: _Backend | None = None,
) -> tuple[bytes, bytes | None, bytes | None]: ...
def decode_frame(
    data: _BufferLike,
    codec: _DecodeCodec,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: _BufferLike | None = None,
    planar: bool = False,
    segment_order: Literal[">", "<"] = ">",
    bit_offset: int = 0,
    backend: _Backend | None = None,
    bits_stored: int = 0,
    signed: bool = False,
    ybr: bool = False,
    raw: bool = False,
) -> npt.NDArray[np.uint8]:
    """Decode one frame as the batch engine does, on the calling thread.

    The result is the frame's pixels as little-endian samples, interleaved (``planar=True`` says the
    stored frame has planar configuration 1), one 0/1 byte per pixel for ``bits_allocated`` 1 (deflate
    and uncompressed frames are bit-packed, each on a byte boundary; a native 1-bit frame may start at
    ``bit_offset`` 0-7 of ``data``). Writes into ``out`` (writable, contiguous uint8 of the decoded
    size) when given. Raises DecodeError for corrupt data or data that does not fit the frame. ``backend``
    chooses the inflater of deflate frames, as for ``inflate``. The image codecs (jpeg, jpegls, j2k, htj2k)
    also take ``bits_stored`` and ``signed`` (the data set's Bits Stored and Pixel Representation: J2K and
    JPEG-LS values are corrected as pydicom does), ``ybr`` (the Photometric Interpretation is YBR_*) and
    ``raw`` (JPEG: keep YCbCr instead of converting to RGB).
    """

class MappedFile:
    """A whole file mapped read-only; a bytes-like object. Views made from it (memoryview, numpy arrays) keep
    the map alive, so dropping the MappedFile never invalidates them. Refuses with OSError files that are not
    regular (a FIFO, a device, a directory) or whose size is not their length (/proc, /sys), and a path with a
    NUL byte with ValueError."""

    def __init__(self, path: str | os.PathLike[str] | os.PathLike[bytes] | bytes) -> None: ...
    def __len__(self) -> int: ...
    def drop(self, offset: int, length: int) -> None:
        """Take the pages wholly inside [offset, offset + length) out of this process's resident memory; they are
        read again from the file when touched."""
    def __buffer__(self, flags: int, /) -> memoryview: ...
