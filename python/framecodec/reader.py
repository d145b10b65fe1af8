"""``FrameReader``: random access to the frames of huge multi-frame files, and regions of whole slides.

Opening reads the file's header (pydicom, without the Pixel Data and the Per-Frame Functional Groups) and
builds the frame table in C++ over a memory map: no pixel bytes are read. Frames are then decoded on demand
by the batch engine, straight into the arrays returned, with the GIL released; several Python threads may
read at once. An object in a bucket or on an HTTP server (an fsspec URL), or a file object, is read by byte
ranges instead (``_remote``): the header in one request, every frame a read needs in one batch. The geometry of VL Whole
Slide Microscopy Images (tile positions, focal planes, optical paths) comes from ``framecodec.slide``.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import numpy as np
import numpy.typing as npt

from . import _region
from ._claims import check_claims
from ._decode import Index, ahead, allocate, batch_frames, decode, decode_into, finish, into, pydicom_frames, select
from ._layout import Codec, number_of_frames
from ._ranges import PathRanges, is_url, open_ranges
from ._remote import NotIndexed, Remote, open_remote
from ._reopen import LOCAL, identity, reopen_local, reopen_remote
from ._source import Frames, open_partial
from ._spans import INDEX_SUFFIX
from ._truncated import missing_frames_error
from .encaps import FrameTable, frame_bytes
from .slide import SlideGeometry, slide_geometry

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["FrameReader"]


class FrameReader:
    """The frames of one DICOM file, read at random.

    ``reader[i]``, ``reader[i:j]``, ``reader[[i, j, k]]`` and ``reader.read(indices)`` decode frames and give
    the arrays ``framecodec.pixel_array(path, index)`` gives; ``reader.raw(i)`` is a frame's codestream;
    iteration yields the frames in order, decoded ahead. For whole-slide images, ``tile_positions`` and
    ``read_region`` work in the total pixel matrix. ``threads`` is the default worker count of the reads
    (None: one per core). Use as a context manager, or call ``close()``; arrays and views returned earlier
    stay valid after it.

    ``source`` is a local path (memory-mapped), an fsspec URL (``s3://``, ``gs://``, ``https://``, ...; with
    ``storage_options`` for its filesystem, ``pip install 'framecodec[remote]'``) or an open binary file object.
    A URL or file object is read by byte ranges: the header in one request (more only for a longer header), each
    read's frames in one batch of merged, concurrent requests, each request retried up to ``retries`` times, and
    ``cache_bytes`` of recently read frames kept for overlapping regions (docs/remote.md). A file with an empty
    Basic Offset Table and no Extended Offset Table is indexed by walking its items, which reads its Pixel Data
    once, unless a sidecar index (``framecodec.write_index``) is found beside it or named by ``index``.
    """

    def __init__(
        self,
        source: str | bytes | os.PathLike[str] | os.PathLike[bytes] | IO[bytes],
        *,
        threads: int | None = None,
        storage_options: dict[str, Any] | None = None,
        index: str | os.PathLike[str] | bool | None = None,
        retries: int = 3,
        cache_bytes: int = 64 << 20,
    ) -> None:
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.threads = threads
        self._lock = threading.Lock()
        self._remote: Remote | None = None
        if is_url(source) or not isinstance(source, (str, bytes, os.PathLike)):
            self._remote = open_remote(
                open_ranges(source, storage_options, retries), index=index, cache_bytes=cache_bytes
            )
            self.path = self._remote.ranges.url
            self._frames: Frames | None = self._remote.frames
            self._identity: tuple[int, ...] = ()
            return
        if isinstance(source, str) and source.startswith("file://"):  # a local file named as a URL: mapped
            source = url2pathname(urlsplit(source).path)
        if storage_options:
            raise ValueError(f"storage_options are for URLs; {os.fsdecode(os.fspath(source))!r} is a local path")
        self.path = os.fsdecode(os.fspath(source))  # str whatever was given (bytes paths as open() takes them)
        if index is not False and (index is not None or os.path.isfile(self.path + INDEX_SUFFIX)):
            self._remote = _indexed(self.path, index, retries, cache_bytes)
            if self._remote is not None:  # no offset table, but a sidecar index: read by ranges, no walk
                self._frames, self._identity = self._remote.frames, ()
                return
        self._frames = open_partial(source)  # a file cut short opens: its whole frames read
        self._identity = identity(self.path)  # what a pickled reader expects to find again

    # --- pickling: by path, for worker processes (framecodec.dask) --------------------------------------

    def __reduce__(self) -> tuple[object, ...]:
        """A reader pickles as its path, the header it read and its frame table (never pixel bytes); unpickled,
        it maps the file again and checks that it is the same (size and modification time), so a worker
        opens it in well under a millisecond. The slide geometry travels too once it has been computed."""
        frames = self._open()
        geometry = self.__dict__.get("geometry")
        if self._remote is not None:  # the URL, the header and the frames' spans; each process opens its own
            return (reopen_remote, (type(self), self._remote, self.threads, geometry))
        state = {f.name: getattr(frames, f.name) for f in dataclasses.fields(frames) if f.name not in LOCAL}
        if frames.table is not None and frames.table._lazy:  # where its offset table lies, not every frame walked
            state["table"] = frames.table._lazy_state
        if "ExtendedOffsetTable" in frames.ds:  # 16 bytes a frame that the frame table already holds
            state["ds"] = copy.deepcopy(frames.ds)  # (a shallow copy shares its elements with the original)
            for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
                state["ds"].pop(keyword, None)
        return (reopen_local, (type(self), self.path, self.threads, self._identity, state, geometry))

    # --- state ---------------------------------------------------------------------------------------

    def _open(self) -> Frames:
        frames = self._frames
        if frames is None:
            raise ValueError(f"I/O operation on a closed FrameReader ({self.path})")
        return frames

    def close(self) -> None:
        """Let go of the file. Frames and views returned earlier keep what they need of it alive."""
        with self._lock:
            self._frames = None  # the map is unmapped when the last view of it is gone

    @property
    def closed(self) -> bool:
        return self._frames is None

    @property
    def remote(self) -> bool:
        """Whether the file is read by byte ranges (a URL, a file object, or a local file whose frames its sidecar
        index places), not memory-mapped."""
        return self._remote is not None

    @property
    def requests(self) -> int:
        """The requests made so far for a remote file (each ranged read, retries included); 0 for a local one."""
        return self._remote.ranges.requests if self._remote is not None else 0

    @property
    def bytes_read(self) -> int:
        """The bytes fetched so far for a remote file; 0 for a local one."""
        return self._remote.ranges.bytes_read if self._remote is not None else 0

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._frames is None:
            return f"<FrameReader {self.path!r} (closed)>"
        cut = f" ({self.whole_frames} whole: the file is truncated)" if self._frames.truncation else ""
        return (
            f"<FrameReader {self.path!r}: {len(self)} frames{cut} of {self.shape} {self.dtype}, {self.transfer_syntax}>"
        )

    # --- what the file holds -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.number_of_frames

    @property
    def number_of_frames(self) -> int:
        frames = self._open()
        return number_of_frames(frames.ds) if frames.codec is None else frames.layout.number_of_frames

    @property
    def shape(self) -> tuple[int, ...]:
        """One frame's shape: (rows, columns) or (rows, columns, samples)."""
        return self._open().layout.frame_shape

    @property
    def dtype(self) -> np.dtype[Any]:
        frames = self._open()
        return frames.layout.for_syntax(frames.transfer_syntax)

    @property
    def transfer_syntax(self) -> str:
        return self._open().transfer_syntax

    @property
    def codec(self) -> Codec | None:
        """How the batch engine decodes the frames ("deflate", "rle", "uncompressed", "native", "jpeg",
        "jpegls", "j2k", "htj2k"), or None when pydicom does (JPEG Lossless, 12-bit JPEG, a codec this build
        has no library for)."""
        return self._open().codec

    @property
    def frame_table(self) -> FrameTable | None:
        """Where each frame's fragments are (encapsulated Pixel Data), None for native data and for a file read by
        byte ranges. In a file cut short, the whole frames' only (``len(frame_table) == whole_frames``)."""
        return self._open().table

    @property
    def whole_frames(self) -> int:
        """How many frames, from frame 0 on, are wholly in the file: ``len(self)`` unless the file was cut short
        in its Pixel Data (a copy that stopped early). Then frames ``0 .. whole_frames - 1`` read as usual, and
        reading a later one raises :class:`EncapsulationError` (a ``ValueError``) naming it and where the file
        ends. The same for native and encapsulated data: native frames whose bytes are all in the file,
        encapsulated frames whose every fragment is there and known to be the last (the next frame starts, the
        sequence delimiter follows, the offset table or the codestream's end marker says so)."""
        frames = self._settled()
        return self.number_of_frames if frames.whole_frames is None else frames.whole_frames

    @property
    def truncation(self) -> str | None:
        """None for a file whose Pixel Data is whole; for a file cut short, where it ends (``"it ends at byte
        2142 inside frame 6: ..."``)."""
        return self._settled().truncation

    def _settled(self) -> Frames:
        """The frames, a remote file's last frame's end found (a Basic Offset Table does not say where it is)."""
        frames = self._open()
        if self._remote is not None:
            self._remote.settle()
        return frames

    def _check_whole(self, frames: Frames, indices: Index) -> None:
        """Raises the error for frames of ``indices`` that are not wholly in a truncated file."""
        n = self.number_of_frames
        if self._remote is not None:
            sel = select(indices, n)[0]
            if sel is None or n - 1 in sel:
                self._remote.settle()  # the last frame may be missing from an object cut short
        if frames.whole_frames is None or frames.truncation is None:
            return
        sel = select(indices, n)[0]
        wanted = np.arange(n) if sel is None else sel
        missing = wanted[wanted >= frames.whole_frames]
        if len(missing):
            raise missing_frames_error(missing.tolist(), frames.whole_frames, n, frames.truncation)

    @cached_property
    def dataset(self) -> Dataset:
        """The data set without Pixel Data, read from the file when first asked for (the Per-Frame Functional
        Groups Sequence of a large slide is parsed only then)."""
        from pydicom import dcmread

        self._open()
        if self._remote is not None:
            return dcmread(io.BytesIO(self._remote.header), stop_before_pixels=True, force=True)
        return dcmread(self.path, stop_before_pixels=True, force=True)

    # --- frames --------------------------------------------------------------------------------------

    def __getitem__(self, index: Index) -> npt.NDArray[Any]:
        if isinstance(index, tuple):
            raise TypeError("FrameReader takes one index: an int, a slice or a sequence of frame numbers")
        return self.read(index)

    def read(
        self,
        indices: Index = None,
        *,
        threads: int | None = None,
        out: npt.NDArray[Any] | None = None,
        raw: bool = False,
    ) -> npt.NDArray[Any]:
        """Decoded frames: ``None`` all, an int one (no frame axis), a slice or a sequence those, in order.

        Identical to ``framecodec.pixel_array(path, indices, raw=raw)``; decoded by the batch engine on
        ``threads`` workers (default: the reader's), into ``out`` when given.
        """
        frames = self._open()
        self._check_whole(frames, indices)
        threads = threads if threads is not None else self.threads
        if self._ranged(frames):
            return self._read_ranges(frames, indices, out, raw, threads)
        if frames.codec is None:  # a syntax pydicom decodes (JPEG, ...): pydicom's result, frame by frame
            return self._pydicom_frames(frames, indices, out, raw, threads)
        return decode(frames, select(indices, frames.layout.number_of_frames), out, threads, raw)

    def _ranged(self, frames: Frames) -> bool:
        return self._remote is not None and self._remote.ranged

    def _read_ranges(
        self, frames: Frames, indices: Index, out: npt.NDArray[Any] | None, raw: bool, threads: int | None
    ) -> npt.NDArray[Any]:
        """``read`` of a remote file: its frames fetched in slices of about 64 MB (the next fetched while one is
        decoded), each decoded by the engine (or pydicom) straight into its part of the result."""
        remote = self._remote
        assert remote is not None
        n = self.number_of_frames
        selection = select(indices, n)
        sel = np.arange(n, dtype=np.int64) if selection[0] is None else selection[0]
        if frames.codec is None:  # a syntax pydicom decodes, from the fetched codestreams
            stacked = np.concatenate(
                [pydicom_frames(remote.gather(sel[part]), sel[part], raw) for part in remote.slices(sel)]
            )
            return into(stacked if selection[1] else stacked[0], out)
        arr = allocate(frames, selection, out, headers=False)  # the spans' sizes; headers as the frames arrive
        flat = arr.reshape((len(sel),) + frames.layout.frame_shape)
        parts = remote.slices(sel)
        with closing(ahead(remote.gather, [sel[p] for p in parts])) as batches:  # the next slice fetched meanwhile
            for part, batch in zip(parts, batches):
                check_claims(batch, sel[part])
                decode_into(batch, (sel[part], True), flat[part], threads, raw)
        return finish(arr, frames, raw, out)

    def raws(self, indices: Sequence[int]) -> list[memoryview | bytes]:
        """``raw(i)`` of each frame, a remote file's fetched in one batch."""
        frames = self._open()
        if not self._ranged(frames):
            return [self.raw(i) for i in indices]
        assert self._remote is not None
        self._check_whole(frames, list(indices))
        sel = np.asarray(indices, dtype=np.int64)
        batch = self._remote.gather(sel)
        assert batch.table is not None or batch.codec == "native"
        if batch.table is not None:
            return [frame_bytes(batch.buffer, batch.table, int(i)) for i in sel]
        size = batch.layout.stored_frame_size
        view = memoryview(batch.buffer)
        return [view[int(batch.offsets[i]) : int(batch.offsets[i]) + size] for i in sel]

    def _pydicom_frames(
        self, frames: Frames, indices: Index, out: npt.NDArray[Any] | None, raw: bool, threads: int | None
    ) -> npt.NDArray[Any]:
        """Frames of a syntax the engine does not decode, by pydicom's decoder straight from their codestreams
        (the header is not read again for each call), as ``pixel_array(path, index)`` gives them."""
        from .pixels import pixel_array

        if frames.table is None or indices is None:
            local = self._remote.local_path if self._remote is not None else self.path
            return pixel_array(local or self.path, indices, threads=threads, out=out, raw=raw)
        n = self.number_of_frames  # not len(frames.table): a truncated file's table holds the whole frames only
        sel, frame_axis = select(indices, n)
        assert sel is not None
        arr = pydicom_frames(frames, sel, raw)
        return into(arr if frame_axis else arr[0], out)

    def raw(self, index: int) -> memoryview | bytes:
        """Frame ``index``'s codestream as stored (any encapsulated syntax: JPEG, JPEG 2000, RLE, deflate ...),
        a zero-copy view when it is one fragment, for the decoder of your choice. Native data: the frame's
        bytes (bit-packed 1-bit frames that do not start on a byte boundary are refused)."""
        frames = self._open()
        if frames.whole_frames is not None:  # a truncated file: a frame past the whole ones is missing
            self._check_whole(frames, index)
            if index < 0:  # counted from the end of all frames, not of the whole ones in the table
                index += self.number_of_frames
        if self._ranged(frames):  # the frame fetched alone, then as from a file
            picked = select(index, self.number_of_frames)[0]
            assert self._remote is not None and picked is not None
            index = int(picked[0])
            frames = self._remote.gather(picked)
        if frames.table is not None:
            return frame_bytes(frames.buffer, frames.table, index)
        if frames.codec != "native":
            why = f" ({frames.table_error})" if frames.table_error else ""
            raise ValueError(
                f"{self.path}: the Pixel Data of {frames.transfer_syntax} cannot be read frame by frame{why}"
            )
        n = frames.layout.number_of_frames
        i = select(index, n)[0]
        assert i is not None
        start, size = int(frames.offsets[i[0]]), frames.layout.stored_frame_size
        if frames.layout.bits_allocated == 1:
            if start % 8:
                raise ValueError(
                    f"frame {int(i[0])} of this native 1-bit Pixel Data starts at bit {start % 8} of a byte: it has no "
                    "bytes of its own (use reader[i] for its pixels)"
                )
            start //= 8
        return memoryview(frames.buffer)[start : start + size]

    def __iter__(self) -> Iterator[npt.NDArray[Any]]:
        """Every frame in order, decoded ahead in batches on the worker pool."""
        n, whole = len(self), self.whole_frames  # a truncated file: its whole frames, then the missing one's error
        if n == 1:
            yield self.read(0)
            return
        batch = batch_frames(int(np.prod(self.shape)) * self.dtype.itemsize, self.threads)
        for arr in ahead(lambda start: self.read(slice(start, min(start + batch, whole))), range(0, whole, batch)):
            yield from arr
        if whole < n:
            self.read(whole)  # raises, naming the frame and where the file ends

    # --- whole slides --------------------------------------------------------------------------------

    @cached_property
    def geometry(self) -> SlideGeometry:
        """Where each frame lies in the total pixel matrix, on which focal plane and optical path."""
        frames = self._open()
        remote = self._remote
        if remote is not None and remote.spans is not None and remote.spans.geometry is not None:
            return remote.spans.geometry  # from the sidecar index
        header = remote.header if remote is not None else frames.buffer  # the C++ walk reads the header
        return slide_geometry(frames.ds, header, frames.layout)

    @property
    def tile_positions(self) -> npt.NDArray[np.int64]:
        """(n, 2): each frame's top-left (x, y) in the total pixel matrix, 0-based (DICOM counts from 1)."""
        return self.geometry.positions

    def read_region(
        self,
        location: Sequence[int],
        size: Sequence[int],
        *,
        downsample: int = 1,
        focal_plane: int = 0,
        optical_path: int = 0,
        threads: int | None = None,
        fill: int | Sequence[int] | None = None,
        raw: bool = False,
    ) -> npt.NDArray[Any]:
        """The pixels of the rectangle at ``location`` (x, y: 0-based level-0 pixels from the total pixel
        matrix's top-left corner, as in wsidicom and OpenSlide) of ``size`` (width, height: output pixels),
        stitched from the frames that cover it on that focal plane and optical path (indices into
        ``geometry.focal_plane_z`` / ``optical_path_identifiers``). Areas no frame covers (sparse tiling, or
        outside the matrix) get ``fill``: white for RGB, 0 otherwise.

        ``downsample`` 2, 4 or 8: each output pixel stands for a downsample x downsample block of level-0
        pixels (the region covers size x downsample of them), their mean; JPEG, JPEG 2000 and HTJ2K tiles are
        decoded at that reduced resolution by the codec (its low-pass, within a few levels of the mean), the
        others at full resolution and averaged. A location or tile size that is not a multiple of downsample
        is read at full resolution and averaged, band by band."""
        return _region.read_region(
            self,
            location,
            size,
            downsample=downsample,
            focal_plane=focal_plane,
            optical_path=optical_path,
            threads=threads,
            fill=fill,
            raw=raw,
        )


def _indexed(path: str, index: Any, retries: int, cache_bytes: int) -> Remote | None:
    """A local file with no offset table read by ranges where its sidecar index places its frames (opening it
    mapped would touch every item header of its Pixel Data); None when it has a table or no index that fits."""
    from ._stream import require_regular_file

    require_regular_file(path)  # never open a FIFO or a device
    try:
        return open_remote(PathRanges(path, retries), index=index, cache_bytes=cache_bytes, local=True)
    except NotIndexed:
        return None
