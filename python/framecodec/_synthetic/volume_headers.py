"""The data sets of the volume files that files.py writes: a binary Segmentation (1.2.840.10008.5.1.4.1.1.66.4)
and an Enhanced CT Image (1.2.840.10008.5.1.4.1.1.2.1), every attribute but the Per-Frame Functional Groups
Sequence and the Pixel Data, which are written as bytes after it (:func:`per_frame_functional_groups`).

The frames are axial slices of one volume: 0.7 mm pixels, 1.25 mm apart, frame ``i`` at z = -1.25 i mm, the
volume centred on x = y = 0. The Type 1 and 2 attributes of the IODs' modules were read from PS3.3 by hand and
are not checked with a validator; a Segmentation that derives from no image omits the references to its source
(Referenced Series Sequence, Derivation Image), which a real one has.
"""

from __future__ import annotations

import struct
from typing import Any

from .dicom_bytes import UID_ROOT, code, ds_value, element, item, text_value, uid

SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"  # Segmentation Storage
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT Image Storage
PIXEL_SPACING_MM = 0.7
SLICE_SPACING_MM = 1.25
ORIENTATION = (1, 0, 0, 0, 1, 0)  # axial: rows along +x, columns along +y
DATE, TIME, DATETIME = "20240102", "120000", "20240102120000"


def _base(sop_class: str, transfer_syntax: str, key: tuple[object, ...], modality: str) -> Any:
    """The attributes both IODs share: file meta, SOP Common, Patient, Study, Series, Frame of Reference,
    (Enhanced) General Equipment."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(uid("instance", key))
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
    ds.file_meta.ImplementationClassUID = UID(UID_ROOT + "8")
    ds.preamble = b"\x00" * 128
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyDate, ds.StudyTime = DATE, TIME
    ds.SeriesDate, ds.SeriesTime = DATE, TIME
    ds.ContentDate, ds.ContentTime = DATE, TIME
    ds.AccessionNumber = ""
    ds.Modality = modality
    ds.Manufacturer = "framecodec"
    ds.ReferringPhysicianName = ""
    ds.ManufacturerModelName = "files.py"
    ds.DeviceSerialNumber = "1"
    ds.SoftwareVersions = "1"
    ds.PatientName = "Synthetic^Volume"
    ds.PatientID = "FC-VOLUME"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = uid("study", "volume")
    ds.SeriesInstanceUID = uid("series", key)
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.FrameOfReferenceUID = uid("frame of reference", "volume")  # the CT and its segmentation share it
    ds.PositionReferenceIndicator = ""
    return ds


def _dimensions(ds: Any, key: tuple[object, ...], indices: list[tuple[int, int, str]]) -> None:
    """Multi-frame Dimension module: (Dimension Index Pointer, Functional Group Pointer, label) per dimension."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    organization = Dataset()
    organization.DimensionOrganizationUID = uid("dimensions", key)
    ds.DimensionOrganizationSequence = Sequence([organization])
    ds.DimensionOrganizationType = "3D"
    items = []
    for pointer, group, label in indices:
        d = Dataset()
        d.DimensionOrganizationUID = organization.DimensionOrganizationUID
        d.DimensionIndexPointer, d.FunctionalGroupPointer, d.DimensionDescriptionLabel = pointer, group, label
        items.append(d)
    ds.DimensionIndexSequence = Sequence(items)


def _image_pixel(ds: Any, size: int, frames: int, bits_allocated: int, bits_stored: int, signed: bool) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_allocated, bits_stored, bits_stored - 1
    ds.PixelRepresentation = int(signed)
    ds.NumberOfFrames = frames
    ds.LossyImageCompression = "00"


def _shared_geometry() -> Any:
    """A Shared Functional Groups item with the Pixel Measures and the Plane Orientation (Patient)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [PIXEL_SPACING_MM, PIXEL_SPACING_MM]
    measures.SliceThickness = SLICE_SPACING_MM
    measures.SpacingBetweenSlices = SLICE_SPACING_MM
    shared.PixelMeasuresSequence = Sequence([measures])
    orientation = Dataset()
    orientation.ImageOrientationPatient = list(ORIENTATION)
    shared.PlaneOrientationSequence = Sequence([orientation])
    return shared


def segmentation_header(size: int, frames: int, transfer_syntax: str, instance: str = "") -> Any:
    """A binary Segmentation of one segment (an organ), ``frames`` frames of ``size`` x ``size``."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    key = ("segmentation", instance, size, frames, transfer_syntax)
    ds = _base(SEGMENTATION, transfer_syntax, key, "SEG")
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SeriesDescription = "Synthetic segmentation"
    ds.ContentLabel = "ORGANS"
    ds.ContentDescription = "Synthetic blobs drifting from slice to slice"
    ds.ContentCreatorName = "framecodec^files.py"
    ds.SegmentationType = "BINARY"
    _image_pixel(ds, size, frames, 1, 1, False)
    segment = Dataset()
    segment.SegmentNumber = 1
    segment.SegmentLabel = "Organ"
    segment.SegmentAlgorithmType = "MANUAL"
    segment.SegmentedPropertyCategoryCodeSequence = Sequence([code("91723000", "SCT", "Anatomical structure")])
    segment.SegmentedPropertyTypeCodeSequence = Sequence([code("113343008", "SCT", "Organ")])
    ds.SegmentSequence = Sequence([segment])
    _dimensions(
        ds, key, [(0x0062000B, 0x0062000A, "Segment Number"), (0x00200032, 0x00209113, "Image Position (Patient)")]
    )
    ds.SharedFunctionalGroupsSequence = Sequence([_shared_geometry()])
    return ds


def enhanced_ct_header(size: int, frames: int, transfer_syntax: str, instance: str = "") -> Any:
    """An Enhanced CT Image of ``frames`` axial slices of ``size`` x ``size``, 16 bits allocated, 12 stored,
    signed, in Hounsfield units (Rescale Slope 1, Intercept 0)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    key = ("enhanced ct", instance, size, frames, transfer_syntax)
    ds = _base(ENHANCED_CT, transfer_syntax, key, "CT")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.SeriesDescription = "Synthetic CT"
    ds.AcquisitionNumber = 1
    ds.AcquisitionDateTime = DATETIME
    ds.AcquisitionDuration = 10.0
    ds.ContentQualification = "PRODUCT"
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.BurnedInAnnotation = "NO"
    ds.RecognizableVisualFeatures = "NO"
    ds.PresentationLUTShape = "IDENTITY"
    ds.AcquisitionContextSequence = Sequence([])
    _image_pixel(ds, size, frames, 16, 12, True)
    _dimensions(ds, key, [(0x00200032, 0x00209113, "Image Position (Patient)")])
    shared = _shared_geometry()
    transformation = Dataset()
    transformation.RescaleIntercept, transformation.RescaleSlope, transformation.RescaleType = 0, 1, "HU"
    shared.PixelValueTransformationSequence = Sequence([transformation])
    voi = Dataset()
    voi.WindowCenter, voi.WindowWidth = 40, 400  # a soft-tissue window
    shared.FrameVOILUTSequence = Sequence([voi])
    frame_type = Dataset()
    frame_type.FrameType = list(ds.ImageType)
    frame_type.PixelPresentation = ds.PixelPresentation
    frame_type.VolumetricProperties = ds.VolumetricProperties
    frame_type.VolumeBasedCalculationTechnique = ds.VolumeBasedCalculationTechnique
    shared.CTImageFrameTypeSequence = Sequence([frame_type])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    return ds


def position(size: int, index: int) -> tuple[float, float, float]:
    """Image Position (Patient) of frame ``index``: the centre of its first pixel, in mm."""
    corner = -(size - 1) * PIXEL_SPACING_MM / 2
    return round(corner, 4), round(corner, 4), round(-index * SLICE_SPACING_MM, 4)


def per_frame_functional_groups(sop_class: str, size: int, frames: int) -> bytes:
    """The (5200,9230) Per-Frame Functional Groups Sequence, encoded by hand (a pydicom Dataset per frame would
    take seconds and hundreds of MB for 100,000 frames): per frame a Frame Content (its Dimension Index Values;
    for the CT its acquisition times too), a Plane Position (Patient) and, for the Segmentation, a Segment
    Identification. Elements in ascending tag order inside each item."""
    segmentation = sop_class == SEGMENTATION
    times = (
        b""
        if segmentation
        else (
            element(0x0018, 0x9074, b"DT", text_value(DATETIME))  # Frame Acquisition DateTime
            + element(0x0018, 0x9151, b"DT", text_value(DATETIME))  # Frame Reference DateTime
            + element(0x0018, 0x9220, b"FD", struct.pack("<d", 10.0))  # Frame Acquisition Duration, ms
        )
    )
    segment = element(0x0062, 0x000A, b"SQ", item(element(0x0062, 0x000B, b"US", struct.pack("<H", 1))))
    items = []
    for i in range(frames):
        index = struct.pack("<2I", 1, i + 1) if segmentation else struct.pack("<I", i + 1)
        content = times + element(0x0020, 0x9157, b"UL", index)
        x, y, z = position(size, i)
        where = element(0x0020, 0x0032, b"DS", text_value("\\".join(ds_value(v).decode().strip() for v in (x, y, z))))
        body = element(0x0020, 0x9111, b"SQ", item(content)) + element(0x0020, 0x9113, b"SQ", item(where))
        items.append(item(body + segment if segmentation else body))
    return element(0x5200, 0x9230, b"SQ", b"".join(items))
