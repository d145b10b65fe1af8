"""FrameReader over S3 (issue 19): requests and time to open a slide in a bucket, read 200 random frames, a
2048 x 2048 region and the whole file, with 20 ms of latency added to every request, against highdicom's lazy
frame access and wsidicom over the same bucket (s3fs).

    python -m pytest benchmarks/bench_remote.py --benchmark-json=remote.json     # 10-20 minutes
    python -m benchmarks.report --only remote --update    # that run, then its section and goals in RESULTS.md

The bucket (latency_proxy.py, remote_data.py): moto's S3 server (``ThreadedMotoServer``, port 0) in a child process,
started by the benchmark, behind a loopback proxy, also a child process, that holds each HTTP request 20 ms
(``FRAMECODEC_BENCH_REMOTE_LATENCY_MS``) before passing it on (once per request: keep-alive connections pay it per
request, concurrent ones concurrently) and counts the requests (HEAD, GET, ...) and the bytes. Every
implementation reaches the bucket through the proxy; the uploads go to moto directly. moto is made to answer a
ranged GET by copying only the range, as S3 does (latency_proxy's docstring).

Slides (slides.py's generator, slide_bench's mosaic of 64 distinct 256 x 256 RGB tiles, 30% tissue cropped from real
images (real_data.rgb_tiles), flat white background, an empty Basic Offset Table and the Extended Offset Table),
written, then uploaded:

- 10,000 frames TILED_SPARSE (frames shuffled, a Per-Frame Functional Groups item each: a 1.4 MB header), RLE
  Lossless: both peers decode it (wsidicom and pydicom have no Deflated Image Frame Compression decoder), and every
  implementation's pixels can be compared exactly;
- 10,000 frames TILED_FULL, JPEG Baseline (Pillow quality 90, 4:2:2).

300 frames each under ``--benchmark-disable`` (the smoke run: one checked round, a few seconds). Group names carry
each file's size and compression ratio (decoded bytes over file bytes).

Operations, each on every implementation (remote_data.py says how each does it), each timed from a fresh reader
(untimed open; the peers' s3fs block caches emptied after it) so that nothing an earlier call read serves it:

- open: URL to a reader with every frame's position (framecodec ``FrameReader(url, storage_options=)`` and
  ``tile_positions``; highdicom ``imread(fs.open(url), lazy_frame_retrieval=True)``; wsidicom ``WsiDicom.open(url)``
  and its tile index);
- 200 random frames, drawn anew each round (seeded, ``SEED``; the same for every implementation), sorted (the
  order kindest to the peers' readahead caches);
- a 2048 x 2048 region at a fixed place off the tile grid (9 x 9 tiles);
- the whole file: every frame, in file order.

Rounds: the implementations run in turn in each round, the order rotating from round to round; each measurement is
(wall time, requests the proxy counted). A first round is a warm-up whose results are checked: framecodec's
against a local ``FrameReader`` of the same file (identical arrays) and every implementation's against the
generator's pixels (RLE: equal; JPEG: the reference decode, Pillow's, within the suite's JPEG tolerance); then
``ROUNDS`` timed rounds (5; ``FRAMECODEC_BENCH_REMOTE_ROUNDS``; ``FRAMECODEC_BENCH_REMOTE_FRAMES`` changes the
frames per slide, for a quicker look), medians of the times and of the requests. The peers run with s3fs's
default 50 MiB readahead blocks and with 256 KiB blocks (remote_data's docstring says why); the whole file with
the default blocks only. ``FRAMECODEC_BENCH_REMOTE_PEERS_ONLY=1`` runs the peers alone
(a framecodec without remote reading).

The issue's goals: open with an Extended Offset Table in at most 4 requests; 200 random frames under 500 ms; a
2048 x 2048 region under 300 ms; and for every operation at least 5x fewer requests and 3x less time than the
faster of highdicom and wsidicom (the peer row with the lowest median time: its median requests over framecodec's,
and the median over the rounds of its time over framecodec's in the same round).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from framecodec._synthetic.slides import Slide, write_slide
from remote_data import (
    CASES,
    DELAY,
    SYNTAX_LABELS,
    Case,
    Impl,
    Remote,
    agrees,
    decoded_bytes,
    implementations,
    is_default_blocks,
    region_location,
    remote_problem,
    sample_frames,
)
from slide_bench import slide_folder
from slide_bench import spec as slide_bench_spec
from timing import goal, goal_time, missing, paired

CORES = os.cpu_count() or 1
ROUNDS = int(os.environ.get("FRAMECODEC_BENCH_REMOTE_ROUNDS", "5"))
PEERS_ONLY = os.environ.get("FRAMECODEC_BENCH_REMOTE_PEERS_ONLY") == "1"
OURS = "framecodec"
RANDOM_FRAMES, SMOKE_RANDOM_FRAMES, REGION, SEED = 200, 50, (2048, 2048), 19
SMOKE_DELAY = 0.002  # the smoke run checks results: 2 ms a request keeps it to seconds
OPS = ("open", "frames", "region", "whole")
#: The issue's limits: requests to open (with the Extended Offset Table), seconds for 200 frames and the region.
OPEN_REQUESTS, FRAMES_LIMIT, REGION_LIMIT = 4, 0.500, 0.300
FEWER_REQUESTS, LESS_TIME = 5.0, 3.0


# ------------------------------------------------------------------------------------------------ fixtures


@dataclass
class RemoteSlide:
    case: Case
    slide: Slide
    key: str
    impls: dict[str, Impl]
    delay: float
    random_frames: int

    @property
    def n(self) -> int:
        return self.slide.number_of_frames

    @property
    def file_bytes(self) -> int:
        return self.slide.path.stat().st_size

    @property
    def ratio(self) -> float:
        return decoded_bytes(self.slide) / self.file_bytes

    @property
    def label(self) -> str:
        size = f"{self.file_bytes / 1e6:,.1f} MB, compression {self.ratio:.2f}:1"
        syntax = SYNTAX_LABELS[self.case.syntax]
        return f"{self.n:,}-frame {self.case.tiling} slide, {syntax} ({size}), {self.delay * 1e3:g} ms a request"


@pytest.fixture(scope="module")
def remote(smoke: bool) -> Iterator[Remote]:
    r = Remote(SMOKE_DELAY if smoke else DELAY)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture(scope="module", params=list(CASES))
def rslide(
    request: pytest.FixtureRequest, remote: Remote, tmp_path_factory: pytest.TempPathFactory, smoke: bool
) -> Iterator[RemoteSlide]:
    """One slide at a time: written (slides.py's generator, without framecodec), uploaded, deleted afterwards."""
    c: Case = CASES[request.param]
    folder = slide_folder(tmp_path_factory, smoke, "remote") / c.key
    folder.mkdir(parents=True, exist_ok=True)
    frames = c.smoke_frames if smoke else int(os.environ.get("FRAMECODEC_BENCH_REMOTE_FRAMES", c.frames))
    slide = write_slide(folder / c.object_key, slide_bench_spec(frames, c.syntax, c.tiling))
    remote.upload(slide, c.object_key)
    try:
        yield RemoteSlide(
            c,
            slide,
            c.object_key,
            implementations(remote, slide, c.object_key, peers_only=PEERS_ONLY),
            remote.proxy.delay,
            SMOKE_RANDOM_FRAMES if smoke else RANDOM_FRAMES,
        )
    finally:
        remote.delete(c.object_key)
        slide.path.unlink(missing_ok=True)
        folder.rmdir()


# ------------------------------------------------------------------------------------------------ measuring


@dataclass
class Run:
    seconds: float
    counts: dict[str, int]
    own: int | None = None  # the implementation's own count of the call's requests (FrameReader.requests)


@dataclass
class Rounds:
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, name: str, run: Run) -> None:
        self.runs.setdefault(name, []).append(run)

    def times(self) -> dict[str, list[float]]:
        return {n: [r.seconds for r in rs] for n, rs in self.runs.items()}

    def median(self, name: str, key: str = "requests") -> float:
        return float(statistics.median(r.counts[key] for r in self.runs[name]))

    def seconds(self, name: str) -> float:
        return float(statistics.median(r.seconds for r in self.runs[name]))


Check = Callable[[str, Any], None]


def measure_one(
    remote: Remote, impl: Impl, op: str, args: tuple[Any, ...], check: Check | None, log: dict[str, Any] | None
) -> Run:
    """One operation of one implementation from a fresh reader: the untimed open (``prepare``), then the timed call
    with the proxy's counts reset before it; ``check`` sees the result, ``log`` gets the proxy's request log."""
    with impl.context():
        h = None if op == "open" else impl.prepare()
        out = None
        try:
            before = impl.requests(h) if h is not None else 0
            remote.proxy.reset()
            t = time.perf_counter()
            out = impl.open() if op == "open" else getattr(impl, op)(h, *args)
            dt = time.perf_counter() - t
            counts = remote.proxy.counts()
            if log is not None:
                log[impl.name] = remote.proxy.log()
            own = impl.requests(out if op == "open" else h)
            if own is not None:
                own -= before or 0  # the operation's requests, not the untimed open's
            if check is not None:
                check(impl.name, out)
        finally:
            if op == "open" and out is not None:
                impl.close(out)
            if h is not None:
                impl.close(h)
    return Run(dt, counts, own)


def run_round(
    remote: Remote,
    impls: dict[str, Impl],
    op: str,
    args: Callable[[int], tuple[Any, ...]],
    turn: int,
    rounds: Rounds | None,
    check: Check | None = None,
    log: dict[str, Any] | None = None,
) -> None:
    """Every implementation once, in an order rotated by ``turn``; ``args(turn)``: the operation's arguments of this
    round (the same for all)."""
    names = list(impls)
    order = names[turn % len(names) :] + names[: turn % len(names)]
    a = args(turn)
    for name in order:
        run = measure_one(remote, impls[name], op, a, check, log)
        if rounds is not None:
            rounds.add(name, run)


def measure(
    benchmark: Any,
    remote: Remote,
    impls: dict[str, Impl],
    op: str,
    args: Callable[[int], tuple[Any, ...]],
    check: Check,
) -> tuple[Rounds, dict[str, Any], Rounds]:
    """The checked round (round 0), then ``ROUNDS`` timed rounds under pytest-benchmark (whose own round times, the
    sum of all the implementations, the report does not use). Returns the timed rounds, the checked round's request
    logs and its runs. Under --benchmark-disable the checked round only."""
    log: dict[str, Any] = {}
    first = Rounds()
    if benchmark.disabled:
        benchmark(lambda: run_round(remote, impls, op, args, 0, first, check, log))
        return Rounds(), log, first
    run_round(remote, impls, op, args, 0, first, check, log)
    rounds = Rounds()
    turn = iter(range(1, 10_000))
    benchmark.pedantic(lambda: run_round(remote, impls, op, args, next(turn), rounds), rounds=ROUNDS, iterations=1)
    return rounds, log, first


# ------------------------------------------------------------------------------------------------ checks


def checker(rs: RemoteSlide, op: str, args: Callable[[int], tuple[Any, ...]]) -> Check:
    """The warm-up round's check of ``op``'s result: framecodec's against a local FrameReader of the same file
    (identical), everyone's against the generator's pixels (slides.py: equal for RLE, the reference decode within
    the JPEG tolerance)."""
    slide, lossy = rs.slide, rs.slide.lossy

    def local() -> fc.FrameReader:
        return fc.FrameReader(slide.path)

    def check(name: str, out: Any) -> None:
        ours = name == OURS
        if op == "open":
            if ours:
                assert np.array_equal(out.tile_positions, slide.positions), f"{name}: tile positions differ"
                assert out.remote, f"{name}: not a remote reader"
            elif name.startswith("highdicom"):
                assert int(out[1].number_of_frames) == rs.n, name
            else:
                size = out.levels.base_level.size
                assert (size.width, size.height) == (slide.spec.width, slide.spec.height), (name, size)
            return
        if op == "frames":
            (indices,) = args(0)
            got = np.asarray(out)
            assert got.shape[0] == len(indices), (name, got.shape)
            if ours:
                with local() as r:
                    assert np.array_equal(got, r.read(list(indices))), f"{name}: frames differ from a local FrameReader"
            for k, i in enumerate(indices):
                problem = agrees(got[k], slide.expected_frame(i), lossy)
                assert problem is None, f"{name}: frame {i} {problem}"
            return
        if op == "region":
            location, size = args(0)
            if ours:
                with local() as r:
                    assert np.array_equal(out, r.read_region(location, size)), f"{name}: region differs from local"
            problem = agrees(np.asarray(out), slide.expected_region(location, size), lossy)
            assert problem is None, f"{name}: region {location} {size} {problem}"
            return
        assert len(out) == rs.n, (name, len(out))
        if ours:
            with local() as r:
                for start in range(0, rs.n, 1000):
                    stop = min(rs.n, start + 1000)
                    assert np.array_equal(out[start:stop], r.read(slice(start, stop))), (name, start, stop)
        for i in sample_frames(rs.n):
            problem = agrees(np.asarray(out[i]), slide.expected_frame(i), lossy)
            assert problem is None, f"{name}: frame {i} of the whole file {problem}"

    return check


# ------------------------------------------------------------------------------------------------ the benchmark


def op_args(rs: RemoteSlide, op: str) -> Callable[[int], tuple[Any, ...]]:
    if op == "frames":

        def draw(turn: int) -> tuple[Any, ...]:  # the same frames for every implementation of a round
            rng = np.random.default_rng([SEED, turn])
            return (sorted(rng.choice(rs.n, min(rs.random_frames, rs.n), replace=False).tolist()),)

        return draw
    if op == "region":
        where = region_location(rs.slide, REGION)
        return lambda turn: (where, REGION)
    return lambda turn: ()


def what(rs: RemoteSlide, op: str) -> tuple[str, int]:
    """The group's words for ``op``, and the decoded bytes of one call."""
    frame = decoded_bytes(rs.slide) // rs.n
    return {
        "open": ("open (URL to every frame's position)", 0),
        "frames": (f"{rs.random_frames} random frames", rs.random_frames * frame),
        "region": (f"{REGION[0]} x {REGION[1]} region", REGION[0] * REGION[1] * rs.slide.samples),
        "whole": (f"whole file ({rs.n:,} frames)", rs.n * frame),
    }[op]


@pytest.mark.parametrize("op", OPS)
def test_remote(benchmark: Any, remote: Remote, rslide: RemoteSlide, op: str) -> None:
    rs = rslide
    words, nbytes = what(rs, op)
    group = f"remote {words}: {rs.label}"
    benchmark.group = group
    benchmark.extra_info.update(
        bytes=nbytes,
        threads=CORES,
        frames=rs.n,
        tiling=rs.case.tiling,
        syntax=SYNTAX_LABELS[rs.case.syntax],
        file_bytes=rs.file_bytes,
        compression_ratio=round(rs.ratio, 3),
        delay_ms=rs.delay * 1e3,
        loadavg=os.getloadavg()[0],
    )
    why = remote_problem()
    if why and not PEERS_ONLY:
        raise AssertionError(f"{why}: FRAMECODEC_BENCH_REMOTE_PEERS_ONLY=1 runs the peers alone")
    impls = dict(rs.impls)
    for name in list(impls):
        if op == "whole" and name != OURS and not is_default_blocks(name):
            missing(
                benchmark,
                name,
                "whole file with s3fs's default blocks only: 256 KiB blocks would be a "
                f"sequential request per 256 KiB ({rs.file_bytes / (256 << 10):,.0f} for this file)",
            )
            del impls[name]
    ours = OURS if OURS in impls else next(iter(impls))
    args = op_args(rs, op)
    rounds, log, first = measure(benchmark, remote, impls, op, args, checker(rs, op, args))
    benchmark.extra_info["checked_round"] = {
        n: {"seconds": round(r[0].seconds, 4), **r[0].counts, **({"own": r[0].own} if r[0].own is not None else {})}
        for n, r in first.runs.items()
    }
    benchmark.extra_info["request_log"] = {n: [" ".join(e) for e in entries[:80]] for n, entries in log.items()}
    if not rounds.runs:
        benchmark.extra_info["impl"] = ours
        return
    record(benchmark, rs, op, rounds, ours, group)


def shown(rounds: Rounds, name: str) -> str:
    """The name in the table: the implementation, its median requests and megabytes fetched."""
    req, mb = rounds.median(name), rounds.median(name, "bytes_down") / 1e6
    return f"{name} ({req:g} request{'' if req == 1 else 's'}, {mb:,.1f} MB)"


def record(benchmark: Any, rs: RemoteSlide, op: str, rounds: Rounds, ours: str, group: str) -> None:
    names = {n: shown(rounds, n) for n in rounds.runs}
    times = rounds.times()
    benchmark.extra_info.update(
        impl=names[ours],
        baseline=names[ours],
        interleaved_rounds=len(times[ours]),
        interleaved={names[n]: statistics.median(ts) for n, ts in times.items()},
        requests={n: rounds.median(n) for n in rounds.runs},
        requests_by_method={n: {m: rounds.median(n, m) for m in ("HEAD", "GET", "other")} for n in rounds.runs},
        megabytes={n: round(rounds.median(n, "bytes_down") / 1e6, 3) for n in rounds.runs},
        own_requests={n: [r.own for r in rs_] for n, rs_ in rounds.runs.items() if rs_[0].own is not None},
        seconds={n: [round(t, 4) for t in ts] for n, ts in times.items()},
        loadavg=os.getloadavg()[0],
    )
    benchmark.extra_info["speed-ups"] = {names[n]: paired(times, n, ours) for n in times if n != ours}
    if ours != OURS:
        return
    label = group.removeprefix("remote ")
    ours_requests = rounds.median(ours)
    if op == "open":
        goal(
            benchmark,
            f"issue 19: open with the Extended Offset Table in at most {OPEN_REQUESTS} requests "
            f"(measured {ours_requests:g}; requests / {OPEN_REQUESTS}): {label}",
            ours_requests / OPEN_REQUESTS,
            1.0,
            at_most=True,
        )
    elif op == "frames":
        goal_time(
            benchmark,
            f"issue 19: {label.split(':')[0]} under {FRAMES_LIMIT * 1e3:.0f} ms: {rs.label}",
            rounds.seconds(ours),
            FRAMES_LIMIT,
        )
    elif op == "region":
        goal_time(
            benchmark,
            f"issue 19: a {label.split(':')[0]} under {REGION_LIMIT * 1e3:.0f} ms: {rs.label}",
            rounds.seconds(ours),
            REGION_LIMIT,
        )
    peers = [n for n in rounds.runs if n != ours]
    if not peers:
        return
    faster = min(peers, key=rounds.seconds)
    peer_requests = rounds.median(faster)
    goal(
        benchmark,
        f"issue 19: at least {FEWER_REQUESTS:g}x fewer requests than the faster of highdicom and wsidicom "
        f"({faster}: {peer_requests:g}, framecodec {ours_requests:g}): {label}",
        peer_requests / max(ours_requests, 1.0),
        FEWER_REQUESTS,
    )
    goal(
        benchmark,
        f"issue 19: at least {LESS_TIME:g}x less time than the faster of highdicom and wsidicom ({faster}): {label}",
        paired(times, faster, ours),
        LESS_TIME,
    )
