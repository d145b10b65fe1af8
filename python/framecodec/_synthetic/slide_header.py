"""The data set of a synthetic slide: every attribute of the VL Whole Slide Microscopy Image IOD that
slides.py writes, but the Pixel Data; and the Per-Frame Functional Groups Sequence of a TILED_SPARSE slide,
encoded by hand. See slides.py for what is written and why."""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .dicom_bytes import UID_ROOT, code, ds_value, element, item, text_value, uid
from .slide_codecs import LOSSY_METHOD, photometric_interpretation
from .slide_spec import (
    FOCAL_PLANE_SPACING_MM,
    ORIENTATION,
    ORIGIN_MM,
    PIXEL_SPACING_MM,
    WSI_SOP_CLASS,
    SlideSpec,
    optical_path_ids,
)

# An sRGB ICC profile (588 bytes: even, as a value must be), as Pillow's ImageCms.createProfile("sRGB") makes it
# (LittleCMS), kept as bytes: fixed (Pillow stamps the date into each it makes), and no Pillow needed to write.
_SRGB_ICC = base64.b64decode(
    "AAACTGxjbXMEQAAAbW50clJHQiBYWVogB+oADAAHABAANQANYWNzcEFQUEwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPbWAAEAAAAA0y1sY21z"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALZGVzYwAAAQgAAAA2Y3BydAAAAUAAAABMd3RwdAAAAYwAAAAU"
    "Y2hhZAAAAaAAAAAsclhZWgAAAcwAAAAUYlhZWgAAAeAAAAAUZ1hZWgAAAfQAAAAUclRSQwAAAggAAAAgZ1RSQwAAAggAAAAgYlRSQwAAAggAAAAg"
    "Y2hybQAAAigAAAAkbWx1YwAAAAAAAAABAAAADGVuVVMAAAAaAAAAHABzAFIARwBCACAAYgB1AGkAbAB0AC0AaQBuAABtbHVjAAAAAAAAAAEAAAAM"
    "ZW5VUwAAADAAAAAcAE4AbwAgAGMAbwBwAHkAcgBpAGcAaAB0ACwAIAB1AHMAZQAgAGYAcgBlAGUAbAB5WFlaIAAAAAAAAPbWAAEAAAAA0y1zZjMy"
    "AAAAAAABDEIAAAXe///zJQAAB5MAAP2Q///7of///aIAAAPcAADAblhZWiAAAAAAAABvoAAAOPUAAAOQWFlaIAAAAAAAACSfAAAPhAAAtsNYWVog"
    "AAAAAAAAYpcAALeHAAAY2XBhcmEAAAAAAAMAAAACZmYAAPKnAAANWQAAE9AAAApbY2hybQAAAAAAAwAAAACj1wAAVHsAAEzNAACZmgAAJmYAAA9c"
)


def header(spec: SlideSpec, number_of_frames: int, instance: str = "", lossy_ratio: float | None = None) -> Any:
    """The data set of a slide, every attribute but the Per-Frame Functional Groups Sequence, the Extended
    Offset Table and the Pixel Data (they come last: they are streamed after it). ``lossy_ratio``: a lossy
    slide's Lossy Image Compression Ratio, the frames' decoded bytes over their encoded bytes (10 if not given)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence as Seq
    from pydicom.uid import UID

    (tw, th), s = spec.tile_size, spec
    key = (instance, s)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
    ds.file_meta.MediaStorageSOPClassUID = UID(WSI_SOP_CLASS)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(uid("instance", key))
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
    ds.StudyInstanceUID = uid("study", s.seed)
    ds.SeriesInstanceUID = uid("series", key)
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.FrameOfReferenceUID = uid("frame of reference", key)
    ds.PositionReferenceIndicator = "SLIDE_CORNER"
    ds.DimensionOrganizationType = s.tiling
    # Multi-frame Dimension module: tiles by column, then row, then focal plane and optical path (the indices of
    # a TILED_SPARSE frame's Frame Content; highdicom reads a total pixel matrix through them)
    organization = Dataset()
    organization.DimensionOrganizationUID = uid("dimensions", key)
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
    ds.ContainerTypeCodeSequence = Seq([code("433466003", "SCT", "Microscope slide")])
    ds.AcquisitionContextSequence = Seq([])
    specimen = Dataset()
    specimen.SpecimenIdentifier = "FC-SPECIMEN-1"
    specimen.SpecimenUID = uid("specimen", s.seed)
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
    ds.PhotometricInterpretation = photometric_interpretation(s)  # PS3.5 8.2 for each syntax: slide_codecs.py
    if s.samples == 3:
        ds.PlanarConfiguration = 0
    ds.NumberOfFrames = number_of_frames
    ds.Rows, ds.Columns = th, tw
    ds.BitsAllocated = 16 if s.bits_stored > 8 else 8
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = s.bits_stored, s.bits_stored - 1, 0
    ds.BurnedInAnnotation = "NO"
    # PS3.3 C.7.6.1.1.5: "01" once the pixels have been lossy compressed, with the Ratio (uncompressed over
    # compressed size) and the Method (C.7.6.1.1.5.1's defined terms) of that compression
    ds.LossyImageCompression = "01" if s.lossy else "00"
    if s.lossy:
        ds.LossyImageCompressionRatio = round(float(lossy_ratio if lossy_ratio is not None else 10), 2)
        ds.LossyImageCompressionMethod = LOSSY_METHOD[s.transfer_syntax]
    ds.SpecimenLabelInImage = "NO"
    ds.FocusMethod = "AUTO"
    ds.ExtendedDepthOfField = "NO"
    paths = []
    for p in range(s.optical_paths):
        op = Dataset()
        op.OpticalPathIdentifier = optical_path_ids(s.optical_paths)[p]
        op.IlluminationTypeCodeSequence = Seq([code("111744", "DCM", "Brightfield illumination")])
        if s.samples == 3:
            op.IlluminationColorCodeSequence = Seq([code("414298005", "SCT", "Full Spectrum")])
            op.ICCProfile = _SRGB_ICC  # Type 1C for colour images
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


def slide_offset(column: int, row: int) -> tuple[float, float]:
    """X and Y Offset In Slide Coordinate System (mm) of the pixel at 1-based (column, row) of the total pixel
    matrix (PS3.3 C.8.12.6.1.1: the origin plus the orientation's direction cosines times the spacing)."""
    r, c = ORIENTATION[:3], ORIENTATION[3:]
    x = ORIGIN_MM[0] + r[0] * (column - 1) * PIXEL_SPACING_MM + c[0] * (row - 1) * PIXEL_SPACING_MM
    y = ORIGIN_MM[1] + r[1] * (column - 1) * PIXEL_SPACING_MM + c[1] * (row - 1) * PIXEL_SPACING_MM
    return round(x, 8), round(y, 8)


def per_frame_functional_groups(
    spec: SlideSpec, tiles: npt.NDArray[np.int64], planes: npt.NDArray[np.int64], z_um: Sequence[float]
) -> bytes:
    """The (5200,9230) Per-Frame Functional Groups Sequence element of a TILED_SPARSE slide, encoded by hand
    (explicit VR little endian, defined lengths): for each frame a Plane Position (Slide) item and, with
    several optical paths, an Optical Path Identification item. tests/test_slides.py checks it against
    pydicom's reading of the file."""
    tw, th = spec.tile_size
    ident = [
        element(0x0048, 0x0207, b"SQ", item(element(0x0048, 0x0106, b"SH", text_value(i))))
        for i in optical_path_ids(spec.optical_paths)
    ]
    z_text = [ds_value(z) for z in z_um]
    items = []
    for (tx, ty), (f, p) in zip(tiles.tolist(), planes.tolist()):
        col, row = tx * tw + 1, ty * th + 1  # 1-based (PS3.3 C.8.12.6.1)
        x, y = slide_offset(col, row)
        index = [tx + 1, ty + 1] + [f + 1] * (spec.focal_planes > 1) + [p + 1] * (spec.optical_paths > 1)
        # elements in ascending tag order: Frame Content, Optical Path Identification, Plane Position (Slide)
        content = element(0x0020, 0x9157, b"UL", struct.pack(f"<{len(index)}I", *index))  # Dimension Index Values
        body = element(0x0020, 0x9111, b"SQ", item(content))
        if spec.optical_paths > 1:
            body += ident[p]
        position = (
            element(0x0040, 0x072A, b"DS", ds_value(x))
            + element(0x0040, 0x073A, b"DS", ds_value(y))
            + element(0x0040, 0x074A, b"DS", z_text[f])
            + element(0x0048, 0x021E, b"SL", struct.pack("<i", col))
            + element(0x0048, 0x021F, b"SL", struct.pack("<i", row))
        )
        body += element(0x0048, 0x021A, b"SQ", item(position))
        items.append(item(body))
    return element(0x5200, 0x9230, b"SQ", b"".join(items))
