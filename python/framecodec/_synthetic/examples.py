"""The example files of ``framecodec demo --files DIR`` (the README's examples read them): a whole-slide image, a
1-bit Segmentation and a 16-bit CT, written by the synthetic generators, each through a temporary name renamed
into place when complete."""

from __future__ import annotations

import os
from pathlib import Path

from .dicom_bytes import DEFLATE, RLE
from .files import write_frames_file
from .slides import many_frames_spec, write_slide

#: What is written, by file name.
EXAMPLES = {
    "slide.dcm": "VL Whole Slide Microscopy, TILED_FULL, 300 RGB tiles of 256 x 256 (20 x 15, 5,036 x 3,790 pixels), "
    "Deflated Image Frame Compression, Extended Offset Table",
    "seg.dcm": "binary Segmentation, 100 frames of 512 x 512, 1 bit, Deflated Image Frame Compression",
    "ct.dcm": "Enhanced CT, 50 frames of 512 x 512, 16 bits (12 stored, signed), RLE Lossless",
}


def write_examples(folder: str | os.PathLike[str]) -> list[Path]:
    """Write :data:`EXAMPLES` into ``folder`` (made if missing) and return their paths. A file of the same name is
    replaced, once the new one is whole. ``NotADirectoryError`` if ``folder`` is a file."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    # A mosaic of 64 distinct tiles (60% tissue cut from one H&E-like image, the rest near-white glass): a whole
    # 5,036 x 3,790 image would take ~1 GB to make. The frames are deflated by zlib (the writer is independent of
    # framecodec), each one fragment, addressed by the Extended Offset Table (PS3.5 A.4, PS3.3 C.7.6.3.1.8).
    slide = write_slide(folder / "slide.dcm", many_frames_spec(300, 256, transfer_syntax=DEFLATE))
    seg = write_frames_file(folder / "seg.dcm", "seg", 100, DEFLATE)
    ct = write_frames_file(folder / "ct.dcm", "ct", 50, RLE)
    return [slide.path, seg.path, ct.path]
