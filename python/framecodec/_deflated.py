"""Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99): the data set inflated to a temporary file.

PS3.5 A.5: everything after the File Meta Information is one raw deflate stream (RFC 1951, no zlib header); the
File Meta Information itself stays Explicit VR Little Endian (PS3.10 7.1). ``open_source`` hands such a file to
``open_deflated``, which inflates the data set, a few MiB at a time, into an anonymous temporary file (the default
temporary folder; deleted when closed, and on POSIX nameless from the start), after the file's own preamble
and File Meta Information. That temporary file is an ordinary Explicit VR Little Endian file: its Transfer Syntax
UID says so (and its group length is corrected), because pydicom, which reads the header from it, would inflate a
data set that says it is deflated again, and the C++ ``locate_pixel_data`` refuses one. It is mapped read-only,
and the map is the frames' buffer: the engine finds and decodes the frames as native data, and pages of pixels
are read from disk when a frame is decoded, so memory stays bounded by the chunk size whatever the inflated size.
``Frames.transfer_syntax`` and the header's file meta still say what the file is: 1.2.840.10008.1.2.1.99.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._source import Frames

DEFLATED_EXPLICIT = "1.2.840.10008.1.2.1.99"
_EXPLICIT = b"1.2.840.10008.1.2.1\x00"  # Explicit VR Little Endian, padded to even length (PS3.5 6.2, UI)
_TRANSFER_SYNTAX = 0x00020010
_GROUP_LENGTH = 0x00020000

#: Compressed bytes read, and inflated bytes made, at a time: what bounds the memory inflating takes.
CHUNK = 4 << 20
#: A File Meta Information element longer than this is not one of a deflated file worth reading here.
_META_VALUE_LIMIT = 1 << 20

# PS3.5 7.1.2: explicit VRs with a 2-byte reserved field and a 4-byte length; the others have a 2-byte length.
_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_VRS = _LONG_VRS | frozenset(b"AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split())

FromBuffer = Callable[[IO[bytes], Any, "mmap.mmap | None"], "Frames"]


def open_deflated(f: IO[bytes], from_buffer: FromBuffer) -> Frames | None:
    """The frames of ``f`` (a binary file, read from its start) when its data set is deflated, else None (then
    ``f`` is back at its start). ``from_buffer(file, buffer, None)`` reads the header from the inflated file and
    finds the frames in the map of it. Raises ``ValueError`` naming the file for a corrupt or truncated deflate
    stream, ``OSError`` when the temporary file cannot be written (a full disk)."""
    from pydicom.uid import UID

    image = inflated_image(f)
    if image is None:
        return None
    tmp, mm = image
    try:
        with tmp:
            frames = from_buffer(tmp, mm, None)  # None: no _mm, the map goes when its last user does
        frames.transfer_syntax = DEFLATED_EXPLICIT  # what the file is; its frames are native (CODECS)
        ds = frames.ds  # a FileDataset read from the temporary file: say what it was read from, as pydicom does
        ds.file_meta.TransferSyntaxUID = UID(DEFLATED_EXPLICIT)
        ds.filename, ds.buffer = _path_name(f), None  # (the temporary file is closed; it would not pickle)
        ds.fileobj_type = open if isinstance(f, io.BufferedReader) else type(f)
    except BaseException:
        _unmap(mm)
        raise
    return frames


def pydicom_source(source: Any, transfer_syntax: str) -> Any:
    """``source`` as pydicom's ``pixel_array`` / ``iter_pixels`` must get it, for the data sets the engine leaves
    to pydicom (native YBR_FULL_422, float pixels): pydicom 3.0 reads a path or file object up to its Pixel Data
    without inflating a deflated data set (it finds none), so such a source is read as a ``Dataset`` (which
    pydicom inflates, in memory)."""
    from pydicom import dcmread
    from pydicom.dataset import Dataset

    if transfer_syntax != DEFLATED_EXPLICIT or isinstance(source, Dataset):
        return source
    return dcmread(source, force=True)


def inflated_map(path: str) -> mmap.mmap:
    """The read-only map of ``path`` inflated (``FrameReader`` unpickled in another process maps it again)."""
    with open(path, "rb") as f:
        image = inflated_image(f)
    if image is None:
        raise ValueError(f"{path} no longer has a deflated data set ({DEFLATED_EXPLICIT})")
    tmp, mm = image
    tmp.close()
    return mm


def inflated_image(f: IO[bytes]) -> tuple[IO[bytes], mmap.mmap] | None:
    """The temporary file (at its start, named as ``f``) and its read-only map, or None when ``f``'s Transfer
    Syntax UID is not Deflated Explicit VR Little Endian. On any error nothing is left open or on disk."""
    f.seek(0)
    meta = _file_meta(f)
    if meta is None:
        f.seek(0)
        return None
    prefix, start = meta
    name = _name(f)
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed below on error, by the caller otherwise
    mm: mmap.mmap | None = None
    try:
        if _path_name(f) is not None:
            tmp.raw.name = _path_name(f)  # type: ignore[attr-defined]  # pydicom's messages name the file

        def write(data: bytes) -> int:
            with _temporary_file_errors(name):
                return tmp.write(data)

        write(prefix)
        _inflate(f, start, write, name)
        with _temporary_file_errors(name):
            tmp.flush()
        mm = mmap.mmap(tmp.fileno(), 0, access=mmap.ACCESS_READ)
        tmp.seek(0)
        return tmp, mm
    except BaseException:
        if mm is not None:
            _unmap(mm)
        tmp.close()
        raise


@contextlib.contextmanager
def _temporary_file_errors(name: str) -> Iterator[None]:
    """An error writing the temporary file (a full disk) says what was being written, and where."""
    try:
        yield
    except OSError as e:
        if e.errno is None:
            raise
        where = tempfile.gettempdir()
        raise OSError(
            e.errno,
            f"the deflated data set of {name} cannot be inflated into a temporary file in {where}: {e.strerror}",
        ) from e


def _inflate(f: IO[bytes], start: int, write: Callable[[bytes], int], name: str) -> None:
    """Inflate the raw deflate stream at ``start`` of ``f`` through ``write``, CHUNK bytes in and out at a time."""
    f.seek(start)
    d = zlib.decompressobj(-zlib.MAX_WBITS)  # PS3.5 A.5: raw deflate, no zlib header or checksum
    read = written = crc = 0
    try:
        while not d.eof:
            data = d.unconsumed_tail  # input left over when the last call stopped at CHUNK bytes of output
            if not data:
                data = f.read(CHUNK)
                read += len(data)
                if not data:  # the input is all consumed, the stream not ended: a few bytes may still be pending
                    chunk = d.flush()
                    written += write(chunk)
                    crc = zlib.crc32(chunk, crc)
                    break
            chunk = d.decompress(data, CHUNK)  # max_length: a bomb never makes more than CHUNK at once
            written += write(chunk)
            crc = zlib.crc32(chunk, crc)
    except zlib.error as e:
        raise ValueError(f"the deflated data set of {name} is corrupt: {e}") from None
    if not d.eof:
        raise ValueError(
            f"the deflated data set of {name} is corrupt: its deflate stream ends early, after {read:,} bytes "
            f"(inflated to {written:,}); the file is truncated"
        )
    here = f.tell()
    extra = len(d.unused_data) + max(0, f.seek(0, os.SEEK_END) - here)
    f.seek(here)
    tail = (d.unused_data + f.read(10))[:10]
    # What writers put after the stream: one 0x00 padding an odd-length stream to even length (pydicom, DCMTK),
    # or a gzip trailer, the CRC-32 and size of the inflated data (RFC 1952; pydicom's image_dfl.dcm, from dctool).
    trailer = struct.pack("<II", crc, written & 0xFFFFFFFF)
    if extra and tail[:extra] not in (b"\x00", trailer, trailer + b"\x00"):
        raise ValueError(
            f"the deflated data set of {name} is corrupt: {extra:,} bytes follow the end of its deflate stream (only "
            "a 0x00 pad byte, or the 8-byte gzip trailer with the CRC-32 and size of the inflated data, may)"
        )


def _file_meta(f: IO[bytes]) -> tuple[bytes, int] | None:
    """(the preamble and File Meta Information with the Transfer Syntax UID made Explicit VR Little Endian, the
    offset of the deflated data set) when ``f`` is deflated, else None; ``f`` is at its start. The group is walked
    as the C++ ``locate_pixel_data`` walks it: preamble and "DICM" if present, then every (0002,xxxx) element,
    explicit VR unless the first one has no valid VR (some writers use implicit VR)."""
    head = f.read(132)
    preamble = 132 if len(head) == 132 and head[128:132] == b"DICM" else 0  # PS3.10 7.1
    pos = preamble
    f.seek(pos)
    elements: list[tuple[int, bytes, bytes]] = []  # (tag, header, value)
    explicit: bool | None = None
    ts = b""
    while True:
        header = f.read(8)
        if len(header) < 8 or header[:2] != b"\x02\x00":
            break
        if explicit is None:
            explicit = header[4:6] in _VRS
        if explicit and header[4:6] in _LONG_VRS:
            header += f.read(4)
            if len(header) < 12:
                return None
            length = struct.unpack("<I", header[8:12])[0]
        elif explicit:
            length = struct.unpack("<H", header[6:8])[0]
        else:
            length = struct.unpack("<I", header[4:8])[0]
        if length > _META_VALUE_LIMIT:  # undefined length included: not a file meta to inflate after
            return None
        value = f.read(length)
        if len(value) < length:
            return None
        tag = (0x0002 << 16) | struct.unpack("<H", header[2:4])[0]
        elements.append((tag, header, value))
        if tag == _TRANSFER_SYNTAX:
            ts = value
        pos += len(header) + length
    if ts.rstrip(b"\x00 ").decode("ascii", "replace") != DEFLATED_EXPLICIT:
        return None
    encoded = [
        _with_length(header, len(_EXPLICIT), bool(explicit)) + _EXPLICIT if tag == _TRANSFER_SYNTAX else header + value
        for tag, header, value in elements
    ]
    for i, (tag, header, value) in enumerate(elements):
        if tag == _GROUP_LENGTH and len(value) == 4:  # PS3.10 7.1: the bytes of the group after this element
            encoded[i] = header + struct.pack("<I", sum(map(len, encoded[i + 1 :])))
    return head[:preamble] + b"".join(encoded), pos


def _with_length(header: bytes, length: int, explicit: bool) -> bytes:
    if explicit and header[4:6] in _LONG_VRS:
        return header[:8] + struct.pack("<I", length)
    if explicit:
        return header[:6] + struct.pack("<H", length)
    return header[:4] + struct.pack("<I", length)


def _path_name(f: IO[bytes]) -> str | None:
    name = getattr(f, "name", None)
    return os.fsdecode(name) if isinstance(name, (str, bytes)) else None


def _name(f: IO[bytes]) -> str:
    return _path_name(f) or "the file"


def _unmap(mm: mmap.mmap) -> None:
    try:
        mm.close()
    except BufferError:  # a view of it is still alive: it is unmapped when that goes
        pass
