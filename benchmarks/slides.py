"""Synthetic VL Whole Slide Microscopy Image files (SOP Class 1.2.840.10008.5.1.4.1.1.77.1.6), shared by the
tests and the benchmarks. Nothing is downloaded, and nothing here uses framecodec: the files are an independent
reference for what framecodec reads.

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
is one of a few distinct tiles, chosen by a hash of its position). :func:`write_big_eot_slide` writes a
slide whose Pixel Data passes 4 GiB, addressed through the Extended Offset Table, as a sparse file.

The parts, each re-exported here (import everything from ``slides``): slide_spec.py (SlideSpec, Slide and the
geometry constants), slide_pixels.py (the synthetic image, the frame layout, the independent encoders),
slide_header.py (the data set and the Per-Frame Functional Groups), slide_writer.py (write_slide),
big_slides.py (many_frames_spec, write_big_eot_slide), slide_codecs.py (the JPEG family's encoders, reference
decoders and Photometric Interpretations), slide_openslide.py (OpenSlide's regions, the benchmarks' JPEG slide:
``write_benchmark_jpeg_slide``) and dicom_bytes.py (the byte-level writing shared with files.py); this module
keeps the wsidicom helper and the command line.

wsidicom
--------
What wsidicom (0.36) needs of a file to open it as a slide, found by leaving each attribute out of a generated
file:

- File Meta Media Storage SOP Class UID and SOP Class UID: VL Whole Slide Microscopy Image Storage; files of
  other classes in the folder are ignored, not refused.
- Image Type with VOLUME as its third value (ORIGINAL\\PRIMARY\\VOLUME\\NONE): the levels; LABEL, OVERVIEW and
  THUMBNAIL make other images.
- SOP Instance, Study Instance and Series Instance UIDs; Rows, Columns, Total Pixel Matrix Columns and Rows,
  Samples per Pixel, Photometric Interpretation (MONOCHROME2, RGB or a YBR), Bits Stored (8 for colour),
  Pixel Representation 0 and Planar Configuration 0. Without any of them, or in a transfer syntax it has no
  decoder for, wsidicom skips the file (a log line at INFO) and then finds no level: ``WsiDicomNotFoundError:
  Level files``. It decodes Explicit VR Little Endian, RLE Lossless (pylibjpeg-rle or imagecodecs), the JPEG
  family (imagecodecs, Pillow) and JPEG 2000; not Deflated Image Frame Compression nor Encapsulated
  Uncompressed (its pydicom fallback uses pydicom's old pixel data handlers, which have neither, and it does
  not see framecodec's plugins): those slides are compared with pydicom and the numpy reference only.
- Shared Functional Groups Sequence > Pixel Measures Sequence > Pixel Spacing (else ``WsiDicomNoResolution
  Error``), Imaged Volume Width and Height (else ``RuntimeError: generator raised StopIteration``).
- Dimension Organization Type TILED_FULL for a TILED_FULL file (else "Undetermined tile type", unless there is
  one frame per focal plane and optical path); Number of Frames, Total Pixel Matrix Focal Planes and Number of
  Optical Paths must then multiply out to the frames (``WsiDicomError`` otherwise), and several focal planes
  need Spacing Between Slices in the Pixel Measures (``ValueError``). TILED_SPARSE (or no Dimension Organization Type): each frame's Plane Position
  (Slide) Column/Row Position and Z Offset, an Optical Path Identification per frame when there are several
  paths (all frames or none); the Optical Path Sequence, each item with an Optical Path Identifier, when
  frames name several paths.
- Not needed: Frame of Reference UID, the Dimension Organization and Index Sequences and Frame Content,
  Container and Specimen attributes, Total Pixel Matrix Origin, Image Orientation (Slide) (if given, wsidicom
  warns unless the column direction is the row direction turned 90 degrees, as 0\\-1\\0\\-1\\0\\0 is).
- The JPEG family: wsidicom (imagecodecs, Pillow, pylibjpeg) opens and decodes every syntax slide_codecs.py
  writes but HTJ2K RPCL (.202: "Level files not found", no decoder), 12- and 16-bit grey included (regions
  come back uint16); its JPEG pixels are identical to Pillow's (libjpeg-turbo both), its JPEG 2000, HTJ2K and
  JPEG-LS pixels to the reference decodes.

OpenSlide
---------
What OpenSlide 4.0.1 (openslide-python 1.4 with openslide-bin 4.0.1.2, libdicom inside) needs, found by trying
(leaving each attribute of a JPEG slide out, then changing values; the current OpenSlide source is stricter in
places, e.g. on Image Type):

- The File Meta Information Group Length (0002,0000): without it libdicom stops at "reading of group failed -
  bad group length element" and OpenSlide says "Unsupported or missing image file". pydicom's ``dcmwrite``
  leaves it out unless ``enforce_file_format``, so the slides are written by ``dicom_bytes.write_dataset_part10``.
  Media Storage SOP Class UID VL Whole Slide Microscopy Image Storage.
- Image Type (else "Couldn't get image flavor") with VOLUME as its third value, SOP Instance UID, Series
  Instance UID (a slide is the files of the folder with the same series: OpenSlide opens one file and adds the
  folder's others), Rows, Columns, Samples per Pixel 3, Photometric Interpretation, Planar Configuration 0,
  Bits Allocated 8, Bits Stored 8, High Bit 7, Pixel Representation 0, Total Pixel Matrix Columns and Rows,
  Number of Frames (without it the Basic Offset Table is "too large"). So 8-bit RGB only: no MONOCHROME2 ("Couldn't
  read PlanarConfiguration"), no 12/16-bit; Total Pixel Matrix Focal Planes 1 (else refused).
- Transfer syntaxes: Explicit VR Little Endian, JPEG Baseline with YBR_FULL_422 (4:2:2 and 4:2:0) or RGB (4:4:4
  labelled YBR_FULL is refused), JPEG 2000 .90/.91 (YBR_RCT, YBR_ICT and RGB all open); not RLE, HTJ2K or JPEG-LS.
- Not needed: the Shared Functional Groups (Pixel Spacing is only a property), the ICC profile, the Dimension
  Organization Type (TILED_SPARSE files open too, missing tiles transparent), the offset table's kind (basic,
  empty, extended all open), the patient, study, specimen and optical path attributes (with two optical paths it
  reads the first).
- ``read_region(location, level, size)``: location in level-0 pixels, size in the level's pixels, premultiplied
  RGBA: outside the image and missing tiles (0, 0, 0, 0). Its JPEG and JPEG 2000 pixels are identical to Pillow's
  and pylibjpeg-openjpeg's (libjpeg-turbo and OpenJPEG all). :func:`openslide_region` reads one.

:func:`wsidicom_region` reads a region with wsidicom, the reference for ``FrameReader.read_region``.
wsidicom's conventions (read from its source, checked by tests/test_slides.py):

- ``WsiDicom.read_region(location, level, size, z=None, path=None, as_array=True)``: ``location`` is (x, y),
  0-based, from the top-left of the total pixel matrix, x along a row (columns), y down (rows); ``size`` is
  (width, height); the array is (height, width, 3) for RGB (YBR frames come back as RGB) and (height, width)
  for MONOCHROME2, uint8. ``level`` is the pyramid level as a power of two of downsampling: 0 is the base
  level, the only one here.
- The region must lie inside the total pixel matrix: anything else raises ``WsiDicomOutOfBoundsError``
  (wsidicom does not pad). Pixels of edge tiles beyond the matrix are cropped away.
- ``z`` is a focal plane's Z offset in micrometres (not an index): TILED_FULL planes are the Total Pixel
  Matrix Origin's Z Offset (default 0) plus ``index x Spacing Between Slices`` (mm, x 1000); TILED_SPARSE
  planes are the frames' Z Offset In Slide Coordinate System, rounded to 3 decimals. ``level.focal_planes``
  lists them sorted. Without ``z`` wsidicom picks the plane nearest to *half the range* of the z values (not
  their middle: ``default_z`` forgets to add the smallest), so always pass it.
- ``path`` is an Optical Path Identifier (a string); without it, the first of the Optical Path Sequence.
  ``level.optical_paths`` is built from a set: its order changes from run to run (string hashing), so an
  index into it is not an optical path number; :func:`wsidicom_region` counts in the Optical Path Sequence's
  order instead (the instance datasets' ``optical_path_identifiers``).
- TILED_SPARSE: a frame's tile is ``((Column Position - 1) // Columns, (Row Position - 1) // Rows)``: wsidicom
  snaps frames to the tile grid (the generator only places frames on it). Tiles no frame covers come back
  blank: white (255, 255, 255) unless the Photometric Interpretation is MONOCHROME2, then 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# The parts, re-exported: callers (tests, benchmarks) import everything from here.
from big_slides import free_bytes, many_frames_spec, sparse_files_supported, write_big_eot_slide
from dicom_bytes import (
    DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, HTJ2K, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, JPEG_2000,
    JPEG_2000_LOSSLESS, JPEG_BASELINE, JPEG_EXTENDED, JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS, RLE, SYNTAX_NAMES,
    UID_ROOT,
)  # fmt: skip
from slide_codecs import DEEP, JPEG_FAMILY, LOSSY, LOSSY_METHOD, photometric_interpretation
from slide_header import header, per_frame_functional_groups, slide_offset
from slide_openslide import (
    OPENSLIDE_SYNTAXES, benchmark_jpeg_spec, openslide_refuses, openslide_region, write_benchmark_jpeg_slide,
)  # fmt: skip
from slide_pixels import encode_tile
from slide_spec import (
    FOCAL_PLANE_SPACING_MM, ORIENTATION, ORIGIN_MM, PIXEL_SPACING_MM, TILED_FULL, TILED_SPARSE, WSI_SOP_CLASS,
    Slide, SlideSpec, blank, optical_path_ids,
)  # fmt: skip
from slide_writer import _pixel_data_items, write_slide

__all__ = [
    "DEEP", "HTJ2K", "HTJ2K_LOSSLESS", "HTJ2K_LOSSLESS_RPCL", "JPEG_2000", "JPEG_2000_LOSSLESS", "JPEG_EXTENDED",
    "JPEG_FAMILY", "JPEG_LS_LOSSLESS", "JPEG_LS_NEAR_LOSSLESS", "LOSSY", "LOSSY_METHOD", "photometric_interpretation",
    "OPENSLIDE_SYNTAXES", "benchmark_jpeg_spec", "openslide_refuses", "openslide_region", "write_benchmark_jpeg_slide",
    "DEFLATE", "ENCAPSULATED_UNCOMPRESSED", "EXPLICIT", "FOCAL_PLANE_SPACING_MM", "JPEG_BASELINE", "ORIENTATION",
    "ORIGIN_MM", "PIXEL_SPACING_MM", "RLE", "SYNTAX_NAMES", "TILED_FULL", "TILED_SPARSE", "UID_ROOT", "WSI_SOP_CLASS",
    "Slide", "SlideSpec", "_pixel_data_items", "blank", "encode_tile", "free_bytes", "header", "main",
    "many_frames_spec", "optical_path_ids", "per_frame_functional_groups", "slide_offset", "sparse_files_supported",
    "wsidicom_region", "write_big_eot_slide", "write_slide",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------- wsidicom


def wsidicom_region(source: Any, location: tuple[int, int], size: tuple[int, int], focal_plane: int = 0,
                    optical_path: int = 0) -> npt.NDArray[np.uint8]:  # fmt: skip
    """wsidicom's pixels of the region at ``location`` (x, y: 0-based, from the top-left corner of the total
    pixel matrix) of ``size`` (width, height) of the base level (level 0), as an array (height, width[, samples]).

    ``source`` is a folder (or file, or list of files) for ``WsiDicom.open``, or an open ``WsiDicom``.
    ``focal_plane`` is an index into the focal planes sorted by Z offset (wsidicom's ``level.focal_planes``,
    in um); ``optical_path`` an index into the Optical Path Sequence, whose identifier is wsidicom's ``path``
    (``level.optical_paths`` is a set's order: it changes from run to run, so it is not used). The region must
    lie inside the total pixel matrix (wsidicom raises ``WsiDicomOutOfBoundsError`` otherwise); tiles of a
    TILED_SPARSE image without a frame are white for colour, 0 for MONOCHROME2.
    """
    from wsidicom import WsiDicom

    own = not isinstance(source, WsiDicom)
    wsi = WsiDicom.open(source) if own else source
    try:
        level = wsi.levels.base_level
        z = level.focal_planes[focal_plane]
        identifiers = list(dict.fromkeys(i for d in level.datasets for i in d.optical_path_identifiers))
        arr = wsi.read_region(tuple(location), 0, tuple(size), z=z, path=identifiers[optical_path], as_array=True)
        return np.asarray(arr)
    finally:
        if own:
            wsi.close()


def main(argv: Sequence[str] | None = None) -> None:
    """``python benchmarks/slides.py OUT.dcm [--frames 100000] [--syntax jpeg] [--tiling sparse] ...``"""
    import argparse
    import time

    names = {v: k for k, v in SYNTAX_NAMES.items()}
    p = argparse.ArgumentParser(description="Write a synthetic whole-slide image of many frames.")
    p.add_argument("out", type=Path)
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--syntax", choices=sorted(names), default="jpeg")
    p.add_argument("--tiling", choices=["full", "sparse"], default="full")
    p.add_argument("--offset-table", choices=["basic", "empty", "extended"], default="extended")
    p.add_argument("--mosaic", type=int, default=64, help="distinct tiles")
    p.add_argument("--mono", action="store_true")
    p.add_argument("--bits", type=int, choices=[8, 12, 16], default=8, help="Bits Stored (12, 16: grey, lossless J2K, "
                   "HTJ2K, JPEG-LS or explicit)")
    p.add_argument("--jpeg-subsampling", choices=["4:2:2", "4:2:0", "4:4:4"], default="4:2:2")
    p.add_argument("--tissue", type=float, default=0.6, help="fraction of the distinct tiles that are tissue")
    p.add_argument("--flat-background", action="store_true", help="background tiles flat white (no noise)")
    args = p.parse_args(argv)
    spec = many_frames_spec(args.frames, args.tile, transfer_syntax=names[args.syntax],
                            tiling=TILED_SPARSE if args.tiling == "sparse" else TILED_FULL,
                            shuffle=args.tiling == "sparse", offset_table=args.offset_table, mosaic=args.mosaic,
                            samples=1 if args.mono or args.bits > 8 else 3, tissue=args.tissue, bits_stored=args.bits,
                            jpeg_subsampling=args.jpeg_subsampling,
                            background_noise=1 if args.flat_background else 3)  # fmt: skip
    t = time.perf_counter()
    slide = write_slide(args.out, spec)
    dt = time.perf_counter() - t
    size = slide.path.stat().st_size
    print(f"{slide.path}: {slide.number_of_frames:,} frames of {spec.tile_size[0]} x {spec.tile_size[1]}, "
          f"{spec.width:,} x {spec.height:,} pixels, {args.syntax}, {spec.tiling}; {size / 1e9:.2f} GB in {dt:.1f} s "
          f"({size / dt / 1e9:.2f} GB/s)")  # fmt: skip


if __name__ == "__main__":
    main()
