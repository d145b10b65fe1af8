"""framecodec.transcode (issue 17), tested from its specification: every source syntax framecodec reads into every
target, the output decoded with pydicom's own decoders (or zlib and numpy where pydicom 3.0 has none) equal to the
input decoded the same way, and the output's attributes and offset tables.

Inputs are made with pydicom, zlib, numpy and Pillow (tests/transcode_util.py), never framecodec.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

import framecodec as fc
from datasets import assert_identical
from transcode_util import SOURCE_IDS, Source
from writer_util import TARGETS, check_offset_tables, listing, number_of_frames, own_decode


def check_output(dst: Path, src: Source, to: str) -> Dataset:
    """The output's attributes: transfer syntax, Photometric Interpretation, SOP Instance UID kept, Number of
    Frames, the Image Pixel module, interleaved colour; its offset table points at the real items."""
    out, inp = pydicom.dcmread(dst), pydicom.dcmread(src.path)
    assert out.file_meta.TransferSyntaxUID == TARGETS[to]
    assert out.PhotometricInterpretation == src.photometric
    assert out.SOPInstanceUID == inp.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID
    assert out.SOPClassUID == inp.SOPClassUID == out.file_meta.MediaStorageSOPClassUID
    assert number_of_frames(out) == number_of_frames(inp)
    if "NumberOfFrames" in inp:
        assert out.NumberOfFrames == inp.NumberOfFrames
    for keyword in (
        "Rows",
        "Columns",
        "SamplesPerPixel",
        "BitsAllocated",
        "BitsStored",
        "PixelRepresentation",
        "PatientName",
    ):
        assert out[keyword].value == inp[keyword].value, keyword
    if int(out.SamplesPerPixel) > 1:
        assert out.PlanarConfiguration == 0
    if to == "explicit":
        assert not out["PixelData"].is_undefined_length
    else:
        check_offset_tables(out, "extended" if "ExtendedOffsetTable" in out else "basic")
    return out


# ------------------------------------------------------------------------------------------ every pair


@pytest.mark.parametrize("to", list(TARGETS))
@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_transcode_every_pair(sid: str, to: str, sources: Callable[[str], Source], tmp_path: Path) -> None:
    src = sources(sid)
    before = src.path.read_bytes()
    dst = tmp_path / "out.dcm"
    got = fc.transcode(src.path, dst, to, threads=2)
    assert isinstance(got, Path) and got == dst
    assert src.path.read_bytes() == before  # the input is never modified
    assert listing(tmp_path) == ["out.dcm"]  # no temporary file left
    check_output(dst, src, to)
    decoded = own_decode(dst, raw=True)
    assert_identical(decoded, src.expected)
    if src.near is not None:
        assert np.abs(decoded.astype(np.int64) - src.near).max() <= 1
