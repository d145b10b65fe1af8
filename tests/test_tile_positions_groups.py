"""tile_positions against pydicom on whole-slide-like data sets built here: per-frame and shared functional
groups, their values' encodings, the sources of the buffer, and the result object."""

from __future__ import annotations

import math
import mmap
import pickle
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

import framecodec as fc
from framecodec.slide import tile_positions
from tile_positions_util import SLIDE, assert_matches, assert_same, sparse_frames
from wsi_util import Frame, Slide, big_wsi_file, set_lengths, shuffled, to_bytes, wsi_dataset

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


def test_wrapper_types() -> None:
    p = tile_positions(to_bytes(wsi_dataset(SLIDE, sparse_frames())))
    with pytest.raises(AttributeError):
        p.source = "shared"  # type: ignore[misc]
    assert isinstance(p.optical_path_identifiers, tuple)
    assert not math.isnan(p.z_offsets[0])
