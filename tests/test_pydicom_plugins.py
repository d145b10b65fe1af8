"""framecodec's pydicom plugins (framecodec.pydicom_plugin) on pydicom 3.0.x and 3.1.

Test files are built here from numpy arrays with independent encoders (Python's zlib, numpy's packbits,
pylibjpeg-rle, pydicom's own RLE encoder) and read back through every public pydicom entry point; what
comes out is compared bit for bit with numpy, pydicom's own decoders, pylibjpeg-rle and, on 3.1, pydicom's
own Deflated Image Frame Compression plugin. Tests that only make sense on one pydicom line are skipped on
the other with the reason, and have a counterpart there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import convert_color_space, get_decoder, get_encoder, iter_pixels, pixel_array
from pydicom.uid import UID, ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from rle.utils import decode_pixel_data as pylibjpeg_rle_decode
from rle.utils import encode_pixel_data as pylibjpeg_rle_encode

import framecodec as fc
from conftest import BACKENDS, NO_LIBDEFLATE, by_backend
from framecodec import _pydicom_compat as compat

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


# --- test images -----------------------------------------------------------------------------------------


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
                    src, rows=case.rows, columns=case.cols, samples_per_pixel=case.spp,
                    bits_allocated=case.bits, byteorder="<",
                )
            )
    return out


def encoded_dataset(case: Case, tsyntax: str, frames: list[bytes] | None = None) -> Dataset:
    ds = case.dataset(tsyntax)
    ds.PixelData = encapsulate(frames if frames is not None else reference_frames(case, tsyntax))
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def write(ds: Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


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


# --- every public entry point, both lines --------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("tsyntax", by_backend(TSYNTAXES, TS_IDS))
@pytest.mark.parametrize("plugin", ["", "framecodec"], ids=["default", "named"])
def test_read_entry_points(tmp_path: Path, name: str, tsyntax: str, plugin: str) -> None:
    case = _case(name)
    path = write(encoded_dataset(case, tsyntax), tmp_path / "in.dcm")
    expected = case.expected()

    ds = dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == tsyntax and ds.file_meta.TransferSyntaxUID.is_encapsulated
    same(ds.pixel_array if not plugin else pixel_array(ds, decoding_plugin=plugin), expected)
    same(pixel_array(ds, decoding_plugin=plugin, raw=True), case.expected(raw=True))
    for i in range(case.frames):
        want = expected[i] if case.frames > 1 else expected
        same(pixel_array(path, index=i, decoding_plugin=plugin), want)
        same(pixel_array(ds, index=i, decoding_plugin=plugin), want)
    got = list(iter_pixels(path, decoding_plugin=plugin))
    assert len(got) == case.frames
    for i, frame in enumerate(got):
        same(frame, expected[i] if case.frames > 1 else expected)

    ds.decompress(decoding_plugin=plugin)
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    rgb = case.pi == "YBR_FULL"  # decompress converts to RGB (as_rgb=True)
    want = case.expected()
    if case.bits == 1:
        native = case.native_pixel_data()
    else:
        native = np.ascontiguousarray(want).astype(want.dtype.newbyteorder("<")).tobytes()
        native += b"\x00" * (len(native) % 2)
    assert ds.PixelData == native
    assert ds.PhotometricInterpretation == ("RGB" if rgb else case.pi)
    same(dcmread(write(ds, tmp_path / "native.dcm")).pixel_array, want)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("tsyntax", by_backend(TSYNTAXES, TS_IDS))
def test_compress_save_read_round_trip(tmp_path: Path, name: str, tsyntax: str) -> None:
    case = _case(name)
    if tsyntax == RLE and one_bit_on_30(case):
        pytest.skip("pydicom 3.0.x's RLE encoding profile refuses Bits Allocated 1 before any plugin runs")
    src = case.dataset()
    src.compress(tsyntax, case.array_for_compress(), encoding_plugin="framecodec")
    assert src.file_meta.TransferSyntaxUID == tsyntax
    assert src["PixelData"].is_undefined_length
    path = write(src, tmp_path / "out.dcm")
    back = dcmread(path)
    assert back["PixelData"].is_undefined_length and back["PixelData"].VR == "OB"
    assert back.PixelData == src.PixelData
    same(back.pixel_array, case.expected())
    # Each fragment is one frame, even length, and holds what the transfer syntax says.
    frags = fragments(back)
    assert len(frags) == case.frames and all(len(f) % 2 == 0 for f in frags)
    case = case.compressed()
    for i, frag in enumerate(frags):
        native = case.frame_native(i)
        if tsyntax == DEFLATE:
            assert zlib.decompressobj(wbits=-15).decompress(frag) == native
        elif tsyntax == UNCOMPRESSED:
            assert frag == native + b"\x00" * (len(native) % 2)
        else:
            bits, n = case.bits, case.rows * case.cols
            got = pylibjpeg_rle_decode(frag, version=2, rows=case.rows, columns=case.cols, bits_allocated=bits)
            # pylibjpeg-rle gives planar samples, each little-endian
            ref = case.stored[i].reshape(n, case.spp) if case.spp > 1 else case.stored[i].reshape(n, 1)
            want = np.ascontiguousarray(ref.T).astype(ref.dtype.newbyteorder("<")).tobytes()
            assert bytes(got) == want


@pytest.mark.parametrize("tsyntax", TSYNTAXES, ids=TS_IDS)
def test_compress_from_dataset_without_array(tmp_path: Path, tsyntax: str) -> None:
    for name in CASES:
        case = _case(name)
        if tsyntax == RLE and one_bit_on_30(case):
            continue
        ds = case.dataset()
        ds.compress(tsyntax, encoding_plugin="framecodec")
        same(dcmread(write(ds, tmp_path / f"{name}.dcm")).pixel_array, case.expected())


def test_planar_configuration_1_from_array_is_stored_planar() -> None:
    """Arrays are interleaved; Deflated and Encapsulated Uncompressed frames are stored in the data set's
    Planar Configuration, so an array for a data set that says 1 is stored planar."""
    case = _case("rgb8_pc1")
    for tsyntax in (DEFLATE, UNCOMPRESSED):
        ds = case.dataset()
        ds.compress(tsyntax, case.array_for_compress(), encoding_plugin="framecodec")
        frame0 = fragments(ds)[0]
        if tsyntax == DEFLATE:
            frame0 = zlib.decompressobj(wbits=-15).decompress(frame0)
        assert frame0[: len(case.frame_native(0))] == case.frame_native(0)
        same(ds.pixel_array, case.expected())


# --- agreement with pydicom's and pylibjpeg-rle's own plugins ------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_rle_decode_matches_pydicom_and_pylibjpeg(name: str) -> None:
    case = _case(name)
    ds = encoded_dataset(case, RLE)
    ours = pixel_array(ds, decoding_plugin="framecodec")
    same(ours, case.expected())
    if not one_bit_on_30(case):  # pydicom 3.0.x's RLE decoder refuses Bits Allocated 1
        same(pixel_array(ds, decoding_plugin="pydicom"), ours)
        same(pixel_array(ds, decoding_plugin="pydicom", raw=True), pixel_array(ds, decoding_plugin="framecodec", raw=True))
    if case.bits != 1 or not PYDICOM_31:  # pydicom 3.1's pylibjpeg plugin refuses RLE with Bits Allocated 1
        same(pixel_array(ds, decoding_plugin="pylibjpeg"), ours)


@only_30
def test_rle_1bit_decode_on_30_matches_pylibjpeg_rle() -> None:
    """Counterpart of the 3.1 test against pydicom's own 1-bit RLE decoder, which 3.0.x lacks."""
    case = _case("bits1_5x7")
    ds = encoded_dataset(case, RLE)
    same(pixel_array(ds, decoding_plugin="pylibjpeg"), pixel_array(ds, decoding_plugin="framecodec"))


@only_31
def test_rle_1bit_decode_on_31_matches_pydicom() -> None:
    case = _case("bits1_5x7")
    ds = encoded_dataset(case, RLE)
    same(pixel_array(ds, decoding_plugin="pydicom"), pixel_array(ds, decoding_plugin="framecodec"))


def test_rle_segment_order_option() -> None:
    """Old files with the least significant byte plane first: pydicom's rle_segment_order option."""
    case = _case("int16_bs12")
    swapped = []
    for frag in reference_frames(case, RLE):
        header = np.frombuffer(frag[:64], "<u4").copy()
        first, second = frag[header[1] : header[2]], frag[header[2] :]
        header[2] = 64 + len(second)
        swapped.append(header.tobytes() + second + first)
    ds = encoded_dataset(case, RLE, swapped)
    ours = pixel_array(ds, decoding_plugin="framecodec", rle_segment_order="<")
    same(ours, case.expected())
    same(pixel_array(ds, decoding_plugin="pydicom", rle_segment_order="<"), ours)
    assert not np.array_equal(pixel_array(ds, decoding_plugin="framecodec"), ours)


@pytest.mark.parametrize("name", CASES)
def test_rle_encoder_never_larger_and_decodes_like_pydicoms(name: str) -> None:
    case = _case(name)
    if one_bit_on_30(case):
        pytest.skip("pydicom 3.0.x's RLE encoding profile refuses Bits Allocated 1 (see the 3.1 run)")
    ours, theirs = case.dataset(), case.dataset()
    ours.compress(RLE, case.array_for_compress(), encoding_plugin="framecodec")
    theirs.compress(RLE, case.array_for_compress(), encoding_plugin="pydicom")
    for a, b in zip(fragments(ours), fragments(theirs)):
        assert len(a) <= len(b)
    decoder = "pylibjpeg" if one_bit_on_30(case) else "pydicom"
    same(pixel_array(ours, decoding_plugin=decoder), pixel_array(theirs, decoding_plugin=decoder))
    same(pixel_array(ours, decoding_plugin=decoder), case.expected())


def test_rle_encoder_widens_bits_stored_8_in_16() -> None:
    """pydicom hands encoders one byte per sample for Bits Allocated 16 / Bits Stored 8; the frame must
    still have the two segments per sample a decoder expects for Bits Allocated 16."""
    values = np.random.default_rng(5).integers(-128, 128, (2, 6, 9), dtype=np.int16)
    case = Case("int16_bs8", values, 16, 8, "MONOCHROME2")
    for tsyntax in TSYNTAXES:
        ds = case.dataset()
        ds.compress(tsyntax, values, encoding_plugin="framecodec")
        same(pixel_array(ds, decoding_plugin="framecodec"), values)
        if tsyntax == RLE:
            same(pixel_array(ds, decoding_plugin="pydicom"), values)
            assert all(np.frombuffer(f[:4], "<u4")[0] == 2 for f in fragments(ds))


@pytest.mark.parametrize("level", [None, -1, 0, 1, 5, 6, 9])
@pytest.mark.parametrize("name", ["rgb8_pc0", "int16_bs12", "bits1_5x7", "single16"])
def test_deflate_encoder_is_pythons_zlib(name: str, level: int | None) -> None:
    """Byte-identical to zlib.compressobj(level, wbits=-15) on the native (1-bit: packed) frame; pydicom
    3.1's encoder is that call with zlib's default level."""
    case = _case(name)
    big = Case("big", np.tile(case.stored, (1, 40, 40) + (1,) * (case.stored.ndim - 3)), case.bits, case.bits_stored, case.pi)
    for c in (case, big):  # big: over 64 KiB a frame, where zlib's stored blocks (level 0) are split
        ds = c.dataset()
        opts = {} if level is None else {"deflate_level": level}
        ds.compress(DEFLATE, c.array_for_compress(), encoding_plugin="framecodec", **opts)
        for i, frag in enumerate(fragments(ds)):
            enc = zlib.compressobj(-1 if level is None else level, wbits=-15)
            ref = enc.compress(c.compressed().frame_native(i)) + enc.flush()
            assert frag == ref + b"\x00" * (len(ref) % 2)


@only_31
@pytest.mark.parametrize("name", CASES)
def test_deflate_encoder_matches_pydicom_31(name: str) -> None:
    case = _case(name)
    if case.pc == 1:
        pytest.skip("pydicom 3.1 stores an array interleaved even when the data set says Planar Configuration 1")
    ours, theirs = case.dataset(), case.dataset()
    ours.compress(DEFLATE, case.array_for_compress(), encoding_plugin="framecodec")
    theirs.compress(DEFLATE, case.array_for_compress(), encoding_plugin="pydicom")
    assert ours.PixelData == theirs.PixelData
    native_ours, native_theirs = case.dataset(), case.dataset()
    native_ours.compress(DEFLATE, encoding_plugin="framecodec")
    native_theirs.compress(DEFLATE, encoding_plugin="pydicom")
    assert native_ours.PixelData == native_theirs.PixelData


@only_30
def test_deflate_on_30_has_only_our_plugins() -> None:
    """Counterpart of the 3.1 comparisons: 3.0.x has no Deflated Image Frame Compression coder of its own,
    so ours are the only plugins (checked against zlib in test_deflate_encoder_is_pythons_zlib)."""
    assert get_decoder(DEFLATE).available_plugins == ("framecodec",)
    assert get_encoder(DEFLATE).available_plugins == ("framecodec",)


def test_deflate_level_option_is_checked() -> None:
    case = _case("single16")
    for bad in (10, -2, "6", 1.5, True):
        with pytest.raises(RuntimeError, match="deflate_level"):
            case.dataset().compress(DEFLATE, case.array_for_compress(), encoding_plugin="framecodec", deflate_level=bad)


@pytest.mark.parametrize("level", [None, 0, 6, 12])
@pytest.mark.parametrize("name", ["rgb8_pc0", "int16_bs12", "bits1_5x7"])
def test_deflate_backend_option(name: str, level: int | None) -> None:
    """deflate_backend="libdeflate": each frame is libdeflate's stream of the native (1-bit: packed) frame at the
    level (-1, the default, is 6; up to 12), which zlib decodes and pydicom reads back through our decoder."""
    if fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    case = _case(name)
    ds = case.dataset()
    opts: dict[str, Any] = {} if level is None else {"deflate_level": level}
    ds.compress(DEFLATE, case.array_for_compress(), encoding_plugin="framecodec", deflate_backend="libdeflate", **opts)
    for i, frag in enumerate(fragments(ds)):
        native = case.compressed().frame_native(i)
        ref = fc.codecs.deflate(native, -1 if level is None else level, "libdeflate")
        assert frag == ref + b"\x00" * (len(ref) % 2)
        assert zlib.decompressobj(wbits=-15).decompress(frag) == native
    same(ds.pixel_array, case.expected())


def test_deflate_backend_option_is_checked() -> None:
    case = _case("single16")
    for backend, level in (("isal", 6), ("zlib", 12), ("libdeflate", 13), (None, 6)):
        with pytest.raises(RuntimeError, match="deflate_backend" if level < 10 else "deflate_level"):
            case.dataset().compress(DEFLATE, case.array_for_compress(), encoding_plugin="framecodec",
                                    deflate_backend=backend, deflate_level=level)  # fmt: skip


@only_31
@pytest.mark.parametrize("name", CASES)
def test_31_files_we_write_decode_in_pydicoms_plugins_and_back(tmp_path: Path, name: str) -> None:
    case = _case(name)
    for tsyntax in (RLE, DEFLATE):
        ours = case.dataset()
        ours.compress(tsyntax, case.array_for_compress(), encoding_plugin="framecodec")
        back = dcmread(write(ours, tmp_path / "ours.dcm"))
        same(pixel_array(back, decoding_plugin="pydicom"), case.expected())
        if case.pc == 1 and tsyntax == DEFLATE:
            continue  # pydicom's encoder stores the array interleaved: see test_deflate_encoder_matches_pydicom_31
        theirs = case.dataset()
        theirs.compress(tsyntax, case.array_for_compress(), encoding_plugin="pydicom")
        back = dcmread(write(theirs, tmp_path / "theirs.dcm"))
        same(pixel_array(back, decoding_plugin="framecodec"), case.expected())


@only_30
@pytest.mark.parametrize("name", CASES)
def test_30_files_we_write_decode_by_hand_and_rle_in_pydicom(tmp_path: Path, name: str) -> None:
    """Counterpart on 3.0.x, which has no deflate plugin of its own: our deflate files decode with zlib and
    numpy by hand; RLE files both ways with pydicom's own RLE plugins (not 1-bit: 3.0.x has none)."""
    case = _case(name)
    ours = case.dataset()
    ours.compress(DEFLATE, case.array_for_compress(), encoding_plugin="framecodec")
    back = dcmread(write(ours, tmp_path / "ours.dcm"))
    for i, frag in enumerate(fragments(back)):
        assert zlib.decompressobj(wbits=-15).decompress(frag) == case.compressed().frame_native(i)
    if case.bits == 1:
        return
    rle_ours = case.dataset()
    rle_ours.compress(RLE, case.array_for_compress(), encoding_plugin="framecodec")
    same(pixel_array(dcmread(write(rle_ours, tmp_path / "r.dcm")), decoding_plugin="pydicom"), case.expected())
    theirs = case.dataset()
    theirs.compress(RLE, case.array_for_compress(), encoding_plugin="pydicom")
    same(pixel_array(dcmread(write(theirs, tmp_path / "t.dcm")), decoding_plugin="framecodec"), case.expected())


# --- 1-bit: what each pydicom line gets -----------------------------------------------------------------


@pytest.mark.parametrize("tsyntax", [DEFLATE, UNCOMPRESSED], ids=["deflate", "uncompressed"])
def test_1bit_frames_packed_from_byte_boundary(tsyntax: str) -> None:
    """5x7 = 35 bits a frame: each frame is packed on its own, starting on a byte boundary (5 bytes), not
    continuing where the previous frame's bits ended as Native Format does."""
    case = _case("bits1_5x7")
    ds = case.dataset()
    ds.compress(tsyntax, case.array_for_compress(), encoding_plugin="framecodec")
    for i, frag in enumerate(fragments(ds)):
        data = zlib.decompressobj(wbits=-15).decompress(frag) if tsyntax == DEFLATE else frag[:5]
        assert data == np.packbits(case.stored[i].ravel(), bitorder="little").tobytes()
        assert len(data) == 5


@only_31
@pytest.mark.parametrize("tsyntax", TSYNTAXES, ids=TS_IDS)
def test_1bit_as_buffer_on_31_is_packed(tsyntax: str) -> None:
    """pydicom 3.1: our decoders return unpacked frames (frame option bits_allocated 8) and pydicom packs
    them for the buffer API, as it does for its own RLE decoder."""
    case = _case("bits1_5x7")
    ds = encoded_dataset(case, tsyntax)
    decoder = get_decoder(tsyntax)
    buf, props = decoder.as_buffer(ds, decoding_plugin="framecodec")
    assert bytes(buf) == np.packbits(case.stored.ravel(), bitorder="little").tobytes()
    assert all(frame_props(props, i)["bits_allocated"] == 1 for i in range(case.frames))
    for i in range(case.frames):
        frame, props = decoder.as_buffer(ds, index=i, decoding_plugin="framecodec")
        assert bytes(frame) == case.frame_native(i)
        assert frame_props(props, i)["bits_allocated"] == 1
    for i, (frame, props) in enumerate(decoder.iter_buffer(ds, decoding_plugin="framecodec")):
        assert bytes(frame) == case.frame_native(i)
    arr, props = decoder.as_array(ds, decoding_plugin="framecodec")
    same(arr, case.expected())


@only_30
@pytest.mark.parametrize("tsyntax", TSYNTAXES, ids=TS_IDS)
def test_1bit_as_buffer_on_30_refuses_loudly(tsyntax: str) -> None:
    """pydicom 3.0.x's as_array needs one byte per pixel from a plugin while its as_buffer checks for
    packed frames; our decoders serve as_array (and decompress), so as_buffer raises, never returns
    wrong data. Counterpart of the 3.1 test."""
    case = _case("bits1_5x7")
    ds = encoded_dataset(case, tsyntax)
    decoder = get_decoder(tsyntax)
    with pytest.raises(ValueError, match="Unexpected number of bytes in the decoded frame with index 0"):
        decoder.as_buffer(ds, decoding_plugin="framecodec")
    arr, _ = decoder.as_array(ds, decoding_plugin="framecodec")
    same(arr, case.expected())


def test_non_1bit_as_buffer_both_lines() -> None:
    for name in ("rgb8_pc0", "rgb8_pc1", "int16_bs12", "single16"):
        case = _case(name)
        for tsyntax in TSYNTAXES:
            ds = encoded_dataset(case, tsyntax)
            buf, props = get_decoder(tsyntax).as_buffer(ds, decoding_plugin="framecodec")
            raw = case.stored
            if case.spp > 1 and frame_props(props)["planar_configuration"] == 1:
                raw = np.moveaxis(raw, -1, 1)
            assert bytes(buf) == np.ascontiguousarray(raw).astype(raw.dtype.newbyteorder("<")).tobytes()


# --- corrupt and inconsistent data --------------------------------------------------------------------


def _bad_frames(case: Case, tsyntax: str, kind: str) -> list[bytes]:
    frames = reference_frames(case, tsyntax)
    native = case.frame_native(2)
    if kind == "corrupt":
        frames[2] = b"\xff" * 8 if tsyntax == DEFLATE else frames[2][: len(frames[2]) // 2]
    elif tsyntax == DEFLATE:  # a valid stream of the wrong size
        enc = zlib.compressobj(wbits=-15)
        frames[2] = enc.compress(native[:-2] if kind == "short" else native + b"\x00\x01\x02\x03") + enc.flush()
    elif tsyntax == UNCOMPRESSED:
        frames[2] = native[:-2] if kind == "short" else native + bytes(4)
    elif kind == "long":  # RLE: the header says one segment too many
        header = np.frombuffer(frames[2][:64], "<u4").copy()
        header[0] += 1
        frames[2] = header.tobytes() + frames[2][64:]
    else:  # RLE: the segment ends early
        frames[2] = frames[2][:-6]
    return frames


@pytest.mark.filterwarnings("ignore:The decoding plugin has changed")  # the fallback after ours refused
@pytest.mark.parametrize("kind", ["corrupt", "short", "long"])
@pytest.mark.parametrize("tsyntax", by_backend(TSYNTAXES, TS_IDS))
def test_bad_frame_raises(kind: str, tsyntax: str) -> None:
    case = Case("grey8x4", np.random.default_rng(3).integers(0, 256, (4, 6, 10), dtype=np.uint8), 8, 8, "MONOCHROME2")
    ds = encoded_dataset(case, tsyntax, _bad_frames(case, tsyntax, kind))
    where = "frame 2 of 4" if PYDICOM_31 else "a frame"
    name = {RLE: "RLE Lossless", DEFLATE: "Deflated Image Frame Compression", UNCOMPRESSED: "Encapsulated Uncompressed"}
    pattern = rf"framecodec: {re.escape(name[tsyntax])}[^,]*, {where}: "
    for call in (
        lambda: pixel_array(ds, decoding_plugin="framecodec"),
        lambda: pixel_array(ds, index=2, decoding_plugin="framecodec"),
        lambda: list(iter_pixels(ds, decoding_plugin="framecodec")),
        lambda: ds.decompress(decoding_plugin="framecodec"),
    ):
        with pytest.raises(RuntimeError, match=pattern):
            call()
    # With pydicom's whole plugin list ours is tried first, then the others, which may be more lenient
    # (pylibjpeg-rle ignores a header's extra segment): an error, or the right pixels, never others.
    try:
        got = pixel_array(ds)
    except RuntimeError as exc:
        assert "framecodec:" in str(exc).split("\n")[1]
    except ValueError:
        pass  # pydicom 3.1's own deflate plugin returned the wrong size; pydicom's reshape refused it
    else:
        same(got, case.stored)
    # The frames before the bad one still decode on their own.
    same(pixel_array(ds, index=1, decoding_plugin="framecodec"), case.stored[1])


@only_31
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_frame_index_named_on_31_with_decoder_api(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMECODEC_INFLATE", backend)
    case = Case("grey8x4", np.random.default_rng(4).integers(0, 256, (4, 6, 10), dtype=np.uint8), 8, 8, "MONOCHROME2")
    ds = encoded_dataset(case, DEFLATE, _bad_frames(case, DEFLATE, "long"))
    with pytest.raises(RuntimeError, match="frame 2 of 4: deflate stream decodes to more than the expected 60 bytes"):
        get_decoder(DEFLATE).as_buffer(ds, decoding_plugin="framecodec")


@only_30
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_frame_on_30_names_the_cause(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """pydicom 3.0.x does not tell plugins the frame index; the message still names the cause."""
    monkeypatch.setenv("FRAMECODEC_INFLATE", backend)
    case = Case("grey8x4", np.random.default_rng(4).integers(0, 256, (4, 6, 10), dtype=np.uint8), 8, 8, "MONOCHROME2")
    ds = encoded_dataset(case, DEFLATE, _bad_frames(case, DEFLATE, "long"))
    with pytest.raises(RuntimeError, match="a frame: deflate stream decodes to more than the expected 60 bytes"):
        get_decoder(DEFLATE).as_buffer(ds, decoding_plugin="framecodec")


# --- registration -------------------------------------------------------------------------------------

_ORDER_SCRIPT = """
import json, pydicom
from pydicom.pixels.decoders.base import _PIXEL_DATA_DECODERS
from pydicom.pixels.encoders.base import _PIXEL_DATA_ENCODERS
from pydicom.uid import UID
out = {}
for kind, table in (("decoder", _PIXEL_DATA_DECODERS), ("encoder", _PIXEL_DATA_ENCODERS)):
    for uid in %r:
        out[kind + " " + uid] = list(table[uid][0]._available) if uid in table else None
out["deflate is a transfer syntax"] = UID("1.2.840.10008.1.2.8.1").is_transfer_syntax
print(json.dumps(out))
"""


def _pydicom_state() -> dict[str, object]:
    state: dict[str, object] = {}
    tables = {"decoder": compat._decoders._PIXEL_DATA_DECODERS, "encoder": compat._encoders._PIXEL_DATA_ENCODERS}
    for kind, table in tables.items():
        for uid in TSYNTAXES:
            state[f"{kind} {uid}"] = compat.plugin_order(table[uid][0]) if uid in table else None
    state["deflate is a transfer syntax"] = UID(DEFLATE).is_transfer_syntax
    return state


def test_ours_first_and_unregister_restores_pydicoms_own_state() -> None:
    import json

    script = _ORDER_SCRIPT % ([str(u) for u in TSYNTAXES],)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    pristine = json.loads(r.stdout)  # pydicom without framecodec imported
    assert pristine[f"decoder {RLE}"][-1] == "pydicom" and pristine[f"decoder {UNCOMPRESSED}"] is None
    assert pristine["deflate is a transfer syntax"] is PYDICOM_31

    registered = _pydicom_state()
    for key, order in registered.items():
        if key.startswith(("decoder", "encoder")):
            assert isinstance(order, list) and order[0] == "framecodec", key
            assert order[1:] == (pristine[key] or []), key
    assert registered["deflate is a transfer syntax"] is True

    fc.unregister()
    try:
        assert _pydicom_state() == pristine
        fc.unregister()  # harmless when not registered
        assert _pydicom_state() == pristine
        ds = encoded_dataset(_case("single16"), UNCOMPRESSED)
        with pytest.raises(NotImplementedError):
            ds.pixel_array
        ds = encoded_dataset(_case("single16"), DEFLATE)
        if PYDICOM_31:  # pydicom's own plugin is there again
            same(ds.pixel_array, _case("single16").expected())
        else:
            with pytest.raises(Exception, match="not supported|not a transfer syntax"):
                ds.pixel_array
    finally:
        fc.register()
    assert _pydicom_state() == registered


def test_register_twice_is_harmless() -> None:
    before = _pydicom_state()
    fc.register()
    fc.register()
    assert _pydicom_state() == before
    case = _case("rgb8_pc0")
    same(pixel_array(encoded_dataset(case, DEFLATE)), case.expected())


def test_register_after_plugin_removed_by_hand() -> None:
    decoder = get_decoder(RLE)
    decoder.remove_plugin("framecodec")
    assert "framecodec" not in decoder.available_plugins
    fc.register()
    assert compat.plugin_order(decoder)[0] == "framecodec"


def test_ours_is_tried_first() -> None:
    """Observable through pydicom's error report, which lists the plugins in the order it tried them."""
    case = _case("rgb8_pc0")
    for tsyntax in TSYNTAXES:
        ds = encoded_dataset(case, tsyntax, [b"\x00\x00"] * case.frames)
        with pytest.raises(RuntimeError, match="all available plugins:\n  framecodec: "):
            pixel_array(ds)


@only_31
def test_ours_is_used_by_default_on_31() -> None:
    """On 3.1 our RLE frames stay interleaved (frame option planar_configuration 0) where pydicom's and
    pylibjpeg's are planar: visible in the properties as_buffer returns."""
    ds = encoded_dataset(_case("rgb8_pc0"), RLE)
    assert frame_props(get_decoder(RLE).as_buffer(ds)[1])["planar_configuration"] == 0
    assert frame_props(get_decoder(RLE).as_buffer(ds, decoding_plugin="pydicom")[1])["planar_configuration"] == 1


@only_30
def test_ours_is_used_by_default_on_30() -> None:
    """3.0.x: pydicom has no decoder of its own for Deflated Image Frame Compression, so decoding works
    at all only through ours (counterpart of the 3.1 test)."""
    case = _case("rgb8_pc0")
    same(encoded_dataset(case, DEFLATE).pixel_array, case.expected())


def test_uid_constants() -> None:
    assert isinstance(fc.DeflatedImageFrameCompression, UID)
    assert isinstance(fc.EncapsulatedUncompressedExplicitVRLittleEndian, UID)
    assert isinstance(fc.RLELossless, UID)
    assert fc.DeflatedImageFrameCompression == "1.2.840.10008.1.2.8.1"
    assert fc.EncapsulatedUncompressedExplicitVRLittleEndian == "1.2.840.10008.1.2.1.98"
    for uid in TSYNTAXES:
        assert uid.is_transfer_syntax and uid.is_encapsulated and uid.is_compressed
        assert uid.is_little_endian and not uid.is_implicit_VR and not uid.is_deflated
    assert fc.DeflatedImageFrameCompression.name == "Deflated Image Frame Compression"
    assert fc.DeflatedImageFrameCompression.keyword == "DeflatedImageFrameCompression"
    if PYDICOM_31:
        assert fc.DeflatedImageFrameCompression == pydicom.uid.DeflatedImageFrameCompression


def test_plugin_module_interface() -> None:
    from framecodec import pydicom_plugin as plugin

    for uid in TSYNTAXES:
        assert plugin.is_available(uid)
        assert plugin.DECODER_DEPENDENCIES[uid] == () and plugin.ENCODER_DEPENDENCIES[uid] == ()
    # The JPEG family: decoders when the build has the codec's library, never encoders.
    built = {codec for codec, library in fc.backends()["codecs"].items() if library}
    for uid, codec in (("1.2.840.10008.1.2.4.50", "jpeg"), ("1.2.840.10008.1.2.4.80", "jpegls"),
                       ("1.2.840.10008.1.2.4.90", "j2k"), ("1.2.840.10008.1.2.4.201", "htj2k")):  # fmt: skip
        assert plugin.is_available(uid) == (codec in built) and uid not in plugin.ENCODER_DEPENDENCIES
    assert not plugin.is_available(pydicom.uid.JPEGLosslessSV1)  # no decoder here: pydicom's


# --- hypothesis round trips -----------------------------------------------------------------------------


@st.composite
def images(draw: st.DrawFn) -> tuple[Case, str]:
    tsyntax = draw(st.sampled_from(TSYNTAXES))
    bits = draw(st.sampled_from([1, 8, 16]))
    spp = 1 if bits == 1 else draw(st.sampled_from([1, 3]))
    if tsyntax == RLE and bits == 1 and not PYDICOM_31:
        bits = 8
    # At least 2 rows and columns: pydicom 3.1 squeezes a single frame's array on every axis (1 x 5 comes
    # back as (5,), 5 x 1 fails), whichever plugin decodes it.
    frames, rows, cols = draw(st.integers(1, 3)), draw(st.integers(2, 24)), draw(st.integers(2, 24))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # RLE's encoding profile (PS3.5 Table 8.2.2-1) has no signed RGB
    dtype = {1: np.uint8, 8: np.uint8, 16: draw(st.sampled_from([np.uint16, np.int16] if spp == 1 else [np.uint16]))}[bits]
    shape = (frames, rows, cols) + ((spp,) if spp > 1 else ())
    if bits == 1:
        stored = rng.integers(0, 2, shape, dtype=np.uint8)
    elif draw(st.booleans()):  # runs
        stored = np.repeat(rng.integers(0, 4, shape[0], dtype=dtype), int(np.prod(shape[1:]))).reshape(shape)
    else:
        info = np.iinfo(dtype)
        stored = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    pi = "RGB" if spp == 3 else "MONOCHROME2"
    pc = draw(st.sampled_from([0, 1])) if spp == 3 else 0
    return Case("hyp", stored, bits, bits, pi, pc, multi=frames > 1 or draw(st.booleans())), tsyntax


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(images())
def test_round_trip_hypothesis(tmp_path: Path, image: tuple[Case, str]) -> None:
    case, tsyntax = image
    ds = case.dataset()
    ds.compress(tsyntax, case.array_for_compress(), encoding_plugin="framecodec")
    back = dcmread(write(ds, tmp_path / "h.dcm"))
    same(back.pixel_array, case.expected())
    if tsyntax == RLE and case.bits != 1:
        same(pixel_array(back, decoding_plugin="pydicom"), case.expected())
    if tsyntax == DEFLATE and PYDICOM_31:
        same(pixel_array(back, decoding_plugin="pydicom"), case.expected())
    # from the native data set too (planar data sets stay planar for deflate and uncompressed)
    native = case.dataset()
    native.compress(tsyntax, encoding_plugin="framecodec")
    same(native.pixel_array, case.expected())
