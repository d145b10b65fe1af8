"""The quick benchmark of ``framecodec bench``: a few synthetic multi-frame files, decoded and encoded by
framecodec and by its peers in the same run (pydicom's plugins, Python's zlib), median times.

The frames are the synthetic ones the benchmarks and tests use (``framecodec._synthetic.frames``): RGB tissue-like
tiles, 1-bit segmentation masks, int16 CT slices; few, so the whole table takes a few seconds.
"""

from __future__ import annotations

import statistics
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._compress import compress
from ._synthetic.frames import ct_frame, microscopy_tile, segmentation_frame
from .pixels import pixel_array
from .pydicom_plugin import DeflatedImageFrameCompression, RLELossless

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


# --- frames --------------------------------------------------------------------------------------------


def tiles(n: int, size: int = 240) -> npt.NDArray[np.uint8]:
    """RGB tiles of a slide: H&E-like tissue (``_synthetic.frames.microscopy_tile``)."""
    return np.stack([microscopy_tile(i, size) for i in range(n)])


def masks(n: int, size: int = 512) -> npt.NDArray[np.uint8]:
    """0/1 frames of a binary segmentation through a volume (``_synthetic.frames.segmentation_frame``)."""
    return np.stack([segmentation_frame(i, size) for i in range(n)])


def ct(n: int, size: int = 512) -> npt.NDArray[np.int16]:
    """int16 CT slices in Hounsfield units (``_synthetic.frames.ct_frame``)."""
    return np.stack([ct_frame(i, size) for i in range(n)])


def dataset(arr: npt.NDArray[Any], *, signed: bool = False, bits: int | None = None) -> Dataset:
    """A multi-frame Secondary Capture data set holding ``arr`` (frames, rows, columns (, 3)) natively."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7.3")
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.NumberOfFrames, ds.Rows, ds.Columns = arr.shape[:3]
    ds.SamplesPerPixel = 3 if arr.ndim == 4 else 1
    ds.PhotometricInterpretation = "RGB" if arr.ndim == 4 else "MONOCHROME2"
    if arr.ndim == 4:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = bits or arr.dtype.itemsize * 8
    ds.BitsStored = ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    ds.PixelData = _core.pack_bits(arr) if ds.BitsAllocated == 1 else arr.tobytes()
    return ds


# --- timing --------------------------------------------------------------------------------------------


@dataclass
class Row:
    implementation: str
    seconds: float | None  # the median; None: this peer cannot run here
    note: str = ""


@dataclass
class Case:
    title: str
    operation: str  # "decode" or "encode"
    pixel_bytes: int
    file_bytes: int
    rows: list[Row] = field(default_factory=list)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up: page cache, imports, pools
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _peer(implementation: str, fn: Callable[[], object], repeat: int) -> Row:
    try:
        return Row(implementation, median_time(fn, repeat))
    except Exception as e:
        why = " ".join(str(e).split()).split(", available")[0] or type(e).__name__
        why = why if len(why) < 100 else why[:97] + "..."
        return Row(implementation, None, why)


def run(folder: Path, *, repeat: int = 3, threads: int | None = None, scale: float = 1.0) -> list[Case]:
    """Every case of the table, measured now; files are written to ``folder``."""
    from pydicom.encaps import encapsulate

    workers = threads or _core.default_threads()
    cases: list[Case] = []

    def n(frames: int) -> int:
        return max(2, round(frames * scale))

    inputs: list[tuple[str, str, npt.NDArray[Any], dict[str, Any]]] = [
        ("RLE Lossless", f"{n(48)} RGB tiles 240x240", tiles(n(48)), {}),
        ("Deflated Image Frame", f"{n(96)} 1-bit masks 512x512", masks(n(96)), {"bits": 1}),
        ("Deflated Image Frame", f"{n(8)} int16 CT slices 512x512", ct(n(8)), {"signed": True}),
    ]
    for syntax, what, arr, attributes in inputs:
        native = dataset(arr, **attributes)
        uid = RLELossless if syntax.startswith("RLE") else DeflatedImageFrameCompression
        path = folder / f"{len(cases)}.dcm"
        encoded = compress(native, uid, arr)
        encoded.save_as(path, enforce_file_format=True)
        size = path.stat().st_size
        title = f"{syntax}, {what}"

        decode = Case(title, "decode", arr.nbytes, size)
        decode.rows.append(
            Row(
                f"framecodec.pixel_array, {workers} threads",
                median_time(lambda: pixel_array(path, threads=threads), repeat),
            )
        )
        decode.rows.append(
            Row("framecodec.pixel_array, 1 thread", median_time(lambda: pixel_array(path, threads=1), repeat))
        )
        if uid == RLELossless:
            for plugin in ("pylibjpeg", "pydicom"):
                decode.rows.append(
                    _peer(f"pydicom pixel_array, plugin {plugin!r}", _pydicom_decode(path, plugin), repeat)
                )
        else:
            decode.rows.append(_peer("pydicom pixel_array, plugin 'pydicom'", _pydicom_decode(path, "pydicom"), repeat))
            decode.rows.append(_peer("dcmread + Python zlib + numpy", lambda: _zlib_decode(path, arr), repeat))
        cases.append(decode)

        encode = Case(title, "encode", arr.nbytes, size)
        encode.rows.append(
            Row(
                f"framecodec.compress, {workers} threads",
                median_time(lambda: compress(native, uid, arr, threads=threads), repeat),
            )
        )
        encode.rows.append(
            Row("framecodec.compress, 1 thread", median_time(lambda: compress(native, uid, arr, threads=1), repeat))
        )
        if uid == RLELossless:  # pydicom's own RLE encoder is pure Python: timed on a few frames, scaled
            few = arr[: max(2, len(arr) // 8)]  # two at least: one frame would have no frame axis
            small = dataset(few)
            row = _peer(
                "pydicom Dataset.compress, plugin 'pydicom'",
                lambda: small.compress(RLELossless, few, encoding_plugin="pydicom"),
                1,
            )
            if row.seconds is not None and len(few) < len(arr):
                row.seconds *= len(arr) / len(few)
                row.note = f"timed on {len(few)} of the {len(arr)} frames, scaled"
            encode.rows.append(row)
        else:
            theirs = dataset(arr, **attributes)  # pydicom 3.1 has its own encoder; 3.0.x none
            encode.rows.append(
                _peer(
                    "pydicom Dataset.compress, plugin 'pydicom'",
                    lambda: theirs.compress(uid, arr, encoding_plugin="pydicom"),
                    repeat,
                )
            )
            bit = arr.dtype == np.uint8 and int(native.BitsAllocated) == 1
            encode.rows.append(
                _peer(
                    "Python zlib + numpy + pydicom encapsulate",
                    lambda: encapsulate([_zlib_frame(f, bit) for f in arr]),
                    repeat,
                )
            )
        cases.append(encode)
    return cases


def _pydicom_decode(path: Path, plugin: str) -> Callable[[], object]:
    from pydicom.pixels.utils import pixel_array as pydicom_pixel_array

    return lambda: pydicom_pixel_array(path, decoding_plugin=plugin)


def _zlib_frame(frame: npt.NDArray[Any], bit: bool) -> bytes:
    data = np.packbits(frame, bitorder="little").tobytes() if bit else frame.tobytes()
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush()
    return out + b"\x00" * (len(out) % 2)


def _zlib_decode(path: Path, like: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """What Python code does without framecodec: pydicom reads the file and splits the frames, zlib inflates
    each, numpy unpacks 1-bit frames."""
    from pydicom import dcmread
    from pydicom.encaps import generate_frames

    ds = dcmread(path)
    out = np.empty_like(like)
    count = int(np.prod(like.shape[1:]))
    bit = int(ds.BitsAllocated) == 1
    for i, frame in enumerate(generate_frames(ds.PixelData, number_of_frames=len(like))):
        raw = zlib.decompress(frame, -15)
        if bit:
            out[i] = np.unpackbits(np.frombuffer(raw, np.uint8), count=count, bitorder="little").reshape(like.shape[1:])
        else:
            out[i] = np.frombuffer(raw, like.dtype, count=count).reshape(like.shape[1:])
    return out
