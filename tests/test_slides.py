"""The whole-slide generator (framecodec._synthetic.slides) against independent readers: wsidicom opens its files as
real slides and reads the reference's regions, pydicom (and zlib) decode its frames to the tiles written,
pydicom and highdicom read its geometry. These make the generator a trustworthy reference for
``FrameReader`` (tests/test_reader_slides.py)."""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.encaps import generate_frames, get_frame
from pydicom.pixels import pixel_array as pydicom_pixel_array

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
highdicom = pytest.importorskip("highdicom")

# The slides of these tests: partial edge tiles everywhere (no size is a multiple of the tile size),
# square and non-square tiles, both tilings, several focal planes and optical paths, RGB and MONOCHROME2,
# the three offset tables, and the transfer syntaxes wsidicom decodes (native, RLE, JPEG Baseline).
SPECS = {
    "full-rgb": SlideSpec(width=1000, height=700, tile=256, tiling=TILED_FULL, transfer_syntax=EXPLICIT),
    "full-planes-mono": SlideSpec(
        width=600,
        height=330,
        tile=(128, 96),
        tiling=TILED_FULL,
        focal_planes=2,
        optical_paths=3,
        samples=1,
        transfer_syntax=RLE,
        offset_table="empty",
        seed=3,
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
    "sparse-shuffled": SlideSpec(
        width=520, height=390, tile=128, tiling=TILED_SPARSE, shuffle=True, transfer_syntax=RLE, seed=4
    ),  # no missing tile: highdicom reads it whole
    "mosaic": SlideSpec(
        width=2000, height=1300, tile=256, tiling=TILED_SPARSE, shuffle=True, missing=0.1, mosaic=6, seed=5
    ),
}
JPEG = SlideSpec(width=700, height=450, tile=256, tiling=TILED_FULL, transfer_syntax=JPEG_BASELINE, seed=6)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Slide]:
    """Each slide in a folder of its own, as wsidicom opens a slide (a folder of instances)."""
    root = tmp_path_factory.mktemp("slides")
    out = {}
    for name, spec in {**SPECS, "jpeg": JPEG}.items():
        (root / name).mkdir()
        out[name] = write_slide(root / name / "level0.dcm", spec)
    return out


@pytest.fixture(scope="module")
def opened(written: dict[str, Slide]) -> Iterator[dict[str, Any]]:
    logging.getLogger("wsidicom").setLevel(logging.ERROR)  # no warnings about the synthetic metadata
    wsis = {name: wsidicom.WsiDicom.open(s.path.parent) for name, s in written.items()}
    yield wsis
    for w in wsis.values():
        w.close()


def regions(spec: SlideSpec) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The whole image, its corners, edge tiles, and regions across tile boundaries."""
    (tw, th), w, h = spec.tile_size, spec.width, spec.height
    return [
        ((0, 0), (w, h)),
        ((0, 0), (1, 1)),
        ((w - 1, h - 1), (1, 1)),
        ((w - tw - 37, h - th - 23), (tw + 37, th + 23)),  # the partial bottom-right tiles and their neighbours
        ((tw - 50, th - 40), (100, 80)),  # across four tiles
        ((0, th + 3), (w, 5)),  # a strip across every column of tiles
        ((2 * tw - 1, 0), (2, h)),  # a strip down every row of tiles, across a tile boundary
        ((w - 3, 0), (3, h)),  # the right edge
    ]


def planes(spec: SlideSpec) -> list[tuple[int, int]]:
    return [(f, p) for f in range(spec.focal_planes) for p in range(spec.optical_paths)]


# ----------------------------------------------------------------------------------------- the reference


@pytest.mark.parametrize("name", list(SPECS))
def test_reference_is_not_trivial(written: dict[str, Slide], name: str) -> None:
    """The reference can tell mistakes apart: planes differ, sparse slides miss tiles and are shuffled, regions
    of missing tiles are blank and present tiles are not."""
    s = written[name]
    spec = s.spec
    nx, ny = spec.tiled
    assert spec.width % spec.tile_size[0] and spec.height % spec.tile_size[1]  # partial edge tiles
    total = s.total if spec.mosaic is None else None
    if total is not None:
        for a, b in zip(planes(spec), planes(spec)[1:]):
            assert (total[a] != total[b]).mean() > 0.5
    if spec.tiling == TILED_SPARSE:
        assert s.number_of_frames == int(s.present.sum())
        full_order = [
            (f, p, ty, tx)
            for p in range(spec.optical_paths)
            for f in range(spec.focal_planes)
            for ty in range(ny)
            for tx in range(nx)
        ]
        written_order = [
            (int(f), int(p), int(y) // spec.tile_size[1], int(x) // spec.tile_size[0])
            for (x, y), (f, p) in zip(s.positions, s.planes)
        ]
        assert written_order != [t for t in full_order if s.present[t]]  # shuffled
        assert sorted(written_order) == sorted(t for t in full_order if s.present[t])
    if name in ("sparse-rgb", "sparse-mono", "mosaic"):
        assert (~s.present).any()
        f, p, ty, tx = (int(v) for v in np.argwhere(~s.present)[0])
        tw, th = spec.tile_size
        region = s.region((tx * tw, ty * th), (tw, th), f, p)
        visible = region[: spec.height - ty * th, : spec.width - tx * tw]
        assert (visible == s.fill).all()
        assert (s.region((0, 0), (tw, th), 0, 0) != s.fill).any()  # the first tile is always written


# -------------------------------------------------------------------------------------------- wsidicom


@pytest.mark.parametrize("name", [*SPECS, "jpeg"])
def test_wsidicom_opens_a_whole_slide(written: dict[str, Slide], opened: dict[str, Any], name: str) -> None:
    s, wsi = written[name], opened[name]
    spec = s.spec
    level = wsi.levels.base_level
    assert len(wsi.levels.levels) == 1
    assert (wsi.size.width, wsi.size.height) == (spec.width, spec.height)
    assert (level.tile_size.width, level.tile_size.height) == spec.tile_size
    assert level.focal_planes == s.z_um
    assert sorted(level.optical_paths) == sorted(s.optical_path_ids)
    instance = level.default_instance
    assert instance.dataset.tile_type.value == spec.tiling
    assert instance.dataset.frame_count == s.number_of_frames


@pytest.mark.parametrize("name", list(SPECS))
def test_wsidicom_regions_equal_the_reference(written: dict[str, Slide], opened: dict[str, Any], name: str) -> None:
    s = written[name]
    for f, p in planes(s.spec):
        for location, size in regions(s.spec):
            expected = s.region(location, size, f, p)
            got = wsidicom_region(opened[name], location, size, focal_plane=f, optical_path=p)
            assert got.dtype == np.uint8 and got.shape == expected.shape, (location, size, f, p)
            assert np.array_equal(got, expected), (location, size, f, p)
            if s.spec.mosaic is None:
                (x, y), (w, h) = location, size
                assert np.array_equal(expected, s.total[f, p, y : y + h, x : x + w])


def test_wsidicom_region_helper_opens_a_folder(written: dict[str, Slide]) -> None:
    s = written["sparse-rgb"]
    got = wsidicom_region(s.path.parent, (100, 50), (300, 200), focal_plane=1, optical_path=1)
    assert np.array_equal(got, s.total[1, 1, 50:250, 100:400])


def test_wsidicom_refuses_regions_outside_the_matrix(opened: dict[str, Any], written: dict[str, Slide]) -> None:
    """wsidicom does not pad: a region must lie inside the total pixel matrix (what FrameReader fills, it refuses)."""
    spec = written["full-rgb"].spec
    with pytest.raises(wsidicom.errors.WsiDicomOutOfBoundsError):
        wsidicom_region(opened["full-rgb"], (spec.width - 10, 0), (11, 1))


def test_wsidicom_reads_jpeg_as_pydicom_decodes_it(written: dict[str, Slide], opened: dict[str, Any]) -> None:
    """JPEG Baseline (YBR_FULL_422) is lossy: the reference is the frames as pydicom decodes them (Pillow),
    stitched; wsidicom decodes with imagecodecs (libjpeg-turbo)."""
    s = written["jpeg"]
    spec = s.spec
    assert s.lossy
    tiles = pydicom_pixel_array(s.path, decoding_plugin="pillow")  # RGB; named: framecodec's plugin goes first
    (tw, th), (nx, ny) = spec.tile_size, spec.tiled
    mosaic = np.zeros((ny * th, nx * tw, 3), np.uint8)
    for i, (x, y) in enumerate(s.positions.tolist()):
        mosaic[y : y + th, x : x + tw] = tiles[i]
    whole = wsidicom_region(opened["jpeg"], (0, 0), (spec.width, spec.height))
    diff = np.abs(whole.astype(int) - mosaic[: spec.height, : spec.width])
    assert diff.max() <= 2, diff.max()  # two JPEG decoders' rounding, no more
    original = np.abs(whole.astype(int) - s.total[0, 0])
    assert 0 < original.mean() < 4  # lossy, but the same image


# ------------------------------------------------------------------------------------- pydicom, highdicom


def decode_frames(s: Slide) -> np.ndarray:
    """The frames of a lossless slide decoded by pydicom with its own decoders (not framecodec's plugins), or by
    zlib and numpy from pydicom's encapsulation where pydicom 3.0 has no decoder."""
    ds = pydicom.dcmread(s.path)
    ts = s.spec.transfer_syntax
    shape = (s.number_of_frames, *s.frame(0).shape)
    if ts == EXPLICIT:
        return pydicom_pixel_array(ds).reshape(shape)
    if ts == RLE:
        return pydicom_pixel_array(ds, decoding_plugin="pydicom").reshape(shape)
    frames = list(generate_frames(ds.PixelData, number_of_frames=s.number_of_frames))
    if ts == DEFLATE:
        frames = [zlib.decompressobj(-15).decompress(f) for f in frames]
    assert ts in (DEFLATE, ENCAPSULATED_UNCOMPRESSED)
    size = int(np.prod(shape[1:]))
    return np.stack([np.frombuffer(f[:size], np.uint8) for f in frames]).reshape(shape)


@pytest.mark.parametrize(
    "spec",
    [
        *SPECS.values(),
        SPECS["full-rgb"].but(transfer_syntax=DEFLATE, offset_table="extended"),
        SPECS["sparse-mono"].but(transfer_syntax=DEFLATE, offset_table="empty"),
        SPECS["full-planes-mono"].but(transfer_syntax=ENCAPSULATED_UNCOMPRESSED, offset_table="basic"),
        SPECS["sparse-rgb"].but(transfer_syntax=ENCAPSULATED_UNCOMPRESSED),
        SPECS["sparse-rgb"].but(transfer_syntax=EXPLICIT, samples=1),
        SlideSpec(width=600, height=400, tile=(255, 171), transfer_syntax=EXPLICIT),  # odd frames, padded value
        SlideSpec(width=600, height=400, tile=(255, 171), transfer_syntax=ENCAPSULATED_UNCOMPRESSED),  # odd fragments
    ],
    ids=lambda s: f"{s.tiling}-{slides.SYNTAX_NAMES[s.transfer_syntax]}-{s.offset_table}-{s.samples}",
)
def test_pydicom_decodes_the_tiles_written(tmp_path: Path, spec: SlideSpec) -> None:
    s = write_slide(tmp_path / "s.dcm", spec)
    got = decode_frames(s)
    assert got.shape[0] == s.number_of_frames > 1
    for i in range(s.number_of_frames):
        assert np.array_equal(got[i], s.frame(i)), i
    data = s.path.read_bytes()
    if spec.encapsulated:  # Slide.frame_offsets: each frame's first byte, past its item header
        frames = list(generate_frames(pydicom.dcmread(s.path).PixelData, number_of_frames=s.number_of_frames))
        for i in range(s.number_of_frames):
            o = int(s.frame_offsets[i])
            assert data[o - 8 : o - 4] == b"\xfe\xff\x00\xe0" and data[o : o + len(frames[i])] == frames[i], i
    else:
        size = s.frame(0).nbytes
        for i in range(s.number_of_frames):
            o = int(s.frame_offsets[i])
            assert data[o : o + size] == np.ascontiguousarray(s.frame(i)).tobytes(), i
    ds = pydicom.dcmread(s.path, stop_before_pixels=True)
    assert ds.SOPClassUID == slides.WSI_SOP_CLASS == ds.file_meta.MediaStorageSOPClassUID
    assert ds.file_meta.TransferSyntaxUID == spec.transfer_syntax
    assert (ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows) == (spec.width, spec.height)
    assert (ds.Columns, ds.Rows) == spec.tile_size
    assert ds.NumberOfFrames == s.number_of_frames
    if spec.encapsulated:
        full = pydicom.dcmread(s.path)
        has_eot = "ExtendedOffsetTable" in full
        assert has_eot == (spec.offset_table == "extended")
        bot_length = struct.unpack("<I", full.PixelData[4:8])[0]
        assert bot_length == (4 * s.number_of_frames if spec.offset_table == "basic" else 0)
        if has_eot:  # pydicom follows the Extended Offset Table to the last frame
            last = get_frame(
                full.PixelData,
                s.number_of_frames - 1,
                number_of_frames=s.number_of_frames,
                extended_offsets=(full.ExtendedOffsetTable, full.ExtendedOffsetTableLengths),
            )
            assert last[:16] == list(generate_frames(full.PixelData, number_of_frames=s.number_of_frames))[-1][:16]


@pytest.mark.parametrize("name", ["sparse-rgb", "sparse-mono", "mosaic"])
def test_per_frame_functional_groups_as_pydicom_reads_them(written: dict[str, Slide], name: str) -> None:
    """The hand-encoded Per-Frame Functional Groups Sequence: positions 1-based, Z offsets, optical paths and
    dimension indices as pydicom parses them; X/Y offsets as highdicom computes them for the same geometry."""
    from highdicom.utils import compute_plane_position_tiled_full

    s = written[name]
    spec = s.spec
    ds = pydicom.dcmread(s.path, stop_before_pixels=True)
    pffg = ds.PerFrameFunctionalGroupsSequence
    assert len(pffg) == s.number_of_frames
    (tw, th) = spec.tile_size
    for i, item in enumerate(pffg):
        pos = item.PlanePositionSlideSequence[0]
        (x, y), (f, p) = s.positions[i].tolist(), s.planes[i].tolist()
        assert (pos.ColumnPositionInTotalImagePixelMatrix, pos.RowPositionInTotalImagePixelMatrix) == (x + 1, y + 1)
        assert float(pos.ZOffsetInSlideCoordinateSystem) == s.z_um[f]
        if spec.optical_paths > 1:
            assert item.OpticalPathIdentificationSequence[0].OpticalPathIdentifier == s.optical_path_ids[p]
        index = [x // tw + 1, y // th + 1] + [f + 1] * (spec.focal_planes > 1) + [p + 1] * (spec.optical_paths > 1)
        assert list(np.atleast_1d(item.FrameContentSequence[0].DimensionIndexValues)) == index
        if i < 20:
            ref = compute_plane_position_tiled_full(
                row_index=y // th + 1,
                column_index=x // tw + 1,
                x_offset=ds.TotalPixelMatrixOriginSequence[0].XOffsetInSlideCoordinateSystem,
                y_offset=ds.TotalPixelMatrixOriginSequence[0].YOffsetInSlideCoordinateSystem,
                rows=th,
                columns=tw,
                image_orientation=[float(v) for v in ds.ImageOrientationSlide],
                pixel_spacing=[
                    float(v) for v in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing
                ],
            )[0]
            assert float(pos.XOffsetInSlideCoordinateSystem) == pytest.approx(float(ref.XOffsetInSlideCoordinateSystem))
            assert float(pos.YOffsetInSlideCoordinateSystem) == pytest.approx(float(ref.YOffsetInSlideCoordinateSystem))


@pytest.mark.parametrize("name", ["full-rgb", "full-planes-mono"])
def test_tiled_full_frame_order_as_highdicom_computes_it(written: dict[str, Slide], name: str) -> None:
    """PS3.3 C.7.6.17.3's order (along a row, rows, focal planes, optical paths), from highdicom."""
    from highdicom.spatial import iter_tiled_full_frame_data

    s = written[name]
    ds = pydicom.dcmread(s.path, stop_before_pixels=True)
    frames = list(iter_tiled_full_frame_data(ds))
    assert len(frames) == s.number_of_frames
    got = np.array([(col - 1, row - 1, plane - 1, path - 1) for path, plane, col, row, *_ in frames])
    assert np.array_equal(got[:, :2], s.positions)
    assert np.array_equal(got[:, 2:], s.planes)


@pytest.mark.parametrize("name", ["full-rgb", "sparse-shuffled"])
def test_highdicom_total_pixel_matrix(written: dict[str, Slide], name: str) -> None:
    """highdicom stitches one focal plane and optical path without missing tiles (it refuses missing ones)."""
    s = written[name]
    image = highdicom.imread(s.path)
    got = image.get_total_pixel_matrix(dtype=np.uint8, apply_icc_profile=False)  # the stored values
    assert np.array_equal(got, s.total[0, 0])
    part = image.get_total_pixel_matrix(
        row_start=101, row_end=201, column_start=51, column_end=351, dtype=np.uint8, apply_icc_profile=False
    )
    assert np.array_equal(part, s.total[0, 0, 100:200, 50:350])


# ----------------------------------------------------------------------------------------------- writing


def test_written_through_a_temporary_name(tmp_path: Path) -> None:
    spec = SlideSpec(width=300, height=200, tile=128)
    first = write_slide(tmp_path / "s.dcm", spec)
    before = first.path.read_bytes()
    second = write_slide(tmp_path / "s.dcm", spec.but(seed=9))  # replaces the file whole
    assert second.path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.dcm"]
    with pytest.raises(ValueError, match="offset_table"):
        write_slide(tmp_path / "t.dcm", spec.but(transfer_syntax=RLE, offset_table="bogus"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.dcm"]  # nothing half-written left behind
    assert np.array_equal(pydicom_pixel_array(second.path)[0], second.frame(0))


def test_a_huge_basic_offset_table_is_refused() -> None:
    """Offsets past 2**32 - 1 do not fit a Basic Offset Table: the writer says so instead of wrapping."""
    spec = SlideSpec(width=256, height=256, tile=256, transfer_syntax=RLE)
    with open(os.devnull, "wb") as f, pytest.raises(ValueError, match="Basic Offset Table cannot address"):
        slides._pixel_data_items(f, [b"\0" * 2**20], np.zeros(5000, np.int64), spec)


def test_tissue_tiles_given_by_the_caller(tmp_path: Path) -> None:
    """``SlideSpec.tissue_tiles``: a mosaic's tissue tiles are the caller's (the benchmarks' real-image crops),
    as pydicom decodes them; the background tiles stay near-white; a wrong shape or a whole-image slide is
    refused."""
    rng = np.random.default_rng(4)
    given = rng.integers(0, 256, (3, 64, 96, 3), dtype=np.uint8)
    asked: list[tuple[int, int, int]] = []

    def source(count: int, columns: int, rows: int) -> np.ndarray:
        asked.append((count, columns, rows))
        return given[:count]

    spec = SlideSpec(width=500, height=300, tile=(96, 64), transfer_syntax=DEFLATE, mosaic=6, tissue=0.5)
    s = write_slide(tmp_path / "s.dcm", spec.but(tissue_tiles=source))
    assert asked == [(3, 96, 64)]
    got = pydicom_pixel_array(s.path)
    tissue = background = 0
    for i in range(s.number_of_frames):
        assert np.array_equal(got[i], s.frame(i)), i
        match = [j for j in range(3) if np.array_equal(got[i], given[j])]
        tissue += bool(match)
        background += not match and int(got[i].min()) >= 241 and int(got[i].max()) <= 243
    assert tissue and background and tissue + background == s.number_of_frames
    with pytest.raises(ValueError, match="tissue_tiles"):
        write_slide(tmp_path / "t.dcm", spec.but(tissue_tiles=lambda c, w, h: given[:c, :, :64]))
    with pytest.raises(ValueError, match="needs a mosaic"):
        write_slide(tmp_path / "u.dcm", spec.but(mosaic=None, tissue_tiles=source))
