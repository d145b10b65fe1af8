"""``FrameReader`` on whole slides (issue 8): from a path to a reader with every tile position, one random frame,
1,000 random frames on one thread and on all cores, and a 2048 x 2048 region, against wsidicom and pydicom on
the same files.

    FRAMECODEC_BENCH_FRAMES=100000 python -m pytest benchmarks/bench_reader.py --benchmark-json=reader.json
    python benchmarks/reader_report.py reader.json    # the goal table and, per slide, every implementation

Environment:

- ``FRAMECODEC_BENCH_FRAMES``: frames per slide in a measuring run (default 10,000; the issue's figures are
  for 100,000). Under ``--benchmark-disable`` (the smoke run of tests/test_benchmarks_run.py) the slides have
  200 frames whatever it says, and every benchmark runs each implementation once, to check its result.
- ``FRAMECODEC_BENCH_SLIDES``: the folder to write the slides in (default: pytest's temporary folder). Each
  slide is written when its benchmarks start (a 100,000-frame RLE slide in about 8 s) and deleted when they
  are done (pytest runs them slide by slide), so one slide is on disk at a time.
- ``FRAMECODEC_BENCH_COLD=1``: also time each open once with the file out of the page cache, right after
  ``sync; echo 3 > /proc/sys/vm/drop_caches`` (as root; otherwise ``posix_fadvise(POSIX_FADV_DONTNEED)`` on
  the slide); the file is read whole afterwards, so the other benchmarks find it in the page cache again.

The slides (benchmarks/slides.py, written once per session): VL Whole Slide Microscopy Images of 256 x 256 RGB
tiles, one focal plane and one optical path, as TILED_SPARSE (a Per-Frame Functional Groups item with a Plane
Position (Slide) per frame, frames shuffled) and as TILED_FULL, each frame one fragment, an empty Basic Offset
Table and the Extended Offset Table; in JPEG Baseline (Pillow, 4:2:2), RLE Lossless (pylibjpeg-rle's encoder)
and Deflated Image Frame Compression (zlib level 6). Their content is a mosaic of 64 distinct tiles: 19 of
tissue (noisy, as a scan is; RLE stores them in 204 KB, more than the 197 KB of pixels) and 45 of flat white
background (3 KB as RLE), so about 30% of the frames are tissue. A 100,000-frame slide is then 0.45 GB as
JPEG, 6.3 GB as RLE and 3.6 GB as deflate; with tissue everywhere, RLE would take 20 GB.

What is timed (the file in the page cache, unless said otherwise):

- open: ``r = FrameReader(path); r.tile_positions`` against ``WsiDicom.open(folder)`` + the base level's
  focal planes (which builds wsidicom's tile index: it reads the positions lazily), and in rounds of their own
  against pydicom: ``dcmread(path, stop_before_pixels=True)`` and each frame's Plane Position (Slide) from the
  Per-Frame Functional Groups (TILED_SPARSE; about 20 s for 100,000 frames, so three rounds), or the TILED_FULL
  positions from the header's attributes in numpy.
- one random frame (a new one each round): ``reader[i]`` on an open reader, against ``wsi.read_tile`` on an
  open ``WsiDicom`` (its frame caches off) and ``pydicom.pixels.pixel_array(path, index=i)``, and
  ``framecodec.pixel_array(path, index=i)`` (from the path, as pydicom's).
- 1,000 random frames (a new draw each round): ``reader.read(indices, threads=1)`` and all cores, against
  ``wsi.read_tile`` in a loop and in a ``ThreadPoolExecutor`` of all cores, and pydicom's ``pixel_array(path,
  index=i)`` in a loop. Not for JPEG: ``FrameReader`` hands JPEG to pydicom frame by frame, so its throughput
  is pydicom's (the one-frame row shows the cost); RLE and deflate are decoded by framecodec's engine.
- a 2048 x 2048 region at a random place each round: ``reader.read_region`` on one thread and all cores
  against ``wsi.read_region(..., threads=1)`` and all cores.

Peers: wsidicom decodes JPEG (imagecodecs) and RLE (pylibjpeg-rle), not deflate; pydicom's ``pixel_array`` runs
with pylibjpeg-rle's plugin for RLE (``import framecodec`` puts framecodec's own plugin first, which would make
pydicom time framecodec), its own plugin for deflate (pydicom 3.1; 3.0 has none) and its default (Pillow) for
JPEG. A peer that cannot read a slide is left out and the reason recorded. wsidicom's decoded JPEG differs from
Pillow's by rounding (at most 2); lossless frames are compared exactly.

Timing, as in bench_pipeline.py: framecodec is timed by pytest-benchmark and each round also runs every peer
once, timed by hand, some before and some after framecodec (the split rotating); every round draws its own
random frames or region, the same for every implementation. Ratios (``extra_info["speed-ups"]``, the peer's
time over framecodec's) are medians of the per-round ratios; the goals are in ``extra_info["goals"]``.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest

import framecodec as fc
from slides import DEFLATE, JPEG_BASELINE, RLE, TILED_FULL, TILED_SPARSE, Slide, many_frames_spec, write_slide

CORES = os.cpu_count() or 1
SMOKE_FRAMES = 200
DEFAULT_FRAMES = 10_000
RANDOM_FRAMES = 1_000  # per throughput round
REGION = (2048, 2048)  # width, height
PYDICOM = f"pydicom {pydicom.__version__}"

SYNTAXES = {"jpeg": JPEG_BASELINE, "rle": RLE, "deflate": DEFLATE}
SYNTAX_LABELS = {"jpeg": "JPEG Baseline", "rle": "RLE Lossless", "deflate": "Deflated Image Frame Compression"}
#: pydicom's decoding plugin for each syntax ("" its default).
PYDICOM_PLUGIN = {"jpeg": "", "rle": "pylibjpeg", "deflate": "pydicom"}
WSIDICOM_READS = {"jpeg", "rle"}
#: The issue's goals for path -> ready reader with every tile position: an upper limit, and over pydicom.
OPEN_LIMIT = {TILED_SPARSE: 0.100, TILED_FULL: 0.020}
OPEN_OVER_PYDICOM = {TILED_SPARSE: 100.0}
SLIDES = [f"{s}-{t}" for s in SYNTAXES for t in ("sparse", "full")]


# ------------------------------------------------------------------------------------------------ slides


def _frames(smoke: bool) -> int:
    return SMOKE_FRAMES if smoke else int(os.environ.get("FRAMECODEC_BENCH_FRAMES", DEFAULT_FRAMES))


@dataclass
class Bench:
    """One slide on disk, and the readers the benchmarks share (opened on first use, closed at the end)."""

    name: str  # "rle-sparse", ...
    syntax: str  # "jpeg", "rle", "deflate"
    slide: Slide
    _reader: fc.FrameReader | None = None
    _wsi: Any = None
    _pools: dict[int, ThreadPoolExecutor] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.slide.path

    @property
    def folder(self) -> Path:
        return self.slide.path.parent

    @property
    def n(self) -> int:
        return self.slide.number_of_frames

    @property
    def tiling(self) -> str:
        return self.slide.spec.tiling

    @property
    def lossy(self) -> bool:
        return self.slide.lossy

    @property
    def label(self) -> str:
        return f"{self.n:,}-frame {self.tiling} slide, {SYNTAX_LABELS[self.syntax]}"

    @property
    def reader(self) -> fc.FrameReader:
        if self._reader is None:
            self._reader = fc.FrameReader(self.path)
            self._reader.tile_positions  # noqa: B018 - read once, as a viewer would at open
        return self._reader

    def wsidicom_problem(self) -> str | None:
        if self.syntax not in WSIDICOM_READS:
            return f"wsidicom has no decoder for {SYNTAX_LABELS[self.syntax]} (it skips the file)"
        try:
            import wsidicom  # noqa: F401
        except ImportError:
            return "wsidicom is not installed"
        return None

    @property
    def wsi(self) -> Any:
        """``WsiDicom`` on the slide's folder, its decoded and encoded frame caches off (the benchmarks read
        new random frames each round; a cache would only skew the rare repeat)."""
        if self._wsi is None:
            self._wsi = open_wsidicom(self.folder)
            self._wsi.levels.base_level.focal_planes  # noqa: B018 - builds the tile index
        return self._wsi

    def pool(self, threads: int) -> ThreadPoolExecutor:
        if threads not in self._pools:
            self._pools[threads] = ThreadPoolExecutor(threads)
        return self._pools[threads]

    def pydicom_problem(self) -> str | None:
        """Why pydicom's ``pixel_array`` cannot decode this slide with the chosen plugin, or None."""
        from pydicom.pixels import get_decoder

        plugin = PYDICOM_PLUGIN[self.syntax]
        try:
            decoder = get_decoder(SYNTAXES[self.syntax])
        except NotImplementedError:
            return f"{PYDICOM} has no {SYNTAX_LABELS[self.syntax]} decoder (pydicom 3.1 adds one)"
        if plugin and plugin not in decoder.available_plugins:
            later = " (pydicom 3.1 has its own)" if self.syntax == "deflate" else ""
            return (f"{PYDICOM}'s {SYNTAX_LABELS[self.syntax]} decoder has no {plugin!r} plugin{later}; available: "
                    f"{', '.join(decoder.available_plugins)}")  # fmt: skip
        return None

    def close_readers(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._wsi is not None:
            self._wsi.close()
            self._wsi = None

    def close(self) -> None:
        self.close_readers()
        for p in self._pools.values():
            p.shutdown()
        self._pools.clear()


def open_wsidicom(folder: Path) -> Any:
    from wsidicom import WsiDicom
    from wsidicom.config import Settings

    logging.getLogger("wsidicom").setLevel(logging.ERROR)
    return WsiDicom.open(folder, settings=Settings(decoded_frame_cache_size=0, encoded_frame_cache_size=0))


def _write(folder: Path, name: str, frames: int) -> Slide:
    syntax, tiling = name.split("-")
    spec = many_frames_spec(
        frames, 256, transfer_syntax=SYNTAXES[syntax], tiling=TILED_SPARSE if tiling == "sparse" else TILED_FULL,
        shuffle=tiling == "sparse", offset_table="extended", mosaic=64, tissue=0.3, background_noise=1,
    )  # fmt: skip
    (folder / name).mkdir(parents=True)
    return write_slide(folder / name / "level0.dcm", spec)


@pytest.fixture(scope="module", params=SLIDES)
def bench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Iterator[Bench]:
    """One slide at a time (pytest groups the tests by this module-scoped parameter), deleted afterwards."""
    name: str = request.param
    where = os.environ.get("FRAMECODEC_BENCH_SLIDES")
    folder = Path(where) / f"bench-reader-{os.getpid()}" if where and not smoke else tmp_path_factory.mktemp("reader")
    shutil.rmtree(folder / name, ignore_errors=True)
    b = Bench(name, name.split("-")[0], _write(folder, name, _frames(smoke)))
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(folder / name, ignore_errors=True)
        if where and not smoke and not any(folder.iterdir()):
            folder.rmdir()


# ------------------------------------------------------------------------------------------------ timing


def rounds_for(seconds: float, budget: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, math.ceil(budget / max(seconds, 1e-9))))


def interleaved(
    benchmark: Any, impl: str, fns: dict[str, Callable[[], Any]], *, next_round: Callable[[], None] | None = None,
    check: Callable[[dict[str, Any]], None] | None = None, budget: float = 5.0, min_rounds: int = 5,
    max_rounds: int = 25, warmup: bool = True,
) -> dict[str, list[float]]:
    """Times ``fns[impl]`` with pytest-benchmark and every other entry of ``fns`` once per round, by hand, some
    before and the others after it (the split rotating); ``next_round`` draws the round's inputs first.

    ``check`` gets the first round's result of every implementation, before the next draw (under
    --benchmark-disable that round is the only one). Returns every implementation's times, one per timed
    round, in round order (empty under --benchmark-disable). With ``warmup`` the first round is a warm-up, not
    timed; without it, the first round is timed too (for peers that take seconds a round)."""
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
    rounds = rounds_for(first, budget, min_rounds, max_rounds) - (0 if warmup else 1)
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
    """The median over the rounds of each round's ``num`` time over its ``den`` time."""
    return statistics.median(a / b for a, b in zip(times[num], times[den], strict=True))


def tag(benchmark: Any, what: str, b: Bench, impl: str, items: int = 1, unit: str = "") -> None:
    benchmark.group = f"{what}: {b.label}"
    benchmark.extra_info.update(impl=impl, items=items, unit=unit, slide=b.name, frames=b.n, tiling=b.tiling,
                                syntax=SYNTAX_LABELS[b.syntax], file_bytes=b.path.stat().st_size,
                                loadavg=os.getloadavg()[0])  # fmt: skip


def missing(benchmark: Any, peer: str, why: str | None) -> bool:
    """Records why ``peer`` is left out; True when it is."""
    if why:
        benchmark.extra_info.setdefault("missing", {})[peer] = why
    return bool(why)


def goal_ratio(benchmark: Any, text: str, ratio: float, target: float, peer: str = "") -> None:
    benchmark.extra_info.setdefault("goals", []).append(
        {"goal": text, "ratio": ratio, "target": target, "at_most": False, "peer": peer}
    )


def goal_time(benchmark: Any, text: str, seconds: float, limit: float) -> None:
    """An absolute goal: ``seconds`` must be under ``limit`` (pipeline_report.py shows it in ms)."""
    benchmark.extra_info.setdefault("goals", []).append(
        {"goal": text, "seconds": seconds, "target": limit, "at_most": True, "peer": ""}
    )


def close_enough(a: npt.NDArray[Any], b: npt.NDArray[Any], lossy: bool) -> bool:
    """Equal, or for JPEG within 2 of each other (wsidicom's imagecodecs and pydicom's Pillow round apart)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not lossy:
        return bool(np.array_equal(a, b))
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(initial=0)) <= 2


# ------------------------------------------------------------------------------------------------ peers


def wsidicom_open(folder: Path) -> None:
    """wsidicom from a folder to a slide with every tile position: open, then the base level's focal planes,
    which builds its tile index (wsidicom reads the Per-Frame Functional Groups only then)."""
    wsi = open_wsidicom(folder)
    try:
        wsi.levels.base_level.focal_planes  # noqa: B018
    finally:
        wsi.close()


def framecodec_open(path: Path) -> npt.NDArray[np.int64]:
    r = fc.FrameReader(path)
    try:
        return r.tile_positions
    finally:
        r.close()


def pydicom_positions(path: Path) -> npt.NDArray[np.int64]:
    """pydicom from a path to every frame's (x, y), 0-based: ``dcmread(stop_before_pixels=True)``, then each
    frame's Plane Position (Slide) (TILED_SPARSE), or the TILED_FULL order from the header's attributes."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    if str(ds.get("DimensionOrganizationType", "")) == TILED_FULL:
        n, rows, columns = int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns)
        across = -(-int(ds.TotalPixelMatrixColumns) // columns)
        f = np.arange(n, dtype=np.int64)
        return np.stack([f % across * columns, f // across * rows], axis=1)
    xy = [
        (item.PlanePositionSlideSequence[0].ColumnPositionInTotalImagePixelMatrix,
         item.PlanePositionSlideSequence[0].RowPositionInTotalImagePixelMatrix)
        for item in ds.PerFrameFunctionalGroupsSequence
    ]  # fmt: skip
    return np.array(xy, np.int64) - 1


def pydicom_frame(b: Bench, i: int) -> npt.NDArray[Any]:
    from pydicom.pixels import pixel_array

    plugin = PYDICOM_PLUGIN[b.syntax]
    return pixel_array(b.path, index=i, **({"decoding_plugin": plugin} if plugin else {}))


def wsidicom_tile(b: Bench, i: int) -> npt.NDArray[Any]:
    x, y = b.slide.positions[i]
    tw, th = b.slide.spec.tile_size
    return np.asarray(b.wsi.read_tile(0, (int(x) // tw, int(y) // th), crop_to_image_boundary=False, as_array=True))


def drop_caches(path: Path) -> str:
    """The file out of the page cache: ``sync; echo 3 > /proc/sys/vm/drop_caches`` when allowed (root), else
    ``posix_fadvise(DONTNEED)`` on the file. Returns the method."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return "sync; echo 3 > /proc/sys/vm/drop_caches"
    except OSError:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        return "posix_fadvise(POSIX_FADV_DONTNEED) on the file"


def read_whole(path: Path) -> None:
    buf = bytearray(1 << 24)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


# ------------------------------------------------------------------------------------------------ open


def test_open(benchmark: Any, bench: Bench) -> None:
    """Path -> reader with every tile position: ``FrameReader(path).tile_positions`` against wsidicom's
    ``WsiDicom.open(folder)`` + tile index; the issue's absolute goals."""
    b = bench
    b.close_readers()  # no map of the file alive: the cold figures below must find it out of the page cache
    tag(benchmark, "open", b, "framecodec")
    fns: dict[str, Callable[[], Any]] = {"framecodec": lambda: framecodec_open(b.path)}
    if not missing(benchmark, "wsidicom", b.wsidicom_problem()):
        fns["wsidicom"] = lambda: wsidicom_open(b.folder)

    def check(results: dict[str, Any]) -> None:
        assert np.array_equal(results["framecodec"], b.slide.positions)

    times = interleaved(benchmark, "framecodec", fns, check=check, budget=5.0, max_rounds=50)
    if "wsidicom" in fns:  # the same slide: its tile index has a frame for every tile
        wsi = open_wsidicom(b.folder)
        try:
            assert [round(z, 3) for z in wsi.levels.base_level.focal_planes] == b.slide.z_um
            x, y = b.slide.positions[-1]
            last = wsi.read_tile(0, (int(x) // 256, int(y) // 256), crop_to_image_boundary=False, as_array=True)
            assert close_enough(np.asarray(last), b.reader[b.n - 1], b.lossy)
        finally:
            wsi.close()
            b.close_readers()
    if not times:
        return
    limit = OPEN_LIMIT[b.tiling]
    goal_time(benchmark, f"path -> FrameReader with every tile position (median): {b.label}",
              statistics.median(times["framecodec"]), limit)  # fmt: skip
    if os.environ.get("FRAMECODEC_BENCH_COLD") == "1":
        cold: dict[str, float] = {}
        runs = {"framecodec": lambda: framecodec_open(b.path),
                "pydicom dcmread(stop_before_pixels=True)": lambda: pydicom.dcmread(b.path, stop_before_pixels=True)}
        if "wsidicom" in fns:
            runs["wsidicom"] = lambda: wsidicom_open(b.folder)
        for name, f in runs.items():
            method = drop_caches(b.path)
            t = time.perf_counter()
            f()
            cold[name] = time.perf_counter() - t
        read_whole(b.path)  # back into the page cache for the other benchmarks
        benchmark.extra_info["cold"] = cold
        benchmark.extra_info["cold_method"] = method


def test_open_pydicom(benchmark: Any, bench: Bench) -> None:
    """Path -> every tile position, against pydicom: ``dcmread(stop_before_pixels=True)`` and each frame's Plane
    Position (Slide) (TILED_SPARSE: ~20 s for 100,000 frames, so 3 rounds, no warm-up round), or the
    TILED_FULL positions from the header in numpy."""
    b = bench
    b.close_readers()
    tag(benchmark, "open, against pydicom", b, "framecodec")
    peer = "pydicom dcmread + positions"
    fns = {"framecodec": lambda: framecodec_open(b.path), peer: lambda: pydicom_positions(b.path)}
    slow = b.tiling == TILED_SPARSE and b.n > 20_000

    def check(results: dict[str, Any]) -> None:
        assert np.array_equal(results[peer], results["framecodec"])

    times = interleaved(benchmark, "framecodec", fns, check=check, budget=5.0, min_rounds=3 if slow else 5,
                        max_rounds=3 if slow else 25, warmup=not slow)  # fmt: skip
    target = OPEN_OVER_PYDICOM.get(b.tiling)
    if times and target:
        goal_ratio(benchmark, f"path -> FrameReader with every tile position, over pydicom (dcmread + each frame's "
                   f"Plane Position): {b.label}", paired(times, peer, "framecodec"), target)  # fmt: skip


# ------------------------------------------------------------------------------------------------ frames


def test_random_frame(benchmark: Any, bench: Bench) -> None:
    """One random frame (a new one each round): ``reader[i]`` on an open reader, against ``wsi.read_tile`` on
    an open WsiDicom and ``pydicom.pixels.pixel_array(path, index=i)``; and ``framecodec.pixel_array(path,
    index=i)``, from the path as pydicom's."""
    b = bench
    tag(benchmark, "one random frame", b, "framecodec reader[i]", 1, "frame")
    rng = np.random.default_rng(8)
    state = {"i": 0}
    reader = b.reader

    def draw() -> None:
        state["i"] = int(rng.integers(b.n))

    fns: dict[str, Callable[[], Any]] = {
        "framecodec reader[i]": lambda: reader[state["i"]],
        "framecodec.pixel_array(path, index=i)": lambda: fc.pixel_array(b.path, state["i"]),
    }
    if not missing(benchmark, "wsidicom read_tile", b.wsidicom_problem()):
        b.wsi  # noqa: B018 - open before the rounds
        fns["wsidicom read_tile"] = lambda: wsidicom_tile(b, state["i"])
    if not missing(benchmark, "pydicom pixel_array(path, index=i)", b.pydicom_problem()):
        fns["pydicom pixel_array(path, index=i)"] = lambda: pydicom_frame(b, state["i"])

    def check(results: dict[str, Any]) -> None:
        ours = results["framecodec reader[i]"]
        assert np.array_equal(results["framecodec.pixel_array(path, index=i)"], ours)
        if not b.lossy:
            assert np.array_equal(ours, b.slide.frame(state["i"]))
        if "pydicom pixel_array(path, index=i)" in results:
            assert np.array_equal(results["pydicom pixel_array(path, index=i)"], ours)
        if "wsidicom read_tile" in results:
            assert close_enough(results["wsidicom read_tile"], ours, b.lossy)

    interleaved(benchmark, "framecodec reader[i]", fns, next_round=draw, check=check, budget=5.0, max_rounds=200)


def test_random_frames(benchmark: Any, bench: Bench) -> None:
    """1,000 random frames (a new draw each round): ``reader.read(indices, threads=1)`` and all cores, against
    wsidicom's ``read_tile`` in a loop and in a thread pool of all cores, and pydicom's ``pixel_array(path,
    index=i)`` in a loop."""
    b = bench
    if b.syntax == "jpeg":
        pytest.skip("FrameReader hands JPEG to pydicom frame by frame: its throughput is pydicom's "
                    "(test_random_frame shows the cost per frame)")  # fmt: skip
    k = min(RANDOM_FRAMES, b.n)
    tag(benchmark, f"{k:,} random frames", b, "framecodec threads=1", k, "frames")
    rng = np.random.default_rng(9)
    state: dict[str, Any] = {"idx": np.arange(k)}
    reader = b.reader

    def draw() -> None:
        state["idx"] = rng.choice(b.n, k, replace=False)

    fns: dict[str, Callable[[], Any]] = {
        "framecodec threads=1": lambda: reader.read(state["idx"], threads=1),
        f"framecodec threads={CORES}": lambda: reader.read(state["idx"], threads=CORES),
    }
    if not missing(benchmark, "wsidicom", b.wsidicom_problem()):
        b.wsi  # noqa: B018
        pool = b.pool(CORES)
        fns["wsidicom read_tile, 1 thread"] = lambda: [wsidicom_tile(b, int(i)) for i in state["idx"]]
        fns[f"wsidicom read_tile, {CORES} threads"] = lambda: list(
            pool.map(lambda i: wsidicom_tile(b, int(i)), state["idx"])
        )
    if not missing(benchmark, "pydicom pixel_array(path, index=i)", b.pydicom_problem()):
        fns["pydicom pixel_array(path, index=i), 1 thread"] = lambda: [pydicom_frame(b, int(i)) for i in state["idx"]]
    slow = b.n > 20_000

    def check(results: dict[str, Any]) -> None:
        ours = results["framecodec threads=1"]
        assert ours.shape == (k, 256, 256, 3)
        assert np.array_equal(results[f"framecodec threads={CORES}"], ours)
        if not b.lossy:
            assert all(np.array_equal(ours[j], b.slide.frame(int(i))) for j, i in enumerate(state["idx"][:50]))
        for name, got in results.items():
            if not name.startswith("framecodec"):
                assert len(got) == k and all(close_enough(np.asarray(g), o, b.lossy) for g, o in zip(got, ours)), name

    interleaved(benchmark, "framecodec threads=1", fns, next_round=draw, check=check,
                budget=30.0 if slow else 5.0, min_rounds=5, max_rounds=15)  # fmt: skip


# ------------------------------------------------------------------------------------------------ regions


def test_read_region(benchmark: Any, bench: Bench) -> None:
    """A 2048 x 2048 region at a random place each round: ``reader.read_region`` on one thread and all cores,
    against ``wsi.read_region`` on one thread and all cores."""
    b = bench
    w, h = REGION
    tag(benchmark, f"read_region {w} x {h}", b, "framecodec threads=1", w * h, "pixels")
    spec = b.slide.spec
    rng = np.random.default_rng(10)
    state = {"xy": (0, 0)}
    reader = b.reader

    def draw() -> None:
        state["xy"] = (int(rng.integers(spec.width - w + 1)), int(rng.integers(spec.height - h + 1)))

    fns: dict[str, Callable[[], Any]] = {
        "framecodec threads=1": lambda: reader.read_region(state["xy"], REGION, threads=1),
        f"framecodec threads={CORES}": lambda: reader.read_region(state["xy"], REGION, threads=CORES),
    }
    if not missing(benchmark, "wsidicom", b.wsidicom_problem()):
        wsi = b.wsi
        fns["wsidicom threads=1"] = lambda: wsi.read_region(state["xy"], 0, REGION, threads=1, as_array=True)
        fns[f"wsidicom threads={CORES}"] = lambda: wsi.read_region(state["xy"], 0, REGION, threads=CORES, as_array=True)

    def check(results: dict[str, Any]) -> None:
        ours = results["framecodec threads=1"]
        assert ours.shape == (h, w, 3)
        assert np.array_equal(results[f"framecodec threads={CORES}"], ours)
        if not b.lossy:
            assert np.array_equal(ours, b.slide.region(state["xy"], REGION))
        for name, got in results.items():
            if name.startswith("wsidicom"):
                assert close_enough(np.asarray(got), ours, b.lossy), name

    interleaved(benchmark, "framecodec threads=1", fns, next_round=draw, check=check, budget=5.0, max_rounds=25)

