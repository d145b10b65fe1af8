"""1-bit packing in DICOM order (PS3.5 8.1.1 / D.2: first pixel in the least significant bit),
checked against numpy.packbits/unpackbits(bitorder="little")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import framecodec as fc

counts = st.one_of(st.integers(0, 40), st.integers(0, 5000), st.integers(0, 600_000))


@st.composite
def values(draw: st.DrawFn) -> np.ndarray:
    n = draw(counts)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["bits", "bytes", "sparse", "bool"]))
    if kind == "bits":
        return rng.integers(0, 2, n, dtype=np.uint8)
    if kind == "bytes":  # any non-zero value is 1
        return rng.integers(0, 256, n, dtype=np.uint8)
    if kind == "sparse":
        return (rng.random(n) < 0.02).astype(np.uint8) * rng.integers(1, 256, n, dtype=np.uint8)
    return rng.random(n) < 0.5


def ref_pack(v: np.ndarray) -> bytes:
    return np.packbits(v.astype(bool), bitorder="little").tobytes()


@given(values())
def test_pack_equals_numpy(v: np.ndarray) -> None:
    assert fc.codecs.pack_bits(v) == ref_pack(v)


@given(hnp.arrays(np.uint8, st.integers(0, 300)))
def test_pack_any_bytes(v: np.ndarray) -> None:
    assert fc.codecs.pack_bits(v) == ref_pack(v)
    assert fc.codecs.pack_bits(v.tobytes()) == ref_pack(v)
    assert fc.codecs.pack_bits(v.view(np.int8)) == ref_pack(v)


@given(values())
def test_round_trip(v: np.ndarray) -> None:
    packed = fc.codecs.pack_bits(v)
    out = fc.codecs.unpack_bits(packed, v.size)
    assert out.dtype == np.uint8 and out.shape == (v.size,)
    np.testing.assert_array_equal(out, (v != 0).astype(np.uint8))


@given(st.binary(max_size=3000), st.data())
def test_unpack_equals_numpy_every_offset(data: bytes, draw: st.DataObject) -> None:
    offset = draw.draw(st.integers(0, 8 * len(data)))
    count = draw.draw(st.integers(0, 8 * len(data) - offset))
    ref = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")[offset : offset + count]
    np.testing.assert_array_equal(fc.codecs.unpack_bits(data, count, bit_offset=offset), ref)


@pytest.mark.parametrize("offset", range(8))
@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 31, 32, 33, 255, 4097, 512 * 512 - 3, 250_000])
def test_unpack_offsets_0_to_7(offset: int, count: int) -> None:
    rng = np.random.default_rng(count * 8 + offset)
    data = rng.integers(0, 256, (offset + count + 7) // 8, dtype=np.uint8)  # exactly the bytes needed
    ref = np.unpackbits(data, bitorder="little")[offset : offset + count]
    np.testing.assert_array_equal(fc.codecs.unpack_bits(data, count, bit_offset=offset), ref)


@pytest.mark.parametrize("offset", range(8))
@pytest.mark.parametrize("count", [56, 63, 64, 65, 71, 72, 127, 128, 129, 191, 192, 193, 64 * 37 + 5])
@pytest.mark.parametrize("extra", [0, 1, 9])
def test_unpack_64_bit_steps_stay_inside(offset: int, count: int, extra: int) -> None:
    # The vector path spreads 8 packed bytes (9 when shifted) into 64 values a step: around multiples of 64
    # values, with exactly the bytes needed or a few more, it must take the right bits and write nothing past
    # the count (the guard bytes around a slice of a larger array stay as they were).
    rng = np.random.default_rng(count * 97 + offset * 3 + extra)
    data = rng.integers(0, 256, (offset + count + 7) // 8 + extra, dtype=np.uint8)
    data[: len(data) // 2] = rng.choice([0, 255], len(data) // 2)  # uniform bytes (masks) then noise
    guarded = np.full(count + 128, 7, np.uint8)
    fc.codecs.unpack_bits(data, count, bit_offset=offset, out=guarded[64 : 64 + count])
    np.testing.assert_array_equal(guarded[64 : 64 + count], np.unpackbits(data, bitorder="little")[offset:][:count])
    assert (guarded[:64] == 7).all() and (guarded[64 + count :] == 7).all()


def test_native_multiframe_1bit_frames() -> None:
    # Native 1-bit multi-frame data: frame N starts at bit N*rows*columns (PS3.5 8.1.1), which is not
    # a byte boundary when rows*columns is not a multiple of 8.
    rows, cols, nframes = 13, 11, 9
    rng = np.random.default_rng(5)
    frames = rng.integers(0, 2, (nframes, rows, cols), dtype=np.uint8)
    pixel_data = fc.codecs.pack_bits(frames)
    assert pixel_data == ref_pack(frames.reshape(-1))
    for n in range(nframes):
        got = fc.codecs.unpack_bits(pixel_data, rows * cols, bit_offset=n * rows * cols).reshape(rows, cols)
        np.testing.assert_array_equal(got, frames[n])


def test_pack_pads_last_byte_with_zero() -> None:
    assert fc.codecs.pack_bits(np.ones(3, np.uint8)) == b"\x07"
    assert fc.codecs.pack_bits(np.ones(9, bool)) == b"\xff\x01"
    assert fc.codecs.pack_bits(b"") == b""
    assert fc.codecs.pack_bits(np.array([0, 0, 0, 0, 0, 0, 0, 255], np.uint8)) == b"\x80"  # bit order: first in LSB


def test_pack_multidimensional_and_bool() -> None:
    v = np.random.default_rng(1).integers(0, 2, (7, 9, 3)).astype(bool)
    assert fc.codecs.pack_bits(v) == ref_pack(v.reshape(-1))


def test_unpack_into_out() -> None:
    data = bytes(range(256))
    out = np.zeros((32, 64), np.uint8)
    assert fc.codecs.unpack_bits(data, 2048, out=out) is out
    np.testing.assert_array_equal(out.reshape(-1), np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little"))
    ba = bytearray(2040)
    res = fc.codecs.unpack_bits(data, 2040, bit_offset=5, out=ba)
    assert bytes(ba) == res.tobytes()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="need 2 bytes of data, got 1"):
        fc.codecs.unpack_bits(b"\x00", 9)
    with pytest.raises(ValueError, match="need 2 bytes"):
        fc.codecs.unpack_bits(b"\x00", 8, bit_offset=1)
    with pytest.raises(ValueError, match="count must be >= 0"):
        fc.codecs.unpack_bits(b"\x00", -1)
    with pytest.raises(ValueError, match="bit_offset must be >= 0"):
        fc.codecs.unpack_bits(b"\x00", 1, bit_offset=-1)
    with pytest.raises(ValueError, match="exactly 8 bytes"):
        fc.codecs.unpack_bits(b"\x00", 8, out=np.zeros(7, np.uint8))
    with pytest.raises(TypeError, match="dtype uint8"):
        fc.codecs.unpack_bits(b"\x00", 8, out=np.zeros(8, bool))
    with pytest.raises(TypeError, match="uint8 or bool"):
        fc.codecs.pack_bits(np.zeros(8, np.uint16))
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.pack_bits(np.zeros(16, np.uint8)[::2])
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.unpack_bits(np.zeros(16, np.uint8)[::2], 8)
    with pytest.raises(TypeError, match="bytes-like"):
        fc.codecs.pack_bits([0, 1, 1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="need"):
        fc.codecs.unpack_bits(b"\x00" * 4, 2**62, bit_offset=2**62)  # no overflow into a small size
