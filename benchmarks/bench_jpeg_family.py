"""The JPEG family in the C++ engine (issue 16), the slide: a JPEG slide against wsidicom and OpenSlide. The whole
JPEG 2000, HTJ2K and JPEG-LS files against pydicom's own plugins are in bench_jpeg_family_files.py; the report runs
both files as the jpeg_family area.

    python -m pytest benchmarks/bench_jpeg_family.py benchmarks/bench_jpeg_family_files.py \\
        --benchmark-json=jpeg_family.json    # 5-8 minutes
    python -m benchmarks.report --only jpeg_family --update    # that run, then its section and goals in RESULTS.md

One core unless a group says otherwise: every thread of the process is pinned to one CPU for the group
(``os.sched_setaffinity``) and framecodec runs ``threads=1``, wsidicom ``threads=1``; OpenSlide and pydicom decode on
the calling thread. Only the thread-scaling group runs on every core.

The slide (slide_bench.py's generator, one file in a folder of its own: wsidicom opens the folder, OpenSlide the
file): 2,000 tiles of 256 x 256 RGB (50 x 40 tiles, 12,716 x 10,190 pixels; 50 under ``--benchmark-disable``), a
mosaic of 64 distinct tiles (30% tissue: crops of real images, real_data.rgb_tiles; the rest flat white
background), TILED_FULL, Pillow (libjpeg-turbo) at quality 90 with 4:2:0 chrominance, YBR_FULL_422, an empty Basic
Offset Table and the Extended Offset Table. Its compression ratio (decoded bytes over the frames' bytes, about
32:1) is in every group's name. Caches off: wsidicom's decoded
and encoded frame caches, OpenSlide's tile cache (each round reads a new random place).

- ``read_region`` 512 x 512 and 2048 x 2048 at a random place each round (the same for all):
  ``reader.read_region(xy, size, threads=1)`` against wsidicom's ``read_region(xy, 0, size, threads=1)`` and
  OpenSlide's ``read_region(xy, 0, size)`` (its RGBA ``PIL.Image`` as it returns it, not converted to an array).
- 200 random single frames a round, one call each: ``reader[i]`` against wsidicom's ``read_tile`` (the tile API
  bench_pipeline times) and OpenSlide's ``read_region`` of the tile.
- ``framecodec.pixel_array(path, threads=1)`` of the whole file against ``pydicom.pixels.pixel_array(path,
  decoding_plugin="pillow")`` (3 rounds: pydicom takes 15-20 s a round), and for scale Pillow and imagecodecs
  (libjpeg-turbo both) decoding the codestreams held in memory frame by frame into one array.
- Thread scaling on every core: ``framecodec.pixel_array(path, threads=t)``, t = 1 and all, beside the reference
  workload of bench_pipeline's sweep for this codec: imagecodecs' ``jpeg8_decode`` (libjpeg-turbo, the GIL
  released) of the same frames into one new array in a ``ThreadPoolExecutor`` of t threads; the goal is the
  ratio of the two scalings, per round.
- ``read_region(..., downsample=4)`` and ``8`` of one 8,192 x 8,192 level-0 area (2,048 x 2,048 and 1,024 x
  1,024 output pixels; smaller slides: the largest multiple of 8 that fits) at a random place on the 8-pixel
  grid: against wsidicom, OpenSlide and framecodec itself reading the level-0 area and averaging d x d blocks
  (Pillow's ``Image.reduce``: the numpy mean of the blocks, 5-6x faster than numpy computes it). Informational:
  no goal.

Each benchmark's ``extra_info`` has the data's ``compression_ratio`` and ``file_bytes``, and ``max_difference``:
each peer's largest difference from framecodec's pixels (lossy JPEG: decoders round differently; lossless: 0).
"""

from __future__ import annotations

import os
import shutil
import statistics
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import framecodec as fc
from framecodec._synthetic.dicom_bytes import JPEG_BASELINE
from framecodec._synthetic.slides import TILED_FULL, SlideSpec, write_slide
from jpeg_family_common import Fns, difference, frame_by_frame, ratio_goal
from peers import (
    FRAME_DECODERS,
    open_openslide,
    openslide_problem,
    openslide_region,
    openslide_rgb,
    openslide_version,
    pydicom_pixel_array,
    pydicom_plugin_problem,
)
from slide_bench import Bench, slide_folder
from slide_bench import spec as slide_bench_spec
from timing import CEILING, compare, copy_ceiling, goal, interleaved_draws, missing, not_measured, paired, tag

CORES = os.cpu_count() or 1
SLIDE_FRAMES, SMOKE_SLIDE_FRAMES = 2_000, 50
TILE = 256
OURS = "framecodec threads=1"
WSIDICOM = "wsidicom threads=1"
OPENSLIDE = "OpenSlide"


@dataclass
class JpegSlide(Bench):
    """The JPEG slide, and OpenSlide on it besides slide_bench's readers."""

    _openslide: Any = None

    @property
    def label(self) -> str:
        return f"{self.n:,}-tile JPEG slide (256x256 RGB, Pillow q90 4:2:0, TILED_FULL; {self.ratio:.1f}:1)"

    @property
    def openslide(self) -> Any:
        if self._openslide is None:
            self._openslide = open_openslide(self.path)
        return self._openslide

    def close_readers(self) -> None:
        super().close_readers()
        if self._openslide is not None:
            self._openslide.close()
            self._openslide = None


def slide_spec(frames: int) -> SlideSpec:
    """slide_bench's JPEG slide (64 distinct tiles, 30% tissue from real images, flat background), TILED_FULL,
    4:2:0."""
    return slide_bench_spec(frames, "jpeg", TILED_FULL).but(jpeg_subsampling="4:2:0")


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Iterator[JpegSlide]:
    folder = slide_folder(tmp_path_factory, smoke, "jpeg-family") / "jpeg-420"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    s = JpegSlide(
        "jpeg-full",
        "jpeg",
        write_slide(folder / "level0.dcm", slide_spec(SMOKE_SLIDE_FRAMES if smoke else SLIDE_FRAMES)),
    )
    try:
        yield s
    finally:
        s.close()
        shutil.rmtree(folder, ignore_errors=True)


def tag_slide(
    benchmark: Any, what: str, s: JpegSlide, impl: str, nbytes: int, threads: int = 1, items: int = 1, unit: str = ""
) -> None:
    tag(benchmark, f"{what}: {s.label}", impl, nbytes, threads)
    benchmark.extra_info.update(
        baseline=impl,
        items=items,
        unit=unit,
        frames=s.n,
        syntax="JPEG Baseline 4:2:0",
        compression_ratio=round(s.ratio, 3),
        file_bytes=s.path.stat().st_size,
        loadavg=os.getloadavg()[0],
        openslide=openslide_version(),
        wsidicom_decoder=_wsidicom_decoder(s),
    )


def _wsidicom_decoder(s: JpegSlide) -> str | None:
    if s.wsidicom_problem():
        return None
    try:
        return type(s.wsi.levels.base_level.default_instance.image_data.decoder).__name__
    except AttributeError:
        return None


#: The issue's goals for read_region: edge -> {peer: framecodec at least this many times faster}.
REGION_GOALS = {512: {WSIDICOM: 2.0, OPENSLIDE: 1.0}, 2048: {WSIDICOM: 1.5, OPENSLIDE: 3.0}}


def _add_peers(
    benchmark: Any, s: JpegSlide, fns: Fns, wsidicom: Callable[[Any], Any], openslide: Callable[[Any], Any]
) -> dict[str, str | None]:
    """wsidicom's and OpenSlide's entries, or each recorded as missing; returns why each is missing (or None)."""
    why = {WSIDICOM: s.wsidicom_problem(), OPENSLIDE: openslide_problem()}
    if not missing(benchmark, WSIDICOM, why[WSIDICOM]):
        wsi = s.wsi
        fns[WSIDICOM] = lambda: wsidicom(wsi)
    if not missing(benchmark, OPENSLIDE, why[OPENSLIDE]):
        osr = s.openslide
        fns[OPENSLIDE] = lambda: openslide(osr)
    return why


@pytest.mark.parametrize("edge", list(REGION_GOALS))
def test_read_region(benchmark: Any, slide: JpegSlide, one_core: int | None, edge: int) -> None:
    """A region at a random place each round: ``reader.read_region`` against wsidicom and OpenSlide, one core."""
    s, spec = slide, slide.slide.spec
    w, h = min(edge, spec.width), min(edge, spec.height)
    size = (w, h)
    tag_slide(benchmark, f"read_region {w} x {h}, one core", s, OURS, w * h * 3, 1, w * h, "pixels")
    rng = np.random.default_rng(16 + edge)
    state = {"xy": (0, 0)}
    reader = s.reader

    def draw() -> None:
        state["xy"] = (int(rng.integers(spec.width - w + 1)), int(rng.integers(spec.height - h + 1)))

    fns: Fns = {
        OURS: lambda: reader.read_region(state["xy"], size, threads=1),
        CEILING: copy_ceiling(w * h * 3, fresh=True),
    }
    why = _add_peers(
        benchmark,
        s,
        fns,
        lambda wsi: wsi.read_region(state["xy"], 0, size, threads=1, as_array=True),
        lambda osr: openslide_region(osr, state["xy"], size),
    )

    def check(results: dict[str, Any]) -> None:
        ours = results[OURS]
        assert ours.shape == (h, w, 3) and ours.dtype == np.uint8
        diffs = {}
        if WSIDICOM in results:
            diffs[WSIDICOM] = difference(results[WSIDICOM], ours, WSIDICOM)
        if OPENSLIDE in results:
            diffs[OPENSLIDE] = difference(openslide_rgb(results[OPENSLIDE]), ours, OPENSLIDE)
        benchmark.extra_info["max_difference"] = diffs

    times = interleaved_draws(benchmark, OURS, fns, next_round=draw, check=check, budget=8.0, max_rounds=100)
    for peer, target in REGION_GOALS[edge].items():
        ratio_goal(
            benchmark,
            times,
            f"issue 16: read_region {w} x {h} on one core at least {target:g}x {peer}'s: {s.label}",
            peer,
            OURS,
            target,
            why[peer],
        )


RANDOM_FRAMES, SMOKE_RANDOM_FRAMES = 200, 10
READER_I = "framecodec reader[i]"
READ_TILE = "wsidicom read_tile"
OPENSLIDE_TILE = "OpenSlide read_region of the tile"


def test_random_frames(benchmark: Any, slide: JpegSlide, one_core: int | None, smoke: bool) -> None:
    """200 random single frames a round, one call each: ``reader[i]`` against wsidicom's ``read_tile`` and
    OpenSlide's ``read_region`` of the tile's area, one core."""
    s = slide
    k = SMOKE_RANDOM_FRAMES if smoke else RANDOM_FRAMES
    tag_slide(
        benchmark, f"{k} random single frames, one call each, one core", s, READER_I, k * s.frame_bytes, 1, k, "frames"
    )
    rng = np.random.default_rng(17)
    state: dict[str, Any] = {"idx": [0] * k}
    reader, positions = s.reader, s.slide.positions

    def draw() -> None:
        state["idx"] = rng.integers(s.n, size=k).tolist()

    fns: Fns = {
        READER_I: lambda: [reader[i] for i in state["idx"]],
        CEILING: copy_ceiling([s.frame_bytes] * k, fresh=True),
    }
    why = {READ_TILE: s.wsidicom_problem(), OPENSLIDE_TILE: openslide_problem()}
    if not missing(benchmark, READ_TILE, why[READ_TILE]):
        s.wsi  # noqa: B018 - open before the rounds
        fns[READ_TILE] = lambda: [s.wsidicom_tile(i) for i in state["idx"]]
    if not missing(benchmark, OPENSLIDE_TILE, why[OPENSLIDE_TILE]):
        osr = s.openslide
        fns[OPENSLIDE_TILE] = lambda: [openslide_region(osr, positions[i], (TILE, TILE)) for i in state["idx"]]

    def check(results: dict[str, Any]) -> None:
        ours = results[READER_I]
        assert len(ours) == k and all(f.shape == (TILE, TILE, 3) for f in ours)
        diffs = {}
        if READ_TILE in results:
            diffs[READ_TILE] = max(difference(t, o, READ_TILE) for t, o in zip(results[READ_TILE], ours, strict=True))
        if OPENSLIDE_TILE in results:  # OpenSlide's tile stops at the matrix's edge (transparent beyond)
            spec, worst = s.slide.spec, 0
            for i, im, o in zip(state["idx"], results[OPENSLIDE_TILE], ours, strict=True):
                x, y = positions[i]
                cw, ch = min(TILE, spec.width - int(x)), min(TILE, spec.height - int(y))
                worst = max(worst, difference(openslide_rgb(im)[:ch, :cw], o[:ch, :cw], OPENSLIDE_TILE))
            diffs[OPENSLIDE_TILE] = worst
        benchmark.extra_info["max_difference"] = diffs

    times = interleaved_draws(benchmark, READER_I, fns, next_round=draw, check=check, budget=20.0, max_rounds=40)
    if times and times.get(READ_TILE):
        per_s = {name: k / statistics.median(ts) for name, ts in times.items() if ts and name != CEILING}
        benchmark.extra_info["frames_per_second"] = per_s
        text = (
            f"issue 16: random single frames on one core, reader[i] frames/s at least wsidicom read_tile's "
            f"({per_s[READER_I]:,.0f} against {per_s[READ_TILE]:,.0f}): {s.label}"
        )
        ratio_goal(benchmark, times, text, READ_TILE, READER_I, 1.0, why[READ_TILE])
    else:
        ratio_goal(
            benchmark,
            times,
            f"issue 16: random single frames on one core, reader[i] frames/s at least wsidicom read_tile's: {s.label}",
            READ_TILE,
            READER_I,
            1.0,
            why[READ_TILE],
        )


PIXEL_ARRAY = "framecodec"
PYDICOM_PILLOW = "pydicom pixel_array(path), Pillow plugin"


def test_pixel_array(benchmark: Any, slide: JpegSlide, one_core: int | None) -> None:
    """The whole slide file to one array on one core: ``framecodec.pixel_array(path, threads=1)`` against
    ``pydicom.pixels.pixel_array(path, decoding_plugin="pillow")``, and Pillow and imagecodecs decoding the
    codestreams (in memory) frame by frame into one array. Three rounds, the first timed too (pydicom takes 15-20 s
    a round: it has Pillow keep YCbCr and converts the whole array to RGB with numpy)."""
    s = slide
    nbytes = s.n * s.frame_bytes
    tag_slide(benchmark, "pixel_array(path), whole file, one core", s, PIXEL_ARRAY, nbytes, 1, s.n, "frames")
    fns: Fns = {PIXEL_ARRAY: lambda: fc.pixel_array(s.path, threads=1), CEILING: copy_ceiling(nbytes, fresh=True)}
    why = pydicom_plugin_problem(JPEG_BASELINE, "pillow")
    if not missing(benchmark, PYDICOM_PILLOW, why):
        fns[PYDICOM_PILLOW] = lambda: pydicom_pixel_array(s.path, "pillow")
    with fc.FrameReader(s.path) as r:
        fragments = [bytes(r.raw(i)) for i in range(s.n)]
    for library in ("Pillow", "imagecodecs jpeg8_decode (libjpeg-turbo)"):  # the libraries alone, for scale
        decode, problem = FRAME_DECODERS[library]
        name = f"{library} frame by frame"
        if not missing(benchmark, name, problem) and decode is not None:
            fns[name] = partial(frame_by_frame, decode, fragments, (s.n, TILE, TILE, 3), np.dtype(np.uint8))

    def check(results: dict[str, Any]) -> None:
        ours = results[PIXEL_ARRAY]
        assert ours.shape == (s.n, TILE, TILE, 3) and ours.dtype == np.uint8
        benchmark.extra_info["max_difference"] = {
            name: difference(got, ours, name) for name, got in results.items() if name not in (PIXEL_ARRAY, CEILING)
        }

    times = interleaved_draws(
        benchmark, PIXEL_ARRAY, fns, check=check, budget=45.0, min_rounds=3, max_rounds=5, warmup=False
    )
    ratio_goal(
        benchmark,
        times,
        f"issue 16: framecodec.pixel_array(path, threads=1) at least 2x pydicom's with the Pillow plugin: {s.label}",
        PYDICOM_PILLOW,
        PIXEL_ARRAY,
        2.0,
        why,
    )


REFERENCE = "imagecodecs jpeg8_decode ThreadPoolExecutor"


def _reference(fragments: list[bytes], pool: ThreadPoolExecutor, decode: Callable[..., Any]) -> npt.NDArray[Any]:
    """The reference workload: every frame decoded by libjpeg-turbo (imagecodecs, the GIL released) into one new
    array, on the pool's threads."""
    out = np.empty((len(fragments), TILE, TILE, 3), np.uint8)

    def one(i: int) -> None:
        decode(fragments[i], out=out[i])

    list(pool.map(one, range(len(fragments))))
    return out


def test_thread_scaling(benchmark: Any, slide: JpegSlide) -> None:
    """``framecodec.pixel_array(path, threads=t)`` for t = 1 and every core, beside the reference workload (see
    the module's docstring), all four and the ceiling in the same rounds; every core allowed."""
    s = slide
    every = f"framecodec threads={CORES}"
    one, ref_one, ref_every = "framecodec threads=1", f"{REFERENCE} threads=1", f"{REFERENCE} threads={CORES}"
    nbytes = s.n * s.frame_bytes
    tag_slide(benchmark, f"thread scaling, pixel_array(path), {CORES} cores", s, every, nbytes, CORES, s.n, "frames")
    benchmark.extra_info["threads_of"] = {one: 1, every: CORES, ref_one: 1, ref_every: CORES}
    decode, why = FRAME_DECODERS["imagecodecs jpeg8_decode (libjpeg-turbo)"]
    fns: Fns = {
        every: lambda: fc.pixel_array(s.path, threads=CORES),
        one: lambda: fc.pixel_array(s.path, threads=1),
        CEILING: copy_ceiling(nbytes, fresh=True),
    }
    pools = {n: ThreadPoolExecutor(n) for n in sorted({1, CORES})}
    if not missing(benchmark, REFERENCE, why) and decode is not None:
        with fc.FrameReader(s.path) as r:
            fragments = [bytes(r.raw(i)) for i in range(s.n)]
        fns[ref_one] = lambda: _reference(fragments, pools[1], decode)
        fns[ref_every] = lambda: _reference(fragments, pools[CORES], decode)
    try:
        out, times = compare(benchmark, every, fns, ours=every, budget=40.0, max_rounds=15)
    finally:
        for p in pools.values():
            p.shutdown()
    assert out.shape == (s.n, TILE, TILE, 3)
    text = (
        f"issue 16: thread scaling ({CORES} threads over 1) of framecodec.pixel_array over the {REFERENCE} reference's"
    )
    if not times:
        return
    if CORES == 1:
        not_measured(benchmark, f"{text}: {s.label}", 1.0, "one core: nothing to scale to")
    elif ref_one not in times:
        not_measured(benchmark, f"{text}: {s.label}", 1.0, why or "no reference")
    else:
        ours, ref = paired(times, one, every), paired(times, ref_one, ref_every)
        per_round = statistics.median(
            (a / b) / (c / e) for a, b, c, e in zip(*(times[k] for k in (one, every, ref_one, ref_every)), strict=True)
        )
        benchmark.extra_info["scaling"] = {"framecodec": ours, REFERENCE: ref, "threads": CORES}
        goal(benchmark, f"{text} ({ours:.2f}x against {ref:.2f}x): {s.label}", per_round, 1.0)


AREA = 8192  # level-0 pixels on a side
REDUCE = "Image.reduce"


def block_mean(image: Any, d: int) -> npt.NDArray[np.uint8]:
    """The mean of each d x d block, rounded: Pillow's ``Image.reduce(d)`` (a box filter in C: the same values as
    the numpy mean of the blocks, 5-6x faster than numpy's reshape-and-sum on 8192 x 8192) of a level-0 region
    (a ``PIL.Image``, or an array), as RGB."""
    from PIL import Image

    image = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    return np.asarray(image.reduce(d))[..., :3]


@pytest.mark.parametrize("d", [4, 8])
def test_read_region_downsample(benchmark: Any, slide: JpegSlide, one_core: int | None, d: int) -> None:
    """``read_region(..., downsample=d)`` of an AREA x AREA level-0 area against reading it at level 0 and
    averaging d x d blocks with Pillow's ``Image.reduce`` (framecodec, wsidicom, OpenSlide), one core.
    Informational."""
    s, spec = slide, slide.slide.spec
    area = min(AREA, spec.width, spec.height) // 8 * 8
    out = area // d
    tag_slide(
        benchmark,
        f"read_region downsample={d}: {area:,} x {area:,} level-0 pixels to {out:,} x {out:,}, one core",
        s,
        OURS,
        out * out * 3,
        1,
        out * out,
        "pixels",
    )
    rng = np.random.default_rng(18 + d)
    state = {"xy": (0, 0)}
    reader = s.reader

    def draw() -> None:  # on the 8-pixel grid (which the reduced decode needs), random otherwise
        state["xy"] = (
            8 * int(rng.integers((spec.width - area) // 8 + 1)),
            8 * int(rng.integers((spec.height - area) // 8 + 1)),
        )

    level0 = (area, area)
    fns: Fns = {
        OURS: lambda: reader.read_region(state["xy"], (out, out), downsample=d, threads=1),
        f"framecodec level 0 + {REDUCE}": lambda: block_mean(reader.read_region(state["xy"], level0, threads=1), d),
        CEILING: copy_ceiling(out * out * 3, fresh=True),
    }
    _add_peers(
        benchmark,
        s,
        fns,  # each peer's own image type: wsidicom's and OpenSlide's PIL images
        lambda wsi: block_mean(wsi.read_region(state["xy"], 0, level0, threads=1, as_array=False), d),
        lambda osr: block_mean(openslide_region(osr, state["xy"], level0), d),
    )
    named = {WSIDICOM: f"{WSIDICOM} level 0 + {REDUCE}", OPENSLIDE: f"{OPENSLIDE} level 0 + {REDUCE}"}
    fns = {named.get(k, k): f for k, f in fns.items()}
    benchmark.extra_info["missing"] = {named.get(k, k): v for k, v in benchmark.extra_info.get("missing", {}).items()}
    if not benchmark.extra_info["missing"]:
        del benchmark.extra_info["missing"]

    def check(results: dict[str, Any]) -> None:
        ours = results[OURS]
        assert ours.shape == (out, out, 3)
        # the codec's reduced decode is a low-pass of each block, not its mean: within a few levels on average
        diffs = {}
        for name, got in results.items():
            if name not in (OURS, CEILING):
                dd = np.abs(np.asarray(got, np.int32) - ours.astype(np.int32))
                assert got.shape == ours.shape and float(dd.mean()) < 3.0, (name, float(dd.mean()))
                diffs[name] = {"max": int(dd.max()), "mean": round(float(dd.mean()), 3)}
        benchmark.extra_info["max_difference"] = diffs

    interleaved_draws(benchmark, OURS, fns, next_round=draw, check=check, budget=25.0, min_rounds=5, max_rounds=8)
