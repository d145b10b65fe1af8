"""``FrameReader.read_region`` through the engine's region path: each tile's rectangle decoded straight into the
region, and ``downsample`` (each output pixel the mean of a block of level-0 pixels).

The references are the slide generator's numpy canvas (slides.py, checked against wsidicom, pydicom and
highdicom in test_slides.py) and numpy's block means of it, never framecodec. Lossless codecs that cannot
decode a reduced resolution themselves (RLE, deflate, native) are averaged exactly as numpy does: equal to the
value. The JPEG family is tested in test_jpeg_family.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import framecodec as fc
from framecodec._synthetic.slides import DEFLATE, EXPLICIT, RLE, TILED_FULL, TILED_SPARSE, Slide, SlideSpec, write_slide

SPECS: dict[str, SlideSpec] = {
    "full-rle": SlideSpec(width=1000, height=700, tile=128, transfer_syntax=RLE, tiling=TILED_FULL),
    "full-deflate-mono": SlideSpec(width=610, height=430, tile=(96, 64), transfer_syntax=DEFLATE, samples=1, seed=4),
    "sparse-native": SlideSpec(
        width=700,
        height=500,
        tile=128,
        tiling=TILED_SPARSE,
        shuffle=True,
        missing=0.3,
        transfer_syntax=EXPLICIT,
        seed=6,
    ),
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Slide]:
    root = tmp_path_factory.mktemp("regions")
    return {name: write_slide(root / f"{name}.dcm", spec) for name, spec in SPECS.items()}


def block_mean(slide: Slide, x: int, y: int, width: int, height: int, d: int, fill: int) -> npt.NDArray[Any]:
    """numpy's reference: the mean of each d x d block of the level-0 pixels that tiles cover inside the total
    pixel matrix, rounded half up; a block with none of them is ``fill``."""
    total, present = slide.total[0, 0].astype(np.int64), covered(slide)
    h0, w0 = height * d, width * d
    pixels = np.zeros((h0, w0) + total.shape[2:], np.int64)
    mask = np.zeros((h0, w0), bool)
    ys, xs = slice(max(y, 0), min(y + h0, slide.spec.height)), slice(max(x, 0), min(x + w0, slide.spec.width))
    if ys.stop > ys.start and xs.stop > xs.start:
        pixels[ys.start - y : ys.stop - y, xs.start - x : xs.stop - x] = total[ys, xs]
        mask[ys.start - y : ys.stop - y, xs.start - x : xs.stop - x] = present[ys, xs]
    pixels = pixels.reshape(height, d, width, d, -1)
    m = mask.reshape(height, d, width, d)
    s = (pixels * m[..., None]).sum(axis=(1, 3))
    n = m.sum(axis=(1, 3))[..., None]
    out = np.where(n > 0, (2 * s + n) // (2 * np.maximum(n, 1)), fill)
    return out.reshape((height, width) + total.shape[2:]).astype(np.uint8)


def covered(slide: Slide) -> npt.NDArray[np.bool_]:
    """Which pixels of the total pixel matrix a tile of focal plane 0, optical path 0 holds (slides.py puts
    tile (tx, ty) at (tx x columns, ty x rows))."""
    spec = slide.spec
    rows, columns = fc.FrameReader(slide.path).shape[:2]
    tiles = np.repeat(np.repeat(slide.present[0, 0], rows, axis=0), columns, axis=1)
    return tiles[: spec.height, : spec.width]


REGIONS = [  # (x, y), (width, height) in output pixels
    ((0, 0), (100, 80)),
    ((128, 256), (64, 64)),  # tile-aligned
    ((120, 40), (300, 200)),  # across tiles
    ((896, 640), (80, 40)),  # past the right and bottom edges of the matrix
    ((-64, -32), (50, 40)),  # before its top-left corner
    ((7, 3), (1, 1)),
]


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("d", [1, 2, 4, 8])
@pytest.mark.parametrize("where", REGIONS, ids=[f"{w[0]}-{w[1]}" for w in REGIONS])
def test_region_equals_block_means_of_the_canvas(
    written: dict[str, Slide], name: str, d: int, where: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    slide = written[name]
    (x, y), (w, h) = where
    x, y = x * d if d > 1 and x % 8 == 0 else x, y * d if d > 1 and y % 8 == 0 else y  # aligned and not
    with fc.FrameReader(slide.path) as reader:
        got = reader.read_region((x, y), (w, h), downsample=d, fill=0)
        for threads in (1, 2):
            assert np.array_equal(reader.read_region((x, y), (w, h), downsample=d, fill=0, threads=threads), got)
    want = block_mean(slide, x, y, w, h, d, 0)
    assert got.dtype == np.uint8 and got.shape == want.shape
    assert np.array_equal(got, want), f"{np.abs(got.astype(int) - want).max()} levels off"


def test_unaligned_downsample_is_read_at_full_resolution(written: dict[str, Slide]) -> None:
    slide = written["full-rle"]
    with fc.FrameReader(slide.path) as reader:
        for x, y in ((3, 5), (130, 1), (1, 257)):
            got = reader.read_region((x, y), (90, 70), downsample=4, fill=0)
            assert np.array_equal(got, block_mean(slide, x, y, 90, 70, 4, 0))


def test_downsample_and_planes_are_checked(written: dict[str, Slide]) -> None:
    with fc.FrameReader(written["full-rle"].path) as reader:
        for bad in (0, 3, 16, -2):
            with pytest.raises(ValueError, match="downsample must be 1, 2, 4 or 8"):
                reader.read_region((0, 0), (10, 10), downsample=bad)
        with pytest.raises(TypeError, match="downsample must be an int"):
            reader.read_region((0, 0), (10, 10), downsample=2.0)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="focal_plane must be an int"):
            reader.read_region((0, 0), (10, 10), focal_plane=0.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="optical_path must be an int"):
            reader.read_region((0, 0), (10, 10), optical_path=1.5)  # type: ignore[arg-type]
        with pytest.raises(IndexError, match="focal plane 1 out of range"):
            reader.read_region((0, 0), (10, 10), focal_plane=1)
        assert reader.read_region((5, 5), (0, 7)).shape == (7, 0, 3)


def test_fill_stays_where_no_tile_is(written: dict[str, Slide]) -> None:
    slide = written["sparse-native"]
    with fc.FrameReader(slide.path) as reader:
        region = reader.read_region((0, 0), (slide.spec.width + 20, slide.spec.height + 20), fill=(1, 2, 3))
    mask = np.zeros(region.shape[:2], bool)
    mask[: slide.spec.height, : slide.spec.width] = covered(slide)
    assert (region[~mask] == [1, 2, 3]).all()
    assert np.array_equal(region[mask], slide.total[0, 0][covered(slide)])


def test_region_engine_refuses_bad_rectangles(tmp_path: Path, written: dict[str, Slide]) -> None:
    slide = written["full-rle"]
    with fc.FrameReader(slide.path) as reader:
        table = reader.frame_table
        assert table is not None
        out = np.zeros((10, 10, 3), np.uint8)
        args: dict[str, Any] = dict(offsets=table.offsets, lengths=table.lengths, frame_fragments=None)
        region = fc._core._decode_region  # type: ignore[attr-defined]
        buffer = reader._open().buffer
        for rect, place, why in (
            ([0, 0, 129, 10], [0, 0], "not inside"),
            ([0, 0, 10, 10], [1, 0], "do not fit"),
            ([1, 0, 8, 8], [0, 0], "multiple of the scale"),
        ):
            scale = 2 if "scale" in why else 1
            with pytest.raises(ValueError, match=why):
                region(
                    buffer,
                    "rle",
                    128,
                    128,
                    3,
                    8,
                    out.reshape(-1),
                    10,
                    10,
                    frames=np.array([0]),
                    rects=np.array([rect]),
                    places=np.array([place]),
                    scale=scale,
                    **args,
                )
