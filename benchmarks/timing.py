"""Timing and the ``extra_info`` contract shared by every benchmark file (what ``python -m benchmarks.report`` reads).

Every benchmark says what it measures with ``tag``: ``benchmark.group`` (what is measured on what data, unique
within its file; the area is the file's name), ``extra_info["impl"]`` (framecodec's own implementations start with
"framecodec"), ``extra_info["bytes"]`` (decoded bytes handled per call, for MB/s) and ``extra_info["threads"]``
(threads the implementation used). Beside it:

- ``interleaved`` times framecodec with pytest-benchmark and, in each of its rounds, also runs every peer once
  (before or after framecodec, the position rotating from round to round), timed by hand, and writes each one's
  median to ``extra_info["interleaved"]``; ``interleaved_draws`` does the same for benchmarks that draw new inputs
  (random frames, regions) every round. ``paired`` is the median over the rounds of each round's ratio, so that a
  slow spell of the shared cores hits both sides of a ratio.
- ``goal`` / ``goal_time`` / ``not_measured`` record one of the issues' targets in ``extra_info["goals"]``.
- ``missing`` records a peer that is not installed or cannot run these data (``extra_info["missing"]``), on our
  benchmark of the group: a peer is never dropped silently.
- ``copy_ceiling`` is the ceiling of every decode group, the implementation named ``CEILING``: a memory copy of the
  decoded size, which no decoder writing that output can beat.
- ``sweep`` marks a benchmark as one point of a scaling plot (``extra_info["sweep"]``).
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

#: The implementation name of the memory-copy ceiling in every decode group (the report looks for it by name).
CEILING = "copy (ceiling)"


def tag(benchmark: Any, group: str, impl: str, nbytes: int, threads: int = 1) -> None:
    """The contract's fields: the group, the implementation, decoded bytes per call and the threads it used."""
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["bytes"] = nbytes
    benchmark.extra_info["threads"] = threads


def missing(benchmark: Any, peer: str, reason: str | None) -> bool:
    """Records on our benchmark of the group that ``peer`` is left out and why (not installed, cannot decode
    these data...); True when it is (``reason`` not empty), so that callers can write
    ``if not missing(benchmark, name, problem): peers[name] = ...``."""
    if reason:
        benchmark.extra_info.setdefault("missing", {})[peer] = reason
    return bool(reason)


def sweep(benchmark: Any, plot: str, series: str, x: int) -> None:
    """One point of a scaling plot: ``plot`` is "frames" (x = frame count) or "threads" (x = thread count);
    ``series`` the line the point belongs to."""
    benchmark.extra_info["sweep"] = {"plot": plot, "series": series, "x": x}


def copy_ceiling(sizes: int | list[int], fresh: bool) -> Callable[[], list[npt.NDArray[np.uint8]]]:
    """The ceiling of a decode group: ``np.copyto`` of the decoded size from preallocated sources (filled, so
    their pages are mapped) into preallocated destinations, or, with ``fresh``, into a new ``np.empty`` each
    call, as the group's implementations that return new arrays pay for the new pages too. ``sizes``: the
    decoded size of each output the implementations make per call (a list for groups that decode frame by frame
    into one array each: the copies are as many and as big)."""
    sizes = [sizes] if isinstance(sizes, int) else list(sizes)
    whole = np.ones(sum(sizes), np.uint8)
    ends = list(itertools.accumulate(sizes))
    sources = [whole[end - n : end] for n, end in zip(sizes, ends, strict=True)]
    if fresh:

        def fresh_copies() -> list[npt.NDArray[np.uint8]]:
            out = []
            for src in sources:
                dst = np.empty(src.size, np.uint8)
                np.copyto(dst, src)
                out.append(dst)
            return out

        return fresh_copies
    dests = [np.full(n, 0, np.uint8) for n in sizes]  # written once: their pages are mapped before the timing

    def copies() -> list[npt.NDArray[np.uint8]]:
        for src, dst in zip(sources, dests, strict=True):
            np.copyto(dst, src)
        return dests

    return copies


def rounds_for(seconds: float, budget: float = 4.0, lo: int = 5, hi: int = 25) -> int:
    return max(lo, min(hi, math.ceil(budget / max(seconds, 1e-9))))


def measure(benchmark: Any, fn: Callable[[], Any], budget: float = 3.0, max_rounds: int = 25) -> Any:
    """A benchmark of its own: rounds sized to about ``budget`` seconds (the slow peers need few)."""
    if benchmark.disabled:
        return benchmark(fn)
    t = time.perf_counter()
    fn()  # warm-up, and the size of a round
    rounds = rounds_for(time.perf_counter() - t, budget, lo=3, hi=max_rounds)
    return benchmark.pedantic(fn, rounds=rounds, iterations=1)


def interleaved(
    benchmark: Any,
    impl: str,
    fn: Callable[[], Any],
    peers: dict[str, Callable[[], object]],
    budget: float = 5.0,
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


def compare(
    benchmark: Any,
    impl: str,
    fns: dict[str, Callable[[], Any]],
    problems: dict[str, str | None] | None = None,
    *,
    apart: dict[str, str] | None = None,
    ours: str = "framecodec",
    budget: float = 3.0,
    alone: float = 1.5,
    max_rounds: int = 25,
) -> tuple[Any, dict[str, list[float]]]:
    """The usual group: ``fns`` has every implementation of the group (ours, the peers, the ceiling) by name, and
    this benchmark times ``impl``. Ours runs every other one that can run once in each of its rounds
    (``interleaved``; each peer's per-round time over ours in ``extra_info["speed-ups"]``), but those in ``apart``
    (too slow to run every round: timed in rounds of their own, the reason in ``extra_info["timed_apart"]``), and
    records the ones with a problem as missing; any other implementation is timed on its own (``measure``, about
    ``alone`` seconds), or skipped with its problem. Returns the implementation's result and, for ours, every
    implementation's times per round (empty otherwise, and under --benchmark-disable)."""
    problems = problems or {}
    if problems.get(impl):
        pytest.skip(problems[impl] or "")  # and listed as missing by our benchmark of the group
    if impl != ours:
        return measure(benchmark, fns[impl], budget=alone, max_rounds=max_rounds), {}
    for name, why in problems.items():
        if name != impl:
            missing(benchmark, name, why)
    peers = {name: f for name, f in fns.items() if name != impl and not problems.get(name)}
    for name, why in (apart or {}).items():
        if peers.pop(name, None) is not None:
            benchmark.extra_info.setdefault("timed_apart", {})[name] = why
    out, times = interleaved(benchmark, impl, fns[impl], peers, budget=budget, max_rounds=max_rounds)
    if times:
        benchmark.extra_info["speed-ups"] = {name: paired(times, name, impl) for name in peers}
    return out, times


def interleaved_draws(
    benchmark: Any,
    impl: str,
    fns: dict[str, Callable[[], Any]],
    *,
    next_round: Callable[[], None] | None = None,
    check: Callable[[dict[str, Any]], None] | None = None,
    budget: float = 5.0,
    min_rounds: int = 5,
    max_rounds: int = 25,
    warmup: bool = True,
) -> dict[str, list[float]]:
    """``interleaved`` for benchmarks whose inputs change every round (a random frame, region or draw of frames):
    times ``fns[impl]`` with pytest-benchmark and every other entry of ``fns`` once per round, by hand, some
    before and the others after it (the split rotating); ``next_round`` draws the round's inputs first.

    ``check`` gets the first round's result of every implementation, before the next draw (under
    --benchmark-disable that round is the only one). Returns every implementation's times, one per timed
    round, in round order (empty under --benchmark-disable). With ``warmup`` the first round is a warm-up, not
    timed; without it, the first round is timed too (for peers that take seconds a round). Writes
    ``extra_info["interleaved"]`` (medians), ``["interleaved_rounds"]`` and ``["speed-ups"]`` (each peer's
    per-round time over ``impl``'s, median)."""
    draw = next_round or (lambda: None)
    peers = [name for name in fns if name != impl]
    if benchmark.disabled:
        draw()
        results = {name: fns[name]() for name in peers}
        results[impl] = benchmark(fns[impl])
        if check:
            check(results)
        return {}
    times: dict[str, list[float]] = {name: [] for name in fns}

    def timed(name: str) -> Any:
        t = time.perf_counter()
        r = fns[name]()
        times[name].append(time.perf_counter() - t)
        return r

    draw()
    t = time.perf_counter()
    results = {name: timed(name) for name in (impl, *peers)}
    first = time.perf_counter() - t
    if check:
        check(results)
    del results
    if warmup:
        times = {name: [] for name in fns}
    rounds = max(min_rounds, min(max_rounds, math.ceil(budget / max(first, 1e-9)))) - (0 if warmup else 1)
    splits = itertools.cycle(range(len(peers) + 1))
    split = 0

    def setup() -> None:
        nonlocal split
        draw()
        split = next(splits)
        for name in peers[:split]:
            timed(name)

    def teardown(*_: object) -> None:
        for name in peers[split:]:
            timed(name)

    if rounds > 0:
        benchmark.pedantic(lambda: timed(impl), setup=setup, teardown=teardown, rounds=rounds, iterations=1)
    benchmark.extra_info["interleaved"] = {name: statistics.median(ts) for name, ts in times.items() if ts}
    benchmark.extra_info["interleaved_rounds"] = len(times[impl])
    benchmark.extra_info["speed-ups"] = {name: paired(times, name, impl) for name in peers if times[name]}
    return times


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


def goal_time(benchmark: Any, text: str, seconds: float, limit: float) -> None:
    """An absolute goal: ``seconds`` must be under ``limit`` (benchmarks.report shows it in ms)."""
    benchmark.extra_info.setdefault("goals", []).append(
        {"goal": text, "seconds": seconds, "target": limit, "at_most": True, "peer": ""}
    )


def not_measured(benchmark: Any, text: str, target: float, why: str, at_most: bool = False) -> None:
    """Records a goal this run cannot measure (its peer cannot decode these data here), and why."""
    benchmark.extra_info.setdefault("goals", []).append(
        {"goal": text, "ratio": None, "target": target, "at_most": at_most, "peer": "", "why": why}
    )
