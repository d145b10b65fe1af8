"""Type stubs for framecodec._core, the native extension."""

import numpy as np
import numpy.typing as npt
from typing import Any

from typing_extensions import Buffer, TypeAlias

# Anything with the buffer protocol; numpy arrays are listed because typeshed marks them as buffers
# only for Python >= 3.12.
_BufferLike: TypeAlias = Buffer | npt.NDArray[Any]

zlib_version: str

class DecodeError(ValueError):
    """Compressed pixel data is corrupt, truncated, or inconsistent with the expected frame."""

def deflate(data: _BufferLike, level: int = 6) -> bytes:
    """Compress one frame to a raw RFC 1951 deflate stream (no zlib header or checksum).

    ``data`` is any C-contiguous buffer; ``level`` is -1 (zlib's default) or 0..9.
    """

def inflate(data: _BufferLike, size: int, out: _BufferLike | None = None) -> npt.NDArray[np.uint8]:
    """Decompress a raw deflate stream that decodes to exactly ``size`` bytes.

    One trailing 0x00 pad byte is accepted. Writes into ``out`` (writable, contiguous, uint8,
    exactly ``size`` bytes) when given and returns it as a uint8 array.
    Raises DecodeError when the stream is corrupt, truncated, decodes to fewer or more than ``size``
    bytes, or has data after its end beyond one pad byte.
    """

def pack_bits(values: _BufferLike) -> bytes:
    """Pack uint8/bool values (non-zero is 1), first value in the least significant bit of the first byte."""

def unpack_bits(
    data: _BufferLike, count: int, bit_offset: int = 0, out: _BufferLike | None = None
) -> npt.NDArray[np.uint8]:
    """Unpack ``count`` bits starting at bit ``bit_offset`` of ``data`` into 0/1 uint8 values."""

def deflate_bound(n: int) -> int:
    """Upper bound of ``deflate``'s output size for ``n`` input bytes."""
