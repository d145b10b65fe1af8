"""References for tests/test_writer_*.py and tests/test_transcode_*.py (FrameWriter and transcode), none of them
framecodec: a written file is read with pydicom (``dcmread``, ``pydicom.encaps``), its frames decoded with
pydicom's own decoders named explicitly (``decoding_plugin="pydicom"`` / ``"pylibjpeg"`` / ``"pillow"``; native
data through pydicom's native path) or, for the syntaxes pydicom 3.0 has no decoder for (Deflated Image Frame
Compression, Encapsulated Uncompressed), with Python's zlib and numpy from the frames ``generate_frames`` yields;
the encapsulation is walked item by item here (PS3.5 A.4).

``import framecodec`` puts framecodec's plugins first in pydicom, so nothing here uses pydicom's default choice.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array as pydicom_pixel_array

from datasets import BIG_ENDIAN, DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, IMPLICIT, PYDICOM_31, RLE

NATIVE_SYNTAXES = (EXPLICIT, IMPLICIT, BIG_ENDIAN)
#: What FrameWriter.write encodes, by the name transcode takes.
TARGETS = {"deflate": DEFLATE, "rle": RLE, "explicit": EXPLICIT, "encapsulated-uncompressed": ENCAPSULATED_UNCOMPRESSED}
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
ITEM_TAG = b"\xfe\xff\x00\xe0"
DELIMITER_TAG = b"\xfe\xff\xdd\xe0"
#: The writer's temporary file: ``.{name}.<random>.framecodec-tmp`` in the output's folder.
TMP_PATTERN = re.compile(r"^\..+\..+\.framecodec-tmp$")


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def temporaries(folder: Path) -> list[str]:
    """Anything in ``folder`` that looks like a writer's temporary file."""
    return [n for n in listing(folder) if n.endswith(".framecodec-tmp") or TMP_PATTERN.match(n)]


def pad(b: bytes) -> bytes:
    return b + b"\x00" * (len(b) % 2)


# ------------------------------------------------------------------------------------ frames and decoding


def number_of_frames(ds: Dataset) -> int:
    return int(ds.get("NumberOfFrames", 1) or 1)


def frame_shape(ds: Dataset) -> tuple[int, ...]:
    samples = int(ds.SamplesPerPixel)
    return (int(ds.Rows), int(ds.Columns)) + ((samples,) if samples > 1 else ())


def native_frame_length(ds: Dataset) -> int:
    """Bytes of one frame's native (interleaved, PS3.5 8.1.1) values; 1-bit frames bit-packed on their own
    (PS3.5 8.2.16, A.4.11: each encapsulated frame starts on a byte boundary)."""
    pixels = int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel)
    bits = int(ds.BitsAllocated)
    return -(-pixels // 8) if bits == 1 else pixels * (bits // 8)


def pydicom_dtype(ds: Dataset) -> np.dtype[Any]:
    bits = int(ds.BitsAllocated)
    if bits == 1:
        return np.dtype(np.uint8)
    return np.dtype(f"<{'i' if int(ds.PixelRepresentation) else 'u'}{bits // 8}")


def decode_native_frame(data: bytes, ds: Dataset) -> npt.NDArray[Any]:
    """One frame's little-endian native bytes as pydicom's pixel_array gives the frame: 1-bit frames unpacked
    (first pixel in the least significant bit, PS3.5 8.1.1), the bits above Bits Stored ignored and signed values
    sign-extended from Bits Stored (PS3.5 8.1.1: only Bits Stored bits are the value)."""
    shape = frame_shape(ds)
    count = int(np.prod(shape))
    bits, stored = int(ds.BitsAllocated), int(ds.BitsStored)
    if bits == 1:
        unpacked = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")[:count]
        return unpacked.reshape(shape)
    assert int(ds.get("PlanarConfiguration", 0) or 0) == 0, "the frames are read as interleaved"
    raw = np.frombuffer(data, f"<u{bits // 8}", count).astype(np.int64)
    values = raw & ((1 << stored) - 1)
    if int(ds.PixelRepresentation):
        values = np.where(values >= 1 << (stored - 1), values - (1 << stored), values)
    return values.astype(pydicom_dtype(ds)).reshape(shape)


def encapsulated_frames(ds: Dataset) -> list[bytes]:
    """The frames of encapsulated Pixel Data by pydicom's generate_frames (the Extended Offset Table when the
    data set has one), padding included."""
    ext = None
    if "ExtendedOffsetTable" in ds:
        ext = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    return list(generate_frames(ds.PixelData, number_of_frames=number_of_frames(ds), extended_offsets=ext))


def stack(frames: list[npt.NDArray[Any]], ds: Dataset) -> npt.NDArray[Any]:
    """pydicom's shape: a frame axis only when there is more than one frame."""
    arr = np.stack(frames) if frames else np.zeros((0,) + frame_shape(ds), pydicom_dtype(ds))
    return arr if number_of_frames(ds) > 1 else arr[0]


def decode_deflated(ds: Dataset) -> npt.NDArray[Any]:
    """Deflated Image Frame Compression (PS3.5 8.2.16) with Python's zlib: each frame a raw deflate stream (wbits
    -15), which must inflate to exactly one frame's native bytes."""
    out = []
    for i, frame in enumerate(encapsulated_frames(ds)):
        native = zlib.decompress(frame, -15)
        assert len(native) == native_frame_length(ds), f"frame {i} inflates to {len(native)} bytes"
        out.append(decode_native_frame(native, ds))
    return stack(out, ds)


def decode_encapsulated_uncompressed(ds: Dataset) -> npt.NDArray[Any]:
    """Encapsulated Uncompressed (PS3.5 A.4.11): each fragment one frame's native bytes, plus one pad byte
    when their number is odd."""
    out = []
    length = native_frame_length(ds)
    for i, frame in enumerate(encapsulated_frames(ds)):
        assert len(frame) == length + length % 2, f"frame {i}: {len(frame)} bytes, {length} expected (padded)"
        assert frame[length:] in (b"", b"\x00"), f"frame {i}: the pad byte is not 0x00"
        out.append(decode_native_frame(frame[:length], ds))
    return stack(out, ds)


def rle_plugin(ds: Dataset) -> str:
    """pydicom's own RLE decoder, or pylibjpeg-rle for 1-bit frames (pydicom 3.0's own refuses them)."""
    return "pylibjpeg" if int(ds.BitsAllocated) == 1 and not PYDICOM_31 else "pydicom"


def own_decode(path: Path | str, raw: bool = True) -> npt.NDArray[Any]:
    """The pixels of a file as pydicom's own decoders (or zlib and numpy) give them, shaped and typed as
    ``pydicom.pixels.pixel_array``; ``raw``: YBR kept (the stored values), as framecodec's syntaxes store them."""
    ds = pydicom.dcmread(path)
    ts = str(ds.file_meta.TransferSyntaxUID)
    if ts in NATIVE_SYNTAXES:
        return pydicom_pixel_array(os.fspath(path), raw=raw)  # pydicom's native path: no plugin involved
    if ts == RLE:
        return pydicom_pixel_array(os.fspath(path), raw=raw, decoding_plugin=rle_plugin(ds))
    if ts == DEFLATE:
        arr = decode_deflated(ds)
        if PYDICOM_31 and int(ds.BitsAllocated) > 1:  # pydicom 3.1's own decoder must agree
            own = pydicom_pixel_array(os.fspath(path), raw=True, decoding_plugin="pydicom")
            np.testing.assert_array_equal(own, arr)
        return arr
    if ts == ENCAPSULATED_UNCOMPRESSED:
        return decode_encapsulated_uncompressed(ds)
    if ts == JPEG_BASELINE:
        return pydicom_pixel_array(os.fspath(path), raw=raw, decoding_plugin="pillow")
    if ts == JPEG_2000_LOSSLESS:
        return pydicom_pixel_array(os.fspath(path), raw=raw, decoding_plugin="pylibjpeg")
    raise AssertionError(f"no reference decoder for {ts}")


# --------------------------------------------------------------------------------------- encapsulation


@dataclass
class Encapsulation:
    """Encapsulated Pixel Data walked item by item (PS3.5 A.4): the Basic Offset Table's values, each fragment
    item's offset (of its tag, from the first byte of the first item after the BOT) and value, and whether the
    sequence delimiter ends it."""

    bot: list[int]
    offsets: list[int]
    fragments: list[bytes]
    lengths: list[int]


def walk_items(value: bytes) -> Encapsulation:
    """Every item of an encapsulated value, pydicom's ``ds.PixelData`` (which ends before the delimiter)."""
    pos = 0
    items: list[tuple[int, bytes]] = []
    while pos < len(value):
        tag, length = value[pos : pos + 4], struct.unpack_from("<I", value, pos + 4)[0]
        if tag == DELIMITER_TAG:
            assert length == 0 and pos + 8 == len(value), "the delimiter ends the value"
            break
        assert tag == ITEM_TAG, f"an item tag at {pos}, not {tag.hex()}"
        assert length != 0xFFFFFFFF and pos + 8 + length <= len(value), f"item at {pos}: length {length}"
        items.append((pos, value[pos + 8 : pos + 8 + length]))
        pos += 8 + length
    assert items, "no Basic Offset Table item"
    table = items[0][1]
    assert len(table) % 4 == 0
    bot = list(struct.unpack(f"<{len(table) // 4}I", table))
    first = items[1][0] if len(items) > 1 else 0
    return Encapsulation(
        bot, [p - first for p, _ in items[1:]], [v for _, v in items[1:]], [len(v) for _, v in items[1:]]
    )


def check_offset_tables(ds: Dataset, kind: str) -> Encapsulation:
    """One even-length fragment per frame; ``kind`` "basic": the BOT holds every fragment's offset, no EOT;
    "extended": an empty BOT and the Extended Offset Table (uint64 offsets, lengths: pydicom's
    encapsulate_extended convention, the item's value length) pointing at them; "none": empty BOT, no EOT."""
    elem = ds["PixelData"]
    assert elem.is_undefined_length and elem.VR == "OB"
    enc = walk_items(ds.PixelData)
    n = number_of_frames(ds)
    assert len(enc.fragments) == n, f"{len(enc.fragments)} fragments for {n} frames"
    assert all(length % 2 == 0 for length in enc.lengths), enc.lengths
    if kind == "basic":
        assert enc.bot == enc.offsets
        assert "ExtendedOffsetTable" not in ds and "ExtendedOffsetTableLengths" not in ds
    elif kind == "extended":
        assert enc.bot == []
        assert ds["ExtendedOffsetTable"].VR == "OV" and ds["ExtendedOffsetTableLengths"].VR == "OV"
        assert np.frombuffer(ds.ExtendedOffsetTable, "<u8").tolist() == enc.offsets
        assert np.frombuffer(ds.ExtendedOffsetTableLengths, "<u8").tolist() == enc.lengths
    else:
        assert kind == "none"
        assert enc.bot == [] and "ExtendedOffsetTable" not in ds and "ExtendedOffsetTableLengths" not in ds
    # pydicom's own reading of the same value agrees
    assert encapsulated_frames(ds) == enc.fragments
    return enc


# ---------------------------------------------------------------------------------------- DICOM tools


def tool_reads(tool: str, path: Path) -> tuple[bool, str]:
    """Whether DCMTK's dcmdump / GDCM's gdcminfo reads the file without an error, and what it said."""
    if tool == "dcmdump":
        r = subprocess.run(["dcmdump", str(path)], capture_output=True, text=True, errors="replace", timeout=60)
        ok = r.returncode == 0 and "E: " not in r.stderr and "E: " not in r.stdout
    else:
        r = subprocess.run(["gdcminfo", str(path)], capture_output=True, text=True, errors="replace", timeout=60)
        ok = r.returncode == 0 and "Failed to read" not in r.stdout + r.stderr
    return ok, r.stdout + r.stderr


def require_tool(tool: str) -> None:
    import pytest

    if shutil.which(tool) is None:
        package = "dcmtk" if tool == "dcmdump" else "libgdcm-tools"
        pytest.skip(f"{tool} is not on PATH (apt-get install {package})")


# ----------------------------------------------------------------------------------------- JPEG tiles


def jpeg_tiles(frames: npt.NDArray[np.uint8], subsampling: int, quality: int = 90) -> list[bytes]:
    """JPEG Baseline codestreams made by Pillow (libjpeg-turbo), one per frame of ``frames`` (n, rows, columns[,
    3]); ``subsampling``: Pillow's 0 (4:4:4), 1 (4:2:2), 2 (4:2:0)."""
    from PIL import Image

    out = []
    for frame in frames:
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(frame)).save(buf, "JPEG", quality=quality, subsampling=subsampling)
        out.append(buf.getvalue())
    return out
