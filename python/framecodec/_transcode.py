"""``transcode``: one DICOM file into Deflated Image Frame Compression, RLE Lossless, Encapsulated Uncompressed
or native Explicit VR Little Endian, batch by batch, in bounded memory.

The frames are read in batches by a ``FrameReader`` (the engine's decoders, or pydicom's for the syntaxes the
engine does not decode), written by a ``FrameWriter`` and, with ``verify``, each encoded batch is decoded again
and compared with the input's frames. Codestreams that can stay as they are (the same syntax, or native and
Encapsulated Uncompressed frames, which hold the same bytes) are copied, not decoded and encoded again. The
input file's pages are given back as the batches pass, so the resident memory is a few batches, whatever the
file's size. The command line's ``transcode`` and ``framecodec.dask.transcode_files`` call it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ._backends import Backend
from ._layout import BIG_ENDIAN, CODECS, Codec, PixelLayout
from ._output import same_file
from ._ranges import is_url
from ._writer import FrameWriter
from ._writer_checks import EXPLICIT

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from ._stream import FileStream
    from .reader import FrameReader

__all__ = ["TARGETS", "transcode"]

#: The transfer syntaxes ``transcode`` writes, by the names the command line gives them.
TARGETS = {
    "deflate": "1.2.840.10008.1.2.8.1",  # Deflated Image Frame Compression (PS3.5 8.2.16)
    "rle": "1.2.840.10008.1.2.5",  # RLE Lossless (PS3.5 Annex G)
    "explicit": EXPLICIT,  # Explicit VR Little Endian, native (PS3.5 A.2)
    "encapsulated-uncompressed": "1.2.840.10008.1.2.1.98",  # Encapsulated Uncompressed Explicit VR Little Endian
}
DEFLATED_DATA_SET = "1.2.840.10008.1.2.1.99"  # Deflated Explicit VR Little Endian (PS3.5 A.5)
#: Decoded bytes per batch: the unit of memory (a batch decoded, its encoding, and its check) and of progress.
BATCH_BYTES = 16 << 20
#: Syntaxes whose frames are the native frame's bytes (Bits Allocated 8 or more).
_PLAIN = {"native", "uncompressed"}

Progress = Callable[[int, int], object]


def transcode(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    to: str,
    *,
    level: int | None = None,
    backend: Backend | None = None,
    threads: int | None = None,
    verify: bool = True,
    new_uid: bool = False,
    progress: Progress | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Path:
    """Write the DICOM file ``src`` to ``dst`` in the transfer syntax ``to``: ``"deflate"``, ``"rle"``,
    ``"explicit"`` or ``"encapsulated-uncompressed"`` (or its UID), and return ``dst`` as a Path.

    ``level`` and ``backend`` choose the deflate encoder (0-9 with zlib, the default; 0-12 with
    ``"libdeflate"``); without them, deflate frames are copied as they are. JPEG-family frames become RGB where
    pydicom's ``Dataset.decompress`` would make them RGB; frames of framecodec's own syntaxes keep their
    Photometric Interpretation. With ``verify`` every frame written is decoded again and compared with the
    input's. The SOP Instance UID is kept (a lossless change of transfer syntax is the same instance, PS3.5 10)
    unless ``new_uid``. ``progress(frames done, frames)`` is called after each batch.

    ``dst`` appears whole or not at all (written to a temporary file beside it, synced and renamed); the input
    is never written. Raises ``ValueError`` for a file that cannot be transcoded, ``OSError`` for I/O.

    ``src`` may be a URL (``s3://``, ``https://``, ..., read by byte ranges with ``storage_options``, as
    :class:`~framecodec.FrameReader` reads it); ``dst`` is a local path only.
    """
    from ._stream import FileStream, open_stream
    from .reader import FrameReader

    target = TARGETS.get(to, to)
    if target not in TARGETS.values():
        raise ValueError(f"to must be one of {', '.join(TARGETS)} (or their UIDs), not {to!r}")
    if (level is not None or backend is not None) and target != TARGETS["deflate"]:
        raise ValueError(f"level and backend apply to deflate only, not {to!r}")
    if is_url(os.fspath(dst)):
        raise ValueError(f"transcode writes to a local path only, not {os.fspath(dst)}: write locally, then upload")
    dst = Path(os.fspath(dst))
    if same_file(src, dst):
        raise ValueError(f"the output {dst} is the input itself: transcode never overwrites its input")
    path = os.fsdecode(os.fspath(src))
    remote = is_url(path)
    stream = None if remote else open_stream(path)  # None: FrameReader reads (a map given back batch by batch)
    source: FileStream | FrameReader = (
        stream if stream is not None else FrameReader(path, threads=threads, storage_options=storage_options)
    )
    with source:
        ts, layout, codec = _describe(source)
        if layout.floating:  # (a stream refuses them when it opens)
            raise ValueError(f"{path}: Float Pixel Data cannot be transcoded: it cannot be encapsulated (PS3.5 A.4)")
        header = _header(path, ts) if not remote else _remote_header(source, ts)  # type: ignore[arg-type]
        as_rgb = ts not in CODECS  # JPEG family: RGB as Dataset.decompress gives it; ours: as stored
        copy = _copies(ts, layout, codec, target, level, backend)
        _output_attributes(header, layout, as_rgb, new_uid)
        with FrameWriter(dst, header, target, level=level, backend=backend, threads=threads, verify=verify) as writer:
            n = layout.number_of_frames
            batch = max(1, BATCH_BYTES // max(1, layout.pixels_per_frame * layout.dtype.itemsize))
            for start in range(0, n, batch):
                stop = min(n, start + batch)
                if isinstance(source, FileStream):
                    _batch_from_stream(source, start, stop, writer, copy, as_rgb, verify, threads)
                else:
                    _batch_from_reader(source, start, stop, writer, copy, as_rgb, verify)
                if progress is not None:
                    progress(stop, n)
    return dst


def _describe(source: FileStream | FrameReader) -> tuple[str, PixelLayout, Codec | None]:
    from ._stream import FileStream

    if isinstance(source, FileStream):
        return source.transfer_syntax, source.layout, source.codec
    frames = source._open()
    return frames.transfer_syntax, frames.layout, frames.codec


def _batch_from_stream(
    stream: FileStream,
    start: int,
    stop: int,
    writer: FrameWriter,
    copy: bool,
    as_rgb: bool,
    verify: bool,
    threads: int | None,
) -> None:
    """Frames ``start:stop`` read into a buffer of their own: decoded and written, or their codestreams copied
    (decoded too when ``verify``, so that a copied codestream is known to decode)."""
    from ._decode import decode, pydicom_frames

    frames = stream.batch(start, stop)
    sel = (np.arange(stop - start, dtype=np.int64), True)
    if not copy or verify:
        if frames.codec is None:
            arr = pydicom_frames(frames, sel[0], not as_rgb)
        else:
            arr = decode(frames, sel, None, threads, not as_rgb)
        if not copy:
            writer.write(arr)
        del arr
    if copy:
        writer.write_encoded(stream.raw(frames))


def _batch_from_reader(
    reader: FrameReader, start: int, stop: int, writer: FrameWriter, copy: bool, as_rgb: bool, verify: bool
) -> None:
    if not copy or verify:
        arr = reader.read(slice(start, stop), raw=not as_rgb)
        if not copy:
            writer.write(arr)
        del arr
    if copy:
        writer.write_encoded(reader.raws(range(start, stop)))  # a remote file's in one batch
    _let_go(reader, start, stop)


def _let_go(reader: FrameReader, start: int, stop: int) -> None:
    """Give the pages of frames ``start:stop`` of a mapped input back (they count in the resident memory
    otherwise, the whole file by the end)."""
    frames = reader._frames
    if frames is None or not hasattr(frames.buffer, "drop"):
        return
    table = frames.table
    if table is not None:
        first, last = int(table.frame_fragments[start]), int(table.frame_fragments[stop]) - 1
        begin, end = int(table.offsets[first]) - 8, int(table.offsets[last]) + int(table.lengths[last])
    elif frames.codec == "native" and len(frames.offsets):
        scale = 8 if frames.layout.bits_allocated == 1 else 1  # 1-bit offsets count bits
        begin = int(frames.offsets[start]) // scale
        end = (int(frames.offsets[stop - 1]) // scale) + frames.layout.stored_frame_size + 1
    else:
        return
    frames.buffer.drop(begin, end - begin)


def _header(path: str | IO[bytes], ts: str) -> Dataset:
    """The input's data set without Pixel Data (all of it: the elements after Pixel Data too), values read
    lazily so that a large Per-Frame Functional Groups Sequence is copied as it is."""
    from pydicom import dcmread

    # Deferred values are read again from the file by name when written; pydicom inflates a Deflated Explicit
    # VR Little Endian data set in memory, where values cannot be deferred.
    ds = dcmread(path, defer_size=None if ts == DEFLATED_DATA_SET else "1 MB", force=True)
    for keyword in ("PixelData", "ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        ds.pop(keyword, None)
    if ds.original_encoding[1] is False:  # read as Explicit VR Big Endian (retired), written little endian
        _swap_binary_values(ds)
    return ds


def _remote_header(reader: FrameReader, ts: str) -> Dataset:
    """``_header`` of a remote file: its data set without the Pixel Data, from the bytes read at open and those
    after the Pixel Data (an object read whole: from its temporary copy)."""
    remote = reader._remote
    assert remote is not None
    return _header(remote.local_path or io.BytesIO(remote.data_set()), ts)


def _copies(
    ts: str, layout: PixelLayout, codec: Codec | None, target: str, level: int | None, backend: Backend | None
) -> bool:
    """Whether the input's codestreams can be written as they are: the same syntax (deflate only when no level
    or backend asks for new streams), or native and Encapsulated Uncompressed frames of whole bytes (the output
    is interleaved, so not planar ones)."""
    if codec is None or ts == BIG_ENDIAN or layout.bits_allocated == 1 or layout.planar_configuration == 1:
        return False
    if ts == target:
        return target != TARGETS["deflate"] or (level is None and backend is None)
    return codec in _PLAIN and CODECS.get(target) in _PLAIN


def _output_attributes(ds: Dataset, layout: PixelLayout, as_rgb: bool, new_uid: bool) -> None:
    """Photometric Interpretation as the decoded pixels are (as ``Dataset.decompress``), a new UID if asked."""
    from pydicom.uid import generate_uid

    pi = layout.photometric_interpretation
    if layout.samples_per_pixel == 3 and ((as_rgb and pi.startswith("YBR")) or pi in ("YBR_ICT", "YBR_RCT")):
        ds.PhotometricInterpretation = "RGB"  # JPEG 2000's inverse colour transform gives RGB (PS3.5 8.2.4)
    if new_uid:
        uid = generate_uid()
        ds.SOPInstanceUID = uid
        if hasattr(ds, "file_meta"):
            ds.file_meta.MediaStorageSOPInstanceUID = uid


#: Binary VRs whose values pydicom keeps as bytes in the byte order they were read in, and their item size.
_WORDS = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _swap_binary_values(ds: Dataset) -> None:
    """Byte-swap the OW, OF, OL, OD and OV values of a data set read big endian (pydicom converts the other
    VRs when it writes little endian, but not these)."""
    for tag in list(ds.keys()):
        elem = ds[tag]
        if elem.VR == "SQ":
            for item in elem.value or []:
                _swap_binary_values(item)
            continue
        size = _WORDS.get(str(elem.VR))
        value = elem.value
        if size and isinstance(value, bytes) and len(value) % size == 0:
            elem.value = np.frombuffer(value, f">u{size}").astype(f"<u{size}").tobytes()
