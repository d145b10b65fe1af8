"""Frame tables of real encapsulated files: multi-fragment JPEG and JPEG-LS written by DCMTK, against pydicom.

pydicom's own JPEG, JPEG-LS, JPEG 2000 and RLE test files are covered in test_locate.py
(test_pydicom_test_files compares every frame of every encapsulated file with generate_frames).
"""

from __future__ import annotations

import mmap
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames, get_frame
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import framecodec as fc

FRAMES = 6


def uncompressed_multiframe(path: Path) -> np.ndarray:
    """A 6-frame 8-bit 160x160 grey image with texture, so each JPEG frame is several kilobytes."""
    rng = np.random.default_rng(42)
    yy, xx = np.mgrid[0:160, 0:160]
    pixels = (
        np.stack(
            [
                ((np.sin(xx / (5 + f)) + np.cos(yy / (7 + f))) * 60 + 128 + rng.normal(0, 12, xx.shape))
                for f in range(FRAMES)
            ]
        )
        .clip(0, 255)
        .astype(np.uint8)
    )
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7.2"  # Multi-frame Grayscale Byte SC
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "OT"
    ds.PatientName = "Test^Fragments"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 160
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = FRAMES
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return pixels


@pytest.fixture(scope="module")
def source_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dcmtk") / "native.dcm"
    uncompressed_multiframe(path)
    return path


# (tool, arguments): baseline and lossless JPEG and JPEG-LS, fragments of at most 1 or 2 KB,
# with a filled Basic Offset Table (DCMTK's default) and with an empty one (-ot).
CASES = [
    ("dcmcjpeg", ["+eb", "+fs", "2"]),
    ("dcmcjpeg", ["+eb", "+fs", "1", "-ot"]),
    ("dcmcjpeg", ["+e1", "+fs", "2", "-ot"]),
    ("dcmcjpeg", ["+el", "+fs", "2"]),
    ("dcmcjpls", ["+fs", "1"]),
    ("dcmcjpls", ["+fs", "2", "-ot"]),
]


@pytest.mark.parametrize(("tool", "args"), CASES, ids=[f"{t} {' '.join(a)}" for t, a in CASES])
def test_dcmtk_fragmented_files(tool: str, args: list[str], source_file: Path, tmp_path: Path) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (DCMTK) is not installed: apt-get install dcmtk")
    out = tmp_path / "out.dcm"
    subprocess.run([tool, *args, str(source_file), str(out)], check=True, capture_output=True)

    ds = pydicom.dcmread(out)
    loc = fc.encaps.locate_pixel_data(out)
    assert loc.encapsulated and loc.transfer_syntax == ds.file_meta.TransferSyntaxUID
    assert loc.number_of_frames == FRAMES
    assert loc.offset == ds.get_item(0x7FE00010).value_tell

    data = out.read_bytes()
    frags = fc.encaps.scan_fragments(data, loc.offset)
    assert len(frags) > 2 * FRAMES  # the files really are fragmented
    assert frags.has_delimiter and frags.end == len(data)
    assert (len(frags.basic_offsets) == 0) == ("-ot" in args)

    table = loc.frame_table(data)
    assert table.source == ("markers" if "-ot" in args else "basic")
    expected = list(generate_frames(ds.PixelData, number_of_frames=FRAMES))
    got = [bytes(f) for f in fc.encaps.iter_frames(data, table)]
    assert got == expected
    assert all(f.startswith(b"\xff\xd8") and b"\xff\xd9" in f[-4:] for f in got)
    for i in (0, 3, FRAMES - 1):
        assert bytes(fc.encaps.frame_bytes(data, table, i)) == get_frame(ds.PixelData, i, number_of_frames=FRAMES)
    # the same from an mmap of the file, and without telling the transfer syntax
    with open(out, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        t2 = fc.encaps.frame_table(mm, FRAMES, offset=loc.offset)
        assert t2.frame_fragments.tolist() == table.frame_fragments.tolist()
        assert bytes(fc.encaps.frame_bytes(mm, t2, 2)) == expected[2]
    # frames that the BOT does not separate are not guessed: DCMTK's fragments are not one per frame
    if "-ot" in args:
        with pytest.raises(fc.EncapsulationError, match="no start marker"):
            fc.encaps.frame_table(data, FRAMES, offset=loc.offset, transfer_syntax="1.2.840.10008.1.2.5")


def test_dcmtk_reads_our_encapsulation(source_file: Path, tmp_path: Path) -> None:
    """Frames re-encapsulated by framecodec (BOT and EOT) decompress with DCMTK to the same pixels."""
    if shutil.which("dcmcjpeg") is None or shutil.which("dcmdjpeg") is None:
        pytest.skip("dcmcjpeg/dcmdjpeg (DCMTK) are not installed: apt-get install dcmtk")
    jpeg = tmp_path / "jpeg.dcm"
    subprocess.run(["dcmcjpeg", "+e1", "+fs", "1", str(source_file), str(jpeg)], check=True, capture_output=True)
    ds = pydicom.dcmread(jpeg)
    data = jpeg.read_bytes()
    frames = [bytes(f) for f in fc.encaps.iter_frames(data, fc.encaps.locate_pixel_data(jpeg).frame_table(data))]
    reference = pydicom.dcmread(source_file).PixelData
    for table in ("basic", "extended"):
        if table == "basic":
            ds.PixelData = fc.encaps.encapsulate(frames)
        else:
            ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = fc.encaps.encapsulate_extended(frames)
        ours = tmp_path / f"ours-{table}.dcm"
        ds.save_as(ours)
        plain = tmp_path / f"plain-{table}.dcm"
        subprocess.run(["dcmdjpeg", str(ours), str(plain)], check=True, capture_output=True)
        assert pydicom.dcmread(plain).PixelData == reference
