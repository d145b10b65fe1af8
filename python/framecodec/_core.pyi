"""Type stubs for framecodec._core, the native extension."""

import os
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer

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
    """Encapsulated Pixel Data or the data set around it is malformed, truncated, or disagrees with its offset
    tables."""

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

_FrameSource: TypeAlias = Literal["extended", "basic", "one_per_frame", "single_frame", "markers"]

class FrameTable:
    """Which fragments make up each frame, as framecodec.frame_table found them.

    Frame ``i`` is made of fragments ``frame_fragments[i]`` up to (not including) ``frame_fragments[i + 1]``,
    in order. The arrays are read-only views of the table's own memory (they keep it alive). A table made by
    hand copies its arrays and knows no buffer.
    """

    def __init__(
        self,
        offsets: _U64 | list[int],
        lengths: _U64 | list[int],
        frame_fragments: _U64 | list[int],
        source: _FrameSource,
        first_item: int,
        end: int,
        has_delimiter: bool,
        buffer_address: int | None = None,
        buffer_size: int | None = None,
    ) -> None: ...
    @property
    def offsets(self) -> _U64:
        """Each fragment's value (past its item header), from the start of the buffer, in frame order."""
    @property
    def lengths(self) -> _U64:
        """Each fragment's length (for an Extended Offset Table, the length it gives)."""
    @property
    def frame_fragments(self) -> _U64:
        """``number_of_frames + 1`` fragment indices."""
    @property
    def source(self) -> _FrameSource:
        """How the boundaries were found: ``"extended"`` (Extended Offset Table), ``"basic"`` (Basic Offset
        Table), ``"one_per_frame"``, ``"single_frame"`` or ``"markers"`` (JPEG SOI / JPEG 2000 SOC+SIZ at
        fragment starts)."""
    @property
    def first_item(self) -> int:
        """The item tag after the Basic Offset Table: the origin of Basic and Extended Offset Table offsets."""
    @property
    def end(self) -> int:
        """Just past the sequence delimiter item, or the end of the buffer when there is none."""
    @property
    def has_delimiter(self) -> bool:
        """Whether the sequence delimiter (FFFE,E0DD) ended the value (else the end of the buffer did)."""
    @property
    def buffer_address(self) -> int | None:
        """Where the bytes of the buffer the table was made from are (None: made by hand; 0: unpickled):
        frame_bytes and iter_frames read only that buffer (any view of it) with the table."""
    @property
    def buffer_size(self) -> int | None:
        """The size of that buffer."""
    @property
    def number_of_frames(self) -> int: ...
    @property
    def one_fragment_per_frame(self) -> bool:
        """Every frame is one fragment, so frame_bytes never copies."""
    @property
    def frame_lengths(self) -> _U64:
        """Each frame's length in bytes: the sum of its fragments' lengths."""
    def __len__(self) -> int: ...
    def fragments(self, index: int) -> range:
        """The indices (into ``offsets`` and ``lengths``) of frame ``index``'s fragments."""
    @property
    def _lazy_state(self) -> tuple[object, ...] | None:
        """A lazy table's state without its arrays (where its offset table lies in the file), else None."""
    @property
    def _lazy(self) -> bool:
        """Whether this table reads its offset table where it lies in the buffer, each frame's items when read."""
    def _select(self, buffer: _BufferLike, frames: npt.NDArray[np.int64]) -> tuple[_U64, _U64, _U64]:
        """(offsets, lengths, frame_fragments) of the given frames only: a lazy table walks their items."""
    def _bind(self, buffer: _BufferLike) -> FrameTable:
        """This table for ``buffer``, which the caller knows holds the same bytes (the same file, unchanged)."""
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __getstate__(self) -> tuple[object, ...]: ...
    def __setstate__(self, state: tuple[object, ...], /) -> None: ...

class PixelDataLocation:
    """Where the top-level Pixel Data (7FE0,0010) of a file or data set is, from framecodec.locate_pixel_data."""

    @property
    def element_offset(self) -> int:
        """The (7FE0,0010) tag's first byte."""
    @property
    def offset(self) -> int:
        """The value's first byte: for encapsulated data, the Basic Offset Table's item tag."""
    @property
    def length(self) -> int | None:
        """The value's length, or None when it is undefined (encapsulated data ends at its sequence delimiter)."""
    @property
    def encapsulated(self) -> bool:
        """Undefined length, i.e. a sequence of fragment items (PS3.5 A.4)."""
    @property
    def transfer_syntax(self) -> str | None:
        """(0002,0010) Transfer Syntax UID; None when the data has no file meta information."""
    @property
    def number_of_frames(self) -> int | None:
        """Top-level (0028,0008) Number of Frames; None when absent (a single frame) or not an integer."""
    @property
    def extended_offsets(self) -> _U64 | None:
        """(7FE0,0001) Extended Offset Table, None when absent. Read-only."""
    @property
    def extended_lengths(self) -> _U64 | None:
        """(7FE0,0002) Extended Offset Table Lengths, None when absent. Read-only."""
    @property
    def vr(self) -> str | None:
        """ "OB" or "OW" in an explicit VR data set, None in implicit VR."""
    @property
    def explicit_vr(self) -> bool:
        """Whether the data set is explicit VR (it may contradict the transfer syntax; it is read as encoded)."""
    def frame_table(self, buffer: _BufferLike, number_of_frames: int | None = None, lazy: bool = False) -> FrameTable:
        """framecodec.frame_table of this Pixel Data in ``buffer``, which holds the file this location came from.

        ``number_of_frames`` defaults to the data set's Number of Frames, or 1 when it has none; a Number of
        Frames of 0 is an EncapsulationError (a data set with Pixel Data has a frame). A value that runs into
        the end of the data without its sequence delimiter is an EncapsulationError (the file was cut short)
        unless its last frame is known to be whole: an Extended Offset Table; one fragment per frame in RLE,
        Deflated Image Frame Compression or Encapsulated Uncompressed; a JPEG-family codestream that ends with
        its end marker, each frame starting at a fragment with a start marker.

        ``lazy``: with a Basic Offset Table, or an Extended Offset Table that this location did not copy
        (``_locate_pixel_data_buffer(buffer, read_extended=False)``), the table is read where it lies in
        ``buffer`` and only its first and last frames' items are read; each other frame's items are read and
        checked when it is read, or all of them when ``offsets``, ``lengths`` or ``frame_fragments`` are first asked
        for (the table keeps ``buffer`` for that).
        """
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __getstate__(self) -> tuple[object, ...]: ...
    def __setstate__(self, state: tuple[object, ...], /) -> None: ...

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
) -> FrameTable: ...
def _buffer_span(buffer: _BufferLike) -> tuple[int, int]: ...
def _verify_extended_frames(buffer: _BufferLike, offsets: _U64, lengths: _U64, begin: int, end: int) -> None: ...
def _table_from_state(state: tuple[object, ...]) -> FrameTable: ...
def _locate_pixel_data_buffer(buffer: _BufferLike, read_extended: bool = True) -> PixelDataLocation: ...
def _locate_pixel_data_file(path: str | os.PathLike[str] | os.PathLike[bytes]) -> PixelDataLocation: ...

class TilePositions:
    """Every frame's place in a tiled image, from tile_positions. The arrays are read-only views of its own
    memory, one entry per frame."""

    @property
    def number_of_frames(self) -> int:
        """Number of Frames (0028,0008); 1 when absent. Every array has this length."""
    @property
    def source(self) -> Literal["per_frame", "shared", "tiled_full"]:
        """Where the positions come from: ``"per_frame"`` (the Per-Frame Functional Groups items; a frame
        without a Plane Position (Slide) there takes the shared one), ``"shared"`` (one Plane Position (Slide)
        in the Shared Functional Groups Sequence for every frame), or ``"tiled_full"`` (no explicit positions:
        the implicit TILED_FULL order of PS3.3 C.7.6.17.3)."""
    @property
    def column_positions(self) -> npt.NDArray[np.int32]:
        """Column Position In Total Image Pixel Matrix (0048,021E) of each frame's top left pixel, 1-based."""
    @property
    def row_positions(self) -> npt.NDArray[np.int32]:
        """Row Position In Total Image Pixel Matrix (0048,021F), 1-based."""
    @property
    def z_offsets(self) -> npt.NDArray[np.float64]:
        """Z Offset in Slide Coordinate System (0040,074A) as stored, NaN where absent (and for TILED_FULL with
        several focal planes, whose Z offsets the data set does not state)."""
    @property
    def focal_planes(self) -> npt.NDArray[np.int32]:
        """The rank of each frame's Z offset among the distinct Z offsets, increasing; 0 for every frame when
        none has one, -1 for a frame without one when others have one; for TILED_FULL, the implicit plane."""
    @property
    def optical_paths(self) -> npt.NDArray[np.int32]:
        """Each frame's index into ``optical_path_identifiers``; -1 without Optical Path Identification."""
    @property
    def optical_path_identifiers(self) -> tuple[str, ...]:
        """The distinct Optical Path Identifiers (0048,0106) in order of first appearance, decoded by the
        Specific Character Set; for TILED_FULL without explicit identification, those of the Optical Path
        Sequence (0048,0105), which the implicit order indexes."""
    @property
    def dimension_organization_type(self) -> str | None:
        """Dimension Organization Type (0020,9311): ``"TILED_SPARSE"``, ``"TILED_FULL"``, ..., or None."""
    @property
    def total_pixel_matrix_columns(self) -> int | None: ...
    @property
    def total_pixel_matrix_rows(self) -> int | None: ...
    @property
    def total_pixel_matrix_focal_planes(self) -> int | None: ...
    @property
    def number_of_optical_paths(self) -> int | None: ...
    @property
    def rows(self) -> int | None:
        """Rows (0028,0010): the height of a tile; None when absent."""
    @property
    def columns(self) -> int | None:
        """Columns (0028,0011): the width of a tile; None when absent."""
    @property
    def concatenation_frame_offset(self) -> int:
        """Concatenation Frame Offset Number (0020,9228), 0 when absent."""
    @property
    def per_frame(self) -> bool:
        """Whether the positions were found in the Per-Frame Functional Groups Sequence."""
    def __len__(self) -> int: ...
    def __getstate__(self) -> tuple[object, ...]: ...
    def __setstate__(self, state: tuple[object, ...], /) -> None: ...

# The native half of framecodec._slide_positions.tile_positions: decode(value, specific_character_set) decodes
# an Optical Path Identifier that is not ASCII.
def _tile_positions(buffer: _BufferLike, decode: Callable[[bytes, str | None], str]) -> TilePositions: ...
def _tile_positions_file(
    path: str | os.PathLike[str] | os.PathLike[bytes], decode: Callable[[bytes, str | None], str]
) -> TilePositions: ...

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
    frame_numbers: npt.NDArray[np.int64] | None = None,
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
    frame_numbers: npt.NDArray[np.int64] | None = None,
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
