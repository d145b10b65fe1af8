"""Type stubs for framecodec._core, the native extension."""

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer

zlib_version: str

class DecodeError(ValueError):
    """Compressed pixel data is corrupt, truncated, or inconsistent with the expected frame."""

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
