"""OpenSlide as a reader of the synthetic slides, and the JPEG slide the benchmarks compare readers on. See
slides.py's OpenSlide section for what OpenSlide needs of a file (found by trying, as for wsidicom)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from big_slides import many_frames_spec
from dicom_bytes import EXPLICIT, JPEG_2000, JPEG_2000_LOSSLESS, JPEG_BASELINE
from slide_spec import TILED_FULL, Slide, SlideSpec
from slide_writer import write_slide

#: The transfer syntaxes OpenSlide 4.0 (libdicom 1.x) decodes in DICOM: native RGB, JPEG baseline, JPEG 2000.
OPENSLIDE_SYNTAXES = frozenset({EXPLICIT, JPEG_BASELINE, JPEG_2000_LOSSLESS, JPEG_2000})


def openslide_refuses(spec: SlideSpec) -> str | None:
    """Why OpenSlide 4.0.1 would refuse a slide written from ``spec``, or None if it opens it (as found by
    trying: slides.py's OpenSlide section)."""
    from slide_codecs import photometric_interpretation

    if spec.transfer_syntax not in OPENSLIDE_SYNTAXES:
        return f"OpenSlide has no decoder for transfer syntax {spec.transfer_syntax} in DICOM"
    if spec.samples != 3 or spec.bits_stored != 8:
        return "OpenSlide reads 8-bit RGB (3 samples) only"
    if spec.focal_planes != 1:
        return "OpenSlide reads one focal plane only (Total Pixel Matrix Focal Planes 1)"
    pi = photometric_interpretation(spec)
    if spec.transfer_syntax == JPEG_BASELINE and pi not in ("YBR_FULL_422", "RGB"):
        return f"OpenSlide reads JPEG as YBR_FULL_422 or RGB only, not {pi}"
    return None


def openslide_region(path: str | os.PathLike[str], location: tuple[int, int],
                     size: tuple[int, int]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:  # fmt: skip
    """OpenSlide's pixels of the region at ``location`` (x, y, level-0 pixels) of ``size`` (width, height) of
    level 0: (RGB (height, width, 3) uint8, where alpha is 255). ``read_region`` returns premultiplied RGBA:
    pixels outside the image or of a missing tile are transparent (0, 0, 0, 0); compare the RGB where the mask
    is true. Unlike wsidicom, OpenSlide takes regions that reach past the image."""
    import openslide

    with openslide.OpenSlide(os.fspath(path)) as slide:
        rgba = np.asarray(slide.read_region((int(location[0]), int(location[1])), 0, (int(size[0]), int(size[1]))))
    return np.ascontiguousarray(rgba[..., :3]), rgba[..., 3] == 255


def benchmark_jpeg_spec(frames: int = 2000, tile: int = 256, **changes: Any) -> SlideSpec:
    """The JPEG slide the reader benchmarks use: ``frames`` RGB tiles of ``tile`` x ``tile`` (2,000 of 256 x 256
    by default: 50 x 40 tiles, 12,716 x 10,190 pixels, 22 MB), Pillow quality 90, 4:2:0 as scanners write
    (YBR_FULL_422), TILED_FULL with a Basic Offset Table, a mosaic of 64 distinct tiles (many_frames_spec):
    wsidicom and OpenSlide both open it."""
    options: dict[str, Any] = {"transfer_syntax": JPEG_BASELINE, "jpeg_subsampling": "4:2:0", "jpeg_quality": 90,
                               "tiling": TILED_FULL, "offset_table": "basic"}  # fmt: skip
    options.update(changes)
    return many_frames_spec(frames, tile, **options)


def write_benchmark_jpeg_slide(folder: str | os.PathLike[str], frames: int = 2000, tile: int = 256,
                               **changes: Any) -> Slide:  # fmt: skip
    """Write :func:`benchmark_jpeg_spec` as ``folder``/level0.dcm (about 1.5 s for 2,000 frames) and return it.
    ``folder`` should hold this slide only: wsidicom opens a folder, and OpenSlide adds every file of the
    folder with the same Series Instance UID (and fails on one it cannot read)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_slide(folder / "level0.dcm", benchmark_jpeg_spec(frames, tile, **changes))
