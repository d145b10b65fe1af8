"""framecodec: C++-accelerated codecs for DICOM pixel data.

The kernels work on one frame at a time, take any C-contiguous buffer without copying it,
release the GIL while they run and decode straight into the caller's numpy buffer.
"""

from __future__ import annotations

from ._core import (
    DecodeError,
    EncapsulationError,
    deflate,
    deflate_bound,
    encapsulate,
    encapsulate_extended,
    inflate,
    pack_bits,
    rle_decode,
    rle_encode,
    unpack_bits,
    zlib_version,
)
from .compress import compress, decompress
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

__version__ = "0.1.0"

# The transfer syntax UIDs (pydicom UIDs) and the pydicom plugins, registered on import.
from .pydicom_plugin import (
    DeflatedImageFrameCompression,
    EncapsulatedUncompressedExplicitVRLittleEndian,
    RLELossless,
    register,
    unregister,
)

register()

__all__ = [
    "DecodeError",
    "DeflatedImageFrameCompression",
    "RLELossless",
    "EncapsulationError",
    "compress",
    "decompress",
    "iter_pixels",
    "pixel_array",
    "FragmentTable",
    "FrameTable",
    "PixelDataLocation",
    "deflate",
    "deflate_bound",
    "encapsulate",
    "encapsulate_extended",
    "frame_bytes",
    "frame_table",
    "inflate",
    "iter_frames",
    "locate_pixel_data",
    "pack_bits",
    "rle_decode",
    "rle_encode",
    "scan_fragments",
    "unpack_bits",
    "zlib_version",
    "EncapsulatedUncompressedExplicitVRLittleEndian",
    "register",
    "unregister",
]
