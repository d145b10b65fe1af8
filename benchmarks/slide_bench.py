"""The whole slides that bench_reader.py (open) and bench_pipeline.py (random frames, regions) time, one at a time.

``bench`` is a module-scoped fixture over ``SLIDES``: a benchmark file that imports it gets each slide written
when its benchmarks start and deleted when they are done (pytest runs them slide by slide), so one slide is on
disk at a time. Environment:

- ``FRAMECODEC_BENCH_FRAMES``: frames per slide in a measuring run (default 10,000; the issue's figures are
  for 100,000). Under ``--benchmark-disable`` the slides have 200 frames whatever it says.
- ``FRAMECODEC_BENCH_SLIDES``: the folder to write the slides in (default: pytest's temporary folder).

The slides (slides.py): VL Whole Slide Microscopy Images of 256 x 256 RGB tiles, one focal plane and one optical
path, as TILED_SPARSE (a Per-Frame Functional Groups item with a Plane Position (Slide) per frame, frames
shuffled) and as TILED_FULL, each frame one fragment, an empty Basic Offset Table and the Extended Offset Table;
in JPEG Baseline (Pillow, 4:2:2), RLE Lossless (pylibjpeg-rle's encoder) and Deflated Image Frame Compression
(zlib level 6). Their content is a mosaic of 64 distinct tiles: 19 of tissue, crops of real images
(real_data.rgb_tiles: scikit-image's immunohistochemistry, retina, astronaut and coffee photographs, each crop
flipped or rotated; alone they compress 10.3:1 as JPEG q90 4:2:2, 1.0:1 as RLE and 1.4:1 as deflate) and 45 of
flat white background (3 KB as RLE), so about 30% of the frames are tissue. The slides compress about 29:1 as JPEG
(32:1 at 4:2:0), 3.3:1 as RLE and 4.7:1 as deflate (each group name says its file's ratio): a 100,000-frame slide
is about 0.7 GB as JPEG, 6.0 GB as RLE and 4.2 GB as deflate.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import framecodec as fc
from framecodec._synthetic.slides import (
    DEFLATE,
    JPEG_BASELINE,
    RLE,
    TILED_FULL,
    TILED_SPARSE,
    Slide,
    SlideSpec,
    many_frames_spec,
    write_slide,
)
from peers import PYDICOM, open_wsidicom, wsidicom_problem, wsidicom_tile
from real_data import rgb_tiles

SMOKE_FRAMES = 200
DEFAULT_FRAMES = 10_000
SYNTAXES = {"jpeg": JPEG_BASELINE, "rle": RLE, "deflate": DEFLATE}
SYNTAX_LABELS = {"jpeg": "JPEG Baseline", "rle": "RLE Lossless", "deflate": "Deflated Image Frame Compression"}
#: pydicom's decoding plugin for each syntax. ``import framecodec`` puts framecodec's own plugin first, which would
#: make pydicom time framecodec: Pillow's for JPEG, pylibjpeg-rle's for RLE, pydicom 3.1's own for deflate.
PYDICOM_PLUGIN = {"jpeg": "pillow", "rle": "pylibjpeg", "deflate": "pydicom"}
WSIDICOM_READS = {"jpeg", "rle"}
SLIDES = [f"{s}-{t}" for s in SYNTAXES for t in ("sparse", "full")]


def measuring_frames(smoke: bool) -> int:
    """Frames per slide: ``FRAMECODEC_BENCH_FRAMES`` (default 10,000), or 200 under --benchmark-disable."""
    return SMOKE_FRAMES if smoke else int(os.environ.get("FRAMECODEC_BENCH_FRAMES", DEFAULT_FRAMES))


def spec(frames: int, syntax: str, tiling: str) -> SlideSpec:
    """The benchmarks' slide of ``frames`` 256 x 256 tiles, its tissue from real images; ``tiling`` TILED_SPARSE
    (shuffled) or TILED_FULL."""
    return many_frames_spec(
        frames,
        256,
        transfer_syntax=SYNTAXES[syntax],
        tiling=tiling,
        shuffle=tiling == TILED_SPARSE,
        offset_table="extended",
        mosaic=64,
        tissue=0.3,
        background_noise=1,
        tissue_tiles=rgb_tiles,
    )


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
    def ratio(self) -> float:
        """The compression ratio: decoded bytes over the frames' encoded bytes."""
        return self.n * self.frame_bytes / max(1, self.slide.pixel_data_bytes)

    @property
    def label(self) -> str:
        return f"{self.n:,}-frame {self.tiling} slide, {SYNTAX_LABELS[self.syntax]}, compression {self.ratio:.1f}:1"

    @property
    def frame_bytes(self) -> int:
        """Decoded bytes of one frame (the tiles are RGB, 8 bits)."""
        tw, th = self.slide.spec.tile_size
        return tw * th * 3

    @property
    def reader(self) -> fc.FrameReader:
        if self._reader is None:
            self._reader = fc.FrameReader(self.path)
            self._reader.tile_positions  # noqa: B018 - read once, as a viewer would at open
        return self._reader

    def wsidicom_problem(self) -> str | None:
        if self.syntax not in WSIDICOM_READS:
            return f"wsidicom has no decoder for {SYNTAX_LABELS[self.syntax]} (it skips the file)"
        return wsidicom_problem()

    @property
    def wsi(self) -> Any:
        """``WsiDicom`` on the slide's folder (frame caches off), its tile index built."""
        if self._wsi is None:
            self._wsi = open_wsidicom(self.folder)
            self._wsi.levels.base_level.focal_planes  # noqa: B018 - builds the tile index
        return self._wsi

    def wsidicom_tile(self, i: int) -> npt.NDArray[Any]:
        x, y = self.slide.positions[i]
        return wsidicom_tile(self.wsi, (int(x), int(y)), self.slide.spec.tile_size)

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
            return (
                f"{PYDICOM}'s {SYNTAX_LABELS[self.syntax]} decoder has no {plugin!r} plugin{later}; available: "
                f"{', '.join(decoder.available_plugins)}"
            )
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


def slide_folder(tmp_path_factory: pytest.TempPathFactory, smoke: bool, what: str) -> Path:
    """Where to write slides: ``FRAMECODEC_BENCH_SLIDES`` (in a measuring run) or a pytest temporary folder."""
    where = os.environ.get("FRAMECODEC_BENCH_SLIDES")
    return Path(where) / f"bench-{what}-{os.getpid()}" if where and not smoke else tmp_path_factory.mktemp(what)


@pytest.fixture(scope="module", params=SLIDES)
def bench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Iterator[Bench]:
    """One slide at a time (pytest groups the tests by this module-scoped parameter), deleted afterwards."""
    name: str = request.param
    folder = slide_folder(tmp_path_factory, smoke, "slides")
    shutil.rmtree(folder / name, ignore_errors=True)
    syntax, tiling = name.split("-")
    (folder / name).mkdir(parents=True)
    slide = write_slide(
        folder / name / "level0.dcm",
        spec(measuring_frames(smoke), syntax, TILED_SPARSE if tiling == "sparse" else TILED_FULL),
    )
    b = Bench(name, syntax, slide)
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(folder / name, ignore_errors=True)
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def tag_slide(
    benchmark: Any, what: str, b: Bench, impl: str, nbytes: int, threads: int = 1, items: int = 1, unit: str = ""
) -> None:
    """timing.tag's fields for a benchmark on slide ``b``, and the slide's (the report groups by them)."""
    benchmark.group = f"{what}: {b.label}"
    benchmark.extra_info.update(
        impl=impl,
        bytes=nbytes,
        threads=threads,
        items=items,
        unit=unit,
        slide=b.name,
        frames=b.n,
        tiling=b.tiling,
        syntax=SYNTAX_LABELS[b.syntax],
        file_bytes=b.path.stat().st_size,
        loadavg=os.getloadavg()[0],
    )


def close_enough(a: npt.NDArray[Any], b: npt.NDArray[Any], lossy: bool) -> bool:
    """Equal, or for JPEG within 2 of each other (wsidicom's imagecodecs and pydicom's Pillow round apart)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not lossy:
        return bool(np.array_equal(a, b))
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(initial=0)) <= 2
