"""tile_positions against pydicom (and highdicom, wsidicom) on whole-slide-like data sets built here."""

from __future__ import annotations

import io
import math
import mmap
import pickle
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

import framecodec as fc
from framecodec.slide import SlidePositions, tile_positions
from wsi_util import (
    Frame,
    Slide,
    big_wsi_file,
    reference,
    sequence_header,
    set_lengths,
    shuffled,
    to_bytes,
    wsi_dataset,
)

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


# ---------------------------------------------------------------- agreement with pydicom


@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "implicit"])
@pytest.mark.parametrize("lengths", ["defined", "undefined", "mixed"])
@pytest.mark.parametrize("meta", [True, False], ids=["file", "bare"])
def test_sparse_matches_pydicom(explicit: bool, lengths: str, meta: bool) -> None:
    ds = wsi_dataset(SLIDE, sparse_frames())
    set_lengths(ds, lengths, seed=3)
    data = to_bytes(ds, explicit, meta)
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.source == "per_frame" and p.per_frame
    assert set(p.optical_path_identifiers) == {"1", "2"}
    assert sorted(set(p.focal_planes.tolist())) == [0, 1, 2]
    assert p.dimension_organization_type == "TILED_SPARSE"
    assert (p.total_pixel_matrix_columns, p.total_pixel_matrix_rows) == (SLIDE.total_columns, SLIDE.total_rows)
    assert (p.total_pixel_matrix_focal_planes, p.number_of_optical_paths) == (3, 2)
    assert (p.rows, p.columns, p.concatenation_frame_offset) == (8, 8, 0)


def test_sources_of_the_buffer(tmp_path: Path) -> None:
    """bytes, bytearray, memoryview, numpy, mmap and a path give the same result; the path reads the header."""
    data = to_bytes(wsi_dataset(SLIDE, sparse_frames()))
    want = tile_positions(data)
    path = tmp_path / "slide.dcm"
    path.write_bytes(data)
    got = [
        tile_positions(bytearray(data)),
        tile_positions(memoryview(data)),
        tile_positions(np.frombuffer(data, np.uint8)),
        tile_positions(path),
        tile_positions(str(path)),
    ]
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        got.append(tile_positions(mm))
    for g in got:
        assert_same(g, want)
    with pytest.raises(FileNotFoundError):
        tile_positions(tmp_path / "missing.dcm")
    with pytest.raises(TypeError):
        tile_positions(12)  # type: ignore[arg-type]


def test_a_path_reads_only_the_header(tmp_path: Path) -> None:
    io_stats = Path("/proc/self/io")
    if not io_stats.exists():
        pytest.skip("needs Linux /proc/self/io to count the bytes read")
    slide = Slide(across=40, down=25, planes=2, paths=("a",), tile=64)  # 8 MB of Pixel Data after the header
    data = big_wsi_file(slide, shuffled(slide.full_order(), 4))
    path = tmp_path / "slide.dcm"
    path.write_bytes(data)
    header_end = fc.encaps.locate_pixel_data(data).offset

    def rchar() -> int:
        return int(next(line for line in io_stats.read_text().splitlines() if line.startswith("rchar")).split()[1])

    before = rchar()
    p = tile_positions(path)
    read = rchar() - before
    assert len(p) == 2000 and read <= header_end + 65536 + 4096 < len(data) // 4, read
    assert_same(p, tile_positions(data))


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


@pytest.mark.parametrize("number_of_frames", [1, None])
@pytest.mark.parametrize("explicit", [True, False])
def test_single_frame_with_the_shared_group(number_of_frames: int | None, explicit: bool) -> None:
    """A label or overview image: one frame, its position and optical path in the shared group."""
    ds = wsi_dataset(Slide(across=1, down=1), None, shared=Frame(1, 1, "0.0025", "LABEL"), dimension_organization=None)
    if number_of_frames is None:
        del ds.NumberOfFrames
    data = to_bytes(ds, explicit)
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.source == "shared" and not p.per_frame and len(p) == 1
    assert (p.column_positions[0], p.row_positions[0], p.z_offsets[0]) == (1, 1, 0.0025)
    assert p.optical_path_identifiers == ("LABEL",) and p.optical_paths.tolist() == [0]
    assert p.dimension_organization_type is None


def test_shared_position_for_every_frame() -> None:
    """Per-frame items without a position (only their optical path), the position shared."""
    frames = [Frame(None, None, None, path) for path in ["b", "a", "b", "c"]]
    data = to_bytes(wsi_dataset(SLIDE, frames, shared=Frame(17, 33, "0.5")))
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.source == "shared"
    assert p.column_positions.tolist() == [17] * 4 and p.row_positions.tolist() == [33] * 4
    assert p.optical_path_identifiers == ("b", "a", "c") and p.optical_paths.tolist() == [0, 1, 0, 2]


def test_shared_optical_path_with_per_frame_positions() -> None:
    """The common single-path slide: positions per frame, the optical path shared."""
    frames = [Frame(f.column, f.row, f.z, None) for f in sparse_frames(Slide(planes=2))]
    data = to_bytes(wsi_dataset(Slide(planes=2), frames, shared=Frame(None, None, None, "only")))
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.optical_path_identifiers == ("only",) and set(p.optical_paths.tolist()) == {0}


def test_frames_that_lack_their_own_group_take_the_shared_one() -> None:
    """Mixing per-frame and shared values is not what the standard allows, but its meaning is plain."""
    frames: list[Frame | None] = [
        Frame(9, 9, "0.1", "x"),
        Frame(None, None, None, None),
        None,
        Frame(1, 17, None, "y"),
        Frame(None, None, None, "z"),
    ]
    data = to_bytes(wsi_dataset(SLIDE, frames, shared=Frame(1, 1, "0.2", "s")))
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.source == "per_frame"
    assert p.column_positions.tolist() == [9, 1, 1, 1, 1] and p.row_positions.tolist() == [9, 1, 1, 17, 1]
    assert p.optical_path_identifiers == ("x", "s", "y", "z")  # first appearance over the frames
    assert p.optical_paths.tolist() == [0, 1, 1, 2, 3]
    np.testing.assert_array_equal(p.z_offsets, [0.1, 0.2, 0.2, np.nan, 0.2])
    assert p.focal_planes.tolist() == [0, 1, 1, -1, 1]  # no Z offset while others have one: -1


def test_no_z_offsets_and_no_optical_paths() -> None:
    frames = [Frame(f.column, f.row, None, None) for f in sparse_frames(Slide())]
    data = to_bytes(wsi_dataset(Slide(), frames))
    p = tile_positions(data)
    assert_matches(p, data)
    assert np.isnan(p.z_offsets).all() and set(p.focal_planes.tolist()) == {0}
    assert set(p.optical_paths.tolist()) == {-1} and p.optical_path_identifiers == ()


def test_z_offsets_as_decimal_strings() -> None:
    """DS in its forms (PS3.5 Table 6.2-1): signs, exponents, padding; focal planes ranked by value."""
    zs = ["-0.5", "+1.25", " 3E-3", "1e2 ", "0.", ".5", "-0", "0", "1.25"]
    frames = [Frame(1 + 8 * i, 1, z, "1") for i, z in enumerate(zs)]
    data = to_bytes(wsi_dataset(Slide(across=len(zs)), frames))
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.z_offsets.tolist() == [-0.5, 1.25, 0.003, 100.0, 0.0, 0.5, -0.0, 0.0, 1.25]
    assert p.focal_planes.tolist() == [0, 4, 2, 5, 1, 3, 1, 1, 4]


def test_identifiers_decoded_by_the_specific_character_set() -> None:
    frames = [Frame(1, 1, "0", "Fluorès"), Frame(9, 1, "0", "Fluorès"), Frame(17, 1, "0", "DAPI ")]
    ds = wsi_dataset(Slide(), frames)
    ds.SpecificCharacterSet = "ISO_IR 100"  # Latin-1
    data = to_bytes(ds)
    assert "Fluorès".encode("latin-1") in data
    p = tile_positions(data)
    assert_matches(p, data)
    assert p.optical_path_identifiers == ("Fluorès", "DAPI")
    # The native class pickles with its identifiers decoded, and its arrays are read-only views.
    again = pickle.loads(pickle.dumps(p))
    assert_same(again, p)
    assert again.optical_path_identifiers == ("Fluorès", "DAPI") and "TilePositions(3 frames" in repr(again)
    assert not p.column_positions.flags.writeable


def test_per_frame_sequence_encoded_as_un() -> None:
    """An explicit VR file whose Per-Frame Functional Groups Sequence was written as UN of undefined length:
    the items are implicit VR (PS3.5 6.2.2)."""
    frames = sparse_frames(Slide(planes=2, paths=("a", "b")))
    ds = wsi_dataset(Slide(planes=2, paths=("a", "b")), frames)
    per_frame = ds.PerFrameFunctionalGroupsSequence
    del ds.PerFrameFunctionalGroupsSequence
    set_lengths(ds, "undefined")
    # the implicit VR bytes of the items: write the sequence alone, implicit, and drop its 8-byte header
    holder = Dataset()
    holder.PerFrameFunctionalGroupsSequence = per_frame
    holder["PerFrameFunctionalGroupsSequence"].is_undefined_length = True
    raw = to_bytes(holder, explicit=False, meta=False)[8:]
    assert raw.endswith(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")
    un = struct.pack("<HH2sHI", 0x5200, 0x9230, b"UN", 0, 0xFFFFFFFF) + raw
    data = to_bytes(ds)
    at = data.index(b"\xe0\x7f\x10\x00")  # the Pixel Data tag, after (5200,9229)
    data = data[:at] + un + data[at:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = tile_positions(data)
        assert_matches(p, data)
    assert p.source == "per_frame" and len(p) == len(frames)


def test_stray_top_level_delimiters_and_unknown_sequences_are_skipped() -> None:
    ds = wsi_dataset(SLIDE, sparse_frames())
    nested = Dataset()
    nested.ReferencedSOPInstanceUID = generate_uid()
    inner = Dataset()
    inner.ReferencedImageSequence = DicomSequence([nested, Dataset()])
    ds.ReferencedSeriesSequence = DicomSequence([inner])
    set_lengths(ds, "undefined")
    data = to_bytes(ds)
    at = data.index(b"\x00\x52\x29\x92")  # before the Shared Functional Groups Sequence
    data = data[:at] + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00" + data[at:]
    assert_same(tile_positions(data), tile_positions(to_bytes(ds)))


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


# ---------------------------------------------------------------- errors


def test_item_count_must_be_number_of_frames() -> None:
    ds = wsi_dataset(SLIDE, sparse_frames())
    ds.NumberOfFrames = len(ds.PerFrameFunctionalGroupsSequence) + 1
    with pytest.raises(fc.EncapsulationError, match=r"has 96 items but Number of Frames \(0028,0008\) is 97"):
        tile_positions(to_bytes(ds))
    del ds.NumberOfFrames
    with pytest.raises(fc.EncapsulationError, match="has 96 items but there is no Number of Frames"):
        tile_positions(to_bytes(ds))
    ds.NumberOfFrames = "0"
    with pytest.raises(fc.EncapsulationError, match="Number of Frames .* not a positive integer"):
        tile_positions(to_bytes(ds))


def test_frame_without_a_position() -> None:
    frames: list[Frame | None] = list(sparse_frames())
    frames[7] = Frame(None, None, None, "1")
    with pytest.raises(fc.EncapsulationError, match=r"^frame 7 has no Plane Position \(Slide\) Sequence"):
        tile_positions(to_bytes(wsi_dataset(SLIDE, frames)))
    ok = tile_positions(to_bytes(wsi_dataset(SLIDE, frames, shared=Frame(1, 1, "0"))))  # a shared one fills in
    assert (ok.column_positions[7], ok.row_positions[7]) == (1, 1)
    with pytest.raises(fc.EncapsulationError, match="frame 0 has no Plane Position .* no Per-Frame Functional Groups"):
        tile_positions(to_bytes(wsi_dataset(SLIDE, None)))


def test_malformed_values_name_the_frame() -> None:
    frames: list[Frame | None] = list(sparse_frames())
    frames[4] = Frame(1, None, "0", "1")
    with pytest.raises(fc.EncapsulationError, match=r"^frame 4 .* has no Row Position In Total Image Pixel Matrix"):
        tile_positions(to_bytes(wsi_dataset(SLIDE, frames)))

    data = to_bytes(wsi_dataset(SLIDE, [Frame(1, 1, "0.001500", "1"), Frame(9, 1, "0.001500", "1")]))
    bad = data[: data.rindex(b"0.001500")] + b"0.0015x0" + data[data.rindex(b"0.001500") + 8 :]
    with pytest.raises(fc.EncapsulationError, match=r"^frame 1 .*Z Offset in Slide Coordinate System .* not one deci"):
        tile_positions(bad)

    for vr, value, explicit, message in [
        ("SS", 5, True, r"Column Position In Total Image Pixel Matrix \(0048,021E\) at offset \d+ has VR SS, expected"),
        ("SS", 5, False, r"\(0048,021E\) at offset \d+ has length 2, not 4 \(one SL value\)"),
    ]:
        ds = wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")])
        ds.PerFrameFunctionalGroupsSequence[0].PlanePositionSlideSequence[0].add_new(0x0048021E, vr, value)
        with pytest.raises(fc.EncapsulationError, match="^frame 0 .*" + message):
            tile_positions(to_bytes(ds, explicit))

    ds = wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")])
    item = ds.PerFrameFunctionalGroupsSequence[0]
    item.PlanePositionSlideSequence.append(item.PlanePositionSlideSequence[0])
    with pytest.raises(fc.EncapsulationError, match=r"Plane Position \(Slide\) Sequence .* more than one item"):
        tile_positions(to_bytes(ds))

    ds = wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")])
    ds.SharedFunctionalGroupsSequence.append(Dataset())
    with pytest.raises(fc.EncapsulationError, match=r"^Shared Functional Groups Sequence .* more than one item"):
        tile_positions(to_bytes(ds))

    ds = wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")])
    ds.PerFrameFunctionalGroupsSequence[0].OpticalPathIdentificationSequence[0] = Dataset()
    with pytest.raises(fc.EncapsulationError, match=r"has no Optical Path Identifier \(0048,0106\)"):
        tile_positions(to_bytes(ds))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns of an SH value over 16 characters, and writes it
        long_id = to_bytes(wsi_dataset(SLIDE, [Frame(1, 1, "0", "x" * 2000)]))
    with pytest.raises(fc.EncapsulationError, match=r"Optical Path Identifier .* 2000 bytes long, not a SH value"):
        tile_positions(long_id)

    data = to_bytes(wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")]))
    at = data.index(b"\x48\x00\x06\x00UL\x04\x00")  # Total Pixel Matrix Columns, cut to 2 bytes
    bad = data[:at] + b"\x48\x00\x06\x00UL\x02\x00\x01\x00" + data[at + 12 :]
    with pytest.raises(fc.EncapsulationError, match=r"Total Pixel Matrix Columns \(0048,0006\) .* not 4 \(one UL"):
        tile_positions(bad)


def test_sequence_with_another_vr() -> None:
    data = to_bytes(wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")]))
    at = data.index(b"\x00\x52\x30\x92SQ")
    bad = data[: at + 4] + b"OB" + data[at + 6 :]
    with pytest.raises(fc.EncapsulationError, match=r"Per-Frame Functional Groups Sequence \(5200,9230\) .* has VR OB"):
        tile_positions(bad)


def test_tiled_full_errors() -> None:
    slide = Slide(across=3, down=2)
    ds = wsi_dataset(slide, None, dimension_organization="TILED_FULL")
    ds.NumberOfFrames = 7
    ds.PixelData = bytes(7 * 64)
    with pytest.raises(fc.EncapsulationError, match=r"frame 6 is past the last tile of the TILED_FULL grid: 3 x 2 "):
        tile_positions(to_bytes(ds))
    ds.NumberOfFrames = 6
    del ds.TotalPixelMatrixRows
    with pytest.raises(fc.EncapsulationError, match=r"TILED_FULL .* by Total Pixel Matrix Rows \(0048,0007\), but it"):
        tile_positions(to_bytes(ds))


def test_forged_number_of_frames_allocates_nothing() -> None:
    """Positions shared by two billion frames of a few hundred bytes: refused, not allocated."""
    ds = wsi_dataset(Slide(), None, shared=Frame(1, 1, "0"), number_of_frames=1)
    ds.NumberOfFrames = 2_000_000_000
    ds.PixelData = b"\x00" * 64
    with pytest.raises(fc.EncapsulationError, match=r"Number of Frames \(0028,0008\) is 2000000000, more than the"):
        tile_positions(to_bytes(ds))
    ds.NumberOfFrames = 1 << 20  # up to this many with only the header, as for a buffer of the header alone
    assert len(tile_positions(to_bytes(ds))) == 1 << 20


def test_no_pixel_data_and_unsupported_encodings() -> None:
    ds = wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")])
    del ds.PixelData
    with pytest.raises(fc.EncapsulationError, match=r"no Pixel Data \(7FE0,0010\)"):
        tile_positions(to_bytes(ds))
    data = to_bytes(wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")]))
    big_endian = data.replace(b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008.1.2.2\x00")
    with pytest.raises(fc.EncapsulationError, match="Big Endian"):
        tile_positions(big_endian)


def test_nesting_is_bounded() -> None:
    item = b""
    for _ in range(70):
        item = sequence_header(0x00081115, 0xFFFFFFFF, True) + b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + item
    data = to_bytes(wsi_dataset(SLIDE, [Frame(1, 1, "0", "1")]))
    at = data.index(b"\x00\x52\x30\x92SQ")
    # a per-frame item whose first element opens 70 nested sequences
    seq = sequence_header(0x52009230, 0xFFFFFFFF, True) + b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + item
    with pytest.raises(fc.EncapsulationError, match="^frame 0 .*nested more than 64 deep"):
        tile_positions(data[:at] + seq)


def truncation_sample() -> tuple[bytes, int]:
    frames = sparse_frames(Slide(across=3, down=2, planes=2, paths=("a", "b")))
    ds = wsi_dataset(Slide(across=3, down=2, planes=2, paths=("a", "b")), frames)
    set_lengths(ds, "mixed", seed=4)
    data = to_bytes(ds)
    return data, fc.encaps.locate_pixel_data(data).offset


def test_every_truncation() -> None:
    data, header_end = truncation_sample()
    want = tile_positions(data)
    for cut in range(len(data)):
        try:
            got = tile_positions(data[:cut])
        except fc.EncapsulationError:
            assert cut < header_end
            continue
        assert cut >= header_end
        assert_same(got, want)


def test_truncated_big_file() -> None:
    slide = Slide(across=40, down=25, planes=2, paths=("a", "b"))
    data = big_wsi_file(slide, shuffled(slide.full_order(), 3), explicit=True, undefined=True)
    header_end = fc.encaps.locate_pixel_data(data).offset
    for cut in np.random.default_rng(1).integers(0, header_end, 400).tolist():
        with pytest.raises(fc.EncapsulationError, match="truncated|past the end|no Pixel Data"):
            tile_positions(data[:cut])


def test_random_corruption_never_crashes() -> None:
    data, header_end = truncation_sample()
    rng = np.random.default_rng(0)
    outcomes = {"error": 0, "read": 0}
    for _ in range(3000):
        b = bytearray(data)
        for pos in rng.integers(132, header_end, int(rng.integers(1, 4))):
            b[pos] = int(rng.integers(0, 256))
        try:
            p = tile_positions(bytes(b))
        except fc.EncapsulationError:
            outcomes["error"] += 1
            continue
        outcomes["read"] += 1
        assert len(p.column_positions) == len(p.optical_paths) == p.number_of_frames
        assert all(-1 <= i < len(p.optical_path_identifiers) for i in p.optical_paths.tolist())
    assert outcomes["error"] and outcomes["read"]


@settings(max_examples=300, deadline=None)
@given(junk=st.binary(max_size=200), explicit=st.booleans(), cut=st.integers(0, 4000), where=st.integers(0, 4000))
def test_hypothesis_garbage(junk: bytes, explicit: bool, cut: int, where: int) -> None:
    """Garbage after the meta, after a cut, or spliced into the functional groups: an error or a result."""
    sample = _hypothesis_sample(explicit)
    meta_end = 144 + struct.unpack_from("<I", sample, 140)[0]  # (0002,0000) File Meta Information Group Length
    for data in (sample[:meta_end] + junk, sample[:cut] + junk, sample[:where] + junk + sample[where:]):
        try:
            p = tile_positions(data)
        except fc.EncapsulationError:
            continue
        assert len(p.row_positions) == p.number_of_frames


_samples: dict[bool, bytes] = {}


def _hypothesis_sample(explicit: bool) -> bytes:
    if explicit not in _samples:
        slide = Slide(across=3, down=2, paths=("a", "b"))
        ds = wsi_dataset(slide, shuffled(slide.full_order(), 1))
        set_lengths(ds, "mixed", seed=2)
        _samples[explicit] = to_bytes(ds, explicit)
    return _samples[explicit]


def test_wrapper_types() -> None:
    p = tile_positions(to_bytes(wsi_dataset(SLIDE, sparse_frames())))
    with pytest.raises(AttributeError):
        p.source = "shared"  # type: ignore[misc]
    assert isinstance(p.optical_path_identifiers, tuple)
    assert not math.isnan(p.z_offsets[0])
