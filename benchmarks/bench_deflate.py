"""Deflated Image Frame Compression kernels (issues 2 and 9): inflate one frame at a time with each framecodec
backend against Python's zlib, ISA-L (isal), zlib-ng (the zlib-ng package) and libdeflate (the deflate
package), measured in the same rounds; deflate speed and size at every level of both backends. (1-bit packing
against numpy is in bench_bitpack.py.)

    python -m pytest benchmarks/bench_deflate.py --benchmark-json=deflate.json
    python -m benchmarks.report --only deflate    # runs it and writes its tables and goals into benchmarks/RESULTS.md

Every round inflates 8 distinct frames (as a pipeline sees them), each into a new buffer of the frame's size:
240x240 RGB microscopy tiles, 512x512 1-bit segmentation frames (bit-packed, 32 KiB) and 512x512 int16 CT
frames, deflated by zlib at level 6 as pydicom and framecodec write them. The ``framecodec`` inflate benchmark
runs every peer and the ceiling once in each of its rounds (timing.interleaved); its goals are the medians of the
per-round ratios. ``framecodec`` is the build's default decoder (libdeflate when built with it), ``framecodec
zlib`` the system zlib backend. The ceiling, ``copy (ceiling)``, copies each frame's decoded size from a
preallocated source into a new ``np.empty`` (every implementation returns a new buffer per frame). A peer that is
not installed skips its own benchmark and is listed in ``extra_info["missing"]`` of ``framecodec``'s.

``deflate level 6``: ``framecodec.codecs.deflate(frame, 6)`` (the default encoder, zlib) against Python's zlib at
level 6 in the same rounds: the same library, the same bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from framecodec._synthetic.frames import ct_frame, microscopy_tile, segmentation_frame
from peers import INFLATE, INFLATE_MISSING, INFLATE_NAMES
from timing import CEILING, compare, copy_ceiling, goal, measure, paired, tag

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


INFLATERS: dict[str, Callable[[bytes, int], Any]] = {
    "framecodec": lambda c, n: fc.codecs.inflate(c, n),
    "framecodec zlib": lambda c, n: fc.codecs.inflate(c, n, backend="zlib"),
    **INFLATE,
}


@pytest.fixture(scope="module")
def frames(smoke: bool) -> dict[str, list[bytes]]:
    """Each kind's frames (2 under --benchmark-disable)."""
    return {kind: make(2 if smoke else N) for kind, make in FRAMES.items()}


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize("impl", ["framecodec", "framecodec zlib", *INFLATE_NAMES, CEILING])
def test_inflate(benchmark: Any, frames: dict[str, list[bytes]], kind: str, impl: str) -> None:
    """Each of the round's frames inflated into a new buffer of its size; framecodec's benchmark runs every
    other implementation (and the ceiling) once in each of its rounds and carries issue 9's goals."""
    raw = frames[kind]
    comp = [zlib.compress(r, 6, wbits=-15) for r in raw]
    size = len(raw[0])
    tag(benchmark, f"inflate {kind}", impl, size * len(raw))
    benchmark.extra_info["backend"] = INFLATE_BACKEND if impl == "framecodec" else None

    def run(f: Callable[[bytes, int], Any]) -> Callable[[], list[Any]]:
        return lambda: [f(c, size) for c in comp]

    fns: dict[str, Callable[[], Any]] = {name: run(f) for name, f in INFLATERS.items()}
    fns[CEILING] = copy_ceiling([size] * len(raw), fresh=True)
    out, times = compare(benchmark, impl, fns, dict(INFLATE_MISSING), budget=3.0)
    assert impl == CEILING or [bytes(o) for o in out] == raw
    if not times:
        return
    if kind in OVER_ZLIB:
        goal(
            benchmark,
            f"inflate ({INFLATE_BACKEND}) over Python's zlib: {kind}",
            paired(times, "zlib", impl),
            OVER_ZLIB[kind],
            "zlib",
        )
    others = list(INFLATE)
    fastest = [min(times[name][r] for name in others) / times[impl][r] for r in range(len(times[impl]))]
    goal(
        benchmark,
        f"inflate ({INFLATE_BACKEND}) over the fastest of {', '.join(others)} in each round: {kind}",
        float(np.median(fastest)),
        1.0,
    )


# --- encoding: speed and size per level ---------------------------------------------------------------

LEVELS = {"zlib": list(range(10)), "libdeflate": list(range(13))}
ENCODERS = [(b, lv) for b in LEVELS for lv in LEVELS[b]]


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize(("backend", "level"), ENCODERS, ids=[f"{b}-{lv}" for b, lv in ENCODERS])
def test_deflate_level(benchmark: Any, frames: dict[str, list[bytes]], kind: str, backend: str, level: int) -> None:
    """framecodec.codecs.deflate(frame, level, backend): time and encoded size, every level of each backend."""
    if backend == "libdeflate" and fc.codecs.libdeflate_version is None:
        pytest.skip("framecodec was built without libdeflate")
    raw = frames[kind]
    tag(benchmark, f"deflate levels {kind}", f"{backend} {level}", len(raw[0]) * len(raw))
    encode = fc.codecs.deflate
    out = measure(benchmark, lambda: [encode(r, level, backend) for r in raw], budget=2.0)  # type: ignore[arg-type]
    benchmark.extra_info.update(backend=backend, level=level, encoded_bytes=sum(len(o) for o in out))
    assert [zlib.decompress(o, -15) for o in out] == raw


@pytest.mark.parametrize("kind", FRAMES)
@pytest.mark.parametrize("impl", ["framecodec", "zlib"])
def test_deflate(benchmark: Any, frames: dict[str, list[bytes]], kind: str, impl: str) -> None:
    """The default encoder (zlib) against Python's zlib at level 6: the same library, the same bytes; framecodec's
    benchmark runs Python's once in each of its rounds."""
    raw = frames[kind]
    tag(benchmark, f"deflate level 6 {kind}", impl, len(raw[0]) * len(raw))
    fns: dict[str, Callable[[], list[bytes]]] = {
        "framecodec": lambda: [fc.codecs.deflate(r, 6) for r in raw],
        "zlib": lambda: [zlib.compress(r, 6, wbits=-15) for r in raw],
    }
    out, _ = compare(benchmark, impl, fns, budget=2.0, alone=1.0)
    assert [zlib.decompress(o, -15) for o in out] == raw
