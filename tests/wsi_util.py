"""Whole-slide-like test data sets built with pydicom, and what pydicom reads back from them: the reference
that framecodec's tile walk is checked against, written independently of it (PS3.3 A.32.8, C.8.12.6).
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_sequence_item
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

WSI = "1.2.840.10008.5.1.4.1.1.77.1.6"  # VL Whole Slide Microscopy Image Storage


@dataclass(frozen=True)
class Frame:
    """One frame's Plane Position (Slide) and Optical Path Identification; None leaves an element out."""

    column: int | None
    row: int | None
    z: str | None = None  # a DS string, as stored
    path: str | None = None


@dataclass
class Slide:
    """The attributes of a tiled image that place its frames."""

    across: int = 5
    down: int = 4
    planes: int = 1
    paths: tuple[str, ...] = ("1",)
    tile: int = 8  # Rows and Columns
    z_step: float = 0.0015  # mm between focal planes
    # the last tile column and row only partly filled, as at a slide's right and bottom edge
    ragged: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def total_columns(self) -> int:
        return self.across * self.tile - (self.tile // 2 if self.ragged else 0)

    @property
    def total_rows(self) -> int:
        return self.down * self.tile - (self.tile // 2 if self.ragged else 0)

    def z(self, plane: int) -> str:
        return f"{plane * self.z_step:.6f}"

    def full_order(self) -> list[Frame]:
        """Every tile in the TILED_FULL order of PS3.3 C.7.6.17.3: columns, rows, focal planes, optical paths."""
        return [
            Frame(1 + c * self.tile, 1 + r * self.tile, self.z(p), path)
            for path in self.paths
            for p in range(self.planes)
            for r in range(self.down)
            for c in range(self.across)
        ]


def plane_position(f: Frame) -> Dataset:
    pp = Dataset()
    pp.XOffsetInSlideCoordinateSystem = "20.5"
    pp.YOffsetInSlideCoordinateSystem = "40.25"
    if f.z is not None:
        pp.ZOffsetInSlideCoordinateSystem = f.z
    if f.column is not None:
        pp.ColumnPositionInTotalImagePixelMatrix = f.column
    if f.row is not None:
        pp.RowPositionInTotalImagePixelMatrix = f.row
    return pp


def groups_item(f: Frame | None, index: int = 0, extras: bool = True, frame_content: bool = True) -> Dataset:
    """A Functional Groups item: Frame Content, Plane Position (Slide), Optical Path Identification, and, with
    `extras`, groups the walk must skip (nested sequences, a private element)."""
    it = Dataset()
    if frame_content:
        fc = Dataset()
        fc.DimensionIndexValues = [index + 1, 1]
        it.FrameContentSequence = DicomSequence([fc])
    if extras:
        src = Dataset()
        src.ReferencedSOPClassUID = WSI
        src.ReferencedSOPInstanceUID = "1.2.3.4"
        src.ReferencedFrameNumber = index + 1
        der = Dataset()
        der.SourceImageSequence = DicomSequence([src, Dataset()])
        it.DerivationImageSequence = DicomSequence([der])
        it.add_new(0x00331010, "LO", "FRAMECODEC")  # private creator
        it.add_new(0x00331011, "OB", b"\x01\x02\x03\x04")
    if f is not None and (f.column is not None or f.row is not None or f.z is not None):
        it.PlanePositionSlideSequence = DicomSequence([plane_position(f)])
    if f is not None and f.path is not None:
        op = Dataset()
        op.OpticalPathIdentifier = f.path
        it.OpticalPathIdentificationSequence = DicomSequence([op])
    return it


def wsi_dataset(
    slide: Slide,
    frames: Sequence[Frame | None] | None,
    *,
    dimension_organization: str | None = "TILED_SPARSE",
    shared: Frame | None = None,
    number_of_frames: int | None = None,
    extras: bool = True,
) -> Dataset:
    """A VL WSI data set: `frames` become the Per-Frame Functional Groups items (None: no sequence at all),
    `shared` the Shared Functional Groups item's position and optical path."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = WSI
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "SM"
    ds.PatientName = "Slide^Test"
    ds.FrameOfReferenceUID = generate_uid()
    if dimension_organization is not None:
        ds.DimensionOrganizationType = dimension_organization
    if number_of_frames is not None:
        n = number_of_frames
    else:
        n = len(frames) if frames is not None else slide.across * slide.down * slide.planes * len(slide.paths)
    ds.NumberOfFrames = n
    ds.Rows = ds.Columns = slide.tile
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.ImageOrientationSlide = [0, -1, 0, -1, 0, 0]
    ds.TotalPixelMatrixColumns = slide.total_columns
    ds.TotalPixelMatrixRows = slide.total_rows
    origin = Dataset()
    origin.XOffsetInSlideCoordinateSystem = "20.0"
    origin.YOffsetInSlideCoordinateSystem = "40.0"
    ds.TotalPixelMatrixOriginSequence = DicomSequence([origin])
    ds.TotalPixelMatrixFocalPlanes = slide.planes
    ds.NumberOfOpticalPaths = len(slide.paths)
    ops = []
    for p in slide.paths:
        op = Dataset()
        op.OpticalPathIdentifier = p
        color = Dataset()
        color.CodeValue, color.CodingSchemeDesignator, color.CodeMeaning = "414298005", "SCT", "Full Spectrum"
        op.IlluminationColorCodeSequence = DicomSequence([color])
        op.ICCProfile = b"\x00" * 16
        ops.append(op)
    ds.OpticalPathSequence = DicomSequence(ops)
    sh = groups_item(shared, extras=False)
    measures = Dataset()
    measures.PixelSpacing = ["0.00025", "0.00025"]
    measures.SliceThickness = "0.0015"
    measures.SpacingBetweenSlices = str(slide.z_step)
    sh.PixelMeasuresSequence = DicomSequence([measures])
    ds.SharedFunctionalGroupsSequence = DicomSequence([sh])
    if frames is not None:
        ds.PerFrameFunctionalGroupsSequence = DicomSequence([groups_item(f, i, extras) for i, f in enumerate(frames)])
    for k, v in slide.extra.items():
        setattr(ds, k, v)
    ds.PixelData = bytes(n * slide.tile * slide.tile)
    return ds


def set_lengths(ds: Dataset, mode: str, seed: int = 0) -> None:
    """Sequences and items of defined length ("defined"), undefined length ("undefined"), or a random mix."""
    rng = np.random.default_rng(seed)

    def pick() -> bool:
        return mode == "undefined" or (mode == "mixed" and bool(rng.integers(0, 2)))

    def visit(d: Dataset) -> None:
        for elem in d:
            if elem.VR == "SQ":
                elem.is_undefined_length = pick()
                for item in elem.value:
                    item.is_undefined_length_sequence_item = pick()
                    visit(item)

    visit(ds)


def to_bytes(ds: Dataset, explicit: bool = True, meta: bool = True) -> bytes:
    """The data set as a file (preamble and file meta) or, with meta=False, the bare data set."""
    if meta:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian if explicit else ImplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        b = io.BytesIO()
        ds.save_as(b, enforce_file_format=True)
        return b.getvalue()
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, not explicit
    write_dataset(fp, ds)
    return fp.getvalue()


# ---------------------------------------------------------------- big files, fast


def sequence_header(tag: int, length: int, explicit: bool) -> bytes:
    """PS3.5 7.1.2 / 7.1.3: an SQ element header (length 0xFFFFFFFF for undefined length)."""
    g, e = tag >> 16, tag & 0xFFFF
    if explicit:
        return struct.pack("<HH2sHI", g, e, b"SQ", 0, length)
    return struct.pack("<HHI", g, e, length)


SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_COLUMN, _ROW = 0x3A3B3C3D, 0x4A4B4C4D  # sentinels, patched per frame
_Z = "1111.22223333444"  # 16 characters: the widest DS


def big_wsi_file(
    slide: Slide, frames: Sequence[Frame], explicit: bool = True, undefined: bool = False, extras: bool = True
) -> bytes:
    """A VL WSI file with many per-frame items, built quickly: pydicom writes one item per optical path with
    sentinel values, which are patched for each frame; pydicom writes the rest of the file around them.
    Every frame has a Z offset. Without `extras` an item holds what real ones do: Frame Content, Plane
    Position (Slide) and Optical Path Identification."""
    templates: dict[str | None, tuple[bytes, int, int, int]] = {}
    for path in {f.path for f in frames}:
        item = groups_item(Frame(_COLUMN, _ROW, _Z, path), extras=extras)
        if undefined:
            for elem in item:
                if elem.VR == "SQ":
                    elem.is_undefined_length = True
            item.is_undefined_length_sequence_item = True
        fp = DicomBytesIO()
        fp.is_little_endian, fp.is_implicit_VR = True, not explicit
        write_sequence_item(fp, item, ["iso8859"])
        raw = fp.getvalue()
        at = (raw.index(struct.pack("<I", _COLUMN)), raw.index(struct.pack("<I", _ROW)), raw.index(_Z.encode()))
        templates[path] = (raw, *at)
    parts = []
    for f in frames:
        raw, ci, ri, zi = templates[f.path]
        b = bytearray(raw)
        b[ci : ci + 4] = struct.pack("<i", f.column)
        b[ri : ri + 4] = struct.pack("<i", f.row)
        z = f"{float(f.z or 0):16.10f}"
        assert len(z) == 16, z
        b[zi : zi + 16] = z.encode()
        parts.append(bytes(b))
    items = b"".join(parts)
    if undefined:
        seq = sequence_header(0x52009230, 0xFFFFFFFF, explicit) + items + SEQUENCE_DELIMITER
    else:
        seq = sequence_header(0x52009230, len(items), explicit) + items
    ds = wsi_dataset(slide, None, number_of_frames=len(frames))
    pixel_data = ds.PixelData
    del ds.PixelData
    head = to_bytes(ds, explicit)
    tail = Dataset()
    tail.PixelData = pixel_data
    tail["PixelData"].VR = "OB"
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, not explicit
    write_dataset(fp, tail)
    return head + seq + fp.getvalue()


# ---------------------------------------------------------------- the reference: pydicom's reading


@dataclass
class Expected:
    columns: list[int]
    rows: list[int]
    z: list[float]
    focal_planes: list[int]
    optical_paths: list[int]
    identifiers: list[str]
    per_frame: bool


def _position(item: Dataset | None) -> tuple[int, int, float] | None:
    if item is None or "PlanePositionSlideSequence" not in item or len(item.PlanePositionSlideSequence) == 0:
        return None
    pp = item.PlanePositionSlideSequence[0]
    z = float(pp.ZOffsetInSlideCoordinateSystem) if "ZOffsetInSlideCoordinateSystem" in pp else math.nan
    return int(pp.ColumnPositionInTotalImagePixelMatrix), int(pp.RowPositionInTotalImagePixelMatrix), z


def _path(item: Dataset | None) -> str | None:
    if item is None or "OpticalPathIdentificationSequence" not in item:
        return None
    seq = item.OpticalPathIdentificationSequence
    return str(seq[0].OpticalPathIdentifier) if len(seq) else None


def reference(data: bytes) -> Expected:
    """Every frame's explicit position and optical path as pydicom reads them (per-frame, else shared)."""
    ds = pydicom.dcmread(io.BytesIO(data), force=True)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    shared = ds.SharedFunctionalGroupsSequence[0] if len(ds.get("SharedFunctionalGroupsSequence", [])) else None
    per = list(ds.get("PerFrameFunctionalGroupsSequence", [])) or [None] * n
    assert len(per) == n
    pos = [_position(it) or _position(shared) for it in per]
    assert all(p is not None for p in pos)
    names = [_path(it) or _path(shared) for it in per]
    ids: list[str] = []
    for name in names:
        if name is not None and name not in ids:
            ids.append(name)
    zs = sorted({p[2] for p in pos if not math.isnan(p[2])})  # type: ignore[index]
    return Expected(
        columns=[p[0] for p in pos],  # type: ignore[index]
        rows=[p[1] for p in pos],  # type: ignore[index]
        z=[p[2] for p in pos],  # type: ignore[index]
        focal_planes=[zs.index(p[2]) if not math.isnan(p[2]) else -1 if zs else 0 for p in pos],  # type: ignore[index]
        optical_paths=[ids.index(x) if x is not None else -1 for x in names],
        identifiers=ids,
        per_frame=any(_position(it) is not None for it in per),
    )


def shuffled(frames: Sequence[Frame], seed: int) -> list[Frame]:
    order = np.random.default_rng(seed).permutation(len(frames))
    return [frames[i] for i in order]
