"""Whole multi-frame files of real-image frames (real_data.py) in every transfer syntax framecodec's engine decodes,
for bench_pipeline.py (its data sets and its threads sweep of every syntax).

Headers are framecodec._synthetic's: a tiled VL Whole Slide Microscopy Image (TILED_FULL) for RGB tiles, a binary
Segmentation for 1-bit masks, an Enhanced CT for CT slices, and the same made an Enhanced MR for MR slices, each
with its Per-Frame Functional Groups. A file of ``n`` frames holds its kind's bank of distinct frames in
real_data's fixed order (``frame_index``), each distinct frame encoded once:

- RLE Lossless and Deflated Image Frame Compression: framecodec's kernels (``codecs.rle_encode``; ``codecs.deflate``
  at level 6, 1-bit frames bit-packed first), as files.py writes them, so that bench_pipeline's compress benchmark
  can compare its output with the file's bytes;
- JPEG Baseline (RGB tiles, Pillow, quality 90, 4:2:2: YBR_FULL_422), JPEG 2000 Lossless (OpenJPEG), HTJ2K
  Lossless (OpenJPH through imagecodecs) and JPEG-LS Lossless (CharLS through pyjpegls): slide_codecs.encode, the
  encoders of the slide and JPEG-family benchmarks, independent of framecodec. CT slices go to the JPEG family as
  bench_jpeg_family_files.py writes them: unsigned, HU + 1024, Bits Stored 16 (a Rescale Intercept of -1024);
- Explicit VR Little Endian (native): the frames' bytes (not 1-bit: the 1-bit rows are bench_bitpack's).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import framecodec as fc
from framecodec._synthetic.dicom_bytes import (
    DEFLATE,
    EXPLICIT,
    HTJ2K_LOSSLESS,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_LS_LOSSLESS,
    RLE,
    atomic_file,
    write_dataset_part10,
    write_encapsulated_pixel_data,
    write_native_pixel_data,
)
from framecodec._synthetic.slide_codecs import encode as jpeg_family_encode
from framecodec._synthetic.slide_header import header as slide_header
from framecodec._synthetic.slide_spec import TILED_FULL, SlideSpec
from framecodec._synthetic.volume_headers import (
    ENHANCED_CT,
    SEGMENTATION,
    enhanced_ct_header,
    per_frame_functional_groups,
    segmentation_header,
)
from real_data import KINDS as BANKS
from real_data import frame_index

ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR Image Storage


@dataclass(frozen=True)
class Kind:
    key: str
    real: str  # real_data's kind
    size: int  # Rows = Columns
    samples: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    what: str  # "{n:,} {what}" describes a file

    def dtype(self, syntax: str) -> np.dtype[Any]:
        if self.bits_allocated == 16:
            return np.dtype("<u2" if syntax in JPEG_FAMILY or not self.signed else "<i2")
        return np.dtype("u1")


KINDS = {
    k.key: k
    for k in (
        Kind("tiles", "rgb", 240, 3, 8, 8, False, "240x240 RGB tiles"),
        Kind("seg", "mask", 512, 1, 1, 1, False, "512x512 1-bit masks"),
        Kind("ct", "ct", 512, 1, 16, 12, True, "512x512 int16 CT frames"),
        Kind("mr", "mr", 512, 1, 16, 12, False, "512x512 uint16 MR frames"),
    )
}
#: The transfer syntaxes by short name (the benchmarks' labels).
SYNTAXES = {
    "RLE": RLE,
    "deflate": DEFLATE,
    "native": EXPLICIT,
    "JPEG Baseline": JPEG_BASELINE,
    "JPEG 2000 Lossless": JPEG_2000_LOSSLESS,
    "HTJ2K Lossless": HTJ2K_LOSSLESS,
    "JPEG-LS Lossless": JPEG_LS_LOSSLESS,
}
JPEG_FAMILY = (JPEG_BASELINE, JPEG_2000_LOSSLESS, HTJ2K_LOSSLESS, JPEG_LS_LOSSLESS)


@dataclass(frozen=True)
class RealFile:
    path: Path
    kind: Kind
    syntax: str  # a key of SYNTAXES
    pixels: npt.NDArray[Any]  # what decoding the file must give (JPEG Baseline: Pillow's decoding)
    fragments: list[bytes]  # the frames as stored (native: empty)

    @property
    def n(self) -> int:
        return len(self.pixels)

    @property
    def nbytes(self) -> int:
        return int(self.pixels.nbytes)

    @property
    def ratio(self) -> float:
        """Native bytes (1-bit: packed, PS3.5 8.1.1) over stored bytes (native: 1)."""
        native = -(-self.pixels.size // 8) if self.kind.bits_allocated == 1 else self.nbytes
        return native / sum(len(f) for f in self.fragments) if self.fragments else 1.0

    @property
    def label(self) -> str:
        """What the file is, with its compression ratio: "1,000 240x240 RGB tiles (real images), RLE, 1.6:1"."""
        what = self.kind.what.replace(" int16", " uint16") if self.pixels.dtype == np.uint16 else self.kind.what
        return f"{self.n:,} {what} (real images), {self.syntax}, {self.ratio:.1f}:1"


def _spec(kind: Kind, syntax: str, n: int) -> SlideSpec:
    across, down = _grid(n)
    deep = kind.bits_allocated == 16
    return SlideSpec(
        width=across * kind.size,
        height=down * kind.size,
        tile=kind.size,
        tiling=TILED_FULL,
        transfer_syntax=syntax,
        samples=kind.samples,
        bits_stored=16 if deep and syntax in JPEG_FAMILY else kind.bits_stored if deep else 8,
    )


def _grid(frames: int) -> tuple[int, int]:
    """(across, down) with across x down = frames, as square as the divisors allow."""
    down = max(d for d in range(1, int(frames**0.5) + 1) if frames % d == 0)
    return frames // down, down


def _encode(kind: Kind, frame: npt.NDArray[Any], syntax: str, spec: SlideSpec) -> bytes:
    if syntax == RLE:
        return bytes(fc.codecs.rle_encode(frame, kind.size, kind.size, kind.samples, kind.bits_allocated))
    if syntax == DEFLATE:
        packed = fc.codecs.pack_bits(frame) if kind.bits_allocated == 1 else np.ascontiguousarray(frame).tobytes()
        return bytes(fc.codecs.deflate(packed, 6))
    return jpeg_family_encode(frame, spec)


def _header(kind: Kind, n: int, syntax: str, spec: SlideSpec, instance: str) -> Any:
    if kind.key == "tiles":
        return slide_header(spec, n, instance=instance)
    if kind.key == "seg":
        return segmentation_header(kind.size, n, syntax, instance)
    ds = enhanced_ct_header(kind.size, n, syntax, instance)
    if syntax in JPEG_FAMILY:  # unsigned, HU + 1024 (bench_jpeg_family_files.py's CT)
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 0
        ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0].RescaleIntercept = -1024
    if kind.key == "mr":
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = ENHANCED_MR
        ds.Modality, ds.SeriesDescription, ds.PixelRepresentation = "MR", "Real MR", 0
        shared = ds.SharedFunctionalGroupsSequence[0]
        del shared.PixelValueTransformationSequence, shared.CTImageFrameTypeSequence
    return ds


def _pixels(kind: Kind, syntax: str, k: int | None) -> npt.NDArray[Any]:
    """real_data's bank of distinct frames (``k`` of them; default its own), in what the file stores."""
    make = BANKS[kind.real][0]
    bank = np.asarray((make(kind.size) if k is None else make(kind.size, k))[0])  # type: ignore[operator]
    if kind.key == "ct" and syntax in JPEG_FAMILY:
        return (bank.astype(np.int32) + 1024).astype(np.uint16)
    return np.asarray(bank, kind.dtype(syntax))


def write(folder: Path, key: str, n: int, syntax: str, k: int | None = None) -> RealFile:
    """A file of ``n`` frames of kind ``key`` (:data:`KINDS`) in ``syntax`` (a key of :data:`SYNTAXES`) in
    ``folder``; ``k``: the distinct frames (default: real_data's bank), fewer for the slow encoders."""
    kind, uid = KINDS[key], SYNTAXES[syntax]
    if uid == EXPLICIT and kind.bits_allocated == 1:
        raise ValueError("native 1-bit files are bench_bitpack's")
    if uid == JPEG_BASELINE and kind.samples != 3:
        raise ValueError("JPEG Baseline files here are RGB tiles")
    path = folder / f"{key}-{syntax.replace(' ', '_')}-{n}.dcm"
    spec = _spec(kind, uid, n)
    bank = _pixels(kind, uid, k)
    index = frame_index(n, len(bank))
    encoded = {} if uid == EXPLICIT else {int(j): _encode(kind, bank[j], uid, spec) for j in np.unique(index)}
    fragments = [encoded[int(j)] for j in index] if encoded else []
    ds = _header(kind, n, uid, spec, path.name)
    with atomic_file(path) as f:
        write_dataset_part10(f, ds)
        if kind.key != "tiles":
            f.write(per_frame_functional_groups(SEGMENTATION if key == "seg" else ENHANCED_CT, kind.size, n))
        if uid == EXPLICIT:
            chunks = (np.ascontiguousarray(bank[j]).tobytes() for j in index)
            write_native_pixel_data(f, chunks, n * bank[0].nbytes, b"OW" if kind.bits_allocated > 8 else b"OB")
        else:
            write_encapsulated_pixel_data(f, iter(fragments), n, "basic")
    if uid == JPEG_BASELINE:  # lossy: the reference is Pillow's decoding (libjpeg-turbo, as framecodec's)
        bank = np.stack([_pillow(encoded[j]) if j in encoded else bank[j] for j in range(len(bank))])
    return RealFile(path, kind, syntax, bank[index], fragments)


def _pillow(codestream: bytes) -> npt.NDArray[np.uint8]:
    from PIL import Image

    with Image.open(io.BytesIO(codestream)) as im:
        return np.asarray(im.convert("RGB"))
