"""The RLE Lossless decoder against pydicom's and pylibjpeg-rle's, on frames of both encoders and on the RLE files
pydicom ships; the little-endian segment order, and the decoder's leniency where PS3.5 G.3.2 allows it."""

from __future__ import annotations

import pydicom
import pytest
from hypothesis import given
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames
from rle.rle import decode_frame as pylibjpeg_decode_frame

import framecodec as fc
from rle_reference import bytes_per_sample, check_g3, make_pixels, pydicom_decode, pydicom_encode
from rle_util import BYTE_LAYOUTS, frames, join, le_bytes, split

# --- agreement with pydicom and pylibjpeg-rle -----------------------------------------------------------


@given(frames(BYTE_LAYOUTS, max_bytes=20_000))
def test_decode_equals_pydicom_and_pylibjpeg(frame: tuple) -> None:
    arr, rows, cols, spp, bits = frame
    for enc in (pydicom_encode(arr, rows, cols, spp, bits), fc.codecs.rle_encode(arr, rows, cols, spp, bits)):
        ours = fc.codecs.rle_decode(enc, rows, cols, spp, bits, planar=True).tobytes()
        # pydicom returns planar configuration 1, little-endian samples
        assert ours == bytes(pydicom_decode(enc, rows, cols, spp, bits))
        if spp in (1, 3):  # pylibjpeg-rle decodes 1 or 3 samples only, planar too
            assert ours == bytes(pylibjpeg_decode_frame(enc, rows * cols, bits, "<"))
        assert fc.codecs.rle_decode(enc, rows, cols, spp, bits).tobytes() == le_bytes(arr)


# --- the RLE files shipped with pydicom ------------------------------------------------------------

TEST_FILES = [
    "MR_small_RLE.dcm",
    "SC_rgb_rle.dcm",
    "SC_rgb_rle_16bit.dcm",
    "SC_rgb_rle_32bit.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_rle_16bit_2frame.dcm",
    "SC_rgb_rle_32bit_2frame.dcm",
    "rtdose_rle.dcm",
    "rtdose_rle_1frame.dcm",
    "emri_small_RLE.dcm",  # this and the next two come from the pydicom-data test extra
    "OBXXXX1A_rle.dcm",
    "OBXXXX1A_rle_2frame.dcm",
]


def shipped_file(name: str) -> str:
    try:
        path = get_testdata_file(name, download=False)
    except Exception:  # pragma: no cover - depends on pydicom's data layout
        path = None
    if path is None:  # the test extras install pydicom-data, so a missing file is a broken install
        pytest.fail(f"{name} not found: pip install '.[test]' (pydicom-data) provides it")
    return str(path)


@pytest.mark.parametrize("name", TEST_FILES)
def test_pydicom_test_files(name: str) -> None:
    ds = pydicom.dcmread(shipped_file(name))
    assert ds.file_meta.TransferSyntaxUID == fc.RLELossless
    rows, cols, spp, bits = ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    ds.pixel_array_options(decoding_plugin="pydicom")  # pydicom's own RLE decoder: never framecodec's plugin
    expected = ds.pixel_array.reshape(nframes, rows, cols, spp)
    for i, frame in enumerate(generate_frames(ds.PixelData, number_of_frames=nframes)):
        ours = fc.codecs.rle_decode(frame, rows, cols, spp, bits)
        assert ours.tobytes() == le_bytes(expected[i])
        planar = fc.codecs.rle_decode(frame, rows, cols, spp, bits, planar=True).tobytes()
        assert planar == bytes(pydicom_decode(frame, rows, cols, spp, bits))
        if spp in (1, 3):
            assert planar == bytes(pylibjpeg_decode_frame(frame, rows * cols, bits, "<"))
        # and re-encoded by us: same pixels, never larger than pydicom's encoding of them
        enc = fc.codecs.rle_encode(ours, rows, cols, spp, bits)
        check_g3(enc, rows, cols, spp * bytes_per_sample(bits))
        assert fc.codecs.rle_decode(enc, rows, cols, spp, bits).tobytes() == ours.tobytes()
        assert len(enc) <= len(pydicom_encode(ours, rows, cols, spp, bits))


# --- segment order, decoder leniency ---------------------------------------------------------------


@pytest.mark.parametrize("bits, spp", [(16, 1), (16, 3), (32, 1), (32, 3), (64, 1)])
def test_little_endian_segment_order(bits: int, spp: int) -> None:
    arr = make_pixels("ramp", 9, 31, spp, bits, 1)
    enc = fc.codecs.rle_encode(arr, 9, 31, spp, bits)
    bps = bytes_per_sample(bits)
    segs = split(enc)
    swapped = join([seg for s in range(spp) for seg in reversed(segs[s * bps : (s + 1) * bps])])
    assert fc.codecs.rle_decode(swapped, 9, 31, spp, bits, segment_order="<").tobytes() == le_bytes(arr)
    planar = fc.codecs.rle_decode(swapped, 9, 31, spp, bits, segment_order="<", planar=True).tobytes()
    assert planar == bytes(pydicom_decode(swapped, 9, 31, spp, bits, segment_order="<"))
    assert fc.codecs.rle_decode(swapped, 9, 31, spp, bits).tobytes() != le_bytes(arr)


def test_runs_may_cross_rows() -> None:
    # Some encoders run across row ends; decoders read segments as one stream (G.3.2).
    seg = bytes([129, 5, 256 - 63, 6]) + bytes([3, 1, 2, 3, 4])  # 128 x 5, 64 x 6, 1 2 3 4
    frame = join([seg + b"\x00"])
    out = fc.codecs.rle_decode(frame, 4, 49, 1, 8)
    assert out.tobytes() == bytes([5] * 128 + [6] * 64 + [1, 2, 3, 4])


def test_noop_header_byte_is_skipped() -> None:
    seg = bytes([128, 1, 7, 8, 128, 255, 9, 128])  # -128 is no operation (G.3.2)
    assert fc.codecs.rle_decode(join([seg]), 1, 4, 1, 8).tobytes() == bytes([7, 8, 9, 9])


def test_segment_decoding_long_is_trimmed() -> None:
    arr = make_pixels("random", 8, 9, 3, 16, 2)
    segs = split(fc.codecs.rle_encode(arr, 8, 9, 3, 16))
    padded = join([s + bytes([255, 0, 4, 1, 2, 3, 4, 5]) for s in segs])  # extra runs after each plane
    assert fc.codecs.rle_decode(padded, 8, 9, 3, 16).tobytes() == le_bytes(arr)
    # a replicate run longer than what is left of the plane
    assert fc.codecs.rle_decode(join([bytes([129, 3])]), 2, 3, 1, 8).tobytes() == bytes([3] * 6)


def test_header_offsets_need_not_be_tight() -> None:
    # A first offset past 64 and gaps between segments: the offsets are what counts.
    arr = make_pixels("ramp", 5, 6, 3, 8, 0)
    segs = split(fc.codecs.rle_encode(arr, 5, 6, 3, 8))
    assert fc.codecs.rle_decode(join(segs, first=80, gap=6), 5, 6, 3, 8).tobytes() == le_bytes(arr)


def test_unused_header_entries_are_ignored() -> None:
    arr = make_pixels("ramp", 5, 6, 1, 8, 0)
    enc = bytearray(fc.codecs.rle_encode(arr, 5, 6, 1, 8))
    enc[60:64] = b"\xff\xff\xff\xff"
    assert fc.codecs.rle_decode(bytes(enc), 5, 6, 1, 8).tobytes() == arr.tobytes()
