"""benchmarks/real_data.py, the benchmarks' frames from real images (issue 21): they are what they say, every
frame of a bank differs, the same call gives the same frames, and the compression ratio is zlib's."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from benchmarks import real_data


@pytest.mark.parametrize(
    ("kind", "size", "dtype", "low", "high"),
    [("rgb", 64, np.uint8, 0, 255), ("mask", 96, np.uint8, 0, 1), ("ct", 512, np.int16, -1024, 3071)]
    + [("mr", 512, np.uint16, 0, 4095)],
)
def test_banks(kind: str, size: int, dtype: type, low: int, high: int) -> None:
    bank, source = real_data.KINDS[kind][0](size, 12)  # type: ignore[operator]
    assert bank.dtype == dtype and bank.shape[:3] == (12, size, size)
    assert bank.shape[3:] == ((3,) if kind == "rgb" else ())
    assert bank.min() >= low and bank.max() <= high and bank.max() > bank.min()
    assert len({f.tobytes() for f in bank}) == 12, "every frame of a bank differs"
    assert ("scikit-image" in source) if kind in ("rgb", "mask") else ("pydicom-data" in source)
    again, _ = real_data.KINDS[kind][0].__wrapped__(size, 12)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(again, bank)  # seeded: made again, not only cached


def test_frames_follow_the_bank_by_a_fixed_hash() -> None:
    bank, _ = real_data.rgb_bank(32)
    f = real_data.frames("rgb", 50, 32)
    idx = real_data.frame_index(50, len(bank))
    np.testing.assert_array_equal(f, bank[idx])
    assert (idx[1:] != idx[:-1]).all(), "neighbouring frames differ"
    np.testing.assert_array_equal(real_data.frame("rgb", 37, 32), f[37])


def test_deflate_ratio_is_zlibs() -> None:
    f = np.zeros((2, 16, 16), np.uint8)
    f[1, 4:9, 3:12] = 1
    packed = [np.packbits(x, bitorder="little").tobytes() for x in f]
    want = sum(map(len, packed)) / sum(len(zlib.compress(p, 6)) for p in packed)
    assert real_data.deflate_ratio(f, bits=1) == pytest.approx(want)
    raw = f.tobytes()
    assert real_data.deflate_ratio(f[:1]) == pytest.approx(len(raw) / 2 / len(zlib.compress(raw[:256], 6)))
