"""tile_positions of TILED_FULL images (PS3.3 C.7.6.17.3) against highdicom's reading, and of the tiled
Segmentations highdicom writes."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from framecodec.slide import tile_positions
from tile_positions_util import assert_matches
from wsi_util import Frame, Slide, to_bytes, wsi_dataset

# ---------------------------------------------------------------- TILED_FULL


def tiled_full_reference(ds: Dataset) -> list[tuple[int, int, int, int]]:
    """highdicom's reading of a TILED_FULL image: (optical path, focal plane, column, row) per frame."""
    from highdicom.spatial import iter_tiled_full_frame_data

    return [(ch - 1, fp - 1, c, r) for ch, fp, c, r, *_ in iter_tiled_full_frame_data(ds)]


@pytest.mark.parametrize("explicit", [True, False])
@pytest.mark.parametrize(
    "slide",
    [Slide(across=7, down=3, planes=1, paths=("1",)), Slide(across=4, down=5, planes=3, paths=("R", "G", "B"))],
    ids=["one-plane", "planes-and-paths"],
)
def test_tiled_full_matches_highdicom(slide: Slide, explicit: bool) -> None:
    shared = Frame(1, 1, "0.25") if slide.planes == 1 else None
    ds = wsi_dataset(slide, None, dimension_organization="TILED_FULL", shared=shared)
    data = to_bytes(ds, explicit)
    p = tile_positions(data)
    assert p.source == "tiled_full" and not p.per_frame
    columns, rows = p.column_positions.tolist(), p.row_positions.tolist()
    got = list(zip(p.optical_paths.tolist(), p.focal_planes.tolist(), columns, rows))
    assert got == tiled_full_reference(pydicom.dcmread(io.BytesIO(data)))
    assert [(f.column, f.row) for f in slide.full_order()] == list(zip(columns, rows))
    assert p.optical_path_identifiers == slide.paths  # the Optical Path Sequence, which the order follows
    if slide.planes == 1:
        assert (p.z_offsets == 0.25).all()  # the shared Z offset of the one focal plane
    else:
        assert np.isnan(p.z_offsets).all()  # TILED_FULL does not state the planes' Z offsets


def test_tiled_full_concatenation() -> None:
    """The second instance of a concatenation continues the implicit order (PS3.3 C.7.6.17.3)."""
    slide = Slide(across=3, down=2, planes=2, paths=("a", "b"))
    ds = wsi_dataset(slide, None, dimension_organization="TILED_FULL", number_of_frames=10)
    ds.ConcatenationFrameOffsetNumber = 13
    p = tile_positions(to_bytes(ds))
    want = slide.full_order()[13:23]
    assert list(zip(p.column_positions.tolist(), p.row_positions.tolist())) == [(f.column, f.row) for f in want]
    assert [p.optical_path_identifiers[i] for i in p.optical_paths] == [f.path for f in want]
    assert p.focal_planes.tolist() == [round(float(f.z) / slide.z_step) for f in want] == [0] * 5 + [1] * 5
    assert p.concatenation_frame_offset == 13


def test_tiled_full_with_explicit_positions_uses_them() -> None:
    slide = Slide(across=3, down=2)
    frames = list(reversed(slide.full_order()))
    data = to_bytes(wsi_dataset(slide, frames, dimension_organization="TILED_FULL"))
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.source == "per_frame" and p.column_positions[0] == frames[0].column


def test_tiled_full_without_optical_path_attributes() -> None:
    """No Number of Optical Paths: the Optical Path Sequence's items count them; neither: one path."""
    slide = Slide(across=2, down=2, paths=("p", "q"))
    ds = wsi_dataset(slide, None, dimension_organization="TILED_FULL")
    del ds.NumberOfOpticalPaths
    p = tile_positions(to_bytes(ds))
    assert p.optical_paths.tolist() == [0] * 4 + [1] * 4 and p.number_of_optical_paths is None
    del ds.OpticalPathSequence
    ds.NumberOfFrames = 4
    ds.PixelData = bytes(4 * 64)
    p = tile_positions(to_bytes(ds))
    assert p.optical_paths.tolist() == [0] * 4 and p.optical_path_identifiers == ()


# ---------------------------------------------------------------- files written by highdicom


def highdicom_segmentation(dimension_organization: str) -> tuple[bytes, Dataset]:
    hd = pytest.importorskip("highdicom")
    from pydicom.sr.codedict import codes

    slide = Slide(across=6, down=5, tile=16)
    src = wsi_dataset(slide, None, dimension_organization="TILED_FULL")
    src.StudyInstanceUID, src.SeriesInstanceUID = generate_uid(), generate_uid()
    src.PatientID, src.ContainerIdentifier, src.StudyID, src.AccessionNumber = "P1", "C1", "1", "A1"
    src.StudyDate, src.StudyTime, src.ReferringPhysicianName = "20240101", "120000", "Ref"
    src.PatientBirthDate = src.PatientSex = ""
    src.ImageType = ["DERIVED", "PRIMARY", "VOLUME", "NONE"]
    specimen = Dataset()
    specimen.SpecimenIdentifier, specimen.SpecimenUID = "S1", generate_uid()
    specimen.IssuerOfTheSpecimenIdentifierSequence = []
    specimen.SpecimenPreparationSequence = []
    src.SpecimenDescriptionSequence = [specimen]
    to_bytes(src)  # adds the file meta highdicom reads the transfer syntax from
    mask = np.zeros((1, slide.total_rows, slide.total_columns), np.uint8)
    mask[0, 10:50, 20:70] = 1
    mask[0, 60:, 80:] = 1
    desc = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label="tissue",
        segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )
    seg = hd.seg.Segmentation(
        [src],
        mask,
        "BINARY",
        [desc],
        generate_uid(),
        1,
        generate_uid(),
        1,
        "framecodec",
        "tests",
        "1",
        "1",
        tile_pixel_array=True,
        tile_size=(16, 16),
        dimension_organization_type=dimension_organization,
        omit_empty_frames=dimension_organization == "TILED_SPARSE",
    )
    b = io.BytesIO()
    seg.save_as(b)
    return b.getvalue(), seg


def test_highdicom_tiled_sparse_segmentation() -> None:
    data, seg = highdicom_segmentation("TILED_SPARSE")
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.source == "per_frame" and 0 < len(p) < 30  # empty tiles omitted
    assert p.optical_paths.tolist() == [-1] * len(p)  # segments, not optical paths, per frame


def test_highdicom_tiled_full_segmentation() -> None:
    data, seg = highdicom_segmentation("TILED_FULL")
    p = tile_positions(data)
    assert p.source == "tiled_full" and len(p) == 30
    got = list(zip(p.focal_planes.tolist(), p.column_positions.tolist(), p.row_positions.tolist()))
    assert got == [(fp, c, r) for _, fp, c, r in tiled_full_reference(pydicom.dcmread(io.BytesIO(data)))]
