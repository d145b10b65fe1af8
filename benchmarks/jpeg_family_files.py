"""The whole files bench_jpeg_family_files.py decodes against pydicom's own plugins: an Enhanced CT made from
pydicom-data's real CT slices (real_data.ct_bank: flipped and shifted so that frames differ) and a slide of RGB
tiles whose tissue is crops of real images (real_data.rgb_tiles), in JPEG 2000 Lossless, HTJ2K Lossless and
JPEG-LS Lossless, each written by encoders independent of framecodec (slide_codecs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

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
from real_data import ct_bank, frame_index, rgb_tiles

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


def write_ct(path: Path, syntax: Syntax, n: int) -> WholeFile:
    """An Enhanced CT of ``n`` frames from pydicom-data's real slices (real_data.ct_bank: each flipped and
    shifted), stored unsigned: HU + 1024, 0-4095, in Bits Stored 16."""
    hu, source = ct_bank(512)
    index = frame_index(n, len(hu))
    distinct = {int(i): (hu[i].astype(np.int32) + 1024).clip(0).astype(np.uint16) for i in np.unique(index)}
    spec = SlideSpec(transfer_syntax=syntax.uid, samples=1, bits_stored=16)
    encoded = {i: encode_frame(p, spec) for i, p in distinct.items()}
    ds = enhanced_ct_header(512, n, syntax.uid, instance=path.name)
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 0
    ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0].RescaleIntercept = -1024
    with atomic_file(path) as f:
        write_dataset_part10(f, ds)
        f.write(per_frame_functional_groups(ENHANCED_CT, 512, n))
        write_encapsulated_pixel_data(f, (encoded[int(i)] for i in index), n, "basic")
    return WholeFile(
        syntax,
        "ct",
        path,
        np.stack([distinct[int(i)] for i in index]),
        [encoded[int(i)] for i in index],
        f"{n} 512x512 uint16 CT frames ({len(distinct)} distinct; {source.split(' (')[0]})",
    )


def write_tiles(path: Path, syntax: Syntax, n: int) -> WholeFile:
    """A TILED_FULL slide of ``n`` RGB tiles: the generator's mosaic at its defaults (60% tissue, background with
    sensor noise), the tissue crops of real images (real_data.rgb_tiles)."""
    spec = many_frames_spec(n, TILE, transfer_syntax=syntax.uid, tiling=TILED_FULL, tissue_tiles=rgb_tiles)
    s = write_slide(path, spec)
    with fc.FrameReader(path) as r:
        fragments = [bytes(r.raw(i)) for i in range(n)]
    colour = {"j2k": ", YBR_RCT", "htj2k": ", YBR_RCT", "jpegls": ", RGB"}[syntax.key]
    return WholeFile(
        syntax,
        "tiles",
        path,
        np.stack([s.frame(i) for i in range(n)]),
        fragments,
        f"{n} 256x256 RGB tiles{colour} (60% tissue from real images)",
    )
