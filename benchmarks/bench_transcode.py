"""Streaming transcode and FrameWriter (issue 17): peak memory and time of ``framecodec.transcode`` on whole slides,
and of writing a 100,000-frame segmentation from a generator through ``framecodec.FrameWriter`` against highdicom.

    python -m pytest benchmarks/bench_transcode.py --benchmark-json=transcode.json     # 6-15 minutes
    python -m benchmarks.report --only transcode --update    # that run, then its section and goals in RESULTS.md

Every run of every implementation is a fresh process (transcode_runner.py, started by transcode_data.run_isolated)
that imports everything and does its setup first, then times the operation alone and reports its peak RSS
(``ru_maxrss``, imports included: what the process needed). The implementations of a group run in turn in each
round, the order rotating from round to round; after each run its output is deleted and ``os.sync()`` writes the
page cache back, so that no run pays for the one before. A first round is a warm-up whose outputs are checked
(a spread of frames decoded without framecodec, against the generator's pixels); then ``ROUNDS`` timed rounds
(5; ``FRAMECODEC_BENCH_TRANSCODE_ROUNDS``), medians of the times and of the peaks. Under ``--benchmark-disable``
(the smoke run) the data are small and the checked round is the only one. Default threads (one per core) and
deflate level 6 (zlib) everywhere.

Slides (slides.py's generator, slide_bench's mosaic of 64 distinct 256 x 256 RGB tiles, 30% tissue cropped from
real images (real_data.rgb_tiles), flat white background, an empty Basic Offset Table and the Extended Offset Table):

- 10,000 frames (1.97 GB decoded; 200 under ``--benchmark-disable``), TILED_SPARSE with the frames shuffled,
  Deflated Image Frame Compression (zlib level 6), to RLE Lossless;
- 2,000 frames (393 MB decoded; 50), TILED_FULL, JPEG Baseline (Pillow quality 90, 4:2:2, YBR_FULL_422), to
  Deflated Image Frame Compression (decoded to RGB, as transcode and ``Dataset.decompress`` do).

Each against:

- ``framecodec.transcode(src, dst, to)`` with ``verify=True`` (the default) and ``verify=False``;
- the in-memory baseline: ``framecodec.pixel_array(src)`` (``raw=True`` but for JPEG, whose frames transcode
  turns into RGB) then ``framecodec.compress`` of the whole array on a header-only data set; nothing written;
- the old command line (before issue 17): the data set read by pydicom, every frame decoded into one array,
  ``framecodec.compress``, ``pydicom.dcmwrite``.

The goals: transcode's peak RSS under 400 MB (the deflate slide) and 300 MB (the JPEG slide), and its time at most
1.2x the in-memory baseline's (the median of the per-round ratios), each for ``verify=True`` and ``verify=False``.
Group names carry each file's compression ratio (decoded bytes over file bytes); implementation names their
median peak RSS.

Segmentation: 100,000 frames of 128 x 128 1-bit masks (1.64 G pixels; 500 under ``--benchmark-disable``), each
one of 1,024 masks thresholded from real images (real_data.mask_bank: segments of scikit-image's photographs,
cropped, flipped or rotated, smoothed, thresholded at 30-70%, the largest regions kept; the group name says how
they deflate, bit-packed), yielded one at a time by a generator:

- ``FrameWriter`` with a Segmentation header (volume_headers.py's: one segment, no Per-Frame Functional Groups),
  in Deflated Image Frame Compression (bit-packed frames, deflated), RLE Lossless and Explicit VR Little Endian,
  1,000 frames stacked per ``write`` call; deflate also with one frame per ``write`` call, and with
  ``backend="libdeflate"`` (zlib's per-stream setup is most of the time on frames of 2 KB packed);
- highdicom's ``Segmentation``: the frames assembled into the total pixel matrix it needs (25,600 x 51,200 for
  100,000 frames: highdicom takes the whole array), BINARY, TILED_FULL (no Per-Frame Functional Groups, as the
  FrameWriter file), tiled by highdicom into the same frames, in Explicit VR Little Endian: highdicom refuses RLE
  (and every encapsulated syntax but JPEG 2000) for BINARY, and does not know Deflated Image Frame Compression.
  Then ``save_as``. Informational: the issue sets no goal here.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from framecodec._synthetic.slides import TILED_FULL, TILED_SPARSE, Slide, write_slide
from real_data import deflate_ratio, frame_index, mask_bank
from slide_bench import slide_folder
from slide_bench import spec as slide_bench_spec
from timing import goal, missing, paired, tag
from transcode_data import decoded_bytes, run_isolated, sample_indices, seg_grid, stored_frame

CORES = os.cpu_count() or 1
ROUNDS = int(os.environ.get("FRAMECODEC_BENCH_TRANSCODE_ROUNDS", "5"))

VERIFY, NO_VERIFY = "framecodec.transcode verify=True", "framecodec.transcode verify=False"
MEMORY = "decode + encode in memory (pixel_array + compress)"
OLD = "old command line (decode whole + compress + dcmwrite)"
TIME_GOAL = 1.2  # transcode's time over the in-memory baseline's


@dataclass(frozen=True)
class Case:
    """One slide transcode of the issue: what is written, to what, and the goals."""

    key: str
    frames: int
    smoke_frames: int
    syntax: str  # slide_bench's "deflate" / "jpeg"
    tiling: str
    to: str  # transcode's ``to``
    to_name: str
    rss_goal_mb: int

    def label(self, n: int, src_ratio: float, out_ratio: float, nbytes: int) -> str:
        names = {"deflate": "Deflated Image Frame Compression", "jpeg": "JPEG Baseline"}
        return (
            f"transcode to {self.to_name}: {n:,}-frame {self.tiling} slide of 256x256 RGB, {names[self.syntax]} "
            f"({nbytes / 1e9:.2f} GB decoded; file ratio {src_ratio:.2f}:1 in, {out_ratio:.2f}:1 out)"
        )


CASES = {
    c.key: c
    for c in (
        Case("deflate-sparse-to-rle", 10_000, 200, "deflate", TILED_SPARSE, "rle", "RLE Lossless", 400),
        Case("jpeg-full-to-deflate", 2_000, 50, "jpeg", TILED_FULL, "deflate", "Deflated Image Frame Compression", 300),
    )
}


# ------------------------------------------------------------------------------------------------ rounds


@dataclass
class Rounds:
    """Each implementation's runs: the per-round measurements of every run, in round order."""

    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, name: str, result: dict[str, Any]) -> None:
        self.runs.setdefault(name, []).append(result)

    def times(self) -> dict[str, list[float]]:
        return {name: [float(r["seconds"]) for r in rs] for name, rs in self.runs.items()}

    def median(self, name: str, key: str) -> float:
        return float(statistics.median(float(r[key]) for r in self.runs[name]))


def run_round(jobs: dict[str, dict[str, Any]], rounds: Rounds, turn: int) -> dict[str, dict[str, Any]]:
    """Every job once, in an order rotated by ``turn``; each output deleted and the page cache written back after
    its run. Returns this round's results."""
    names = list(jobs)
    order = names[turn % len(names) :] + names[: turn % len(names)]
    out = {}
    for name in order:
        job = jobs[name]
        try:
            out[name] = run_isolated(job)
        finally:
            _discard(job)
        if out[name]["inherited_mb"] > 64:  # see transcode_data.run_isolated
            raise RuntimeError(f"{name}: ru_maxrss was {out[name]['inherited_mb']:.0f} MB before the run began")
        rounds.add(name, out[name])
    return out


def _discard(job: dict[str, Any]) -> None:
    """A run's output deleted and the page cache written back, so that the next run does not pay for it."""
    if "dst" in job:
        Path(job["dst"]).unlink(missing_ok=True)
    os.sync()


def measure(benchmark: Any, jobs: dict[str, dict[str, Any]], check: Callable[[str, dict[str, Any]], None]) -> Rounds:
    """The checked round (``check(name, job)`` sees each output before it is deleted), then the timed rounds
    under pytest-benchmark (whose own round times, all the implementations' sum, the report does not use: every
    median it shows is in ``extra_info["interleaved"]``). Under --benchmark-disable the checked round only."""

    def checked_round() -> None:
        for name, job in jobs.items():
            try:
                run_isolated(job)
                check(name, job)
            finally:
                _discard(job)

    rounds = Rounds()
    if benchmark.disabled:
        benchmark(checked_round)
        return rounds
    checked_round()  # the warm-up: page cache, and every output checked
    turn = iter(range(10_000))
    benchmark.pedantic(lambda: run_round(jobs, rounds, next(turn)), rounds=ROUNDS, iterations=1)
    return rounds


def record(benchmark: Any, rounds: Rounds, ours: str, ratios: dict[str, float] | None = None) -> dict[str, str]:
    """The medians in ``extra_info`` under display names that carry the median peak RSS (and the output's
    compression ratio, from ``ratios``), and every run's figures (``extra_info["runs"]``); returns the display
    name of each implementation."""
    ratios = ratios or {}
    shown = {}
    for name in rounds.runs:
        shown[name] = f"{name}; peak RSS {rounds.median(name, 'ru_maxrss_mb'):,.0f} MB"
        if name in ratios:
            shown[name] += f", file ratio {ratios[name]:.2f}:1"
    times = rounds.times()
    benchmark.extra_info.update(
        impl=shown[ours],
        baseline=shown[ours],
        interleaved_rounds=len(times[ours]),
        interleaved={shown[n]: statistics.median(ts) for n, ts in times.items()},
        peak_rss_mb={n: rounds.median(n, "ru_maxrss_mb") for n in rounds.runs},
        peak_rss_max_mb={n: max(r["ru_maxrss_mb"] for r in rs) for n, rs in rounds.runs.items()},
        peak_anon_mb={n: rounds.median(n, "anon_mb") for n in rounds.runs},
        peak_file_mb={n: rounds.median(n, "file_mb") for n in rounds.runs},
        setup_rss_mb={n: rounds.median(n, "setup_mb") for n in rounds.runs},
        seconds={n: statistics.median(ts) for n, ts in times.items()},
        runs={
            n: [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rs]
            for n, rs in rounds.runs.items()
        },
        loadavg=os.getloadavg()[0],
    )
    benchmark.extra_info["speed-ups"] = {shown[n]: paired(times, n, ours) for n in times if n != ours}
    return shown


# ------------------------------------------------------------------------------------------------ slides


@pytest.fixture(scope="module", params=list(CASES))
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smoke: bool
) -> Iterator[tuple[Case, Slide]]:
    """One slide at a time (written by slides.py's generator, without framecodec), deleted afterwards."""
    c: Case = CASES[request.param]
    folder = slide_folder(tmp_path_factory, smoke, "transcode") / c.key
    folder.mkdir(parents=True, exist_ok=True)
    n = c.smoke_frames if smoke else c.frames
    slide = write_slide(folder / "source.dcm", slide_bench_spec(n, c.syntax, c.tiling))
    try:
        yield c, slide
    finally:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def check_slide_output(path: Path, slide: Slide, lossy: bool) -> None:
    """A spread of the output's frames, decoded without framecodec, against the generator's pixels (JPEG: the
    reference decode, Pillow's, within a few levels: libjpeg-turbo rounds alike but its build may differ)."""
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    n = slide.number_of_frames
    found = (int(ds.NumberOfFrames), str(ds.PhotometricInterpretation))
    assert found == (n, "RGB"), f"{path.name}: {found}, not {n} RGB frames"
    for i in sample_indices(n, 12):
        got, want = stored_frame(path, i).astype(np.int16), slide.expected_frame(i).astype(np.int16)
        assert got.shape == want.shape, (i, got.shape, want.shape)
        d = np.abs(got - want)
        if lossy:
            assert float(d.mean()) < 1.0 and int(d.max()) <= 8, f"frame {i}: mean {d.mean():.2f}, largest {d.max()}"
        else:
            assert int(d.max()) == 0, f"frame {i} of {path.name} differs from the source by up to {d.max()}"


def test_transcode_slide(benchmark: Any, case: tuple[Case, Slide], smoke: bool) -> None:
    c, slide = case
    src = slide.path
    folder = src.parent
    n = slide.number_of_frames
    nbytes = decoded_bytes(src)
    jobs: dict[str, dict[str, Any]] = {
        VERIFY: {"op": "transcode", "src": str(src), "dst": str(folder / "out-verify.dcm"), "to": c.to, "verify": True},
        NO_VERIFY: {
            "op": "transcode",
            "src": str(src),
            "dst": str(folder / "out-noverify.dcm"),
            "to": c.to,
            "verify": False,
        },
        MEMORY: {"op": "memory", "src": str(src), "to": c.to, "raw": c.syntax != "jpeg"},
        OLD: {"op": "old", "src": str(src), "dst": str(folder / "out-old.dcm"), "to": c.to, "jpeg": c.syntax == "jpeg"},
    }
    sizes: dict[str, int] = {}

    def check(name: str, job: dict[str, Any]) -> None:
        if "dst" in job:
            path = Path(job["dst"])
            sizes[name] = path.stat().st_size
            check_slide_output(path, slide, slide.lossy)

    # the label needs the output's size: one transcode first, checked (and under --benchmark-disable the only run)
    first = {**jobs[NO_VERIFY], "dst": str(folder / "out-first.dcm")}
    run_isolated(first)
    check(NO_VERIFY, first)
    Path(first["dst"]).unlink()
    src_ratio, out_ratio = nbytes / src.stat().st_size, nbytes / sizes[NO_VERIFY]
    tag(benchmark, c.label(n, src_ratio, out_ratio, nbytes), VERIFY, nbytes, CORES)
    benchmark.extra_info.update(
        frames=n,
        source_bytes=src.stat().st_size,
        output_bytes=sizes,
        source_ratio=round(src_ratio, 3),
        output_ratio=round(out_ratio, 3),
    )
    rounds = measure(benchmark, jobs, check)
    benchmark.extra_info["output_bytes"] = sizes
    if not rounds.runs:
        return
    record(benchmark, rounds, VERIFY)
    times = rounds.times()
    label = c.label(n, src_ratio, out_ratio, nbytes)
    for name in (VERIFY, NO_VERIFY):
        rss = rounds.median(name, "ru_maxrss_mb")
        goal(
            benchmark,
            f"issue 17: peak RSS of {name} under {c.rss_goal_mb} MB (measured {rss:,.0f} MB; "
            f"peak RSS / {c.rss_goal_mb} MB): {label}",
            rss / c.rss_goal_mb,
            1.0,
            at_most=True,
        )
        goal(
            benchmark,
            f"issue 17: time of {name} at most {TIME_GOAL}x decode + encode in memory (pixel_array + "
            f"compress): {label}",
            paired(times, name, MEMORY),
            TIME_GOAL,
            MEMORY,
            at_most=True,
        )


# ------------------------------------------------------------------------------------------------ segmentation

SEG_FRAMES, SMOKE_SEG_FRAMES = 100_000, 500
SEG_TILE, BANK, BATCH = 128, 1024, 1000
SEG_DEFLATE = f"framecodec FrameWriter deflate, {BATCH:,} frames a write()"
SEG_DEFLATE_ONE = "framecodec FrameWriter deflate, one frame a write()"
SEG_LIBDEFLATE = f"framecodec FrameWriter deflate backend=libdeflate, {BATCH:,} frames a write()"
SEG_RLE = f"framecodec FrameWriter RLE Lossless, {BATCH:,} frames a write()"
SEG_EXPLICIT = f"framecodec FrameWriter Explicit VR Little Endian, {BATCH:,} frames a write()"
HIGHDICOM = "highdicom Segmentation (BINARY, TILED_FULL, Explicit VR Little Endian) + save_as"


def _highdicom_problem() -> str | None:
    try:
        import highdicom  # noqa: F401
    except ImportError as e:
        return f"highdicom is not installed here ({e})"
    return None


def test_segmentation_writer(benchmark: Any, tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> None:
    folder = slide_folder(tmp_path_factory, smoke, "transcode-seg")
    folder.mkdir(parents=True, exist_ok=True)
    n = SMOKE_SEG_FRAMES if smoke else SEG_FRAMES
    across, down = seg_grid(n)
    nbytes = n * SEG_TILE * SEG_TILE  # one byte a pixel, as pixel_array gives 1-bit frames
    bank, source = mask_bank(SEG_TILE, BANK)
    index = frame_index(n, BANK)
    np.save(folder / "masks.npy", bank)
    base = {"op": "seg_writer", "n": n, "tile": SEG_TILE, "bank": str(folder / "masks.npy")}
    jobs: dict[str, dict[str, Any]] = {
        SEG_DEFLATE: {**base, "to": "deflate", "batch": BATCH, "dst": str(folder / "seg-deflate.dcm")},
        SEG_DEFLATE_ONE: {**base, "to": "deflate", "batch": 1, "dst": str(folder / "seg-deflate-one.dcm")},
        SEG_LIBDEFLATE: {
            **base,
            "to": "deflate",
            "batch": BATCH,
            "backend": "libdeflate",
            "dst": str(folder / "seg-libdeflate.dcm"),
        },
        SEG_RLE: {**base, "to": "rle", "batch": BATCH, "dst": str(folder / "seg-rle.dcm")},
        SEG_EXPLICIT: {**base, "to": "explicit", "batch": BATCH, "dst": str(folder / "seg-explicit.dcm")},
    }
    why = _highdicom_problem()
    if not missing(benchmark, HIGHDICOM, why):
        jobs[HIGHDICOM] = {**base, "op": "seg_highdicom", "dst": str(folder / "seg-highdicom.dcm")}
    sizes: dict[str, int] = {}

    def check(name: str, job: dict[str, Any]) -> None:
        import pydicom

        path = Path(job["dst"])
        sizes[name] = path.stat().st_size
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert int(ds.NumberOfFrames) == n and int(ds.BitsAllocated) == 1, (name, ds.NumberOfFrames)
        for i in sample_indices(n, 24):
            got = stored_frame(path, i)
            assert np.array_equal(got, bank[index[i]]), f"{name}: frame {i} differs from the generator's"

    tag(
        benchmark,
        f"write {n:,} 1-bit {SEG_TILE}x{SEG_TILE} segmentation frames from a generator "
        f"({across} x {down} tiles; masks from {source.split(' (')[0]}, deflate {deflate_ratio(bank, bits=1):.0f}:1)",
        SEG_DEFLATE,
        nbytes,
        CORES,
    )
    foreground = float(bank.reshape(BANK, -1).mean(axis=1)[index].mean())
    benchmark.extra_info.update(
        frames=n,
        tile=SEG_TILE,
        distinct_masks=BANK,
        mask_source=source,
        foreground=round(foreground, 4),
        highdicom_frames=n,
    )
    try:
        rounds = measure(benchmark, jobs, check)
    finally:
        (folder / "masks.npy").unlink(missing_ok=True)
    benchmark.extra_info["output_bytes"] = sizes
    ratios = {name: nbytes / size for name, size in sizes.items()}
    benchmark.extra_info["output_ratio"] = {name: round(r, 3) for name, r in ratios.items()}
    if rounds.runs:
        record(benchmark, rounds, SEG_DEFLATE, ratios)
