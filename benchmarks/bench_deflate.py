"""Deflated Image Frame Compression kernels (issues 2 and 9): inflate one frame at a time with each framecodec
backend against Python's zlib, ISA-L (isal), zlib-ng (the zlib-ng package) and libdeflate (the deflate
package), measured in the same rounds; deflate speed and size at every level of both backends. (1-bit packing
against numpy is in bench_bitpack.py.)

    python -m pytest benchmarks/bench_deflate.py --benchmark-json=deflate.json
    python -m benchmarks.report --only deflate    # runs it and writes its tables and goals into benchmarks/RESULTS.md

Every round inflates 8 distinct frames (as a pipeline sees them), each into a new buffer of the frame's size, made
from real images by real_data.py (issue 21): 256x256 RGB tiles of scikit-image's colour photographs, 512x512 1-bit
masks segmented from its images (bit-packed, 32 KiB), pydicom-data's 512x512 CT slices (int16, Hounsfield units) and
MR slices (uint16), deflated by zlib at level 6 as pydicom and framecodec write them; each label ends with the
frames' compression ratio. The ``framecodec`` inflate benchmark runs every peer and the ceiling once in each of its
rounds (timing.interleaved); its goals are the medians of the per-round ratios. ``framecodec`` is the build's
default decoder (libdeflate when built with it), ``framecodec zlib`` the system zlib backend. The ceiling, ``copy
(ceiling)``, copies each frame's decoded size from a preallocated source into a new ``np.empty`` (every
implementation returns a new buffer per frame). A peer that is not installed skips its own benchmark and is listed
in ``extra_info["missing"]`` of ``framecodec``'s.

``deflate level 6``: ``framecodec.codecs.deflate(frame, 6)`` (the default encoder, zlib) against Python's zlib at
level 6 in the same rounds: the same library, the same bytes.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from peers import INFLATE, INFLATE_MISSING, INFLATE_NAMES
from real_data import deflate_ratio
from real_data import frames as real_frames
from timing import CEILING, compare, copy_ceiling, goal, measure, paired, tag

N = 8  # frames per round: distinct frames, as a pipeline sees them
INFLATE_BACKEND = fc.backends()["inflate"]

#: The kinds of frame: real_data's kind, frame side, bits per sample (1: bit-packed as DICOM packs them), what
#: the label calls them.
KINDS = {
    "rgb": ("rgb", 256, 8, "256x256 RGB tile"),
    "mask": ("mask", 512, 1, "512x512 1-bit mask, packed"),
    "ct": ("ct", 512, 16, "512x512 int16 CT"),
    "mr": ("mr", 512, 16, "512x512 uint16 MR"),
}
#: The issue's goals: at least 2x Python's zlib on these kinds, and no slower than the fastest peer on every kind.
OVER_ZLIB = {"rgb": 2.0, "mask": 2.0}


@functools.cache
def kind_frames(kind: str) -> tuple[list[bytes], str]:
    """The N frames of ``kind`` as bytes, and the label: what they are and their compression ratio (of all N
    frames, under --benchmark-disable too, so that the group names do not change)."""
    name, size, bits, what = KINDS[kind]
    arrays = real_frames(name, N, size)
    raw = [np.packbits(a, bitorder="little").tobytes() if bits == 1 else a.tobytes() for a in arrays]
    return raw, f"{what} ({deflate_ratio(arrays, 1 if bits == 1 else 0):.1f}:1)"


def label(kind: str) -> str:
    return kind_frames(kind)[1]


INFLATERS: dict[str, Callable[[bytes, int], Any]] = {
    "framecodec": lambda c, n: fc.codecs.inflate(c, n),
    "framecodec zlib": lambda c, n: fc.codecs.inflate(c, n, backend="zlib"),
    **INFLATE,
}


@pytest.fixture(scope="module")
def frames(smoke: bool) -> dict[str, list[bytes]]:
    """Each kind's frames (2 under --benchmark-disable)."""
    return {kind: kind_frames(kind)[0][: 2 if smoke else N] for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "framecodec zlib", *INFLATE_NAMES, CEILING])
def test_inflate(benchmark: Any, frames: dict[str, list[bytes]], kind: str, impl: str) -> None:
    """Each of the round's frames inflated into a new buffer of its size; framecodec's benchmark runs every
    other implementation (and the ceiling) once in each of its rounds and carries issue 9's goals."""
    raw = frames[kind]
    comp = [zlib.compress(r, 6, wbits=-15) for r in raw]
    size = len(raw[0])
    tag(benchmark, f"inflate {label(kind)}", impl, size * len(raw))
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
            f"inflate ({INFLATE_BACKEND}) over Python's zlib: {label(kind)}",
            paired(times, "zlib", impl),
            OVER_ZLIB[kind],
            "zlib",
        )
    others = list(INFLATE)
    fastest = [min(times[name][r] for name in others) / times[impl][r] for r in range(len(times[impl]))]
    goal(
        benchmark,
        f"inflate ({INFLATE_BACKEND}) over the fastest of {', '.join(others)} in each round: {label(kind)}",
        float(np.median(fastest)),
        1.0,
    )


# --- encoding: speed and size per level ---------------------------------------------------------------

LEVELS = {"zlib": list(range(10)), "libdeflate": list(range(13))}
ENCODERS = [(b, lv) for b in LEVELS for lv in LEVELS[b]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("backend", "level"), ENCODERS, ids=[f"{b}-{lv}" for b, lv in ENCODERS])
def test_deflate_level(benchmark: Any, frames: dict[str, list[bytes]], kind: str, backend: str, level: int) -> None:
    """framecodec.codecs.deflate(frame, level, backend): time and encoded size, every level of each backend."""
    if backend == "libdeflate" and fc.codecs.libdeflate_version is None:
        pytest.skip("framecodec was built without libdeflate")
    raw = frames[kind]
    tag(benchmark, f"deflate levels {label(kind)}", f"{backend} {level}", len(raw[0]) * len(raw))
    encode = fc.codecs.deflate
    out = measure(benchmark, lambda: [encode(r, level, backend) for r in raw], budget=2.0)  # type: ignore[arg-type]
    benchmark.extra_info.update(backend=backend, level=level, encoded_bytes=sum(len(o) for o in out))
    assert [zlib.decompress(o, -15) for o in out] == raw


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "zlib"])
def test_deflate(benchmark: Any, frames: dict[str, list[bytes]], kind: str, impl: str) -> None:
    """The default encoder (zlib) against Python's zlib at level 6: the same library, the same bytes; framecodec's
    benchmark runs Python's once in each of its rounds."""
    raw = frames[kind]
    tag(benchmark, f"deflate level 6 {label(kind)}", impl, len(raw[0]) * len(raw))
    fns: dict[str, Callable[[], list[bytes]]] = {
        "framecodec": lambda: [fc.codecs.deflate(r, 6) for r in raw],
        "zlib": lambda: [zlib.compress(r, 6, wbits=-15) for r in raw],
    }
    out, _ = compare(benchmark, impl, fns, budget=2.0, alone=1.0)
    assert [zlib.decompress(o, -15) for o in out] == raw
