"""The geometry of tiled images (VL Whole Slide Microscopy, PS3.3 C.8.12.4): where each frame lies in the
total pixel matrix, and on which focal plane and optical path.

- :class:`SlideGeometry`: what ``FrameReader.geometry`` returns: the total pixel matrix, every frame's 0-based
  top-left (x, y), focal plane and optical path, and ``frames_in`` (the frames a rectangle meets).
- :func:`tile_positions` -> :class:`SlidePositions`: every frame's Plane Position (Slide) straight from a path or
  buffer, in one C++ walk of the header without a pydicom ``Dataset`` (1-based, as stored; Z offsets, focal
  planes, optical paths); ``source`` (a :data:`PositionSource`) says where the positions came from.

TILED_FULL positions follow from the attributes alone (PS3.3 C.7.6.17.3: frames run along a row of tiles,
then down the rows, then through the focal planes, then the optical paths). TILED_SPARSE positions are each
frame's Plane Position (Slide) Sequence in the Per-Frame Functional Groups (C.8.12.6.1), read by one C++
walk over the file (no pydicom object per frame), or the Shared Functional Groups' for every frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._layout import PixelLayout
from ._slide_positions import PositionSource, SlidePositions, tile_positions

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

# slide_geometry is FrameReader's (it takes the reader's private PixelLayout); users call FrameReader.geometry.
__all__ = ["PositionSource", "SlideGeometry", "SlidePositions", "tile_positions"]


@dataclass(frozen=True)
class SlideGeometry:
    #: "TILED_FULL" or "TILED_SPARSE" (a tiled file without (0020,9311) is read as sparse).
    dimension_organization: str
    #: (0048,0006) Total Pixel Matrix Columns and (0048,0007) Rows: the width and height of the image.
    total_columns: int
    total_rows: int
    #: (n, 2) int64: each frame's top-left (x, y), 0-based.
    positions: npt.NDArray[np.int64]
    #: (n,) each frame's focal plane, an index into ``focal_plane_z`` (sorted Z offsets; TILED_FULL: 0..planes-1).
    focal_planes: npt.NDArray[np.int64]
    #: (n,) each frame's optical path, an index into ``optical_path_identifiers``.
    optical_paths: npt.NDArray[np.int64]
    focal_plane_z: tuple[float, ...]
    optical_path_identifiers: tuple[str, ...]

    def frames_in(
        self,
        x: int,
        y: int,
        width: int,
        height: int,
        tile_columns: int,
        tile_rows: int,
        focal_plane: int = 0,
        optical_path: int = 0,
    ) -> npt.NDArray[np.int64]:
        """The frames of that focal plane and optical path that overlap the rectangle, in frame order."""
        self.check_plane(focal_plane, optical_path)
        if self.dimension_organization == "TILED_FULL":  # PS3.3 C.7.6.17.3: the frame order is the tile grid's
            across, down = -(-self.total_columns // tile_columns), -(-self.total_rows // tile_rows)
            c0, c1 = max(0, x // tile_columns), min(across, -(-(x + width) // tile_columns))
            r0, r1 = max(0, y // tile_rows), min(down, -(-(y + height) // tile_rows))
            if c1 <= c0 or r1 <= r0:
                return np.zeros(0, np.int64)
            base = (optical_path * len(self.focal_plane_z) + focal_plane) * across * down
            grid = base + np.arange(r0, r1, dtype=np.int64)[:, None] * across + np.arange(c0, c1, dtype=np.int64)
            return grid.reshape(-1)
        px, py = self.positions[:, 0], self.positions[:, 1]
        hit = (
            (px < x + width)
            & (px + tile_columns > x)
            & (py < y + height)
            & (py + tile_rows > y)
            & (self.focal_planes == focal_plane)
            & (self.optical_paths == optical_path)
        )
        return np.flatnonzero(hit).astype(np.int64)

    def check_plane(self, focal_plane: int, optical_path: int) -> None:
        """``IndexError`` for a focal plane or optical path the image does not have."""
        if not 0 <= focal_plane < max(1, len(self.focal_plane_z)):
            raise IndexError(f"focal plane {focal_plane} out of range: the image has {len(self.focal_plane_z)}")
        if not 0 <= optical_path < max(1, len(self.optical_path_identifiers)):
            raise IndexError(
                f"optical path {optical_path} out of range: the image has {len(self.optical_path_identifiers)}"
            )


def slide_geometry(ds: Dataset, buffer: Any, layout: PixelLayout) -> SlideGeometry:
    """The geometry of a tiled image; ``ValueError`` naming the attribute and the frame when it is missing or
    inconsistent."""
    for keyword, tag in (("TotalPixelMatrixColumns", "(0048,0006)"), ("TotalPixelMatrixRows", "(0048,0007)")):
        if ds.get(keyword) is None:
            raise ValueError(f"not a tiled image: the data set has no {tag} {_words(keyword)}")
    total_columns, total_rows = int(ds.TotalPixelMatrixColumns), int(ds.TotalPixelMatrixRows)
    if total_columns < 1 or total_rows < 1:
        raise ValueError(f"the total pixel matrix must not be empty, got {total_columns} x {total_rows}")
    organization = str(ds.get("DimensionOrganizationType", "") or "").strip().upper()
    identifiers = tuple(
        str(item.get("OpticalPathIdentifier", "")) for item in ds.get("OpticalPathSequence", None) or []
    )
    if organization == "TILED_FULL":
        return _tiled_full(ds, layout, total_columns, total_rows, identifiers)
    return _tiled_sparse(buffer, layout, total_columns, total_rows, identifiers, organization or "TILED_SPARSE")


def _tiled_full(
    ds: Dataset, layout: PixelLayout, total_columns: int, total_rows: int, identifiers: tuple[str, ...]
) -> SlideGeometry:
    # PS3.3 C.7.6.17.3: TILED_FULL frames fill the matrix row by row of tiles, then the next focal plane,
    # then the next optical path; edge tiles are partly outside the matrix.
    across = -(-total_columns // layout.columns)
    down = -(-total_rows // layout.rows)
    planes = int(ds.get("TotalPixelMatrixFocalPlanes", 1) or 1)
    paths = int(ds.get("NumberOfOpticalPaths", 0) or 0) or max(1, len(identifiers))
    expected = across * down * planes * paths
    if layout.number_of_frames != expected:
        raise ValueError(
            f"(0028,0008) Number of Frames {layout.number_of_frames} does not match TILED_FULL's {expected} tiles: "
            f"{across} x {down} tiles of {layout.columns} x {layout.rows} for (0048,0006) Total Pixel Matrix Columns "
            f"{total_columns} x (0048,0007) Rows {total_rows}, x {planes} (0048,0303) Total Pixel Matrix Focal "
            f"Planes x {paths} (0048,0302) Number of Optical Paths"
        )
    # Filled by broadcasting into one new array (no temporaries of the frame count: opening a slide of 100,000
    # tiles stays in a millisecond); one focal plane and optical path, the usual case, are calloc'd zeros.
    grid = np.empty((planes * paths, down, across, 2), np.int64)
    grid[..., 0] = np.arange(across, dtype=np.int64) * layout.columns
    grid[..., 1] = (np.arange(down, dtype=np.int64) * layout.rows)[:, None]
    tiles = across * down
    if planes == 1 and paths == 1:
        focal, path = np.zeros(expected, np.int64), np.zeros(expected, np.int64)
    else:
        focal = np.repeat(np.tile(np.arange(planes, dtype=np.int64), paths), tiles)
        path = np.repeat(np.arange(paths, dtype=np.int64), planes * tiles)
    return SlideGeometry(
        "TILED_FULL",
        total_columns,
        total_rows,
        grid.reshape(expected, 2),
        focal,
        path,
        tuple(float(i) for i in range(planes)),
        identifiers if len(identifiers) == paths else tuple(str(i) for i in range(paths)),
    )


def _tiled_sparse(
    buffer: Any,
    layout: PixelLayout,
    total_columns: int,
    total_rows: int,
    identifiers: tuple[str, ...],
    organization: str,
) -> SlideGeometry:
    found = tile_positions(buffer)
    n = layout.number_of_frames
    positions = np.stack([found.column_positions.astype(np.int64) - 1, found.row_positions.astype(np.int64) - 1], 1)
    if len(positions) != n:
        raise ValueError(f"{len(positions)} frame positions for (0028,0008) Number of Frames {n}")
    outside = (
        (positions[:, 0] < 0)
        | (positions[:, 1] < 0)
        | (positions[:, 0] >= total_columns)
        | (positions[:, 1] >= total_rows)
    )
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"frame {i}: its Plane Position (Slide) (0048,021E) Column {positions[i, 0] + 1}, (0048,021F) Row "
            f"{positions[i, 1] + 1} lies outside the {total_columns} x {total_rows} total pixel matrix"
        )
    z = found.z_offsets
    known = np.isfinite(z)
    if known.any() and not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise ValueError(
            f"frame {i} has no (0040,074A) Z Offset in Slide Coordinate System where other frames have one"
        )
    planes_z = tuple(float(v) for v in np.unique(z[known])) if known.any() else (0.0,)
    focal = np.maximum(found.focal_planes.astype(np.int64), 0)
    # Optical paths numbered in the order of the Optical Path Sequence; identifiers it does not list follow.
    seen = found.optical_path_identifiers
    order = identifiers + tuple(i for i in seen if i not in identifiers)
    remap = np.array([order.index(i) for i in seen] + [0], dtype=np.int64)  # -1 (no identification): path 0
    paths = remap[found.optical_paths.astype(np.int64)]
    return SlideGeometry(organization, total_columns, total_rows, positions, focal, paths, planes_z, order or ("",))


def _words(keyword: str) -> str:
    return "".join(" " + c if c.isupper() and i else c for i, c in enumerate(keyword))
