"""framecodec.encaps.encapsulate / encapsulate_extended against pydicom.encaps (byte for byte)."""

from __future__ import annotations

import mmap
import struct

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.encaps import generate_frames

import framecodec as fc
from encaps_util import DELIMITER

frames_st = st.lists(st.binary(min_size=1, max_size=64), min_size=0, max_size=20)


def random_frames(n: int, lo: int, hi: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(int(s)) for s in rng.integers(lo, hi + 1, n)]


@pytest.mark.parametrize(
    "frames",
    [
        [b"\x01"],
        [b"\x01\x02"],
        [b"abc", b"defg", b"h"],
        random_frames(50, 1, 300, seed=1),
        random_frames(7, 10_000, 70_000, seed=2),
        [],
    ],
    ids=["one-odd-byte", "one-even", "odd-and-even", "50-mixed", "7-large", "no-frames"],
)
def test_encapsulate_matches_pydicom(frames: list[bytes]) -> None:
    assert fc.encaps.encapsulate(frames) == pd_encapsulate(frames)
    assert fc.encaps.encapsulate(frames, "basic") == pd_encapsulate(frames, has_bot=True)
    assert fc.encaps.encapsulate(frames, "none") == pd_encapsulate(frames, has_bot=False)
    assert fc.encaps.encapsulate(frames, "extended") == pd_encapsulate(frames, has_bot=False)
    if frames:
        assert fc.encaps.encapsulate_extended(frames) == pd_encapsulate_extended(frames)
    else:  # pydicom 3.0.2 fails with struct.error here; an empty BOT and empty tables are the consistent answer
        assert fc.encaps.encapsulate_extended(frames) == (pd_encapsulate(frames, has_bot=False), b"", b"")


@settings(max_examples=300, deadline=None)
@given(frames=frames_st)
def test_encapsulate_matches_pydicom_hypothesis(frames: list[bytes]) -> None:
    assert fc.encaps.encapsulate(frames) == pd_encapsulate(frames)
    assert fc.encaps.encapsulate(frames, "none") == pd_encapsulate(frames, has_bot=False)
    if frames:
        assert fc.encaps.encapsulate_extended(frames) == pd_encapsulate_extended(frames)


def test_delimiter_appends_the_sequence_delimiter() -> None:
    frames = random_frames(5, 1, 99)
    for table in ("basic", "extended", "none"):
        plain = fc.encaps.encapsulate(frames, table)
        assert fc.encaps.encapsulate(frames, table, delimiter=True) == plain + DELIMITER
    value, eot, lengths = fc.encaps.encapsulate_extended(frames, delimiter=True)
    assert (value, eot, lengths) == (lambda v, o, n: (v + DELIMITER, o, n))(*pd_encapsulate_extended(frames))
    scanned = fc.encaps.scan_fragments(fc.encaps.encapsulate(frames, delimiter=True))
    assert scanned.has_delimiter and len(scanned) == 5


def test_any_buffer_and_any_iterable_of_frames() -> None:
    frames = random_frames(6, 1, 50, seed=3)
    expected = pd_encapsulate(frames)
    assert fc.encaps.encapsulate([bytearray(f) for f in frames]) == expected
    assert fc.encaps.encapsulate([memoryview(f) for f in frames]) == expected
    assert fc.encaps.encapsulate(np.frombuffer(f, np.uint8) for f in frames) == expected
    assert fc.encaps.encapsulate(tuple(frames)) == expected
    # a frame of wider items is written as its raw bytes
    words = np.arange(10, dtype="<u2")
    assert fc.encaps.encapsulate([words]) == pd_encapsulate([words.tobytes()])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="offset_table"):
        fc.encaps.encapsulate([b"ab"], "Basic")
    with pytest.raises(TypeError, match="bytes-like"):
        fc.encaps.encapsulate(["ab"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        fc.encaps.encapsulate(5)  # type: ignore[arg-type]


def test_empty_frame_is_refused_like_pydicom() -> None:
    with pytest.raises(ValueError):
        pd_encapsulate([b"ab", b""])
    with pytest.raises(fc.EncapsulationError, match="frame 1 is empty"):
        fc.encaps.encapsulate([b"ab", b""])
    with pytest.raises(fc.EncapsulationError):
        fc.encaps.encapsulate_extended([b""])


@pytest.fixture
def sparse_mmap(tmp_path):
    """A read-only mapping of a sparse file: gigabytes of frame that occupy neither disk nor memory."""
    opened = []

    def make(size: int) -> mmap.mmap:
        path = tmp_path / f"sparse-{size}"
        with open(path, "wb") as f:
            f.truncate(size)
        with open(path, "rb") as f:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        opened.append(m)
        return m

    yield make
    for m in opened:
        m.close()


def test_basic_offset_table_limit_points_to_extended(sparse_mmap) -> None:
    # Three 2 GiB frames: the third frame's offset (2 * (2**31 + 8)) exceeds 2**32 - 1. The check comes
    # before any byte is copied, so nothing is read from the (sparse) frames.
    big = sparse_mmap(2**31)
    with pytest.raises(fc.EncapsulationError, match=r"frame 2 .*uint32.*extended"):
        fc.encaps.encapsulate([big, big, big])
    # pydicom refuses the same frames (its check counts unpadded lengths).
    total = 2 * 8 + 2 * 2**31
    assert total > 2**32 - 1


def test_frame_longer_than_an_item(sparse_mmap) -> None:
    huge = sparse_mmap(2**32)  # padded to 2**32: more than an item's 4294967294 bytes
    for table in ("basic", "none"):
        with pytest.raises(fc.EncapsulationError, match="more than one item can hold"):
            fc.encaps.encapsulate([b"ab", huge], table)


def test_written_file_reads_back_with_pydicom_and_dcmtk(tmp_path) -> None:
    """Encapsulated values drop into a pydicom data set; pydicom's writer adds the delimiter."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import RLELossless, generate_uid

    frames = random_frames(4, 20, 41, seed=5)
    for table in ("basic", "extended"):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = RLELossless
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.NumberOfFrames = len(frames)
        if table == "basic":
            ds.PixelData = fc.encaps.encapsulate(frames)
        else:
            ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = fc.encaps.encapsulate_extended(frames)
        path = tmp_path / f"{table}.dcm"
        ds.save_as(path, enforce_file_format=True)

        back = pydicom.dcmread(path)
        ext = (back.ExtendedOffsetTable, back.ExtendedOffsetTableLengths) if table == "extended" else None
        got = list(generate_frames(back.PixelData, number_of_frames=4, extended_offsets=ext))
        assert got == [f + b"\x00" * (len(f) % 2) for f in frames]

        loc = fc.encaps.locate_pixel_data(path)
        data = path.read_bytes()
        t = loc.frame_table(data)
        assert t.source == table and t.has_delimiter and t.end == len(data)
        assert [bytes(f) for f in fc.encaps.iter_frames(data, t)] == got
        if table == "extended":
            offsets = struct.unpack("<4Q", back.ExtendedOffsetTable)
            assert loc.extended_offsets.tolist() == list(offsets)
