"""Byte ranges of one object where it lives: an fsspec URL (S3, HTTP, GCS, ...) or a binary file object.

``open_ranges`` gives a :class:`Ranges`, which ``_remote`` asks for the header and for frames. Every read is
checked before any byte is used (_range_fetch.py: grouping, retries, checks; _range_backends.py: S3, HTTP, fsspec,
files):

- ranges are merged when the gap between them is small (one request instead of several round trips) and fetched
  concurrently on fsspec's event loop;
- a failed request (a connection error or reset, an HTTP 5xx, a body shorter than asked for) is retried a bounded
  number of times with backoff, then raises an ``OSError`` naming the URL, what was being read and the byte range;
- every S3 and HTTP response carries the object's ETag and total size (Content-Range), which are compared with
  those seen when the object was opened: an object replaced since is an ``OSError`` (ESTALE), never stale bytes;
  other filesystems are asked for the object's identity again after each batch;
- an HTTP server that answers a ranged request with the whole object (it ignores Range) is refused at once.

fsspec (and s3fs, aiohttp) come with ``framecodec[remote]``; a local file never imports them.
"""

from __future__ import annotations

import errno
from typing import Any

from ._range_backends import PathRanges, _AsyncRanges, _FileRanges, _FsspecRanges, _HttpRanges, _S3Ranges

# the tuning knobs live in _range_fetch (monkeypatch them there); these are re-exported for the package
from ._range_fetch import CONCURRENCY, HEAD_BYTES, MAX_REQUEST, Changed, Ranges

__all__ = ["HEAD_BYTES", "MAX_REQUEST", "Changed", "PathRanges", "Ranges", "is_url", "open_ranges", "reopen"]


def is_url(source: object) -> bool:
    """A string naming an fsspec URL ("s3://", "https://", "gs://", "memory://", ...); "file://" is a path."""
    return isinstance(source, str) and "://" in source and not source.startswith("file://")


def open_ranges(source: Any, storage_options: dict[str, Any] | None, retries: int) -> Ranges:
    """The :class:`Ranges` of a URL (through fsspec, with ``storage_options``) or of a binary file object (an fsspec
    file is read through its filesystem, concurrently)."""
    if isinstance(source, str):
        try:
            import fsspec
        except ImportError as e:
            raise ImportError(f"reading {source} needs fsspec: pip install 'framecodec[remote]'") from e
        options = dict(storage_options or {})
        fs, path = fsspec.core.url_to_fs(source, **_with_connections(source, options))
        return _for_filesystem(fs, path, source, options, retries)
    fs, path = getattr(source, "fs", None), getattr(source, "path", None)
    if fs is not None and isinstance(path, str) and getattr(source, "mode", "rb") == "rb":
        return _for_filesystem(fs, path, fs.unstrip_protocol(path), None, retries)
    if not (hasattr(source, "read") and hasattr(source, "seek")):
        raise TypeError(f"source must be a path, a URL or a binary file object, not {type(source).__name__}")
    return _FileRanges(source, retries)


def _with_connections(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """S3's client keeps 10 connections unless told otherwise (botocore's default), which would make a batch of
    scattered frames wait for each other: room for ``CONCURRENCY`` unless the options say."""
    if not url.startswith(("s3://", "s3a://")):
        return options
    config = dict(options.get("config_kwargs") or {})
    config.setdefault("max_pool_connections", CONCURRENCY)
    return {**options, "config_kwargs": config}


def _for_filesystem(fs: Any, path: str, url: str, options: dict[str, Any] | None, retries: int) -> Ranges:
    protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
    cls: type[_AsyncRanges]
    if protocols & {"s3", "s3a"} and hasattr(fs, "_call_s3"):
        cls = _S3Ranges
    elif protocols & {"http", "https"} and hasattr(fs, "set_session"):
        cls = _HttpRanges
    else:
        cls = _FsspecRanges
    # An fsspec file object's filesystem knows the options it was made with: a pickled reader opens it again.
    return cls(fs, path, url, options if options is not None else dict(fs.storage_options), retries)


def reopen(url: str, storage_options: dict[str, Any] | None, retries: int, size: int, etag: Any) -> Ranges:
    """The ranges of an object opened elsewhere (a pickled reader): its first response is checked against the size
    and ETag seen there, with no request made here (a local file: its size and modification time, now)."""
    if not is_url(url):
        local = PathRanges(url, retries)
        if local.stat != tuple(etag):
            raise Changed(
                errno.ESTALE,
                "the file changed since its FrameReader was pickled (its size or modification "
                "time differ): open it again",
                url,
            )
        return local
    ranges = open_ranges(url, storage_options, retries)
    ranges.size, ranges.etag = size, etag
    return ranges
