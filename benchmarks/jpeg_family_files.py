"""The whole files bench_jpeg_family_files.py decodes against pydicom's own plugins: an Enhanced CT made from
pydicom-data's real CT slices (flipped so that frames differ) and a slide of RGB tiles, in JPEG 2000 Lossless,
HTJ2K Lossless and JPEG-LS Lossless, each written by encoders independent of framecodec (slide_codecs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom

import framecodec as fc
from framecodec._synthetic.dicom_bytes import (
    HTJ2K_LOSSLESS,
    JPEG_2000_LOSSLESS,
    JPEG_LS_LOSSLESS,
    atomic_file,
    write_dataset_part10,
    write_encapsulated_pixel_data,
)
from framecodec._synthetic.slide_codecs import encode as encode_frame
from framecodec._synthetic.slides import TILED_FULL, SlideSpec, many_frames_spec, write_slide
from framecodec._synthetic.volume_headers import ENHANCED_CT, enhanced_ct_header, per_frame_functional_groups

TILE = 256


@dataclass(frozen=True)
class Syntax:
    key: str
    uid: str
    name: str
    plugin: str  # pydicom's plugin the goal names
    library: str  # the library that plugin calls (FRAME_DECODERS)
    target: float
    imagecodecs: str  # FRAME_DECODERS' imagecodecs entry


SYNTAXES = {
    s.key: s
    for s in (
        Syntax(
            "j2k",
            JPEG_2000_LOSSLESS,
            "JPEG 2000 Lossless",
            "pylibjpeg",
            "pylibjpeg-openjpeg",
            1.5,
            "imagecodecs jpeg2k_decode (OpenJPEG)",
        ),
        Syntax(
            "htj2k",
            HTJ2K_LOSSLESS,
            "HTJ2K Lossless",
            "pylibjpeg",
            "pylibjpeg-openjpeg",
            3.0,
            "imagecodecs htj2k_decode (OpenJPH)",
        ),
        Syntax(
            "jpegls",
            JPEG_LS_LOSSLESS,
            "JPEG-LS Lossless",
            "pyjpegls",
            "pyjpegls",
            1.5,
            "imagecodecs jpegls_decode (CharLS)",
        ),
    )
}
KINDS = {"ct": (40, 3), "tiles": (120, 6)}  # frames in a measuring run, under --benchmark-disable
CT_SOURCES = ("693_UNCR.dcm", "eCT_Supplemental.dcm", "explicit_VR-UN.dcm", "J2K_pixelrep_mismatch.dcm")


@dataclass
class WholeFile:
    syntax: Syntax
    kind: str
    path: Path
    pixels: npt.NDArray[Any]  # what every decoder must give back
    fragments: list[bytes]
    description: str

    @property
    def nbytes(self) -> int:
        return int(self.pixels.nbytes)

    @property
    def ratio(self) -> float:
        return self.nbytes / sum(len(f) for f in self.fragments)

    @property
    def label(self) -> str:
        return f"{self.description}, {self.syntax.name}, {self.ratio:.2f}:1"


def real_ct_slices() -> tuple[list[npt.NDArray[np.uint16]], list[str]]:
    """pydicom-data's 512 x 512 CT slices as unsigned 16-bit stored values (HU + 1024, clipped at 0), and their
    names: pydicom decodes them (JPEG 2000 sources through its "pylibjpeg" plugin). Nothing is downloaded: the
    slices pydicom-data does not have here are left out."""
    from pydicom.data import get_testdata_file

    slices, names = [], []
    for name in CT_SOURCES:
        path = get_testdata_file(name, download=False)
        if path is None:
            continue
        ds = pydicom.dcmread(path)
        compressed = ds.file_meta.TransferSyntaxUID.is_compressed
        plugin: dict[str, Any] = {"decoding_plugin": "pylibjpeg"} if compressed else {}
        frames = pydicom.pixels.pixel_array(ds, **plugin)
        frames = frames if frames.ndim == 3 else frames[None]
        if "RescaleIntercept" in ds:
            slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        else:  # Enhanced CT: the Shared Functional Groups' Pixel Value Transformation
            t = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
            slope, intercept = float(t.RescaleSlope), float(t.RescaleIntercept)
        for f in frames:
            hu = f.astype(np.float64) * slope + intercept
            slices.append(np.clip(np.rint(hu + 1024), 0, 65535).astype(np.uint16))
        names.append(name)
    return slices, names


def write_ct(path: Path, syntax: Syntax, n: int) -> WholeFile:
    """An Enhanced CT of ``n`` frames from the real slices (each also flipped left-right, up-down and both)."""
    from framecodec._synthetic.frames import ct_frame

    slices, names = real_ct_slices()
    if not slices:  # pydicom-data is not installed: the benchmarks' synthetic CT, as unsigned values
        slices, names = [(ct_frame(i).astype(np.int32) + 1024).clip(0).astype(np.uint16) for i in range(4)], []
    flips = [lambda a: a, np.fliplr, np.flipud, lambda a: a[::-1, ::-1]]
    distinct = [np.ascontiguousarray(flip(s)) for flip in flips for s in slices]
    spec = SlideSpec(transfer_syntax=syntax.uid, samples=1, bits_stored=16)
    encoded = [encode_frame(p, spec) for p in distinct[:n]]
    order = [i % len(distinct) for i in range(n)]
    ds = enhanced_ct_header(512, n, syntax.uid, instance=path.name)
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 0
    ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0].RescaleIntercept = -1024
    with atomic_file(path) as f:
        write_dataset_part10(f, ds)
        f.write(per_frame_functional_groups(ENHANCED_CT, 512, n))
        write_encapsulated_pixel_data(f, (encoded[i] for i in order), n, "basic")
    source = f"{len(slices)} real slices of pydicom-data" if names else "synthetic: pydicom-data is not installed"
    return WholeFile(
        syntax,
        "ct",
        path,
        np.stack([distinct[i] for i in order]),
        [encoded[i] for i in order],
        f"{n} 512x512 uint16 CT frames ({source})",
    )


def write_tiles(path: Path, syntax: Syntax, n: int) -> WholeFile:
    """A TILED_FULL slide of ``n`` RGB tiles: the generator's mosaic at its defaults (60% tissue)."""
    s = write_slide(path, many_frames_spec(n, TILE, transfer_syntax=syntax.uid, tiling=TILED_FULL))
    with fc.FrameReader(path) as r:
        fragments = [bytes(r.raw(i)) for i in range(n)]
    colour = {"j2k": ", YBR_RCT", "htj2k": ", YBR_RCT", "jpegls": ", RGB"}[syntax.key]
    return WholeFile(
        syntax,
        "tiles",
        path,
        np.stack([s.frame(i) for i in range(n)]),
        fragments,
        f"{n} 256x256 RGB tiles{colour} (synthetic tissue, 60%)",
    )
