"""Synthetic VL Whole Slide Microscopy Image files (SOP Class 1.2.840.10008.5.1.4.1.1.77.1.6), shared by the
tests, the benchmarks and ``framecodec demo --files``. Nothing is downloaded, and nothing here uses framecodec:
the files are an independent reference for what framecodec reads.

    slide = write_slide(folder / "slide.dcm", SlideSpec(width=1000, height=700, tiling="TILED_SPARSE",
                                                         shuffle=True, missing=0.2, focal_planes=2))
    slide.total[f, p]           # the total pixel matrix of focal plane f, optical path p (missing tiles filled)
    slide.region((x, y), (w, h), focal_plane=f, optical_path=p)   # a crop of it
    slide.positions[i]          # frame i's (x, y): 0-based top-left in the total pixel matrix
    slide.frame(i)              # the Rows x Columns pixels that frame i holds (edge tiles: padding included)

What is written (every attribute wsidicom reads to open a slide, and the other Type 1 and 2 attributes of the
VL Whole Slide Microscopy Image IOD's modules as read from PS3.3 by hand, not checked with a validator):

- a synthetic H&E-like total image (``frames.microscopy_tile`` made at the size of the whole tiled area, so
  that regions are continuous across tiles) of ``width`` x ``height`` (Total Pixel Matrix Columns/Rows), cut
  in tiles of ``tile`` (Columns, Rows). Edge tiles are partial: the pixels of a frame beyond the total pixel
  matrix continue the synthetic image (PS3.3 leaves them undefined; a reader must crop them away). Each focal
  plane and optical path is its own image (the base image shifted), so a reader that mixes planes fails;
  RGB (8-bit, 3 samples) or MONOCHROME2 (8-bit, its green channel);
- TILED_FULL: the frames in the order of PS3.3 C.7.6.17.3 (along a row, then rows, then focal planes, then
  optical paths), no Per-Frame Functional Groups; or TILED_SPARSE: one Per-Frame Functional Groups item per
  frame with a Plane Position (Slide) (Column/Row Position In Total Image Pixel Matrix, 1-based; X/Y/Z
  Offset In Slide Coordinate System) and, for several optical paths, an Optical Path Identification; the
  frames optionally shuffled and some tiles missing;
- the Pixel Data in Explicit VR Little Endian (native), Deflated Image Frame Compression (``zlib``), RLE
  Lossless (pylibjpeg-rle's encoder), Encapsulated Uncompressed, or the JPEG family (slide_codecs.py): JPEG
  Baseline (Pillow; ``jpeg_subsampling`` "4:2:2" (the default) and "4:2:0", both YBR_FULL_422 as scanners
  label them, or "4:4:4", YBR_FULL; grey MONOCHROME2), JPEG 2000 lossless (.90, pylibjpeg-openjpeg; ``mct``:
  YBR_RCT, else RGB) and lossy (.91, YBR_ICT), HTJ2K lossless (.201, .202 with RPCL and TLM) and lossy (.203,
  YBR_ICT) (imagecodecs/OpenJPH), JPEG-LS lossless (.80) and near-lossless (.81) (pyjpegls); MONOCHROME2 of
  ``bits_stored`` 12 or 16 (Bits Allocated 16) in the lossless J2K, HTJ2K and JPEG-LS syntaxes (wsidicom opens
  16-bit grey slides and reads regions as 16-bit; OpenSlide does not: 8-bit RGB only). The lossy ones (JPEG,
  .91, .203, .81: ``Slide.lossy``) carry Lossy Image Compression 01 with the measured Ratio and the Method
  (PS3.3 C.7.6.1.1.5), and their reference pixels are the frames as the reference decoder gives them back
  (Pillow, pylibjpeg-openjpeg, pyjpegls): ``Slide.expected_frame``, ``expected_region``, ``expected_total``.
  Encapsulated frames one fragment each with a Basic Offset Table, an empty one, or an empty one and the
  Extended Offset Table.

Files are written to a temporary name in the same folder and renamed when complete. Pixel Data and the
Per-Frame Functional Groups Sequence are streamed to the file after pydicom has written the rest of the data
set, so a slide of 100,000 frames needs memory for its distinct tiles only (``SlideSpec.mosaic``: each tile
is one of a few distinct tiles, chosen by a hash of its position; ``SlideSpec.tissue_tiles`` lets the caller give
the mosaic's tissue tiles, as the benchmarks give crops of real images). :func:`write_big_eot_slide` writes a
slide whose Pixel Data passes 4 GiB, addressed through the Extended Offset Table, as a sparse file.

The parts, each re-exported here (import everything from ``slides``): slide_spec.py (SlideSpec, Slide and the
geometry constants), slide_pixels.py (the synthetic image, the frame layout, the independent encoders),
slide_header.py (the data set and the Per-Frame Functional Groups), slide_writer.py (write_slide),
big_slides.py (many_frames_spec, write_big_eot_slide), slide_codecs.py (the JPEG family's encoders, reference
decoders and Photometric Interpretations) and dicom_bytes.py (the byte-level writing shared with files.py).
What wsidicom and OpenSlide need of a file to open it, and their regions as references, are in the tests
(tests/slide_readers.py); ``python -m benchmarks.make_slide`` writes a slide of many frames from the command line.
"""

from __future__ import annotations

from .big_slides import free_bytes, many_frames_spec, sparse_files_supported, write_big_eot_slide
from .dicom_bytes import (
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
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
    UID_ROOT,
)
from .slide_codecs import DEEP, JPEG_FAMILY, LOSSY, LOSSY_METHOD, photometric_interpretation
from .slide_header import header, per_frame_functional_groups, slide_offset
from .slide_pixels import encode_tile
from .slide_spec import (
    FOCAL_PLANE_SPACING_MM,
    ORIENTATION,
    ORIGIN_MM,
    PIXEL_SPACING_MM,
    TILED_FULL,
    TILED_SPARSE,
    WSI_SOP_CLASS,
    Slide,
    SlideSpec,
    blank,
    optical_path_ids,
)
from .slide_writer import _pixel_data_items, write_slide

__all__ = [
    "DEEP",
    "DEFLATE",
    "ENCAPSULATED_UNCOMPRESSED",
    "EXPLICIT",
    "FOCAL_PLANE_SPACING_MM",
    "HTJ2K",
    "HTJ2K_LOSSLESS",
    "HTJ2K_LOSSLESS_RPCL",
    "JPEG_2000",
    "JPEG_2000_LOSSLESS",
    "JPEG_BASELINE",
    "JPEG_EXTENDED",
    "JPEG_FAMILY",
    "JPEG_LS_LOSSLESS",
    "JPEG_LS_NEAR_LOSSLESS",
    "LOSSY",
    "LOSSY_METHOD",
    "ORIENTATION",
    "ORIGIN_MM",
    "PIXEL_SPACING_MM",
    "RLE",
    "SYNTAX_NAMES",
    "TILED_FULL",
    "TILED_SPARSE",
    "UID_ROOT",
    "WSI_SOP_CLASS",
    "Slide",
    "SlideSpec",
    "_pixel_data_items",
    "blank",
    "encode_tile",
    "free_bytes",
    "header",
    "many_frames_spec",
    "optical_path_ids",
    "per_frame_functional_groups",
    "photometric_interpretation",
    "slide_offset",
    "sparse_files_supported",
    "write_big_eot_slide",
    "write_slide",
]
