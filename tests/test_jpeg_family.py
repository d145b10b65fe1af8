"""JPEG baseline/extended 8-bit, JPEG 2000, HTJ2K and JPEG-LS through framecodec's public API (issue 16), against
references that are never framecodec (tests/jpeg_family_util.py): pydicom with its own plugin named, the pixels
the slide generator wrote (or its reference decodes of lossy frames), wsidicom, OpenSlide.

1. every real file of these syntaxes pydicom and pydicom-data have: pixel_array (and raw=True), FrameReader
   frame by frame, iter_pixels, and pydicom's decoding_plugin="framecodec";
2. generated slides in every syntax: frames, read_region at edges and across tiles, against wsidicom and
   OpenSlide, and read_region(downsample=2, 4, 8) against block means;
3. a frame cut short, cut to 10 bytes or with its frame header flipped, and a frame whose codestream disagrees
   with Rows, Columns, Samples per Pixel or Bits Allocated: DecodeError naming the frame (and both values).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest

import framecodec as fc
from framecodec._synthetic import slides
from framecodec._synthetic.slides import (
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
    Slide,
    SlideSpec,
    write_slide,
)
from jpeg_family_util import (
    DAMAGE,
    FRAME_TOLERANCE,
    HTJ2K,
    JPEG,
    LIBJPEG_BOUND,
    OTHER_SLIDES,
    REDUCED_TOLERANCE,
    SLIDES,
    NoReference,
    RealFile,
    block_mean,
    covered,
    frames_of,
    other_frame,
    pydicom_reference,
    real_files,
    reduced_family,
    skip_reason,
    with_frame,
)
from slide_readers import openslide_refuses, openslide_region, write_benchmark_jpeg_slide, wsidicom_region

REAL = real_files()


def assert_equal(got: npt.NDArray[Any], expected: npt.NDArray[Any], tolerance: int = 0, what: str = "") -> None:
    """Same shape and dtype; values equal (or within ``tolerance``), saying where they differ."""
    __tracebackhide__ = True
    assert got.shape == expected.shape and got.dtype == expected.dtype, (
        what,
        got.shape,
        got.dtype,
        expected.shape,
        expected.dtype,
    )
    diff = np.abs(got.astype(np.int64) - expected.astype(np.int64))
    if diff.max(initial=0) > tolerance:
        where = np.argwhere(diff > tolerance)
        raise AssertionError(
            f"{what}: {len(where)} samples differ by more than {tolerance} (max {diff.max()}), "
            f"first at {tuple(where[0])}: {got[tuple(where[0])]} != {expected[tuple(where[0])]}"
        )


def reference_of(f: RealFile, raw: bool) -> npt.NDArray[Any]:
    reason = skip_reason(f)
    if reason:
        pytest.skip(reason)
    try:
        return pydicom_reference(f.path, f.syntax, raw)
    except NoReference as e:
        pytest.skip(str(e))


# ------------------------------------------------------------------------------------------ real files


def test_the_real_files_cover_the_family() -> None:
    """pydicom ships files of every syntax but HTJ2K; pydicom-data (or pydicom's download cache) has the HTJ2K
    ones since 2024 (HTJ2KLossless_08_RGB.dcm, HTJ2K_08_RGB.dcm; pydicom-data 1.0.0 on PyPI does not)."""
    found = {f.syntax for f in REAL}
    missing = {
        JPEG_BASELINE,
        JPEG_EXTENDED,
        JPEG_LS_LOSSLESS,
        JPEG_LS_NEAR_LOSSLESS,
        JPEG_2000_LOSSLESS,
        JPEG_2000,
    } - found
    assert not missing, missing
    if not found & {HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K}:
        pytest.skip("no real HTJ2K file: pydicom-data has none (pip install it from github.com/pydicom/pydicom-data)")


@pytest.mark.parametrize("raw", [False, True], ids=["rgb", "raw"])
@pytest.mark.parametrize("f", REAL, ids=[f.id for f in REAL])
def test_pixel_array_equals_pydicom(f: RealFile, raw: bool) -> None:
    """Bit for bit pydicom with the reference plugin (lossless: the file's pixels; JPEG: libjpeg-turbo both, its
    own YCbCr to RGB); JPEG also close to IJG libjpeg (pylibjpeg-libjpeg), another decoder."""
    expected = reference_of(f, raw)
    got = fc.pixel_array(f.path, raw=raw)
    assert_equal(got, expected, tolerance=FRAME_TOLERANCE.get(f.syntax, 0), what=f.name)
    if f.syntax in JPEG:
        theirs = pydicom.pixels.pixel_array(f.path, decoding_plugin="pillow", raw=raw)  # pydicom converts in floats
        assert_equal(got, theirs, tolerance=1, what="pydicom's pillow plugin")
        libjpeg = pydicom.pixels.pixel_array(f.path, decoding_plugin="pylibjpeg", raw=raw).astype(np.int64)
        diff = np.abs(got.astype(np.int64) - libjpeg)
        mean, q, bound = LIBJPEG_BOUND
        assert diff.mean() <= mean and np.percentile(diff, q) <= bound, (diff.mean(), diff.max())


@pytest.mark.parametrize("f", REAL, ids=[f.id for f in REAL])
def test_frame_reader_and_iter_pixels(f: RealFile) -> None:
    """Every frame alone (reader[i], reader.read([i])), all of them (read(), iteration), and iter_pixels."""
    expected = reference_of(f, False)
    frames = expected if f.frames > 1 else expected[None]
    tol = FRAME_TOLERANCE.get(f.syntax, 0)  # lossy HTJ2K: OpenJPH's 9/7 wavelet rounds apart from OpenJPEG's
    with fc.FrameReader(f.path) as r:
        assert len(r) == f.frames
        for i in range(f.frames):
            assert_equal(r[i], frames[i], tolerance=tol, what=f"frame {i}")
        assert_equal(r.read([f.frames - 1, 0]), frames[[f.frames - 1, 0]], tolerance=tol, what="read([last, 0])")
        assert_equal(r.read(), expected, tolerance=tol, what="read()")
        assert_equal(np.stack(list(r)), frames, tolerance=tol, what="iteration")
    assert_equal(np.stack(list(fc.iter_pixels(f.path))), frames, tolerance=tol, what="iter_pixels")
    assert_equal(
        np.stack(list(fc.iter_pixels(f.path, raw=True))),
        reference_of(f, True).reshape(frames.shape),
        tolerance=tol,
        what="iter_pixels(raw=True)",
    )


@pytest.mark.parametrize("raw", [False, True], ids=["rgb", "raw"])
@pytest.mark.parametrize("f", REAL, ids=[f.id for f in REAL])
def test_pydicom_plugin(f: RealFile, raw: bool) -> None:
    """pydicom.pixels.pixel_array(path, decoding_plugin="framecodec"): framecodec's plugin for these syntaxes."""
    expected = reference_of(f, raw)
    got = pydicom.pixels.pixel_array(f.path, decoding_plugin="framecodec", raw=raw)
    assert_equal(got, expected, tolerance=FRAME_TOLERANCE.get(f.syntax, 0), what=f.name)


# ---------------------------------------------------------------------------------------------- slides


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Slide]:
    """Each slide of SLIDES (and OTHER_SLIDES) in a folder of its own (wsidicom opens a folder, OpenSlide a
    folder's series)."""
    root = tmp_path_factory.mktemp("jpeg-family")
    out = {}
    for name, spec in {**SLIDES, **OTHER_SLIDES}.items():
        (root / name).mkdir()
        out[name] = write_slide(root / name / "level0.dcm", spec)
    return out


def tolerance(spec: SlideSpec) -> int:
    return FRAME_TOLERANCE.get(spec.transfer_syntax, 0)


@pytest.mark.parametrize("name", SLIDES)
def test_slide_frames(family: dict[str, Slide], name: str) -> None:
    """Every frame against the pixels written (lossless) or their reference decode (lossy), whole and one by
    one; raw=True against pydicom's plugin (JPEG: YCbCr as libjpeg-turbo upsamples it)."""
    s = family[name]
    expected = np.stack([s.expected_frame(i) for i in range(s.number_of_frames)])
    assert_equal(pydicom_reference(s.path, s.spec.transfer_syntax, False), expected, what="the reference itself")
    t = tolerance(s.spec)
    assert_equal(fc.pixel_array(s.path), expected, t, "pixel_array")
    assert_equal(fc.pixel_array(s.path, threads=1), expected, t, "pixel_array, one thread")
    with fc.FrameReader(s.path) as r:
        for i in range(len(r)):
            assert_equal(r[i], expected[i], t, f"frame {i}")
        assert_equal(r.read(slice(None, None, -1)), expected[::-1], t, "read(reversed)")
    assert_equal(np.stack(list(fc.iter_pixels(s.path, batch=2))), expected, t, "iter_pixels")
    raw = pydicom_reference(s.path, s.spec.transfer_syntax, True)
    assert_equal(fc.pixel_array(s.path, raw=True), raw, t, "raw=True")


# Regions of the 700 x 500 slides (256 x 256 tiles: 3 x 2, the last column 188 wide, the last row 244 high):
# single pixels at the corners, tile-aligned, across four tiles, hanging past the matrix or before it, wholly
# outside, the whole matrix.
REGIONS = [
    ((0, 0), (1, 1)),
    ((699, 499), (1, 1)),
    ((255, 255), (2, 2)),
    ((256, 0), (256, 256)),
    ((200, 180), (150, 170)),
    ((0, 0), (700, 500)),
    ((600, 400), (300, 300)),
    ((-10, -5), (40, 30)),
    ((650, 0), (100, 500)),
    ((512, 256), (188, 244)),
    ((800, 600), (10, 10)),
    ((3, 1), (697, 498)),
]
INSIDE = [
    (loc, size)
    for loc, size in REGIONS
    if loc[0] >= 0 and loc[1] >= 0 and loc[0] + size[0] <= 700 and loc[1] + size[1] <= 500
]


@pytest.mark.parametrize("name", [*SLIDES, *OTHER_SLIDES])
def test_read_region(family: dict[str, Slide], name: str) -> None:
    """Stitched regions against the reference canvas: white (RGB) or 0 (grey) outside the matrix and on tiles
    without a frame."""
    s = family[name]
    with fc.FrameReader(s.path) as r:
        for location, size in REGIONS:
            got = r.read_region(location, size)
            assert_equal(got, s.expected_region(location, size), tolerance(s.spec), f"{location} {size}")
            assert_equal(r.read_region(location, size, threads=1), got, what="one thread")


@pytest.mark.parametrize("name", [n for n, sp in SLIDES.items() if sp.transfer_syntax != HTJ2K_LOSSLESS_RPCL])
def test_read_region_as_wsidicom(family: dict[str, Slide], name: str) -> None:
    """wsidicom's read_region (inside the matrix: it refuses anything else). JPEG: libjpeg-turbo on both sides
    (measured identical: Pillow, wsidicom and OpenSlide agree to the level on these slides). wsidicom has no
    decoder for HTJ2K RPCL (.202)."""
    pytest.importorskip("wsidicom")
    s = family[name]
    with fc.FrameReader(s.path) as r:
        for location, size in INSIDE:
            theirs = wsidicom_region(s.path.parent, location, size)
            assert_equal(r.read_region(location, size), theirs, tolerance(s.spec), f"wsidicom {location} {size}")


@pytest.mark.parametrize("name", [n for n, sp in SLIDES.items() if openslide_refuses(sp) is None])
def test_read_region_as_openslide(family: dict[str, Slide], name: str) -> None:
    """OpenSlide's read_region where it is opaque (alpha 255: inside the matrix, on a tile with a frame); it is
    transparent exactly where framecodec fills."""
    pytest.importorskip("openslide")
    s = family[name]
    with fc.FrameReader(s.path) as r:
        for location, size in REGIONS:
            rgb, opaque = openslide_region(s.path, location, size)
            got = r.read_region(location, size)
            assert np.array_equal(opaque, covered(s, location, size)), (location, size)
            assert_equal(got[opaque], rgb[opaque], tolerance(s.spec), f"OpenSlide {location} {size}")


def test_benchmark_jpeg_slide_opens_in_wsidicom_and_openslide(tmp_path: Path) -> None:
    """The benchmarks' slide (2,000 tiles of 256 x 256, 4:2:0, quality 90): wsidicom and OpenSlide open it and
    read what framecodec reads, pixel for pixel."""
    pytest.importorskip("wsidicom")
    pytest.importorskip("openslide")
    s = write_benchmark_jpeg_slide(tmp_path / "bench")
    assert (
        s.number_of_frames == 2000
        and pydicom.dcmread(s.path, stop_before_pixels=True).PhotometricInterpretation == "YBR_FULL_422"
    )
    location, size = (s.spec.width - 700, s.spec.height - 600), (700, 600)  # the partial tiles of the corner
    expected = s.expected_region(location, size)
    with fc.FrameReader(s.path) as r:
        assert_equal(r.read_region(location, size), expected, what="framecodec")
    assert_equal(wsidicom_region(s.path.parent, location, size), expected, what="wsidicom")
    rgb, opaque = openslide_region(s.path, location, size)
    assert opaque.all()
    assert_equal(rgb, expected, what="OpenSlide")


def reduced_regions(d: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(location in level-0 pixels, size in output pixels): the whole matrix (its last blocks partial),
    tile-aligned across tiles, unaligned, past the bottom-right corner, before the top-left, one pixel."""
    return [
        ((0, 0), (-(-700 // d), -(-500 // d))),
        ((128, 64), (512 // d, 384 // d)),
        ((3, 5), (max(1, 301 // d), max(1, 203 // d))),
        ((600, 400), (160 // d, 160 // d)),
        ((-16, -8), (64 // d, 32 // d)),
        ((256, 256), (1, 1)),
    ]


@pytest.mark.parametrize("d", [1, 2, 4, 8])
@pytest.mark.parametrize("name", [*SLIDES, *OTHER_SLIDES])
def test_read_region_downsample(family: dict[str, Slide], name: str, d: int) -> None:
    """Each output pixel the mean of its d x d level-0 block (over the block's pixels inside the matrix and on a
    tile with a frame; the fill where none is): exact for codecs decoded at full resolution and averaged
    (JPEG-LS, RLE, native), within the measured bounds (pooled over the regions) for those decoded at reduced
    resolution (JPEG's DCT scaling, the JPEG 2000 / HTJ2K resolution levels: a low-pass, not a box mean). The fill
    is exact everywhere."""
    s = family[name]
    family_of = reduced_family(s.spec.transfer_syntax)
    levels = float(1 << (s.spec.bits_stored - 8))  # differences in 8-bit levels
    pooled = []
    with fc.FrameReader(s.path) as r:
        for location, size in reduced_regions(d):
            level0 = (size[0] * d, size[1] * d)
            mask = covered(s, location, level0)
            expected = block_mean(s.expected_region(location, level0), mask, d, s.fill)
            got = r.read_region(location, size, downsample=d)  # type: ignore[call-arg,unused-ignore]
            what = f"downsample {d} {location} {size}"
            assert got.shape == expected.shape and got.dtype == expected.dtype, what
            empty = ~mask.reshape(size[1], d, size[0], d).any(axis=(1, 3))
            assert (got[empty] == s.fill).all(), f"{what}: the fill"
            if d == 1 or family_of is None:
                assert_equal(got, expected, tolerance(s.spec), what)
            else:
                pooled.append(np.abs(got.astype(np.int64) - expected.astype(np.int64))[~empty] / levels)
    if pooled and family_of is not None:
        diff = np.concatenate(pooled)
        mean, p99 = REDUCED_TOLERANCE[(family_of, d)]
        assert diff.mean() <= mean and np.percentile(diff, 99) <= p99, (
            diff.mean(),
            np.percentile(diff, 99),
            diff.max(),
        )


# -------------------------------------------------------------------------------------- damaged frames

#: One small slide per syntax (512 x 256 of 128 x 128 tiles: 8 frames), RGB; frame K is damaged.
DAMAGED = {
    "jpeg": JPEG_BASELINE,
    "j2k-lossless": JPEG_2000_LOSSLESS,
    "j2k": JPEG_2000,
    "htj2k-lossless": HTJ2K_LOSSLESS,
    "htj2k": HTJ2K,
    "jpegls": JPEG_LS_LOSSLESS,
    "jpegls-near": JPEG_LS_NEAR_LOSSLESS,
}
K = 5  # no number a message names otherwise (1, 3, 8, 16, 64, 128)


def small_slide(folder: Path, syntax: str, samples: int = 3) -> Slide:
    spec = SlideSpec(
        width=512, height=256, tile=128, transfer_syntax=syntax, samples=samples, jpeg_subsampling="4:2:0", seed=40
    )
    folder.mkdir(parents=True, exist_ok=True)
    return write_slide(folder / f"{slides.SYNTAX_NAMES[syntax]}-{samples}.dcm", spec)


def assert_refused(path: Path, s: Slide) -> None:
    """pixel_array, iter_pixels and FrameReader raise DecodeError (a ValueError) naming frame K; the other frames
    still read."""
    assert issubclass(fc.DecodeError, ValueError)
    named = rf"\bframe {K}\b"
    with pytest.raises(fc.DecodeError, match=named):
        fc.pixel_array(path)
    with pytest.raises(fc.DecodeError, match=named):
        fc.pixel_array(path, K)
    with pytest.raises(fc.DecodeError, match=named):
        list(fc.iter_pixels(path))
    others = [i for i in range(s.number_of_frames) if i != K]
    expected = np.stack([s.expected_frame(i) for i in others])
    with fc.FrameReader(path) as r:
        for call in (lambda: r.read(), lambda: r[K], lambda: r.read([K - 1, K])):
            with pytest.raises(fc.DecodeError, match=named):
                call()
        for j, i in enumerate(others):
            assert_equal(r[i], expected[j], tolerance(s.spec), f"frame {i}")
        assert_equal(r.read(others), expected, tolerance(s.spec), "read(others)")
    assert_equal(fc.pixel_array(path, others), expected, tolerance(s.spec), "pixel_array(others)")


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("syntax", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_frame(tmp_path: Path, syntax: str, damage: str) -> None:
    """Frame K cut in half, cut to 10 bytes, or with its frame header (SOF, SIZ, SOF55) inverted."""
    s = small_slide(tmp_path, syntax)
    frame = frames_of(s.path)[K]
    path = with_frame(s.path, tmp_path / "damaged.dcm", K, DAMAGE[damage](frame, syntax))
    assert_refused(path, s)


@pytest.mark.parametrize("what", ["columns", "rows", "samples", "bits"])
@pytest.mark.parametrize("syntax", DAMAGED.values(), ids=DAMAGED.keys())
def test_header_disagrees_with_the_data_set(tmp_path: Path, syntax: str, what: str) -> None:
    """Frame K swapped for a codestream of another width, height, number of components (grey in RGB) or
    precision (16-bit in 8-bit grey): refused before decoding, the message naming both values."""
    if what == "bits" and syntax in JPEG:
        pytest.skip("8-bit JPEG only: libjpeg-turbo here refuses 12-bit codestreams before any check of ours")
    s = small_slide(tmp_path, syntax, samples=1 if what == "bits" else 3)
    codestream, (theirs, ours) = other_frame(s.spec, what)
    path = with_frame(s.path, tmp_path / "other.dcm", K, codestream)
    with pytest.raises(fc.DecodeError, match=rf"\bframe {K}\b") as e:
        fc.pixel_array(path)
    message = str(e.value).replace(os.fspath(path), "").replace(f"frame {K}", "")
    for value in (theirs, ours):
        assert re.search(rf"\b{value}\b", message), (value, str(e.value))
    with fc.FrameReader(path) as r, pytest.raises(fc.DecodeError, match=rf"\bframe {K}\b"):
        r.read(K)
