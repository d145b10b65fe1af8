"""What the JPEG family benchmarks (bench_jpeg_family.py, bench_jpeg_family_files.py) share: one core for a group,
the largest difference of a peer's pixels, the goals as ratios per round."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from timing import goal, not_measured, paired

Fns = dict[str, Callable[[], Any]]


def _set_affinity(cpus: set[int]) -> None:
    """Every thread of the process (the ones started later inherit it from their starter) on ``cpus``."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (OSError, ValueError):  # a thread that ended meanwhile
            pass


@pytest.fixture
def one_core(benchmark: Any) -> Iterator[int | None]:
    """The group runs on one CPU (the last of those allowed), then on all of them again."""
    if not hasattr(os, "sched_setaffinity") or not os.path.isdir("/proc/self/task"):
        benchmark.extra_info["cpus"] = "not pinned (no sched_setaffinity here)"
        yield None
        return
    allowed = os.sched_getaffinity(0)
    cpu = max(allowed)
    _set_affinity({cpu})
    benchmark.extra_info["cpus"] = [cpu]
    try:
        yield cpu
    finally:
        _set_affinity(allowed)


def difference(a: Any, b: npt.NDArray[Any], what: str, lossy: bool = True) -> int:
    """The largest difference of a peer's pixels from ours; refuses a peer whose pixels are not the same
    image (a misplaced tile, the wrong colour space): lossy, mean difference under 1 level and none over 8."""
    a = np.asarray(a)
    assert a.shape == b.shape, f"{what}: shape {a.shape}, not {b.shape}"
    d = np.abs(a.astype(np.int32) - b.astype(np.int32))
    worst = int(d.max(initial=0))
    if lossy:
        assert float(d.mean()) < 1.0 and worst <= 8, f"{what}: mean difference {d.mean():.2f}, largest {worst}"
    else:
        assert worst == 0, f"{what}: differs from the source pixels by up to {worst}"
    return worst


def ratio_goal(
    benchmark: Any, times: dict[str, list[float]], text: str, peer: str, impl: str, target: float, why: str | None
) -> None:
    """The goal ``impl`` at least ``target`` times faster than ``peer``, per round; not measured if the peer is
    missing. Nothing under --benchmark-disable (no times)."""
    if not times:
        return
    if times.get(peer):
        goal(benchmark, text, paired(times, peer, impl), target, peer)
    else:
        not_measured(benchmark, text, target, why or f"{peer} did not run")


def frame_by_frame(
    decode: Callable[[Any], Any], fragments: list[bytes], shape: tuple[int, ...], dtype: np.dtype[Any]
) -> npt.NDArray[Any]:
    """A library's decode of every codestream (in memory) into one new array."""
    out = np.empty(shape, dtype)
    for i, frame in enumerate(fragments):
        out[i] = decode(frame)
    return out
