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
from .pydicom_plugin import (  # pydicom plugins, registered on import (framecodec.pydicom_plugin)
    DeflatedImageFrameCompression,
    EncapsulatedUncompressedExplicitVRLittleEndian,
    RLELossless,
    register,
    unregister,
)

register()

__version__ = "0.1.0"

__all__ = [
    "DecodeError",
    "DeflatedImageFrameCompression",
    "EncapsulatedUncompressedExplicitVRLittleEndian",
    "RLELossless",
    "EncapsulationError",
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
    "register",
    "rle_decode",
    "rle_encode",
    "scan_fragments",
    "unpack_bits",
    "unregister",
    "zlib_version",
]
