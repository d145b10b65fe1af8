"""Opening whole slides (issue 8): from a path to a ``FrameReader`` with every tile position, against wsidicom and
pydicom; the tile positions of a 100,000-frame TILED_SPARSE file, against pydicom and wsidicom's byte search; and
the frame-count sweep: frame tables and opens from 10 to 100,000 frames. (Reading frames and regions from the
slides is bench_pipeline.py's.)

    FRAMECODEC_BENCH_FRAMES=100000 python -m pytest benchmarks/bench_reader.py --benchmark-json=reader.json
    python -m benchmarks.report --only reader    # runs it and writes its tables, goals and the frames plot

Environment (slide_bench.py): ``FRAMECODEC_BENCH_FRAMES``, frames per slide (default 10,000; the issue's figures
are for 100,000, which also adds the sweep's 100,000-frame points); ``FRAMECODEC_BENCH_SLIDES``, the folder to
write the slides in; ``FRAMECODEC_BENCH_COLD=1``: also time each open once with the file out of the page cache,
right after ``sync; echo 3 > /proc/sys/vm/drop_caches`` (as root; otherwise ``posix_fadvise(POSIX_FADV_DONTNEED)``
on the slide); the file is read whole afterwards, so the other benchmarks find it in the page cache again. Under
``--benchmark-disable`` (the smoke run) every file is small and every implementation runs once.

What is timed (the file in the page cache, unless said otherwise):

- open, on the six slides of slide_bench.py (JPEG, RLE, deflate; TILED_SPARSE and TILED_FULL):
  ``r = FrameReader(path); r.tile_positions`` against ``WsiDicom.open(folder)`` + the base level's focal planes
  (which builds wsidicom's tile index: it reads the positions lazily), and, in rounds of their own, against
  pydicom: ``dcmread(path, stop_before_pixels=True)`` and each frame's Plane Position (Slide) from the Per-Frame
  Functional Groups (TILED_SPARSE; about 20 s for 100,000 frames, so three rounds), or the TILED_FULL positions
  from the header's attributes in numpy. Issue 8's goals: under 100 ms (TILED_SPARSE) and 20 ms (TILED_FULL),
  and 100x pydicom on TILED_SPARSE.
- tile positions: ``framecodec.slide.tile_positions`` of a 100,000-frame TILED_SPARSE file (2 focal
  planes, 2 optical paths, shuffled; 1,000 frames under --benchmark-disable), in memory and from a path, against
  pydicom reading the file without the pixels and then each frame's values (timed apart: 20 s a read) and
  wsidicom's ``PerFrameFunctionalGroupsReader``, which searches the sequence's bytes instead of parsing it.
- the sweep (``extra_info["sweep"]``, plot "frames", x = 10, 100, 1,000, 10,000 and 100,000 (up to
  ``FRAMECODEC_BENCH_SWEEP``); 10 and 100 under --benchmark-disable): ``fc.encaps.frame_table`` of an in-memory
  value of small frames with a Basic Offset Table (series "frame_table BOT") and with the Extended Offset Table
  ("frame_table EOT"), beside pydicom's ``parse_fragments`` / iterating ``generate_frames``; and the open of a
  JPEG slide, TILED_FULL and TILED_SPARSE ("FrameReader open TILED_FULL" / "... TILED_SPARSE"), beside wsidicom and
  pydicom (TILED_SPARSE to 10,000 frames: it parses every item, 20 s at 100,000).

Our benchmark of each group runs the peers once in each of its rounds (timing.interleaved / interleaved_draws);
ratios (``extra_info["speed-ups"]``, the peer's time over ours) are medians of the per-round ratios. A peer that
cannot run is listed in ``extra_info["missing"]`` with the reason. ``extra_info["bytes"]`` is 0: nothing is
decoded, so these groups have no copy ceiling.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.encaps import generate_frames, parse_fragments

import framecodec as fc
from framecodec._synthetic.slides import TILED_FULL, TILED_SPARSE, Slide, write_slide
from framecodec.slide import SlidePositions, tile_positions
from peers import optional, pydicom_positions, wsidicom_open, wsidicom_problem
from pipeline_data import fake_jpeg_frames
from slide_bench import (
    Bench,
    bench,  # noqa: F401 - a fixture
    close_enough,
    slide_folder,
    spec,
    tag_slide,
)
from timing import compare, goal, goal_time, interleaved_draws, missing, not_measured, paired, sweep, tag

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tile walk's test data builders
import wsi_util

Fns = dict[str, Callable[[], Any]]
#: The issue's goals for path -> ready reader with every tile position: an upper limit, and over pydicom.
OPEN_LIMIT = {TILED_SPARSE: 0.100, TILED_FULL: 0.020}
OPEN_OVER_PYDICOM = {TILED_SPARSE: 100.0}
PYDICOM_OPEN = "pydicom dcmread + positions"


def framecodec_open(path: Path) -> npt.NDArray[np.int64]:
    r = fc.FrameReader(path)
    try:
        return r.tile_positions
    finally:
        r.close()


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
    tag_slide(benchmark, "open", b, "framecodec", 0)
    fns: Fns = {"framecodec": lambda: framecodec_open(b.path)}
    if not missing(benchmark, "wsidicom", b.wsidicom_problem()):
        fns["wsidicom"] = lambda: wsidicom_open(b.folder)

    def check(results: dict[str, Any]) -> None:
        assert np.array_equal(results["framecodec"], b.slide.positions)

    times = interleaved_draws(benchmark, "framecodec", fns, check=check, budget=5.0, max_rounds=50)
    if "wsidicom" in fns:  # the same slide: its tile index has a frame for every tile
        wsi = b.wsi
        try:
            assert [round(z, 3) for z in wsi.levels.base_level.focal_planes] == b.slide.z_um
            assert close_enough(b.wsidicom_tile(b.n - 1), b.reader[b.n - 1], b.lossy)
        finally:
            b.close_readers()
    if not times:
        return
    goal_time(
        benchmark,
        f"path -> FrameReader with every tile position (median): {b.label}",
        statistics.median(times["framecodec"]),
        OPEN_LIMIT[b.tiling],
    )
    if os.environ.get("FRAMECODEC_BENCH_COLD") == "1":
        cold: dict[str, float] = {}
        runs = {
            "framecodec": lambda: framecodec_open(b.path),
            "pydicom dcmread(stop_before_pixels=True)": lambda: pydicom.dcmread(b.path, stop_before_pixels=True),
        }
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
    tag_slide(benchmark, "open, against pydicom", b, "framecodec", 0)
    fns: Fns = {"framecodec": lambda: framecodec_open(b.path), PYDICOM_OPEN: lambda: pydicom_positions(b.path)}
    slow = b.tiling == TILED_SPARSE and b.n > 20_000

    def check(results: dict[str, Any]) -> None:
        assert np.array_equal(results[PYDICOM_OPEN], results["framecodec"])

    times = interleaved_draws(
        benchmark,
        "framecodec",
        fns,
        check=check,
        budget=5.0,
        min_rounds=3 if slow else 5,
        max_rounds=3 if slow else 25,
        warmup=not slow,
    )
    target = OPEN_OVER_PYDICOM.get(b.tiling)
    if times and target:
        goal(
            benchmark,
            f"path -> FrameReader with every tile position, over pydicom (dcmread + each frame's "
            f"Plane Position): {b.label}",
            paired(times, PYDICOM_OPEN, "framecodec"),
            target,
        )


# ------------------------------------------------------------------------------------------------ tile positions

PFFG_READER, PFFG_WHY = optional("wsidicom.file.io.per_frame_functional_groups_reader")
POSITIONS_PYDICOM = "pydicom dcmread + items"
POSITIONS_WSIDICOM = "wsidicom byte search"
POSITIONS_APART = {POSITIONS_PYDICOM: "pydicom parses every item: 20 s a read at 100,000 frames, timed in 3 rounds"}


@pytest.fixture(scope="module")
def positions_file(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> tuple[wsi_util.Slide, bytes, Path]:
    """100,000 frames (1,000 under --benchmark-disable): 2 focal planes, 2 optical paths, tiles of 4 x 4 pixels
    (small native Pixel Data), TILED_SPARSE, shuffled; in memory and as a file."""
    layout = wsi_util.Slide(
        across=25 if smoke else 250, down=10 if smoke else 100, planes=2, paths=("BF", "FL"), tile=4
    )
    data = wsi_util.big_wsi_file(layout, wsi_util.shuffled(layout.full_order(), 0), explicit=True, extras=False)
    path = tmp_path_factory.mktemp("tiles") / "slide.dcm"
    path.write_bytes(data)
    return layout, data, path


def positions_of(ds_source: Any) -> tuple[list[int], list[int], list[float], list[str]]:
    ds = pydicom.dcmread(ds_source, stop_before_pixels=True)
    cols, rows, zs, paths = [], [], [], []
    for item in ds.PerFrameFunctionalGroupsSequence:
        pp = item.PlanePositionSlideSequence[0]
        cols.append(pp.ColumnPositionInTotalImagePixelMatrix)
        rows.append(pp.RowPositionInTotalImagePixelMatrix)
        zs.append(float(pp.ZOffsetInSlideCoordinateSystem))
        paths.append(item.OpticalPathIdentificationSequence[0].OpticalPathIdentifier)
    return cols, rows, zs, paths


def wsidicom_positions(data: bytes, n: int) -> tuple[list[int], list[int], Any, list[str]]:
    from upath import UPath
    from wsidicom.file.io.wsidicom_io import WsiDicomReadIO

    f = WsiDicomReadIO(io.BytesIO(data), UPath("memory.dcm"))
    w = PFFG_READER.PerFrameFunctionalGroupsReader(f, data.index(b"\x00\x52\x30\x92SQ"), n).read_positions()
    return w.columns.tolist(), w.rows.tolist(), w.z_offsets, w.optical_path_identifiers.tolist()


def same_positions(expected: SlidePositions, cols: Any, rows: Any, zs: Any, paths: Any) -> bool:
    want_paths = [expected.optical_path_identifiers[i] for i in expected.optical_paths.tolist()]
    return (
        list(cols) == expected.column_positions.tolist()
        and list(rows) == expected.row_positions.tolist()
        and np.array_equal(np.asarray(zs, np.float64), expected.z_offsets)
        and list(paths) == want_paths
    )


@pytest.mark.parametrize("source", ["in memory", "from a path"])
@pytest.mark.parametrize("impl", ["framecodec", POSITIONS_WSIDICOM, POSITIONS_PYDICOM])
def test_tile_positions(
    benchmark: Any, positions_file: tuple[wsi_util.Slide, bytes, Path], source: str, impl: str
) -> None:
    """Every frame's Plane Position (Slide), focal plane and optical path (wsidicom's reader takes bytes only)."""
    layout, data, path = positions_file
    n = len(layout.full_order())
    tag(benchmark, f"tile positions, {n:,} frames TILED_SPARSE, {source}", impl, 0)
    expected = tile_positions(data)
    memory = source == "in memory"
    fns: Fns = {
        "framecodec": lambda: tile_positions(data if memory else path),
        POSITIONS_WSIDICOM: lambda: wsidicom_positions(data, n),
        POSITIONS_PYDICOM: lambda: positions_of(io.BytesIO(data) if memory else path),
    }
    why = {POSITIONS_WSIDICOM: PFFG_WHY or (None if memory else "wsidicom's reader takes the bytes in memory only")}
    out, _ = compare(benchmark, impl, fns, why, apart=POSITIONS_APART, budget=3.0, alone=1.0)
    if impl == "framecodec":
        assert len(out) == n and out.per_frame and np.array_equal(out.column_positions, expected.column_positions)
        assert sorted(set(out.focal_planes.tolist())) == [0, 1] and out.optical_path_identifiers == ("BF", "FL")
    else:
        assert same_positions(expected, *out), impl


# ------------------------------------------------------------------------------------------------ frames sweep

#: Where a peer's open is still cheap enough to sweep: (peer, tiling) -> the largest frame count.
#: pydicom parses every Per-Frame Functional Groups item: 70 ms at 1,000 frames, 20 s a read at 100,000.
PEER_SWEEP_MAX = {
    ("wsidicom", TILED_FULL): 100_000,
    ("wsidicom", TILED_SPARSE): 100_000,
    (PYDICOM_OPEN, TILED_FULL): 100_000,
    (PYDICOM_OPEN, TILED_SPARSE): 10_000,
}
TABLE_PEER = {"BOT": "pydicom parse_fragments", "EOT": "pydicom iterate generate_frames"}


def sweep_counts(config: pytest.Config) -> list[int]:
    """10 to 100,000 frames (up to FRAMECODEC_BENCH_SWEEP, default 100,000: the sweep's slides are small JPEG
    files); 10 and 100 in the smoke run."""
    if config.getoption("benchmark_disable", default=False):
        return [10, 100]
    top = int(os.environ.get("FRAMECODEC_BENCH_SWEEP", "100000"))
    return [n for n in (10, 100, 1_000, 10_000, 100_000) if n <= top]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The sweeps' points: frame counts that depend on the run, and each peer only where it is cheap."""
    counts = sweep_counts(metafunc.config)
    if metafunc.function.__name__ == "test_frame_table_sweep":
        cases = [(t, n, i) for t in ("BOT", "EOT") for n in counts for i in ("framecodec", TABLE_PEER[t])]
        metafunc.parametrize(("table", "count", "impl"), cases, ids=[f"{t}-{n}-{i}" for t, n, i in cases])
    elif metafunc.function.__name__ == "test_open_sweep":
        cases = [
            (t, n, i)
            for t in (TILED_FULL, TILED_SPARSE)
            for n in counts
            for i in ("framecodec", "wsidicom", PYDICOM_OPEN)
            if i == "framecodec" or n <= PEER_SWEEP_MAX[i, t]
        ]
        metafunc.parametrize(("tiling", "count", "impl"), cases, ids=[f"{t}-{n}-{i}" for t, n, i in cases])


@functools.lru_cache(maxsize=1)
def table_values(count: int) -> tuple[bytes, bytes, npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """``count`` frames of 100-200 bytes with a Basic Offset Table, and with the Extended Offset Table."""
    frames = fake_jpeg_frames(count, 100, 200)
    ext, eot, lengths = fc.encaps.encapsulate_extended(frames)
    return fc.encaps.encapsulate(frames, "basic"), ext, np.frombuffer(eot, "<u8"), np.frombuffer(lengths, "<u8")


def pydicom_table(value: bytes) -> int:
    """pydicom's ``parse_fragments`` from the first fragment (after the Basic Offset Table): the frame count."""
    bio = io.BytesIO(value)
    bio.seek(8 + int.from_bytes(value[4:8], "little"))
    return int(parse_fragments(bio)[0])


def test_frame_table_sweep(benchmark: Any, table: str, count: int, impl: str) -> None:
    """``fc.encaps.frame_table`` of an in-memory value, by frame count, beside pydicom's table (BOT) or iteration
    (EOT)."""
    bot, ext, eo, el = table_values(count)
    value = bot if table == "BOT" else ext
    peer = TABLE_PEER[table]
    tag(benchmark, f"frame_table {table}: {count:,} frames of 100-200 B", impl, 0)
    sweep(benchmark, "frames", f"frame_table {table}" if impl == "framecodec" else f"{peer} {table}", count)
    benchmark.extra_info["value_bytes"] = len(value)
    if table == "BOT":
        fns: Fns = {"framecodec": lambda: len(fc.encaps.frame_table(bot, count)), peer: lambda: pydicom_table(bot)}
    else:
        eot = (eo.tobytes(), el.tobytes())
        fns = {
            "framecodec": lambda: len(fc.encaps.frame_table(ext, count, eo, el)),
            peer: lambda: sum(1 for _ in generate_frames(ext, number_of_frames=count, extended_offsets=eot)),
        }
    out, _ = compare(benchmark, impl, fns, budget=2.0, alone=1.0, max_rounds=100)
    assert out == count


@pytest.fixture(scope="module")
def sweep_slide(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Iterator[Callable[[str, int], Slide]]:
    """JPEG Baseline slides by (tiling, frame count), written on first use, each in its own folder (wsidicom opens
    folders); all deleted at the module's end (45 MB at 10,000 frames)."""
    folder = slide_folder(tmp_path_factory, smoke, "sweep")
    made: dict[tuple[str, int], Slide] = {}

    def get(tiling: str, count: int) -> Slide:
        if (tiling, count) not in made:
            where = folder / f"{tiling}-{count}"
            where.mkdir(parents=True)
            made[tiling, count] = write_slide(where / "level0.dcm", spec(count, "jpeg", tiling))
        return made[tiling, count]

    yield get
    shutil.rmtree(folder, ignore_errors=True)


def test_open_sweep(
    benchmark: Any, sweep_slide: Callable[[str, int], Slide], tiling: str, count: int, impl: str
) -> None:
    """Path -> every tile position by frame count (JPEG Baseline slides: the smallest files; open does not decode),
    beside wsidicom and pydicom where they are cheap enough."""
    slide = sweep_slide(tiling, count)
    path = slide.path
    ratio = slide.number_of_frames * slide.frame(0).nbytes / slide.pixel_data_bytes
    tag(benchmark, f"open sweep: {count:,}-frame {tiling} slide, JPEG Baseline, compression {ratio:.1f}:1", impl, 0)
    series = {"framecodec": "FrameReader open", "wsidicom": "wsidicom open", PYDICOM_OPEN: "pydicom open"}[impl]
    sweep(benchmark, "frames", f"{series} {tiling}", count)
    fns: Fns = {
        "framecodec": lambda: framecodec_open(path),
        "wsidicom": lambda: wsidicom_open(path.parent),
        PYDICOM_OPEN: lambda: pydicom_positions(path),
    }
    why: dict[str, str | None] = {"wsidicom": wsidicom_problem()}
    for peer in ("wsidicom", PYDICOM_OPEN):
        if count > PEER_SWEEP_MAX[peer, tiling]:
            why[peer] = f"not swept past {PEER_SWEEP_MAX[peer, tiling]:,} frames ({tiling}): too slow"
    out, _ = compare(benchmark, impl, fns, why, budget=3.0, alone=1.0, max_rounds=50)
    if impl != "wsidicom":
        assert np.array_equal(out, slide.positions)


# ------------------------------------------------------------------------------------------------ lazy open

#: Issue 21: opening reads the offset table, none of the frames' pages.
LAZY_OPEN_LIMIT = 0.002
LAZY_FILES = {  # name: (frames, tile side, offset table, how it is written: lazy_files); smoke: 2,000 frames at most
    "EOT 100,000 x ~12 KB JPEG": (100_000, 256, "extended", "jpeg"),
    "EOT 100,000 x ~200 KB RLE, sparse": (100_000, 184, "extended", "sparse"),
    "BOT 2,000 x ~200 KB JPEG of real tiles": (2_000, 1024, "basic", "real"),
    "BOT 100,000 x ~38 KB RLE, sparse": (100_000, 80, "basic", "sparse"),
}


def _wsidicom_lazy(folder: Path) -> None:
    from wsidicom import WsiDicom

    WsiDicom.open(folder).close()  # lazy: reads no per-frame data for TILED_FULL


@pytest.mark.parametrize("name", list(LAZY_FILES))
def test_lazy_open(benchmark: Any, name: str, tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> None:
    """Path -> ready FrameReader and path -> tile positions, against wsidicom's lazy ``WsiDicom.open(folder)``
    in the same rounds; page faults of one open. The file is deleted at the end (up to 1.2 GB, or 400 MB of a
    sparse 20 GB file)."""
    from framecodec._synthetic.big_slides import many_frames_spec, sparse_files_supported
    from lazy_files import JPEG_BASELINE, write_real_tiles, write_sparse_rle

    frames, side, table, how = LAZY_FILES[name]
    frames = min(frames, 2_000) if smoke else frames
    folder = tmp_path_factory.mktemp("lazy")
    if how == "sparse" and not sparse_files_supported(folder):
        pytest.skip("no sparse files here")
    path = folder / "slide.dcm"
    try:
        if how == "sparse":
            frame_bytes = write_sparse_rle(path, frames, side, table) * frames
        elif how == "real":
            frame_bytes = write_real_tiles(path, frames, side, table)
        else:
            spec = many_frames_spec(frames, side, offset_table=table, transfer_syntax=JPEG_BASELINE)
            frame_bytes = write_slide(path, spec).pixel_data_bytes
        _lazy_open(benchmark, name, path, frames, table, frame_bytes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _lazy_open(benchmark: Any, name: str, path: Path, frames: int, table: str, frame_bytes: int) -> None:
    import resource

    tag(benchmark, f"lazy open: {name}", "framecodec", 0)
    benchmark.extra_info.update(frames=frames, frame_bytes=frame_bytes, file_bytes=path.stat().st_size)
    with fc.FrameReader(path) as r:  # the file reads (its last frame: its items are the ones open reads)
        assert len(r) == frames and r[frames - 1].shape == r.shape

    def ready() -> None:
        fc.FrameReader(path).close()

    fns: Fns = {"framecodec": ready, "framecodec + tile positions": lambda: framecodec_open(path)}
    problem = wsidicom_problem()
    if not missing(benchmark, "wsidicom", problem):
        fns["wsidicom"] = lambda: _wsidicom_lazy(path.parent)
    times = interleaved_draws(benchmark, "framecodec", fns, budget=3.0, max_rounds=50)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    ready()
    benchmark.extra_info["page_faults_open"] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    size = f"{frame_bytes / frames / 1000:,.0f} KB"
    versus = f"issue 21: open >= 1.0x wsidicom lazy open: {frames:,} frames of {size} ({table} offset table)"
    if not times:
        return
    if table == "extended":
        goal_time(
            benchmark,
            f"issue 21: {frames:,}-frame EOT open < 2 ms: frames of {size}",
            statistics.median(times["framecodec"]),
            LAZY_OPEN_LIMIT,
        )
    if "wsidicom" not in times:
        not_measured(benchmark, versus, 1.0, problem or "wsidicom did not run")
        return
    goal(benchmark, versus, paired(times, "wsidicom", "framecodec"), 1.0, "wsidicom")
    benchmark.extra_info["wsidicom_over_tile_positions"] = paired(times, "wsidicom", "framecodec + tile positions")
