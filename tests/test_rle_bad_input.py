"""RLE Lossless bad input: bad headers, segments short or cut, runs past the end of their data, corrupt and random
frames (an error, or what the independent decoder makes of them, never a write outside out=), and bad arguments."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framecodec as fc
from rle_reference import LAYOUTS, PIXEL_KINDS, RefError, bytes_per_sample, make_pixels, ref_decode
from rle_util import CT, join, split

# --- bad input ---------------------------------------------------------------------------------------

RGB = make_pixels("ramp", 10, 10, 3, 8, 9)
RGB_ENC = fc.codecs.rle_encode(RGB, 10, 10, 3, 8)


def test_decode_error_is_value_error() -> None:
    assert issubclass(fc.DecodeError, ValueError)


def header(count: int, *offsets: int) -> bytes:
    return struct.pack(f"<{1 + len(offsets)}I", count, *offsets).ljust(64, b"\x00")


@pytest.mark.parametrize(
    "frame, message",
    [
        (b"", "RLE frame of 0 bytes is shorter than its 64-byte header"),
        (RGB_ENC[:63], "RLE frame of 63 bytes is shorter"),
        (header(0) + b"\x00\x00", "RLE header gives 0 segments; it must be 1 to 15"),
        (header(16, *range(64, 124, 4)) + bytes(100), "RLE header gives 16 segments; it must be 1 to 15"),
        (header(0xFFFFFFFF) + bytes(10), "gives 4294967295 segments; it must be 1 to 15"),
        (header(1, 64) + bytes([255, 1]), "RLE header gives 1 segment but the frame's layout needs 3"),
        (header(3, 60, 70, 80) + bytes(30), "segment 1 of 3 starts at byte 60, inside the 64-byte header"),
        (
            header(3, 64, 90, 80) + bytes(30),
            "offsets out of order: segment 3 of 3 starts at byte 80, segment 2 at byte 90",
        ),
        (
            header(3, 64, 80, 80) + bytes(30),
            "offsets out of order: segment 3 of 3 starts at byte 80, segment 2 at byte 80",
        ),
        (
            header(3, 64, 70, 94) + bytes(30),
            "segment 3 of 3 starts at byte 94, at or past the end of the 94-byte frame",
        ),
        (header(3, 64, 70, 5000) + bytes(30), "segment 3 of 3 starts at byte 5000, at or past the end"),
    ],
)
def test_bad_header(frame: bytes, message: str) -> None:
    with pytest.raises(fc.DecodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fc.codecs.rle_decode(frame, 10, 10, 3, 8)


def test_segment_decoding_short_names_segment_and_shortfall() -> None:
    segs = split(RGB_ENC)
    short = join([segs[0], bytes([256 - 98, 7]), segs[2]])  # segment 2 decodes to 99 of 100 bytes
    with pytest.raises(fc.DecodeError, match=r"segment 2 of 3 decodes to 99 bytes, 1 short of the 100 expected"):
        fc.codecs.rle_decode(short, 10, 10, 3, 8)
    with pytest.raises(fc.DecodeError, match=r"segment 2 of 3 decodes to 99 bytes, 1 short"):
        fc.codecs.rle_decode(short, 10, 10, 3, 8, planar=True)
    grey = join([bytes([129, 0, 129, 0, 0])])  # 256 bytes then the pad byte: 4 short of 260
    with pytest.raises(fc.DecodeError, match=r"segment 1 of 1 decodes to 256 bytes, 4 short of the 260 expected"):
        fc.codecs.rle_decode(grey, 13, 20, 1, 8)


def test_truncated_last_segment() -> None:
    with pytest.raises(fc.DecodeError, match=r"segment 3 of 3( decodes to \d+ bytes|: (literal|replicate) run)"):
        fc.codecs.rle_decode(RGB_ENC[:-20], 10, 10, 3, 8)


def test_literal_run_past_end_of_data() -> None:
    frame = join([bytes([9, 1, 2, 3]) + b"\x00"])
    with pytest.raises(
        fc.DecodeError,
        match=r"segment 1 of 1: literal run of 10 bytes at segment byte 0 runs past the end of the segment's data "
        r"\(4 bytes left\)",
    ):
        fc.codecs.rle_decode(frame, 2, 5, 1, 8)
    # in a middle segment: the next segment's bytes are not borrowed
    segs = split(RGB_ENC)
    bad = join([segs[0], bytes([255, 1]) + bytes([127]) + bytes(10), segs[2]])
    with pytest.raises(
        fc.DecodeError, match=r"segment 2 of 3: literal run of 128 bytes at segment byte 2 .* \(10 bytes left\)"
    ):
        fc.codecs.rle_decode(bad, 10, 10, 3, 8)


def test_replicate_run_past_end_of_data() -> None:
    frame = join([bytes([255, 1, 200])])  # the last run has no byte to repeat
    with pytest.raises(
        fc.DecodeError,
        match=r"segment 1 of 1: replicate run of 57 bytes at segment byte 2 runs past .* \(0 bytes left\)",
    ):
        fc.codecs.rle_decode(frame, 3, 5, 1, 8)


def test_pad_byte_is_not_a_run() -> None:
    # One trailing 0x00 after an odd-length segment is padding, even when the data is short:
    # the error is then the shortfall, not a literal run past the end.
    with pytest.raises(fc.DecodeError, match=r"decodes to 3 bytes, 2 short of the 5 expected"):
        fc.codecs.rle_decode(join([bytes([2, 1, 2, 3, 0])]), 1, 5, 1, 8)


@settings(max_examples=400)
@given(st.data())
def test_corrupt_frames_raise_or_match_reference(data: st.DataObject) -> None:
    # Bit flips, truncations, extensions and garbage: either DecodeError, or exactly what the
    # independent decoder makes of the same bytes; never a write outside `out`.
    bits, spp = data.draw(st.sampled_from(LAYOUTS))
    rows, cols = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 300))
    arr = make_pixels(data.draw(st.sampled_from(PIXEL_KINDS)), rows, cols, spp, bits, data.draw(st.integers(0, 99)))
    frame = bytearray(fc.codecs.rle_encode(arr, rows, cols, spp, bits))
    how = data.draw(st.sampled_from(["flip", "truncate", "extend", "garbage", "header"]))
    if how == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            frame[data.draw(st.integers(64, len(frame) - 1))] ^= data.draw(st.integers(1, 255))
    elif how == "truncate":
        frame = frame[: data.draw(st.integers(0, len(frame) - 1))]
    elif how == "extend":
        frame += data.draw(st.binary(min_size=1, max_size=300))
    elif how == "garbage":
        frame = frame[:64] + bytearray(data.draw(st.binary(max_size=2000)))
    else:
        frame[data.draw(st.integers(0, 63))] ^= data.draw(st.integers(1, 255))
    frame = bytes(frame)
    size = arr.nbytes
    planar = data.draw(st.booleans())
    guarded = np.full(size + 256, 0xA5, np.uint8)
    out = guarded[128:-128]
    try:
        expected = ref_decode(frame, rows, cols, spp, bits, planar=planar)
    except RefError:
        expected = None
    try:
        fc.codecs.rle_decode(frame, rows, cols, spp, bits, out=out, planar=planar)
    except fc.DecodeError:
        assert expected is None
    else:
        assert out.tobytes() == expected
    assert (guarded[:128] == 0xA5).all() and (guarded[-128:] == 0xA5).all()


@settings(max_examples=300)
@given(st.binary(max_size=400), st.integers(1, 20), st.integers(1, 20), st.sampled_from(LAYOUTS))
def test_random_bytes_never_crash(raw: bytes, rows: int, cols: int, layout: tuple[int, int]) -> None:
    bits, spp = layout
    nseg = spp * bytes_per_sample(bits)
    # A plausible header in front, so the segments get decoded rather than rejected up front.
    step = max(1, len(raw) // nseg)
    frame = header(nseg, *[64 + i * step for i in range(nseg)]) + raw
    try:
        expected = ref_decode(frame, rows, cols, spp, bits)
    except RefError:
        expected = None
    try:
        got = fc.codecs.rle_decode(frame, rows, cols, spp, bits).tobytes()
    except fc.DecodeError:
        assert expected is None
    else:
        assert got == expected


# --- bad arguments ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0, 10, 1, 8), ValueError, "rows and columns must be at least 1, got 0 x 10"),
        ((10, 0, 1, 8), ValueError, "rows and columns must be at least 1"),
        ((10, 10, 0, 8), ValueError, "samples_per_pixel must be at least 1"),
        ((-1, 10, 1, 8), ValueError, "rows must be >= 0"),
        ((10, 10, 1, 12), ValueError, "bits_allocated must be 1, 8, 16, 32 or 64, got 12"),
        ((10, 10, 3, 1), ValueError, "bits_allocated 1 needs samples_per_pixel 1"),
        ((10, 10, 2, 64), ValueError, "2 samples of 64 bits need 16 segments; RLE allows at most 15"),
        ((10, 10, 16, 8), ValueError, "need 16 segments"),
        ((1 << 40, 1 << 40, 1, 8), ValueError, "too large"),
    ],
)
def test_bad_layout(args: tuple[int, int, int, int], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        fc.codecs.rle_decode(RGB_ENC, *args)
    with pytest.raises(error, match=message):
        fc.codecs.rle_encode(b"\x00" * 300, *args)


def test_bad_decode_arguments() -> None:
    with pytest.raises(ValueError, match="segment_order must be '>' \\(conformant\\) or '<', got 'le'"):
        fc.codecs.rle_decode(RGB_ENC, 10, 10, 3, 8, segment_order="le")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly 300 bytes"):
        fc.codecs.rle_decode(RGB_ENC, 10, 10, 3, 8, out=np.zeros(301, np.uint8))
    with pytest.raises(TypeError, match="dtype uint8"):
        fc.codecs.rle_decode(RGB_ENC, 10, 10, 3, 8, out=np.zeros(150, np.uint16))
    with pytest.raises(TypeError, match="writable"):
        fc.codecs.rle_decode(RGB_ENC, 10, 10, 3, 8, out=bytes(300))
    with pytest.raises(TypeError, match="bytes-like"):
        fc.codecs.rle_decode("frame", 10, 10, 3, 8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.rle_decode(np.frombuffer(RGB_ENC * 2, np.uint8)[::2], 10, 10, 3, 8)


def test_bad_encode_arguments() -> None:
    with pytest.raises(
        ValueError, match="pixels must be 300 bytes for a 10 x 10 frame of 3 samples of 8 bits, got 299"
    ):
        fc.codecs.rle_encode(RGB.tobytes()[:-1], 10, 10, 3, 8)
    with pytest.raises(ValueError, match=r"pixels must be 100 bytes .* got 13 \(bit-packed input needs packed=True\)"):
        fc.codecs.rle_encode(bytes(13), 10, 10, 1, 1)
    with pytest.raises(ValueError, match="pixels must be 13 packed bytes"):
        fc.codecs.rle_encode(bytes(100), 10, 10, 1, 1, packed=True)
    with pytest.raises(ValueError, match="packed=True is for bits_allocated 1 only, got 8"):
        fc.codecs.rle_encode(bytes(13), 10, 10, 1, 8, packed=True)
    with pytest.raises(ValueError, match="little-endian"):
        fc.codecs.rle_encode(CT.astype(">i2"), 64, 80, 1, 16)
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.rle_encode(np.zeros((10, 20), np.uint8)[:, ::2], 10, 10, 1, 8)
    with pytest.raises(TypeError, match="bytes-like"):
        fc.codecs.rle_encode([0] * 100, 10, 10, 1, 8)  # type: ignore[arg-type]
