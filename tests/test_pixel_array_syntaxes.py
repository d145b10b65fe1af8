"""framecodec.pixel_array against pydicom on every transfer syntax the engine decodes, the Extended Offset Table,
frames of several fragments, and the JPEG family and other syntaxes handed to pydicom.

The expected arrays never come from framecodec: native data sets are decoded by pydicom itself; encapsulated
ones are compared with pydicom's decoding of the same pixels stored natively (tests/datasets.py encodes the
frames with zlib, a plain PackBits encoder or not at all) and, where the installed pydicom has a decoder of its
own (RLE; Deflated Image Frame Compression from 3.1 on), with that decoder too.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from conftest import by_backend
from datasets import (
    DEFLATE,
    ENCAPSULATED,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    NAMES,
    NATIVE,
    PYDICOM_31,
    RLE,
    Layout,
    assert_identical,
    dataset,
    encapsulated_dataset,
    make_pixels,
    native_dataset,
    reference,
    save,
    to_bytes,
)
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


@pytest.mark.parametrize(
    "ts", by_backend([DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED], ["deflate", "rle", "encaps-uncompressed"])
)
def test_extended_offset_table(ts: str) -> None:
    layout = Layout(7, 9, bits=16, frames=5)
    arr = make_pixels(layout)
    ds = encapsulated_dataset(arr, layout, ts, extended=True)
    ref = reference(native_dataset(arr, layout))
    assert_identical(fc.pixel_array(ds, threads=2), ref)
    assert_identical(fc.pixel_array(io.BytesIO(to_bytes(ds)), [4, 1]), ref[[4, 1]])


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


@pytest.mark.parametrize("fragments", [2, 3])
@pytest.mark.parametrize(
    "ts", by_backend([DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED], ["deflate", "rle", "encaps-uncompressed"])
)
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


@given(layout=layouts(), ts=st.sampled_from(NATIVE), garbage=st.none() | st.integers(0, 99), seed=st.integers(0, 99))
def test_hypothesis_native_against_pydicom(layout: Layout, ts: str, garbage: int | None, seed: int) -> None:
    ds = native_dataset(make_pixels(layout, seed), layout, ts, garbage)
    ref = reference(ds)
    assert_identical(fc.pixel_array(ds), ref)
    assert_identical(fc.pixel_array(io.BytesIO(to_bytes(ds)), threads=2), ref)
