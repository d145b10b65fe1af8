"""wsidicom and OpenSlide as readers of the synthetic slides (framecodec._synthetic.slides): what each needs of
a file to open it (found by trying), their regions as the references ``FrameReader.read_region`` is checked
against, and the benchmarks' JPEG slide that both open. Test helpers: the package ships the writer only.

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
  need Spacing Between Slices in the Pixel Measures (``ValueError``). TILED_SPARSE (or no Dimension
  Organization Type): each frame's Plane Position
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

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from framecodec._synthetic.slides import (
    EXPLICIT,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    TILED_FULL,
    Slide,
    SlideSpec,
    many_frames_spec,
    photometric_interpretation,
    write_slide,
)

#: The transfer syntaxes OpenSlide 4.0 (libdicom 1.x) decodes in DICOM: native RGB, JPEG baseline, JPEG 2000.
OPENSLIDE_SYNTAXES = frozenset({EXPLICIT, JPEG_BASELINE, JPEG_2000_LOSSLESS, JPEG_2000})


def openslide_refuses(spec: SlideSpec) -> str | None:
    """Why OpenSlide 4.0.1 would refuse a slide written from ``spec``, or None if it opens it (as found by
    trying: this module's OpenSlide section)."""
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


def openslide_region(
    path: str | os.PathLike[str], location: tuple[int, int], size: tuple[int, int]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
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
    options: dict[str, Any] = {
        "transfer_syntax": JPEG_BASELINE,
        "jpeg_subsampling": "4:2:0",
        "jpeg_quality": 90,
        "tiling": TILED_FULL,
        "offset_table": "basic",
    }
    options.update(changes)
    return many_frames_spec(frames, tile, **options)


def write_benchmark_jpeg_slide(
    folder: str | os.PathLike[str], frames: int = 2000, tile: int = 256, **changes: Any
) -> Slide:
    """Write :func:`benchmark_jpeg_spec` as ``folder``/level0.dcm (about 1.5 s for 2,000 frames) and return it.
    ``folder`` should hold this slide only: wsidicom opens a folder, and OpenSlide adds every file of the
    folder with the same Series Instance UID (and fails on one it cannot read)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_slide(folder / "level0.dcm", benchmark_jpeg_spec(frames, tile, **changes))


def wsidicom_region(
    source: Any, location: tuple[int, int], size: tuple[int, int], focal_plane: int = 0, optical_path: int = 0
) -> npt.NDArray[np.uint8]:
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
