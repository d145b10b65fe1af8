"""Where a data set's pixels come from: a file (memory-mapped), a binary file object, or a ``Dataset``.

``open_source`` reads the header with pydicom (without the Pixel Data), finds the Pixel Data with the C++
``locate_pixel_data`` and builds the frame table, so that the batch engine gets one buffer and, for every
frame, where its bytes are. Nothing of the Pixel Data is read here.
"""

from __future__ import annotations

import io
import mmap
import os
import struct
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any, Union, cast

import numpy as np
import numpy.typing as npt

from ._core import EncapsulationError, MappedFile
from ._deflated import open_deflated
from ._layout import (
    BIG_ENDIAN,
    CODECS,
    IMAGE_CODECS,
    Codec,
    PixelLayout,
    float_layout,
    image_codec,
    layout_of,
    number_of_frames,
)
from ._truncated import TRUNCATED_OK, any_cut, cut_fields, missing_frames_error, table_or_cut
from .encaps import FrameTable, _locate_in_buffer, frame_table

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Source = Union[PathLike, IO[bytes], "Dataset"]

# What pixel_array and FrameReader need of the header: the Image Pixel module, Number of Frames and the
# whole-slide geometry; pydicom then skips the rest, the Per-Frame Functional Groups Sequence included. Not the
# Extended Offset Table (7FE0,0001/0002): 1.6 MB for 100,000 frames, which pydicom would convert for nothing
# (locate_pixel_data reads it for the frame table).
_HEADER_TAGS = [
    0x00080008,
    0x00080016,
    0x00209311,
    0x00280002,
    0x00280004,
    0x00280006,
    0x00280008,
    0x00280010,
    0x00280011,
    0x00280100,
    0x00280101,
    0x00280102,
    0x00280103,
    0x00480006,
    0x00480007,
    0x00480105,
    0x00480302,
    0x00480303,
    0x7FE00008,
    0x7FE00009,
]


@dataclass
class Frames:
    """One data set's frames: the buffer that holds them and where each one is, as the engine takes them."""

    ds: Dataset  # the header (a Dataset source: the data set itself)
    layout: PixelLayout
    transfer_syntax: str
    codec: Codec | None  # None: a transfer syntax the engine does not decode (pydicom does)
    buffer: Any  # mmap, bytes or memoryview
    offsets: npt.NDArray[np.uint64]  # per fragment (native: per frame; bit offsets for Bits Allocated 1)
    lengths: npt.NDArray[np.uint64]
    frame_fragments: npt.NDArray[np.uint64] | None
    extended: bool  # the table came from an Extended Offset Table: items are checked as frames are read
    table: FrameTable | None = None  # encapsulated Pixel Data, whatever the transfer syntax
    _mm: mmap.mmap | None = None
    _caller_file: tuple[IO[bytes], int] | None = None  # the caller's file object and where it was
    table_error: str | None = None  # why there is no table for a transfer syntax pydicom decodes
    # A file cut short in its Pixel Data (open_partial): frames 0 .. whole_frames - 1 are whole (the table holds
    # those only), and where the file ends, for messages. None: every frame is in the file.
    whole_frames: int | None = None
    truncation: str | None = None
    # A lazy table (``FrameTable._lazy``: a Basic or Extended Offset Table read where it lies in the file):
    # offsets, lengths and frame_fragments are empty until ``selected`` reads the items of the frames read; opening
    # the file read none of them but the first and last frames'.
    lazy: bool = False
    # Set by ``selected``: the file's frame number of each frame of this selection, which messages name.
    frame_numbers: npt.NDArray[np.int64] | None = None

    def number(self, i: int) -> int:
        """The file's frame number of this table's frame ``i`` (a selection's: ``frame_numbers``)."""
        return i if self.frame_numbers is None else int(self.frame_numbers[i])

    def selected(self, sel: npt.NDArray[np.int64] | None) -> tuple[Frames, npt.NDArray[np.int64] | None]:
        """These frames as the engine takes them for the frames ``sel`` (None: all): a lazy table's selected frames
        walked now (their own table, each item checked, an error naming a broken frame) with their indices in it;
        any other, as it is."""
        if not self.lazy:
            return self, sel
        assert self.table is not None
        idx = np.arange(len(self.table), dtype=np.int64) if sel is None else sel
        offsets, lengths, ff = self.table._select(self.buffer, idx)
        picked = replace(self, offsets=offsets, lengths=lengths, frame_fragments=ff, lazy=False, frame_numbers=idx)
        return picked, np.arange(len(idx), dtype=np.int64)

    def close(self) -> None:
        if isinstance(self.buffer, memoryview):
            self.buffer.release()  # a BytesIO's getbuffer(): the BytesIO can grow again
        self.buffer = b""
        if self._mm is not None:
            self._mm.close()
        if self._caller_file is not None:  # as pydicom does, the file object is left where it was
            f, pos = self._caller_file
            self._caller_file = None
            if not f.closed:
                f.seek(pos)

    def __enter__(self) -> Frames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(source: Source) -> Frames:
    """The frames of a path, a binary file object or a ``Dataset``. Raises ``ValueError`` for an
    inconsistent data set, :class:`EncapsulationError` for broken encapsulation, ``OSError`` for I/O."""
    from pydicom.dataset import Dataset

    if isinstance(source, Dataset):
        return _from_dataset(source)
    if isinstance(source, (str, bytes, os.PathLike)):  # bytes: a path, as open() takes it
        return _from_path(source)
    if not hasattr(source, "read"):
        raise TypeError(
            f"source must be a path, a binary file object or a pydicom Dataset, not {type(source).__name__}"
        )
    f = cast("IO[bytes]", source)
    start = f.tell()
    f.seek(0)
    mm: mmap.mmap | None = None
    buffer: Any = b""
    try:
        deflated = open_deflated(f, _from_buffer)  # PS3.5 A.5: the data set is inflated to a temporary file first
        if deflated is not None:
            f.seek(start)  # its frames do not need the caller's file
            return deflated
        try:
            fileno = f.fileno()
            if os.fstat(fileno).st_size == 0:
                raise ValueError(f"{getattr(f, 'name', 'the file')} is empty, not a DICOM file")
            mm = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
            buffer = mm
        except (OSError, io.UnsupportedOperation, AttributeError):
            buffer = f.getbuffer() if isinstance(f, io.BytesIO) else f.read()
            f.seek(0)
        frames = _from_buffer(f, buffer, mm)
    except BaseException:
        if isinstance(buffer, memoryview):
            buffer.release()
        if mm is not None:
            mm.close()
        f.seek(start)
        raise
    frames._caller_file = (f, start)
    return frames


def _from_path(path: PathLike) -> Frames:
    """A file: mapped whole (``MappedFile``; pages are read when touched), its header read by pydicom from
    the start. The map stays valid as long as any array or view made from it is alive."""
    buffer = MappedFile(path)  # refuses FIFOs, devices, /proc files and NUL bytes, as OSError or ValueError
    if len(buffer) == 0:
        raise ValueError(f"{os.fsdecode(path)!r} is empty, not a DICOM file")
    with open(path, "rb") as f:
        deflated = open_deflated(f, _from_buffer)  # PS3.5 A.5: the data set is inflated to a temporary file first
        return deflated if deflated is not None else _from_buffer(f, buffer, None)


def _from_buffer(f: IO[bytes], buffer: Any, mm: mmap.mmap | None) -> Frames:
    f.seek(0)
    ds = _read(f, convert=True, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
    floats = float_pixels_follow(f)
    ts = str(ds.file_meta.get("TransferSyntaxUID", "") if hasattr(ds, "file_meta") else "")
    if floats:  # pydicom decodes Float and Double Float Pixel Data (PS3.3 C.7.6.24); the engine has no frames
        return Frames(
            ds,
            float_layout(ds, floats),
            ts,
            None,
            buffer,
            *_empty(),
            False,
            None,
            mm,
            table_error=f"the pixels are {floats}, which pydicom decodes",
        )
    if not ts:  # pydicom cannot decode such a file either (it asks for the transfer syntax)
        raise ValueError(
            f"{getattr(f, 'name', 'the file')} has no (0002,0010) Transfer Syntax UID: it is not a DICOM file with "
            "file meta information (PS3.10 7.1), or it is truncated"
        )
    codec = _engine_codec(ts, ds)
    if codec is None:  # pydicom decodes; the frame table still serves raw access
        table, why = _any_table(ds, buffer)
        cut = any_cut(ds, buffer) if table is None else None
        if cut is not None and cut.whole < cut.frames and not TRUNCATED_OK.get():  # pixel_array: the first missing
            raise missing_frames_error([cut.whole], cut.whole, cut.frames, cut.note)  # frame, not pydicom's error
        if cut is not None:  # FrameReader: the whole frames' codestreams, for pydicom
            table, why = cut.table, None
        return Frames(
            ds, _layout_or_none(ds), ts, None, buffer, *_empty(), False, table, mm, table_error=why, **cut_fields(cut)
        )
    layout = layout_of(ds)
    if ts == BIG_ENDIAN:  # locate_pixel_data reads little endian data sets only
        return _big_endian(f, ds, layout, buffer, mm)
    loc = _locate_in_buffer(buffer)
    if loc.encapsulated != (codec != "native"):
        raise EncapsulationError(
            f"the transfer syntax {ts} needs {'encapsulated' if codec != 'native' else 'native'} Pixel Data, "
            f"but the Pixel Data at offset {loc.offset} is {'encapsulated' if loc.encapsulated else 'native'}"
        )
    if codec == "native":
        assert loc.length is not None
        return _native(ds, layout, ts, buffer, loc.offset, loc.length, mm, loc.vr)
    table, cut = table_or_cut(buffer, loc, layout)
    if table._lazy:  # frames' items read and checked as they are read (Frames.selected)
        return Frames(ds, layout, ts, codec, buffer, *_empty(), False, table, mm, lazy=True, **cut_fields(cut))
    return Frames(
        ds,
        layout,
        ts,
        codec,
        buffer,
        table.offsets,
        table.lengths,
        table.frame_fragments,
        table.source == "extended",
        table,
        mm,
        **cut_fields(cut),
    )


def _any_table(ds: Dataset, buffer: Any) -> tuple[FrameTable | None, str | None]:
    """The frame table of encapsulated Pixel Data in a transfer syntax pydicom decodes (JPEG, ...), for
    access to the codestreams, or None and why not: pydicom decodes the pixels and says what it finds wrong,
    the reason is kept for FrameReader.raw."""
    try:
        loc = _locate_in_buffer(buffer)
        if not loc.encapsulated:
            return None, "the Pixel Data is native"
        return loc.frame_table(buffer, number_of_frames(ds), lazy=True), None
    except (ValueError, TypeError) as e:
        return None, str(e)


#: (7FE0,0008) Float Pixel Data and (7FE0,0009) Double Float Pixel Data, little and big endian.
_FLOAT_TAGS = {
    b"\xe0\x7f\x08\x00": "Float Pixel Data",
    b"\xe0\x7f\x09\x00": "Double Float Pixel Data",
    b"\x7f\xe0\x00\x08": "Float Pixel Data",
    b"\x7f\xe0\x00\x09": "Double Float Pixel Data",
}


def float_pixels_follow(f: IO[bytes]) -> str:
    """After a ``stop_before_pixels`` read, which stops before (7FE0,0008) and (7FE0,0009) too: the name of the
    float pixel element that comes next, or "" (the file is left where it was)."""
    at = f.tell()
    tag = f.read(4)
    f.seek(at)
    return _FLOAT_TAGS.get(tag, "")


def _read(f: IO[bytes], convert: bool = False, **kwargs: Any) -> Dataset:
    """pydicom's ``dcmread`` (with ``convert``, every element's value converted at once); a file that ends inside
    an element's header or value is a ``ValueError``, not the ``struct.error`` or ``BytesLengthException`` that
    pydicom's reader lets through."""
    from pydicom import dcmread
    from pydicom.errors import BytesLengthException

    try:
        ds = dcmread(f, force=True, **kwargs)
        if convert:
            for _ in ds:  # iterating converts the raw elements, so a value cut short fails here
                pass
        return ds
    except (struct.error, EOFError, BytesLengthException) as e:
        name = getattr(f, "name", "the file")
        raise ValueError(f"{name} is truncated or malformed: its data set cannot be read ({e})") from e


def _big_endian(f: IO[bytes], ds: Dataset, layout: PixelLayout, buffer: Any, mm: mmap.mmap | None) -> Frames:
    """Explicit VR Big Endian (native only, PS3.5 A.3): pydicom finds the Pixel Data value without reading it."""
    from pydicom.dataelem import RawDataElement

    f.seek(0)
    full = _read(f, defer_size=64, specific_tags=[0x7FE00010])
    elem = full.get_item(0x7FE00010, keep_deferred=True)  # still raw: its value's offset and length
    if not isinstance(elem, RawDataElement):
        raise ValueError("the data set has no (7FE0,0010) Pixel Data")
    if elem.length == 0xFFFFFFFF:
        raise EncapsulationError(f"the transfer syntax {BIG_ENDIAN} needs native Pixel Data, but it is encapsulated")
    # A value cut short by the end of the file: _native counts the frames wholly in it, and reading another one
    # is an error naming it (as for little endian data).
    if elem.value_tell is None or elem.value_tell > len(buffer):
        raise EncapsulationError(
            f"truncated Pixel Data: its value of {elem.length} bytes at offset {elem.value_tell} runs past the end of "
            f"the {len(buffer)}-byte file"
        )
    return _native(ds, layout, BIG_ENDIAN, buffer, elem.value_tell, elem.length, mm, elem.VR)


def _from_dataset(ds: Dataset) -> Frames:
    file_meta = getattr(ds, "file_meta", None)
    ts = str(file_meta.get("TransferSyntaxUID", "")) if file_meta is not None else ""
    if not ts:
        raise ValueError("the data set's file_meta has no (0002,0010) Transfer Syntax UID")
    codec = _engine_codec(ts, ds)
    if codec is None:
        return Frames(ds, _layout_or_none(ds), ts, None, b"", *_empty(), False)
    layout = layout_of(ds)
    if "PixelData" not in ds:
        raise ValueError("the data set has no (7FE0,0010) Pixel Data")
    value = ds.PixelData
    if codec == "native":
        return _native(ds, layout, ts, value, 0, len(value), None, ds["PixelData"].VR)
    eo, el = ds.get("ExtendedOffsetTable"), ds.get("ExtendedOffsetTableLengths")
    table = _table(lambda: frame_table(value, layout.number_of_frames, eo, el, ts), layout)
    return Frames(
        ds,
        layout,
        ts,
        codec,
        value,
        table.offsets,
        table.lengths,
        table.frame_fragments,
        table.source == "extended",
        table,
    )


def _native(
    ds: Dataset,
    layout: PixelLayout,
    ts: str,
    buffer: Any,
    offset: int,
    length: int,
    mm: mmap.mmap | None,
    vr: str | None,
) -> Frames:
    n = layout.number_of_frames
    if layout.bits_allocated == 1:  # PS3.5 8.1.1: frames follow each other bit by bit, not byte-aligned
        need = (n * layout.pixels_per_frame + 7) // 8
        offsets = np.arange(n, dtype=np.uint64) * np.uint64(layout.pixels_per_frame) + np.uint64(8 * offset)
    else:
        need = n * layout.stored_frame_size
        offsets = np.arange(n, dtype=np.uint64) * np.uint64(layout.stored_frame_size) + np.uint64(offset)
    if length < need:
        raise ValueError(
            f"(0028,0008) Number of Frames {n} with {layout.describe()} needs {need} bytes of Pixel Data, "
            f"but it holds {length}"
        )
    whole, note = _native_cut(layout, len(buffer), offset)
    if ts == BIG_ENDIAN and layout.bits_allocated == 8 and vr == "OW":  # swapped 8-bit words: pydicom's case
        return Frames(ds, layout, ts, None, buffer, *_empty(), False, None, mm, whole_frames=whole, truncation=note)
    lengths = np.full(n, layout.stored_frame_size, dtype=np.uint64)
    return Frames(
        ds, layout, ts, "native", buffer, offsets, lengths, None, False, None, mm, whole_frames=whole, truncation=note
    )


def _native_cut(layout: PixelLayout, size: int, offset: int) -> tuple[int | None, str | None]:
    """How many native frames are wholly in a file of ``size`` bytes whose Pixel Data value starts at ``offset``,
    and where the file ends (None, None: every frame is in it). The engine checks each frame it reads again."""
    n = layout.number_of_frames
    if layout.bits_allocated == 1:  # PS3.5 8.1.1: frame i is bits i * pixels .. (i + 1) * pixels of the value
        per, there = layout.pixels_per_frame, 8 * (size - offset)
    else:
        per, there = layout.stored_frame_size, size - offset
    whole = min(n, max(0, there) // max(1, per))
    if whole == n:
        return None, None
    inside = there > whole * per
    return whole, (
        f"it ends at byte {size} inside frame {whole}"
        if inside
        else f"it ends at byte {size}, where frame {whole} would start"
    )


def open_partial(source: Source) -> Frames:
    """``open_source`` for ``FrameReader``: a file cut short in its Pixel Data opens with the frames that are
    whole (``Frames.whole_frames``, ``Frames.truncation``) instead of raising; ``pixel_array`` keeps refusing it."""
    token = TRUNCATED_OK.set(True)
    try:
        return open_source(source)
    finally:
        TRUNCATED_OK.reset(token)


def _table(make: Any, layout: PixelLayout) -> FrameTable:
    try:
        table: FrameTable = make()
    except EncapsulationError as e:
        raise EncapsulationError(
            f"{e} (the data set's (0028,0008) Number of Frames is {layout.number_of_frames})"
        ) from None
    return table


def _engine_codec(ts: str, ds: Dataset) -> Codec | None:
    """How the engine decodes this data set's frames, or None when pydicom does."""
    if ts in IMAGE_CODECS:
        if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
            return None
        try:
            return image_codec(ts, layout_of(ds))
        except ValueError:  # pydicom says what is wrong with the data set
            return None
    codec = CODECS.get(ts)
    return None if codec is None or _delegated(ds) else codec


def _delegated(ds: Dataset) -> bool:
    """Data sets the engine leaves to pydicom: float pixels, native YBR_FULL_422 (pydicom resamples)."""
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        return True
    ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
    return CODECS.get(ts) == "native" and str(ds.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422"


def _layout_or_none(ds: Dataset) -> PixelLayout:
    try:
        return layout_of(ds)
    except ValueError:
        return PixelLayout(0, 0, 0, 0, 0, 0, 0, "", 0)


def _empty() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], None]:
    return np.zeros(0, np.uint64), np.zeros(0, np.uint64), None
