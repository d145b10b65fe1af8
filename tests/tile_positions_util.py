"""Helpers shared by the tile_positions tests (tests/test_tile_positions_*.py): the sample slide, its sparse frame
order, and the checks of a result against pydicom's reading (tests/wsi_util.py) and against another result."""

from __future__ import annotations

import numpy as np

from framecodec.slide import SlidePositions
from wsi_util import Frame, Slide, reference, shuffled

SLIDE = Slide(across=5, down=4, planes=3, paths=("1", "2"))  # 120 tiles, the last column and row ragged


def sparse_frames(slide: Slide = SLIDE, seed: int = 0, keep: float = 0.8) -> list[Frame]:
    """Shuffled, with tiles left out as in a TILED_SPARSE slide that skips background."""
    frames = shuffled(slide.full_order(), seed)
    return frames[: int(len(frames) * keep)]


def assert_matches(p: SlidePositions, data: bytes) -> None:
    """Every array agrees with what pydicom reads from the same bytes."""
    e = reference(data)
    n = len(e.columns)
    assert p.number_of_frames == len(p) == n
    assert p.column_positions.tolist() == e.columns
    assert p.row_positions.tolist() == e.rows
    np.testing.assert_array_equal(p.z_offsets, np.array(e.z, dtype=np.float64))  # NaN where absent
    assert p.focal_planes.tolist() == e.focal_planes
    assert p.optical_paths.tolist() == e.optical_paths
    assert list(p.optical_path_identifiers) == e.identifiers
    assert p.per_frame == e.per_frame
    for a, dtype in (
        (p.column_positions, np.int32),
        (p.row_positions, np.int32),
        (p.z_offsets, np.float64),
        (p.focal_planes, np.int32),
        (p.optical_paths, np.int32),
    ):
        assert a.dtype == dtype and a.shape == (n,) and not a.flags.writeable


def assert_same(a: SlidePositions, b: SlidePositions) -> None:
    for name in ("column_positions", "row_positions", "z_offsets", "focal_planes", "optical_paths"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in (
        "number_of_frames",
        "source",
        "optical_path_identifiers",
        "dimension_organization_type",
        "total_pixel_matrix_columns",
        "total_pixel_matrix_rows",
        "total_pixel_matrix_focal_planes",
        "number_of_optical_paths",
        "rows",
        "columns",
        "concatenation_frame_offset",
    ):
        assert getattr(a, name) == getattr(b, name), name
