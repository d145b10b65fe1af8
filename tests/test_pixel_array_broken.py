"""framecodec.pixel_array on broken data sets: layouts that do not match the frames, frames missing or in excess,
missing attributes, unsupported Bits Allocated, corrupt frames, truncated files.

The expected arrays never come from framecodec: native data sets are decoded by pydicom itself; encapsulated
ones are compared with pydicom's decoding of the same pixels stored natively (tests/datasets.py encodes the
frames with zlib, a plain PackBits encoder or not at all) and, where the installed pydicom has a decoder of its
own (RLE; Deflated Image Frame Compression from 3.1 on), with that decoder too.
"""

from __future__ import annotations

import io
import warnings
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from conftest import by_backend
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    NAMES,
    NATIVE,
    RLE,
    Layout,
    assert_identical,
    dataset,
    encapsulated_dataset,
    encode_frames,
    make_pixels,
    native_dataset,
    reference,
    to_bytes,
)

ALL = NATIVE + ENCAPSULATED


LABELS = {
    "Rows": "Rows",
    "Columns": "Columns",
    "SamplesPerPixel": "Samples per Pixel",
    "BitsAllocated": "Bits Allocated",
}
ATTRIBUTES = {"Rows": "rows", "Columns": "columns", "SamplesPerPixel": "samples", "BitsAllocated": "bits"}
MISMATCHES = [("Rows", 8), ("Columns", 7), ("SamplesPerPixel", 3), ("BitsAllocated", 8), ("BitsAllocated", 32)]


@pytest.mark.filterwarnings("ignore:The (pixel data is|number of bytes):UserWarning")  # pydicom's, on excess data
@pytest.mark.parametrize(("keyword", "value"), MISMATCHES, ids=[f"{k}={v}" for k, v in MISMATCHES])
@pytest.mark.parametrize("ts", by_backend(ALL, [NAMES[t] for t in ALL]))
def test_layout_does_not_match_the_frames(ts: str, keyword: str, value: int) -> None:
    layout = Layout(6, 5, bits=16, frames=4)
    ds = dataset(make_pixels(layout), layout, ts)
    setattr(ds, keyword, value)
    if keyword == "SamplesPerPixel":
        ds.PlanarConfiguration = 0
    if keyword == "BitsAllocated":
        ds.BitsStored, ds.HighBit = value, value - 1
    if ts in NATIVE:  # native frames have no boundaries: the total is what can be wrong
        error, match = ValueError, rf"\(0028,0008\) Number of Frames 4 with .*{LABELS[keyword]} {value}.* needs"
    else:
        error, match = fc.DecodeError, rf"^frame 0: .*{LABELS[keyword]} {value}"
    if ts in NATIVE and value < getattr(layout, ATTRIBUTES[keyword]):  # frames smaller than the data hold
        if ts == BIG_ENDIAN:  # 8-bit big endian data in OW (byte-swapped words) goes to pydicom as it is
            assert_identical(fc.pixel_array(ds), pydicom_pixel_array(ds))
        else:  # as pydicom when told to leave out the data past Number of Frames
            assert_identical(fc.pixel_array(ds), pydicom_pixel_array(ds, allow_excess_frames=False))
        return
    for source in (ds, io.BytesIO(to_bytes(ds))):
        with pytest.raises(error, match=match):
            fc.pixel_array(source, threads=2)


@pytest.mark.parametrize("ts", by_backend([DEFLATE, ENCAPSULATED_UNCOMPRESSED], ["deflate", "encaps-uncompressed"]))
def test_frames_larger_than_rows_say(ts: str) -> None:
    layout = Layout(6, 5, bits=16, frames=3)
    ds = dataset(make_pixels(layout), layout, ts)
    ds.Rows = 5
    with pytest.raises(fc.DecodeError, match=r"^frame 0: .*\(2 more frames failed.*Rows 5 x Columns 5"):
        fc.pixel_array(ds)


def test_rle_segments_longer_than_rows_say_are_trimmed_as_by_pydicom() -> None:
    """PS3.5 G.5 decoders accept long segments (pad bytes); pydicom trims them with a warning, so does framecodec."""
    layout = Layout(6, 5, bits=16, frames=3)
    ds = dataset(make_pixels(layout), layout, RLE)
    ds.Rows = 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pydicom_pixel_array(ds, decoding_plugin="pydicom")
    assert_identical(fc.pixel_array(ds), ref)


@pytest.mark.filterwarnings("ignore:The (pixel data is|number of bytes):UserWarning")  # pydicom's, on excess data
def test_native_frames_past_number_of_frames_are_left_out() -> None:
    """pydicom returns whole frames past Number of Frames (with a warning) unless allow_excess_frames=False;
    framecodec returns Number of Frames frames."""
    layout = Layout(6, 5, bits=16, frames=4)
    ds = native_dataset(make_pixels(layout), layout)
    ds.NumberOfFrames = 3
    assert_identical(fc.pixel_array(ds), pydicom_pixel_array(ds, allow_excess_frames=False))


TABLES = [(ts, "native") for ts in NATIVE] + [(ts, t) for ts in ENCAPSULATED for t in ("basic", "none", "extended")]


@pytest.mark.parametrize(("ts", "table"), by_backend(TABLES, [f"{NAMES[ts]}-{t}" for ts, t in TABLES]))
def test_more_frames_than_present(ts: str, table: str) -> None:
    layout = Layout(6, 5, bits=8, frames=4)
    arr = make_pixels(layout)
    kwargs = {} if ts in NATIVE else {"bot": table == "basic", "extended": table == "extended"}
    ds = dataset(arr, layout, ts, **kwargs)
    ds.NumberOfFrames = 5
    error = ValueError if ts in NATIVE else fc.EncapsulationError
    for source in (ds, io.BytesIO(to_bytes(ds))):
        with pytest.raises(error, match=r"Number of Frames.* 5"):
            fc.pixel_array(source)


@pytest.mark.parametrize(
    "keyword",
    [
        "Rows",
        "Columns",
        "SamplesPerPixel",
        "BitsAllocated",
        "BitsStored",
        "PixelRepresentation",
        "PhotometricInterpretation",
    ],
)
@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE, RLE], ["explicit", "deflate", "rle"]))
def test_missing_attribute(ts: str, keyword: str) -> None:
    layout = Layout(3, 4, frames=2)
    ds = dataset(make_pixels(layout), layout, ts)
    delattr(ds, keyword)
    tag = pydicom.tag.Tag(keyword)
    for source in (ds, io.BytesIO(to_bytes(ds))):
        with pytest.raises(ValueError, match=rf"\({tag.group:04X},{tag.element:04X}\)"):
            fc.pixel_array(source)


@pytest.mark.parametrize("bits", [12, 24, 0, 128])
@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE, RLE], ["explicit", "deflate", "rle"]))
def test_unsupported_bits_allocated(ts: str, bits: int) -> None:
    layout = Layout(4, 4, bits=16, frames=2)
    ds = dataset(make_pixels(layout), layout, ts)
    ds.BitsAllocated = bits
    with pytest.raises(ValueError, match=rf"\(0028,0100\) Bits Allocated {bits} is not supported"):
        fc.pixel_array(ds)


def corrupt(frame: bytes, ts: str, how: str) -> bytes:
    """Independent ways to break one encoded frame."""
    if how == "truncated":
        return frame[: len(frame) // 2]
    if how == "garbage":
        return bytes(np.random.default_rng(len(frame)).integers(0, 256, len(frame), dtype=np.uint8))
    if ts == DEFLATE:  # "long": a stream of more bytes than the frame has
        return zlib.compress(bytes(len(frame) * 40 + 4096), 6, wbits=-15)
    return b"\x10" + frame[1:]  # RLE: 16 segments, more than the 15 allowed (PS3.5 G.5)


@pytest.mark.parametrize("how", ["truncated", "garbage", "long"])
@pytest.mark.parametrize("ts", by_backend([DEFLATE, RLE], ["deflate", "rle"]))
@pytest.mark.parametrize("bad", [[0], [5], [11], [3, 9, 10], [10, 4]], ids=str)
def test_corrupt_frames(ts: str, how: str, bad: list[int]) -> None:
    layout = Layout(16, 20, bits=16, frames=12)
    arr = make_pixels(layout)
    frames = encode_frames(arr, layout, ts)
    for k in bad:
        frames[k] = corrupt(frames[k], ts, how)
    ds = encapsulated_dataset(arr, layout, ts, frames=frames)
    first, others = min(bad), len(bad) - 1
    match = rf"^frame {first}: " + (
        rf".*\({others} more frames? failed, the next is frame {sorted(bad)[1]}\)" if others else ""
    )
    for _ in range(5):  # which worker finishes first must not matter
        with pytest.raises(fc.DecodeError, match=match):
            fc.pixel_array(ds, threads=2)
    with pytest.raises(fc.DecodeError, match=rf"^frame {first}: "):
        fc.pixel_array(io.BytesIO(to_bytes(ds)), threads=1)
    good = [i for i in range(12) if i not in bad]
    ref = reference(native_dataset(arr, layout))
    assert_identical(fc.pixel_array(ds, good, threads=2), ref[good])  # the other frames still decode
    with pytest.raises(fc.DecodeError, match=rf"^frame {bad[-1]}: "):
        fc.pixel_array(ds, [good[0], bad[-1]])


@pytest.mark.filterwarnings("ignore")  # pydicom's, on the values that are cut short
@pytest.mark.parametrize("ts", by_backend(ALL, [NAMES[t] for t in ALL]))
def test_truncated_file(ts: str, tmp_path: Path) -> None:
    """Cut at every byte: a ValueError (DecodeError and EncapsulationError are ValueErrors), never an array; only
    encapsulated data cut just before its sequence delimiter decodes, as a value without one is read
    (docs/codecs.md)."""
    layout = Layout(6, 6, bits=16, frames=3)
    data = to_bytes(dataset(make_pixels(layout), layout, ts))
    whole = len(data) - 8 if ts in ENCAPSULATED else len(data)
    assert_identical(fc.pixel_array(io.BytesIO(data[:whole])), fc.pixel_array(io.BytesIO(data)))
    for cut in range(whole):
        with pytest.raises(ValueError):
            fc.pixel_array(io.BytesIO(data[:cut]))
    for cut in (0, 100, 200, len(data) // 2, len(data) - 9):
        path = tmp_path / f"cut{cut}.dcm"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError):
            fc.pixel_array(path)
