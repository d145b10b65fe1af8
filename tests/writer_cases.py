"""Syntaxes, layouts and checks shared by the FrameWriter tests (tests/test_writer_*.py).

References are never framecodec: tests/writer_util.py (pydicom, zlib, numpy), tests/datasets.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset, validate_file_meta

import framecodec as fc
from datasets import DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, NAMES, RLE, Layout, base_dataset, make_pixels
from writer_util import check_offset_tables, number_of_frames

SYNTAXES = [DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT]


IDS = [NAMES[t] for t in SYNTAXES]


ENCAPSULATED = [DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED]


ENCAPSULATED_IDS = [NAMES[t] for t in ENCAPSULATED]


#: Odd sizes throughout, so that fragments of odd length (padded) occur: 7 x 5 8-bit frames are 35 bytes, 5 x 7 RGB
#: ones 105; 9 x 7 1-bit frames are 63 bits (native multi-frame 1-bit data does not start each frame on a byte).
LAYOUTS = {
    "grey8": Layout(7, 5, frames=5),
    "grey8-single": Layout(7, 5),  # no Number of Frames: one frame
    "int16-stored12": Layout(9, 7, bits=16, stored=12, signed=True, frames=4),
    "uint16-stored12-single": Layout(5, 3, bits=16, stored=12),
    "rgb8": Layout(5, 7, samples=3, frames=3),
    "rgb8-single": Layout(3, 5, samples=3, number_of_frames=True),  # Number of Frames 1, present
    "bits1": Layout(9, 7, bits=1, frames=6),
    "bits1-single": Layout(3, 5, bits=1),
    "uint32": Layout(3, 5, bits=32, frames=3),
    "int32-stored24": Layout(5, 3, bits=32, stored=24, signed=True, frames=2),
}


def source(layout: Layout, seed: int = 0) -> tuple[Dataset, npt.NDArray[Any], npt.NDArray[Any]]:
    """A data set without Pixel Data (file meta saying native Explicit VR, as a data set read from a native file
    would), pydicom's array of its pixels, and the same as (frames, *frame_shape)."""
    ds = base_dataset(layout, EXPLICIT)
    ds.PatientName = "Test^Writer"
    arr = make_pixels(layout, seed)
    return ds, arr, arr.reshape((layout.frames,) + layout.frame_shape)


def batches(frames: npt.NDArray[Any]) -> Iterator[npt.NDArray[Any]]:
    """The frames in batches of 0, 1 (no frame axis), 2, 0, 3 and 1 (with its axis) frames, repeated; first an
    empty batch."""
    yield frames[:0]
    sizes = [0, 1, 2, 0, 3, -1]
    i = k = 0
    while i < len(frames):
        s = sizes[k % len(sizes)]
        k += 1
        if s == 1:
            yield frames[i]
            i += 1
        elif s == -1:
            yield frames[i : i + 1]
            i += 1
        else:
            yield frames[i : i + s]
            i += s


def write_file(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any], **kwargs: Any) -> None:
    with fc.FrameWriter(path, ds, ts, **kwargs) as w:
        w.write(frames)


def check_file(path: Path, src: Dataset, layout: Layout, ts: str, table: str = "basic") -> Dataset:
    """A DICOM file pydicom reads: preamble and File Meta (PS3.10 7.1), the transfer syntax, the source's UIDs and
    Image Pixel attributes, Number of Frames, Planar Configuration 0 for colour; the Pixel Data encapsulated with
    the offset table ``table`` (PS3.5 A.4), or native of the right, even length (PS3.5 7.1.1, 8.1.1)."""
    with open(path, "rb") as f:
        assert f.read(132)[128:] == b"DICM"
    out = pydicom.dcmread(path)
    validate_file_meta(out.file_meta, enforce_standard=True)
    assert out.file_meta.TransferSyntaxUID == ts
    assert out.SOPClassUID == src.SOPClassUID == out.file_meta.MediaStorageSOPClassUID
    assert out.SOPInstanceUID == src.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID
    for keyword in (
        "Rows",
        "Columns",
        "SamplesPerPixel",
        "BitsAllocated",
        "BitsStored",
        "HighBit",
        "PixelRepresentation",
        "PhotometricInterpretation",
        "PatientName",
        "Modality",
    ):
        assert out[keyword].value == src[keyword].value, keyword
    assert number_of_frames(out) == layout.frames
    if "NumberOfFrames" in src:
        assert out.NumberOfFrames == layout.frames
    if layout.samples > 1:
        assert out.PlanarConfiguration == 0
    elem = out["PixelData"]
    if ts == EXPLICIT:
        assert not elem.is_undefined_length
        assert elem.VR == "OW" if layout.bits > 8 else elem.VR in ("OB", "OW")
        pixels = layout.rows * layout.columns * layout.samples * layout.frames
        length = -(-pixels // 8) if layout.bits == 1 else pixels * layout.bits // 8
        assert len(out.PixelData) == length + length % 2
        assert "ExtendedOffsetTable" not in out and "ExtendedOffsetTableLengths" not in out
    else:
        check_offset_tables(out, table)
    return out
