"""The fault table (docs/faults.md), broken data sets: offsets and offset tables that cannot be, nesting past the
limit, Number of Frames 0, files cut short, optical paths past their sequence, and the saved fuzzing inputs; the
exception each raises and what the message says.

Every test here was a silent wrong result, a hang or a misleading error before the fix that came with it
(issue 10).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest

import framecodec as fc
from datasets import DEFLATE, RLE, Layout, base_dataset, dataset, encapsulated_value, make_pixels, to_bytes
from framecodec.slide import tile_positions


@pytest.mark.parametrize("huge", [2**63, 2**64 - 1])
def test_offsets_of_2_63_and_more_are_refused_for_what_they_are(huge: int) -> None:
    # Before: a list holding 2**63 became float64 in numpy and was refused as "got float64", a list holding
    # 2**64 as "got object": neither is the reason. Now the values reach the table checks, which say where.
    buf = fc.encaps.encapsulate([b"ab", b"cd"], offset_table="none")
    for offsets, lengths in (([0, huge], [2, 2]), ((0, huge), (2, 2)), ([0, 10], [2, huge])):
        with pytest.raises(fc.EncapsulationError, match=rf"frame 1: the Extended Offset Table (offset|length) {huge}"):
            fc.encaps.frame_table(buf, 2, offsets, lengths)
    with pytest.raises(
        ValueError, match=r"extended_offsets\[1\] is 18446744073709551616, more than an unsigned 64-bit"
    ):
        fc.encaps.frame_table(buf, 2, [0, 2**64], [2, 2])
    with pytest.raises(ValueError, match=r"extended_lengths must not be negative: extended_lengths\[0\] is -2"):
        fc.encaps.frame_table(buf, 2, [0, 10], [-2, 2])
    with pytest.raises(TypeError, match=r"extended_offsets\[1\] is float, not an integer"):
        fc.encaps.frame_table(buf, 2, [0, 10.0], [2, 2])
    # The engine's own arrays: integers only, never a float truncated or a negative value wrapped.
    out = np.zeros(2, np.uint8)
    with pytest.raises(TypeError, match=r"offsets must hold integers .* got dtype float64 \(numpy makes a list"):
        fc._core._decode_frames(buf, "uncompressed", 1, 1, 1, 8, out, [16, huge], [2, 2])
    with pytest.raises(ValueError, match="offsets must not be negative"):
        fc._core._decode_frames(buf, "uncompressed", 1, 1, 1, 8, out, np.array([16, -1]), [2, 2])
    with pytest.raises(
        fc.EncapsulationError, match=rf"frame 1: its data \(2 bytes at offset {huge}\) runs past the end"
    ):
        fc._core._decode_frames(buf, "uncompressed", 1, 1, 1, 8, out, np.array([16, huge], np.uint64), [2, 2])
    with pytest.raises(fc.EncapsulationError, match=r"puts its item outside the 28-byte data"):
        fc._core._verify_extended_frames(buf, np.array([huge, 26], np.uint64), np.array([2, 2], np.uint64), 0, 1)


def test_an_extended_offset_table_length_shorter_than_its_item_is_refused() -> None:
    # Before: accepted, and frame_bytes returned the first `length` bytes of the item: a short frame.
    frames = [b"aaaa", b"bbbbbb", b"cccc"]
    buf, eo, el = fc.encaps.encapsulate_extended(frames)
    lengths = np.frombuffer(el, "<u8").copy()
    for i in (0, 1, 2):  # the first and last frames are checked by frame_table, the others when read
        short = lengths.copy()
        short[i] -= 2
        with pytest.raises(
            fc.EncapsulationError,
            match=rf"frame {i}: the Extended Offset Table length {short[i]} is "
            rf"shorter than its fragment's length {lengths[i]}",
        ):
            table = fc.encaps.frame_table(buf, 3, eo, short)
            fc.encaps.frame_bytes(buf, table, i)
    # One byte short of an item that ends in the 0x00 pad byte: an odd codestream's own length, accepted.
    odd = [b"abc", b"defgh", b"i"]
    buf, eo, el = fc.encaps.encapsulate_extended(odd)
    unpadded = np.array([len(f) for f in odd], np.uint64)
    table = fc.encaps.frame_table(buf, 3, eo, unpadded)
    assert [bytes(f) for f in fc.encaps.iter_frames(buf, table)] == odd
    padded = fc.encaps.frame_table(buf, 3, eo, el)
    assert [bytes(f) for f in fc.encaps.iter_frames(buf, padded)] == [f + b"\0" for f in odd]
    not_a_pad = bytearray(buf)
    not_a_pad[8 + 8 + 3] = 0x55  # frame 0's pad byte is data now
    with pytest.raises(fc.EncapsulationError, match="frame 0: the Extended Offset Table length 3 is shorter"):
        fc.encaps.frame_table(bytes(not_a_pad), 3, eo, unpadded)


def nested_sequences(levels: int) -> bytes:
    """An explicit VR data set whose first element is `levels` sequences of undefined length, each in the item
    (of undefined length) of the one around it, then encapsulated Pixel Data."""

    def el(tag: int, vr: bytes, value: bytes, length: int | None = None) -> bytes:
        n = len(value) if length is None else length
        if tag >> 16 == 0xFFFE:
            return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, n) + value
        return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, vr, 0, n) + value

    undefined = 0xFFFFFFFF
    inner = b""
    for _ in range(levels):
        item = el(0xFFFEE000, b"", b"", undefined) + inner + el(0xFFFEE00D, b"", b"")
        inner = el(0x00081115, b"SQ", b"", undefined) + item + el(0xFFFEE0DD, b"", b"")
    return inner + el(0x7FE00010, b"OB", b"", undefined) + fc.encaps.encapsulate([b"ab"], delimiter=True)


def test_the_sequence_nesting_limit_is_the_one_the_message_states() -> None:
    # Before: items counted as levels too, so 33 nested sequences were refused as "nested more than 64 deep".
    assert fc.encaps.locate_pixel_data(nested_sequences(64)).encapsulated
    with pytest.raises(fc.EncapsulationError, match="has no Plane Position"):  # past the 64 levels, to the end
        tile_positions(nested_sequences(64))
    for read in (fc.encaps.locate_pixel_data, tile_positions):
        with pytest.raises(fc.EncapsulationError, match="sequences nested more than 64 deep"):
            read(nested_sequences(65))


def with_number_of_frames(source: Path | str, value: str, out: Path) -> Path:
    import pydicom

    ds = pydicom.dcmread(source)
    ds.NumberOfFrames = value
    ds.save_as(out)
    return out


def test_number_of_frames_0_is_refused_not_read_as_1(tmp_path: Path, dicom_path: Path) -> None:
    # Before: the frame table of locate_pixel_data's location and the reader of transfer syntaxes pydicom
    # decodes took "0" for 1 frame, silently.
    zero = with_number_of_frames(dicom_path, "0", tmp_path / "zero.dcm")
    loc = fc.encaps.locate_pixel_data(zero)
    assert loc.number_of_frames == 0
    with pytest.raises(fc.EncapsulationError, match=r"\(0028,0008\) Number of Frames is 0"):
        loc.frame_table(zero.read_bytes())
    assert len(loc.frame_table(zero.read_bytes(), 3)) == 3  # the caller may say how many
    with pytest.raises(ValueError, match=r"\(0028,0008\) Number of Frames must be at least 1, got 0"):
        fc.pixel_array(zero)
    with pytest.raises(ValueError, match=r"Number of Frames must be at least 1, got 0"):
        fc.FrameReader(zero)
    import pydicom.data

    jpeg = with_number_of_frames(pydicom.data.get_testdata_file("SC_rgb_jpeg_dcmtk.dcm"), "0", tmp_path / "jpeg.dcm")
    with fc.FrameReader(jpeg) as r:  # decoded by pydicom: the count is framecodec's to read
        with pytest.raises(ValueError, match=r"Number of Frames must be at least 1, got 0"):
            len(r)
    with pytest.raises(ValueError, match=r"Number of Frames must be at least 1, got 0"):
        fc.pixel_array(jpeg, [0])


def item_boundaries(value_start: int, data: bytes) -> list[int]:
    """Where each item of the encapsulated value starting at value_start begins, and where the data ends."""
    out, pos = [], value_start
    while pos + 8 <= len(data) and data[pos : pos + 4] == b"\xfe\xff\x00\xe0":
        out.append(pos)
        pos += 8 + struct.unpack("<I", data[pos + 4 : pos + 8])[0]
    return out + [pos]


@pytest.mark.parametrize("layout_kind", ["basic, two fragments per frame", "markers", "single frame"])
def test_a_file_cut_at_an_item_boundary_is_truncated_not_a_short_last_frame(layout_kind: str, tmp_path: Path) -> None:
    # Before: a file cut where one of the last frame's items ends read as a complete value: frame_bytes and
    # FrameReader.raw returned the last frame without its remaining fragments, with no error.
    from pydicom.uid import JPEGBaseline8Bit

    n = 1 if layout_kind == "single frame" else 3
    layout = Layout(8, 8, 3, frames=n)
    jpeg = [b"\xff\xd8" + bytes([i]) * 40 + b"\xff\xd9" for i in range(n)]
    ds = base_dataset(layout, JPEGBaseline8Bit)
    ds.PixelData = encapsulated_value(jpeg, fragments_per_frame=3, bot=layout_kind.startswith("basic"))
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    data = to_bytes(ds)
    loc = fc.encaps.locate_pixel_data(data)
    whole = loc.frame_table(data)
    assert whole.has_delimiter and bytes(fc.encaps.frame_bytes(data, whole, -1)).startswith(jpeg[-1])
    last_frame_items = item_boundaries(loc.offset, data)[-4:-1]  # the last frame's three items begin here
    for cut in last_frame_items[1:]:  # after one of the last frame's items, after two
        short = data[:cut]
        with pytest.raises(fc.EncapsulationError, match=r"truncated Pixel Data: .* without its sequence delimiter"):
            fc.encaps.locate_pixel_data(short).frame_table(short)
        path = tmp_path / "cut.dcm"
        path.write_bytes(short)
        # JPEG frames are the engine's (libjpeg-turbo): the frame table is built, and refused, when the file opens
        with pytest.raises(ValueError, match="without its sequence delimiter"), fc.FrameReader(path) as r:
            r.raw(n - 1)
    # Cut before the delimiter only: the last fragment ends with the codestream's EOI (FF D9), which JPEG's coded
    # data never holds, so the last frame is known to be whole (PS3.5 A.4, ITU-T T.81 B.1.1.5).
    short = data[: len(data) - 8]
    table = fc.encaps.locate_pixel_data(short).frame_table(short)
    assert not table.has_delimiter and bytes(fc.encaps.frame_bytes(short, table, -1)) == jpeg[-1]
    # A bare value (as pydicom holds PixelData) has no delimiter to miss: read as it is, documented.
    value = ds.PixelData
    assert len(fc.encaps.frame_table(value[: last_frame_items[1] - loc.offset], n)) == n


def test_a_file_cut_before_its_delimiter_still_decodes_when_the_last_frame_is_whole(tmp_path: Path) -> None:
    # One fragment per frame by the transfer syntax (RLE, deflate, encapsulated uncompressed) or the Extended
    # Offset Table: the last frame's end is known, and the decoders check each frame's size.
    layout = Layout(6, 6, frames=3)
    for ts, kwargs in ((RLE, {}), (DEFLATE, {"bot": False}), (RLE, {"extended": True})):
        data = to_bytes(dataset(make_pixels(layout, 3), layout, ts, **kwargs))
        table = fc.encaps.locate_pixel_data(data[:-8]).frame_table(data[:-8])
        assert not table.has_delimiter and len(table) == 3
        assert np.array_equal(fc.pixel_array(io.BytesIO(data[:-8])), fc.pixel_array(io.BytesIO(data)))


def test_tiled_full_optical_paths_past_the_optical_path_sequence_are_refused() -> None:
    # Found by fuzz_tile_positions: Number of Optical Paths 2 and an Optical Path Sequence of 1 item gave
    # frames on optical path 1, an index past optical_path_identifiers.
    from pydicom.sequence import Sequence as DicomSequence

    import wsi_util as w

    slide = w.Slide(across=2, down=2, paths=("p", "q"))
    ds = w.wsi_dataset(slide, None, dimension_organization="TILED_FULL")
    p = tile_positions(w.to_bytes(ds))
    assert [p.optical_path_identifiers[i] for i in p.optical_paths] == ["p"] * 4 + ["q"] * 4
    ds.OpticalPathSequence = DicomSequence(list(ds.OpticalPathSequence)[:1])
    with pytest.raises(
        fc.EncapsulationError,
        match=r"frame 4 of the TILED_FULL order is on optical path 1, but the "
        r"Optical Path Sequence \(0048,0105\) has 1 item",
    ):
        tile_positions(w.to_bytes(ds))


REGRESSIONS = Path(__file__).parent / "fuzz" / "regressions"


def regression_inputs(*targets: str) -> list:
    return [
        pytest.param(t, p, id=f"{t}/{p.name}")
        for t in targets
        for p in sorted((REGRESSIONS / t).glob("*"))
        if p.is_file()
    ]


@pytest.mark.parametrize(("target", "path"), regression_inputs("locate", "tile_positions", "batch"))
def test_fuzz_regression_inputs_through_the_python_api(target: str, path: Path) -> None:
    # tests/fuzz/run.sh replays every saved input through its fuzz target; the whole-file ones also go through
    # the functions a user calls: a result or a ValueError, never a crash or a wrong-sized answer.
    data = path.read_bytes()
    if target == "batch":
        data = data[3:]  # the target's layout bytes, then the file
    try:
        if target == "tile_positions":
            p = tile_positions(data)
            n = p.number_of_frames
            assert len(p.column_positions) == len(p.optical_paths) == n
            assert all(i < len(p.optical_path_identifiers) for i in p.optical_paths.tolist()) or (
                p.source == "tiled_full" and not p.optical_path_identifiers
            )
        else:
            fc.encaps.locate_pixel_data(data)
            fc.pixel_array(io.BytesIO(data))
    except ValueError:
        pass


def test_the_regression_folders_hold_inputs() -> None:
    # The replay above must not pass by finding nothing: the tile walk's finding is there.
    assert regression_inputs("tile_positions")


def test_extended_offsets_closer_than_an_item_header_are_refused() -> None:
    # Found by fuzz_encaps: two offsets 3 bytes apart made `next - offset - 8` wrap around, so the length check
    # passed and the table held a frame running past the end of the buffer (caught only when it was read).
    buf = fc.encaps.encapsulate([b"aaaa", b"bb", b"cc"], offset_table="none")
    with pytest.raises(
        fc.EncapsulationError,
        match=r"frame 1: the Extended Offset Table offsets 12 and 15 \(frame 2\) "
        r"are 3 bytes apart, too close for an item header",
    ):
        fc.encaps.frame_table(buf, 3, [0, 12, 15], [4, 2, 2])
