"""framecodec.pixel_array and iter_pixels against pydicom: every transfer syntax the engine decodes, every
index form, out=, threads, the kinds of source, the JPEG family handed to pydicom, and broken data sets.

The expected arrays never come from framecodec: native data sets are decoded by pydicom itself; encapsulated
ones are compared with pydicom's decoding of the same pixels stored natively (tests/datasets.py encodes the
frames with zlib, a plain PackBits encoder or not at all) and, where the installed pydicom has a decoder of its
own (RLE; Deflated Image Frame Compression from 3.1 on), with that decoder too.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from datasets import (
    BIG_ENDIAN, DEFLATE, ENCAPSULATED, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, IMPLICIT, NAMES, NATIVE, PYDICOM_31, RLE,
    Layout, assert_identical, dataset, encapsulated_dataset, encode_frames, make_pixels, native_dataset, reference,
    save, to_bytes,
)  # fmt: skip
from conftest import by_backend
from encaps_util import pydicom_fragments

ALL = NATIVE + ENCAPSULATED

# (layout, garbage): garbage is a seed for random bits above Bits Stored (PS3.5 8.1.1), or None.
CASES = {
    "grey8-single": (Layout(5, 7), None),
    "grey8": (Layout(5, 7, frames=3), None),
    "bits1-5x7": (Layout(5, 7, bits=1, frames=3), None),  # frame 1 starts at bit 35: not on a byte boundary
    "bits1-single": (Layout(3, 5, bits=1), None),
    "rgb8": (Layout(4, 6, samples=3, frames=2), None),
    "rgb8-planar": (Layout(4, 6, samples=3, planar=1, frames=2), None),
    "rgb16-planar": (Layout(3, 5, samples=3, bits=16, planar=1, frames=2), None),
    "ybr-full": (Layout(4, 6, samples=3, photometric="YBR_FULL", frames=2), None),
    "ybr-full-planar-single": (Layout(4, 6, samples=3, photometric="YBR_FULL", planar=1), None),
    "int16-stored12": (Layout(6, 5, bits=16, stored=12, signed=True, frames=2), None),
    "int16-stored12-garbage": (Layout(6, 5, bits=16, stored=12, signed=True, frames=2), 11),
    "uint16-stored10-garbage": (Layout(6, 5, bits=16, stored=10, frames=2), 12),
    "int8-stored5-garbage": (Layout(4, 6, bits=8, stored=5, signed=True, frames=2), 13),
    "int32": (Layout(3, 5, bits=32, signed=True, frames=2), None),
    "uint32-stored20-garbage-single": (Layout(3, 5, bits=32, stored=20), 14),
}


def pydicom_decodes(ts: str, layout: Layout) -> bool:
    """Whether the installed pydicom has a decoder of its own for these encapsulated frames."""
    if ts == RLE:
        return layout.bits > 1 or PYDICOM_31  # 3.0 refuses Bits Allocated 1 RLE
    return ts == DEFLATE and PYDICOM_31


def expected(arr: Any, layout: Layout, ts: str, ds: pydicom.Dataset, garbage: int | None, raw: bool = False) -> Any:
    """pydicom's array: of ``ds`` itself when it is native, else of the same stored values as native data, after
    checking it against pydicom's own decoder of ``ds`` where there is one."""
    twin = native_dataset(arr, layout, EXPLICIT, garbage)
    np.testing.assert_array_equal(reference(twin, raw=True), arr)  # the unused bits are not part of the value
    if ts in NATIVE:
        return reference(ds, raw=raw)
    ref = reference(twin, raw=raw)
    if pydicom_decodes(ts, layout):
        assert_identical(reference(ds, raw=raw, decoding_plugin="pydicom"), ref)
    return ref


@pytest.mark.parametrize("ts", by_backend(ALL, [NAMES[t] for t in ALL]))
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_identical_to_pydicom(case: tuple[Layout, int | None], ts: str) -> None:
    layout, garbage = case
    arr = make_pixels(layout, seed=len(layout.shape) + layout.bits)
    ds = dataset(arr, layout, ts, garbage=garbage)
    data = to_bytes(ds)
    for raw in (False, True) if layout.samples == 3 else (False,):
        ref = expected(arr, layout, ts, ds, garbage, raw)
        assert_identical(fc.pixel_array(ds, raw=raw), ref)
        assert_identical(fc.pixel_array(io.BytesIO(data), raw=raw), ref)
        assert_identical(fc.pixel_array(pydicom.dcmread(io.BytesIO(data)), raw=raw), ref)


@pytest.mark.parametrize("ts", by_backend([DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED], ["deflate", "rle", "encaps-uncompressed"]))
def test_extended_offset_table(ts: str) -> None:
    layout = Layout(7, 9, bits=16, frames=5)
    arr = make_pixels(layout)
    ds = encapsulated_dataset(arr, layout, ts, extended=True)
    ref = reference(native_dataset(arr, layout))
    assert_identical(fc.pixel_array(ds, threads=2), ref)
    assert_identical(fc.pixel_array(io.BytesIO(to_bytes(ds)), [4, 1]), ref[[4, 1]])


# -- index, out, threads, sources -------------------------------------------------------------------------------

INDEXES = [0, 3, -1, -4, np.int64(2), slice(1, 3), slice(None, None, -2), slice(5, 9), [3, 0, 3], (1,), range(1, 3),
           np.array([2, 1]), np.array([1], dtype=np.uint8), [], np.zeros(0, dtype=np.int64)]  # fmt: skip
INDEX_SYNTAXES = [EXPLICIT, BIG_ENDIAN, DEFLATE, RLE]


@pytest.mark.parametrize("layout", [Layout(6, 5, bits=16, stored=12, signed=True, frames=4), Layout(5, 7, bits=1, frames=4)],
                         ids=["int16", "bits1"])  # fmt: skip
@pytest.mark.parametrize("ts", by_backend(INDEX_SYNTAXES, [NAMES[t] for t in INDEX_SYNTAXES]))
def test_index_forms(layout: Layout, ts: str) -> None:
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts, garbage=3)
    data = to_bytes(ds)
    for index in INDEXES:
        ref = reference(ds if ts in NATIVE else native_dataset(arr, layout, garbage=3), index)
        assert_identical(fc.pixel_array(ds, index), ref)
        assert_identical(fc.pixel_array(io.BytesIO(data), index), ref)


def test_index_on_single_frame() -> None:
    layout = Layout(4, 3, bits=16)
    ds = dataset(make_pixels(layout), layout, DEFLATE)
    ref = reference(native_dataset(make_pixels(layout), layout))
    assert_identical(fc.pixel_array(ds), ref)
    assert_identical(fc.pixel_array(ds, 0), ref)
    assert_identical(fc.pixel_array(ds, -1), ref)
    assert_identical(fc.pixel_array(ds, [0, 0]), np.stack([ref, ref]))
    with pytest.raises(IndexError, match="frame index 1 out of range for 1 frames"):
        fc.pixel_array(ds, 1)


@pytest.mark.parametrize(
    ("index", "error", "match"),
    [(4, IndexError, "frame index 4 out of range for 4 frames"), (-5, IndexError, "frame index -5"),
     ([0, 9], IndexError, "frame index 9"), (1.0, TypeError, "float"), (True, TypeError, "bool"),
     (np.array([2**64 - 1], dtype=np.uint64), IndexError, "frame index 18446744073709551615"),
     (["1"], TypeError, "integers"), (np.array([1.5]), TypeError, "integers"), ([[1]], ValueError, "one-dimensional")],
)  # fmt: skip
def test_bad_index(index: Any, error: type[Exception], match: str) -> None:
    layout = Layout(3, 3, frames=4)
    with pytest.raises(error, match=match):
        fc.pixel_array(dataset(make_pixels(layout), layout, RLE), index)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE, RLE], ["explicit", "deflate", "rle"]))
def test_out(ts: str) -> None:
    layout = Layout(4, 6, samples=3, photometric="YBR_FULL", frames=3)  # converted to RGB: written into out too
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts)
    for index, raw in ((None, False), (None, True), ([2, 0], False), (1, False)):
        ref = reference(native_dataset(arr, layout), index, raw=raw)
        out = np.full(ref.shape, 77, ref.dtype)
        assert fc.pixel_array(ds, index, out=out, raw=raw) is out
        assert_identical(out, ref)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE], ["explicit", "deflate"]))
def test_bad_out(ts: str) -> None:
    layout = Layout(5, 7, bits=16, signed=True, frames=4)
    ds = dataset(make_pixels(layout), layout, ts)
    with pytest.raises(ValueError, match=r"shape \(4, 5, 7\) and dtype int16, got \(3, 5, 7\)"):
        fc.pixel_array(ds, out=np.empty((3, 5, 7), np.int16))
    with pytest.raises(ValueError, match=r"shape \(5, 7\) and dtype int16, got \(4, 5, 7\)"):
        fc.pixel_array(ds, 0, out=np.empty((4, 5, 7), np.int16))
    with pytest.raises(ValueError, match="dtype int16, got .* uint16"):
        fc.pixel_array(ds, out=np.empty((4, 5, 7), np.uint16))
    with pytest.raises(ValueError, match="dtype int16, got .* >i2"):
        fc.pixel_array(ds, out=np.empty((4, 5, 7), ">i2"))
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.pixel_array(ds, out=np.empty((4, 5, 14), np.int16)[:, :, ::2])
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.pixel_array(ds, out=np.empty((4, 7, 5), np.int16).transpose(0, 2, 1))
    read_only = np.empty((4, 5, 7), np.int16)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        fc.pixel_array(ds, out=read_only)
    with pytest.raises(TypeError, match="numpy array"):
        fc.pixel_array(ds, out=bytearray(280))  # type: ignore[arg-type]


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED],
                                          ["explicit", "deflate", "rle", "encaps-uncompressed"]))  # fmt: skip
def test_threads_agree(ts: str) -> None:
    layout = Layout(16, 12, samples=3, bits=16, planar=1, frames=37)
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts)
    ref = reference(native_dataset(arr, layout))
    for threads in (None, 1, 2, 3, 64):
        assert_identical(fc.pixel_array(ds, threads=threads), ref)
        assert_identical(fc.pixel_array(ds, [36, 0, 17], threads=threads), ref[[36, 0, 17]])
    for threads in (0, -1):
        with pytest.raises(ValueError, match="threads must be at least 1"):
            fc.pixel_array(ds, threads=threads)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, BIG_ENDIAN, DEFLATE, RLE], ["explicit", "big", "deflate", "rle"]))
def test_sources(ts: str, tmp_path: Path) -> None:
    layout = Layout(5, 7, bits=16, stored=12, signed=True, frames=3)
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts, garbage=5)
    path = save(ds, tmp_path / "a.dcm")
    ref = fc.pixel_array(ds)
    assert_identical(ref, reference(ds) if ts in NATIVE else reference(native_dataset(arr, layout, garbage=5)))
    assert_identical(fc.pixel_array(str(path)), ref)
    assert_identical(fc.pixel_array(path), ref)
    assert_identical(fc.pixel_array(pydicom.dcmread(path)), ref)
    with open(path, "rb") as f:
        f.seek(100)  # read from the start, whatever the position
        assert_identical(fc.pixel_array(f), ref)
        assert not f.closed  # the caller's file stays the caller's
        assert_identical(fc.pixel_array(f, 2), ref[2])
    bio = io.BytesIO(path.read_bytes())
    assert_identical(fc.pixel_array(bio), ref)
    bio.seek(0, io.SEEK_END)
    bio.write(b"\x00\x00")  # BufferError if a view of it were still exported
    with pytest.raises(TypeError, match="source must be"):
        fc.pixel_array(12)  # type: ignore[arg-type]


# -- iter_pixels ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, BIG_ENDIAN, DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED],
                                          ["explicit", "big", "deflate", "rle", "encaps-uncompressed"]))  # fmt: skip
@pytest.mark.parametrize("layout", [Layout(4, 6, samples=3, photometric="YBR_FULL", frames=7), Layout(5, 7, bits=1, frames=7),
                                    Layout(3, 4, bits=16, stored=9, signed=True)], ids=["ybr", "bits1", "single"])  # fmt: skip
def test_iter_pixels(ts: str, layout: Layout, tmp_path: Path) -> None:
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts, garbage=1)
    path = save(ds, tmp_path / "a.dcm")
    n = layout.frames
    for raw in (False, True):
        frames = [fc.pixel_array(ds, i, raw=raw) for i in range(n)]
        twin = ds if ts in NATIVE else native_dataset(arr, layout, garbage=1)
        for i in range(n):
            assert_identical(frames[i], reference(twin, i, raw=raw))
        for batch in (None, 1, 2, 3, n, n + 10):
            for source in (ds, path):
                got = list(fc.iter_pixels(source, batch=batch, raw=raw, threads=2))
                assert len(got) == n
                for a, b in zip(got, frames):
                    assert_identical(a, b)


def test_iter_pixels_stops_early_and_bad_batch(tmp_path: Path) -> None:
    layout = Layout(8, 8, bits=16, frames=9)
    path = save(dataset(make_pixels(layout), layout, DEFLATE), tmp_path / "a.dcm")
    it = fc.iter_pixels(path, batch=2)
    first = next(it)
    it.close()  # the read-ahead batch is waited for, the file closed
    assert_identical(first, fc.pixel_array(path, 0))
    with pytest.raises(ValueError, match="batch must be at least 1"):
        next(fc.iter_pixels(path, batch=0))


# -- the JPEG family: the engine's codecs, or pydicom -----------------------------------------------------------

# DCMTK's encoders, and pydicom's own plugin that is the reference (named: framecodec's plugin goes first).
JPEG_TOOLS = [("dcmcjpls", [], "pyjpegls"), ("dcmcjpeg", ["+e1"], "pylibjpeg"), ("dcmcjpeg", ["+eb"], "pillow")]


@pytest.mark.parametrize(("tool", "args", "plugin"), JPEG_TOOLS, ids=["jpeg-ls", "jpeg-lossless", "jpeg-baseline"])
def test_jpeg_family_files_of_dcmtk(tool: str, args: list[str], plugin: str, tmp_path: Path) -> None:
    """JPEG-LS and JPEG baseline decode in the engine (when built with CharLS and libjpeg-turbo), JPEG Lossless
    (Process 14) goes to pydicom: all equal pydicom's own plugins. JPEG baseline YCbCr: raw frames bit for bit;
    converted to RGB by libjpeg-turbo, as Pillow does (pydicom 3.0.x converts with numpy: 1 level apart)."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (DCMTK) is not installed: apt-get install dcmtk")
    layout = Layout(16, 20, samples=3, frames=3)
    src = save(native_dataset(make_pixels(layout), layout), tmp_path / "native.dcm")
    path = tmp_path / "jpeg.dcm"
    subprocess.run([tool, *args, str(src), str(path)], check=True, capture_output=True)
    raw_ref = pydicom_pixel_array(path, raw=True, decoding_plugin=plugin)
    ref = pydicom_pixel_array(path, decoding_plugin=plugin)
    if plugin == "pillow":
        from PIL import Image

        ds = pydicom.dcmread(path)
        frames = pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=3)
        pillow_rgb = np.stack([np.asarray(Image.open(io.BytesIO(f)).convert("RGB")) for f in frames])
        assert np.abs(ref.astype(int) - pillow_rgb).max() <= 1
        ref = pillow_rgb
    ds = pydicom.dcmread(path)
    for source in (path, str(path), ds, io.BytesIO(path.read_bytes())):
        assert_identical(fc.pixel_array(source), ref)  # type: ignore[arg-type]
        assert_identical(fc.pixel_array(source, -1), ref[2])  # type: ignore[arg-type]
        assert_identical(fc.pixel_array(source, [2, 0]), ref[[2, 0]])  # type: ignore[arg-type]
        assert_identical(fc.pixel_array(source, raw=True), raw_ref)  # type: ignore[arg-type]
    out = np.zeros_like(ref)
    assert fc.pixel_array(path, out=out) is out
    assert_identical(out, ref)
    for source in (path, ds, io.BytesIO(path.read_bytes())):
        for a, b in zip(fc.iter_pixels(source), ref, strict=True):  # type: ignore[arg-type]
            assert_identical(a, b)
    with fc.FrameReader(path) as reader:
        built = fc.backends()["codecs"]
        engine = {"pyjpegls": "jpegls", "pillow": "jpeg"}.get(plugin)
        assert reader.codec == (engine if engine and built[engine] else None)


def test_other_syntaxes_handed_to_pydicom_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """What pydicom is asked, and that its answer comes back as it is (no decoding plugin needed)."""
    import pydicom.pixels.utils

    calls: list[tuple[Any, Any, bool]] = []
    answer = np.arange(12, dtype=np.uint16).reshape(3, 4)

    def fake(src: Any, *, index: Any = None, raw: bool = False, **kwargs: Any) -> Any:
        calls.append((src, index, raw))
        return answer

    monkeypatch.setattr(pydicom.pixels.utils, "pixel_array", fake)
    layout = Layout(3, 4, bits=16, frames=3)
    # JPEG Lossless, SV1: no codec of the engine decodes it
    ds = encapsulated_dataset(None, layout, "1.2.840.10008.1.2.4.70", frames=[b"\xff\xd8\x00\x00\xff\xd9"] * 3)
    assert fc.pixel_array(ds, 1, raw=True) is answer
    assert calls == [(ds, 1, True)]
    calls.clear()
    assert fc.pixel_array(ds, -1) is answer
    assert calls == [(ds, 2, False)]
    calls.clear()
    assert_identical(fc.pixel_array(ds, [2, 0]), np.stack([answer, answer]))
    assert calls == [(ds, 2, False), (ds, 0, False)]
    bio = io.BytesIO(to_bytes(ds))  # Number of Frames from the file's header, wherever the file was left
    for index, asked in ((-1, [2]), ([2, -3], [2, 0]), (slice(None, None, -1), [2, 1, 0])):
        calls.clear()
        fc.pixel_array(bio, index)
        assert calls == [(bio, i, False) for i in asked]


# -- broken data sets ------------------------------------------------------------------------------------------

LABELS = {"Rows": "Rows", "Columns": "Columns", "SamplesPerPixel": "Samples per Pixel", "BitsAllocated": "Bits Allocated"}
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


@pytest.mark.parametrize("keyword", ["Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored",
                                     "PixelRepresentation", "PhotometricInterpretation"])  # fmt: skip
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
    match = rf"^frame {first}: " + (rf".*\({others} more frames? failed, the next is frame {sorted(bad)[1]}\)" if others else "")
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


@pytest.mark.parametrize("fragments", [2, 3])
@pytest.mark.parametrize("ts", by_backend([DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED], ["deflate", "rle", "encaps-uncompressed"]))
def test_frames_of_several_fragments(ts: str, fragments: int) -> None:
    layout = Layout(9, 11, samples=3, bits=16, frames=4)
    arr = make_pixels(layout)
    ds = encapsulated_dataset(arr, layout, ts, fragments_per_frame=fragments)
    bot, _, frags = pydicom_fragments(ds.PixelData)
    assert len(bot) == 4 and len(frags) == 4 * fragments
    ref = reference(native_dataset(arr, layout))
    assert_identical(fc.pixel_array(ds, threads=2), ref)
    assert_identical(fc.pixel_array(io.BytesIO(to_bytes(ds)), [3, 1]), ref[[3, 1]])
    ds = encapsulated_dataset(arr, layout, ts, fragments_per_frame=fragments, bot=False)
    with pytest.raises(fc.EncapsulationError, match="cannot find the frame boundaries of 4 frames"):
        fc.pixel_array(ds)  # no table and no markers: the fragments are not guessed into frames


@pytest.mark.filterwarnings("ignore")  # pydicom's, on the values that are cut short
@pytest.mark.parametrize("ts", by_backend(ALL, [NAMES[t] for t in ALL]))
def test_truncated_file(ts: str, tmp_path: Path) -> None:
    """Cut at every byte: a ValueError (DecodeError and EncapsulationError are ValueErrors), never an array; only
    encapsulated data cut just before its sequence delimiter decodes, as a value without one is read (docs/codecs.md)."""
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


# -- any layout, natively stored, against pydicom ----------------------------------------------------------------


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    bits = draw(st.sampled_from([1, 8, 16, 32]))
    samples = 1 if bits == 1 else draw(st.sampled_from([1, 3]))
    return Layout(
        rows=draw(st.integers(1, 40)), columns=draw(st.integers(1, 40)), samples=samples, bits=bits,
        stored=None if bits == 1 else draw(st.integers(1, bits)), signed=bits > 1 and draw(st.booleans()),
        planar=draw(st.integers(0, 1)) if samples == 3 else 0, frames=draw(st.integers(1, 4)),
    )  # fmt: skip


@given(layout=layouts(), ts=st.sampled_from(NATIVE), garbage=st.none() | st.integers(0, 99), seed=st.integers(0, 99))
def test_hypothesis_native_against_pydicom(layout: Layout, ts: str, garbage: int | None, seed: int) -> None:
    ds = native_dataset(make_pixels(layout, seed), layout, ts, garbage)
    ref = reference(ds)
    assert_identical(fc.pixel_array(ds), ref)
    assert_identical(fc.pixel_array(io.BytesIO(to_bytes(ds)), threads=2), ref)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, RLE, DEFLATE], ["explicit", "rle", "deflate"]))
def test_file_objects_are_left_where_they_were(ts: str) -> None:
    """As pydicom does: decoding from a file object does not move it; a BytesIO can grow again afterwards."""
    layout = Layout(6, 5, frames=3)
    arr = make_pixels(layout)
    bio = io.BytesIO(to_bytes(dataset(arr, layout, ts)))
    bio.seek(17)
    assert_identical(fc.pixel_array(bio), reference(dataset(arr, layout, ts)))
    assert bio.tell() == 17
    assert len(list(fc.iter_pixels(bio))) == 3 and bio.tell() == 17
    bio.seek(0, io.SEEK_END)
    bio.write(b"\x00\x00")  # fails with BufferError while a getbuffer() export is alive
    broken = io.BytesIO(b"\x00" * 300)
    broken.seek(5)
    with pytest.raises(ValueError):
        fc.pixel_array(broken)
    assert broken.tell() == 5
