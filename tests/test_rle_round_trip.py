"""RLE Lossless (PS3.5 Annex G) round trips: every layout with the G.3 conformance of what we write, frames across
the decoder's chunks, edge shapes, Bits Allocated 1 (against pylibjpeg-rle and pydicom), the buffers taken and
given (out=), and threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from rle.rle import decode_frame as pylibjpeg_decode_frame
from rle.rle import encode_frame as pylibjpeg_encode_frame

import framecodec as fc
from rle_reference import (
    LAYOUTS,
    PIXEL_KINDS,
    PYDICOM_DECODES_ONE_BIT_RLE,
    bytes_per_sample,
    check_g3,
    make_pixels,
    pydicom_decode,
    ref_decode,
)
from rle_util import CT, CT_ENC, frames, le_bytes, planar_bytes

# --- round trips ----------------------------------------------------------------------------------


@settings(max_examples=300)
@given(frames())
def test_round_trip_every_layout(frame: tuple) -> None:
    arr, rows, cols, spp, bits = frame
    enc = fc.codecs.rle_encode(arr, rows, cols, spp, bits)
    check_g3(enc, rows, cols, spp * bytes_per_sample(bits))
    dec = fc.codecs.rle_decode(enc, rows, cols, spp, bits)
    assert dec.dtype == np.uint8 and dec.shape == (arr.nbytes,)
    assert dec.tobytes() == le_bytes(arr)
    assert fc.codecs.rle_decode(enc, rows, cols, spp, bits, planar=True).tobytes() == planar_bytes(arr, spp)
    # The independent decoder reads what we wrote the same way.
    assert ref_decode(enc, rows, cols, spp, bits) == le_bytes(arr)


@given(frames(max_bytes=200_000))
def test_larger_frames_cross_decode_chunks(frame: tuple) -> None:
    # Frames of many 2048-byte decode chunks: runs cut at chunk ends must resume exactly.
    arr, rows, cols, spp, bits = frame
    enc = fc.codecs.rle_encode(arr, rows, cols, spp, bits)
    assert fc.codecs.rle_decode(enc, rows, cols, spp, bits).tobytes() == le_bytes(arr)


@pytest.mark.parametrize("bits, spp", LAYOUTS)
@pytest.mark.parametrize("shape", [(1, 1), (1, 2), (2, 1), (3, 5), (7, 4096)])
def test_round_trip_edge_shapes(bits: int, spp: int, shape: tuple[int, int]) -> None:
    rows, cols = shape
    for kind in PIXEL_KINDS:
        arr = make_pixels(kind, rows, cols, spp, bits, rows * cols)
        enc = fc.codecs.rle_encode(arr, rows, cols, spp, bits)
        check_g3(enc, rows, cols, spp * bytes_per_sample(bits))
        assert fc.codecs.rle_decode(enc, rows, cols, spp, bits).tobytes() == le_bytes(arr)


def test_runs_cut_at_every_offset_of_a_decode_chunk() -> None:
    # Literal and replicate runs of every length 1-128 in turn, so run ends fall on every byte of the
    # 2048-byte chunks the interleaving decoder works in, in every segment.
    rng = np.random.default_rng(5)
    lengths = np.tile(np.arange(1, 129), 8)
    values = rng.integers(0, 256, lengths.size, dtype=np.uint8)
    plane = np.repeat(values, lengths)
    plane[::7] = rng.integers(0, 256, plane[::7].size)  # literal stretches too
    cols = 1000
    rows = plane.size // cols
    for bits, spp in [(16, 1), (8, 3), (32, 1), (16, 3), (64, 1)]:
        nseg = spp * bytes_per_sample(bits)
        arr = np.stack([np.roll(plane, 37 * k)[: rows * cols] for k in range(nseg)], axis=-1)
        arr = arr.reshape(rows, cols, nseg).view(np.dtype(f"<u{bytes_per_sample(bits)}"))
        enc = fc.codecs.rle_encode(arr, rows, cols, spp, bits)
        assert fc.codecs.rle_decode(enc, rows, cols, spp, bits).tobytes() == arr.tobytes()


# --- bits allocated 1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (64, 64), (101, 33)])
def test_one_bit_inputs(shape: tuple[int, int]) -> None:
    rows, cols = shape
    mask = make_pixels("runs", rows, cols, 1, 1, 3)
    enc = fc.codecs.rle_encode(mask, rows, cols, 1, 1)
    check_g3(enc, rows, cols, 1)
    assert fc.codecs.rle_encode(mask.astype(bool), rows, cols, 1, 1) == enc
    assert fc.codecs.rle_encode(mask * 255, rows, cols, 1, 1) == enc  # non-zero is 1, as in pack_bits
    packed = np.packbits(mask.ravel(), bitorder="little")
    assert fc.codecs.rle_encode(packed, rows, cols, 1, 1, packed=True) == enc
    assert fc.codecs.rle_encode(packed.tobytes(), rows, cols, 1, 1, packed=True) == enc
    dec = fc.codecs.rle_decode(enc, rows, cols, 1, 1)
    assert dec.shape == (rows * cols,) and dec.tobytes() == mask.tobytes()  # one 0/1 byte per pixel
    # pylibjpeg-rle (pydicom 3.0's plugin for bits allocated 1: its own decoder refuses them) agrees.
    assert bytes(pylibjpeg_decode_frame(enc, rows * cols, 1, "<")) == mask.tobytes()
    theirs = pylibjpeg_encode_frame(mask.tobytes(), rows, cols, 1, 1, "<")
    assert fc.codecs.rle_decode(theirs, rows, cols, 1, 1).tobytes() == mask.tobytes()
    assert len(enc) <= len(theirs)


def test_pydicom_own_decoder_on_one_bit() -> None:
    """pydicom 3.0's own decoder refuses bits allocated 1 (why pylibjpeg-rle is the one-bit reference above);
    3.1's decodes them, one 0/1 byte a pixel, as framecodec does."""
    mask = make_pixels("runs", 5, 7, 1, 1, 3)
    enc = fc.codecs.rle_encode(mask, 5, 7, 1, 1)
    if PYDICOM_DECODES_ONE_BIT_RLE:
        assert bytes(pydicom_decode(enc, 5, 7, 1, 1)) == mask.tobytes()
    else:
        with pytest.raises(NotImplementedError):
            pydicom_decode(enc, 5, 7, 1, 1)


# --- buffers, out=, threads -----------------------------------------------------------------------------


def test_accepts_any_buffer() -> None:
    for buf in (CT_ENC, bytearray(CT_ENC), memoryview(CT_ENC), np.frombuffer(CT_ENC, np.uint8)):
        assert fc.codecs.rle_decode(buf, 64, 80, 1, 16).view(np.int16).reshape(64, 80).tolist() == CT.tolist()
    for pix in (CT, CT.tobytes(), bytearray(CT.tobytes()), memoryview(CT), CT.view(np.uint8)):
        assert fc.codecs.rle_encode(pix, 64, 80, 1, 16) == CT_ENC


def test_decode_into_out() -> None:
    out = np.zeros(CT.nbytes, np.uint8)
    assert fc.codecs.rle_decode(CT_ENC, 64, 80, 1, 16, out=out) is out
    assert out.tobytes() == CT.tobytes()
    as_int16 = np.zeros((64, 80), np.int16).view(np.uint8)  # any contiguous uint8 shape of the right size
    fc.codecs.rle_decode(CT_ENC, 64, 80, 1, 16, out=as_int16)
    assert np.array_equal(as_int16.view(np.int16), CT)
    ba = bytearray(CT.nbytes)
    res = fc.codecs.rle_decode(CT_ENC, 64, 80, 1, 16, out=ba)
    assert bytes(ba) == CT.tobytes() and np.shares_memory(res, np.frombuffer(ba, np.uint8))


def test_threads_share_nothing() -> None:
    cases = [make_pixels(k, 40, 257, spp, bits, i) for i, (k, (bits, spp)) in enumerate(zip(PIXEL_KINDS * 3, LAYOUTS))]
    layouts = list(zip(PIXEL_KINDS * 3, LAYOUTS))
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for _ in range(20):
                for arr, (_, (bits, spp)) in zip(cases[t::2], layouts[t::2]):
                    enc = fc.codecs.rle_encode(arr, 40, 257, spp, bits)
                    assert fc.codecs.rle_decode(enc, 40, 257, spp, bits).tobytes() == le_bytes(arr)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(2) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
