"""Tile positions of a whole-slide image (issue 8): every frame's Plane Position (Slide) and optical path.

Run:
    python -m pytest benchmarks/bench_tile_positions.py --benchmark-json=/tmp/tiles.json -q
    python benchmarks/report.py /tmp/tiles.json

The file is built here: a VL Whole Slide Microscopy Image of 100,000 frames, TILED_SPARSE, explicit VR
little endian, shuffled frame order, 2 focal planes and 2 optical paths; each Per-Frame Functional Groups
item holds what real ones do (Frame Content, Plane Position (Slide), Optical Path Identification). Peers:
pydicom reading the file (without the pixels) and then each frame's values from its Dataset, and
wsidicom's PerFrameFunctionalGroupsReader, which searches the sequence's bytes for the elements instead of
parsing it. The path benchmarks read a file in the page cache.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest

from framecodec._slide_positions import SlidePositions, tile_positions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the test data builders
from wsi_util import Slide, big_wsi_file, shuffled  # noqa: E402

N = 100_000
GROUP = f"tile positions, {N:,} frames TILED_SPARSE"
SLIDE = Slide(across=250, down=100, planes=2, paths=("BF", "FL"), tile=4)  # small tiles: small native Pixel Data


@pytest.fixture(scope="module")
def data() -> bytes:
    assert SLIDE.across * SLIDE.down * SLIDE.planes * len(SLIDE.paths) == N
    return big_wsi_file(SLIDE, shuffled(SLIDE.full_order(), 0), explicit=True, extras=False)


@pytest.fixture(scope="module")
def path(tmp_path_factory, data) -> Path:
    p = tmp_path_factory.mktemp("tiles") / "slide.dcm"
    p.write_bytes(data)
    return p


@pytest.fixture(scope="module")
def expected(data) -> SlidePositions:
    return tile_positions(data)


def tag(benchmark, group: str, impl: str) -> None:
    benchmark.group = group
    benchmark.extra_info["impl"] = impl


def pydicom_positions(source) -> tuple[list[int], list[int], list[float], list[str]]:
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    cols, rows, zs, paths = [], [], [], []
    for item in ds.PerFrameFunctionalGroupsSequence:
        pp = item.PlanePositionSlideSequence[0]
        cols.append(pp.ColumnPositionInTotalImagePixelMatrix)
        rows.append(pp.RowPositionInTotalImagePixelMatrix)
        zs.append(float(pp.ZOffsetInSlideCoordinateSystem))
        paths.append(item.OpticalPathIdentificationSequence[0].OpticalPathIdentifier)
    return cols, rows, zs, paths


def skip_when_disabled(benchmark) -> None:
    """pydicom takes some 20 s per read here; the suite's smoke run (--benchmark-disable) leaves it out, and
    tests/test_tile_positions.py checks the values against pydicom on 10,000-frame files."""
    if benchmark.disabled:
        pytest.skip("pydicom's 100,000-frame read is only timed, not smoke-run")


def check(expected: SlidePositions, cols, rows, zs, paths) -> None:
    assert list(cols) == expected.column_positions.tolist() and list(rows) == expected.row_positions.tolist()
    assert np.array_equal(np.asarray(zs, np.float64), expected.z_offsets)
    assert list(paths) == [expected.optical_path_identifiers[i] for i in expected.optical_paths.tolist()]


def test_framecodec_buffer(benchmark, data, expected) -> None:
    tag(benchmark, f"{GROUP}, in memory", "framecodec")
    p = benchmark(tile_positions, data)
    assert len(p) == N and p.per_frame
    assert sorted(set(p.focal_planes.tolist())) == [0, 1] and p.optical_path_identifiers == ("BF", "FL")


def test_pydicom_buffer(benchmark, data, expected) -> None:
    skip_when_disabled(benchmark)
    tag(benchmark, f"{GROUP}, in memory", "pydicom dcmread + items")
    check(expected, *benchmark.pedantic(lambda: pydicom_positions(io.BytesIO(data)), rounds=3, iterations=1))


def test_wsidicom_buffer(benchmark, data, expected) -> None:
    reader = pytest.importorskip("wsidicom.file.io.per_frame_functional_groups_reader")
    from upath import UPath
    from wsidicom.file.io.wsidicom_io import WsiDicomReadIO

    tag(benchmark, f"{GROUP}, in memory", "wsidicom byte search")
    sequence = data.index(b"\x00\x52\x30\x92SQ")

    def run():
        f = WsiDicomReadIO(io.BytesIO(data), UPath("memory.dcm"))
        return reader.PerFrameFunctionalGroupsReader(f, sequence, N).read_positions()

    w = benchmark.pedantic(run, rounds=5, iterations=1)
    check(expected, w.columns.tolist(), w.rows.tolist(), w.z_offsets, w.optical_path_identifiers.tolist())


def test_framecodec_path(benchmark, path, expected) -> None:
    tag(benchmark, f"{GROUP}, from a path", "framecodec")
    p = benchmark(tile_positions, path)
    assert np.array_equal(p.column_positions, expected.column_positions)


def test_pydicom_path(benchmark, path, expected) -> None:
    skip_when_disabled(benchmark)
    tag(benchmark, f"{GROUP}, from a path", "pydicom dcmread + items")
    check(expected, *benchmark.pedantic(lambda: pydicom_positions(path), rounds=3, iterations=1))
