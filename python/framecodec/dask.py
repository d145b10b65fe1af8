"""framecodec on Dask: lazy arrays over the frames of a file, the total pixel matrix of a slide and a cohort of
files, and cohort transcoding as one task per file (``pip install framecodec[dask]``).

The arrays are ordinary ``dask.array`` arrays made with ``da.from_array`` over a small adapter around a
:class:`~framecodec.FrameReader`, so Dask's own machinery (slicing, fusing, scheduling, the distributed
scheduler's worker processes) does the rest. The adapter is one key of the task graph: it pickles as the
file's path, its header and its frame table, never pixel bytes, and unpickling it opens nothing, so the
scheduler (which unpickles the graph) need not see the files. It reaches each worker once and opens the file
there when a chunk is first read, by mapping it again (once per worker and computation). Each chunk is then one
``FrameReader.read`` (or ``read_region``) through the batch engine, straight into the chunk's array. Files
must be at the same path on every worker (a shared file system), unchanged while the graph runs (a reader
refuses a file whose size or time changed). A URL (``s3://``, ``gs://``, ``https://``, with
``storage_options``) needs no shared file system: the graph carries the URL, the header and the frames' spans,
and each worker makes its own connection and fetches the byte ranges of its chunks (an object replaced while the
graph runs is refused by its ETag).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import dask.array as da
import numpy as np
import numpy.typing as npt
from dask.base import tokenize

from ._dask_transcode import TranscodeResult, transcode_files
from ._region import plane_index
from .reader import FrameReader

__all__ = ["CHUNK_BYTES", "TranscodeResult", "region_to_dask", "stack_files", "to_dask", "transcode_files"]

#: Decoded bytes a chunk of frames holds when ``frames_per_chunk`` is not given: within Dask's advice of
#: about 100 MB per chunk, large enough that the scheduler's cost per task (about 1 ms) is small beside it.
CHUNK_BYTES = 128 << 20

#: The most chunks :func:`region_to_dask` makes. Dask walks every chunk of an array's graph when it computes
#: any part of it (about a microsecond each: 3 s for this many), so a total pixel matrix of billions of chunks
#: (a header claiming 2**32 - 1 x 2**32 - 1 pixels) would never compute. A real slide of 200,000 x 400,000
#: pixels is 5,000 chunks of 4096 x 4096, and 1.2 million of 256 x 256.
MAX_CHUNKS = 1 << 22

PathLike = str | os.PathLike[str]


def to_dask(
    source: PathLike | FrameReader,
    *,
    frames_per_chunk: int | None = None,
    threads: int | None = 1,
    raw: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> da.Array:
    """The frames of a file as a lazy array of shape (frames, rows, columns[, samples]).

    Chunks are runs of ``frames_per_chunk`` frames (default: as many as fill :data:`CHUNK_BYTES`), each
    decoded by ``FrameReader.read`` on ``threads`` threads (default 1: Dask runs chunks in parallel) where
    Dask runs it. Values equal ``framecodec.pixel_array(path, raw=raw)`` (with a frame axis always).
    ``source`` may be a URL, read with ``storage_options`` (see :class:`~framecodec.FrameReader`).
    """
    reader = _reader(source, storage_options)
    n, shape, dtype = len(reader), reader.shape, reader.dtype
    if frames_per_chunk is None:
        frames_per_chunk = max(1, CHUNK_BYTES // max(1, int(np.prod(shape)) * dtype.itemsize))
    elif frames_per_chunk < 1:
        raise ValueError(f"frames_per_chunk must be at least 1, got {frames_per_chunk}")
    frames = _Frames(_Opener(reader), (n, *shape), dtype, threads, raw)
    name = "framecodec-frames-" + tokenize(reader.path, _version(reader), frames_per_chunk, threads, raw)
    return _array(frames, (min(frames_per_chunk, max(n, 1)), *shape), name)


def region_to_dask(
    source: PathLike | FrameReader,
    *,
    chunk: tuple[int, int] = (4096, 4096),
    focal_plane: int = 0,
    optical_path: int = 0,
    threads: int | None = 1,
    fill: int | Sequence[int] | None = None,
    raw: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> da.Array:
    """A whole-slide image's total pixel matrix on one focal plane and optical path, as a lazy array of shape
    (total rows, total columns[, samples]).

    ``chunk`` is (rows, columns), the array's axes. Each chunk is one ``FrameReader.read_region`` of the
    tiles under it, so ``arr[y0:y1, x0:x1].compute()`` reads only the tiles that area needs. Areas no tile
    covers get ``fill`` (white for RGB, as ``read_region``). ``ValueError`` when the matrix would be more than
    :data:`MAX_CHUNKS` chunks (a header claiming a matrix far larger than its tiles cover, or tiny chunks).
    ``source`` may be a URL, read with ``storage_options``.
    """
    reader = _reader(source, storage_options)
    geo = reader.geometry
    planes, paths = len(geo.focal_plane_z) or 1, len(geo.optical_path_identifiers) or 1
    focal_plane = plane_index(focal_plane, "focal_plane")  # a float would pass the range check and match nothing
    optical_path = plane_index(optical_path, "optical_path")
    if not 0 <= focal_plane < planes:
        raise ValueError(f"focal_plane {focal_plane} is out of range: the slide has {planes} focal plane(s)")
    if not 0 <= optical_path < paths:
        raise ValueError(f"optical_path {optical_path} is out of range: the slide has {paths} optical path(s)")
    rows, columns = (int(c) for c in chunk)
    if rows < 1 or columns < 1:
        raise ValueError(f"chunk must be at least 1 x 1 pixels, got {chunk}")
    chunks = -(-geo.total_rows // rows) * -(-geo.total_columns // columns)
    if chunks > MAX_CHUNKS:
        raise ValueError(_too_many_chunks(reader, chunks, rows, columns))
    samples = reader.shape[2:]
    region = _Region(
        _Opener(reader),
        (geo.total_rows, geo.total_columns, *samples),
        reader.dtype,
        threads,
        raw,
        focal_plane,
        optical_path,
        fill,
    )
    name = "framecodec-region-" + tokenize(
        reader.path, _version(reader), chunk, focal_plane, optical_path, threads, raw, fill
    )
    return _array(region, (rows, columns, *samples), name)


def stack_files(
    paths: Iterable[PathLike],
    *,
    frames_per_chunk: int | None = None,
    threads: int | None = 1,
    raw: bool = False,
    concatenate: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> da.Array:
    """Many files with the same frame layout as one lazy array: (files, frames, rows, columns[, samples]), or
    with ``concatenate`` their frames one after another, (total frames, rows, columns[, samples]), when
    the files' frame counts differ. ``ValueError`` names the first file whose layout differs from the first's.
    Paths may be URLs, read with ``storage_options``.
    """
    readers = [_reader(p, storage_options) for p in paths]
    if not readers:
        raise ValueError("stack_files needs at least one file")
    first = readers[0]
    for r in readers[1:]:
        what = _difference(first, r, frames=not concatenate)
        if what:
            raise ValueError(
                f"{r.path} has {what}, unlike the first file {first.path}: stack_files needs files with "
                "the same frame layout" + ("" if concatenate else " (concatenate=True joins frame counts that differ)")
            )
    arrays = [to_dask(r, frames_per_chunk=frames_per_chunk, threads=threads, raw=raw) for r in readers]
    return cast(da.Array, da.concatenate(arrays) if concatenate else da.stack(arrays))


def _too_many_chunks(reader: FrameReader, chunks: int, rows: int, columns: int) -> str:
    """Why a slide's total pixel matrix is refused: its size, the chunks it would be and what its tiles cover."""
    geo, (tile_rows, tile_columns) = reader.geometry, reader.shape[:2]
    if len(geo.positions):  # where the tiles reach from the top-left corner (positions are never negative)
        width = min(geo.total_columns, int(geo.positions[:, 0].max()) + tile_columns)
        height = min(geo.total_rows, int(geo.positions[:, 1].max()) + tile_rows)
    else:
        width = height = 0
    far = width * height * 16 < geo.total_columns * geo.total_rows
    far_text = " (far larger than its tiles: a damaged header?)" if far else ""
    return (
        f"{reader.path}: the total pixel matrix of (0048,0006) Columns {geo.total_columns} x (0048,0007) Rows "
        f"{geo.total_rows}{far_text} would be {chunks} chunks of {rows} x {columns} (rows x columns), more than "
        f"the {MAX_CHUNKS} Dask can compute with (it walks every chunk of the graph); its tiles "
        f"({len(geo.positions)} of {tile_columns} x {tile_rows}) cover {width} x {height} pixels. Pass a larger "
        "chunk, or read regions with FrameReader.read_region"
    )


def _difference(a: FrameReader, b: FrameReader, *, frames: bool) -> str:
    """How b's frames differ from a's, or ''."""
    if b.shape != a.shape:
        return f"frames of shape {b.shape} ({a.shape} in the first)"
    if b.dtype != a.dtype:
        return f"frames of {b.dtype} ({a.dtype} in the first)"
    if frames and len(b) != len(a):
        return f"{len(b)} frames ({len(a)} in the first)"
    return ""


def _reader(source: PathLike | FrameReader, storage_options: dict[str, Any] | None = None) -> FrameReader:
    if isinstance(source, FrameReader):
        return source
    return FrameReader(source, storage_options=storage_options) if storage_options else FrameReader(source)


def _version(reader: FrameReader) -> object:
    """What tells this file's version from another's in a graph's name: a local file's identity, an object's size
    and ETag."""
    remote = reader._remote
    return (
        reader._identity
        if remote is None
        else (remote.ranges.size, remote.ranges.etag, getattr(remote.ranges, "stat", None))
    )


def _array(adapter: _Frames, chunks: tuple[int, ...], name: str) -> da.Array:
    # The adapter is one key of the graph (inline_array=False), so it is shipped once, not in every task.
    # fancy=True: Dask then fuses a slice of a chunk into the chunk's read (with fancy=False it does not), so
    # arr[y0:y1, x0:x1] reads only the tiles under that area, not whole chunks.
    return cast(
        da.Array,
        da.from_array(
            adapter,
            chunks=chunks,
            name=name,
            lock=False,
            asarray=False,
            fancy=True,
            inline_array=False,
            meta=np.empty((0,) * adapter.ndim, adapter.dtype),
        ),
    )


#: What a FrameReader pickles as: the function that opens it again and its arguments (path, header, table).
_Recipe = tuple[Callable[..., FrameReader], tuple[Any, ...]]


class _Opener:
    """A :class:`FrameReader` that travels as what it pickles as (path, header, frame table) and is opened
    where it is used: unpickling maps nothing (the scheduler unpickles every graph but need not see the
    files); the first :meth:`get` in a process opens the file (checking that it is unchanged), later ones
    reuse that reader."""

    def __init__(self, reader: FrameReader | None, recipe: _Recipe | None = None) -> None:
        self._reader = reader
        self._recipe = recipe
        self._lock = threading.Lock()

    def get(self) -> FrameReader:
        reader = self._reader
        if reader is None:
            with self._lock:  # chunks on a worker's threads ask at once: the file is opened once
                if self._reader is None:
                    assert self._recipe is not None
                    opened, args = self._recipe
                    self._reader = opened(*args)
                reader = self._reader
        return reader

    def __reduce__(self) -> tuple[object, ...]:
        recipe = self._recipe
        if recipe is None:
            assert self._reader is not None
            recipe = cast(_Recipe, self._reader.__reduce__())
        return (_Opener, (None, recipe))


@dataclass(frozen=True)
class _Frames:
    """What ``da.from_array`` asks of an array: shape, dtype, ndim and ``[...]``, here over a reader's frames.
    It pickles as its reader does (by path), and opens the file only when first read (:class:`_Opener`)."""

    source: _Opener
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    threads: int | None
    raw: bool

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def reader(self) -> FrameReader:
        return self.source.get()

    def __getitem__(self, key: Any) -> npt.NDArray[Any]:
        first, rest = _split(key)
        frames = self.reader.read(first, threads=self.threads, raw=self.raw)
        return frames[(slice(None), *rest)] if _keeps_axis(first) else frames[rest]


@dataclass(frozen=True)
class _Region(_Frames):
    """A slide's total pixel matrix on one focal plane and optical path, read by ``read_region``."""

    focal_plane: int
    optical_path: int
    fill: int | Sequence[int] | None

    def __getitem__(self, key: Any) -> npt.NDArray[Any]:
        ys, rest = _split(key)
        xs, rest = _split(rest)
        (y0, y1, ly), (x0, x1, lx) = (_bounds(i, n) for i, n in ((ys, self.shape[0]), (xs, self.shape[1])))
        region = self.reader.read_region(
            (x0, y0),
            (x1 - x0, y1 - y0),
            focal_plane=self.focal_plane,
            optical_path=self.optical_path,
            threads=self.threads,
            fill=self.fill,
            raw=self.raw,
        )
        rows: npt.NDArray[Any] = region[ly]  # one axis at a time: outer indexing, as Dask means it
        return rows[(slice(None), lx, *rest)] if _keeps_axis(ly) else rows[(lx, *rest)]


def _split(key: Any) -> tuple[Any, tuple[Any, ...]]:
    """The first axis' index and the others' of a numpy-style key (Dask gives slices, or ints after fusing)."""
    key = key if isinstance(key, tuple) else (key,)
    if not key:
        return slice(None), ()
    if any(k is Ellipsis or k is None for k in key):
        raise IndexError("framecodec's Dask adapters take slices and ints only")
    return key[0], tuple(key[1:])


def _keeps_axis(index: Any) -> bool:
    """Whether indexing an axis with this keeps it (a slice, an array) or drops it (an int)."""
    return isinstance(index, slice) or np.ndim(index) > 0


def _bounds(index: Any, n: int) -> tuple[int, int, Any]:
    """The rows (or columns) to read for an index along an axis of n, as (start, stop), and the index into
    what is read: a slice for a slice, an int for an int, an array for an array of ints."""
    if isinstance(index, slice):
        start, stop, step = index.indices(n)
        if step < 1:
            start, stop = stop + 1, start + 1  # a reversed slice reads the same rows, backwards
            if start >= stop:
                return 0, 0, slice(0, 0)
            return start, stop, slice(stop - start - 1, None, step)
        stop = max(start, stop)
        return start, stop, slice(0, stop - start, step)
    wanted = np.asarray(index)
    if wanted.dtype.kind not in "iu":
        raise IndexError(f"framecodec's region adapter takes slices and integers, not {wanted.dtype}")
    wanted = np.where(wanted < 0, wanted + n, wanted)
    if wanted.size and (wanted.min() < 0 or wanted.max() >= n):
        raise IndexError(f"index {index} is out of range for an axis of {n}")
    if wanted.size == 0:
        return 0, 0, wanted
    lo = int(wanted.min())
    return lo, int(wanted.max()) + 1, (wanted - lo) if wanted.ndim else int(wanted) - lo
