"""Data sets for the whole-data-set tests (pixel_array, iter_pixels, compress, decompress), built from numpy
arrays with pydicom, zlib and plain Python only, never with framecodec: the Pixel Data they hold is an
independent reference for what framecodec reads and writes.

A test describes the pixels with a :class:`Layout`, draws values with :func:`make_pixels` (shaped as
``pydicom.pixels.pixel_array`` returns them), and stores them natively (:func:`native_dataset`, any of the
three native transfer syntaxes, planar configuration 0 or 1, bit-packed 1-bit frames one after another, with
or without garbage in the bits above Bits Stored) or encapsulated (:func:`encapsulated_dataset`: Deflated
Image Frame Compression with ``zlib``, RLE Lossless with pydicom's encoder, Encapsulated Uncompressed; one or
several fragments per frame; Basic or Extended Offset Table). :func:`reference` is pydicom's array, decoded
by pydicom's own plugins chosen by name or without framecodec, never by framecodec's plugin.
"""

from __future__ import annotations

import copy
import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset, validate_file_meta
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.uid import UID, generate_uid

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
DEFLATE = "1.2.840.10008.1.2.8.1"  # Deflated Image Frame Compression (PS3.5 8.2.16)
RLE = "1.2.840.10008.1.2.5"
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
NATIVE = [EXPLICIT, IMPLICIT, BIG_ENDIAN]
ENCAPSULATED = [DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED]
NAMES = {
    IMPLICIT: "implicit",
    EXPLICIT: "explicit",
    BIG_ENDIAN: "big",
    DEFLATE: "deflate",
    RLE: "rle",
    ENCAPSULATED_UNCOMPRESSED: "encaps-uncompressed",
}

# Multi-frame Grayscale Word / True Color Secondary Capture, Segmentation: the SOP class matters to nobody here.
SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7.3"
PYDICOM_31 = hasattr(pydicom.uid, "DeflatedImageFrameCompression")


@dataclass(frozen=True)
class Layout:
    """The Image Pixel module of a test data set."""

    rows: int
    columns: int
    samples: int = 1
    bits: int = 8  # Bits Allocated
    stored: int | None = None  # Bits Stored, default Bits Allocated
    signed: bool = False
    planar: int = 0
    frames: int = 1
    photometric: str | None = None  # default MONOCHROME2 or RGB
    number_of_frames: bool | None = None  # write (0028,0008); default: when frames > 1

    @property
    def bits_stored(self) -> int:
        return self.bits if self.stored is None else self.stored

    @property
    def dtype(self) -> np.dtype[Any]:
        """pydicom's dtype for these pixels (little endian)."""
        if self.bits == 1:
            return np.dtype(np.uint8)
        return np.dtype(f"<{'i' if self.signed else 'u'}{self.bits // 8}")

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (self.rows, self.columns) + ((self.samples,) if self.samples > 1 else ())

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of pydicom's whole array: a frame axis only for more than one frame."""
        return ((self.frames,) if self.frames > 1 else ()) + self.frame_shape

    @property
    def pi(self) -> str:
        return self.photometric or ("RGB" if self.samples == 3 else "MONOCHROME2")

    def but(self, **changes: Any) -> Layout:
        return replace(self, **changes)


def make_pixels(layout: Layout, seed: int = 0) -> npt.NDArray[Any]:
    """Values in the range of Bits Stored (0/1 for Bits Allocated 1), shaped as ``layout.shape``: random
    rows mixed with rows of runs, so that the compressed frames have both literals and repeats."""
    rng = np.random.default_rng(seed)
    shape = (layout.frames,) + layout.frame_shape
    if layout.bits == 1:
        lo, hi = 0, 1
    elif layout.signed:
        lo, hi = -(1 << (layout.bits_stored - 1)), (1 << (layout.bits_stored - 1)) - 1
    else:
        lo, hi = 0, (1 << layout.bits_stored) - 1
    values = rng.integers(lo, hi, shape, dtype=np.int64, endpoint=True)
    if layout.rows > 1:  # every other row: a few long runs of one value
        runs = rng.integers(lo, hi, shape[:2] + (1,) * (len(shape) - 2), dtype=np.int64, endpoint=True)
        values[:, ::2] = runs[:, ::2]
    arr = values.astype(layout.dtype)
    return arr if layout.frames > 1 else arr[0]


def _frames(arr: npt.NDArray[Any], layout: Layout) -> npt.NDArray[Any]:
    """(frames, *frame_shape) whatever arr's frame axis."""
    return np.asarray(arr).reshape((layout.frames,) + layout.frame_shape)


def stored_values(arr: npt.NDArray[Any], layout: Layout, garbage: int | None = None) -> npt.NDArray[Any]:
    """The pixels as the unsigned integers Bits Allocated holds: two's complement, and with ``garbage`` (a seed)
    random bits above Bits Stored (PS3.5 8.1.1: they are not part of the value)."""
    if layout.bits == 1:
        return _frames(arr, layout).astype(np.uint8)
    u = _frames(arr, layout).astype(layout.dtype).view(layout.dtype.newbyteorder("=").str.replace("i", "u"))
    if garbage is not None and layout.bits_stored < layout.bits:
        rng = np.random.default_rng(garbage)
        mask = (1 << layout.bits_stored) - 1
        noise = rng.integers(0, 1 << layout.bits, u.shape, dtype=np.uint64, endpoint=False).astype(u.dtype)
        u = (u & u.dtype.type(mask)) | (noise & u.dtype.type(~mask & ((1 << layout.bits) - 1)))
    return u


def frame_bytes(values: npt.NDArray[Any], layout: Layout, byteorder: str = "<") -> list[bytes]:
    """Each frame's native bytes (PS3.5 8.1.1, 8.2.16): planar configuration 1 as one plane per sample,
    Bits Allocated 1 bit-packed per frame (first pixel in the least significant bit)."""
    out = []
    for frame in values:
        if layout.bits == 1:
            out.append(np.packbits(frame.reshape(-1), bitorder="little").tobytes())
            continue
        if layout.samples > 1 and layout.planar:
            frame = np.moveaxis(frame, -1, 0)
        out.append(np.ascontiguousarray(frame, dtype=frame.dtype.newbyteorder(byteorder)).tobytes())
    return out


def native_pixel_data(values: npt.NDArray[Any], layout: Layout, byteorder: str = "<") -> bytes:
    """Native Pixel Data: the frames one after another; 1-bit frames bit after bit, so a frame of a number
    of pixels that is not a multiple of 8 does not start on a byte boundary (PS3.5 8.1.1). Even length."""
    if layout.bits == 1:
        data = np.packbits(values.reshape(-1), bitorder="little").tobytes()
    else:
        data = b"".join(frame_bytes(values, layout, byteorder))
    return data + b"\x00" * (len(data) % 2)


def base_dataset(layout: Layout, transfer_syntax: str) -> Dataset:
    """A data set with file meta and the Image Pixel module of ``layout``, and no Pixel Data."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
    ds.file_meta.MediaStorageSOPClassUID = SOP_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = SOP_CLASS
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = layout.rows, layout.columns, layout.samples
    ds.PhotometricInterpretation = layout.pi
    if layout.samples > 1:
        ds.PlanarConfiguration = layout.planar
    ds.BitsAllocated = layout.bits
    ds.BitsStored = layout.bits_stored
    ds.HighBit = layout.bits_stored - 1
    ds.PixelRepresentation = int(layout.signed)
    if layout.number_of_frames if layout.number_of_frames is not None else layout.frames > 1:
        ds.NumberOfFrames = layout.frames
    # pydicom writes the data set as the transfer syntax says (little/big endian, implicit/explicit VR)
    return ds


def native_dataset(
    arr: npt.NDArray[Any], layout: Layout, transfer_syntax: str = EXPLICIT, garbage: int | None = None
) -> Dataset:
    """``arr`` stored as native Pixel Data in one of the three native transfer syntaxes."""
    ds = base_dataset(layout, transfer_syntax)
    byteorder = ">" if transfer_syntax == BIG_ENDIAN else "<"
    ds.PixelData = native_pixel_data(stored_values(arr, layout, garbage), layout, byteorder)
    ds["PixelData"].VR = "OB" if layout.bits <= 8 else "OW"
    return ds


def deflate_frame(frame: bytes, level: int = 6) -> bytes:
    """Python's zlib: a raw RFC 1951 stream (wbits -15: no header, no checksum), as PS3.5 8.2.16 stores it."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(frame) + c.flush()


def packbits_row(row: bytes) -> bytes:
    """PackBits (PS3.5 G.3.1): runs of three or more equal bytes replicated (header 1 - n), else literals."""
    out, i, n = bytearray(), 0, len(row)
    while i < n:
        j = i
        while j < n and j - i < 128 and row[j] == row[i]:
            j += 1
        if j - i >= 3:
            out += bytes([257 - (j - i), row[i]])
            i = j
            continue
        j = i  # a literal: up to the next run of three, at most 128 bytes
        while j < n and j - i < 128 and not (j + 2 < n and row[j] == row[j + 1] == row[j + 2]):
            j += 1
        out += bytes([j - i - 1]) + row[i:j]
        i = j
    return bytes(out)


def rle_frame(values: npt.NDArray[Any], layout: Layout) -> bytes:
    """One RLE Lossless frame (PS3.5 Annex G) from one frame of stored values (interleaved): one segment per
    byte plane, for each sample the most significant byte first, each row encoded on its own, segments
    padded to even length; Bits Allocated 1 one byte per pixel (G.2)."""
    bps = max(1, layout.bits // 8)
    planes = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).view(np.uint8)
    planes = planes.reshape(layout.rows, layout.columns, layout.samples, bps)
    segments = []
    for s in range(layout.samples):
        for b in reversed(range(bps)):
            seg = b"".join(packbits_row(planes[r, :, s, b].tobytes()) for r in range(layout.rows))
            segments.append(seg + b"\x00" * (len(seg) % 2))
    offsets, pos = [], 64
    for seg in segments:
        offsets.append(pos)
        pos += len(seg)
    header = struct.pack(f"<{1 + len(offsets)}I", len(segments), *offsets).ljust(64, b"\x00")
    return header + b"".join(segments)


def encode_frames(
    arr: npt.NDArray[Any], layout: Layout, transfer_syntax: str, garbage: int | None = None, level: int = 6
) -> list[bytes]:
    """Each frame of ``arr`` encoded for an encapsulated transfer syntax by the reference encoders."""
    values = stored_values(arr, layout, garbage)
    if transfer_syntax == RLE:
        return [rle_frame(v, layout) for v in values]
    native = frame_bytes(values, layout)
    if transfer_syntax == DEFLATE:
        return [deflate_frame(f, level) for f in native]
    assert transfer_syntax == ENCAPSULATED_UNCOMPRESSED
    return native


def encapsulated_value(frames: Sequence[bytes], fragments_per_frame: int = 1, bot: bool = True) -> bytes:
    """pydicom's encapsulation (PS3.5 A.4): each frame in ``fragments_per_frame`` even-length fragments."""
    if fragments_per_frame == 1:
        return encapsulate(list(frames), has_bot=bot)
    # pydicom splits a frame into equal parts and pads each to even length, which changes a frame whose
    # parts are odd-sized: split at even sizes here, so the joined fragments are the frame plus one pad byte
    items, offsets, pos = [], [], 0
    for f in frames:
        offsets.append(pos)
        f = f + b"\x00" * (len(f) % 2)
        step = max(2, (-(-len(f) // fragments_per_frame) + 1) & ~1)
        parts = [f[i : i + step] for i in range(0, len(f), step)]
        for p in parts:
            items.append(b"\xfe\xff\x00\xe0" + struct.pack("<I", len(p)) + p)
            pos += 8 + len(p)
    table = struct.pack(f"<{len(offsets)}I", *offsets) if bot else b""
    return b"\xfe\xff\x00\xe0" + struct.pack("<I", len(table)) + table + b"".join(items)


def encapsulated_dataset(
    arr: npt.NDArray[Any],
    layout: Layout,
    transfer_syntax: str,
    *,
    garbage: int | None = None,
    fragments_per_frame: int = 1,
    bot: bool = True,
    extended: bool = False,
    frames: Sequence[bytes] | None = None,
) -> Dataset:
    """``arr`` (or the given encoded ``frames``) in encapsulated Pixel Data."""
    ds = base_dataset(layout, transfer_syntax)
    if frames is None:
        frames = encode_frames(arr, layout, transfer_syntax, garbage)
    if extended:
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(list(frames))
    else:
        ds.PixelData = encapsulated_value(frames, fragments_per_frame, bot)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def dataset(arr: npt.NDArray[Any], layout: Layout, transfer_syntax: str, **kwargs: Any) -> Dataset:
    if transfer_syntax in NATIVE:
        return native_dataset(arr, layout, transfer_syntax, **kwargs)
    return encapsulated_dataset(arr, layout, transfer_syntax, **kwargs)


def to_bytes(ds: Dataset) -> bytes:
    """The data set as a DICOM file (preamble, file meta, data set in its transfer syntax)."""
    buf = io.BytesIO()
    save(ds, buf)
    return buf.getvalue()


def save(ds: Dataset, path: Any) -> Any:
    """``save_as`` with the file meta; pydicom 3.0 does not know Deflated Image Frame Compression (explicit VR
    little endian), so it is told the encoding."""
    if UID(ds.file_meta.TransferSyntaxUID).is_transfer_syntax:
        ds.save_as(path, enforce_file_format=True)
        return path
    # what enforce_file_format does, by hand: pydicom 3.0 refuses it together with force_encoding
    validate_file_meta(ds.file_meta, enforce_standard=True)
    ds.preamble = b"\x00" * 128
    ds.save_as(path, implicit_vr=False, little_endian=True, force_encoding=True)
    return path


#: The decoders a reference may use for the JPEG family, in order of preference (pydicom's plugin names): never
#: "framecodec", which ``import framecodec`` puts first in pydicom.
_JPEG_FAMILY_PLUGINS = ("pylibjpeg", "pyjpegls", "pillow", "gdcm")
_PILLOW_FIRST = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51")  # JPEG Baseline, Extended: libjpeg-turbo


def _transfer_syntax(source: Any) -> str:
    if isinstance(source, Dataset):
        return str(source.file_meta.TransferSyntaxUID)
    if isinstance(source, io.IOBase):
        source.seek(0)
    ts = str(pydicom.dcmread(source, stop_before_pixels=True).file_meta.TransferSyntaxUID)
    if isinstance(source, io.IOBase):
        source.seek(0)
    return ts


def _read(source: Any) -> Dataset:
    if isinstance(source, Dataset):
        return source
    if isinstance(source, io.IOBase):
        source.seek(0)
    return pydicom.dcmread(source)


def _rle_decode(frame: bytes, ds: Dataset) -> bytes:
    """PS3.5 Annex G in plain Python: each segment PackBits-decoded (G.3.1), the byte planes (most significant
    first for each sample) put back together as interleaved little endian; Bits Allocated 1: a byte per pixel."""
    pixels = int(ds.Rows) * int(ds.Columns)
    samples, bps = int(ds.SamplesPerPixel), max(1, int(ds.BitsAllocated) // 8)
    count, *offsets = struct.unpack("<16I", frame[:64])
    if count != samples * bps:
        raise ValueError(f"RLE frame of {count} segments, {samples * bps} expected")
    ends = offsets[1:count] + [len(frame)]
    planes = np.empty((pixels, samples, bps), np.uint8)
    for k, (a, b) in enumerate(zip(offsets[:count], ends)):
        seg, out, i = frame[a:b], bytearray(), 0
        while len(out) < pixels and i < len(seg):
            h, i = seg[i], i + 1
            if h < 128:
                out += seg[i : i + h + 1]
                i += h + 1
            elif h > 128:
                out += seg[i : i + 1] * (257 - h)
                i += 1
        if len(out) < pixels:
            raise ValueError(f"RLE segment {k} decodes to {len(out)} bytes, {pixels} expected")
        planes[:, k // bps, bps - 1 - k % bps] = np.frombuffer(bytes(out[:pixels]), np.uint8)
    return planes.tobytes()


def _native_twin(ds: Dataset) -> Dataset:
    """``ds`` (Deflated Image Frame Compression, Encapsulated Uncompressed or RLE Lossless) with its frames decoded
    without framecodec (Python's zlib, numpy, :func:`_rle_decode`) and stored as native Explicit VR Little Endian
    Pixel Data, so that pydicom's native decoder (which has no plugins) gives the array: the same shape, dtype and
    colour handling as pydicom's array of ``ds``."""
    from pydicom.encaps import generate_frames

    ts = str(ds.file_meta.TransferSyntaxUID)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    samples, bits = int(ds.SamplesPerPixel), int(ds.BitsAllocated)
    pixels = int(ds.Rows) * int(ds.Columns) * samples
    length = -(-pixels // 8) if bits == 1 else pixels * bits // 8  # PS3.5 8.2.16, A.4.11: whole bytes a frame
    eot = None
    if "ExtendedOffsetTable" in ds:
        eot = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    frames = []
    for k, frame in enumerate(generate_frames(ds.PixelData, number_of_frames=n, extended_offsets=eot)):
        if ts == DEFLATE:
            d = zlib.decompressobj(-15)  # a raw RFC 1951 stream (PS3.5 8.2.16)
            data = d.decompress(frame)
            if not d.eof:
                raise ValueError(f"frame {k}: the deflate stream does not end")
        elif ts == RLE:
            data = _rle_decode(frame, ds)
            if bits == 1:  # a byte per pixel, 0 or 1
                data = np.packbits(np.frombuffer(data, np.uint8), bitorder="little").tobytes()
        else:
            data = frame
        if not length <= len(data) <= length + 1:  # a frame padded to even length at most
            raise ValueError(f"frame {k}: {len(data)} bytes, {length} expected")
        frames.append(data[:length])
    if bits == 1:  # native 1-bit frames follow each other bit after bit (PS3.5 8.1.1)
        bits_of = [np.unpackbits(np.frombuffer(f, np.uint8), bitorder="little")[:pixels] for f in frames]
        native = np.packbits(np.concatenate(bits_of), bitorder="little").tobytes()
    else:
        native = b"".join(frames)
    # copies of the elements: setting a value on a shared element would change ``ds`` too
    twin = Dataset()
    for elem in ds:
        if elem.keyword not in ("PixelData", "ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
            twin.add(copy.copy(elem))
    twin.file_meta = FileMetaDataset()
    for elem in ds.file_meta:
        twin.file_meta.add(copy.copy(elem))
    twin.file_meta.TransferSyntaxUID = UID(EXPLICIT)
    if ts == RLE and samples > 1:
        twin.PlanarConfiguration = 0  # _rle_decode interleaves the samples
    twin.PixelData = native + b"\x00" * (len(native) % 2)
    twin["PixelData"].VR = "OB" if bits <= 8 else "OW"
    twin["PixelData"].is_undefined_length = False
    return twin


def independent_plugin(transfer_syntax: str) -> str:
    """The plugin of pydicom's that decodes ``transfer_syntax`` for a reference: pydicom's own for RLE (and for
    Deflated Image Frame Compression on pydicom 3.1), else for the JPEG family the first installed of
    Pillow (JPEG 8/12-bit), pylibjpeg, pyjpegls, Pillow, GDCM. "" for the native syntaxes (Deflated Explicit VR
    Little Endian too: no plugins there) and for those pydicom has no decoder of its own for (3.0's Deflated Image
    Frame Compression, Encapsulated Uncompressed): :func:`reference` decodes those itself. Never "framecodec"."""
    if transfer_syntax == ENCAPSULATED_UNCOMPRESSED:
        return ""
    if transfer_syntax == RLE:
        return "pydicom"
    if transfer_syntax == DEFLATE:
        return "pydicom" if PYDICOM_31 else ""
    if transfer_syntax in NATIVE or not UID(transfer_syntax).is_compressed:  # Deflated Explicit VR too
        return ""
    from pydicom.pixels.decoders.base import get_decoder

    available = [p for p in get_decoder(UID(transfer_syntax)).available_plugins if p != "framecodec"]
    order = (("pillow",) if transfer_syntax in _PILLOW_FIRST else ()) + _JPEG_FAMILY_PLUGINS
    for plugin in order:
        if plugin in available:
            return plugin
    raise RuntimeError(f"no decoder of pydicom's but framecodec's is installed for {UID(transfer_syntax).name}")


def reference(source: Any, index: Any = None, raw: bool = False, **kwargs: Any) -> npt.NDArray[Any]:
    """pydicom's array of ``source`` (``pydicom.pixels.pixel_array(source, raw=raw)``), never framecodec's:
    ``import framecodec`` puts framecodec's plugin first in pydicom, so the decoder is chosen here by
    :func:`independent_plugin` (or ``decoding_plugin=``, which may not be "framecodec"), and where pydicom has no
    decoder of its own (Encapsulated Uncompressed; Deflated Image Frame Compression on 3.0; RLE of Bits Allocated
    1 on 3.0) the frames are decoded without framecodec and handed to pydicom as native data.
    The frames are selected by ``index`` as framecodec's ``pixel_array`` selects them. pydicom's own ``index=`` is
    not used: it cannot decode the last frame of native 1-bit data whose frames do not end on a byte boundary
    (3.0.2 and 3.1.dev0: a reshape error)."""
    from pydicom.pixels import pixel_array

    plugin = kwargs.pop("decoding_plugin", "") or ""
    if plugin == "framecodec":
        raise ValueError("a reference never decodes with framecodec")
    ts = _transfer_syntax(source)
    plugin = plugin or independent_plugin(ts)
    bits = int(_read(source).BitsAllocated) if ts == RLE and not PYDICOM_31 else 0
    if (ts in (DEFLATE, ENCAPSULATED_UNCOMPRESSED) and not plugin) or bits == 1:  # 3.0 refuses 1-bit RLE
        arr = pixel_array(_native_twin(_read(source)), raw=raw, **kwargs)
    else:
        if isinstance(source, io.IOBase):
            source.seek(0)
        arr = pixel_array(source, raw=raw, decoding_plugin=plugin, **kwargs)
    if index is None:
        return arr
    if isinstance(source, io.IOBase):
        source.seek(0)
    ds = source if isinstance(source, Dataset) else pydicom.dcmread(source, stop_before_pixels=True)
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        arr = arr[None]
    if isinstance(index, (int, np.integer, slice)):
        return arr[index]
    return arr[np.asarray(index, dtype=np.intp)]


def assert_identical(got: npt.NDArray[Any], expected: npt.NDArray[Any]) -> None:
    """Same dtype (byte order included), shape and values."""
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_array_equal(got, expected)
