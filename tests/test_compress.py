"""framecodec.compress and decompress, and the batch encoder behind them (_core._encode_frames), against
independent references: zlib for every Deflated Image Frame, pydicom's own RLE decoder, the native bytes
written by numpy (tests/datasets.py), pydicom's encapsulation (pydicom.encaps) and pydicom's Dataset.decompress,
and pydicom's file writer and reader for the round trip.
"""

from __future__ import annotations

import copy
import io
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.encaps import encapsulate, encapsulate_extended

import framecodec as fc
from conftest import BACKENDS, NO_LIBDEFLATE
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    NAMES,
    PYDICOM_31,
    RLE,
    Layout,
    assert_identical,
    dataset,
    frame_bytes,
    make_pixels,
    native_dataset,
    native_pixel_data,
    reference,
    stored_values,
    to_bytes,
)
from encaps_util import pydicom_fragments

CASES = {
    "grey8-single": (Layout(5, 7), None),
    "grey8": (Layout(5, 7, frames=3), None),
    "bits1-5x7": (Layout(5, 7, bits=1, frames=3), None),
    "bits1-single": (Layout(3, 5, bits=1), None),
    "rgb8-planar": (Layout(4, 6, samples=3, planar=1, frames=2), None),
    "rgb16": (Layout(3, 5, samples=3, bits=16, frames=2), None),
    "ybr-full": (Layout(4, 6, samples=3, photometric="YBR_FULL", frames=2), None),
    "int16-stored12-garbage": (Layout(6, 5, bits=16, stored=12, signed=True, frames=2), 11),
    "uint16-stored10-garbage-single": (Layout(6, 5, bits=16, stored=10), 12),
    "int32": (Layout(3, 5, bits=32, signed=True, frames=2), None),
    "uint32-stored20-garbage": (Layout(3, 5, bits=32, stored=20, frames=2), 14),
}
SYNTAX_IDS = [NAMES[t] for t in ENCAPSULATED]


def native_frames(arr: Any, layout: Layout) -> list[bytes]:
    """Each frame's native bytes, interleaved, bit-packed per frame for Bits Allocated 1: what compress encodes."""
    return frame_bytes(stored_values(arr, layout), layout.but(planar=0))


def pad(b: bytes) -> bytes:
    return b + b"\x00" * (len(b) % 2)


def check_encapsulation(ds: pydicom.Dataset, nframes: int, extended: bool = False) -> list[bytes]:
    """PS3.5 A.4 as pydicom reads it: undefined length OB, one even-length fragment per frame, the Basic Offset
    Table (or an empty one and the Extended Offset Table) pointing at them. Returns the fragments."""
    elem = ds["PixelData"]
    assert elem.is_undefined_length and elem.VR == "OB"
    bot, offsets, frags = pydicom_fragments(ds.PixelData)
    assert len(frags) == nframes and all(len(f) % 2 == 0 for f in frags)
    first_item = offsets[0]
    if extended:
        assert bot == []
        eot = np.frombuffer(ds.ExtendedOffsetTable, "<u8")
        assert eot.tolist() == [o - first_item for o in offsets]
        lengths = np.frombuffer(ds.ExtendedOffsetTableLengths, "<u8").tolist()
        assert lengths == [len(f) for f in frags]
    else:
        assert bot == [o - first_item for o in offsets]
        assert "ExtendedOffsetTable" not in ds and "ExtendedOffsetTableLengths" not in ds
    return frags


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=SYNTAX_IDS)
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_compress(case: tuple[Layout, int | None], ts: str, tmp_path: Path) -> None:
    layout, garbage = case
    arr = make_pixels(layout, seed=layout.bits)
    src = native_dataset(arr, layout, garbage=garbage)
    ref = reference(src)
    ref_raw = reference(src, raw=True)
    ds = copy.deepcopy(src)
    assert fc.compress(ds, ts) is ds

    assert ds.file_meta.TransferSyntaxUID == ts
    assert ds.SOPInstanceUID != src.SOPInstanceUID and ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.get("NumberOfFrames") == (layout.frames if layout.frames > 1 else None)
    assert ds.get("PlanarConfiguration") == (0 if layout.samples == 3 else None)
    assert ds.PhotometricInterpretation == layout.pi  # raw pixels: YBR_FULL stays YBR_FULL
    assert "LossyImageCompression" not in ds
    frags = check_encapsulation(ds, layout.frames)

    native = native_frames(ref_raw, layout)  # the values pydicom reads, garbage bits cleared
    if ts == DEFLATE:
        assert frags == [pad(zlib.compress(f, 6, wbits=-15)) for f in native]
    elif ts == ENCAPSULATED_UNCOMPRESSED:
        assert frags == [pad(f) for f in native]
    if (ts == RLE and (layout.bits > 1 or PYDICOM_31)) or (ts == DEFLATE and PYDICOM_31):
        assert_identical(reference(ds, decoding_plugin="pydicom"), ref)  # pydicom's own decoder
    assert_identical(fc.pixel_array(ds), ref)
    assert_identical(fc.pixel_array(ds, raw=True), ref_raw)

    # the file round trip: pydicom writes and reads it (pydicom 3.0 too: framecodec registers the
    # Deflated Image Frame Compression UID on import), both pixel_arrays agree
    path = tmp_path / "c.dcm"
    ds.save_as(path, enforce_file_format=True)
    back = pydicom.dcmread(path)
    assert back.file_meta.TransferSyntaxUID == ts and back.SOPInstanceUID == ds.SOPInstanceUID
    assert back.PixelData == ds.PixelData
    assert_identical(fc.pixel_array(back), ref)
    assert_identical(fc.pixel_array(path), ref)


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=SYNTAX_IDS)
def test_compress_options(ts: str) -> None:
    layout = Layout(9, 7, samples=3, bits=16, planar=1, frames=4)
    arr = make_pixels(layout)
    src = native_dataset(arr, layout)
    src.ExtendedOffsetTable, src.ExtendedOffsetTableLengths = b"\x00" * 8, b"\x01" * 8  # stale: removed
    ref = reference(src)
    native = native_frames(ref, layout)
    plain = fc.compress(copy.deepcopy(src), ts, generate_instance_uid=False)
    assert plain.SOPInstanceUID == src.SOPInstanceUID
    frags = check_encapsulation(plain, 4)
    for threads in (1, 2, 7):
        assert fc.compress(copy.deepcopy(src), ts, threads=threads).PixelData == plain.PixelData
    ext = fc.compress(copy.deepcopy(src), ts, encapsulate_ext=True)
    assert check_encapsulation(ext, 4, extended=True) == frags
    assert (ext.PixelData, ext.ExtendedOffsetTable, ext.ExtendedOffsetTableLengths) == encapsulate_extended(frags)
    assert_identical(fc.pixel_array(ext), ref)
    if ts == DEFLATE:
        for level in (0, 1, 9, -1):
            d = fc.compress(copy.deepcopy(src), ts, level=level)
            assert pydicom_fragments(d.PixelData)[2] == [pad(zlib.compress(f, level, wbits=-15)) for f in native]
        for level in (10, -2):
            with pytest.raises(ValueError, match="level"):
                fc.compress(copy.deepcopy(src), ts, level=level)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        fc.compress(copy.deepcopy(src), ts, threads=0)


@pytest.mark.parametrize("codec", ["deflate", "rle", "uncompressed"])
@pytest.mark.parametrize("table", ["basic", "extended", "auto"])
def test_engine_encapsulation_matches_pydicom(codec: str, table: str) -> None:
    """The engine's one-pass encapsulation is pydicom's, byte for byte, for the Basic and Extended Offset Table."""
    layout = Layout(11, 13, bits=16, frames=6)
    pixels = stored_values(make_pixels(layout), layout)
    encoded = {
        "deflate": [zlib.compress(f, 6, wbits=-15) for f in native_frames(pixels, layout)],
        "uncompressed": native_frames(pixels, layout),
        "rle": None,  # framecodec's own RLE encoder (compared with pydicom's decoder in test_compress)
    }[codec]
    value, eot, lengths = fc._core._encode_frames(pixels, 6, codec, 11, 13, 1, 16, offset_table=table, threads=2)
    frags = pydicom_fragments(value)[2]
    if encoded is None:
        encoded = [fc.codecs.rle_encode(p, 11, 13, 1, 16) for p in pixels]
    assert frags == [pad(f) for f in encoded]
    if table == "extended":
        assert (value, eot, lengths) == encapsulate_extended(encoded)
    else:
        assert value == encapsulate(encoded, has_bot=True) and eot is None and lengths is None


def test_engine_encode_arguments() -> None:
    pixels = np.zeros(2 * 4 * 4, np.uint8)
    with pytest.raises(ValueError, match="pixels must be 64 bytes for 2 frames, got 32"):
        fc._core._encode_frames(pixels, 2, "deflate", 4, 4, 1, 16)
    with pytest.raises(ValueError, match="codec must be"):
        fc._core._encode_frames(pixels, 2, "jpeg", 4, 4, 1, 8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="native Pixel Data is not encoded"):
        fc._core._encode_frames(pixels, 2, "native", 4, 4, 1, 8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offset_table must be"):
        fc._core._encode_frames(pixels, 2, "rle", 4, 4, 1, 8, offset_table="none")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bits allocated must be 1 or a multiple of 8"):
        fc._core._encode_frames(pixels, 2, "rle", 4, 4, 1, 12)


@pytest.mark.parametrize("decoder", BACKENDS)
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_compress_with_libdeflate(
    case: tuple[Layout, int | None], decoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """backend="libdeflate": every level 0-12, each frame one raw deflate stream that Python's zlib decodes to the
    native frame, decoded back by pixel_array with each inflate backend; zlib stays the default encoder."""
    if fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    monkeypatch.setenv("FRAMECODEC_INFLATE", decoder)
    layout, garbage = case
    arr = make_pixels(layout, seed=4)
    src = native_dataset(arr, layout, garbage=garbage)
    ref = reference(src, raw=True)  # YBR_FULL is encoded as it is stored
    native = native_frames(ref, layout)
    for level in (-1, 0, 1, 6, 9, 10, 12):
        for threads in (1, 2):
            d = fc.compress(copy.deepcopy(src), DEFLATE, level=level, threads=threads, backend="libdeflate")
            frags = check_encapsulation(d, len(native))
            assert [pad(fc.codecs.deflate(f, level, "libdeflate")) for f in native] == frags
            assert [zlib.decompress(f, -15) for f in frags] == native
            assert_identical(fc.pixel_array(d, raw=True), ref)
    plain = fc.compress(copy.deepcopy(src), DEFLATE)
    assert pydicom_fragments(plain.PixelData)[2] == [pad(zlib.compress(f, 6, wbits=-15)) for f in native]
    for level in (13, -2):
        with pytest.raises(ValueError, match=r"-1 or 0\.\.12 for libdeflate"):
            fc.compress(copy.deepcopy(src), DEFLATE, level=level, backend="libdeflate")
    with pytest.raises(ValueError, match=r"-1 or 0\.\.9 for zlib, got 10"):
        fc.compress(copy.deepcopy(src), DEFLATE, level=10)


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=SYNTAX_IDS)
def test_lossy_image_compression_is_kept(ts: str) -> None:
    """These syntaxes are lossless: they never set "01" and never reset an existing one (PS3.3 C.7.6.1.1.5)."""
    layout = Layout(4, 4, frames=2)
    for value in (None, "00", "01"):
        ds = native_dataset(make_pixels(layout), layout)
        if value is not None:
            ds.LossyImageCompression = value
            if value == "01":
                ds.LossyImageCompressionRatio, ds.LossyImageCompressionMethod = 10, "ISO_10918_1"
        fc.compress(ds, ts)
        assert ds.get("LossyImageCompression") == value
        if value == "01":
            assert (ds.LossyImageCompressionRatio, ds.LossyImageCompressionMethod) == (10, "ISO_10918_1")
        fc.decompress(ds)
        assert ds.get("LossyImageCompression") == value


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=SYNTAX_IDS)
def test_compress_from_other_sources(ts: str) -> None:
    """From big endian data, from another encapsulated syntax (transcoding), and from a given array."""
    layout = Layout(5, 6, bits=16, stored=12, signed=True, frames=3)
    arr = make_pixels(layout)
    ref = reference(native_dataset(arr, layout))
    for source_ts in (BIG_ENDIAN, *ENCAPSULATED):
        ds = fc.compress(dataset(arr, layout, source_ts, garbage=2), ts)
        assert_identical(fc.pixel_array(ds), ref)
    ds = native_dataset(np.zeros_like(arr), layout)
    fc.compress(ds, ts, arr)
    assert_identical(fc.pixel_array(ds), ref)
    ds = native_dataset(np.zeros_like(arr), layout)
    fc.compress(ds, ts, arr[:2])  # fewer frames than the data set had: Number of Frames follows the array
    assert ds.NumberOfFrames == 2
    assert_identical(fc.pixel_array(ds), ref[:2])
    fc.compress(ds, ts, arr[1])  # one frame: Number of Frames, being there, says so
    assert ds.NumberOfFrames == 1
    assert_identical(fc.pixel_array(ds), ref[1])
    ds = native_dataset(arr, layout)  # a data set made from scratch: no Pixel Data, no file meta
    del ds.PixelData, ds.file_meta
    fc.compress(ds, ts, arr)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert_identical(fc.pixel_array(ds), ref)


def test_compress_refuses() -> None:
    layout = Layout(4, 4, bits=16, frames=2)
    arr = make_pixels(layout)
    ds = native_dataset(arr, layout)
    with pytest.raises(ValueError, match="1.2.840.10008.1.2.4.80"):
        fc.compress(ds, "1.2.840.10008.1.2.4.80")  # JPEG-LS: pydicom's
    with pytest.raises(ValueError, match="1.2.840.10008.1.2.1"):
        fc.compress(ds, EXPLICIT)
    float_ds = native_dataset(arr, layout)
    del float_ds.PixelData
    float_ds.FloatPixelData = np.zeros(32, np.float32).tobytes()
    for syntax in ENCAPSULATED:
        with pytest.raises(ValueError, match="Float Pixel Data"):
            fc.compress(copy.deepcopy(float_ds), syntax)
        d = copy.deepcopy(float_ds)
        d.DoubleFloatPixelData = np.zeros(32, np.float64).tobytes()
        del d.FloatPixelData
        with pytest.raises(ValueError, match="Double Float Pixel Data"):
            fc.compress(d, syntax)
        with pytest.raises(ValueError, match="float"):
            fc.compress(copy.deepcopy(ds), syntax, arr.astype(np.float32))
        with pytest.raises(ValueError, match=r"shape \(2, 4, 5\) does not match"):
            fc.compress(copy.deepcopy(ds), syntax, np.zeros((2, 4, 5), np.uint16))
        with pytest.raises(ValueError, match="int64 pixels do not fit"):
            fc.compress(copy.deepcopy(ds), syntax, arr.astype(np.int64))
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT and ds.PixelData == native_dataset(arr, layout).PixelData


# -- decompress ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=SYNTAX_IDS)
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_decompress(case: tuple[Layout, int | None], ts: str) -> None:
    layout, garbage = case
    arr = make_pixels(layout, seed=3)
    src = dataset(arr, layout, ts, garbage=garbage)
    src.ExtendedOffsetTable, src.ExtendedOffsetTableLengths = b"", b""  # empty: no table, removed
    twin = native_dataset(arr, layout, garbage=garbage)
    for as_rgb in (True, False) if layout.samples == 3 else (True,):
        ds = fc.decompress(copy.deepcopy(src), as_rgb=as_rgb, generate_instance_uid=False)
        expected = reference(twin, raw=not as_rgb)  # YBR_FULL converted by pydicom, or not
        assert ds.file_meta.TransferSyntaxUID == EXPLICIT and ds.SOPInstanceUID == src.SOPInstanceUID
        elem = ds["PixelData"]
        assert not elem.is_undefined_length and ("OB" if layout.bits <= 8 else "OW") == elem.VR
        assert "ExtendedOffsetTable" not in ds and "ExtendedOffsetTableLengths" not in ds
        converted = as_rgb and layout.pi == "YBR_FULL"
        assert ds.PhotometricInterpretation == ("RGB" if converted else layout.pi)
        assert ds.get("PlanarConfiguration") == (0 if layout.samples == 3 else None)
        # native bytes as numpy writes them; 1-bit frames packed one after another, not byte-aligned
        assert ds.PixelData == native_pixel_data(stored_values(expected, layout), layout.but(planar=0))
        assert_identical(reference(ds, raw=not as_rgb), expected)
        assert_identical(fc.pixel_array(ds, raw=not as_rgb), expected)
        if ts == RLE and layout.bits > 1:  # pydicom's own decompress writes the same bytes
            theirs = dataset(arr, layout, ts, garbage=garbage)  # without the empty EOT, which pydicom misreads
            theirs.decompress(decoding_plugin="pydicom", as_rgb=as_rgb)
            assert theirs.PixelData == ds.PixelData and theirs.PhotometricInterpretation == ds.PhotometricInterpretation


def test_decompress_refuses_and_threads() -> None:
    layout = Layout(8, 8, bits=16, frames=9)
    arr = make_pixels(layout)
    with pytest.raises(ValueError, match="already uncompressed"):
        fc.decompress(native_dataset(arr, layout))
    for ts in ENCAPSULATED:
        one = fc.decompress(dataset(arr, layout, ts), threads=1).PixelData
        assert fc.decompress(dataset(arr, layout, ts), threads=2).PixelData == one
        assert fc.decompress(dataset(arr, layout, ts)).PixelData == one
    ds = dataset(arr, layout, RLE)
    del ds.file_meta.TransferSyntaxUID
    with pytest.raises(ValueError, match=r"\(0002,0010\)"):
        fc.decompress(ds)


def test_decompress_corrupt_frame_leaves_the_data_set() -> None:
    layout = Layout(8, 8, bits=16, frames=5)
    arr = make_pixels(layout)
    frames = [zlib.compress(f, 6, wbits=-15) for f in native_frames(arr, layout)]
    frames[3] = frames[3][:-6]
    ds = dataset(arr, layout, DEFLATE, frames=frames)
    before = copy.deepcopy(ds)
    with pytest.raises(fc.DecodeError, match="^frame 3: "):
        fc.decompress(ds, threads=2)
    assert ds == before and ds.file_meta.TransferSyntaxUID == DEFLATE


# -- any layout: compress, then pixel_array ----------------------------------------------------------------------


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    bits = draw(st.sampled_from([1, 8, 16, 32]))
    samples = 1 if bits == 1 else draw(st.sampled_from([1, 3]))
    return Layout(
        rows=draw(st.integers(1, 40)),
        columns=draw(st.integers(1, 40)),
        samples=samples,
        bits=bits,
        stored=None if bits == 1 else draw(st.integers(1, bits)),
        signed=bits > 1 and draw(st.booleans()),
        planar=draw(st.integers(0, 1)) if samples == 3 else 0,
        frames=draw(st.integers(1, 4)),
    )


@given(
    layout=layouts(),
    ts=st.sampled_from(ENCAPSULATED),
    garbage=st.none() | st.integers(0, 99),
    seed=st.integers(0, 99),
    ext=st.booleans(),
)
def test_hypothesis_compress_round_trip(layout: Layout, ts: str, garbage: int | None, seed: int, ext: bool) -> None:
    src = native_dataset(make_pixels(layout, seed), layout, garbage=garbage)
    ref = reference(src)
    ds = fc.compress(copy.deepcopy(src), ts, encapsulate_ext=ext, threads=2)
    frags = check_encapsulation(ds, layout.frames, extended=ext)
    if ts == DEFLATE:
        native = native_frames(reference(src, raw=True), layout)
        assert frags == [pad(zlib.compress(f, 6, wbits=-15)) for f in native]
    assert_identical(fc.pixel_array(ds), ref)
    assert_identical(fc.pixel_array(io.BytesIO(to_bytes(ds))), ref)
    back = fc.decompress(ds)
    assert_identical(reference(back), ref)


def test_values_must_fit_bits_stored() -> None:
    """pydicom's encoders refuse values outside Bits Stored and Pixel Representation; so does compress."""
    layout = Layout(4, 4, bits=16, stored=12, signed=True)
    arr = np.zeros((4, 4), np.int16)
    ds = native_dataset(arr, layout)
    for bad in (2048, -2049):
        arr[1, 2] = bad
        with pytest.raises(ValueError, match="Bits Stored 12"):
            fc.compress(ds, RLE, arr)
    arr[1, 2], arr[0, 0] = 2047, -2048
    fc.compress(ds, RLE, arr)
    assert_identical(fc.pixel_array(ds), arr)


def test_ybr_full_422_is_written_as_ybr_full() -> None:
    """pixel_array gives YBR_FULL_422 pixels at full resolution; what compress writes says YBR_FULL."""
    layout = Layout(4, 6, samples=3, frames=2)
    arr = make_pixels(layout)
    ds = native_dataset(arr, layout)
    ds.PhotometricInterpretation = "YBR_FULL_422"
    fc.compress(ds, DEFLATE, arr)
    assert ds.PhotometricInterpretation == "YBR_FULL"
    assert_identical(fc.pixel_array(ds, raw=True), arr)
