"""The files and the timing of bench_pipeline.py's threads sweep of every syntax (issue 21): for each transfer
syntax framecodec's engine decodes, a file of real-image frames (real_files.py), and ``framecodec.pixel_array(path,
threads=t)`` at t = 1 and all cores beside the reference measured in the same rounds: Python's zlib inflating the
same pixels (deflated at level 6, one fragment a frame) in a ``ThreadPoolExecutor`` of t threads, an
embarrassingly parallel job of about the same output, which shows what the cores give at that moment.

Small files (1 and 10 frames of each): ``threads=None`` (the default: one per core) against ``threads=1``, the
engine decoding small work (under ``inline_work_bytes``, cpp/thread_pool.h) on the calling thread either way.
"""

from __future__ import annotations

import os
import statistics
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import framecodec as fc
import real_files
from pipeline_data import zlib_frames
from timing import goal, interleaved, not_measured, paired

CORES = os.cpu_count() or 1
ZLIB_POOL = "zlib ThreadPoolExecutor"


@dataclass(frozen=True)
class Case:
    kind: str  # real_files.KINDS
    syntax: str  # real_files.SYNTAXES
    frames: int  # in a measuring run (smoke: 2)
    distinct: int | None = None  # distinct frames encoded (the slow encoders: fewer), None: real_data's bank


#: One file per syntax the engine decodes (RGB tiles, CT slices and 1-bit masks), each of 20 to 70 MB decoded:
#: enough work for every thread, and the slow JPEG 2000 decoder's rounds under a second.
CASES = {
    "deflate RGB": Case("tiles", "deflate", 400),
    "deflate CT": Case("ct", "deflate", 60),
    "deflate 1-bit": Case("seg", "deflate", 160),
    "RLE RGB": Case("tiles", "RLE", 400),
    "RLE CT": Case("ct", "RLE", 60),
    "native CT": Case("ct", "native", 60),
    "JPEG Baseline RGB": Case("tiles", "JPEG Baseline", 400, 32),
    "JPEG 2000 Lossless CT": Case("ct", "JPEG 2000 Lossless", 24, 12),
    "HTJ2K Lossless CT": Case("ct", "HTJ2K Lossless", 40, 12),
    "JPEG-LS Lossless CT": Case("ct", "JPEG-LS Lossless", 40, 12),
}
SMALL = (1, 10)  # frames of the small files


class Files:
    """The sweep's files, made on first use: ``get(case, n)`` (n None: the case's own count)."""

    def __init__(self, folder: Path, smoke: bool) -> None:
        self.folder, self.smoke = folder, smoke
        self.made: dict[tuple[str, int], real_files.RealFile] = {}

    def get(self, case: str, n: int | None = None) -> real_files.RealFile:
        c = CASES[case]
        n = n or (2 if self.smoke else c.frames)
        if (case, n) not in self.made:
            self.made[case, n] = real_files.write(self.folder, c.kind, n, c.syntax, c.distinct)
        return self.made[case, n]


@pytest.fixture(scope="session")
def sweep_files(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Files:
    return Files(tmp_path_factory.mktemp("threads"), smoke)


def deflated(f: real_files.RealFile) -> tuple[list[bytes], int]:
    """The file's pixels, frame by frame, as raw deflate at level 6 (the reference's input), and a frame's size."""
    frames = [np.ascontiguousarray(p).tobytes() for p in f.pixels]
    out = []
    for raw in frames:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        out.append(c.compress(raw) + c.flush())
    return out, len(frames[0])


def check(f: real_files.RealFile, out: Any) -> None:
    """``out`` is the file's pixels (JPEG Baseline: Pillow's decoding, to 1 in rounding: libjpeg-turbo's builds)."""
    want = f.pixels[0] if f.n == 1 else f.pixels  # one frame: no frame axis, as in pydicom
    assert out.shape == want.shape and out.dtype == want.dtype, f.label
    if f.syntax == "JPEG Baseline":
        assert int(np.abs(out.astype(np.int16) - want).max()) <= 1, f.label
    else:
        assert np.array_equal(out, want), f.label


def scaling(benchmark: Any, f: real_files.RealFile) -> None:
    """``pixel_array(path, threads=CORES)`` timed, with threads=1 and the reference at 1 and CORES threads in the
    same rounds; the speed-ups, the sweep's points and the goal: framecodec's speed-up at least 0.9x the
    reference's, the median of the rounds' ratios of ratios."""
    one, every = "framecodec threads=1", f"framecodec threads={CORES}"
    zone, zevery = f"{ZLIB_POOL} threads=1", f"{ZLIB_POOL} threads={CORES}"
    fragments, size = deflated(f)
    pools = {1: ThreadPoolExecutor(1), CORES: ThreadPoolExecutor(CORES)}
    peers: dict[str, Callable[[], object]] = {
        one: lambda: fc.pixel_array(f.path, threads=1),
        zone: lambda: zlib_frames(fragments, size, pools[1]),
        zevery: lambda: zlib_frames(fragments, size, pools[CORES]),
    }
    try:
        out, times = interleaved(benchmark, every, lambda: fc.pixel_array(f.path, threads=CORES), peers, budget=8.0)
        check(f, out)
        assert b"".join(zlib_frames(fragments, size, pools[CORES])) == f.pixels.tobytes()
    finally:
        for p in pools.values():
            p.shutdown()
    text = (
        f"thread scaling ({CORES} threads over 1) of framecodec.pixel_array at least 0.9x the {ZLIB_POOL} reference's"
    )
    if CORES == 1 and not benchmark.disabled:
        not_measured(benchmark, f"{text}: {f.label}", 0.9, "one core: nothing to scale to")
    if not times:
        return
    ours, ref = paired(times, one, every), paired(times, zone, zevery)
    per_round = statistics.median(
        (a / b) / (c / e) for a, b, c, e in zip(*(times[k] for k in (one, every, zone, zevery)), strict=True)
    )
    benchmark.extra_info["scaling"] = {"framecodec": ours, ZLIB_POOL: ref, "threads": CORES}
    medians = {k: statistics.median(v) for k, v in times.items()}
    benchmark.extra_info["sweep"] = [  # the plot's bars: each side's speed-up, from the same rounds
        {"plot": "threads by syntax", "series": series, "x": t, "seconds": medians[name]}
        for series, names in ((f.label, (one, every)), (f"{f.label} [{ZLIB_POOL}]", (zone, zevery)))
        for t, name in zip((1, CORES), names, strict=True)
    ]
    goal(benchmark, f"{text} ({ours:.2f}x against {ref:.2f}x): {f.label}", per_round, 0.9)


def default_threads(benchmark: Any, f: real_files.RealFile) -> None:
    """``pixel_array(path)`` (threads=None) timed, with threads=1 in the same rounds: the goal, the default no
    slower than one thread on a small file (at most 1.05x, the median of the rounds' ratios)."""
    one = "framecodec threads=1"
    out, times = interleaved(
        benchmark,
        "framecodec threads=None",
        lambda: fc.pixel_array(f.path),
        {one: lambda: fc.pixel_array(f.path, threads=1)},
        budget=2.0,
        max_rounds=400,
    )
    check(f, out)
    if times:
        ratio = paired(times, "framecodec threads=None", one)
        goal(
            benchmark,
            f"framecodec.pixel_array(path) (threads=None) over threads=1: {f.label}",
            ratio,
            1.05,
            at_most=True,
        )
