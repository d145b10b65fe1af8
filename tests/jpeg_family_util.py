"""What tests/test_jpeg_family.py compares framecodec with, none of it framecodec: the real files of the JPEG family
(pydicom's and pydicom-data's) and their references by pydicom's own plugins, named; the generated slides
(framecodec._synthetic.slides) and their reference regions, block means and tolerances; files with a damaged frame.

``import framecodec`` registers framecodec's pydicom plugins first, so every reference here names pydicom's plugin
(``decoding_plugin="pillow"`` / ``"pylibjpeg"`` / ``"pyjpegls"``) or decodes the codestream directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import pixel_array as pydicom_pixel_array

from framecodec._synthetic.slides import (
    HTJ2K,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
    RLE,
    SYNTAX_NAMES,
    TILED_SPARSE,
    SlideSpec,
    encode_tile,
)

FAMILY = (
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
    JPEG_2000_LOSSLESS,
    JPEG_2000,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    HTJ2K,
)
#: pydicom's plugin whose decode is the reference, by transfer syntax: Pillow (libjpeg-turbo, framecodec's JPEG
#: library), pylibjpeg-openjpeg (OpenJPEG: J2K, and HTJ2K), pyjpegls (CharLS).
PLUGIN = {
    JPEG_BASELINE: "pillow",
    JPEG_EXTENDED: "pillow",
    JPEG_LS_LOSSLESS: "pyjpegls",
    JPEG_LS_NEAR_LOSSLESS: "pyjpegls",
    JPEG_2000_LOSSLESS: "pylibjpeg",
    JPEG_2000: "pylibjpeg",
    HTJ2K_LOSSLESS: "pylibjpeg",
    HTJ2K_LOSSLESS_RPCL: "pylibjpeg",
    HTJ2K: "pylibjpeg",
}
JPEG = (JPEG_BASELINE, JPEG_EXTENDED)
#: pylibjpeg-libjpeg (IJG libjpeg) against libjpeg-turbo, measured on pydicom's 8-bit JPEG files and the generated
#: slides: at most 3 apart in YCbCr (raw) and 6 in RGB (the 4:2:2 slide; color3d_jpeg_baseline.dcm 5), more
#: than 2 apart on at most 0.13% of samples, mean at most 0.26. "Within 2 levels" holds for 99.5% of samples:
#: the bound is (mean 0.4, 99.5th percentile 2).
LIBJPEG_BOUND = (0.4, 99.5, 2)


# ------------------------------------------------------------------------------------------- real files


@dataclass(frozen=True)
class RealFile:
    path: str
    syntax: str
    bits_stored: int
    samples: int
    photometric: str
    frames: int

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def id(self) -> str:
        return f"{SYNTAX_NAMES.get(self.syntax, self.syntax)}-{self.name}"


def _candidates() -> list[str]:
    """pydicom's own test files, pydicom-data's (if installed) and pydicom's download cache, found without
    downloading (``get_testdata_files`` would try to download every file it does not have, seconds each)."""
    from pydicom.data import data_manager as dm

    paths = [str(p) for p in (Path(dm.DATA_ROOT) / "test_files").rglob("*") if p.is_file()]
    for source in dm.external_data_sources().values():
        paths += source.get_paths("*")
    cache_dir = Path(dm.get_data_dir())
    if cache_dir.is_dir():
        paths += [str(p) for p in cache_dir.glob("*.dcm")]
    return sorted(set(paths), key=lambda p: (os.path.basename(p), p))


@cache
def real_files() -> tuple[RealFile, ...]:
    """Every file found in a JPEG family transfer syntax, by syntax then name."""
    import warnings

    found = []
    for path in _candidates():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # force: pydicom-data's JLSL_*/JLSN_* files have no preamble (they start with the File Meta)
                ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            syntax = str(ds.file_meta.TransferSyntaxUID)
        except Exception:  # not DICOM, no file meta: not one of ours
            continue
        if syntax in FAMILY and "PixelData" not in ds and "Rows" in ds:
            found.append(
                RealFile(
                    path,
                    syntax,
                    int(ds.get("BitsStored", 0)),
                    int(ds.get("SamplesPerPixel", 1)),
                    str(ds.get("PhotometricInterpretation", "")),
                    int(ds.get("NumberOfFrames") or 1),
                )
            )
    return tuple(sorted(found, key=lambda f: (FAMILY.index(f.syntax), f.name)))


class NoReference(Exception):
    """pydicom's plugin cannot decode this file: there is nothing to compare with."""


def ycc_to_rgb(ycc: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """libjpeg-turbo's YCbCr to RGB (jdcolor.c: T.871 in 16-bit fixed point, its SIMD code identical), on
    libjpeg-turbo's own YCbCr: bit for bit the RGB libjpeg-turbo (Pillow, wsidicom, OpenSlide, framecodec) gives.
    pydicom's own conversion (convert_color_space, in floating point) rounds 0.004% of samples one level apart."""
    scale, half = 1 << 16, 1 << 15

    def fix(x: float) -> int:
        return int(x * scale + 0.5)

    y = ycc[..., 0].astype(np.int64)
    cb, cr = ycc[..., 1].astype(np.int64) - 128, ycc[..., 2].astype(np.int64) - 128
    r = y + ((fix(1.40200) * cr + half) >> 16)
    g = y + ((-fix(0.34414) * cb - fix(0.71414) * cr + half) >> 16)
    b = y + ((fix(1.77200) * cb + half) >> 16)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def pydicom_reference(
    path: str | os.PathLike[str], syntax: str, raw: bool, plugin: str | None = None
) -> npt.NDArray[Any]:
    """pydicom's pixel_array of ``path`` by ``plugin`` (default: the reference plugin of ``syntax``), as pydicom
    returns it (shape, dtype). JPEG without ``raw``: where pydicom converts YCbCr to RGB itself, the same YCbCr
    converted by libjpeg-turbo's formula (:func:`ycc_to_rgb`), since framecodec lets libjpeg-turbo convert as
    Pillow does; pydicom's own result is within 1 of it. Raises :class:`NoReference` saying why pydicom fails."""
    plugin = plugin or PLUGIN[syntax]
    try:
        arr = pydicom_pixel_array(os.fspath(path), decoding_plugin=plugin, raw=raw)
        if syntax in JPEG and plugin == "pillow" and not raw and arr.ndim >= 3 and arr.shape[-1] == 3:
            ycc = pydicom_pixel_array(os.fspath(path), decoding_plugin=plugin, raw=True)
            if not np.array_equal(ycc, arr):  # pydicom converted: YBR_FULL(_422) or its JPEG colour rule
                arr = ycc_to_rgb(ycc)
    except Exception as e:
        raise NoReference(f"pydicom's {plugin!r} plugin cannot decode it: {type(e).__name__}: {e}") from e
    return arr


def skip_reason(f: RealFile) -> str | None:
    """Why a real file is not compared: 12-bit JPEG goes to pydicom (libjpeg-turbo here decodes 8-bit only)."""
    if f.syntax in JPEG and f.bits_stored > 8:
        return f"{f.bits_stored}-bit JPEG: framecodec hands it to pydicom (libjpeg-turbo decodes 8-bit samples only)"
    return None


# ---------------------------------------------------------------------------------------------- slides

#: The generated slides (framecodec._synthetic.slides): every syntax, 700 x 500 pixels of 256 x 256 tiles (edge tiles
#: partial both ways), both tilings, the three offset tables, RGB, grey and 12/16-bit grey.
_S = SlideSpec(width=700, height=500, tile=256)
SLIDES: dict[str, SlideSpec] = {
    "jpeg-420": _S.but(transfer_syntax=JPEG_BASELINE, jpeg_subsampling="4:2:0", seed=21),
    "jpeg-444-sparse": _S.but(
        transfer_syntax=JPEG_BASELINE,
        jpeg_subsampling="4:4:4",
        tiling=TILED_SPARSE,
        shuffle=True,
        missing=[(1, 1, 0, 0)],
        offset_table="empty",
        seed=22,
    ),
    "jpeg-422-eot": _S.but(transfer_syntax=JPEG_BASELINE, offset_table="extended", seed=23),
    "jpeg-grey": _S.but(transfer_syntax=JPEG_BASELINE, samples=1, seed=24),
    "j2k-rct": _S.but(transfer_syntax=JPEG_2000_LOSSLESS, seed=25),
    "j2k-rgb-sparse": _S.but(
        transfer_syntax=JPEG_2000_LOSSLESS,
        mct=False,
        tiling=TILED_SPARSE,
        shuffle=True,
        missing=[(2, 0, 0, 0)],
        offset_table="extended",
        seed=26,
    ),
    "j2k-ict": _S.but(transfer_syntax=JPEG_2000, offset_table="empty", seed=27),
    "j2k-grey12": _S.but(transfer_syntax=JPEG_2000_LOSSLESS, samples=1, bits_stored=12, seed=28),
    "htj2k-rct": _S.but(transfer_syntax=HTJ2K_LOSSLESS, seed=29),
    "htj2k-rpcl-grey16": _S.but(
        transfer_syntax=HTJ2K_LOSSLESS_RPCL,
        samples=1,
        bits_stored=16,
        tiling=TILED_SPARSE,
        shuffle=True,
        offset_table="empty",
        seed=30,
    ),
    "htj2k-grey12": _S.but(transfer_syntax=HTJ2K_LOSSLESS, samples=1, bits_stored=12, offset_table="extended", seed=31),
    "htj2k-ict": _S.but(transfer_syntax=HTJ2K, seed=32),
    "jpegls-rgb": _S.but(transfer_syntax=JPEG_LS_LOSSLESS, seed=33),
    "jpegls-grey16-sparse": _S.but(
        transfer_syntax=JPEG_LS_LOSSLESS,
        samples=1,
        bits_stored=16,
        tiling=TILED_SPARSE,
        shuffle=True,
        missing=[(0, 1, 0, 0)],
        offset_table="extended",
        seed=34,
    ),
    "jpegls-grey12": _S.but(transfer_syntax=JPEG_LS_LOSSLESS, samples=1, bits_stored=12, offset_table="empty", seed=35),
    "jpegls-near": _S.but(transfer_syntax=JPEG_LS_NEAR_LOSSLESS, seed=36),
}
#: Syntaxes without a native reduction, for read_region(downsample=): averaged, so exact (±0).
OTHER_SLIDES: dict[str, SlideSpec] = {
    "rle-sparse": _S.but(transfer_syntax=RLE, tiling=TILED_SPARSE, shuffle=True, missing=[(1, 0, 0, 0)], seed=37),
    "native-grey16": _S.but(samples=1, bits_stored=16, seed=38),
}

#: Lossy HTJ2K: framecodec decodes with OpenJPH, the reference with OpenJPEG (pylibjpeg-openjpeg); their
#: irreversible (9/7) synthesis rounds apart by 1 on a few samples (measured: at most 1, on < 0.1%).
#: Everything else is exact: JPEG is libjpeg-turbo on both sides, lossy J2K OpenJPEG on both (Debian's 2.5.0
#: and pylibjpeg-openjpeg's 2.5.2 measured identical), the lossless ones are the pixels written.
FRAME_TOLERANCE = {HTJ2K: 1}

#: Codecs that decode at reduced resolution natively (read_region's downsample): JPEG's DCT scaling, the JPEG 2000
#: and HTJ2K wavelets' resolution levels. Their output is a low-pass of each block, not its mean, so the bound
#: is on the mean and the 99th percentile of |read_region(downsample=d) - block mean| in 8-bit levels, pooled over
#: the regions of test_read_region_downsample. Measured by doing what the engine does with other builds of its
#: libraries (tile by tile: Pillow's draft() for libjpeg-turbo's DCT scaling, opj_decompress -r, imagecodecs'
#: OpenJPH skipres) on these slides, worst slide (and on 1400 x 1000 slides: no worse):
#:   JPEG:        d=2 mean 0.82 p99 4;  d=4 mean 1.60 p99 8;  d=8 mean 1.47 p99 11  (4:2:2 worst, grey < 0.2 / 2)
#:   J2K / HTJ2K: d=2 mean 4.85 p99 25; d=4 mean 11.8 p99 52; d=8 mean 10.4 p99 75  (reversible worst)
#: JPEG 2000's level-r image is the 5/3 (9/7) low-pass sampled at multiples of 2^r: within 1.6 of that low-pass,
#: but centred on each block's first pixel rather than its middle (a (d - 1) / 2 pixel shift), hence 5-12 levels
#: off the box mean on this noisy tissue. Bounds: the measured mean x 1.5, the 99th percentile x 1.3, rounded up.
REDUCED_TOLERANCE = {  # (family, d): (mean, 99th percentile), 8-bit levels
    ("jpeg", 2): (1.3, 6),
    ("jpeg", 4): (2.4, 11),
    ("jpeg", 8): (2.4, 15),
    ("j2k", 2): (7.5, 33),
    ("j2k", 4): (18.0, 68),
    ("j2k", 8): (16.0, 98),
}


def reduced_family(syntax: str) -> str | None:
    """Which native reduction a syntax has ("jpeg", "j2k"), None when framecodec must average (JPEG-LS)."""
    if syntax in JPEG:
        return "jpeg"
    if syntax in (JPEG_2000_LOSSLESS, JPEG_2000, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K):
        return "j2k"
    return None


def covered(slide: Any, location: tuple[int, int], size: tuple[int, int]) -> npt.NDArray[np.bool_]:
    """Which level-0 pixels of the region lie in the total pixel matrix, on a tile that has a frame."""
    (x, y), (w, h) = location, size
    tw, th = slide.spec.tile_size
    ys, xs = np.arange(y, y + h)[:, None], np.arange(x, x + w)[None, :]
    inside = (xs >= 0) & (ys >= 0) & (xs < slide.spec.width) & (ys < slide.spec.height)
    tx, ty = np.clip(xs // tw, 0, slide.present.shape[3] - 1), np.clip(ys // th, 0, slide.present.shape[2] - 1)
    return inside & slide.present[0, 0][ty, tx]


def block_mean(level0: npt.NDArray[Any], mask: npt.NDArray[np.bool_], d: int, fill: int) -> npt.NDArray[Any]:
    """Each d x d block's mean over its covered level-0 pixels, rounded half up; ``fill`` where a block covers
    none (read_region's documented rule for blocks on the matrix's edge or a missing tile)."""
    h, w = mask.shape[0] // d, mask.shape[1] // d
    pixels = level0.reshape(h, d, w, d, -1).astype(np.int64)
    m = mask.reshape(h, d, w, d)
    total = (pixels * m[..., None]).sum(axis=(1, 3))
    count = m.sum(axis=(1, 3))[..., None]
    mean = np.where(count > 0, (2 * total + count) // (2 * np.maximum(count, 1)), fill)
    return mean.astype(level0.dtype).reshape((h, w) + level0.shape[2:])


# ------------------------------------------------------------------------------------- damaged frames

_FRAME_HEADER = {
    JPEG_BASELINE: (0xC0, 0xC1, 0xC2),
    JPEG_2000_LOSSLESS: (0x51,),
    JPEG_2000: (0x51,),
    HTJ2K_LOSSLESS: (0x51,),
    HTJ2K_LOSSLESS_RPCL: (0x51,),
    HTJ2K: (0x51,),
    JPEG_LS_LOSSLESS: (0xF7,),
    JPEG_LS_NEAR_LOSSLESS: (0xF7,),
}


def flip_frame_header(codestream: bytes, syntax: str) -> bytes:
    """The codestream with its frame header (JPEG SOFn, JPEG 2000 / HTJ2K SIZ, JPEG-LS SOF55: marker and
    segment) inverted: no decoder finds the image's size, so every decoder must fail (corrupt entropy-coded
    data, by contrast, many decoders turn into wrong pixels without a word)."""
    data = bytearray(codestream)
    for i in range(len(data) - 3):
        if data[i] == 0xFF and data[i + 1] in _FRAME_HEADER[syntax]:
            end = i + 2 + int.from_bytes(data[i + 2 : i + 4], "big")
            data[i:end] = bytes(b ^ 0xFF for b in data[i:end])
            return bytes(data)
    raise ValueError("no frame header found")


DAMAGE: dict[str, Callable[[bytes, str], bytes]] = {
    "cut-in-half": lambda b, ts: b[: len(b) // 2],
    "cut-to-10-bytes": lambda b, ts: b[:10],
    "header-flipped": flip_frame_header,
}


def frames_of(path: str | os.PathLike[str]) -> list[bytes]:
    ds = pydicom.dcmread(os.fspath(path))
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames") or 1)))


def with_frame(path: str | os.PathLike[str], out: Path, k: int, codestream: bytes) -> Path:
    """A copy of the encapsulated file ``path`` whose frame ``k`` is ``codestream`` (pydicom re-encapsulates,
    with a Basic Offset Table)."""
    ds = pydicom.dcmread(os.fspath(path))
    frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    frames[k] = codestream
    for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if kw in ds:
            delattr(ds, kw)
    ds.PixelData = encapsulate(frames, has_bot=True)
    ds.save_as(out, enforce_file_format=True)
    return out


def other_frame(spec: SlideSpec, what: str) -> tuple[bytes, tuple[str, str]]:
    """A codestream of ``spec``'s syntax that disagrees with its data set in ``what`` ("columns", "rows",
    "samples", "bits"), and the two numbers a message must name (the codestream's, the data set's)."""
    tw, th = spec.tile_size
    rng = np.random.default_rng(7)
    if what == "columns":
        other, pixels, pair = spec, rng.integers(0, 255, (th, tw // 2, spec.samples)), (str(tw // 2), str(tw))
    elif what == "rows":
        other, pixels, pair = spec, rng.integers(0, 255, (th // 2, tw, spec.samples)), (str(th // 2), str(th))
    elif what == "samples":  # a grey codestream in an RGB file
        other, pixels, pair = spec.but(samples=1), rng.integers(0, 255, (th, tw, 1)), ("1", "3")
    elif what == "bits":  # a 16-bit grey codestream in an 8-bit grey file
        other, pixels, pair = spec.but(bits_stored=16), rng.integers(0, 65535, (th, tw, 1)), ("16", "8")
    else:
        raise ValueError(what)
    dtype = np.uint16 if other.bits_stored > 8 else np.uint8
    pixels = pixels.astype(dtype)
    return encode_tile(pixels[..., 0] if other.samples == 1 else pixels, other), pair
