"""Whole data sets in one call, the other way: ``compress`` and ``decompress``.

Like pydicom's ``Dataset.compress`` and ``Dataset.decompress``, but every frame is encoded (or decoded) by
the C++ batch engine on the worker pool, and the frames are encapsulated in one pass (PS3.5 A.4: one
fragment per frame, each padded to even length, a Basic Offset Table, or an empty one and the Extended
Offset Table when the value would pass 4 GiB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import _core
from ._backends import Backend
from ._layout import CODECS, PixelLayout, layout_of
from .pixels import pixel_array

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["compress", "decompress"]

_ENCODERS: dict[str, Literal["deflate", "rle", "uncompressed"]] = {
    uid: codec for uid, codec in CODECS.items() if codec in ("deflate", "rle", "uncompressed")
}


def compress(
    ds: Dataset,
    transfer_syntax: str,
    arr: npt.NDArray[Any] | None = None,
    *,
    level: int = 6,
    threads: int | None = None,
    encapsulate_ext: bool = False,
    generate_instance_uid: bool = True,
    backend: Backend | None = None,
) -> Dataset:
    """Compress ``ds`` in place as Deflated Image Frame Compression, RLE Lossless or Encapsulated
    Uncompressed, and return it.

    The pixels are ``arr`` (shaped as ``pixel_array`` returns them: (frames,) rows, columns (, samples)),
    or else the data set's own, decoded with ``pixel_array(ds, raw=True)`` whatever its transfer syntax.
    Sets Transfer Syntax UID, Pixel Data (encapsulated, undefined length, OB), Number of Frames (for
    more than one frame, or when present), Planar Configuration 0 for colour, and the Extended Offset Table
    when ``encapsulate_ext`` or when a Basic Offset Table cannot address the value; removes a stale one.
    ``level`` is the deflate level: 0-9 (-1 the default, 6) with zlib, the default ``backend``, whose frames are
    byte-identical to pydicom's encoder; 0-12 with ``backend="libdeflate"``, faster, and smaller at 10-12. Lossy
    Image Compression is left as it is: these syntaxes are lossless, so they never set "01" and never reset an
    existing "01" (PS3.3 C.7.6.1.1.5).
    Raises ``ValueError`` for Float or Double Float Pixel Data (they cannot be encapsulated), a transfer
    syntax framecodec does not encode, or pixels that do not match the data set's Image Pixel attributes.
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, generate_uid
    from pydicom.valuerep import VR

    ts = str(transfer_syntax)
    codec = _ENCODERS.get(ts)
    if codec is None:
        known = ", ".join(sorted(_ENCODERS))
        raise ValueError(f"framecodec.compress encodes {known}; for {ts} use Dataset.compress")
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        raise ValueError("Float Pixel Data and Double Float Pixel Data cannot be encapsulated (PS3.5 A.4)")
    layout = layout_of(ds)
    if arr is None:
        arr = pixel_array(ds, raw=True, threads=threads)
    pixels, nframes = _frames_of(arr, layout)
    value, eot, eot_lengths = _core._encode_frames(
        pixels,
        nframes,
        codec,
        layout.rows,
        layout.columns,
        layout.samples_per_pixel,
        layout.bits_allocated,
        level=level,
        offset_table="extended" if encapsulate_ext else "auto",
        threads=_threads(threads),
        backend=backend,
    )

    ds.PixelData = value
    elem = ds["PixelData"]
    elem.is_undefined_length = True  # PS3.5 A.4: encapsulated Pixel Data has undefined length
    elem.VR = VR.OB
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            del ds[keyword]
    if eot is not None:
        ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = eot, eot_lengths
    if nframes > 1 or "NumberOfFrames" in ds:
        ds.NumberOfFrames = nframes
    if layout.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0  # the frames are written interleaved
    if layout.photometric_interpretation == "YBR_FULL_422":
        ds.PhotometricInterpretation = "YBR_FULL"  # full-resolution chroma is written (PS3.3 C.7.6.3.1.2)
    if not hasattr(ds, "file_meta"):
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(ts)
    _forget_pixels(ds)
    if generate_instance_uid:
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def decompress(
    ds: Dataset, *, threads: int | None = None, as_rgb: bool = True, generate_instance_uid: bool = True
) -> Dataset:
    """Decompress ``ds`` in place to Explicit VR Little Endian and return it, as ``Dataset.decompress``.

    Every frame is decoded by ``pixel_array`` (RLE, Deflated Image Frame and Encapsulated Uncompressed in
    the engine, other syntaxes by pydicom). YBR_FULL becomes RGB unless ``as_rgb=False``. Pixel Data is
    written native: OB for Bits Allocated up to 8, else OW; 1-bit frames packed one after another, bit by bit
    (PS3.5 8.1.1); padded to even length. The Extended Offset Table, which only encapsulated data can have,
    is removed.
    """
    from pydicom.uid import UID, generate_uid

    ts = str(getattr(ds, "file_meta", {}).get("TransferSyntaxUID", ""))
    if not ts:
        raise ValueError("the data set's file_meta has no (0002,0010) Transfer Syntax UID")
    # pydicom 3.0 does not know Deflated Image Frame Compression: UID.is_compressed raises for it
    if CODECS.get(ts) == "native" or (ts not in CODECS and not UID(ts).is_compressed):
        raise ValueError("The dataset is already uncompressed")
    layout = layout_of(ds)
    set_native_pixel_data(ds, pixel_array(ds, threads=threads, raw=not as_rgb), layout)
    pi = layout.photometric_interpretation
    if layout.samples_per_pixel == 3 and ((as_rgb and pi.startswith("YBR")) or pi in ("YBR_ICT", "YBR_RCT")):
        ds.PhotometricInterpretation = "RGB"  # JPEG 2000's inverse colour transform always gives RGB (PS3.5 8.2.4)
    elif pi == "YBR_FULL_422":  # decoded chroma is full size (PS3.3 C.7.6.3.1.2)
        ds.PhotometricInterpretation = "YBR_FULL"
    _forget_pixels(ds)
    if generate_instance_uid:
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def _frames_of(arr: npt.NDArray[Any], layout: PixelLayout) -> tuple[npt.NDArray[Any], int]:
    """The pixels as little-endian bytes of whole frames, and how many frames, checked against the data set."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        raise ValueError("float pixels cannot be encoded: Float Pixel Data cannot be encapsulated (PS3.5 A.4)")
    if arr.dtype.kind not in "uib":
        raise ValueError(f"pixels must be integers, got {arr.dtype}")
    frame = layout.frame_shape
    if arr.shape == frame:
        nframes = 1
    elif arr.ndim == len(frame) + 1 and arr.shape[1:] == frame:
        nframes = arr.shape[0]
    else:
        raise ValueError(
            f"the pixels' shape {arr.shape} does not match the data set's {layout.describe()}: "
            f"expected {frame} or (frames, *{frame})"
        )
    if nframes < 1:
        raise ValueError("there are no frames to encode")
    if layout.bits_allocated == 1:
        return np.ascontiguousarray(arr, dtype=np.uint8), nframes
    itemsize = layout.bits_allocated // 8
    if arr.dtype.itemsize > itemsize:
        raise ValueError(f"{arr.dtype} pixels do not fit (0028,0100) Bits Allocated {layout.bits_allocated}")
    _check_range(arr, layout)
    kind = "i" if layout.pixel_representation else "u"
    return np.ascontiguousarray(arr, dtype=np.dtype(f"<{kind}{itemsize}")), nframes


def _check_range(arr: npt.NDArray[Any], layout: PixelLayout) -> None:
    """The values must fit Bits Stored and Pixel Representation (PS3.5 8.1.1), as pydicom's encoders check."""
    if arr.size == 0 or arr.dtype.kind == "b":
        return
    bits, signed = layout.bits_stored, layout.pixel_representation == 1
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < low or hi > high:
        raise ValueError(
            f"the pixel values {lo}..{hi} do not fit (0028,0101) Bits Stored {bits} with (0028,0103) Pixel "
            f"Representation {layout.pixel_representation} ({low}..{high})"
        )


def _threads(threads: int | None) -> int:
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return threads or 0


def _forget_pixels(ds: Dataset) -> None:
    """Drop pydicom's cached pixel_array, which describes the old Pixel Data."""
    if hasattr(ds, "_pixel_array"):
        ds._pixel_array = None
    if hasattr(ds, "_pixel_id"):
        ds._pixel_id = {}


def set_native_pixel_data(ds: Dataset, arr: npt.NDArray[Any], layout: PixelLayout) -> None:
    """Native Pixel Data in Explicit VR Little Endian from decoded pixels (``decompress``, and the command line's
    transcode): 1-bit frames packed one after another (PS3.5 8.1.1), little-endian samples, interleaved, even
    length; the offset tables dropped, Planar Configuration 0, YBR_FULL_422 as the full-resolution YBR_FULL."""
    from pydicom.uid import ExplicitVRLittleEndian
    from pydicom.valuerep import VR

    if layout.bits_allocated == 1:
        value = _core.pack_bits(arr)
    else:
        value = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    if len(value) >= 2**32 - 1:  # PS3.5 7.1.1: a 32-bit value length
        raise ValueError(
            "the native Pixel Data would be longer than a native value can be (4 GiB): keep it in an "
            "encapsulated transfer syntax (deflate, RLE or Encapsulated Uncompressed)"
        )
    if len(value) % 2:
        value += b"\x00"
    ds.PixelData = value
    elem = ds["PixelData"]
    elem.is_undefined_length = False
    elem.VR = VR.OB if layout.bits_allocated <= 8 else VR.OW
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            del ds[keyword]
    if layout.photometric_interpretation == "YBR_FULL_422":
        ds.PhotometricInterpretation = "YBR_FULL"  # the decoded chroma is full resolution
    if layout.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0  # the pixels are interleaved
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
