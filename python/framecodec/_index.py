"""Writing the sidecar index (``NAME.fcidx``, ``framecodec index FILE|URL``): where each frame's bytes are, so that
a file with an empty Basic Offset Table and no Extended Offset Table opens without walking its Pixel Data.
``_spans`` says what it holds and reads it (``FrameReader`` uses it when such a file has one).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._ranges import Ranges, is_url, open_ranges
from ._spans import INDEX_FORMAT, INDEX_SUFFIX, index_identity

__all__ = ["write_index"]


def write_index(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str] | None = None,
    *,
    storage_options: dict[str, Any] | None = None,
) -> str:
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
        raise ValueError(
            f"{ranges.url}: an index is for encapsulated Pixel Data; this file's frames are found by position already"
        )
    remote.settle()
    if remote.frames.truncation is not None:
        raise ValueError(f"{ranges.url} is truncated ({remote.frames.truncation}): no index is written for it")
    frames = remote.frames
    origin = int(spans.starts[0])  # the first item after the Basic Offset Table (``_spans.find_index``'s origin)
    arrays: dict[str, Any] = {
        "format": np.array(INDEX_FORMAT),
        "identity": np.array(index_identity(ranges)),
        "origin": np.array(origin),
        "frames": np.array(len(spans.starts)),
        "transfer_syntax": np.array(frames.transfer_syntax),
        "starts": spans.starts,
        "ends": spans.ends,
    }
    geometry = _slide(remote)
    if geometry is not None:  # the tile positions too: a TILED_SPARSE file's open then skips its per-frame walk
        arrays.update(
            g_organization=np.array(geometry.dimension_organization),
            g_total=np.array([geometry.total_columns, geometry.total_rows]),
            g_positions=geometry.positions,
            g_focal_planes=geometry.focal_planes,
            g_optical_paths=geometry.optical_paths,
            g_z=np.array(geometry.focal_plane_z, np.float64),
            g_paths=np.array(geometry.optical_path_identifiers, str),
        )
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
