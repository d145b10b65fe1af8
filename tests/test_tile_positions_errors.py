"""tile_positions on bad input: what the header claims against what it holds, malformed values naming the
frame, unsupported encodings, forged counts, bounded nesting, every truncation and random corruption."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

import framecodec as fc
from framecodec.slide import tile_positions
from tile_positions_util import SLIDE, assert_same, sparse_frames
from wsi_util import Frame, Slide, big_wsi_file, sequence_header, set_lengths, shuffled, to_bytes, wsi_dataset

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
