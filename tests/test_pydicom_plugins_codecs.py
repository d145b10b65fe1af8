"""framecodec's pydicom plugins, codec by codec: the RLE and Deflate encoders and decoders and their
options, against independent implementations.

Test files are built from numpy arrays with independent encoders (Python's zlib, numpy's packbits, pylibjpeg-rle,
pydicom's own RLE encoder) and compared bit for bit with numpy, pydicom's own decoders, pylibjpeg-rle and, on 3.1,
pydicom's own Deflated Image Frame Compression plugin. Tests that only make sense on one pydicom line are skipped
on the other with the reason, and have a counterpart there (tests/pydicom_plugins_util.py has the test images).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from pydicom.pixels import get_decoder, get_encoder, pixel_array

import framecodec as fc
from conftest import NO_LIBDEFLATE
from pydicom_plugins_util import (
    CASES,
    DEFLATE,
    PYDICOM_31,
    RLE,
    TSYNTAXES,
    Case,
    _case,
    encoded_dataset,
    fragments,
    one_bit_on_30,
    only_30,
    only_31,
    reference_frames,
    same,
)
from pydicom_plugins_util import registered as _registered  # noqa: F401  (an autouse fixture)


@pytest.mark.parametrize("name", CASES)
def test_rle_decode_matches_pydicom_and_pylibjpeg(name: str) -> None:
    case = _case(name)
    ds = encoded_dataset(case, RLE)
    ours = pixel_array(ds, decoding_plugin="framecodec")
    same(ours, case.expected())
    if not one_bit_on_30(case):  # pydicom 3.0.x's RLE decoder refuses Bits Allocated 1
        same(pixel_array(ds, decoding_plugin="pydicom"), ours)
        same(
            pixel_array(ds, decoding_plugin="pydicom", raw=True),
            pixel_array(ds, decoding_plugin="framecodec", raw=True),
        )
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
    big = Case(
        "big", np.tile(case.stored, (1, 40, 40) + (1,) * (case.stored.ndim - 3)), case.bits, case.bits_stored, case.pi
    )
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
            case.dataset().compress(
                DEFLATE,
                case.array_for_compress(),
                encoding_plugin="framecodec",
                deflate_backend=backend,
                deflate_level=level,
            )
