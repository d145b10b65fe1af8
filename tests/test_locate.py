"""locate_pixel_data against pydicom's parser, on pydicom's test files and on data sets built here."""

from __future__ import annotations

import mmap
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

import framecodec as fc
from encaps_util import DELIMITER, value

LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
UNDEFINED = 0xFFFFFFFF


def element(tag: int, vr: str, val: bytes, explicit: bool = True, length: int | None = None) -> bytes:
    """One data element, little endian (PS3.5 7.1.2 / 7.1.3)."""
    g, e = tag >> 16, tag & 0xFFFF
    n = len(val) if length is None else length
    if not explicit or g == 0xFFFE:
        return struct.pack("<HHI", g, e, n) + val
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", g, e, vr.encode(), 0, n) + val
    return struct.pack("<HH2sH", g, e, vr.encode(), n) + val


def file_meta(ts: str) -> bytes:
    uid = ts.encode() + b"\x00" * (len(ts) % 2)
    body = element(0x00020001, "OB", b"\x00\x01") + element(0x00020010, "UI", uid)
    return element(0x00020000, "UL", struct.pack("<I", len(body))) + body


def dicom_file(ts: str | None, body: bytes) -> bytes:
    head = b"\x00" * 128 + b"DICM" + file_meta(ts) if ts else b""
    return head + body


def undefined_sequence(tag: int, items: list[bytes], explicit: bool = True, vr: str = "SQ") -> bytes:
    """A sequence of undefined length whose items (data sets) also have undefined length."""
    inner = b"".join(element(0xFFFEE000, "", b"", length=UNDEFINED) + it + element(0xFFFEE00D, "", b"") for it in items)
    return element(tag, vr, b"", explicit, length=UNDEFINED) + inner + element(0xFFFEE0DD, "", b"")


ENCAPS = value([b"\xff\xd8ab\xff\xd9", b"\xff\xd8cd\xff\xd9"], [0, 14], delimiter=False)


def pixel_data_element(explicit: bool = True) -> bytes:
    return element(0x7FE00010, "OB", b"", explicit, length=UNDEFINED)


# ---------------------------------------------------------------- pydicom's test files


def pydicom_files() -> list[str]:
    """The test files pydicom ships in its wheel (get_testdata_files would also try to download more)."""
    import pydicom.data

    folder = Path(pydicom.data.__file__).parent / "test_files"
    return sorted(str(p) for p in folder.iterdir() if p.is_file())


def read_reference(path: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            return None
    if 0x7FE00010 not in ds:
        return None
    return ds


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom's warnings about its deliberately odd files
@pytest.mark.parametrize("path", pydicom_files(), ids=os.path.basename)
def test_pydicom_test_files(path: str) -> None:
    ds = read_reference(path)
    meta = getattr(ds, "file_meta", None)
    big_endian = meta is not None and meta.get("TransferSyntaxUID") in (
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
    )
    if ds is None or big_endian:
        # no top-level Pixel Data, not DICOM, big endian or deflated: always a clear error, never a guess
        with pytest.raises(fc.EncapsulationError):
            fc.encaps.locate_pixel_data(path)
        return
    raw = ds.get_item(0x7FE00010)
    data = Path(path).read_bytes()
    loc = fc.encaps.locate_pixel_data(path)
    assert loc == fc.encaps.locate_pixel_data(data)
    assert loc.offset == raw.value_tell
    assert loc.encapsulated == (raw.length == UNDEFINED)
    assert loc.explicit_vr == (not raw.is_implicit_VR)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    assert loc.transfer_syntax == ts
    nf = str(ds.get("NumberOfFrames", "")).strip()
    assert loc.number_of_frames == (int(nf) if nf.isdigit() else None)  # badVR.dcm has "1A": None
    assert data[loc.element_offset : loc.element_offset + 4] == b"\xe0\x7f\x10\x00"
    if not loc.encapsulated:
        assert loc.length == raw.length
        assert data[loc.offset : loc.offset + loc.length] == ds.PixelData
        return
    # encapsulated: the value and every frame agree with pydicom
    from pydicom.encaps import generate_frames

    t = loc.frame_table(data)
    assert t.has_delimiter
    assert data[loc.offset : t.end - 8] == ds.PixelData
    n = loc.number_of_frames or 1
    assert [bytes(f) for f in fc.encaps.iter_frames(data, t)] == list(generate_frames(ds.PixelData, number_of_frames=n))
    # pydicom's files as a header-only buffer: everything up to the value is enough
    assert fc.encaps.locate_pixel_data(data[: loc.offset]) == loc


# ---------------------------------------------------------------- data sets built here


def body_with_sequences(explicit: bool) -> bytes:
    nested = undefined_sequence(0x00081199, [element(0x00081150, "UI", b"1.2.3\x00", explicit)], explicit)
    seq = undefined_sequence(0x00081115, [nested + element(0x0020000E, "UI", b"1.2\x00", explicit)], explicit)
    defined_item = element(0x00100010, "PN", b"Doe^J ", explicit)
    defined = element(0xFFFEE000, "", defined_item)
    defined_seq = element(0x00082112, "SQ", defined, explicit) if explicit else element(0x00082112, "", defined, False)
    # an item of undefined length holding encapsulated Pixel Data, as an Icon Image Sequence does
    icon = undefined_sequence(
        0x00880200,
        [element(0x00280010, "US", b"\x01\x00", explicit) + pixel_data_element(explicit) + ENCAPS + DELIMITER],
        explicit,
    )
    return (
        element(0x00080016, "UI", b"1.2.840.10008.5.1.4.1.1.7\x00", explicit)
        + seq
        + defined_seq
        + element(0x00280008, "IS", b"2 ", explicit)
        + icon
        + pixel_data_element(explicit)
        + ENCAPS
        + DELIMITER
    )


@pytest.mark.parametrize("explicit", [True, False])
@pytest.mark.parametrize("with_meta", [True, False])
def test_sequences_of_undefined_length_are_skipped(explicit: bool, with_meta: bool, tmp_path) -> None:
    ts = (ExplicitVRLittleEndian if explicit else ImplicitVRLittleEndian) if with_meta else None
    data = dicom_file(ts, body_with_sequences(explicit))
    loc = fc.encaps.locate_pixel_data(data)
    assert loc.offset == len(data) - len(ENCAPS) - 8
    assert loc.encapsulated and loc.length is None
    assert loc.explicit_vr == explicit and loc.transfer_syntax == ts
    assert loc.vr == ("OB" if explicit else None)
    assert loc.number_of_frames == 2
    path = tmp_path / "seq.dcm"
    path.write_bytes(data)
    assert fc.encaps.locate_pixel_data(path) == loc
    assert fc.encaps.locate_pixel_data(str(path)) == loc
    # pydicom agrees
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path, force=True)
    assert ds.get_item(0x7FE00010).value_tell == loc.offset
    assert [bytes(fc.encaps.frame_bytes(data, loc.frame_table(data), i)) for i in range(2)] == [
        b"\xff\xd8ab\xff\xd9",
        b"\xff\xd8cd\xff\xd9",
    ]


def test_un_of_undefined_length_holds_implicit_vr(tmp_path) -> None:
    """PS3.5 6.2.2: an explicit VR UN element of undefined length is a sequence encoded in implicit VR."""
    implicit_item = element(0x00081150, "", b"1.2.3\x00", explicit=False) + undefined_sequence(
        0x00081199, [element(0x00100010, "", b"AB", explicit=False)], explicit=False
    )
    body = (
        element(0x00080016, "UI", b"1.2\x00")
        + undefined_sequence(0x00091010, [implicit_item], explicit=True, vr="UN")
        + pixel_data_element()
        + ENCAPS
        + DELIMITER
    )
    data = dicom_file(JPEGBaseline8Bit, body)
    loc = fc.encaps.locate_pixel_data(data)
    assert loc.offset == len(data) - len(ENCAPS) - 8
    assert loc.transfer_syntax == JPEGBaseline8Bit
    # read the nested data set as explicit VR instead and it would be garbage: "1." is no VR
    path = tmp_path / "un.dcm"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pydicom.dcmread(path).get_item(0x7FE00010).value_tell == loc.offset


def test_extended_offset_table_and_stray_delimiter() -> None:
    frames = [b"\xff\xd8" + bytes([i]) * (10 + i) + b"\xff\xd9" for i in range(5)]
    enc, eot, lengths = fc.encaps.encapsulate_extended(frames)
    body = (
        element(0x00280008, "IS", b"5 ")
        + element(0xFFFEE0DD, "", b"")  # a stray sequence delimiter at the top level
        + element(0x7FE00001, "OV", eot)
        + element(0x7FE00002, "OV", lengths)
        + pixel_data_element()
        + enc
        + DELIMITER
    )
    data = dicom_file(JPEGBaseline8Bit, body)
    loc = fc.encaps.locate_pixel_data(data)
    assert loc.extended_offsets.tolist() == list(struct.unpack("<5Q", eot))
    assert loc.extended_lengths.tolist() == list(struct.unpack("<5Q", lengths))
    assert not loc.extended_offsets.flags.writeable
    t = loc.frame_table(data)
    assert t.source == "extended"
    assert [bytes(f) for f in fc.encaps.iter_frames(data, t)] == [f + b"\x00" * (len(f) % 2) for f in frames]


def test_the_location_and_its_table_are_native_objects_that_pickle() -> None:
    # The bound classes (issue 20): read-only attributes, arrays that outlive their object, a pickle that compares
    # equal and builds the same table, an Extended Offset Table without its Lengths refused by name.
    import gc
    import pickle

    frames = [b"\xff\xd8" + bytes([i]) * (10 + i) + b"\xff\xd9" for i in range(3)]
    enc, eot, lengths = fc.encaps.encapsulate_extended(frames)
    head = element(0x00280008, "IS", b"3 ") + element(0x7FE00001, "OV", eot)
    data = dicom_file(
        JPEGBaseline8Bit, head + element(0x7FE00002, "OV", lengths) + pixel_data_element() + enc + DELIMITER
    )
    loc = fc.encaps.locate_pixel_data(data)
    with pytest.raises(AttributeError):
        loc.offset = 0  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(loc))
    assert again == loc and again != fc.encaps.locate_pixel_data(
        dicom_file(JPEGBaseline8Bit, pixel_data_element() + enc)
    )
    assert again.extended_offsets.tolist() == list(struct.unpack("<3Q", eot))
    assert again.frame_table(data) == loc.frame_table(data)
    assert "offset=" in repr(loc) and "extended offset table of 3" in repr(loc)
    table = loc.frame_table(data)
    offsets, sizes = table.offsets, table.lengths
    assert offsets is table.offsets and not offsets.flags.writeable
    del loc, again, table
    gc.collect()  # the arrays keep the table's memory
    padded = [f + b"\x00" * (len(f) % 2) for f in frames]
    assert [data[o : o + n] for o, n in zip(offsets.tolist(), sizes.tolist())] == padded
    half = dicom_file(JPEGBaseline8Bit, head + pixel_data_element() + enc + DELIMITER)
    with pytest.raises(fc.EncapsulationError, match=r"\(7FE0,0001\) Extended Offset Table but no \(7FE0,0002\)"):
        fc.encaps.locate_pixel_data(half).frame_table(half)


def test_native_pixel_data_and_values() -> None:
    body = (
        element(0x00280008, "IS", b" 12 ")
        + element(0x7FE00010, "OW", b"\x01\x02" * 8)
        + element(0xFFFCFFFC, "OB", b"\x00" * 4)
    )
    loc = fc.encaps.locate_pixel_data(dicom_file(ExplicitVRLittleEndian, body))
    assert (loc.encapsulated, loc.length, loc.vr, loc.number_of_frames) == (False, 16, "OW", 12)
    with pytest.raises(fc.EncapsulationError, match="native"):
        loc.frame_table(dicom_file(ExplicitVRLittleEndian, body))
    for bad in (b"1.5 ", b"", b"1\\2 ", b"-3"):
        body = element(0x00280008, "IS", bad) + element(0x7FE00010, "OB", b"")
        assert fc.encaps.locate_pixel_data(dicom_file(ExplicitVRLittleEndian, body)).number_of_frames is None


def test_data_set_that_contradicts_its_transfer_syntax() -> None:
    body = element(0x00080016, "UI", b"1.2\x00", explicit=False) + pixel_data_element(False) + ENCAPS + DELIMITER
    loc = fc.encaps.locate_pixel_data(dicom_file(ExplicitVRLittleEndian, body))
    assert not loc.explicit_vr and loc.offset == 132 + len(file_meta(ExplicitVRLittleEndian)) + 12 + 8


def test_a_file_written_by_pydicom_with_sequences(tmp_path) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.PatientName = "Doe^Jane"
    inner = Dataset()
    inner.ReferencedSOPInstanceUID = generate_uid()
    ds.ReferencedImageSequence = Sequence([inner, Dataset()])
    ds["ReferencedImageSequence"].is_undefined_length = True
    for it in ds.ReferencedImageSequence:
        it.is_undefined_length_sequence_item = True
    ds.NumberOfFrames = 2
    ds.PixelData = fc.encaps.encapsulate([b"\xff\xd8ab\xff\xd9", b"\xff\xd8cd\xff\xd9"])
    path = tmp_path / "pd.dcm"
    ds.save_as(path, enforce_file_format=True)
    loc = fc.encaps.locate_pixel_data(path)
    assert loc.offset == pydicom.dcmread(path).get_item(0x7FE00010).value_tell
    assert loc.frame_table(path.read_bytes()).source == "basic"


# ---------------------------------------------------------------- errors and robustness


def test_errors() -> None:
    ok = dicom_file(JPEGBaseline8Bit, pixel_data_element() + ENCAPS + DELIMITER)
    assert fc.encaps.locate_pixel_data(ok).offset == len(ok) - len(ENCAPS) - 8
    with pytest.raises(fc.EncapsulationError, match=r"no Pixel Data \(7FE0,0010\)"):
        fc.encaps.locate_pixel_data(dicom_file(JPEGBaseline8Bit, element(0x00100010, "PN", b"AB")))
    with pytest.raises(fc.EncapsulationError, match="Big Endian"):
        fc.encaps.locate_pixel_data(dicom_file("1.2.840.10008.1.2.2", b""))
    with pytest.raises(fc.EncapsulationError, match="deflated"):
        fc.encaps.locate_pixel_data(dicom_file("1.2.840.10008.1.2.1.99", b"\x01\x02"))
    with pytest.raises(fc.EncapsulationError, match=r"\(0010,0010\) at offset \d+ has no valid VR"):
        fc.encaps.locate_pixel_data(
            dicom_file(ExplicitVRLittleEndian, element(0x00080016, "UI", b"12") + b"\x10\x00\x10\x00\x00\x00\x02\x00AB")
        )
    with pytest.raises(fc.EncapsulationError, match=r"\(0040,A160\) at offset \d+ with VR UT has undefined length"):
        fc.encaps.locate_pixel_data(
            dicom_file(ExplicitVRLittleEndian, element(0x0040A160, "UT", b"", length=UNDEFINED))
        )
    with pytest.raises(fc.EncapsulationError, match="Extended Offset Table .* not a multiple of 8"):
        fc.encaps.locate_pixel_data(dicom_file(ExplicitVRLittleEndian, element(0x7FE00001, "OV", b"\x00" * 12)))
    deep = element(0x7FE00010, "OB", b"", length=UNDEFINED)
    for _ in range(70):
        deep = element(0x00081115, "SQ", b"", length=UNDEFINED) + element(0xFFFEE000, "", b"", length=UNDEFINED) + deep
    with pytest.raises(fc.EncapsulationError, match="nested more than 64 deep"):
        fc.encaps.locate_pixel_data(dicom_file(ExplicitVRLittleEndian, deep))
    with pytest.raises(TypeError):
        fc.encaps.locate_pixel_data(12)  # type: ignore[arg-type]


def test_os_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        fc.encaps.locate_pixel_data(tmp_path / "missing.dcm")
    assert e.value.filename == tmp_path / "missing.dcm"
    with pytest.raises(OSError):
        fc.encaps.locate_pixel_data(tmp_path)


def test_every_truncation_of_a_header() -> None:
    data = dicom_file(ExplicitVRLittleEndian, body_with_sequences(True))
    loc = fc.encaps.locate_pixel_data(data)
    header_end = loc.offset
    for cut in range(len(data)):
        try:
            got = fc.encaps.locate_pixel_data(data[:cut])
        except fc.EncapsulationError:
            assert cut < header_end
            continue
        assert cut >= header_end and got == loc


def test_random_corruption_never_crashes() -> None:
    data = bytearray(dicom_file(ImplicitVRLittleEndian, body_with_sequences(False)))
    rng = np.random.default_rng(0)
    for _ in range(3000):
        b = bytearray(data)
        for pos in rng.integers(132, len(b), int(rng.integers(1, 4))):
            b[pos] = int(rng.integers(0, 256))
        try:
            loc = fc.encaps.locate_pixel_data(bytes(b))
        except fc.EncapsulationError:
            continue
        assert loc.offset <= len(b)


@settings(max_examples=300, deadline=None)
@given(junk=st.binary(max_size=120), explicit=st.booleans(), cut=st.integers(0, 400))
def test_hypothesis_garbage_after_the_meta(junk: bytes, explicit: bool, cut: int) -> None:
    ts = ExplicitVRLittleEndian if explicit else ImplicitVRLittleEndian
    for data in (dicom_file(ts, junk), junk, dicom_file(ts, body_with_sequences(explicit))[:cut] + junk):
        try:
            loc = fc.encaps.locate_pixel_data(data)
        except fc.EncapsulationError:
            continue
        assert loc.element_offset < loc.offset <= len(data)


def test_reads_only_the_header(tmp_path) -> None:
    """Locating Pixel Data in a file with 48 MB of pixels reads the header and one block past it."""
    io_stats = Path("/proc/self/io")
    if not io_stats.exists():
        pytest.skip("needs Linux /proc/self/io to count the bytes read")
    frames = [os.urandom(4000)] * 12_000
    enc, eot, lengths = fc.encaps.encapsulate_extended(frames, delimiter=True)
    body = element(0x00280008, "IS", b"12000 ") + element(0x7FE00001, "OV", eot) + element(0x7FE00002, "OV", lengths)
    path = tmp_path / "big.dcm"
    path.write_bytes(dicom_file(JPEGBaseline8Bit, body + pixel_data_element()) + enc)

    def rchar() -> int:
        return int(next(line for line in io_stats.read_text().splitlines() if line.startswith("rchar")).split()[1])

    before = rchar()
    loc = fc.encaps.locate_pixel_data(path)
    read = rchar() - before
    assert loc.number_of_frames == 12_000 and len(loc.extended_offsets) == 12_000
    assert read <= loc.offset + 65536 + 4096, read  # the header (192 KB of EOT) and one block, not the 48 MB
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        t = loc.frame_table(mm)
        assert t.source == "extended" and t.has_delimiter and t.end == len(mm)
        assert bytes(fc.encaps.frame_bytes(mm, t, 11_999)) == frames[0]
