"""FrameReader: random access equals pydicom's full decode, for every transfer syntax and layout; raw
codestreams; iteration; many threads at once; close() while frames and views are alive; TILED_FULL geometry
and read_region against slicing the total pixel matrix.

Expected arrays come from pydicom (tests/datasets.py builds the files without framecodec), never from
framecodec itself.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.encaps import generate_frames

import framecodec as fc
from conftest import by_backend
from datasets import (
    DEFLATE,
    ENCAPSULATED,
    EXPLICIT,
    IMPLICIT,
    NAMES,
    RLE,
    Layout,
    assert_identical,
    dataset,
    make_pixels,
    reference,
    save,
)

SYNTAXES = [EXPLICIT, IMPLICIT] + ENCAPSULATED
LAYOUTS = {
    "grey8": Layout(5, 7, frames=6),
    "bits1-5x7": Layout(5, 7, bits=1, frames=5),  # frames off byte boundaries in native data
    "rgb8-planar": Layout(4, 6, samples=3, planar=1, frames=4),
    "ybr": Layout(4, 6, samples=3, photometric="YBR_FULL", frames=3),
    "int16-stored12": Layout(6, 5, bits=16, stored=12, signed=True, frames=4),
    "single": Layout(6, 5),
}


def write(tmp_path: Path, layout: Layout, ts: str, name: str = "f.dcm") -> tuple[Path, Any]:
    arr = make_pixels(layout)
    path = save(dataset(arr, layout, ts), tmp_path / name)
    return Path(path), reference(path)


@pytest.mark.parametrize("ts", by_backend(SYNTAXES, [NAMES[t] for t in SYNTAXES]))
@pytest.mark.parametrize("name", LAYOUTS)
def test_random_access_equals_full_decode(tmp_path: Path, ts: str, name: str) -> None:
    layout = LAYOUTS[name]
    path, ref = write(tmp_path, layout, ts)
    with fc.FrameReader(path) as r:
        n = layout.frames
        assert len(r) == n and r.shape == ref.shape[-len(r.shape) :] and r.dtype == ref.dtype
        assert r.transfer_syntax == ts
        assert_identical(r.read(), ref)
        frames = ref if n > 1 else ref[None]
        for i in [0, n - 1, -1, n // 2]:
            assert_identical(r[i], frames[i])
        assert_identical(r[1:], frames[1:])
        assert_identical(r[[n - 1, 0, n - 1]], frames[[n - 1, 0, n - 1]])
        assert_identical(r.read(np.array([0]), threads=1), frames[[0]])
        assert_identical(r.read(raw=True), reference(path, raw=True))
        assert_identical(np.stack(list(r)), frames)
        out = np.empty(frames[: min(2, n)].shape, frames.dtype)
        assert r.read(slice(0, min(2, n)), out=out) is out
        assert_identical(out, frames[: min(2, n)])
        with pytest.raises(IndexError):
            r[n]


@pytest.mark.parametrize("ts", [RLE, DEFLATE, EXPLICIT], ids=["rle", "deflate", "explicit"])
def test_raw_codestreams(tmp_path: Path, ts: str) -> None:
    layout = Layout(4, 6, samples=3, frames=3)
    path, _ = write(tmp_path, layout, ts)
    ds = pydicom.dcmread(path)
    with fc.FrameReader(path) as r:
        if ts == EXPLICIT:
            size = 4 * 6 * 3
            expected = [ds.PixelData[i * size : (i + 1) * size] for i in range(3)]
        else:
            expected = list(generate_frames(ds.PixelData, number_of_frames=3))
        views = [r.raw(i) for i in range(3)]
    # the reader is closed; the views it returned still read the file
    assert [bytes(v) for v in views] == [bytes(e) for e in expected]
    assert all(isinstance(v, memoryview) for v in views)


def test_raw_of_native_bits_off_a_byte_boundary(tmp_path: Path) -> None:
    path, ref = write(tmp_path, Layout(5, 7, bits=1, frames=3), EXPLICIT)
    with fc.FrameReader(path) as r:
        assert bytes(r.raw(0)) == pydicom.dcmread(path).PixelData[:5]  # 35 bits in 5 bytes
        with pytest.raises(ValueError, match="starts at bit 3"):
            r.raw(1)
        assert_identical(r[1], ref[1])


def test_jpeg_frames_raw(tmp_path: Path) -> None:
    """raw() gives each frame's JPEG codestream, as pydicom finds it; the frames are libjpeg-turbo's, as Pillow's."""
    if shutil.which("dcmcjpeg") is None:
        pytest.skip("dcmcjpeg (DCMTK) is not installed: apt-get install dcmtk")
    layout = Layout(16, 20, samples=3, frames=3)
    src = save(dataset(make_pixels(layout), layout, EXPLICIT), tmp_path / "native.dcm")
    path = tmp_path / "jpeg.dcm"
    subprocess.run(["dcmcjpeg", "+eb", str(src), str(path)], check=True, capture_output=True)
    ds = pydicom.dcmread(path)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    with fc.FrameReader(path) as r:
        assert len(r) == n and r.frame_table is not None
        assert [bytes(r.raw(i)) for i in range(n)] == [
            bytes(f) for f in generate_frames(ds.PixelData, number_of_frames=n)
        ]
        # The references: Pillow's libjpeg-turbo decode of each codestream (RGB, and YCbCr kept with draft),
        # and pydicom's Pillow plugin named (pydicom 3.0.x converts YCbCr itself: 1 level apart at most).
        from PIL import Image

        def pillow(i: int, mode: str) -> npt.NDArray[np.uint8]:
            image = Image.open(io.BytesIO(bytes(r.raw(i))))
            if mode == "YCbCr":
                image.draft("YCbCr", image.size)
                return np.asarray(image)
            return np.asarray(image.convert(mode))

        ref = np.stack([pillow(i, "RGB") for i in range(n)])
        assert np.abs(ref.astype(int) - pydicom.pixels.pixel_array(path, decoding_plugin="pillow")).max() <= 1
        for i in range(n):
            assert_identical(r[i], ref[i])
        assert_identical(r[[2, 0]], ref[[2, 0]])
        raw = np.stack([pillow(i, "YCbCr") for i in range(n)])
        assert_identical(raw, pydicom.pixels.pixel_array(path, raw=True, decoding_plugin="pillow"))
        assert_identical(r.read(raw=True), raw)


def test_threads_read_at_once(tmp_path: Path) -> None:
    layout = Layout(16, 16, samples=3, frames=64)
    path, ref = write(tmp_path, layout, DEFLATE)
    errors: list[BaseException] = []
    with fc.FrameReader(path) as r:

        def work(k: int) -> None:
            try:
                rng = np.random.default_rng(k)
                for _ in range(40):
                    idx = rng.integers(0, 64, rng.integers(1, 6))
                    np.testing.assert_array_equal(r[idx], ref[idx])
                    i = int(idx[0])
                    np.testing.assert_array_equal(r[i], ref[i])
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]


def test_close(tmp_path: Path) -> None:
    path, ref = write(tmp_path, Layout(5, 7, frames=3), RLE)
    r = fc.FrameReader(path)
    frame, view = r[1], r.raw(2)
    r.close()
    r.close()  # twice is harmless
    assert r.closed and "closed" in repr(r)
    assert_identical(frame, ref[1])
    assert len(bytes(view)) > 0
    for use in (lambda: r[0], lambda: r.raw(0), lambda: len(r), lambda: r.read()):
        with pytest.raises(ValueError, match="closed FrameReader"):
            use()


def test_dataset_is_read_when_asked(tmp_path: Path) -> None:
    path, _ = write(tmp_path, Layout(5, 7, frames=3), DEFLATE)
    with fc.FrameReader(path) as r:
        ds = r.dataset
        assert "PixelData" not in ds and ds.SOPInstanceUID == pydicom.dcmread(path).SOPInstanceUID


def test_bad_arguments(tmp_path: Path) -> None:
    path, _ = write(tmp_path, Layout(5, 7, frames=3), RLE)
    with pytest.raises(ValueError, match="threads"):
        fc.FrameReader(path, threads=0)
    with pytest.raises(FileNotFoundError):
        fc.FrameReader(tmp_path / "missing.dcm")
    with pytest.raises(OSError):
        fc.FrameReader(tmp_path)  # a directory
    with fc.FrameReader(path) as r:
        with pytest.raises(TypeError):
            r[0, 1]  # type: ignore[index]
        with pytest.raises(TypeError):
            r[1.0]  # type: ignore[index]


# --- TILED_FULL geometry ------------------------------------------------------------------------------


def tiled_full(
    tmp_path: Path, total: tuple[int, int], tile: tuple[int, int], planes: int = 1, paths: int = 1, ts: str = DEFLATE
) -> tuple[Path, np.ndarray]:
    """A TILED_FULL RGB image: the frames of `planes` x `paths` total pixel matrices, row by row of tiles
    (PS3.3 C.7.6.17.3); returns the path and the matrices (paths, planes, rows, columns, 3)."""
    (width, height), (tw, th) = total, tile
    across, down = -(-width // tw), -(-height // th)
    rng = np.random.default_rng(width * 7 + height)
    matrices = rng.integers(0, 256, (paths, planes, height, width, 3), dtype=np.uint8)
    padded = np.zeros((paths, planes, down * th, across * tw, 3), np.uint8)
    padded[:, :, :height, :width] = matrices
    tiles = padded.reshape(paths, planes, down, th, across, tw, 3).transpose(0, 1, 2, 4, 3, 5, 6).reshape(-1, th, tw, 3)
    layout = Layout(th, tw, samples=3, frames=len(tiles))
    ds = dataset(tiles, layout, ts)
    ds.DimensionOrganizationType = "TILED_FULL"
    ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows = width, height
    ds.TotalPixelMatrixFocalPlanes = planes
    ds.NumberOfOpticalPaths = paths
    return Path(save(ds, tmp_path / "full.dcm")), matrices


def test_tiled_full_positions_and_regions(tmp_path: Path) -> None:
    path, matrices = tiled_full(tmp_path, (70, 45), (16, 12), planes=2, paths=2)
    with fc.FrameReader(path) as r:
        geo = r.geometry
        assert geo.dimension_organization == "TILED_FULL" and (geo.total_columns, geo.total_rows) == (70, 45)
        across, down = 5, 4
        assert len(r.tile_positions) == across * down * 4
        assert r.tile_positions[:6].tolist() == [[0, 0], [16, 0], [32, 0], [48, 0], [64, 0], [0, 12]]
        assert geo.focal_planes[across * down] == 1 and geo.optical_paths[2 * across * down] == 1
        for p in range(2):
            for z in range(2):
                m = matrices[p, z]
                for (x, y), (w, h) in [
                    ((0, 0), (70, 45)),
                    ((10, 5), (30, 20)),
                    ((60, 40), (10, 5)),
                    ((15, 11), (2, 2)),
                ]:
                    assert_identical(
                        r.read_region((x, y), (w, h), focal_plane=z, optical_path=p), m[y : y + h, x : x + w]
                    )
        # past the matrix's edge: white; an empty region; a bad plane
        region = r.read_region((60, 40), (20, 10))
        assert_identical(region[:5, :10], matrices[0, 0, 40:45, 60:70])
        assert (region[5:] == 255).all() and (region[:, 10:] == 255).all()
        assert r.read_region((0, 0), (0, 5)).shape == (5, 0, 3)
        assert (r.read_region((0, 0), (3, 3), fill=7, focal_plane=1)[...] == matrices[0, 1, :3, :3]).all()
        with pytest.raises(IndexError, match="focal plane 2"):
            r.read_region((0, 0), (4, 4), focal_plane=2)
        with pytest.raises(ValueError, match="negative"):
            r.read_region((0, 0), (-1, 4))


def test_tiled_full_with_wrong_frame_count(tmp_path: Path) -> None:
    path, _ = tiled_full(tmp_path, (40, 30), (16, 12))
    ds = pydicom.dcmread(path)
    ds.TotalPixelMatrixColumns = 70  # 5 x 3 tiles, the file has 3 x 3
    save(ds, path)
    with (
        fc.FrameReader(path) as r,
        pytest.raises(ValueError, match="Number of Frames 9 does not match TILED_FULL's 15"),
    ):
        r.tile_positions


def test_not_a_tiled_image(tmp_path: Path) -> None:
    path, _ = write(tmp_path, Layout(5, 7, frames=3), RLE)
    with fc.FrameReader(path) as r, pytest.raises(ValueError, match=r"no \(0048,0006\) Total Pixel Matrix Columns"):
        r.read_region((0, 0), (1, 1))


# --- TILED_SPARSE geometry ----------------------------------------------------------------------------


def tiled_sparse(
    tmp_path: Path, total: tuple[int, int], tile: tuple[int, int], planes: int, paths: int, keep: float, seed: int
) -> tuple[Path, np.ndarray, np.ndarray]:
    """A TILED_SPARSE RGB image with tiles missing and frames shuffled; each frame's Plane Position (Slide)
    (1-based, PS3.3 C.8.12.6.1), Z offset and Optical Path Identification in its Per-Frame Functional Groups.
    Returns the path, the matrices (paths, planes, rows, columns, 3) and which tile positions are present."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    (width, height), (tw, th) = total, tile
    rng = np.random.default_rng(seed)
    matrices = rng.integers(0, 256, (paths, planes, height, width, 3), dtype=np.uint8)
    padded = np.zeros((paths, planes, height + th, width + tw, 3), np.uint8)
    padded[:, :, :height, :width] = matrices
    entries = [
        (p, z, x, y)
        for p in range(paths)
        for z in range(planes)
        for y in range(0, height, th)
        for x in range(0, width, tw)
        if rng.random() < keep
    ]
    order = rng.permutation(len(entries))
    entries = [entries[i] for i in order]
    tiles = np.stack([padded[p, z, y : y + th, x : x + tw] for p, z, x, y in entries])
    layout = Layout(th, tw, samples=3, frames=len(tiles))
    ds = dataset(tiles, layout, RLE)
    ds.DimensionOrganizationType = "TILED_SPARSE"
    ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows = width, height
    ds.OpticalPathSequence = Sequence([Dataset() for _ in range(paths)])
    for i, item in enumerate(ds.OpticalPathSequence):
        item.OpticalPathIdentifier = f"path{paths - i}"  # not in the order of first appearance
    groups = []
    for p, z, x, y in entries:
        pos = Dataset()
        pos.ColumnPositionInTotalImagePixelMatrix, pos.RowPositionInTotalImagePixelMatrix = x + 1, y + 1
        pos.ZOffsetInSlideCoordinateSystem = f"{0.5 + z * 0.25:.2f}"
        opt = Dataset()
        opt.OpticalPathIdentifier = f"path{paths - p}"
        g = Dataset()
        g.PlanePositionSlideSequence = Sequence([pos])
        g.OpticalPathIdentificationSequence = Sequence([opt])
        groups.append(g)
    ds.PerFrameFunctionalGroupsSequence = Sequence(groups)
    present = np.array([(x, y) for p, z, x, y in entries])
    return Path(save(ds, tmp_path / "sparse.dcm")), matrices, present


def test_tiled_sparse_regions(tmp_path: Path) -> None:
    path, matrices, present = tiled_sparse(tmp_path, (50, 37), (16, 12), planes=2, paths=2, keep=0.7, seed=3)
    with fc.FrameReader(path) as r:
        geo = r.geometry
        assert geo.dimension_organization == "TILED_SPARSE"
        assert_identical(r.tile_positions, present.astype(np.int64))
        assert geo.focal_plane_z == (0.5, 0.75) and geo.optical_path_identifiers == ("path2", "path1")
        for p in range(2):
            for z in range(2):
                m = matrices[p, z]
                covered = np.zeros(m.shape[:2], bool)
                mine = (geo.focal_planes == z) & (geo.optical_paths == p)
                for x, y in r.tile_positions[mine]:
                    covered[y : y + 12, x : x + 16] = True
                expected = np.where(covered[..., None], m, np.uint8(255))  # missing tiles: white
                for (x, y), (w, h) in [((0, 0), (50, 37)), ((7, 3), (30, 20)), ((40, 30), (10, 7))]:
                    got = r.read_region((x, y), (w, h), focal_plane=z, optical_path=p, threads=1)
                    assert_identical(got, expected[y : y + h, x : x + w])
                assert (
                    r.read_region((0, 0), (50, 37), focal_plane=z, optical_path=p, fill=0)
                    == np.where(covered[..., None], m, np.uint8(0))
                ).all()


def test_tiled_sparse_position_outside_the_matrix(tmp_path: Path) -> None:
    path, _, _ = tiled_sparse(tmp_path, (50, 37), (16, 12), planes=1, paths=1, keep=1.0, seed=4)
    ds = pydicom.dcmread(path)
    ds.PerFrameFunctionalGroupsSequence[2].PlanePositionSlideSequence[0].RowPositionInTotalImagePixelMatrix = 99
    save(ds, path)
    with fc.FrameReader(path) as r, pytest.raises(ValueError, match="frame 2: .*Row 99 lies outside the 50 x 37"):
        r.tile_positions
