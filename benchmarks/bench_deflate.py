"""Deflated Image Frame Compression kernels (issues 2 and 9): inflate one frame at a time with each framecodec
backend against Python's zlib, ISA-L (isal), zlib-ng (the zlib-ng package) and libdeflate (the deflate
package), measured in the same rounds; deflate speed and size at every level of both backends; 1-bit packing
against numpy.

    python -m pytest benchmarks/bench_deflate.py --benchmark-json=deflate.json
    python benchmarks/report.py deflate.json            # one row per implementation
    python benchmarks/deflate_report.py deflate.json    # issue 9's tables: inflate ratios and goals, encode per level

Every round inflates 8 distinct frames (as a pipeline sees them), each into a new buffer of the frame's size:
240x240 RGB microscopy tiles, 512x512 1-bit segmentation frames (bit-packed, 32 KiB) and 512x512 int16 CT
frames, deflated by zlib at level 6 as pydicom and framecodec write them. The ``framecodec`` inflate benchmark
runs every peer once in each of its rounds (timing.interleaved); its goals are the medians of the per-round
ratios. ``framecodec`` is the build's default decoder (libdeflate when built with it), ``framecodec zlib`` the
system zlib backend.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from frames import ct_frame, microscopy_tile, segmentation_frame
from timing import goal, interleaved, measure, paired, tag

N = 8  # frames per round: distinct frames, as a pipeline sees them
INFLATE_BACKEND = fc.backends()["inflate"]


def tiles(n: int = N) -> list[bytes]:
    return [microscopy_tile(seed).tobytes() for seed in range(n)]


def seg_packed(n: int = N) -> list[bytes]:
    return [np.packbits(segmentation_frame(seed), bitorder="little").tobytes() for seed in range(n)]


def ct(n: int = N) -> list[bytes]:
    return [ct_frame(seed).tobytes() for seed in range(n)]


FRAMES = {"240x240 RGB tile": tiles, "512x512 1-bit seg (packed)": seg_packed, "512x512 int16 CT": ct}
#: The issue's goals: at least 2x Python's zlib on these kinds, and no slower than the fastest peer on every kind.
OVER_ZLIB = {"240x240 RGB tile": 2.0, "512x512 1-bit seg (packed)": 2.0}


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


isal_zlib, zlib_ng, deflate_pkg = _module("isal.isal_zlib"), _module("zlib_ng.zlib_ng"), _module("deflate")

#: Each peer's one-call raw inflate of a frame whose decoded size is known, as their APIs allow.
PEERS: dict[str, Callable[[bytes, int], Any] | None] = {
    "zlib": lambda c, n: zlib.decompress(c, -15, n),
    "isal": None if isal_zlib is None else lambda c, n: isal_zlib.decompress(c, -15, n),
    "zlib-ng": None if zlib_ng is None else lambda c, n: zlib_ng.decompress(c, -15, n),
    "deflate (libdeflate)": None if deflate_pkg is None else lambda c, n: deflate_pkg.deflate_decompress(c, n),
}
INFLATERS: dict[str, Callable[[bytes, int], Any] | None] = {
    "framecodec": lambda c, n: fc.inflate(c, n),
    "framecodec zlib": lambda c, n: fc.inflate(c, n, backend="zlib"),
    **PEERS,
}


@pytest.fixture(scope="module")
def frames(smoke: bool) -> dict[str, list[bytes]]:
    """Each kind's frames (2 under --benchmark-disable)."""
    return {kind: make(2 if smoke else N) for kind, make in FRAMES.items()}


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize("impl", INFLATERS)
def test_inflate(benchmark: Any, frames: dict[str, list[bytes]], kind: str, impl: str) -> None:
    inflater = INFLATERS[impl]
    if inflater is None:
        pytest.skip(f"{impl} is not installed (a test extra)")
    raw = frames[kind]
    comp = [zlib.compress(r, 6, wbits=-15) for r in raw]
    size = len(raw[0])
    tag(benchmark, f"inflate {kind}", impl, size * len(raw))
    benchmark.extra_info["backend"] = INFLATE_BACKEND if impl == "framecodec" else None

    def run(f: Callable[[bytes, int], Any]) -> Callable[[], list[Any]]:
        return lambda: [f(c, size) for c in comp]

    if impl != "framecodec":
        out = measure(benchmark, run(inflater), budget=1.5)
        assert [bytes(o) for o in out] == raw
        return
    peers = {name: run(f) for name, f in INFLATERS.items() if f is not None and name != impl}
    out, times = interleaved(benchmark, impl, run(inflater), peers, budget=3.0)
    assert [bytes(o) for o in out] == raw
    if not times:
        return
    benchmark.extra_info["speed-ups"] = {name: paired(times, name, impl) for name in peers}
    if kind in OVER_ZLIB:
        goal(benchmark, f"inflate ({INFLATE_BACKEND}) over Python's zlib: {kind}", paired(times, "zlib", impl),
             OVER_ZLIB[kind], "zlib")  # fmt: skip
    others = [name for name in PEERS if name in peers]
    fastest = [min(times[name][r] for name in others) / times[impl][r] for r in range(len(times[impl]))]
    goal(benchmark, f"inflate ({INFLATE_BACKEND}) over the fastest of {', '.join(others)} in each round: {kind}",
         float(np.median(fastest)), 1.0)  # fmt: skip


# --- encoding: speed and size per level ---------------------------------------------------------------

LEVELS = {"zlib": list(range(10)), "libdeflate": list(range(13))}
ENCODERS = [(b, lv) for b in LEVELS for lv in LEVELS[b]]


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize(("backend", "level"), ENCODERS, ids=[f"{b}-{lv}" for b, lv in ENCODERS])
def test_deflate_level(benchmark: Any, frames: dict[str, list[bytes]], kind: str, backend: str, level: int) -> None:
    """framecodec.deflate(frame, level, backend): time and encoded size, every level of each backend."""
    if backend == "libdeflate" and fc.libdeflate_version is None:
        pytest.skip("framecodec was built without libdeflate")
    raw = frames[kind]
    tag(benchmark, f"deflate levels {kind}", f"{backend} {level}", len(raw[0]) * len(raw))
    out = measure(benchmark, lambda: [fc.deflate(r, level, backend) for r in raw], budget=2.0)  # type: ignore[arg-type]
    benchmark.extra_info.update(backend=backend, level=level, encoded_bytes=sum(len(o) for o in out))
    assert [zlib.decompress(o, -15) for o in out] == raw


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize("impl", ["framecodec", "zlib"])
def test_deflate(benchmark: Any, frames: dict[str, list[bytes]], kind: str, impl: str) -> None:
    """The default encoder (zlib) against Python's zlib at level 6: the same library, the same bytes."""
    raw = frames[kind]
    tag(benchmark, f"deflate level 6 {kind}", impl, len(raw[0]) * len(raw))
    if impl == "framecodec":
        out = measure(benchmark, lambda: [fc.deflate(r, 6) for r in raw], budget=1.0)
    else:
        out = measure(benchmark, lambda: [zlib.compress(r, 6, wbits=-15) for r in raw], budget=1.0)
    assert [zlib.decompress(o, -15) for o in out] == raw


# --- 1-bit packing ------------------------------------------------------------------------------------

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
    frames_ = [s[:509, :509] for s in SEG]
    pixel_data = np.packbits(np.stack(frames_).reshape(-1), bitorder="little")
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
    assert all(np.array_equal(o, f.reshape(-1)) for o, f in zip(out, frames_))


@pytest.mark.parametrize("impl", ["framecodec", "numpy"])
def test_pack_bits(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    tag(benchmark, "pack_bits 512x512 frame", impl, PIXELS * N)
    if impl == "framecodec":
        out = benchmark(lambda: [fc.pack_bits(s) for s in SEG])
    else:
        out = benchmark(lambda: [np.packbits(s, bitorder="little").tobytes() for s in SEG])
    assert out == [np.packbits(s, bitorder="little").tobytes() for s in SEG]
