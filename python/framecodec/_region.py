"""Regions of tiled images, as ``FrameReader.read_region`` reads them.

The engine decodes only what a region needs: for each tile that overlaps it, the rectangle of the tile inside the
region and the total pixel matrix, straight into the region's array (JPEG: libjpeg-turbo skips the rows above and
crops the columns; JPEG 2000: OpenJPEG's decode area; the other codecs decode the tile and copy the rectangle).
With ``downsample`` d each output pixel is the mean of a d x d block of level-0 pixels: decoded at that reduced
resolution where the codec can (JPEG's DCT scaling, JPEG 2000 and HTJ2K resolution levels: a low-pass of the
block, close to its mean but not equal), else decoded at full resolution and area-averaged. ``read_region`` here is
``FrameReader.read_region``'s body (the method documents it); the helpers before it are its parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._decode import engine_options, finish, needs_finish
from ._source import Frames
from .slide import SlideGeometry

if TYPE_CHECKING:
    from .reader import FrameReader

#: The reductions ``read_region`` offers: JPEG's DCT scaling and two-fold wavelet levels reach these.
DOWNSAMPLES = (1, 2, 4, 8)


def plane_index(value: object, name: str) -> int:
    """A focal plane or optical path index: an int (a float would silently match no frame)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int index, not {type(value).__name__}")
    return int(value)


def check_downsample(downsample: object) -> int:
    if isinstance(downsample, (bool, np.bool_)) or not isinstance(downsample, (int, np.integer)):
        raise TypeError(f"downsample must be an int, not {type(downsample).__name__}")
    if int(downsample) not in DOWNSAMPLES:
        raise ValueError(f"downsample must be 1, 2, 4 or 8, got {downsample}")
    return int(downsample)


def tile_rects(
    geo: SlideGeometry,
    picked: npt.NDArray[np.int64],
    x: int,
    y: int,
    width0: int,
    height0: int,
    columns: int,
    rows: int,
    d: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each picked frame that reaches into the level-0 rectangle (x, y, width0, height0) inside the total
    pixel matrix: (frames, rects: x, y, width, height in the frame, places: column, row in the region's output
    pixels). Edge tiles reach past the total pixel matrix; what lies beyond it is padding, not image."""
    pos = geo.positions[picked]
    tx, ty = pos[:, 0], pos[:, 1]
    x0, y0 = np.maximum(x, tx), np.maximum(y, ty)
    x1 = np.minimum(np.minimum(x + width0, tx + columns), geo.total_columns)
    y1 = np.minimum(np.minimum(y + height0, ty + rows), geo.total_rows)
    keep = (x1 > x0) & (y1 > y0)
    rects = np.stack([x0 - tx, y0 - ty, x1 - x0, y1 - y0], axis=1)[keep].astype(np.int64)
    places = np.stack([(x0 - x) // d, (y0 - y) // d], axis=1)[keep].astype(np.int64)
    return picked[keep], np.ascontiguousarray(rects), np.ascontiguousarray(places)


def covered(
    shape: tuple[int, int], rects: npt.NDArray[np.int64], places: npt.NDArray[np.int64], d: int
) -> npt.NDArray[np.bool_]:
    """Which output pixels some tile wrote."""
    mask = np.zeros(shape, bool)
    for (_, _, w, h), (px, py) in zip(rects.tolist(), places.tolist()):
        mask[py : py + -(-h // d), px : px + -(-w // d)] = True
    return mask


def decode_region(
    frames: Frames,
    region: npt.NDArray[Any],
    frame_list: npt.NDArray[np.int64],
    rects: npt.NDArray[np.int64],
    places: npt.NDArray[np.int64],
    d: int,
    threads: int | None,
    options: dict[str, Any],
) -> None:
    """The rectangles of the frames straight into ``region`` on the worker pool (one GIL release)."""
    lay = frames.layout
    frames, picked = frames.selected(frame_list)  # a lazy table: these frames' items walked and checked
    assert frames.codec is not None and picked is not None
    _core._decode_region(
        frames.buffer,
        frames.codec,
        lay.rows,
        lay.columns,
        lay.samples_per_pixel,
        lay.bits_allocated,
        region.reshape(-1).view(np.uint8),
        region.shape[0],
        region.shape[1],
        frames.offsets,
        frames.lengths,
        frames.frame_fragments,
        picked,
        rects,
        places,
        frame_numbers=frames.frame_numbers,
        scale=d,
        threads=threads or 0,
        **options,
    )


def block_mean(
    read: Callable[[int, int, int], tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]],
    height: int,
    width: int,
    d: int,
    region: npt.NDArray[Any],
) -> None:
    """Fill ``region`` (height x width output pixels) with the means of d x d blocks of level-0 pixels, a band
    of output rows at a time: ``read(row0, rows0, band_rows)`` gives the level-0 pixels of output rows
    [row0, row0 + band_rows) and which of them some tile covers. A block counts its covered pixels only;
    a block with none keeps the region's fill. Rounded half up, as the engine rounds."""
    band = max(1, (1 << 22) // max(1, width * d * d))  # about 4 M level-0 pixels a band
    for r0 in range(0, height, band):
        n = min(band, height - r0)
        pixels, mask = read(r0 * d, n * d, n)
        samples = pixels.reshape(n, d, width, d, -1).astype(np.int64)
        m = mask.reshape(n, d, width, d)
        total = (samples * m[..., None]).sum(axis=(1, 3))
        count = m.sum(axis=(1, 3))[..., None]
        mean = np.floor_divide(2 * total + count, 2 * np.maximum(count, 1))
        out = region[r0 : r0 + n].reshape(n, width, -1)
        np.copyto(out, mean.astype(region.dtype), where=count > 0)


def location_and_size(location: Sequence[int], size: Sequence[int]) -> tuple[int, int, int, int]:
    x, y = (int(v) for v in location)
    width, height = (int(v) for v in size)
    if width < 0 or height < 0:
        raise ValueError(f"the region's size must not be negative, got {width} x {height}")
    return x, y, width, height


def fill_value(
    dtype: np.dtype[Any], shape: tuple[int, ...], fill: int | Sequence[int] | None, pi: str, raw: bool
) -> Any:
    """``fill``, or white for colour (a slide's background; YBR white when YBR is returned raw), else 0."""
    if fill is not None:
        return np.asarray(fill, dtype)
    if len(shape) != 3 or dtype.kind not in "ui":
        return 0
    top = np.iinfo(dtype).max
    if raw and pi.startswith("YBR"):
        return np.array([top, (top + 1) // 2, (top + 1) // 2], dtype)  # Y at full scale, no chroma
    return top


def read_region(
    reader: FrameReader,
    location: Sequence[int],
    size: Sequence[int],
    *,
    downsample: int,
    focal_plane: int,
    optical_path: int,
    threads: int | None,
    fill: int | Sequence[int] | None,
    raw: bool,
) -> npt.NDArray[Any]:
    """``reader.read_region(...)``: the arguments checked, the fill laid down where the tiles may not cover the
    region, then the tiles stitched in, or for a reduction the codec cannot make, level-0 bands averaged."""
    frames = reader._open()
    d = check_downsample(downsample)
    focal_plane = plane_index(focal_plane, "focal_plane")
    optical_path = plane_index(optical_path, "optical_path")
    x, y, width, height = location_and_size(location, size)
    threads = threads if threads is not None else reader.threads
    rows, columns = reader.shape[:2]
    geo = reader.geometry
    geo.check_plane(focal_plane, optical_path)
    region = np.empty((height, width) + reader.shape[2:], reader.dtype)
    # TILED_FULL tiles cover every pixel of the matrix: a region inside it needs no fill (the engine writes
    # every pixel), unless the pixels are finished afterwards (then the fill is put back where none decoded).
    inside = x >= 0 and y >= 0 and x + width * d <= geo.total_columns and y + height * d <= geo.total_rows
    if not (inside and geo.dimension_organization == "TILED_FULL" and frames.codec is not None):
        region[...] = fill_value(reader.dtype, reader.shape, fill, frames.layout.photometric_interpretation, raw)
    if width == 0 or height == 0:
        return region
    if d > 1 and (frames.codec is None or x % d or y % d or columns % d or rows % d):

        def level0(row0: int, rows0: int, _: int) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
            band = np.empty((rows0, width * d) + reader.shape[2:], reader.dtype)
            rects, places = _stitch(reader, band, x, y + row0, 1, focal_plane, optical_path, threads, raw)
            return band, covered(band.shape[:2], rects, places, 1)

        block_mean(level0, height, width, d, region)
        return region
    _stitch(reader, region, x, y, d, focal_plane, optical_path, threads, raw)
    return region


def _stitch(
    reader: FrameReader,
    region: npt.NDArray[Any],
    x: int,
    y: int,
    d: int,
    focal_plane: int,
    optical_path: int,
    threads: int | None,
    raw: bool,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Write the frames' parts of the region (``region.shape`` output pixels at ``d``, level-0 corner x, y)
    into ``region``, leaving the pixels no frame covers as they are; returns the rectangles and places."""
    frames, geo = reader._open(), reader.geometry
    rows, columns = reader.shape[:2]
    height, width = region.shape[:2]
    picked = geo.frames_in(x, y, width * d, height * d, columns, rows, focal_plane, optical_path)
    frame_list, rects, places = tile_rects(geo, picked, x, y, width * d, height * d, columns, rows, d)
    if len(frame_list) == 0:
        return rects, places
    reader._check_whole(frames, frame_list)  # a truncated file: the region's tiles must be whole
    if frames.codec is None:  # a syntax pydicom decodes: whole tiles (d is 1 here)
        tiles = reader.read(frame_list, threads=threads, raw=raw)
        for tile, (rx, ry, rw, rh), (px, py) in zip(tiles, rects.tolist(), places.tolist()):
            region[py : py + rh, px : px + rw] = tile[ry : ry + rh, rx : rx + rw]
        return rects, places
    if reader._ranged(frames):  # the tiles fetched in slices, each decoded into the region
        assert reader._remote is not None
        for part in reader._remote.slices(frame_list):
            batch = reader._remote.gather(frame_list[part])
            decode_region(
                batch, region, frame_list[part], rects[part], places[part], d, threads, engine_options(batch, raw)
            )
    else:
        decode_region(frames, region, frame_list, rects, places, d, threads, engine_options(frames, raw))
    if needs_finish(frames, raw):  # unused high bits, YBR to RGB: on the decoded pixels, not the fill
        mask = covered((height, width), rects, places, d)
        keep = region[~mask]
        finish(region, frames, raw, region)
        region[~mask] = keep
    return rects, places
