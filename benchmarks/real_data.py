"""Frames made from real images, for every benchmark (issue 21): what the codecs meet in the world compresses
worse than generated frames, so figures are measured on these. Nothing is downloaded.

- RGB tiles (:func:`rgb_bank`): crops of scikit-image's bundled colour photographs (``skimage.data``:
  immunohistochemistry (an IHC-stained tissue section: the slide-like one), retina, astronaut, coffee), each at a
  random offset, in one of the 8 flips and rotations; images smaller than a tile are enlarged (bilinear) first.
- 1-bit masks (:func:`mask_bank`): segments of scikit-image's photographs, greyed (immunohistochemistry, retina,
  astronaut, coffee, camera, coins, ...): a crop of half to all of a frame's side at a random offset, flipped or
  rotated, enlarged to the frame (bilinear), smoothed by a box blur of radius 6-11 (a model's masks are smooth),
  thresholded at a random quantile (30-70%), of which the 1-4 largest regions are kept with their holes filled.
  They deflate 9-35:1 (median 17), bit-packed: harder than the generated segmentations (52-268:1).
- CT slices (:func:`ct_bank`): pydicom-data's 512 x 512 CT slices in Hounsfield units (int16, fitting Bits Stored
  12 signed), each flipped and shifted by up to 24 pixels (the gap filled with air, -1000).
- MR slices (:func:`mr_bank`): pydicom-data's MR images (a 1024 x 1024 knee and a 484 x 484 head) as uint16, cut
  and, where smaller than the frame, enlarged, then flipped and shifted.

Each bank holds ``k`` distinct frames; frame ``i`` of an ``n``-frame file is ``bank[frame_index(n, k)[i]]``, a
fixed hash, so neighbouring frames differ and a file of any size costs only its bank to make. The same call
always gives the same frames (seeded). :func:`deflate_ratio` is the compression ratio reported beside each figure.
scikit-image and pydicom-data are in the test and bench extras.
"""

from __future__ import annotations

import functools
import sys
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

#: skimage.data's colour photographs for RGB tiles (all ship inside scikit-image).
RGB_IMAGES = ("immunohistochemistry", "retina", "astronaut", "coffee")
#: skimage.data's images that load from the package itself (no pooch download), grey or colour: the masks.
MASK_IMAGES = (
    "immunohistochemistry",
    "retina",
    "astronaut",
    "coffee",
    "camera",
    "coins",
    "moon",
    "horse",
    "chelsea",
    "rocket",
    "cell",
)
#: pydicom-data's real 512 x 512 CT slices and its MR images.
CT_SOURCES = ("693_UNCR.dcm", "eCT_Supplemental.dcm", "explicit_VR-UN.dcm", "J2K_pixelrep_mismatch.dcm")
MR_SOURCES = ("MR2_UNCR.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm")


# ------------------------------------------------------------------------------------------------ sources


@functools.cache
def _skimage(names: tuple[str, ...]) -> tuple[tuple[npt.NDArray[Any], ...], str]:
    """skimage.data's images ``names``, as arrays, and where they come from."""
    import skimage.data

    images = []
    for name in names:
        try:
            images.append(np.asarray(getattr(skimage.data, name)()))
        except Exception:  # an image this version lacks, or one it would download
            continue
    version = getattr(sys.modules["skimage"], "__version__", "?")
    return tuple(images), f"scikit-image {version} data ({', '.join(names)})"


@functools.cache
def _pydicom_data(names: tuple[str, ...], hounsfield: bool) -> tuple[tuple[npt.NDArray[np.float64], ...], str]:
    """Each frame of pydicom-data's files ``names`` that are here (nothing is downloaded), decoded by pydicom
    (JPEG 2000 through its "pylibjpeg" plugin, named: never framecodec's), in Hounsfield units when asked."""
    import pydicom
    from pydicom.data import get_testdata_file

    out, found = [], []
    for name in names:
        path = get_testdata_file(name, download=False)
        if path is None:
            continue
        ds = pydicom.dcmread(path)
        compressed = ds.file_meta.TransferSyntaxUID.is_compressed
        plugin: dict[str, Any] = {"decoding_plugin": "pylibjpeg"} if compressed else {}
        frames = np.asarray(pydicom.pixels.pixel_array(ds, **plugin))
        frames = frames if frames.ndim == 3 else frames[None]
        slope, intercept = 1.0, 0.0
        if hounsfield and "RescaleIntercept" in ds:
            slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        elif hounsfield:  # Enhanced CT: the Shared Functional Groups' Pixel Value Transformation
            t = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
            slope, intercept = float(t.RescaleSlope), float(t.RescaleIntercept)
        out.extend(f.astype(np.float64) * slope + intercept for f in frames)
        found.append(name)
    if not out:
        raise RuntimeError(f"none of pydicom-data's {', '.join(names)} is installed (pip install pydicom-data)")
    return tuple(out), f"pydicom-data ({', '.join(found)})"


# ------------------------------------------------------------------------------------------------ transforms


def _enlarge(image: npt.NDArray[Any], least: int) -> npt.NDArray[np.float32]:
    """``image`` (float32) scaled up bilinearly so that its shorter side is at least ``least`` pixels."""
    im = image.astype(np.float32)
    scale = least / min(im.shape[:2])
    if scale <= 1:
        return im
    h, w = (int(np.ceil(s * scale)) for s in im.shape[:2])
    y = np.linspace(0, im.shape[0] - 1, h, dtype=np.float32)
    x = np.linspace(0, im.shape[1] - 1, w, dtype=np.float32)
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    y1, x1 = np.minimum(y0 + 1, im.shape[0] - 1), np.minimum(x0 + 1, im.shape[1] - 1)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    if im.ndim == 3:
        fy, fx = fy[..., None], fx[..., None]
    top = im[y0][:, x0] * (1 - fx) + im[y0][:, x1] * fx
    bottom = im[y1][:, x0] * (1 - fx) + im[y1][:, x1] * fx
    out: npt.NDArray[np.float32] = top * (1 - fy) + bottom * fy
    return out


def _turn(image: npt.NDArray[Any], turn: int) -> npt.NDArray[Any]:
    """One of the 8 flips and rotations of the square (``turn`` 0-7)."""
    im = np.rot90(image, turn % 4)
    return im[:, ::-1] if turn >= 4 else im


def _crop(rng: np.random.Generator, image: npt.NDArray[Any], size: int) -> npt.NDArray[Any]:
    y, x = int(rng.integers(image.shape[0] - size + 1)), int(rng.integers(image.shape[1] - size + 1))
    return image[y : y + size, x : x + size]


def _shift(image: npt.NDArray[Any], dy: int, dx: int, fill: float) -> npt.NDArray[Any]:
    """``image`` moved by (dy, dx) pixels, the uncovered edge filled with ``fill``."""
    out = np.full_like(image, fill)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return out


def box_blur(image: npt.NDArray[np.float32], radius: int) -> npt.NDArray[np.float32]:
    """The mean over a (2 radius + 1) square around each pixel (edges: the window clipped), by cumulative sums."""
    if radius <= 0:
        return image
    padded = np.pad(image, radius, mode="edge").astype(np.float64)
    c = np.cumsum(np.cumsum(padded, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    w = 2 * radius + 1
    total = c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]
    return (total / (w * w)).astype(np.float32)


# ------------------------------------------------------------------------------------------------ banks


@functools.cache
def rgb_bank(size: int = 256, k: int = 128, seed: int = 1) -> tuple[npt.NDArray[np.uint8], str]:
    """``k`` distinct ``size`` x ``size`` RGB uint8 tiles from real colour photographs, and their source."""
    images, source = _skimage(RGB_IMAGES)
    colour = [im if im.ndim == 3 else np.repeat(im[..., None], 3, axis=2) for im in images]
    colour = [_enlarge(im[..., :3], size).astype(np.float32) for im in colour]
    rng = np.random.default_rng(seed)
    bank = np.empty((k, size, size, 3), np.uint8)
    for j in range(k):
        im = _turn(colour[j % len(colour)], int(rng.integers(8)))
        bank[j] = np.clip(np.rint(_crop(rng, im, size)), 0, 255)
    return bank, source


@functools.cache
def mask_bank(size: int = 512, k: int = 256, seed: int = 17) -> tuple[npt.NDArray[np.uint8], str]:
    """``k`` distinct 0/1 masks of ``size`` x ``size`` (see the module's docstring), and their source."""
    from scipy import ndimage  # scikit-image's own dependency

    images, source = _skimage(MASK_IMAGES)
    grey = [im.astype(np.float32).mean(axis=-1) if im.ndim == 3 else im.astype(np.float32) for im in images]
    rng = np.random.default_rng(seed)
    bank = np.empty((k, size, size), np.uint8)
    for j in range(k):
        side = int(size / rng.uniform(1, 2))  # a crop of 1/2 to all of the frame's side, enlarged to it
        crop = _crop(rng, _turn(_enlarge(grey[j % len(grey)], side), int(rng.integers(8))), side)
        smooth = box_blur(_enlarge(crop, size)[:size, :size], int(rng.integers(6, 12)))
        m = smooth > np.quantile(smooth, float(rng.uniform(0.3, 0.7)))
        labels, count = ndimage.label(m)
        if count:  # the 1-4 largest regions, holes filled: a segment, not every bright speck
            largest = np.argsort(np.bincount(labels.ravel())[1:])[::-1][: int(rng.integers(1, 5))] + 1
            m = ndimage.binary_fill_holes(np.isin(labels, largest))
        bank[j] = m
    return bank, source


def _slice_bank(
    slices: tuple[npt.NDArray[np.float64], ...], size: int, k: int, seed: int, fill: float
) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    fitted = [_crop(rng, _enlarge(s, size), size).astype(np.float64) for s in slices]
    bank = np.empty((k, size, size), np.float64)
    for j in range(k):
        im = fitted[j % len(fitted)]
        im = im[:, ::-1] if rng.integers(2) else im  # left-right: a patient the other way round
        im = im[::-1] if rng.integers(2) else im  # head-first or feet-first
        dy, dx = (int(d) for d in rng.integers(-24, 25, 2))
        bank[j] = _shift(im, dy, dx, fill)
    return bank


@functools.cache
def ct_bank(size: int = 512, k: int = 64, seed: int = 3) -> tuple[npt.NDArray[np.int16], str]:
    """``k`` distinct ``size`` x ``size`` CT frames in Hounsfield units (int16, -1024..3071: Bits Stored 12,
    signed), and their source."""
    slices, source = _pydicom_data(CT_SOURCES, hounsfield=True)
    bank = _slice_bank(slices, size, k, seed, fill=-1000.0)
    return np.clip(np.rint(bank), -1024, 3071).astype(np.int16), source


@functools.cache
def mr_bank(size: int = 512, k: int = 64, seed: int = 5) -> tuple[npt.NDArray[np.uint16], str]:
    """``k`` distinct ``size`` x ``size`` MR frames (uint16 stored values, 0..4095: Bits Stored 12), and their
    source."""
    slices, source = _pydicom_data(MR_SOURCES, hounsfield=False)
    bank = _slice_bank(slices, size, k, seed, fill=0.0)
    return np.clip(np.rint(bank), 0, 4095).astype(np.uint16), source


def frame_index(n: int, k: int) -> npt.NDArray[np.int64]:
    """Which frame of a ``k``-frame bank each of ``n`` frames is: a fixed hash of the frame number."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) ^ (i >> np.uint64(3))
    return (h % np.uint64(k)).astype(np.int64)


#: The kinds of frame, by name: (bank function, what a frame is).
KINDS = {
    "rgb": (rgb_bank, "RGB tiles"),
    "mask": (mask_bank, "1-bit masks"),
    "ct": (ct_bank, "CT slices"),
    "mr": (mr_bank, "MR slices"),
}


def frames(kind: str, n: int, size: int, k: int | None = None) -> npt.NDArray[Any]:
    """``n`` frames of ``kind`` ("rgb", "mask", "ct", "mr"), ``size`` x ``size``: frame i is the bank's
    ``frame_index(n, k)[i]``. A view-free copy: (n, size, size[, 3])."""
    make = KINDS[kind][0]
    bank, _ = make(size) if k is None else make(size, k)  # type: ignore[operator]
    return np.ascontiguousarray(bank[frame_index(n, len(bank))])


def frame(kind: str, i: int, size: int) -> npt.NDArray[Any]:
    """Frame ``i`` of any file of ``kind`` (as :func:`frames`, one at a time: the hash does not depend on n)."""
    bank, _ = KINDS[kind][0](size)  # type: ignore[operator]
    return np.asarray(bank[int(frame_index(i + 1, len(bank))[i])])


def source(kind: str, size: int) -> str:
    """Where ``kind``'s frames come from, for the benchmark's labels and RESULTS.md."""
    return str(KINDS[kind][0](size)[1])  # type: ignore[operator]


def deflate_ratio(frames: npt.NDArray[Any], bits: int = 0) -> float:
    """The compression ratio of ``frames`` (raw bytes over zlib level 6 per frame), as reported beside each
    figure; ``bits=1``: 0/1 frames, bit-packed as DICOM packs them (PS3.5 8.1.1, little bit order) first."""
    raw = compressed = 0
    for f in frames:
        data = np.packbits(f, bitorder="little").tobytes() if bits == 1 else np.ascontiguousarray(f).tobytes()
        raw += len(data)
        compressed += len(zlib.compress(data, 6))
    return raw / max(1, compressed)
