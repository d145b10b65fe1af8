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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

EXPLICIT = "1.2.840.10008.1.2.1"  # Explicit VR Little Endian (native)
DEFLATE = "1.2.840.10008.1.2.8.1"  # Deflated Image Frame Compression
RLE = "1.2.840.10008.1.2.5"  # RLE Lossless
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"  # Encapsulated Uncompressed Explicit VR Little Endian
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
SYNTAX_NAMES = {EXPLICIT: "explicit", DEFLATE: "deflate", RLE: "rle", ENCAPSULATED_UNCOMPRESSED: "encaps-uncompressed",
                JPEG_BASELINE: "jpeg"}  # fmt: skip
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
