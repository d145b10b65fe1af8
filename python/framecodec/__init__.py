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

__version__ = "0.1.0"

#: Deflated Image Frame Compression (PS3.5 8.2.16, A.4.13).
DeflatedImageFrameCompression = "1.2.840.10008.1.2.8.1"

__all__ = [
    "DecodeError",
    "DeflatedImageFrameCompression",
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
    "scan_fragments",
    "unpack_bits",
    "zlib_version",
]
