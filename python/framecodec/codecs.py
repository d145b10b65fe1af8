"""The kernels, one frame at a time: what ``pixel_array``, ``compress`` and the pydicom plugins run on each frame.

Each takes any C-contiguous buffer (bytes, bytearray, memoryview, numpy array, mmap) without copying it,
releases the GIL while it works, and can decode straight into a caller's buffer (``out=``, which must not share
memory with the input). Bad data raise :class:`framecodec.DecodeError` (a ``ValueError``) naming the problem.

- :func:`deflate` / :func:`inflate`: a raw RFC 1951 stream per frame, as Deflated Image Frame Compression
  (1.2.840.10008.1.2.8.1, PS3.5 8.2.16, A.4.13) stores it; ``inflate`` decodes exactly ``size`` bytes and accepts
  one 0x00 pad byte. ``backend="zlib"`` or ``"libdeflate"`` (``framecodec.backends()`` says which each uses by
  default); :func:`deflate_bound` is the largest stream ``deflate`` can write for ``n`` bytes.
- :func:`pack_bits` / :func:`unpack_bits`: 1-bit pixels, first pixel in the least significant bit (numpy's
  ``bitorder="little"``);
  ``unpack_bits`` starts at any bit, as frame *n* of native 1-bit Pixel Data does (``bit_offset=n * rows * cols``).
- :func:`rle_encode` / :func:`rle_decode`: one RLE Lossless frame (1.2.840.10008.1.2.5, PS3.5 Annex G), pixels as
  native little-endian interleaved samples (``planar=True`` for planar); ``segment_order="<"`` reads old files
  that store the least significant byte plane first.
- :func:`decode_frame`: one frame through the batch engine's decoder on the calling thread (``codec``:
  ``"deflate"``, ``"rle"``, ``"uncompressed"``, ``"native"``), interleaved little-endian samples, one 0/1 byte a
  pixel for 1-bit data.
- :func:`default_threads`: the worker count ``threads=None`` means (one per core).
- ``zlib_version``, ``libdeflate_version`` (``None`` in a build without libdeflate): the linked libraries.

Details and examples: docs/codecs.md.
"""

from __future__ import annotations

from ._core import (
    decode_frame,
    default_threads,
    deflate,
    deflate_bound,
    inflate,
    libdeflate_version,
    pack_bits,
    rle_decode,
    rle_encode,
    unpack_bits,
    zlib_version,
)

__all__ = [
    "decode_frame",
    "default_threads",
    "deflate",
    "deflate_bound",
    "inflate",
    "libdeflate_version",
    "pack_bits",
    "rle_decode",
    "rle_encode",
    "unpack_bits",
    "zlib_version",
]
