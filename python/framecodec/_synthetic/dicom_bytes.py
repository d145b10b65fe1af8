"""Writing DICOM files by hand where pydicom would be slow or cannot: the pieces shared by the synthetic slides
(slides.py and its modules) and the multi-frame files (files.py).

pydicom writes the data set up to the large elements; the Per-Frame Functional Groups Sequence, the Extended
Offset Table and the Pixel Data are then appended as bytes (explicit VR little endian), so that a file of
100,000 frames never holds a pydicom element per frame. Nothing here uses framecodec.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

EXPLICIT = "1.2.840.10008.1.2.1"  # Explicit VR Little Endian (native)
DEFLATE = "1.2.840.10008.1.2.8.1"  # Deflated Image Frame Compression
RLE = "1.2.840.10008.1.2.5"  # RLE Lossless
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"  # Encapsulated Uncompressed Explicit VR Little Endian
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
SYNTAX_NAMES = {
    EXPLICIT: "explicit",
    DEFLATE: "deflate",
    RLE: "rle",
    ENCAPSULATED_UNCOMPRESSED: "encaps-uncompressed",
    JPEG_BASELINE: "jpeg",
}
UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as pydicom.uid.generate_uid uses it

# VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2)
_LONG_VRS = (b"OB", b"OW", b"OV", b"SQ", b"UN", b"UT", b"UC", b"UR", b"OD", b"OF", b"OL")


def element(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    """One explicit VR little endian element of defined length."""
    if vr in _LONG_VRS:
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def item(body: bytes) -> bytes:
    """A sequence item (or an encapsulated fragment) of defined length."""
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


def text_value(s: str) -> bytes:
    """An ASCII string value padded to even length with a space."""
    b = s.encode("ascii")
    return b + b" " * (len(b) % 2)


def ds_value(v: float) -> bytes:
    """A Decimal String value (at most 16 characters)."""
    value = f"{v:.10g}"
    if len(value) > 16:
        value = f"{v:.6e}"
    return text_value(value)


def uid(*parts: object) -> str:
    """A UID made from ``parts`` (the same parts, the same UID, so files are reproducible), under pydicom's root."""
    digest = int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:16], "big")
    return (UID_ROOT + str(digest))[:64]


def code(value: str, scheme: str, meaning: str) -> Any:
    """A code sequence item."""
    from pydicom.dataset import Dataset

    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def write_dataset(f: BinaryIO, dataset: Any) -> None:
    """Write a data set with its File Meta Information (and preamble) in explicit VR little endian."""
    import pydicom
    from pydicom.dataset import validate_file_meta

    validate_file_meta(dataset.file_meta, enforce_standard=True)
    # pydicom 3.0 does not know Deflated Image Frame Compression: say how the data set is encoded (and so
    # validate the file meta by hand: 3.0 refuses enforce_file_format together with force_encoding)
    pydicom.dcmwrite(f, dataset, implicit_vr=False, little_endian=True, force_encoding=True)


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file opened for writing under a temporary name in ``path``'s folder, renamed to ``path`` when the block
    ends without an exception, removed otherwise: a reader never sees half a file, nor a failed write any."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------- pixel data

_ITEM = struct.Struct("<HHI")


def write_native_pixel_data(f: BinaryIO, chunks: Iterable[bytes], length: int, vr: bytes = b"OB") -> int:
    """Write a native Pixel Data element of ``length`` bytes from ``chunks`` (padded to even length: PS3.5
    7.1.1); return where its value starts in the file."""
    if length + length % 2 > 0xFFFFFFFE:
        raise ValueError(f"native Pixel Data of {length} bytes does not fit a 32-bit length: encapsulate it")
    f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, vr, 0, length + length % 2))
    start = f.tell()
    written = 0
    for chunk in chunks:
        f.write(chunk)
        written += len(chunk)
    if written != length:
        raise ValueError(f"the native Pixel Data is {written} bytes, not the {length} announced")
    f.write(b"\x00" * (length % 2))
    return start


def write_encapsulated_pixel_data(
    f: BinaryIO, frames: Iterable[bytes], count: int, offset_table: str = "basic"
) -> npt.NDArray[np.int64]:
    """Write ``count`` frames, one fragment each (padded to even length), as an encapsulated Pixel Data element
    (PS3.5 A.4), streaming: only the offsets are kept. ``offset_table``: "basic" (a Basic Offset Table),
    "empty" (an empty one) or "extended" (an empty one, and the Extended Offset Table and its Lengths written
    before the Pixel Data). The tables' room is written first and filled in at the end, so ``f`` must be
    seekable. Return each frame's encoded length (unpadded)."""
    if offset_table not in ("basic", "empty", "extended"):
        raise ValueError(f"offset_table must be 'basic', 'empty' or 'extended', not {offset_table!r}")
    eot_at = f.tell()
    if offset_table == "extended":  # (7FE0,0001) and (7FE0,0002) come before (7FE0,0010)
        f.write(element(0x7FE0, 0x0001, b"OV", bytes(8 * count)))
        f.write(element(0x7FE0, 0x0002, b"OV", bytes(8 * count)))
    f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
    bot_at = f.tell() + 8
    f.write(item(bytes(4 * count) if offset_table == "basic" else b""))
    first = f.tell()
    sizes = np.zeros(count, np.int64)
    offsets = np.zeros(count, np.int64)  # from the first fragment, as both tables count
    n = 0
    for frame in frames:
        if n == count:
            raise ValueError(f"more than the {count} frames announced")
        offsets[n] = f.tell() - first
        if offset_table == "basic" and offsets[n] > 0xFFFFFFFF:  # say so now, not after writing the rest
            raise ValueError("a Basic Offset Table cannot address this Pixel Data: use offset_table='extended'")
        sizes[n] = len(frame)
        f.write(_ITEM.pack(0xFFFE, 0xE000, len(frame) + len(frame) % 2))
        f.write(frame)
        f.write(b"\x00" * (len(frame) % 2))
        n += 1
    if n != count:
        raise ValueError(f"{n} frames written, not the {count} announced")
    f.write(_ITEM.pack(0xFFFE, 0xE0DD, 0))
    end = f.tell()
    if offset_table == "basic":
        f.seek(bot_at)
        f.write(offsets.astype("<u4").tobytes())
    elif offset_table == "extended":
        f.seek(eot_at + 12)  # past the OV element header: tag, VR, reserved, 32-bit length
        f.write(offsets.astype("<u8").tobytes())
        f.seek(eot_at + 12 + 8 * count + 12)
        f.write((sizes + sizes % 2).astype("<u8").tobytes())  # fragment lengths as padded (as pydicom writes)
    f.seek(end)
    return sizes


# ------------------------------------------------------------------------------ the JPEG family (slides)

JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"  # JPEG Extended (Process 2 & 4): 8- and 12-bit
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG_2000 = "1.2.840.10008.1.2.4.91"  # lossy (irreversible) or lossless
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"  # lossless, RPCL progression and TLM marker segments
HTJ2K = "1.2.840.10008.1.2.4.203"  # lossy (irreversible) or lossless
SYNTAX_NAMES.update(
    {
        JPEG_EXTENDED: "jpeg-extended",
        JPEG_LS_LOSSLESS: "jpegls",
        JPEG_LS_NEAR_LOSSLESS: "jpegls-near",
        JPEG_2000_LOSSLESS: "j2k-lossless",
        JPEG_2000: "j2k",
        HTJ2K_LOSSLESS: "htj2k-lossless",
        HTJ2K_LOSSLESS_RPCL: "htj2k-rpcl",
        HTJ2K: "htj2k",
    }
)


def write_dataset_part10(f: BinaryIO, dataset: Any) -> None:
    """:func:`write_dataset`, but with the File Meta Information Group Length (0002,0000) that PS3.10 7.1 requires
    (Type 1): pydicom's ``dcmwrite`` leaves it out unless ``enforce_file_format``, which pydicom 3.0 refuses
    together with ``force_encoding``. libdicom (OpenSlide's DICOM reader) refuses a file without it ("reading of
    group failed - bad group length element"). The preamble, "DICM" and the File Meta Information are written
    here, then the data set by pydicom's ``write_dataset`` in explicit VR little endian."""
    import copy

    from pydicom.dataset import validate_file_meta
    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset as pydicom_write_dataset
    from pydicom.filewriter import write_file_meta_info

    validate_file_meta(dataset.file_meta, enforce_standard=True)
    f.write(getattr(dataset, "preamble", None) or b"\x00" * 128)
    f.write(b"DICM")
    fp = DicomFileLike(f)
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    write_file_meta_info(fp, dataset.file_meta, enforce_standard=True)  # (0002,0000) included
    body = copy.copy(dataset)
    del body.file_meta
    pydicom_write_dataset(fp, body)
