"""The Image Pixel module of a data set (PS3.3 C.7.6.3) as the batch engine and numpy need it.

One place reads Rows, Columns, Samples per Pixel, Bits Allocated, ... from a data set and checks them, so
that ``pixel_array``, ``compress`` and ``decompress`` agree on the frame size and the dtype (the dtype
rule is pydicom's ``DecodeRunner.pixel_dtype``, so the arrays match pydicom's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

#: How the batch engine decodes frames; CODECS: the transfer syntaxes framecodec decodes and encodes itself.
Codec = Literal["deflate", "rle", "uncompressed", "native", "jpeg", "j2k", "htj2k", "jpegls"]
CODECS: dict[str, Codec] = {
    "1.2.840.10008.1.2.8.1": "deflate",  # Deflated Image Frame Compression (PS3.5 8.2.16)
    "1.2.840.10008.1.2.5": "rle",  # RLE Lossless (PS3.5 Annex G)
    "1.2.840.10008.1.2.1.98": "uncompressed",  # Encapsulated Uncompressed Explicit VR Little Endian
    "1.2.840.10008.1.2": "native",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1": "native",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.2": "native",  # Explicit VR Big Endian (retired)
    # Deflated Explicit VR Little Endian (PS3.5 A.5): the whole data set is deflated, its Pixel Data native once
    # inflated (open_source inflates a file's data set to a temporary file first, pydicom a Dataset's)
    "1.2.840.10008.1.2.1.99": "native",
}
BIG_ENDIAN = "1.2.840.10008.1.2.2"

#: Transfer syntaxes the batch engine decodes with an image codec when the build has its library
#: (``framecodec.backends()``); framecodec has no encoder for them.
IMAGE_CODECS: dict[str, Codec] = {
    "1.2.840.10008.1.2.4.50": "jpeg",  # JPEG Baseline (Process 1), PS3.5 8.2.1
    "1.2.840.10008.1.2.4.51": "jpeg",  # JPEG Extended (Process 2 & 4): 8-bit only here; 12-bit goes to pydicom
    "1.2.840.10008.1.2.4.80": "jpegls",  # JPEG-LS Lossless, PS3.5 8.2.3
    "1.2.840.10008.1.2.4.81": "jpegls",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90": "j2k",  # JPEG 2000 Lossless Only, PS3.5 8.2.4
    "1.2.840.10008.1.2.4.91": "j2k",  # JPEG 2000
    "1.2.840.10008.1.2.4.201": "htj2k",  # HTJ2K Lossless, PS3.5 8.2.14
    "1.2.840.10008.1.2.4.202": "htj2k",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203": "htj2k",  # HTJ2K
}


def image_codec(transfer_syntax: str, layout: PixelLayout) -> Codec | None:
    """The image codec that decodes these frames in the engine, or None when pydicom must: no such syntax,
    a build without the codec's library, or frames the codec does not produce (12-bit JPEG; 1-bit frames)."""
    codec = IMAGE_CODECS.get(transfer_syntax)
    if codec is None or not codec_library(codec):
        return None
    if layout.bits_allocated not in (8, 16, 32) or layout.bits_stored > layout.bits_allocated:
        return None
    if codec == "jpeg" and (layout.bits_allocated != 8 or layout.bits_stored != 8):
        return None  # libjpeg-turbo 2.1 decodes 8-bit JPEG in this build; 12-bit JPEG goes to pydicom
    if codec == "jpegls" and layout.bits_allocated == 32:
        return None
    return codec


def codec_library(codec: Codec) -> str:
    """What this build decodes ``codec`` with ("libjpeg-turbo 2.1.5"), "" when it was built without it."""
    from . import _core

    return _core._codec_library(codec)


@dataclass(frozen=True)
class PixelLayout:
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    planar_configuration: int
    photometric_interpretation: str
    number_of_frames: int
    floating: bool = False  # Float or Double Float Pixel Data (PS3.3 C.7.6.24): pydicom decodes them

    @property
    def dtype(self) -> np.dtype[np.generic]:
        """pydicom's dtype for these pixels, little endian (see :meth:`for_syntax`)."""
        if self.floating:
            return np.dtype(f"<f{self.bits_allocated // 8}")
        if self.bits_allocated == 1:
            return np.dtype("u1")
        return np.dtype(f"<{'ui'[self.pixel_representation]}{self.bits_allocated // 8}")

    def for_syntax(self, transfer_syntax: str) -> np.dtype[np.generic]:
        """The dtype pydicom returns: native big endian data keeps its byte order (PS3.5 A.3)."""
        dt = self.dtype
        return dt.newbyteorder(">") if transfer_syntax == BIG_ENDIAN and dt.itemsize > 1 else dt

    @property
    def frame_shape(self) -> tuple[int, ...]:
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    @property
    def pixels_per_frame(self) -> int:
        return self.rows * self.columns * self.samples_per_pixel

    @property
    def stored_frame_size(self) -> int:
        """Bytes of one native frame: bit-packed for Bits Allocated 1 (PS3.5 8.1.1)."""
        if self.bits_allocated == 1:
            return (self.pixels_per_frame + 7) // 8
        return self.pixels_per_frame * self.bits_allocated // 8

    def describe(self) -> str:
        return (
            f"Rows {self.rows} x Columns {self.columns} x Samples per Pixel {self.samples_per_pixel}, "
            f"Bits Allocated {self.bits_allocated}"
        )


_REQUIRED = {
    "Rows": "(0028,0010)",
    "Columns": "(0028,0011)",
    "SamplesPerPixel": "(0028,0002)",
    "BitsAllocated": "(0028,0100)",
    "BitsStored": "(0028,0101)",
    "PixelRepresentation": "(0028,0103)",
    "PhotometricInterpretation": "(0028,0004)",
}


def layout_of(ds: Dataset) -> PixelLayout:
    """The data set's Image Pixel module, checked; ``ValueError`` names a missing or unusable attribute."""
    for keyword, tag in _REQUIRED.items():
        if ds.get(keyword) is None:
            raise ValueError(f"the data set has no {tag} {_spaced(keyword)}, which decoding pixels requires")
    rows, columns, spp = int(ds.Rows), int(ds.Columns), int(ds.SamplesPerPixel)
    bits, stored, rep = int(ds.BitsAllocated), int(ds.BitsStored), int(ds.PixelRepresentation)
    for keyword, value in (("Rows", rows), ("Columns", columns), ("SamplesPerPixel", spp)):
        if value < 1:
            raise ValueError(f"{_REQUIRED[keyword]} {_spaced(keyword)} must be at least 1, got {value}")
    # PS3.5 8.1.1: Bits Allocated is 1 or a multiple of 8; numpy has integers up to 64 bits.
    if bits < 1 or (bits != 1 and bits % 8) or bits > 64:
        raise ValueError(f"(0028,0100) Bits Allocated {bits} is not supported: it must be 1, 8, 16, 32 or 64")
    if bits in (24, 40, 48, 56):
        raise ValueError(f"(0028,0100) Bits Allocated {bits} is not supported: numpy has no {bits}-bit integers")
    if bits == 1 and spp != 1:
        raise ValueError(f"(0028,0100) Bits Allocated 1 needs (0028,0002) Samples per Pixel 1, got {spp}")
    if not 1 <= stored <= bits:
        raise ValueError(f"(0028,0101) Bits Stored {stored} must be between 1 and Bits Allocated {bits}")
    if rep not in (0, 1):
        raise ValueError(f"(0028,0103) Pixel Representation must be 0 or 1, got {rep}")
    planar = int(ds.get("PlanarConfiguration", 0) or 0) if spp > 1 else 0
    if spp > 1 and planar not in (0, 1):
        raise ValueError(f"(0028,0006) Planar Configuration must be 0 or 1, got {planar}")
    return PixelLayout(
        rows,
        columns,
        spp,
        bits,
        stored,
        rep,
        planar,
        str(ds.PhotometricInterpretation).strip(),
        number_of_frames(ds),
    )


def float_layout(ds: Dataset, element: str) -> PixelLayout:
    """The frames of Float (32-bit) or Double Float (64-bit) Pixel Data: Rows, Columns, Samples per Pixel and
    Number of Frames from the data set; the element named says the size (Bits Allocated may be absent)."""
    bits = 64 if element.startswith("Double") else 32
    for keyword in ("Rows", "Columns"):
        if ds.get(keyword) is None:
            raise ValueError(
                f"the data set has no {_REQUIRED[keyword]} {_spaced(keyword)}, which decoding pixels requires"
            )
    return PixelLayout(
        int(ds.Rows),
        int(ds.Columns),
        int(ds.get("SamplesPerPixel", 1) or 1),
        bits,
        bits,
        0,
        0,
        str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip(),
        number_of_frames(ds),
        floating=True,
    )


def number_of_frames(ds: Dataset) -> int:
    """(0028,0008) Number of Frames; 1 when absent or empty. 0 or a value that is not an integer is a
    ``ValueError``: a data set with Pixel Data has a frame, and guessing 1 would hide a broken header."""
    frames = ds.get("NumberOfFrames", 1)
    try:
        n = int(frames) if frames not in (None, "") else 1
    except (TypeError, ValueError):
        raise ValueError(f"(0028,0008) Number of Frames {frames!r} is not an integer") from None
    if n < 1:
        raise ValueError(f"(0028,0008) Number of Frames must be at least 1, got {n}")
    return n


def _spaced(keyword: str) -> str:
    return "".join(" " + c if c.isupper() and i else c for i, c in enumerate(keyword)).replace("Per ", "per ")
