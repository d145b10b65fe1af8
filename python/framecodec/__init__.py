"""framecodec: C++-accelerated codecs for DICOM pixel data.

The names users call, here at the top level:

- Whole data sets: ``pixel_array`` / ``iter_pixels`` decode every frame of a file, file object or
  ``Dataset`` on the process's pool of C++ threads; ``compress`` / ``decompress`` encode and decode data sets.
- pydicom: ``import framecodec`` registers decoding and encoding plugins named ``framecodec`` (tried first)
  for RLE Lossless, Deflated Image Frame Compression and Encapsulated Uncompressed, and decoding plugins for
  JPEG (8-bit), JPEG-LS, JPEG 2000 and HTJ2K (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, when the build found
  them); ``unregister()`` restores pydicom's own, ``register()`` puts ours first again. The UIDs
  ``RLELossless``, ``DeflatedImageFrameCompression`` and ``EncapsulatedUncompressedExplicitVRLittleEndian``
  name the syntaxes for ``Dataset.compress`` (pydicom 3.0.x has no constant for the last two).
- Huge files: ``FrameReader(path_or_url)`` reads frames at random and whole-slide regions (``read_region``, at
  full or reduced resolution); ``write_index`` writes the sidecar index of a file with no offset table.
- Writing in bounded memory: ``FrameWriter(path, dataset, transfer_syntax)`` writes a multi-frame file batch by
  batch; ``transcode(src, dst, to)`` converts a file into Deflated Image Frame Compression, RLE Lossless,
  Encapsulated Uncompressed or native Explicit VR Little Endian through it.
- Deflate backends: the system zlib and, when the build found it, libdeflate (decoding by default);
  ``backends()`` says which each path uses (a ``Backends`` dict).
- Errors: ``DecodeError`` (corrupt compressed data) and ``EncapsulationError`` (malformed encapsulated Pixel
  Data or data set), both ``ValueError``, naming the frame and the problem.

The other tiers are public modules: ``framecodec.codecs`` (the kernels, one frame at a time: deflate / inflate,
pack_bits / unpack_bits, rle_encode / rle_decode, decode_frame, ...), ``framecodec.encaps`` (encapsulated Pixel
Data: locate_pixel_data, frame_table, frame_bytes, encapsulate, ...), ``framecodec.slide`` (whole-slide geometry,
tile_positions) and ``framecodec.dask`` (Dask arrays and cohort transcoding).
"""

from __future__ import annotations

from . import codecs as codecs  # the public tiers: framecodec.codecs, ...
from . import encaps as encaps
from . import slide as slide
from ._backends import Backends, backends
from ._compress import compress, decompress
from ._core import DecodeError, EncapsulationError
from ._index import write_index
from ._transcode import transcode
from ._writer import FrameWriter
from .pixels import iter_pixels, pixel_array
from .pydicom_plugin import (
    DeflatedImageFrameCompression,
    EncapsulatedUncompressedExplicitVRLittleEndian,
    RLELossless,
    register,
    unregister,
)
from .reader import FrameReader

__version__ = "0.1.0"

register()

__all__ = [
    "Backends",
    "DecodeError",
    "DeflatedImageFrameCompression",
    "EncapsulatedUncompressedExplicitVRLittleEndian",
    "EncapsulationError",
    "FrameReader",
    "FrameWriter",
    "RLELossless",
    "backends",
    "compress",
    "decompress",
    "iter_pixels",
    "pixel_array",
    "register",
    "transcode",
    "unregister",
    "write_index",
]
