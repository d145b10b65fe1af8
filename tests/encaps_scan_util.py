"""Helpers shared by the tests of scan_fragments, frame_table and frame_bytes (tests/test_encaps_*.py): transfer
syntax UIDs, random frames, the frames a table gives."""

from __future__ import annotations

import numpy as np

import framecodec as fc

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
J2K = "1.2.840.10008.1.2.4.90"
RLE = "1.2.840.10008.1.2.5"


def random_frames(n: int, lo: int, hi: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(int(s)) for s in rng.integers(lo, hi + 1, n)]


def frames_of(buffer, table: fc.encaps.FrameTable) -> list[bytes]:
    return [bytes(fc.encaps.frame_bytes(buffer, table, i)) for i in range(len(table))]
