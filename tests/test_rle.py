"""RLE Lossless (PS3.5 Annex G): round trips over every layout, agreement with pydicom's and
pylibjpeg-rle's decoders and pydicom's encoder, the files pydicom ships, G.3 conformance of what we
write, and bad input."""

from __future__ import annotations

import struct
import threading

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames
from rle.rle import decode_frame as pylibjpeg_decode_frame
from rle.rle import encode_frame as pylibjpeg_encode_frame

import framecodec as fc
from rle_reference import (
    LAYOUTS,
    PIXEL_KINDS,
    PYDICOM_DECODES_ONE_BIT_RLE,
    RefError,
    bytes_per_sample,
    check_g3,
    make_pixels,
    pydicom_decode,
    pydicom_encode,
    ref_decode,
)

# Widths: tiny, odd and even, around the 128-byte run limit, up to 4096.
widths = st.one_of(st.integers(1, 40), st.sampled_from([127, 128, 129, 255, 256, 257, 511, 513, 1000, 4095, 4096]))


@st.composite
def frames(draw: st.DrawFn, layouts: list[tuple[int, int]] = LAYOUTS, max_bytes: int = 60_000) -> tuple:
    bits, spp = draw(st.sampled_from(layouts))
    cols = draw(widths)
    pixel_bytes = spp * bytes_per_sample(bits)
    rows = draw(st.integers(1, max(1, min(24, max_bytes // (cols * pixel_bytes)))))
    kind = draw(st.sampled_from(PIXEL_KINDS))
    arr = make_pixels(kind, rows, cols, spp, bits, draw(st.integers(0, 2**32 - 1)))
    return arr, rows, cols, spp, bits


def le_bytes(arr: npt.NDArray[np.generic]) -> bytes:
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()


def planar_bytes(arr: npt.NDArray[np.generic], spp: int) -> bytes:
    return le_bytes(np.moveaxis(arr, -1, 0)) if spp > 1 else le_bytes(arr)


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


# --- agreement with pydicom and pylibjpeg-rle -----------------------------------------------------------

BYTE_LAYOUTS = [lay for lay in LAYOUTS if lay[0] != 1]


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


@given(frames(BYTE_LAYOUTS, max_bytes=20_000))
def test_never_larger_than_pydicom(frame: tuple) -> None:
    arr, rows, cols, spp, bits = frame
    assert len(fc.codecs.rle_encode(arr, rows, cols, spp, bits)) <= len(pydicom_encode(arr, rows, cols, spp, bits))


def row_without_improvable_runs(rng: np.random.Generator, cols: int) -> list[int]:
    """A row with no two-byte repeats and no runs of 128k + 1 bytes: neighbouring runs differ."""
    row: list[int] = []
    prev = -1
    while len(row) < cols:
        n = min(int(rng.choice([1, 1, 1, 3, 4, 5, 60, 127, 128, 200, 256, 300])), cols - len(row))
        if n == 2 or (n > 128 and n % 128 == 1):
            n = 1
        prev = (prev + int(rng.integers(1, 256))) % 256
        row += [prev] * n
    return row


@given(st.integers(1, 700), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_identical_to_pydicom_where_its_choices_are_optimal(cols: int, rows: int, seed: int) -> None:
    # Without two-byte repeats and remainders of one after 128-byte runs, pydicom's encoder (a
    # reference for the G.3 layout) leaves nothing to improve: the bytes must be the same.
    rng = np.random.default_rng(seed)
    arr = np.array([row_without_improvable_runs(rng, cols) for _ in range(rows)], np.uint8)
    assert fc.codecs.rle_encode(arr, rows, cols, 1, 8) == pydicom_encode(arr, rows, cols, 1, 8)
    rgb = np.stack([arr, arr[::-1], np.roll(arr, 3, axis=1)], axis=-1)
    assert fc.codecs.rle_encode(rgb, rows, cols, 3, 8) == pydicom_encode(rgb, rows, cols, 3, 8)


def test_two_byte_repeats_merged_where_shorter() -> None:
    # "a bb c": pydicom writes [0 a][-1 b][0 c] (6 bytes); G.3.1's note merges into [3 a b b c] (5 bytes).
    arr = np.array([[1, 2, 2, 3]], np.uint8)
    enc = fc.codecs.rle_encode(arr, 1, 4, 1, 8)
    assert enc[64:] == bytes([3, 1, 2, 2, 3, 0])  # padded to even length
    assert pydicom_encode(arr, 1, 4, 1, 8)[64:] == bytes([0, 1, 255, 2, 0, 3])
    # At the start of a row a two-byte repeat stays a replicate run: merging gains nothing.
    assert fc.codecs.rle_encode(np.array([[2, 2, 3]], np.uint8), 1, 3, 1, 8)[64:] == bytes([255, 2, 0, 3])
    # Two literals of 128 around a repeat: merging would need a third header byte, so it stays.
    row = np.concatenate([np.arange(128), [200, 200], np.arange(128)]).astype(np.uint8).reshape(1, -1)
    enc = fc.codecs.rle_encode(row, 1, row.size, 1, 8)
    assert len(enc) == len(pydicom_encode(row, 1, row.size, 1, 8))
    check_g3(enc, 1, row.size, 1)


def test_remainder_byte_of_a_long_run_joins_the_literal() -> None:
    # 129 x 7 then 1 2 3: pydicom writes [-127 7][0 7][2 1 2 3]; the seventh joins the literal.
    row = np.array([[7] * 129 + [1, 2, 3]], np.uint8)
    assert fc.codecs.rle_encode(row, 1, row.size, 1, 8)[64:] == bytes([129, 7, 3, 7, 1, 2, 3, 0])
    assert pydicom_encode(row, 1, row.size, 1, 8)[64:] == bytes([129, 7, 0, 7, 2, 1, 2, 3])


def encode_bound(rows: int, cols: int, nseg: int) -> int:
    # What the encoder allocates (cpp/rle_frame.cpp): at most n + n // 3 + 2 bytes per row of n bytes
    # (a literal stretch with the run that ends it costs at most 4/3 of its bytes), one pad per segment.
    return 64 + nseg * (rows * (cols + cols // 3 + 2) + 1)


@pytest.mark.parametrize(
    "pattern",
    [
        [1, 2, 2],  # a one-byte literal then a repeat of two: 3 bytes -> 4
        [1, 2, 2, 3, 3],  # a literal byte between repeats of two cannot merge: 5 -> 6
        [1, 2, 2, 2],
        [7] * 129 + [1, 1],  # the remainder of a 128-byte run, then a repeat
        [1, 2],
        [5],
    ],
)
@pytest.mark.parametrize("cols", [1, 2, 3, 4, 5, 131, 1000])
def test_worst_case_output_stays_within_the_bound(pattern: list[int], cols: int) -> None:
    rows = 3
    row = np.resize(np.array(pattern, np.uint8), cols)
    arr = np.stack([row, np.roll(row, 1), np.roll(row, 2)])
    for spp, bits in [(1, 8), (1, 16), (3, 8)]:
        frame = np.repeat(arr[..., None], spp * bytes_per_sample(bits), axis=-1).view(f"<u{bytes_per_sample(bits)}")
        enc = fc.codecs.rle_encode(frame, rows, cols, spp, bits)
        assert len(enc) <= encode_bound(rows, cols, spp * bytes_per_sample(bits))
        assert len(enc) <= len(pydicom_encode(frame, rows, cols, spp, bits))
        assert fc.codecs.rle_decode(enc, rows, cols, spp, bits).tobytes() == frame.tobytes()


@given(frames(BYTE_LAYOUTS, max_bytes=20_000))
def test_output_within_the_bound(frame: tuple) -> None:
    arr, rows, cols, spp, bits = frame
    encoded = fc.codecs.rle_encode(arr, rows, cols, spp, bits)
    assert len(encoded) <= encode_bound(rows, cols, spp * bytes_per_sample(bits))


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


# --- segment order, decoder leniency ---------------------------------------------------------------


def split(enc: bytes) -> list[bytes]:
    n = struct.unpack_from("<I", enc)[0]
    offs = list(struct.unpack_from(f"<{n}I", enc, 4)) + [len(enc)]
    return [enc[a:b] for a, b in zip(offs, offs[1:])]


def join(segments: list[bytes], first: int = 64, gap: int = 0) -> bytes:
    offs, at = [], first
    for s in segments:
        offs.append(at)
        at += len(s) + gap
    header = struct.pack(f"<{1 + len(offs)}I", len(offs), *offs).ljust(64, b"\x00")
    body = b"".join(s + b"\x00" * gap for s in segments)
    return header + b"\x00" * (first - 64) + body


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


# --- buffers, out=, threads -----------------------------------------------------------------------------

CT = make_pixels("ramp", 64, 80, 1, 16, 4).astype(np.int16)
CT_ENC = fc.codecs.rle_encode(CT, 64, 80, 1, 16)


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
