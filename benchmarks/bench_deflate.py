"""Deflated Image Frame Compression kernels against Python's zlib (same system zlib underneath),
and 1-bit packing against numpy.

    python -m pytest benchmarks/bench_deflate.py --benchmark-json=deflate.json
    python benchmarks/report.py deflate.json
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import framecodec as fc
from frames import microscopy_tile, segmentation_frame

N = 8  # frames per round: distinct frames, as a pipeline sees them


def tiles() -> list[bytes]:
    return [microscopy_tile(seed).tobytes() for seed in range(N)]


def seg_packed() -> list[bytes]:
    return [np.packbits(segmentation_frame(seed), bitorder="little").tobytes() for seed in range(N)]


FRAMES = {"240x240 RGB tile": tiles, "512x512 1-bit seg (packed)": seg_packed}


def tag(benchmark, group: str, impl: str, nbytes: int) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["bytes"] = nbytes


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize("impl", ["framecodec", "zlib"])
def test_inflate(benchmark, kind: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    raw = FRAMES[kind]()
    comp = [zlib.compress(r, 6, wbits=-15) for r in raw]
    size = len(raw[0])
    tag(benchmark, f"inflate {kind}", impl, size * N)
    if impl == "framecodec":
        out = benchmark(lambda: [fc.inflate(c, size) for c in comp])
    else:
        out = benchmark(lambda: [zlib.decompress(c, -15) for c in comp])
    assert [bytes(o) for o in out] == raw


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize("impl", ["framecodec", "zlib"])
def test_deflate(benchmark, kind: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    raw = FRAMES[kind]()
    tag(benchmark, f"deflate level 6 {kind}", impl, len(raw[0]) * N)
    if impl == "framecodec":
        out = benchmark(lambda: [fc.deflate(r, 6) for r in raw])
    else:
        out = benchmark(lambda: [zlib.compress(r, 6, wbits=-15) for r in raw])
    assert [zlib.decompress(o, -15) for o in out] == raw


SEG = [segmentation_frame(seed) for seed in range(N)]
PIXELS = 512 * 512


@pytest.mark.parametrize("impl", ["framecodec", "numpy"])
def test_unpack_bits(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    packed = [np.packbits(s, bitorder="little") for s in SEG]
    tag(benchmark, "unpack_bits 512x512 frame", impl, PIXELS * N)
    if impl == "framecodec":
        out = benchmark(lambda: [fc.unpack_bits(p, PIXELS) for p in packed])
    else:
        out = benchmark(lambda: [np.unpackbits(p, count=PIXELS, bitorder="little") for p in packed])
    assert all(np.array_equal(o, s.reshape(-1)) for o, s in zip(out, SEG))


@pytest.mark.parametrize("impl", ["framecodec", "numpy"])
def test_unpack_bits_at_bit_offset(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    # Native multi-frame 1-bit data with 509x509 frames: frame n starts at bit n*509*509, mostly
    # not on a byte boundary. numpy must unpack the enclosing bytes, slice, then copy.
    n_pixels = 509 * 509
    frames = [s[:509, :509] for s in SEG]
    pixel_data = np.packbits(np.stack(frames).reshape(-1), bitorder="little")
    tag(benchmark, "unpack_bits 509x509 frame at a bit offset", impl, n_pixels * N)

    def numpy_frame(n: int) -> np.ndarray:
        start = n * n_pixels
        first, last = start // 8, (start + n_pixels + 7) // 8
        bits = np.unpackbits(pixel_data[first:last], bitorder="little")
        return np.ascontiguousarray(bits[start - 8 * first : start - 8 * first + n_pixels])

    if impl == "framecodec":
        out = benchmark(lambda: [fc.unpack_bits(pixel_data, n_pixels, bit_offset=n * n_pixels) for n in range(N)])
    else:
        out = benchmark(lambda: [numpy_frame(n) for n in range(N)])
    assert all(np.array_equal(o, f.reshape(-1)) for o, f in zip(out, frames))


@pytest.mark.parametrize("impl", ["framecodec", "numpy"])
def test_pack_bits(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    tag(benchmark, "pack_bits 512x512 frame", impl, PIXELS * N)
    if impl == "framecodec":
        out = benchmark(lambda: [fc.pack_bits(s) for s in SEG])
    else:
        out = benchmark(lambda: [np.packbits(s, bitorder="little").tobytes() for s in SEG])
    assert out == [np.packbits(s, bitorder="little").tobytes() for s in SEG]
