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
  Lossless (pylibjpeg-rle's encoder), Encapsulated Uncompressed, or JPEG Baseline (Pillow, YBR_FULL_422,
  lossy: ``Slide.lossy``); encapsulated frames one fragment each with a Basic Offset Table, an empty one, or
  an empty one and the Extended Offset Table.

Files are written to a temporary name in the same folder and renamed when complete. Pixel Data and the
Per-Frame Functional Groups Sequence are streamed to the file after pydicom has written the rest of the data
set, so a slide of 100,000 frames needs memory for its distinct tiles only (``SlideSpec.mosaic``: each tile
is one of a few distinct tiles, chosen by a hash of its position). :func:`write_big_eot_slide` writes a
slide whose Pixel Data passes 4 GiB, addressed through the Extended Offset Table, as a sparse file.

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

import hashlib
import io
import os
import shutil
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

try:
    from frames import microscopy_tile
except ImportError:  # imported as benchmarks.slides
    from .frames import microscopy_tile

WSI_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.77.1.6"  # VL Whole Slide Microscopy Image Storage
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATE = "1.2.840.10008.1.2.8.1"  # Deflated Image Frame Compression
RLE = "1.2.840.10008.1.2.5"
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
SYNTAX_NAMES = {EXPLICIT: "explicit", DEFLATE: "deflate", RLE: "rle", ENCAPSULATED_UNCOMPRESSED: "encaps-uncompressed",
                JPEG_BASELINE: "jpeg"}  # fmt: skip
TILED_FULL, TILED_SPARSE = "TILED_FULL", "TILED_SPARSE"

PIXEL_SPACING_MM = 0.00025  # 0.25 um per pixel, a 40x scan
FOCAL_PLANE_SPACING_MM = 0.0005  # Spacing Between Slices: 0.5 um between focal planes
ORIGIN_MM = (20.0, 40.0)  # Total Pixel Matrix Origin: X, Y Offset In Slide Coordinate System
# Image Orientation (Slide), PS3.3 C.8.12.4.1.2: along a row -Y, down a column -X (the usual value, and one
# wsidicom takes without a warning: it wants the column direction the row direction turned by 90 degrees)
ORIENTATION = (0, -1, 0, -1, 0, 0)
UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as pydicom.uid.generate_uid uses it


def optical_path_ids(n: int) -> list[str]:
    """The Optical Path Identifiers, in the Optical Path Sequence's order: "n", ..., "2", "1". Neither sorted nor
    0-based, so that a reader that sorts them or takes them for numbers puts frames on the wrong path."""
    return [str(n - p) for p in range(n)]


def blank(samples: int) -> int:
    """The value a reader fills areas without tiles with: white for colour, 0 for MONOCHROME2 (as wsidicom)."""
    return 255 if samples == 3 else 0


@dataclass(frozen=True)
class SlideSpec:
    """What :func:`write_slide` writes."""

    width: int = 1000  # Total Pixel Matrix Columns
    height: int = 700  # Total Pixel Matrix Rows
    tile: int | tuple[int, int] = 256  # Columns x Rows of a frame: one int for square tiles, or (columns, rows)
    tiling: str = TILED_FULL  # or TILED_SPARSE
    focal_planes: int = 1
    optical_paths: int = 1
    transfer_syntax: str = EXPLICIT
    offset_table: str = "basic"  # "basic", "empty" (no offsets) or "extended" (empty BOT + EOT); encapsulated only
    samples: int = 3  # 3: RGB, 1: MONOCHROME2
    shuffle: bool = False  # TILED_SPARSE: frames in a random order
    missing: float | Iterable[tuple[int, int, int, int]] = 0.0  # TILED_SPARSE: a fraction, or (tx, ty, f, p) tiles
    seed: int = 0
    mosaic: int | None = None  # each tile one of this many distinct tiles (big slides); None: one whole image
    tissue: float = 0.6  # mosaic: the fraction of tiles that are tissue (the others near-white background)
    # mosaic: the background tiles are 241 plus a uniform random value below this: 3 a little sensor noise, 1 flat
    # white (which RLE Lossless and deflate store in a few hundred bytes to 3 KB a tile)
    background_noise: int = 3
    jpeg_quality: int = 90

    @property
    def tile_size(self) -> tuple[int, int]:
        """(columns, rows) of a frame."""
        return (self.tile, self.tile) if isinstance(self.tile, int) else (int(self.tile[0]), int(self.tile[1]))

    @property
    def tiled(self) -> tuple[int, int]:
        """(tiles across, tiles down)."""
        tw, th = self.tile_size
        return -(-self.width // tw), -(-self.height // th)

    @property
    def encapsulated(self) -> bool:
        return self.transfer_syntax != EXPLICIT

    def but(self, **changes: Any) -> SlideSpec:
        return replace(self, **changes)


@dataclass
class Slide:
    """A written slide and its reference pixels."""

    path: Path
    spec: SlideSpec
    #: (frames, 2) int64: each frame's (x, y), 0-based top-left in the total pixel matrix, in frame order.
    positions: npt.NDArray[np.int64]
    #: (frames, 2) int64: each frame's (focal plane index, optical path index).
    planes: npt.NDArray[np.int64]
    #: The focal planes' Z Offset In Slide Coordinate System (um), by index; wsidicom's ``z``.
    z_um: list[float]
    #: The Optical Path Identifiers, by index (the Optical Path Sequence's order); wsidicom's ``path``.
    optical_path_ids: list[str]
    #: (focal planes, optical paths, tiles down, tiles across) bool: which tiles have a frame.
    present: npt.NDArray[np.bool_]
    #: The Pixel Data is JPEG Baseline: decoded frames only approximate :meth:`frame`.
    lossy: bool
    #: Bytes of encoded Pixel Data (the frames' fragments, without item headers).
    pixel_data_bytes: int
    #: (frames,) int64: where each frame's first byte is in the file (past its item header when encapsulated).
    frame_offsets: npt.NDArray[np.int64]
    #: The synthetic image the tiles are cut from, (focal planes, optical paths, rows, columns[, samples]),
    #: covering every tile whole (edge tiles' padding included). None for a mosaic.
    canvas: npt.NDArray[np.uint8] | None = None
    _distinct: npt.NDArray[np.uint8] | None = field(default=None, repr=False)  # mosaic: the distinct tiles
    _tile_fn: Callable[[int, int, int, int], npt.NDArray[np.uint8]] | None = field(default=None, repr=False)

    @property
    def number_of_frames(self) -> int:
        return len(self.positions)

    @property
    def samples(self) -> int:
        return self.spec.samples

    @property
    def fill(self) -> int:
        return blank(self.spec.samples)

    def tile(self, tx: int, ty: int, focal_plane: int = 0, optical_path: int = 0) -> npt.NDArray[np.uint8]:
        """The Rows x Columns pixels of tile (tx, ty) as written (before any lossy encoding), present or not."""
        tw, th = self.spec.tile_size
        if self.canvas is not None:
            return self.canvas[focal_plane, optical_path, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw]
        if self._tile_fn is not None:
            return self._tile_fn(tx, ty, focal_plane, optical_path)
        assert self._distinct is not None
        return self._distinct[_mosaic_index(self.spec, tx, ty, focal_plane, optical_path)]

    def frame(self, i: int) -> npt.NDArray[np.uint8]:
        """Frame ``i``'s pixels as written, (rows, columns[, samples])."""
        tw, th = self.spec.tile_size
        (x, y), (f, p) = self.positions[i], self.planes[i]
        return self.tile(int(x) // tw, int(y) // th, int(f), int(p))

    @cached_property
    def total(self) -> npt.NDArray[np.uint8]:
        """The total pixel matrices, (focal planes, optical paths, height, width[, samples]), tiles without a
        frame filled with :func:`blank`: what a reader's region of the whole image must be. Not for mosaics."""
        if self.canvas is None:
            raise ValueError("this slide has no total pixel matrix in memory (a mosaic): use region()")
        s = self.spec
        out = self.canvas[:, :, : s.height, : s.width].copy()
        tw, th = s.tile_size
        for f, p, ty, tx in zip(*np.nonzero(~self.present)):
            out[f, p, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw] = self.fill
        return out

    def region(self, location: tuple[int, int], size: tuple[int, int], focal_plane: int = 0,
               optical_path: int = 0) -> npt.NDArray[np.uint8]:  # fmt: skip
        """The reference pixels of the region at ``location`` (x, y), of ``size`` (width, height): (height,
        width[, samples]). Parts outside the total pixel matrix, like tiles without a frame, are blank."""
        s = self.spec
        (x, y), (w, h) = location, size
        shape = (h, w) + ((s.samples,) if s.samples > 1 else ())
        out = np.full(shape, self.fill, np.uint8)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, s.width), min(y + h, s.height)
        if x0 >= x1 or y0 >= y1:
            return out
        tw, th = s.tile_size
        for ty in range(y0 // th, (y1 - 1) // th + 1):
            for tx in range(x0 // tw, (x1 - 1) // tw + 1):
                if not self.present[focal_plane, optical_path, ty, tx]:
                    continue
                ax0, ay0 = max(x0, tx * tw), max(y0, ty * th)
                ax1, ay1 = min(x1, (tx + 1) * tw), min(y1, (ty + 1) * th)
                t = self.tile(tx, ty, focal_plane, optical_path)
                out[ay0 - y : ay1 - y, ax0 - x : ax1 - x] = t[ay0 - ty * th : ay1 - ty * th, ax0 - tx * tw : ax1 - tx * tw]
        return out


# ----------------------------------------------------------------------------------------------- pixels


def _canvas(spec: SlideSpec) -> npt.NDArray[np.uint8]:
    """(focal planes, optical paths, tiles down x Rows, tiles across x Columns[, samples])."""
    (tw, th), (nx, ny) = spec.tile_size, spec.tiled
    h, w = ny * th, nx * tw
    margin = 8 * (spec.focal_planes + spec.optical_paths)
    base = microscopy_tile(spec.seed, max(h, w) + margin)
    planes = np.empty((spec.focal_planes, spec.optical_paths, h, w, 3), np.uint8)
    for f in range(spec.focal_planes):
        for p in range(spec.optical_paths):
            dy, dx = 3 * f + 5 * p, 7 * f + 2 * p  # each plane its own pixels (the image is noisy)
            planes[f, p] = base[dy : dy + h, dx : dx + w]
    return planes if spec.samples == 3 else np.ascontiguousarray(planes[..., 1])


def _mosaic_tiles(spec: SlideSpec) -> npt.NDArray[np.uint8]:
    """``spec.mosaic`` distinct tiles: tissue cut from one synthetic image, then near-white background."""
    tw, th = spec.tile_size
    k = int(spec.mosaic or 1)
    tissue = max(1, min(k, round(k * spec.tissue))) if k > 1 else 1
    across = -(-int(np.sqrt(tissue)) // 1) or 1
    down = -(-tissue // across)
    image = microscopy_tile(spec.seed, max(across * tw, down * th))
    tiles = [image[(i // across) * th : (i // across + 1) * th, (i % across) * tw : (i % across + 1) * tw]
             for i in range(tissue)]  # fmt: skip
    rng = np.random.default_rng(spec.seed + 1)
    for _ in range(k - tissue):  # slide background: near-constant white with a little sensor noise
        tiles.append((241 + rng.integers(0, spec.background_noise, (th, tw, 3))).astype(np.uint8))
    arr = np.stack(tiles)
    return arr if spec.samples == 3 else np.ascontiguousarray(arr[..., 1])


def _mosaic_index(spec: SlideSpec, tx: Any, ty: Any, f: Any, p: Any) -> Any:
    """Which distinct tile a tile is: a fixed hash of its position (works on numpy arrays too)."""
    k = int(spec.mosaic or 1)
    h = (np.asarray(tx, np.uint64) * np.uint64(73856093)) ^ (np.asarray(ty, np.uint64) * np.uint64(19349663))
    h ^= np.asarray(f, np.uint64) * np.uint64(83492791) + np.asarray(p, np.uint64) * np.uint64(2654435761)
    out = (h ^ (h >> np.uint64(7))) % np.uint64(k)
    return out.astype(np.int64) if np.ndim(out) else int(out)


def encode_tile(pixels: npt.NDArray[np.uint8], spec: SlideSpec) -> bytes:
    """One frame in ``spec.transfer_syntax`` by encoders independent of framecodec (odd lengths kept)."""
    ts = spec.transfer_syntax
    pixels = np.ascontiguousarray(pixels)
    if ts in (EXPLICIT, ENCAPSULATED_UNCOMPRESSED):
        return pixels.tobytes()
    if ts == DEFLATE:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw RFC 1951, as PS3.5 8.2.16 stores it
        return c.compress(pixels.tobytes()) + c.flush()
    if ts == RLE:
        from rle.utils import encode_array  # pylibjpeg-rle

        th, tw = pixels.shape[:2]
        return next(encode_array(pixels, rows=th, columns=tw, samples_per_pixel=spec.samples, bits_allocated=8,
                                 number_of_frames=1))  # fmt: skip
    if ts == JPEG_BASELINE:
        from PIL import Image

        buf = io.BytesIO()
        mode = "RGB" if spec.samples == 3 else "L"
        # 4:2:2 (subsampling=1) as Photometric Interpretation YBR_FULL_422 says
        Image.fromarray(pixels, mode).save(buf, format="JPEG", quality=spec.jpeg_quality, subsampling=1)
        return buf.getvalue()
    raise ValueError(f"no encoder for transfer syntax {ts}")


# ---------------------------------------------------------------------------------------------- layout


def _frame_layout(spec: SlideSpec) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """(tile (tx, ty) per frame, (focal plane, optical path) per frame, present[f, p, ty, tx])."""
    (nx, ny), nf, npaths = spec.tiled, spec.focal_planes, spec.optical_paths
    # PS3.3 C.7.6.17.3: along a row, then rows, then focal planes, then optical paths
    p, f, ty, tx = np.meshgrid(np.arange(npaths), np.arange(nf), np.arange(ny), np.arange(nx), indexing="ij")
    tiles = np.stack([tx.ravel(), ty.ravel()], axis=1).astype(np.int64)
    planes = np.stack([f.ravel(), p.ravel()], axis=1).astype(np.int64)
    present = np.ones((nf, npaths, ny, nx), bool)
    if spec.tiling == TILED_FULL:
        if spec.shuffle or (not isinstance(spec.missing, (int, float)) or spec.missing):
            raise ValueError("shuffle and missing tiles need TILED_SPARSE")
        return tiles, planes, present
    if spec.tiling != TILED_SPARSE:
        raise ValueError(f"tiling must be {TILED_FULL} or {TILED_SPARSE}, not {spec.tiling!r}")
    rng = np.random.default_rng(spec.seed + 7)
    if isinstance(spec.missing, (int, float)):
        gone = rng.random(len(tiles)) < float(spec.missing)
        gone[0] = False  # keep the first tile of every slide: a slide with no frame is not worth reading
    else:
        wanted = {tuple(int(v) for v in t) for t in spec.missing}
        gone = np.array([(int(a), int(b), int(c), int(d)) in wanted
                         for (a, b), (c, d) in zip(tiles, planes)], bool)  # fmt: skip
    present[planes[gone, 0], planes[gone, 1], tiles[gone, 1], tiles[gone, 0]] = False
    order = np.nonzero(~gone)[0]
    if spec.shuffle:
        order = rng.permutation(order)
    return tiles[order], planes[order], present


# ------------------------------------------------------------------------------------------ data set


def _uid(*parts: object) -> str:
    """A UID made from ``parts`` (the same parts, the same UID), under pydicom's root."""
    digest = int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:16], "big")
    return (UID_ROOT + str(digest))[:64]


def _code(value: str, scheme: str, meaning: str) -> Any:
    from pydicom.dataset import Dataset

    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile + b"\x00" * (len(profile) % 2)


def header(spec: SlideSpec, number_of_frames: int, instance: str = "") -> Any:
    """The data set of a slide, every attribute but the Per-Frame Functional Groups Sequence, the Extended
    Offset Table and the Pixel Data (they come last: they are streamed after it)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence as Seq
    from pydicom.uid import UID

    (tw, th), s = spec.tile_size, spec
    key = (instance, s)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
    ds.file_meta.MediaStorageSOPClassUID = UID(WSI_SOP_CLASS)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(_uid("instance", key))
    ds.file_meta.TransferSyntaxUID = UID(s.transfer_syntax)
    ds.file_meta.ImplementationClassUID = UID(UID_ROOT + "8")
    ds.preamble = b"\x00" * 128

    ds.SpecificCharacterSet = "ISO_IR 192"
    # ORIGINAL\PRIMARY\VOLUME\NONE: a base level (wsidicom reads the third value: VOLUME, LABEL, OVERVIEW, ...)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyDate, ds.StudyTime = "20240102", "120000"
    ds.ContentDate, ds.ContentTime = "20240102", "120000"
    ds.AcquisitionDateTime = "20240102120000"
    ds.AcquisitionDuration = 60.0
    ds.AccessionNumber = ""
    ds.Modality = "SM"
    ds.Manufacturer = "framecodec"
    ds.ReferringPhysicianName = ""
    ds.ManufacturerModelName = "slides.py"
    ds.VolumetricProperties = "VOLUME"
    ds.PatientName = "Synthetic^Slide"
    ds.PatientID = "FC-SLIDE"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.DeviceSerialNumber = "1"
    ds.SoftwareVersions = "1"
    ds.StudyInstanceUID = _uid("study", s.seed)
    ds.SeriesInstanceUID = _uid("series", key)
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.FrameOfReferenceUID = _uid("frame of reference", key)
    ds.PositionReferenceIndicator = "SLIDE_CORNER"
    ds.DimensionOrganizationType = s.tiling
    # Multi-frame Dimension module: tiles by column, then row, then focal plane and optical path (the indices of
    # a TILED_SPARSE frame's Frame Content; highdicom reads a total pixel matrix through them)
    organization = Dataset()
    organization.DimensionOrganizationUID = _uid("dimensions", key)
    ds.DimensionOrganizationSequence = Seq([organization])
    dims = [(0x0048021E, 0x0048021A, "Column Position"), (0x0048021F, 0x0048021A, "Row Position")]
    if s.focal_planes > 1:
        dims.append((0x0040074A, 0x0048021A, "Z Offset"))
    if s.optical_paths > 1:
        dims.append((0x00480106, 0x00480207, "Optical Path"))
    index_items = []
    for pointer, group, label in dims:
        d = Dataset()
        d.DimensionOrganizationUID = organization.DimensionOrganizationUID
        d.DimensionIndexPointer, d.FunctionalGroupPointer, d.DimensionDescriptionLabel = pointer, group, label
        index_items.append(d)
    ds.DimensionIndexSequence = Seq(index_items)
    ds.ContainerIdentifier = "FC-SLIDE-1"
    ds.IssuerOfTheContainerIdentifierSequence = Seq([])
    ds.ContainerTypeCodeSequence = Seq([_code("433466003", "SCT", "Microscope slide")])
    ds.AcquisitionContextSequence = Seq([])
    specimen = Dataset()
    specimen.SpecimenIdentifier = "FC-SPECIMEN-1"
    specimen.SpecimenUID = _uid("specimen", s.seed)
    specimen.IssuerOfTheSpecimenIdentifierSequence = Seq([])
    specimen.SpecimenPreparationSequence = Seq([])
    ds.SpecimenDescriptionSequence = Seq([specimen])
    ds.ImagedVolumeWidth = round(s.width * PIXEL_SPACING_MM, 6)
    ds.ImagedVolumeHeight = round(s.height * PIXEL_SPACING_MM, 6)
    ds.ImagedVolumeDepth = round(max(1, s.focal_planes) * FOCAL_PLANE_SPACING_MM, 6)
    ds.TotalPixelMatrixColumns = s.width
    ds.TotalPixelMatrixRows = s.height
    origin = Dataset()
    origin.XOffsetInSlideCoordinateSystem, origin.YOffsetInSlideCoordinateSystem = ORIGIN_MM
    ds.TotalPixelMatrixOriginSequence = Seq([origin])
    ds.TotalPixelMatrixFocalPlanes = s.focal_planes
    ds.NumberOfOpticalPaths = s.optical_paths
    ds.ImageOrientationSlide = list(ORIENTATION)
    ds.SamplesPerPixel = s.samples
    ds.PhotometricInterpretation = (
        ("YBR_FULL_422" if s.samples == 3 else "MONOCHROME2") if s.transfer_syntax == JPEG_BASELINE
        else ("RGB" if s.samples == 3 else "MONOCHROME2")
    )  # fmt: skip
    if s.samples == 3:
        ds.PlanarConfiguration = 0
    ds.NumberOfFrames = number_of_frames
    ds.Rows, ds.Columns = th, tw
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "01" if s.transfer_syntax == JPEG_BASELINE else "00"
    if s.transfer_syntax == JPEG_BASELINE:
        ds.LossyImageCompressionMethod = "ISO_10918_1"
        ds.LossyImageCompressionRatio = 10
    ds.SpecimenLabelInImage = "NO"
    ds.FocusMethod = "AUTO"
    ds.ExtendedDepthOfField = "NO"
    paths = []
    for p in range(s.optical_paths):
        op = Dataset()
        op.OpticalPathIdentifier = optical_path_ids(s.optical_paths)[p]
        op.IlluminationTypeCodeSequence = Seq([_code("111744", "DCM", "Brightfield illumination")])
        if s.samples == 3:
            op.IlluminationColorCodeSequence = Seq([_code("414298005", "SCT", "Full Spectrum")])
            op.ICCProfile = _srgb_profile()  # Type 1C for colour images
        else:
            op.IlluminationWaveLength = 400 + 50 * p
        paths.append(op)
    ds.OpticalPathSequence = Seq(paths)

    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [PIXEL_SPACING_MM, PIXEL_SPACING_MM]  # row spacing (y), column spacing (x), mm
    measures.SliceThickness = FOCAL_PLANE_SPACING_MM
    if s.focal_planes > 1:
        measures.SpacingBetweenSlices = FOCAL_PLANE_SPACING_MM
    shared.PixelMeasuresSequence = Seq([measures])
    frame_type = Dataset()
    frame_type.FrameType = list(ds.ImageType)
    shared.WholeSlideMicroscopyImageFrameTypeSequence = Seq([frame_type])
    if s.optical_paths == 1:
        ident = Dataset()
        ident.OpticalPathIdentifier = optical_path_ids(1)[0]
        shared.OpticalPathIdentificationSequence = Seq([ident])
    ds.SharedFunctionalGroupsSequence = Seq([shared])
    return ds


# ------------------------------------------------------------------------------------------- writing


def _el(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    """One explicit VR little endian element."""
    if vr in (b"OB", b"OW", b"OV", b"SQ", b"UN", b"UT", b"UC", b"UR", b"OD", b"OF", b"OL"):
        return struct.pack("<HH2sHI", group, element, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, element, vr, len(value)) + value


def _text(s: str) -> bytes:
    b = s.encode("ascii")
    return b + b" " * (len(b) % 2)


def _ds(v: float) -> bytes:
    text = f"{v:.10g}"
    if len(text) > 16:
        text = f"{v:.6e}"
    return _text(text)


def _item(body: bytes) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


def slide_offset(column: int, row: int) -> tuple[float, float]:
    """X and Y Offset In Slide Coordinate System (mm) of the pixel at 1-based (column, row) of the total pixel
    matrix (PS3.3 C.8.12.6.1.1: the origin plus the orientation's direction cosines times the spacing)."""
    r, c = ORIENTATION[:3], ORIENTATION[3:]
    x = ORIGIN_MM[0] + r[0] * (column - 1) * PIXEL_SPACING_MM + c[0] * (row - 1) * PIXEL_SPACING_MM
    y = ORIGIN_MM[1] + r[1] * (column - 1) * PIXEL_SPACING_MM + c[1] * (row - 1) * PIXEL_SPACING_MM
    return round(x, 8), round(y, 8)


def per_frame_functional_groups(spec: SlideSpec, tiles: npt.NDArray[np.int64], planes: npt.NDArray[np.int64],
                                z_um: Sequence[float]) -> bytes:  # fmt: skip
    """The (5200,9230) Per-Frame Functional Groups Sequence element of a TILED_SPARSE slide, encoded by hand
    (explicit VR little endian, defined lengths): for each frame a Plane Position (Slide) item and, with
    several optical paths, an Optical Path Identification item. tests/test_slides.py checks it against
    pydicom's reading of the file."""
    tw, th = spec.tile_size
    ident = [_el(0x0048, 0x0207, b"SQ", _item(_el(0x0048, 0x0106, b"SH", _text(i))))
             for i in optical_path_ids(spec.optical_paths)]  # fmt: skip
    z_text = [_ds(z) for z in z_um]
    items = []
    for (tx, ty), (f, p) in zip(tiles.tolist(), planes.tolist()):
        col, row = tx * tw + 1, ty * th + 1  # 1-based (PS3.3 C.8.12.6.1)
        x, y = slide_offset(col, row)
        index = [tx + 1, ty + 1] + [f + 1] * (spec.focal_planes > 1) + [p + 1] * (spec.optical_paths > 1)
        # elements in ascending tag order: Frame Content, Optical Path Identification, Plane Position (Slide)
        body = _el(0x0020, 0x9111, b"SQ", _item(_el(0x0020, 0x9157, b"UL", struct.pack(f"<{len(index)}I", *index))))
        if spec.optical_paths > 1:
            body += ident[p]
        position = (
            _el(0x0040, 0x072A, b"DS", _ds(x))
            + _el(0x0040, 0x073A, b"DS", _ds(y))
            + _el(0x0040, 0x074A, b"DS", z_text[f])
            + _el(0x0048, 0x021E, b"SL", struct.pack("<i", col))
            + _el(0x0048, 0x021F, b"SL", struct.pack("<i", row))
        )
        body += _el(0x0048, 0x021A, b"SQ", _item(position))
        items.append(_item(body))
    return _el(0x5200, 0x9230, b"SQ", b"".join(items))


def _write_header(f: Any, ds: Any, syntax: str) -> None:
    import pydicom
    from pydicom.dataset import validate_file_meta

    validate_file_meta(ds.file_meta, enforce_standard=True)
    # pydicom 3.0 does not know Deflated Image Frame Compression: say how the data set is encoded
    pydicom.dcmwrite(f, ds, implicit_vr=False, little_endian=True, force_encoding=True)


def _pixel_data_items(f: Any, encoded: Sequence[bytes], index: npt.NDArray[np.int64], spec: SlideSpec,
                      chunk: int = 1 << 22) -> npt.NDArray[np.int64]:  # fmt: skip
    """Write the Pixel Data element (native or encapsulated) whose frame ``i`` is ``encoded[index[i]]``, and the
    Extended Offset Table before it when asked for; return where each frame's first byte is in the file."""
    n = len(index)
    if not spec.encapsulated:  # the frames one after another, the value padded to even length (PS3.5 8.1.1)
        sizes = np.array([len(e) for e in encoded], np.int64)[index]
        total = int(sizes.sum())
        if total + total % 2 > 0xFFFFFFFE:
            raise ValueError(f"native Pixel Data of {total} bytes does not fit a 32-bit length: encapsulate it")
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, total + total % 2))
        start = f.tell()
        for e in _chunks(encoded, index, chunk, pad=False):
            f.write(e)
        f.write(b"\x00" * (total % 2))
        return start + np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    lengths = np.array([len(e) + len(e) % 2 for e in encoded], np.int64)[index]  # the fragments, padded to even
    offsets = np.zeros(n, np.int64)  # from the first item after the Basic Offset Table
    if n > 1:
        offsets[1:] = np.cumsum(lengths[:-1] + 8)
    if spec.offset_table == "basic":
        if n and offsets[-1] > 0xFFFFFFFF:
            raise ValueError("a Basic Offset Table cannot address this Pixel Data: use offset_table='extended'")
        bot = offsets.astype("<u4").tobytes()
    elif spec.offset_table in ("empty", "extended"):
        bot = b""
    else:
        raise ValueError(f"offset_table must be 'basic', 'empty' or 'extended', not {spec.offset_table!r}")
    if spec.offset_table == "extended":  # (7FE0,0001) and (7FE0,0002) come before (7FE0,0010)
        f.write(_el(0x7FE0, 0x0001, b"OV", offsets.astype("<u8").tobytes()))
        f.write(_el(0x7FE0, 0x0002, b"OV", lengths.astype("<u8").tobytes()))
    f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
    f.write(_item(bot))
    start = f.tell()
    for e in _chunks(encoded, index, chunk, pad=True):
        f.write(e)
    f.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    return start + offsets + 8


def _chunks(encoded: Sequence[bytes], index: npt.NDArray[np.int64], size: int, pad: bool) -> Iterable[bytes]:
    """The frames (as items when ``pad``: header, value, pad byte) joined in chunks of about ``size`` bytes."""
    pieces = [(_item(e + b"\x00" * (len(e) % 2)) if pad else e) for e in encoded]
    buf: list[bytes] = []
    n = 0
    for i in index.tolist():
        buf.append(pieces[i])
        n += len(pieces[i])
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_slide(path: str | os.PathLike[str], spec: SlideSpec = SlideSpec()) -> Slide:
    """Write the slide ``spec`` describes to ``path`` (via a temporary name and a rename) and return it with its
    reference pixels."""
    path = Path(path)
    if spec.samples not in (1, 3):
        raise ValueError("samples must be 1 (MONOCHROME2) or 3 (RGB)")
    tw, th = spec.tile_size
    tiles, planes, present = _frame_layout(spec)
    canvas = distinct = None
    if spec.mosaic is None:
        canvas = _canvas(spec)
        # one encoded frame per frame
        encoded = [encode_tile(canvas[f, p, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw], spec)
                   for (tx, ty), (f, p) in zip(tiles.tolist(), planes.tolist())]  # fmt: skip
        index = np.arange(len(tiles), dtype=np.int64)
    else:
        distinct = _mosaic_tiles(spec)
        encoded = [encode_tile(t, spec) for t in distinct]
        index = _mosaic_index(spec, tiles[:, 0], tiles[:, 1], planes[:, 0], planes[:, 1])
        index = np.atleast_1d(index)
    z_um = [round(i * FOCAL_PLANE_SPACING_MM * 1000, 3) for i in range(spec.focal_planes)]
    ds = header(spec, len(tiles), instance=path.name)
    tmp = _temporary(path)
    try:
        with open(tmp, "wb") as f:
            _write_header(f, ds, spec.transfer_syntax)
            if spec.tiling == TILED_SPARSE:
                f.write(per_frame_functional_groups(spec, tiles, planes, z_um))
            frame_offsets = _pixel_data_items(f, encoded, index, spec)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    lengths = np.array([len(e) for e in encoded], np.int64)[index]
    return Slide(path, spec, tiles * np.array([tw, th], np.int64), planes, z_um,
                 optical_path_ids(spec.optical_paths), present, spec.transfer_syntax == JPEG_BASELINE,
                 int(lengths.sum()), frame_offsets, canvas, distinct)  # fmt: skip


# ------------------------------------------------------------------------------------ big and sparse


def free_bytes(folder: str | os.PathLike[str]) -> int:
    return shutil.disk_usage(folder).free


def sparse_files_supported(folder: str | os.PathLike[str]) -> bool:
    """Whether a file with a 64 MiB hole in ``folder`` takes (almost) no disk blocks."""
    probe = Path(folder) / f".sparse-probe-{os.getpid()}"
    try:
        with open(probe, "wb") as f:
            f.seek(64 << 20)
            f.write(b"\x01")
        st = os.stat(probe)
        blocks = getattr(st, "st_blocks", None)
        return blocks is not None and blocks * 512 < (1 << 20)
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


def _signature(i: int, tw: int, samples: int) -> tuple[npt.NDArray[np.uint8], int, npt.NDArray[np.uint8]]:
    """Frame ``i``'s non-zero rows in :func:`write_big_eot_slide`: its first row, and one more row at a place
    that depends on ``i``."""
    rng = np.random.default_rng(1_000_003 + i)
    first = rng.integers(1, 256, tw * samples, dtype=np.uint8)
    other = rng.integers(1, 256, tw * samples, dtype=np.uint8)
    return first, 1 + (i * 37) % 1000, other


def write_big_eot_slide(path: str | os.PathLike[str], *, tile: int = 2048, width: int = 40_000,
                        height: int = 36_000, samples: int = 3) -> Slide:  # fmt: skip
    """A TILED_FULL slide in Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98) whose
    Pixel Data passes 4 GiB, addressed by the Extended Offset Table (the Basic Offset Table is empty: it cannot
    hold offsets past 2**32 - 1), written as a sparse file.

    Every frame is one fragment (as the Extended Offset Table requires) of ``tile`` x ``tile`` pixels, zero but
    for two rows of random values (:func:`_signature`): the zeros are holes in the file, so the default
    ~4.5 GB slide (20 x 18 tiles of 2048 x 2048 RGB, 12.6 MB each) takes a few MB of disk. The frames past
    4 GiB are the last ~18 (``Slide.frame_offsets``). Check :func:`sparse_files_supported` first."""
    path = Path(path)
    spec = SlideSpec(width=width, height=height, tile=tile, transfer_syntax=ENCAPSULATED_UNCOMPRESSED,
                     offset_table="extended", samples=samples)  # fmt: skip
    tiles, planes, present = _frame_layout(spec)
    n, frame_size = len(tiles), tile * tile * samples
    if frame_size % 2:
        raise ValueError("frames of an odd number of bytes need padding: pick an even tile size")
    row = tile * samples
    offsets = np.arange(n, dtype=np.int64) * (frame_size + 8)  # from the first item after the (empty) BOT
    ds = header(spec, n, instance=path.name)
    tmp = _temporary(path)
    try:
        with open(tmp, "wb") as f:
            _write_header(f, ds, spec.transfer_syntax)
            f.write(_el(0x7FE0, 0x0001, b"OV", offsets.astype("<u8").tobytes()))
            f.write(_el(0x7FE0, 0x0002, b"OV", np.full(n, frame_size, "<u8").tobytes()))
            f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
            f.write(_item(b""))
            start = f.tell()
            for i in range(n):
                first, k, other = _signature(i, tile, samples)
                f.write(struct.pack("<HHI", 0xFFFE, 0xE000, frame_size))
                value = f.tell()
                f.write(first.tobytes())
                f.seek(value + k * row)
                f.write(other.tobytes())
                f.seek(value + frame_size)  # the rest of the frame is a hole: zeros that take no disk
            f.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()

    def tile_fn(tx: int, ty: int, f: int, p: int) -> npt.NDArray[np.uint8]:
        i = ty * spec.tiled[0] + tx
        first, k, other = _signature(i, tile, samples)
        out = np.zeros((tile, row), np.uint8)
        out[0], out[k] = first, other
        return out.reshape((tile, tile, samples) if samples > 1 else (tile, tile))

    return Slide(path, spec, tiles * tile, planes, [0.0], optical_path_ids(1), present, False, n * frame_size,
                 start + offsets + 8, _tile_fn=tile_fn)  # fmt: skip


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


# ------------------------------------------------------------------------------------------ many frames


def many_frames_spec(frames: int = 100_000, tile: int = 256, **changes: Any) -> SlideSpec:
    """A mosaic slide of exactly ``frames`` tiles (TILED_FULL unless ``tiling`` says otherwise), about 1.6 times
    as wide as high, the last column and row of tiles partial: 100,000 frames of 256 x 256 are 400 x 250 tiles,
    102,316 x 63,950 pixels. ``changes`` go to :class:`SlideSpec` (``transfer_syntax``, ``tiling``, ``shuffle``,
    ``mosaic`` (default 64 distinct tiles), ``offset_table`` (default ``"extended"``), ...)."""
    across = max(d for d in range(1, int((frames * 1.6) ** 0.5) + 1) if frames % d == 0)
    across = max(across, frames // across)
    down = frames // across
    changes.setdefault("mosaic", 64)
    changes.setdefault("offset_table", "extended")
    return SlideSpec(width=across * tile - tile // 3 + 1 if across > 1 else tile,
                     height=down * tile - tile // 5 + 1 if down > 1 else tile, tile=tile, **changes)  # fmt: skip


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
    p.add_argument("--tissue", type=float, default=0.6, help="fraction of the distinct tiles that are tissue")
    p.add_argument("--flat-background", action="store_true", help="background tiles flat white (no noise)")
    args = p.parse_args(argv)
    spec = many_frames_spec(args.frames, args.tile, transfer_syntax=names[args.syntax],
                            tiling=TILED_SPARSE if args.tiling == "sparse" else TILED_FULL,
                            shuffle=args.tiling == "sparse", offset_table=args.offset_table, mosaic=args.mosaic,
                            samples=1 if args.mono else 3, tissue=args.tissue,
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
