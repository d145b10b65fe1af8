"""Helpers shared by the RLE Lossless tests (tests/test_rle_*.py): the frame strategy, little-endian and planar
bytes of a frame, splitting an encoded frame into its segments and joining segments under a header (PS3.5 G.5),
and a sample CT frame. The independent references are in tests/rle_reference.py."""

from __future__ import annotations

import struct

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

import framecodec as fc
from rle_reference import LAYOUTS, PIXEL_KINDS, bytes_per_sample, make_pixels

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


BYTE_LAYOUTS = [lay for lay in LAYOUTS if lay[0] != 1]  # pydicom 3.0 decodes no Bits Allocated 1 (tested apart)


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


CT = make_pixels("ramp", 64, 80, 1, 16, 4).astype(np.int16)
CT_ENC = fc.codecs.rle_encode(CT, 64, 80, 1, 16)
