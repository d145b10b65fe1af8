"""Timing shared by the benchmarks that carry goals: a peer's ratio measured in the same rounds as framecodec.

``interleaved`` times framecodec with pytest-benchmark and, in each of its rounds, also runs every peer once
(before or after framecodec, the position rotating from round to round), timed by hand; ``paired`` is the median
over the rounds of each round's ratio, so that a slow spell of the shared cores hits both sides of a ratio.
``goal`` records a target and its measured ratio in ``extra_info["goals"]``, which pipeline_report.py prints.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable
from typing import Any


def tag(benchmark: Any, group: str, impl: str, nbytes: int) -> None:
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["bytes"] = nbytes


def rounds_for(seconds: float, budget: float = 4.0, lo: int = 5, hi: int = 25) -> int:
    return max(lo, min(hi, math.ceil(budget / max(seconds, 1e-9))))


def measure(benchmark: Any, fn: Callable[[], Any], budget: float = 3.0) -> Any:
    """A benchmark of its own: rounds sized to about ``budget`` seconds (the slow peers need few)."""
    if benchmark.disabled:
        return benchmark(fn)
    t = time.perf_counter()
    fn()  # warm-up, and the size of a round
    return benchmark.pedantic(fn, rounds=rounds_for(time.perf_counter() - t, budget, lo=3), iterations=1)


def interleaved(
    benchmark: Any, impl: str, fn: Callable[[], Any], peers: dict[str, Callable[[], object]], budget: float = 5.0,
    max_rounds: int = 25,
) -> tuple[Any, dict[str, list[float]]]:
    """Times ``fn`` with pytest-benchmark; every round also runs each peer once, timed here, some before
    ``fn`` (pytest-benchmark's setup) and the others after it (its teardown), the split rotating so that
    ``fn`` takes every position in turn. Returns ``fn``'s result and every implementation's times, one per
    round in round order (empty under --benchmark-disable); their medians go to ``extra_info["interleaved"]``."""
    if benchmark.disabled:  # the smoke run: each once, for their results
        for peer in peers.values():
            peer()
        return benchmark(fn), {}
    times: dict[str, list[float]] = {impl: [], **{name: [] for name in peers}}
    names = list(peers)

    def timed(name: str, f: Callable[[], object]) -> object:
        t = time.perf_counter()
        r = f()
        times[name].append(time.perf_counter() - t)
        return r

    t = time.perf_counter()
    for f in (fn, *peers.values()):  # warm-up round (page cache, allocator), and the size of a round
        f()
    rounds = rounds_for(time.perf_counter() - t, budget, hi=max_rounds)
    splits = itertools.cycle(range(len(names) + 1))
    split = 0

    def setup() -> None:
        nonlocal split
        split = next(splits)
        for name in names[:split]:
            timed(name, peers[name])

    def teardown(*_: object) -> None:
        for name in names[split:]:
            timed(name, peers[name])

    result = benchmark.pedantic(lambda: timed(impl, fn), setup=setup, teardown=teardown, rounds=rounds, iterations=1)
    benchmark.extra_info["interleaved"] = {name: statistics.median(ts) for name, ts in times.items()}
    benchmark.extra_info["interleaved_rounds"] = rounds
    return result, times


def paired(times: dict[str, list[float]], num: str, den: str) -> float:
    """The median over the rounds of each round's ``num`` time over its ``den`` time: a slow spell of the
    shared cores that hits one round hits both sides of its ratio."""
    return statistics.median(a / b for a, b in zip(times[num], times[den], strict=True))


def goal(benchmark: Any, text: str, ratio: float, target: float, peer: str = "", at_most: bool = False) -> None:
    """Records one of the issue's goals: ``ratio`` must be >= ``target`` (<= with ``at_most``). ``peer``:
    the implementation (extra_info["impl"]) of the peer's own benchmark in the same group, if it has one."""
    benchmark.extra_info.setdefault("goals", []).append(
        {"goal": text, "ratio": ratio, "target": target, "at_most": at_most, "peer": peer}
    )


def not_measured(benchmark: Any, text: str, target: float, why: str, at_most: bool = False) -> None:
    """Records a goal this run cannot measure (its peer cannot decode these data here), and why."""
    benchmark.extra_info.setdefault("goals", []).append(
        {"goal": text, "ratio": None, "target": target, "at_most": at_most, "peer": "", "why": why}
    )
