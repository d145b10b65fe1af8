"""The RLE Lossless encoder's output against pydicom's encoder: never larger, the same bytes where pydicom's choices
are optimal, the shorter forms of PS3.5 G.3.1 where they are not, and the bound on its size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import framecodec as fc
from rle_reference import bytes_per_sample, check_g3, pydicom_encode
from rle_util import BYTE_LAYOUTS, frames

# --- the encoder against pydicom's ----------------------------------------------------------------------


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
