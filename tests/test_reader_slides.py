"""FrameReader on whole slides made by framecodec._synthetic.slides: ``read_region`` equals wsidicom's regions and the
numpy reference (the synthetic total pixel matrix, missing tiles blank), ``tile_positions`` and the focal
plane / optical path of every frame equal what was written (and highdicom's TILED_FULL order), frames equal
the tiles written; and a sparse file whose Pixel Data passes 4 GiB through the Extended Offset Table.

The references never come from framecodec: wsidicom (its own decoders), pydicom's encapsulation, highdicom,
and the generator's numpy arrays (tests/test_slides.py checks those against wsidicom, pydicom and highdicom).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.encaps import get_frame

import framecodec as fc
from framecodec._synthetic import slides
from framecodec._synthetic.slides import (
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    JPEG_BASELINE,
    RLE,
    TILED_FULL,
    TILED_SPARSE,
    Slide,
    SlideSpec,
    write_slide,
)
from slide_readers import wsidicom_region

wsidicom = pytest.importorskip("wsidicom")

SPECS: dict[str, SlideSpec] = {
    "full-rgb": SlideSpec(width=1000, height=700, tile=256, transfer_syntax=EXPLICIT),
    "full-planes-mono": SlideSpec(
        width=600,
        height=330,
        tile=(128, 96),
        focal_planes=2,
        optical_paths=3,
        samples=1,
        transfer_syntax=RLE,
        offset_table="empty",
        seed=3,
    ),
    "full-planes-deflate": SlideSpec(
        width=500,
        height=300,
        tile=(96, 128),
        focal_planes=3,
        optical_paths=2,
        transfer_syntax=DEFLATE,
        offset_table="extended",
        seed=8,
    ),
    "sparse-rgb": SlideSpec(
        width=1000,
        height=700,
        tile=(240, 160),
        tiling=TILED_SPARSE,
        focal_planes=2,
        optical_paths=2,
        shuffle=True,
        missing=0.3,
        transfer_syntax=RLE,
        offset_table="extended",
        seed=1,
    ),
    "sparse-mono": SlideSpec(
        width=700,
        height=500,
        tile=128,
        tiling=TILED_SPARSE,
        shuffle=True,
        samples=1,
        missing=[(1, 1, 0, 0), (5, 0, 0, 0), (5, 3, 0, 0), (0, 2, 0, 0)],
        seed=2,
    ),
    "sparse-planes-encaps": SlideSpec(
        width=450,
        height=350,
        tile=128,
        tiling=TILED_SPARSE,
        focal_planes=3,
        optical_paths=2,
        shuffle=True,
        missing=0.25,
        transfer_syntax=ENCAPSULATED_UNCOMPRESSED,
        seed=9,
    ),
    "sparse-mosaic": SlideSpec(
        width=2000,
        height=1300,
        tile=256,
        tiling=TILED_SPARSE,
        shuffle=True,
        missing=0.1,
        mosaic=6,
        transfer_syntax=DEFLATE,
        offset_table="empty",
        seed=5,
    ),
}
WSIDICOM_READS = {EXPLICIT, RLE, JPEG_BASELINE}  # wsidicom has no decoder for deflate or encapsulated uncompressed
SPARSE = [n for n, s in SPECS.items() if s.tiling == TILED_SPARSE]


ALL = list(SPECS)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Slide]:
    root = tmp_path_factory.mktemp("reader-slides")
    out = {}
    for name, spec in SPECS.items():
        (root / name).mkdir()
        out[name] = write_slide(root / name / "level0.dcm", spec)
    return out


@pytest.fixture(scope="module")
def wsi(written: dict[str, Slide]) -> Iterator[dict[str, Any]]:
    logging.getLogger("wsidicom").setLevel(logging.ERROR)
    opened = {
        n: wsidicom.WsiDicom.open(s.path.parent) for n, s in written.items() if s.spec.transfer_syntax in WSIDICOM_READS
    }
    yield opened
    for w in opened.values():
        w.close()


def inside(spec: SlideSpec) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Regions within the total pixel matrix (wsidicom reads them too)."""
    (tw, th), w, h = spec.tile_size, spec.width, spec.height
    return [
        ((0, 0), (w, h)),
        ((0, 0), (1, 1)),
        ((w - 1, h - 1), (1, 1)),
        ((w - tw - 37, h - th - 23), (tw + 37, th + 23)),  # the partial bottom-right tiles and their neighbours
        ((tw - 50, th - 40), (100, 80)),  # across four tiles
        ((0, th + 3), (w, 5)),  # a strip across every column of tiles
        ((2 * tw - 1, 0), (2, h)),  # down every row of tiles, across a tile boundary
        ((w - 3, 0), (3, h)),  # the right edge
        ((tw, th), (tw, th)),  # exactly one tile
    ]


def outside(spec: SlideSpec) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Regions that reach past the total pixel matrix (filled), and empty ones."""
    w, h = spec.width, spec.height
    return [
        ((-20, -10), (100, 80)),
        ((w - 50, h - 30), (100, 100)),
        ((w + 5, 0), (10, 10)),
        ((-5, -5), (w + 10, h + 10)),
        ((5, 5), (0, 0)),
        ((5, 5), (7, 0)),
    ]


def planes(spec: SlideSpec) -> list[tuple[int, int]]:
    return [(f, p) for f in range(spec.focal_planes) for p in range(spec.optical_paths)]


# -------------------------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("name", ALL)
def test_tile_positions_focal_planes_and_optical_paths(written: dict[str, Slide], name: str) -> None:
    s = written[name]
    with fc.FrameReader(s.path) as r:
        assert len(r) == s.number_of_frames
        assert r.tile_positions.dtype == np.int64
        assert np.array_equal(r.tile_positions, s.positions)
        geo = r.geometry
        assert geo.dimension_organization == s.spec.tiling
        assert (geo.total_columns, geo.total_rows) == (s.spec.width, s.spec.height)
        assert np.array_equal(geo.focal_planes, s.planes[:, 0])
        assert np.array_equal(geo.optical_paths, s.planes[:, 1])
        assert list(geo.optical_path_identifiers) == s.optical_path_ids
        assert len(geo.focal_plane_z) == s.spec.focal_planes
        if s.spec.tiling == TILED_SPARSE:  # sorted Z offsets as the frames state them (um)
            assert list(geo.focal_plane_z) == s.z_um
            assert not np.array_equal(s.positions, np.unique(s.positions, axis=0))  # shuffled: not sorted


def test_the_sparse_slides_can_catch_ordering_mistakes(written: dict[str, Slide]) -> None:
    """In some sparse slide the frames name focal planes and optical paths first in an order that is not theirs,
    and the Optical Path Identifiers ("2", "1") are in neither sorted nor numeric order: a reader that numbers
    planes or paths by first appearance, sorts the identifiers, or reads them as numbers fails."""
    sparse = [written[n] for n in SPARSE if written[n].spec.optical_paths > 1]
    assert sparse
    for k in (0, 1):  # focal planes, optical paths
        assert any(list(dict.fromkeys(s.planes[:, k].tolist())) != sorted(set(s.planes[:, k].tolist())) for s in sparse)
    for s in sparse:
        assert s.optical_path_ids != sorted(s.optical_path_ids)
        n = len(s.optical_path_ids)
        assert s.optical_path_ids not in ([str(p) for p in range(n)], [str(p + 1) for p in range(n)])


@pytest.mark.parametrize("name", ["full-rgb", "full-planes-mono", "full-planes-deflate"])
def test_tiled_full_positions_as_highdicom_computes_them(written: dict[str, Slide], name: str) -> None:
    from highdicom.spatial import iter_tiled_full_frame_data

    s = written[name]
    frames = list(iter_tiled_full_frame_data(pydicom.dcmread(s.path, stop_before_pixels=True)))
    with fc.FrameReader(s.path) as r:
        geo = r.geometry
        got = np.column_stack([r.tile_positions + 1, geo.focal_planes + 1, geo.optical_paths + 1])
    assert np.array_equal(got, [(col, row, plane, path) for path, plane, col, row, *_ in frames])


def test_sparse_positions_as_pydicom_reads_them(written: dict[str, Slide]) -> None:
    s = written["sparse-planes-encaps"]
    ds = pydicom.dcmread(s.path, stop_before_pixels=True)
    expected = []
    for item in ds.PerFrameFunctionalGroupsSequence:
        pos = item.PlanePositionSlideSequence[0]
        expected.append(
            (
                pos.ColumnPositionInTotalImagePixelMatrix - 1,
                pos.RowPositionInTotalImagePixelMatrix - 1,
                float(pos.ZOffsetInSlideCoordinateSystem),
                item.OpticalPathIdentificationSequence[0].OpticalPathIdentifier,
            )
        )
    with fc.FrameReader(s.path) as r:
        geo = r.geometry
        got = [
            (x, y, geo.focal_plane_z[f], geo.optical_path_identifiers[p])
            for (x, y), f, p in zip(r.tile_positions.tolist(), geo.focal_planes, geo.optical_paths)
        ]
    assert got == expected


# ---------------------------------------------------------------------------------------------- frames


@pytest.mark.parametrize("name", [n for n in SPECS if SPECS[n].tiling == TILED_FULL] + ["sparse-rgb"])
def test_frames_are_the_tiles_written(written: dict[str, Slide], name: str) -> None:
    s = written[name]
    with fc.FrameReader(s.path) as r:
        everything = r.read()
        assert everything.shape == (s.number_of_frames, *s.frame(0).shape)
        for i in range(s.number_of_frames):
            assert np.array_equal(everything[i], s.frame(i)), i
        i = s.number_of_frames - 1
        assert np.array_equal(r[i], s.frame(i))
        if r.frame_table is not None:  # where the generator put each frame
            assert np.array_equal(r.frame_table.offsets.astype(np.int64), s.frame_offsets)


# --------------------------------------------------------------------------------------------- regions


@pytest.mark.parametrize("name", ALL)
def test_read_region_equals_wsidicom_and_the_reference(
    written: dict[str, Slide], wsi: dict[str, Any], name: str
) -> None:
    s = written[name]
    with fc.FrameReader(s.path) as r:
        for f, p in planes(s.spec):
            for location, size in inside(s.spec):
                got = r.read_region(location, size, focal_plane=f, optical_path=p)
                expected = s.region(location, size, f, p)
                assert got.dtype == np.uint8 and got.shape == expected.shape, (location, size, f, p)
                assert np.array_equal(got, expected), (location, size, f, p)
                if name in wsi:
                    assert np.array_equal(got, wsidicom_region(wsi[name], location, size, f, p)), (location, size, f, p)


@pytest.mark.parametrize("name", ALL)
def test_read_region_past_the_matrix_is_filled(written: dict[str, Slide], name: str) -> None:
    s = written[name]
    f, p = planes(s.spec)[-1]
    with fc.FrameReader(s.path) as r:
        for location, size in outside(s.spec):
            expected = s.region(location, size, f, p)
            got = r.read_region(location, size, focal_plane=f, optical_path=p)
            assert got.shape == expected.shape and np.array_equal(got, expected), (location, size)


@pytest.mark.parametrize("name", ["sparse-rgb", "sparse-mono"])
def test_missing_tiles_take_the_fill(written: dict[str, Slide], name: str) -> None:
    s = written[name]
    spec = s.spec
    fill = (1, 2, 3) if spec.samples == 3 else 77
    with fc.FrameReader(s.path) as r:
        for f, p, ty, tx in np.argwhere(~s.present)[:4].tolist():
            (tw, th) = spec.tile_size
            region = r.read_region(
                (tx * tw - 5, ty * th - 5), (tw + 10, th + 10), focal_plane=f, optical_path=p, fill=fill
            )
            hole = region[5 : 5 + min(th, spec.height - ty * th), 5 : 5 + min(tw, spec.width - tx * tw)]
            assert (hole == np.asarray(fill, np.uint8)).all()
            expected = s.region((tx * tw - 5, ty * th - 5), (tw + 10, th + 10), f, p)
            frame_pixels = np.any(expected != s.fill, axis=-1) if spec.samples == 3 else expected != s.fill
            assert np.array_equal(region[frame_pixels], expected[frame_pixels])  # the neighbours' pixels


@pytest.mark.parametrize("name", ["sparse-mosaic", "full-planes-deflate"])
def test_read_region_threads(written: dict[str, Slide], name: str) -> None:
    s = written[name]
    spec = s.spec
    location, size = (17, 9), (spec.width - 30, spec.height - 20)
    expected = s.region(location, size, *planes(spec)[-1])
    with fc.FrameReader(s.path, threads=4) as r:
        for threads in (1, 3, None):
            got = r.read_region(
                location, size, focal_plane=planes(spec)[-1][0], optical_path=planes(spec)[-1][1], threads=threads
            )
            assert np.array_equal(got, expected), threads


def test_read_region_of_jpeg_equals_pillow_and_wsidicom(tmp_path: Path) -> None:
    """JPEG Baseline tiles decoded by libjpeg-turbo in the engine: the region is Pillow's decoded tiles (the same
    library and settings), stitched, and wsidicom's region (libjpeg-turbo too, through imagecodecs or Pillow)."""
    from PIL import Image

    s = write_slide(tmp_path / "s.dcm", SlideSpec(width=700, height=450, tile=256, transfer_syntax=JPEG_BASELINE))
    ds = pydicom.dcmread(s.path)
    n = int(ds.NumberOfFrames)
    tiles = [
        np.asarray(Image.open(io.BytesIO(get_frame(ds.PixelData, i, number_of_frames=n))).convert("RGB"))
        for i in range(n)
    ]
    (tw, th), (nx, ny) = s.spec.tile_size, s.spec.tiled
    mosaic = np.zeros((ny * th, nx * tw, 3), np.uint8)
    for i, (x, y) in enumerate(s.positions.tolist()):
        mosaic[y : y + th, x : x + tw] = tiles[i]
    with fc.FrameReader(s.path) as r:
        got = r.read_region((100, 50), (500, 390))
    assert np.array_equal(got, mosaic[50:440, 100:600])
    assert np.array_equal(got, wsidicom_region(tmp_path, (100, 50), (500, 390)))


# ----------------------------------------------------------------------------- Pixel Data past 4 GiB


def big_eot_skip_reason(folder: Path) -> str | None:
    free = slides.free_bytes(folder)
    if free < 10 << 30:
        return f"needs about 10 GB free for a 4.5 GB sparse slide (it takes ~8 MB of disk), {free / 1e9:.1f} GB free"
    if not slides.sparse_files_supported(folder):
        return f"the file system of {folder} does not make sparse files: the 4.5 GB slide would take 4.5 GB of disk"
    return None


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slide]:
    folder = tmp_path_factory.mktemp("big-eot")
    reason = big_eot_skip_reason(folder)
    if reason:
        pytest.skip(reason)
    s = write_big_eot_slide_checked(folder / "big.dcm")
    yield s
    s.path.unlink(missing_ok=True)


def write_big_eot_slide_checked(path: Path) -> Slide:
    s = slides.write_big_eot_slide(path)
    assert s.path.stat().st_size > 1 << 32
    assert s.path.stat().st_blocks * 512 < 256 << 20  # sparse: holes, not zeros on disk
    return s


def test_frames_past_4_gib_through_the_extended_offset_table(big: Slide) -> None:
    s = big
    past = np.flatnonzero(s.frame_offsets > 0xFFFFFFFF)
    assert len(past) >= 10 and past[-1] == s.number_of_frames - 1
    ds = pydicom.dcmread(s.path, stop_before_pixels=True)
    loc = fc.encaps.locate_pixel_data(str(s.path))
    with fc.FrameReader(s.path) as r, open(s.path, "rb") as f:
        assert r.transfer_syntax == ENCAPSULATED_UNCOMPRESSED
        table = r.frame_table
        assert table is not None and table.source == "extended"
        assert int(table.offsets[-1]) > 1 << 32
        assert np.array_equal(table.offsets.astype(np.int64), s.frame_offsets)
        for i in [0, int(past[0]) - 1, int(past[0]), int(past[len(past) // 2]), s.number_of_frames - 1]:
            f.seek(loc.offset)  # pydicom reads the frame through the Extended Offset Table, from the file
            theirs = get_frame(
                f,
                i,
                number_of_frames=s.number_of_frames,
                extended_offsets=(ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths),
            )
            assert bytes(r.raw(i)) == theirs, i
            frame = r[i]
            assert frame.shape == (2048, 2048, 3)
            assert np.array_equal(frame, s.frame(i)), i
            assert np.array_equal(frame.reshape(-1), np.frombuffer(theirs, np.uint8)), i
        assert np.array_equal(r[[int(past[-1]), 0]], np.stack([s.frame(int(past[-1])), s.frame(0)]))


def test_regions_past_4_gib(big: Slide) -> None:
    s = big
    spec = s.spec
    tw, th = spec.tile_size
    nx, ny = spec.tiled
    # the last two columns of tiles, a whole row of tiles below 4 GiB and the top of the last row past it
    corner = ((nx - 1) * tw - 100, (ny - 2) * th)
    with fc.FrameReader(s.path) as r:
        for location, size in [(corner, (300, th + 300)), ((spec.width - 100, spec.height - 100), (200, 200))]:
            expected = s.region(location, size)
            got = r.read_region(location, size)
            assert np.array_equal(got, expected), (location, size)
            assert (got != 0).any() and (got != 255).any()  # the frames' signatures and the fill are in there
