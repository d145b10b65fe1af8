"""Test images and helpers shared by the pydicom plugin tests (tests/test_pydicom_plugins_*.py).

Frames are encoded by encoders independent of framecodec (Python's zlib, numpy, pylibjpeg-rle).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import convert_color_space
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from rle.utils import encode_pixel_data as pylibjpeg_rle_encode

import framecodec as fc

PYDICOM_31 = tuple(int(x) for x in pydicom.__version__.split(".")[:2]) >= (3, 1)


only_31 = pytest.mark.skipif(not PYDICOM_31, reason="pydicom 3.1 behaviour (frame options, its own deflate plugin)")


only_30 = pytest.mark.skipif(PYDICOM_31, reason="pydicom 3.0.x behaviour (no frame options, no deflate support)")


RLE = fc.RLELossless


DEFLATE = fc.DeflatedImageFrameCompression


UNCOMPRESSED = fc.EncapsulatedUncompressedExplicitVRLittleEndian


TSYNTAXES = [RLE, DEFLATE, UNCOMPRESSED]


TS_IDS = ["rle", "deflate", "uncompressed"]


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """Every test starts and ends with the plugins registered, whatever a test did in between."""
    fc.register()
    yield
    fc.register()


@dataclass
class Case:
    name: str
    stored: npt.NDArray[np.generic]  # (frames, rows, cols[, spp]) as written: the file's sample values
    bits: int
    bits_stored: int
    pi: str
    pc: int = 0
    multi: bool = True  # Number of Frames present

    @property
    def frames(self) -> int:
        return self.stored.shape[0]

    @property
    def rows(self) -> int:
        return self.stored.shape[1]

    @property
    def cols(self) -> int:
        return self.stored.shape[2]

    @property
    def spp(self) -> int:
        return self.stored.shape[3] if self.stored.ndim == 4 else 1

    @property
    def signed(self) -> bool:
        return self.stored.dtype.kind == "i"

    def expected(self, raw: bool = False) -> npt.NDArray[np.generic]:
        """What pydicom's pixel_array gives for the whole image: unused bits corrected, YBR_FULL as RGB."""
        arr = self.stored
        if self.bits_stored < self.bits and self.bits > 1:  # pydicom's unused-bit correction
            shift = self.bits - self.bits_stored
            arr = (arr << shift) >> shift
        if not raw and self.pi == "YBR_FULL":
            arr = convert_color_space(arr, "YBR_FULL", "RGB")
        return arr if self.frames > 1 else arr[0]

    def frame_native(self, i: int) -> bytes:
        """Frame i as Native Format stores it (PS3.5 8.1.1), in the data set's Planar Configuration; 1-bit
        frames bit-packed from a byte boundary (as a fragment holds them)."""
        frame = self.stored[i]
        if self.bits == 1:
            return np.packbits(frame.ravel(), bitorder="little").tobytes()
        if self.spp > 1 and self.pc == 1:
            frame = np.moveaxis(frame, -1, 0)
        return np.ascontiguousarray(frame).astype(frame.dtype.newbyteorder("<")).tobytes()

    def native_pixel_data(self) -> bytes:
        """The whole Native Format Pixel Data value (1-bit frames packed back to back), even length."""
        if self.bits == 1:
            data = np.packbits(self.stored.ravel(), bitorder="little").tobytes()
        else:
            data = b"".join(self.frame_native(i) for i in range(self.frames))
        return data + b"\x00" * (len(data) % 2)

    def dataset(self, tsyntax: str = ExplicitVRLittleEndian) -> Dataset:
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = tsyntax
        ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.SOPClassUID = SecondaryCaptureImageStorage
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.Modality = "OT"
        ds.Rows, ds.Columns, ds.SamplesPerPixel = self.rows, self.cols, self.spp
        ds.PhotometricInterpretation = self.pi
        if self.spp > 1:
            ds.PlanarConfiguration = self.pc
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = self.bits, self.bits_stored, self.bits_stored - 1
        ds.PixelRepresentation = int(self.signed)
        if self.multi:
            ds.NumberOfFrames = self.frames
        if tsyntax == ExplicitVRLittleEndian:
            ds.PixelData = self.native_pixel_data()
        return ds

    def compressed(self) -> Case:
        """The image as ``ds.compress(uid, self.array_for_compress())`` stores it: unused bits corrected."""
        stored = self.expected(raw=True)
        return replace(self, stored=stored if self.frames > 1 else stored[np.newaxis])

    def array_for_compress(self) -> npt.NDArray[np.generic]:
        """The array ``ds.compress(uid, arr)`` takes: BitsStored-range values, interleaved samples."""
        return self.expected(raw=True)


def _case(name: str) -> Case:
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "rgb8_pc0":
        return Case(name, rng.integers(0, 256, (2, 9, 11, 3), dtype=np.uint8), 8, 8, "RGB", 0)
    if name == "rgb8_pc1":
        return Case(name, rng.integers(0, 256, (3, 10, 7, 3), dtype=np.uint8), 8, 8, "RGB", 1)
    if name == "int16_bs12":
        values = rng.integers(-2048, 2048, (2, 12, 13), dtype=np.int16)
        values[:, 0, :5] = [-2048, -1, 0, 1, 2047]
        # Stored without sign extension: the top 4 bits are 0, pydicom's correction restores the sign.
        return Case(name, (values & 0x0FFF).astype(np.int16), 16, 12, "MONOCHROME2")
    if name == "bits1_5x7":
        return Case(name, rng.integers(0, 2, (4, 5, 7), dtype=np.uint8), 1, 1, "MONOCHROME2")
    if name == "ybr_full":
        return Case(name, rng.integers(0, 256, (2, 8, 6, 3), dtype=np.uint8), 8, 8, "YBR_FULL", 0)
    if name == "single16":
        ramp = (np.arange(17 * 19, dtype=np.uint16) * 197).reshape(1, 17, 19)
        return Case(name, ramp, 16, 16, "MONOCHROME2", multi=False)
    raise ValueError(name)


CASES = ["rgb8_pc0", "rgb8_pc1", "int16_bs12", "bits1_5x7", "ybr_full", "single16"]


def reference_frames(case: Case, tsyntax: str) -> list[bytes]:
    """Each frame encoded by an encoder independent of framecodec."""
    out = []
    for i in range(case.frames):
        native = case.frame_native(i)
        if tsyntax == DEFLATE:
            enc = zlib.compressobj(wbits=-15)
            out.append(enc.compress(native) + enc.flush())
        elif tsyntax == UNCOMPRESSED:
            out.append(native)
        else:  # pylibjpeg-rle takes interleaved samples (1-bit: packed)
            frame = case.stored[i]
            src = native if case.bits == 1 else frame.astype(frame.dtype.newbyteorder("<")).tobytes()
            out.append(
                pylibjpeg_rle_encode(
                    src,
                    rows=case.rows,
                    columns=case.cols,
                    samples_per_pixel=case.spp,
                    bits_allocated=case.bits,
                    byteorder="<",
                )
            )
    return out


def encoded_dataset(case: Case, tsyntax: str, frames: list[bytes] | None = None) -> Dataset:
    ds = case.dataset(tsyntax)
    ds.PixelData = encapsulate(frames if frames is not None else reference_frames(case, tsyntax))
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def fragments(ds: Dataset) -> list[bytes]:
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))


def same(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    assert np.array_equal(a, b)


def frame_props(props: dict[Any, Any], index: int = 0) -> dict[Any, Any]:
    """The Image Pixel properties from Decoder.as_buffer: per frame index on 3.1, one dict on 3.0.x."""
    return props[index] if PYDICOM_31 else props


def one_bit_on_30(case: Case) -> bool:
    return case.bits == 1 and not PYDICOM_31
