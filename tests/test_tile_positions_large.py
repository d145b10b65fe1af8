"""tile_positions of 10,000-frame slides against pydicom and wsidicom, and from several threads at once."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from framecodec.slide import tile_positions
from tile_positions_util import assert_matches, assert_same
from wsi_util import Slide, big_wsi_file, shuffled

# ---------------------------------------------------------------- 10,000 frames


@pytest.mark.parametrize(
    ("explicit", "undefined", "slide"),
    [
        (True, False, Slide(across=50, down=50, planes=2, paths=("A", "B"))),
        (False, True, Slide(across=50, down=50, planes=4, paths=("DAPI",))),
    ],
    ids=["explicit-defined", "implicit-undefined"],
)
def test_ten_thousand_frames(explicit: bool, undefined: bool, slide: Slide) -> None:
    planes = slide.planes
    assert slide.across * slide.down * planes * len(slide.paths) == 10_000
    frames = shuffled(slide.full_order(), 7)
    data = big_wsi_file(slide, frames, explicit, undefined)
    p = tile_positions(data)
    assert_matches(p, data)
    assert len(p) == 10_000 and sorted(set(p.focal_planes.tolist())) == list(range(planes))


def test_ten_thousand_frames_against_wsidicom() -> None:
    """wsidicom finds the same values by searching the sequence's bytes (explicit VR only)."""
    reader = pytest.importorskip("wsidicom.file.io.per_frame_functional_groups_reader")
    from upath import UPath
    from wsidicom.file.io.wsidicom_io import WsiDicomReadIO

    slide = Slide(across=100, down=50, planes=2, paths=("A",))
    data = big_wsi_file(slide, shuffled(slide.full_order(), 2))
    p = tile_positions(data)
    sequence = data.index(b"\x00\x52\x30\x92SQ")
    io_ = WsiDicomReadIO(io.BytesIO(data), UPath("memory.dcm"))
    w = reader.PerFrameFunctionalGroupsReader(io_, sequence, len(p), "ISO_IR 100").read_positions()
    assert w is not None and w.z_offsets is not None and w.optical_path_identifiers is not None
    np.testing.assert_array_equal(w.columns, p.column_positions)
    np.testing.assert_array_equal(w.rows, p.row_positions)
    np.testing.assert_array_equal(w.z_offsets, p.z_offsets)
    assert w.optical_path_identifiers.tolist() == [p.optical_path_identifiers[i] for i in p.optical_paths]


def test_threads_share_nothing() -> None:
    slide = Slide(across=50, down=40, planes=2, paths=("A", "B"))
    data = big_wsi_file(slide, shuffled(slide.full_order(), 5))
    want = tile_positions(data)
    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(tile_positions, [data] * 16):
            assert_same(got, want)
