"""framecodec: C++-accelerated codecs for DICOM pixel data.

- Whole data sets: ``pixel_array`` / ``iter_pixels`` decode every frame of a file, file object or
  ``Dataset`` on the process's pool of C++ threads; ``compress`` / ``decompress`` encode and decode data sets.
- pydicom: ``import framecodec`` registers decoding and encoding plugins named ``framecodec`` (tried first)
  for RLE Lossless, Deflated Image Frame Compression and Encapsulated Uncompressed, and decoding plugins for
  JPEG (8-bit), JPEG-LS, JPEG 2000 and HTJ2K (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, when the build found
  them); ``unregister()`` restores pydicom's own.
- Huge files: ``FrameReader(path)`` reads frames at random and whole-slide regions (``read_region``, at full
  or reduced resolution).
- Writing in bounded memory: ``FrameWriter(path, dataset, transfer_syntax)`` writes a multi-frame file batch by
  batch; ``transcode(src, dst, to)`` converts a file into Deflated Image Frame Compression, RLE Lossless,
  Encapsulated Uncompressed or native Explicit VR Little Endian through it.
- Deflate backends: the system zlib and, when the build found it, libdeflate (decoding by default);
  ``backends()`` says which each path uses.
- Kernels, one frame at a time: ``deflate``/``inflate``, ``pack_bits``/``unpack_bits``,
  ``rle_encode``/``rle_decode``, ``decode_frame``; encapsulated Pixel Data: ``locate_pixel_data``,
  ``frame_table``, ``frame_bytes``, ``encapsulate``. They take any C-contiguous buffer without copying it,
  release the GIL while they run and decode straight into the caller's numpy buffer.
"""

from __future__ import annotations

from ._core import (
    DecodeError,
    EncapsulationError,
    decode_frame,
    default_threads,
    deflate,
    deflate_bound,
    encapsulate,
    encapsulate_extended,
    inflate,
    libdeflate_version,
    pack_bits,
    rle_decode,
    rle_encode,
    unpack_bits,
    zlib_version,
)
from ._backends import Backends, backends
from ._compress import compress, decompress
from .encaps import (
    FragmentTable,
    FrameTable,
    PixelDataLocation,
    frame_bytes,
    frame_table,
    iter_frames,
    locate_pixel_data,
    scan_fragments,
)
from .pixels import iter_pixels, pixel_array
from .reader import FrameReader
from ._index import write_index
from ._writer import FrameWriter
from ._transcode import transcode
from .pydicom_plugin import (
    DeflatedImageFrameCompression,
    EncapsulatedUncompressedExplicitVRLittleEndian,
    RLELossless,
    register,
    unregister,
)

__version__ = "0.1.0"

register()

__all__ = [
    "Backends",
    "DecodeError",
    "DeflatedImageFrameCompression",
    "EncapsulatedUncompressedExplicitVRLittleEndian",
    "EncapsulationError",
    "FragmentTable",
    "FrameReader",
    "FrameWriter",
    "FrameTable",
    "PixelDataLocation",
    "RLELossless",
    "backends",
    "compress",
    "decode_frame",
    "decompress",
    "default_threads",
    "deflate",
    "deflate_bound",
    "encapsulate",
    "encapsulate_extended",
    "frame_bytes",
    "frame_table",
    "inflate",
    "iter_frames",
    "iter_pixels",
    "libdeflate_version",
    "locate_pixel_data",
    "pack_bits",
    "pixel_array",
    "register",
    "rle_decode",
    "rle_encode",
    "scan_fragments",
    "transcode",
    "unpack_bits",
    "unregister",
    "zlib_version",
    "write_index",
]
