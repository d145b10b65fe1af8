"""A ``FrameReader`` unpickled in another process (a Dask worker): opened again from what it pickled as.

A local file pickles as its path, header, frame table and identity, and is mapped again where it is unpickled,
after checking that it is the same file; a remote one pickles as its ``Remote`` (URL, options, header, spans),
which makes its own connection and checks each response against the size and ETag seen at open.
"""

from __future__ import annotations

import errno
import os
import threading
from typing import TYPE_CHECKING, Any

from ._source import Frames

if TYPE_CHECKING:
    from ._remote import Remote
    from .reader import FrameReader
    from .slide import SlideGeometry

__all__ = ["LOCAL", "identity", "reopen_local", "reopen_remote"]

#: What a reader's frames hold only in this process: the map and the file objects.
LOCAL = frozenset({"buffer", "_mm", "_caller_file"})


def identity(path: str) -> tuple[int, ...]:
    """What a pickled reader expects to find again: size and modification time, and the inode and status-change
    time, which a rewrite in place (ctime) or a replacement (inode) changes even when it restores the size and the
    modification time (os.utime). Both are the server's on NFS, so workers of other nodes see the same values."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


def reopen_local(
    cls: type[FrameReader],
    path: str,
    threads: int | None,
    was: tuple[int, ...],
    state: dict[str, Any],
    geometry: SlideGeometry | None,
) -> FrameReader:
    from ._core import MappedFile, _table_from_state
    from ._deflated import DEFLATED_EXPLICIT, inflated_map

    deflated = state["transfer_syntax"] == DEFLATED_EXPLICIT  # PS3.5 A.5: the data set is inflated again
    buffer: Any = inflated_map(path) if deflated and identity(path) == was else MappedFile(path)
    if identity(path) != was or (not deflated and len(buffer) != was[0]):
        raise OSError(
            errno.ESTALE,
            "the file changed since its FrameReader was pickled (its size, modification "
            "time, inode or status-change time differ): open it again",
            path,
        )
    table = state["table"]
    if isinstance(table, tuple):  # a lazy table's _lazy_state
        table = _table_from_state(table)
    if table is not None:
        state = {**state, "table": table._bind(buffer)}
    return _reader(cls, path, threads, was, None, Frames(buffer=buffer, **state), geometry)


def reopen_remote(
    cls: type[FrameReader], remote: Remote, threads: int | None, geometry: SlideGeometry | None
) -> FrameReader:
    """``remote`` arrived with its header and spans and opens its own connection when it first reads."""
    return _reader(cls, remote.ranges.url, threads, (), remote, remote.frames, geometry)


def _reader(
    cls: type[FrameReader],
    path: str,
    threads: int | None,
    was: tuple[int, ...],
    remote: Remote | None,
    frames: Frames,
    geometry: SlideGeometry | None,
) -> FrameReader:
    # The class arrives with the recipe (pickled by reference), so that this module does not import the reader.
    reader = cls.__new__(cls)
    reader.path, reader.threads, reader._identity = path, threads, was
    reader._lock = threading.Lock()
    reader._remote, reader._frames = remote, frames
    if geometry is not None:
        reader.__dict__["geometry"] = geometry
    return reader
