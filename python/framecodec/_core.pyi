"""Type stubs for framecodec._core, the native extension."""

import os
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer

_U64 = npt.NDArray[np.uint64]

zlib_version: str

class DecodeError(ValueError):
    """Compressed pixel data is corrupt, truncated, or inconsistent with the expected frame."""

class EncapsulationError(ValueError):
    """Encapsulated Pixel Data or the data set around it is malformed, truncated, or disagrees with its offset tables."""

def deflate(data: Buffer, level: int = 6) -> bytes:
    """Compress one frame to a raw RFC 1951 deflate stream (no zlib header or checksum).

    ``data`` is any C-contiguous buffer; ``level`` is -1 (zlib's default) or 0..9.
    """

def inflate(data: Buffer, size: int, out: Buffer | None = None) -> npt.NDArray[np.uint8]:
    """Decompress a raw deflate stream that decodes to exactly ``size`` bytes.

    One trailing 0x00 pad byte is accepted. Writes into ``out`` (writable, contiguous, uint8,
    exactly ``size`` bytes) when given and returns it as a uint8 array.
    Raises DecodeError when the stream is corrupt, truncated, decodes to fewer or more than ``size``
    bytes, or has data after its end beyond one pad byte.
    """

def pack_bits(values: Buffer) -> bytes:
    """Pack uint8/bool values (non-zero is 1), first value in the least significant bit of the first byte."""

def unpack_bits(
    data: Buffer, count: int, bit_offset: int = 0, out: Buffer | None = None
) -> npt.NDArray[np.uint8]:
    """Unpack ``count`` bits starting at bit ``bit_offset`` of ``data`` into 0/1 uint8 values."""

def deflate_bound(n: int) -> int:
    """Upper bound of ``deflate``'s output size for ``n`` input bytes."""

def encapsulate(frames: Iterable[Buffer], offset_table: str = "basic", delimiter: bool = False) -> bytes:
    """Encapsulate frames as a Pixel Data value (PS3.5 A.4): a Basic Offset Table item, then one fragment item
    per frame, each padded to even length with one 0x00.

    ``offset_table``: ``"basic"`` fills the BOT with each frame's offset (EncapsulationError, pointing to the
    Extended Offset Table, when one would exceed 2**32 - 1); ``"extended"`` and ``"none"`` leave it empty (use
    :func:`encapsulate_extended` for the Extended Offset Table's values). ``delimiter=True`` appends the
    sequence delimiter (FFFE,E0DD); leave it False for ``Dataset.PixelData``, whose writer appends it.
    Byte-identical to ``pydicom.encaps.encapsulate(frames, has_bot=offset_table == "basic")``. Empty frames
    and frames over 4294967294 bytes raise EncapsulationError.
    """

def encapsulate_extended(frames: Iterable[Buffer], delimiter: bool = False) -> tuple[bytes, bytes, bytes]:
    """(value with an empty BOT, Extended Offset Table, Extended Offset Table Lengths), the last two as the OV
    bytes of (7FE0,0001) and (7FE0,0002). Byte-identical to ``pydicom.encaps.encapsulate_extended``."""

# The native halves of framecodec.encaps; use the typed wrappers there.
def _scan_fragments(buffer: Buffer, offset: int = 0) -> tuple[_U64, _U64, _U64, int, int, bool]: ...
def _frame_table(
    buffer: Buffer,
    number_of_frames: int,
    offset: int,
    extended_offsets: _U64 | None,
    extended_lengths: _U64 | None,
    transfer_syntax: str | None,
) -> tuple[_U64, _U64, _U64, str, int, int, bool]: ...
def _verify_extended_frames(buffer: Buffer, offsets: _U64, lengths: _U64, begin: int, end: int) -> None: ...
def _locate_pixel_data_buffer(
    buffer: Buffer,
) -> tuple[int, int, int | None, bool, str, str | None, bool, int | None, _U64 | None, _U64 | None]: ...
def _locate_pixel_data_file(
    path: str | os.PathLike[str] | os.PathLike[bytes],
) -> tuple[int, int, int | None, bool, str, str | None, bool, int | None, _U64 | None, _U64 | None]: ...
