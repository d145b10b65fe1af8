"""The sidecar index: a small file beside a DICOM file (``NAME.fcidx``) holding where each frame's bytes are, so that
a file with an empty Basic Offset Table and no Extended Offset Table opens without walking its Pixel Data.

``write_index`` makes it (``framecodec index FILE|URL``); ``FrameReader`` reads it when such a file has one. It is a
NumPy ``.npz`` (no pickled objects) holding the frames' spans (each frame's items: first item tag to last item's
end), the Pixel Data's first item, the transfer syntax and number of frames, and the identity of the file it was
made from: its size and ETag (objects) or modification time (files). An index whose file has changed since is never
used: one found beside the file is ignored with a warning, one named by ``index=`` is an error.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._ranges import Ranges, is_url, open_ranges

if TYPE_CHECKING:
    from ._remote import Spans

__all__ = ["INDEX_SUFFIX", "find_index", "write_index"]

INDEX_SUFFIX = ".fcidx"
_FORMAT = "framecodec-index 1"


def _identity(ranges: Ranges) -> str:
    """What the index checks the file against: its size, and its ETag, or a local file's modification time."""
    if ranges.etag is not None:
        return f"{ranges.size} {ranges.etag}"
    name = ranges.url
    try:
        return f"{ranges.size} mtime={os.stat(name).st_mtime_ns}"
    except OSError:
        return f"{ranges.size}"


def default_location(ranges: Ranges) -> str | None:
    url = ranges.url
    return url + INDEX_SUFFIX if is_url(url) or os.path.isfile(url) else None


def find_index(ranges: Ranges, index: Any, origin: int, n: int, ts: str) -> Spans | None:
    """The spans an index gives for the object behind ``ranges`` (None: no index, or ``index=False``)."""
    from ._remote import Spans

    if index is False:
        return None
    where = os.fspath(index) if index is not None else default_location(ranges)
    if where is None:
        return None
    try:
        data = _read(where, ranges)
    except FileNotFoundError:
        if index is None:
            return None
        raise
    why = ""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            fields = {k: z[k] for k in z.files}
        if str(fields["format"]) != _FORMAT:
            why = f"it is not a framecodec index of this version ({fields['format']})"
        elif str(fields["identity"]) != _identity(ranges):
            why = f"it was made for another version of the file ({fields['identity']}, now {_identity(ranges)})"
        elif (int(fields["origin"]), int(fields["frames"]), str(fields["transfer_syntax"])) != (origin, n, ts):
            why = "its Pixel Data, Number of Frames or transfer syntax differ from the file's"
        else:
            starts, ends = fields["starts"].astype(np.uint64), fields["ends"].astype(np.uint64)
            if len(starts) != n or len(ends) != n or bool(np.any(ends <= starts)) or int(ends.max()) > ranges.size:
                why = "its frame spans do not fit the file"
            geometry = _geometry(fields, n)
    except (KeyError, ValueError, OSError) as e:
        why = f"it cannot be read ({e})"
    if why:
        message = f"the index {where} is not used: {why}"
        if index is not None:
            raise ValueError(message)
        warnings.warn(message + "; the Pixel Data is walked instead", stacklevel=5)
        return None
    return Spans(starts, ends, "index", geometry=geometry)


def _geometry(fields: dict[str, Any], n: int) -> Any:
    """The tile positions an index holds (None when the file is not tiled)."""
    from .slide import SlideGeometry

    if "g_positions" not in fields:
        return None
    positions = fields["g_positions"].astype(np.int64)
    if positions.shape != (n, 2):
        raise ValueError(f"its tile positions are of shape {positions.shape} for {n} frames")
    return SlideGeometry(
        str(fields["g_organization"]), int(fields["g_total"][0]), int(fields["g_total"][1]), positions,
        fields["g_focal_planes"].astype(np.int64), fields["g_optical_paths"].astype(np.int64),
        tuple(float(z) for z in fields["g_z"]), tuple(str(i) for i in fields["g_paths"]),
    )  # fmt: skip


#: The largest index read (32 bytes a frame, more with tile positions: a 200,000-frame slide's is about 10 MB).
_MAX_INDEX = 256 << 20


def _read(where: str, ranges: Ranges) -> bytes:
    """The index's bytes, through the same checked, retried reads as the object's (with its options)."""
    if not is_url(where):
        return Path(where).read_bytes()
    index = open_ranges(where, getattr(ranges, "storage_options", None), ranges.retries)
    try:
        return index.head(_MAX_INDEX)
    finally:
        with ranges._count:
            ranges.requests += index.requests
            ranges.bytes_read += index.bytes_read


def write_index(source: str | os.PathLike[str], destination: str | os.PathLike[str] | None = None, *,
                storage_options: dict[str, Any] | None = None) -> str:  # fmt: skip
    """Write the sidecar index of ``source`` (a path or URL) to ``destination`` (default: beside it, ``NAME.fcidx``;
    a URL is written through fsspec) and return where. Reading the frames' positions costs what opening the file
    does: for a file with an empty Basic Offset Table and no Extended Offset Table, one read of its Pixel Data."""
    from ._remote import open_remote

    name = os.fspath(source)
    if is_url(name):
        ranges = open_ranges(name, storage_options, 3)
        remote = open_remote(ranges, index=False, cache_bytes=0)
        return _save(ranges, remote, destination)
    with open(name, "rb") as f:
        ranges = open_ranges(f, None, 0)
        ranges.url = name
        remote = open_remote(ranges, index=False, cache_bytes=0)
        return _save(ranges, remote, destination)


def _slide(remote: Any) -> Any:
    """The geometry of a tiled image (None for others, or when it is inconsistent: the reader says why)."""
    from .slide import slide_geometry

    ds = remote.frames.ds
    if ds.get("TotalPixelMatrixColumns") is None or ds.get("TotalPixelMatrixRows") is None:
        return None
    try:
        return slide_geometry(ds, remote.header, remote.frames.layout)
    except ValueError:
        return None


def _save(ranges: Ranges, remote: Any, destination: str | os.PathLike[str] | None) -> str:
    from ._output import atomic_output

    spans = remote.spans
    if spans is None or spans.source == "native":
        raise ValueError(f"{ranges.url}: an index is for encapsulated Pixel Data; this file's frames are found by "
                         "position already")  # fmt: skip
    remote.settle()
    if remote.frames.truncation is not None:
        raise ValueError(f"{ranges.url} is truncated ({remote.frames.truncation}): no index is written for it")
    frames = remote.frames
    origin = int(spans.starts[0])  # the first item after the Basic Offset Table (find_index's origin)
    arrays: dict[str, Any] = {
        "format": np.array(_FORMAT), "identity": np.array(_identity(ranges)), "origin": np.array(origin),
        "frames": np.array(len(spans.starts)), "transfer_syntax": np.array(frames.transfer_syntax),
        "starts": spans.starts, "ends": spans.ends,
    }  # fmt: skip
    geometry = _slide(remote)
    if geometry is not None:  # the tile positions too: a TILED_SPARSE file's open then skips its per-frame walk
        arrays.update(
            g_organization=np.array(geometry.dimension_organization),
            g_total=np.array([geometry.total_columns, geometry.total_rows]), g_positions=geometry.positions,
            g_focal_planes=geometry.focal_planes, g_optical_paths=geometry.optical_paths,
            g_z=np.array(geometry.focal_plane_z, np.float64), g_paths=np.array(geometry.optical_path_identifiers, str),
        )  # fmt: skip
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    where = os.fspath(destination) if destination is not None else ranges.url + INDEX_SUFFIX
    if is_url(where):
        import fsspec

        with fsspec.open(where, "wb", **(getattr(ranges, "storage_options", None) or {})) as out:
            out.write(data)
        return where
    with atomic_output(Path(where)) as tmp:
        tmp.write_bytes(data)
    return where
