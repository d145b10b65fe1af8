"""The bytes of a file before and after its Pixel Data, for ``FrameWriter``: the preamble, the file meta
information, every element of the data set given (shared, never changed: raw values stay unparsed and are
copied as they are), the attributes the writer sets, and the room for the Extended Offset Table."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ._layout import PixelLayout

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

_PIXEL_DATA = 0x7FE00010
# Elements the writer makes itself, or that describe Pixel Data it does not write (PS3.3 C.7.6.3, C.7.6.3.1.8).
_DROPPED = (0x7FE00001, 0x7FE00002, 0x7FE00008, 0x7FE00009, _PIXEL_DATA)


def file_header(ds: Dataset, ts: str, layout: PixelLayout, extended: bool, full_chroma: bool) -> tuple[bytes, bytes]:
    """The file up to Pixel Data (preamble, file meta, the data set's elements before (7FE0,0010), the
    Extended Offset Table's room when ``extended``), and the elements after it, as bytes."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import dcmwrite, write_dataset
    from pydicom.uid import UID

    head = _copy(ds)
    for tag in _DROPPED:
        _drop(head, tag)
    tail = _copy(ds)
    tail._dict.clear()
    for tag in [t for t in head._dict if t > _PIXEL_DATA]:
        tail._dict[tag] = head._dict.pop(tag)
    n = layout.number_of_frames
    if n > 1 or "NumberOfFrames" in ds:
        _set(head, "NumberOfFrames", n)
    if layout.samples_per_pixel > 1:
        _set(head, "PlanarConfiguration", 0)  # the frames are written interleaved
    if layout.photometric_interpretation == "YBR_FULL_422" and full_chroma:
        _set(head, "PhotometricInterpretation", "YBR_FULL")  # full-resolution chroma (PS3.3 C.7.6.3.1.2)
    if extended:  # room for the Extended Offset Table, filled at close (PS3.3 C.7.6.3.1.8)
        _set(head, "ExtendedOffsetTable", bytes(8 * n))
        _set(head, "ExtendedOffsetTableLengths", bytes(8 * n))
    meta = FileMetaDataset()
    meta._dict.update(getattr(ds, "file_meta", FileMetaDataset())._dict)
    for keyword in ("ImplementationClassUID", "ImplementationVersionName"):  # of the writer: pydicom's
        _drop(meta, _tag(keyword))
    _set(meta, "TransferSyntaxUID", UID(ts))
    for meta_kw, kw in (("MediaStorageSOPClassUID", "SOPClassUID"), ("MediaStorageSOPInstanceUID", "SOPInstanceUID")):
        if kw in head:
            _set(meta, meta_kw, head[kw].value)
    head.file_meta = meta
    buf = io.BytesIO()
    dcmwrite(buf, head, enforce_file_format=True)
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, False
    write_dataset(out, tail)
    return buf.getvalue(), out.getvalue()


def _copy(ds: Dataset) -> Dataset:
    """A data set sharing ``ds``'s elements (raw ones stay unparsed); changed through :func:`_set` only, so
    ``ds`` is never changed."""
    from pydicom.dataset import Dataset

    copy = Dataset()
    copy._dict.update(ds._dict)
    copy.preamble = getattr(ds, "preamble", None)
    for name in ("filename", "buffer", "fileobj_type", "timestamp"):  # where deferred values are read from when written
        if hasattr(ds, name):
            setattr(copy, name, getattr(ds, name))
    implicit, little = getattr(ds, "original_encoding", (None, None))
    if any(getattr(e, "VR", "") is None for e in ds._dict.values()):  # raw elements read as implicit VR from a
        implicit = True  # file whose meta says explicit (pydicom keeps the meta's encoding): converted when written
    copy.set_original_encoding(implicit, little, getattr(ds, "original_character_set", None))
    return copy


def _set(ds: Dataset, keyword: str, value: Any) -> None:
    """Set an element in a :func:`_copy` without changing the element object it shares with the original."""
    _drop(ds, _tag(keyword))
    setattr(ds, keyword, value)


def _drop(ds: Dataset, tag: int) -> None:
    from pydicom.tag import BaseTag

    ds._dict.pop(BaseTag(tag), None)


def _tag(keyword: str) -> int:
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    assert tag is not None
    return tag
