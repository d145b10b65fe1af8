"""framecodec's pydicom plugins through every public pydicom entry point: reading, compressing,
saving and reading back, on pydicom 3.0.x and 3.1.

Test files are built from numpy arrays with independent encoders (Python's zlib, numpy's packbits, pylibjpeg-rle,
pydicom's own RLE encoder) and compared bit for bit with numpy, pydicom's own decoders, pylibjpeg-rle and, on 3.1,
pydicom's own Deflated Image Frame Compression plugin. Tests that only make sense on one pydicom line are skipped
on the other with the reason, and have a counterpart there (tests/pydicom_plugins_util.py has the test images).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels import iter_pixels, pixel_array
from pydicom.uid import ExplicitVRLittleEndian
from rle.utils import decode_pixel_data as pylibjpeg_rle_decode

from conftest import by_backend
from pydicom_plugins_util import (
    CASES,
    DEFLATE,
    PYDICOM_31,
    RLE,
    TS_IDS,
    TSYNTAXES,
    UNCOMPRESSED,
    Case,
    _case,
    encoded_dataset,
    fragments,
    one_bit_on_30,
    only_30,
    only_31,
    same,
)
from pydicom_plugins_util import registered as _registered  # noqa: F401  (an autouse fixture)


def write(ds: Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


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
    dtype = {1: np.uint8, 8: np.uint8, 16: draw(st.sampled_from([np.uint16, np.int16] if spp == 1 else [np.uint16]))}[
        bits
    ]
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
