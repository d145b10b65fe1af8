"""Byte ranges of one object where it lives: an fsspec URL (S3, HTTP, GCS, ...) or a binary file object.

``open_ranges`` gives a :class:`Ranges`, which ``_remote`` asks for the header and for frames. Every read is
checked before any byte is used:

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

import asyncio
import errno
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import IO, Any

import numpy as np

__all__ = ["Ranges", "is_url", "open_ranges"]

#: Ranges closer than this are fetched as one: a round trip costs more than reading 1 MiB at tens of MB/s.
MERGE_GAP = 1 << 20
#: No merged request larger than this: large reads are split so that they run concurrently.
MAX_REQUEST = 16 << 20
#: Requests in flight at once for one batch: a batch of scattered frames costs about one round trip per this many.
CONCURRENCY = 32
#: The first request of an open: the header of most files (a big TILED_SPARSE file's Per-Frame Functional
#: Groups can be longer; the header is then read on in larger steps).
HEAD_BYTES = 1 << 20


def is_url(source: object) -> bool:
    """A string naming an fsspec URL ("s3://", "https://", "gs://", "memory://", ...); "file://" is a path."""
    return isinstance(source, str) and "://" in source and not source.startswith("file://")


class Changed(OSError):
    """The object is not the one opened: its size or ETag differ (never retried)."""


class _Transient(Exception):
    """A failure worth retrying (HTTP 5xx or 429, a short body)."""


class Ranges:
    """One object's bytes, fetched by range. ``size`` and ``etag`` are what the first response said; ``requests``
    and ``bytes_read`` count what was fetched."""

    def __init__(self, url: str, retries: int) -> None:
        if retries < 0:
            raise ValueError(f"retries must be at least 0, got {retries}")
        self.url, self.retries = url, retries
        self.size = -1
        self.etag: str | None = None
        self.requests = 0
        self.bytes_read = 0
        self._count = threading.Lock()

    # --- what a backend provides -----------------------------------------------------------------------

    async def _get(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` (exactly, or raise); updates ``size`` and ``etag`` from the first response."""
        raise NotImplementedError

    def _run(self, coro: Awaitable[Any]) -> Any:
        """Runs a coroutine to its end on the backend's event loop, from any thread."""
        raise NotImplementedError

    def _after_batch(self) -> None:
        """Checks that the object is unchanged, for backends whose responses do not say."""

    def recipe(self) -> tuple[Any, ...]:
        """What opens the same object again in another process (``reopen``'s arguments)."""
        raise TypeError(f"a FrameReader over {self.url} (a file object) cannot be pickled: open it by path or URL")

    # --- reading -------------------------------------------------------------------------------------

    def head(self, n: int) -> bytes:
        """The object's first ``n`` bytes (fewer when it is shorter), learning its size and ETag."""
        data: bytes = self._run(self._retried(0, n, "the header", first=True))
        return data

    def fetch(self, ranges: Sequence[tuple[int, int]], names: Sequence[str]) -> list[memoryview]:
        """The bytes of each ``(start, end)`` range, in order. ``names[i]`` says what range ``i`` is for the
        messages ("frame 12"; read only for a message). Ranges less than ``MERGE_GAP`` apart share a request, cut
        about every ``MAX_REQUEST`` bytes; requests run concurrently."""
        if not ranges:
            return []
        bounds = np.array(ranges, dtype=np.int64).reshape(-1, 2)
        starts, ends = bounds[:, 0], bounds[:, 1]
        bad = np.flatnonzero((starts < 0) | (ends < starts) | (ends > self.size))
        if len(bad):
            k = int(bad[0])
            raise Changed(errno.ESTALE, f"{names[k]}: bytes {starts[k]}-{ends[k] - 1} lie outside the {self.size}-byte "
                          "object", self.url)  # fmt: skip
        order = np.argsort(starts, kind="stable")
        s, e = starts[order], ends[order]
        reach = np.maximum.accumulate(e)  # ranges may overlap: a group ends where its furthest range does
        new = np.ones(len(s), bool)
        new[1:] = s[1:] - reach[:-1] > MERGE_GAP
        group_start = s[new][np.cumsum(new) - 1]
        part = (s - group_start) // MAX_REQUEST  # a long group is cut into requests of about MAX_REQUEST
        first = new.copy()
        first[1:] |= part[1:] != part[:-1]
        heads = np.flatnonzero(first)
        block_of = np.cumsum(first) - 1
        block_start, block_end = s[heads], np.maximum.reduceat(e, heads)
        members = np.split(order, heads[1:])

        async def all_blocks() -> list[bytes]:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(b: int) -> bytes:
                async with gate:
                    return await self._retried(int(block_start[b]), int(block_end[b]),
                                               lambda: _join([names[int(i)] for i in members[b]]))  # fmt: skip

            return list(await asyncio.gather(*(one(b) for b in range(len(heads)))))

        blocks = [memoryview(block) for block in self._run(all_blocks())]
        self._after_batch()
        out: list[memoryview] = [memoryview(b"")] * len(ranges)
        at = (s - block_start[block_of]).tolist()
        for i, b, a, n in zip(order.tolist(), block_of.tolist(), at, (e - s).tolist()):
            out[i] = blocks[b][a : a + n]
        return out

    async def _retried(self, start: int, end: int, name: str | Callable[[], str], first: bool = False) -> bytes:
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(min(2.0, 0.05 * 2**attempt))
            with self._count:
                self.requests += 1
            try:
                data = await self._get(start, end) if not first else await self._first(end)
            except (Changed, _RangeIgnored) as e:  # never retried; the message says what was being read
                raise type(e)(e.errno, f"{_said(name)}: {e.strerror}", self.url) from None
            except (FileNotFoundError, PermissionError, IsADirectoryError):
                raise
            except (_Transient, OSError, asyncio.TimeoutError) as e:
                last = e
                continue
            except Exception as e:  # aiohttp's ClientError, botocore's errors: the transport's faults
                if type(e).__module__.split(".")[0] not in ("aiohttp", "botocore", "aiobotocore", "urllib3"):
                    raise
                last = e
                continue
            with self._count:
                self.bytes_read += len(data)
            return data
        raise OSError(errno.EIO, f"{_said(name)}: bytes {start}-{end - 1} could not be read in {self.retries + 1} attempts "
                      f"({type(last).__name__}: {last})", self.url)  # fmt: skip

    async def _first(self, n: int) -> bytes:
        """The first request: bytes 0:n, or the whole object when it is shorter (its size is not known yet)."""
        return await self._get(0, n)

    def _check(self, total: int | None, etag: str | None, start: int, end: int) -> None:
        """A response's total size and ETag against the object's (the first response sets them)."""
        if self.size < 0:
            if total is None:
                raise OSError(errno.EIO, "the server did not say the object's size (no Content-Range)", self.url)
            self.size, self.etag = total, etag
            return
        if (total is not None and total != self.size) or (self.etag and etag and etag != self.etag):
            raise Changed(errno.ESTALE, f"the object changed since it was opened (size {self.size} -> {total}, "
                          f"ETag {self.etag} -> {etag}) while reading bytes {start}-{end - 1}: open it again",
                          self.url)  # fmt: skip


class _RangeIgnored(OSError):
    pass


def _said(name: str | Callable[[], str]) -> str:
    return name if isinstance(name, str) else name()


def _join(names: list[str]) -> str:
    frames = [n[6:] for n in names if n.startswith("frame ")]
    if len(frames) == len(names) and len(frames) > 1:
        shown = ", ".join(frames[:8]) + (f" and {len(frames) - 8} more" if len(frames) > 8 else "")
        return f"frames {shown}"
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _version(headers: Any) -> str | None:
    """What tells one version of an HTTP object from another: its ETag, else its Last-Modified date."""
    etag = headers.get("ETag")
    if etag:
        return str(etag)
    modified = headers.get("Last-Modified")
    return f"Last-Modified: {modified}" if modified else None


def _content_range(value: str | None) -> int | None:
    """The total size of ``Content-Range: bytes a-b/total`` (None when absent or "*")."""
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


class _AsyncRanges(Ranges):
    def __init__(self, fs: Any, path: str, url: str, storage_options: dict[str, Any], retries: int) -> None:
        super().__init__(url, retries)
        self.fs, self.path, self.storage_options = fs, path, storage_options

    def _run(self, coro: Awaitable[Any]) -> Any:
        from fsspec.asyn import sync

        return sync(self.fs.loop, lambda: coro)

    def recipe(self) -> tuple[Any, ...]:
        return (self.url, self.storage_options, self.retries, self.size, self.etag)


class _S3Ranges(_AsyncRanges):
    """S3: ranged GETs of a presigned URL, signed once (botocore spends about 2 ms of CPU signing and parsing each
    request, which a batch of scattered frames pays per frame), through fsspec's aiohttp session; or, when the URL
    is refused (the object needs headers a URL cannot carry), s3fs's client's ``get_object``. Every response's
    size (Content-Range) and ETag are checked."""

    #: A presigned URL is used for this long (it is valid for twice as long).
    SIGNED_FOR = 1800.0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._signed: tuple[str, float] | None | bool = None  # (URL, when), False: the client only

    async def _get(self, start: int, end: int) -> bytes:
        url = await self._presigned()
        if url is not None:
            import fsspec

            http = fsspec.filesystem("http")  # one aiohttp session for the process, closed with it
            try:
                return await _http_get(self, await http.set_session(), url, start, end, {}, {}, presigned=True)
            except _Refused:
                self._signed = False
        return await self._client_get(start, end)

    async def _presigned(self) -> str | None:
        import time

        signed = self._signed
        if signed is False or self.fs.s3_additional_kwargs or self.fs.req_kw or self.fs.version_aware:
            return None  # encryption keys, requester pays, versions: what the client adds to each request
        if isinstance(signed, tuple) and time.monotonic() - signed[1] < self.SIGNED_FOR:
            return signed[0]
        bucket, key, version = self.fs.split_path(self.path)
        if version:
            return None
        await self.fs.set_session()
        s3 = await self.fs.get_s3(bucket)
        url: str = await s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                                   ExpiresIn=int(2 * self.SIGNED_FOR))  # fmt: skip
        url = await _sigv4(s3, url, int(2 * self.SIGNED_FOR))
        self._signed = (url, time.monotonic())
        return url


    async def _first(self, n: int) -> bytes:
        try:
            return await self._get(0, n)
        except OSError as e:  # S3 refuses any range of an empty object (InvalidRange)
            if "range" not in str(e).lower():
                raise
            info = await self.fs._info(self.path)
            if int(info["size"]):
                raise
            self.size, self.etag = 0, info.get("ETag")
            return b""

    async def _client_get(self, start: int, end: int) -> bytes:
        bucket, key, version = self.fs.split_path(self.path)
        extra = {"VersionId": version} if version else {}
        resp = await self.fs._call_s3("get_object", Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}", **extra)
        body = resp["Body"]
        try:
            total = _content_range(resp.get("ContentRange"))
            if total is None and "ContentLength" in resp and start == 0:
                total = int(resp["ContentLength"])  # a whole object returned for bytes=0-: its length is its size
            self._check(total, resp.get("ETag"), start, end)
            data: bytes = await body.read()
        finally:
            body.close()
        return _exact(self, data, start, end)


async def _sigv4(s3: Any, url: str, expires: int) -> str:
    """``url`` signed with Signature Version 4: botocore presigns us-east-1 URLs with version 2, which S3 refuses for
    buckets made since 2020 (a refused URL is only slower: the client is asked instead)."""
    if "AWSAccessKeyId=" not in url:
        return url  # SigV4 already, or anonymous
    try:
        from botocore.auth import S3SigV4QueryAuth
        from botocore.awsrequest import AWSRequest

        credentials = await s3._request_signer._credentials.get_frozen_credentials()
        request = AWSRequest(method="GET", url=url.split("?", 1)[0])
        S3SigV4QueryAuth(credentials, "s3", s3.meta.region_name, expires=expires).add_auth(request)
        return str(request.url)
    except Exception:  # noqa: BLE001 - botocore's internals moved: the version 2 URL, or the client, then
        return url


class _HttpRanges(_AsyncRanges):
    """HTTP(S) through fsspec's aiohttp session: the status, Content-Range and ETag of each response are checked."""

    async def _get(self, start: int, end: int) -> bytes:
        session = await self.fs.set_session()
        kwargs = dict(self.fs.kwargs)
        headers = dict(kwargs.pop("headers", None) or {})
        return await _http_get(self, session, self.fs.encode_url(self.path), start, end, headers, kwargs)


class _Refused(OSError):
    """HTTP 400 or 403 to a presigned S3 URL: the S3 client itself is asked instead."""


async def _http_get(ranges: Ranges, session: Any, url: str, start: int, end: int, headers: dict[str, str],
                    kwargs: dict[str, Any], presigned: bool = False) -> bytes:  # fmt: skip
    """Bytes ``start:end`` of ``url`` by one ranged GET, the response's status, size and version checked."""
    headers = {**headers, "Range": f"bytes={start}-{end - 1}"}
    headers["Accept-Encoding"] = "identity"  # byte ranges of the stored bytes, not of a compressed transfer
    async with session.get(url, headers=headers, **kwargs) as r:
        if presigned and r.status in (400, 403):  # expired, or the object needs what a URL cannot carry
            raise _Refused(errno.EACCES, f"HTTP {r.status}", ranges.url)
        if r.status == 404:
            raise FileNotFoundError(errno.ENOENT, "no such object (HTTP 404)", ranges.url)
        if r.status in (401, 403):
            raise PermissionError(errno.EACCES, f"access refused (HTTP {r.status})", ranges.url)
        if r.status == 416 and ranges.size < 0 and _content_range(r.headers.get("Content-Range")) == 0:
            ranges.size = 0  # an empty object: no byte to serve (RFC 9110 15.5.17)
            return b""
        if r.status in (412, 416) and ranges.size >= 0:
            raise Changed(errno.ESTALE, f"the object changed since it was opened (HTTP {r.status} for bytes "
                          f"{start}-{end - 1}): open it again", ranges.url)  # fmt: skip
        if r.status >= 500 or r.status == 429:
            raise _Transient(f"HTTP {r.status}")
        length = r.headers.get("Content-Length")
        if r.status == 200:
            whole = int(length) if length and length.isdigit() else None
            if start != 0 or whole is None or whole > end:  # the whole object instead of a part of it
                raise _RangeIgnored(errno.EIO, f"the server answered a request for bytes {start}-{end - 1} with the "
                                    "whole object (HTTP 200): it does not honour Range requests, which framecodec "
                                    "needs to read frames", ranges.url)  # fmt: skip
            ranges._check(whole, _version(r.headers), start, end)
        elif r.status == 206:
            ranges._check(_content_range(r.headers.get("Content-Range")), _version(r.headers), start, end)
        else:
            raise OSError(errno.EIO, f"HTTP {r.status} for bytes {start}-{end - 1}", ranges.url)
        data: bytes = await r.read()
    return _exact(ranges, data, start, end)


class _FsspecRanges(_AsyncRanges):
    """Any other fsspec filesystem: its ``cat_file`` by range; the object's identity (size, ETag or generation or
    modification time) is asked for again after each batch."""

    def _run(self, coro: Awaitable[Any]) -> Any:
        if getattr(self.fs, "async_impl", False):
            return super()._run(coro)
        return _run_own(coro)

    async def _first(self, n: int) -> bytes:
        info = await self._info()
        self.size, self.etag = int(info["size"]), _identity(info)
        return await self._get(0, min(n, self.size))

    async def _get(self, start: int, end: int) -> bytes:
        if start == end:
            return b""
        if getattr(self.fs, "async_impl", False):
            data = await self.fs._cat_file(self.path, start=start, end=end)
        else:
            data = await asyncio.get_running_loop().run_in_executor(None, lambda: self.fs.cat_file(self.path, start, end))
        return _exact(self, bytes(data), start, end)

    async def _info(self) -> dict[str, Any]:
        self.fs.invalidate_cache(self.path)
        if getattr(self.fs, "async_impl", False):
            info: dict[str, Any] = await self.fs._info(self.path)
        else:
            info = self.fs.info(self.path)
        return info

    def _after_batch(self) -> None:
        async def check() -> None:
            with self._count:
                self.requests += 1
            info = await self._info()
            self._check(int(info["size"]), _identity(info), 0, self.size)

        self._run(check())


def _identity(info: dict[str, Any]) -> str | None:
    """What changes when an object is replaced: its ETag, generation or modification time."""
    for key in ("ETag", "etag", "generation", "md5Hash", "LastModified", "mtime", "last_modified", "created"):
        if info.get(key) is not None:
            return f"{key}={info[key]}"
    return None


def _exact(ranges: Ranges, data: bytes, start: int, end: int) -> bytes:
    """``data`` when it is the whole range asked for (the object's end clips the first request only)."""
    want = min(end, ranges.size) - start if ranges.size >= 0 else end - start
    if len(data) != want:
        raise _Transient(f"the response held {len(data)} bytes of the {want} asked for")
    return data


class _FileRanges(Ranges):
    """An open binary file object (``seek`` and ``read``), read under a lock; its size is where it ends."""

    def __init__(self, f: IO[bytes], retries: int) -> None:
        super().__init__(str(getattr(f, "name", None) or f"<{type(f).__name__}>"), retries)
        self._f = f
        self._lock = threading.Lock()
        with self._lock:
            at = f.tell()
            self.size = f.seek(0, os.SEEK_END)
            f.seek(at)

    def _run(self, coro: Awaitable[Any]) -> Any:
        return _run_own(coro)

    async def _get(self, start: int, end: int) -> bytes:
        with self._lock:
            self._f.seek(start)
            data = self._f.read(end - start)
        if len(data) != min(end, self.size) - start:
            raise Changed(errno.ESTALE, f"the file ended at byte {start + len(data)}, before byte {end}: it changed "
                          "since it was opened", self.url)  # fmt: skip
        return bytes(data)


class PathRanges(Ranges):
    """A local file read with ``pread`` (``FrameReader`` over a file whose frames a sidecar index places): its
    identity is its size and modification time, checked again where a pickled reader is opened."""

    def __init__(self, path: str, retries: int = 0) -> None:
        super().__init__(path, retries)
        self._fd = os.open(path, os.O_RDONLY)
        self._closer = weakref.finalize(self, os.close, self._fd)
        st = os.fstat(self._fd)
        self.size, self.stat = st.st_size, (st.st_size, st.st_mtime_ns)

    def _run(self, coro: Awaitable[Any]) -> Any:
        return _run_own(coro)

    async def _get(self, start: int, end: int) -> bytes:
        data = os.pread(self._fd, min(end, self.size) - start, start)
        if len(data) != min(end, self.size) - start:
            raise Changed(errno.ESTALE, f"the file ended at byte {start + len(data)}, before byte {end}: it changed "
                          "since it was opened", self.url)  # fmt: skip
        return data

    def recipe(self) -> tuple[Any, ...]:
        return (self.url, None, self.retries, self.size, self.stat)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _run_own(coro: Awaitable[Any]) -> Any:
    """Runs a coroutine on framecodec's own I/O thread (for file objects and filesystems without an event loop):
    from any thread, even one that runs an event loop already (a notebook's)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="framecodec-io", daemon=True).start()
        loop = _loop
    return asyncio.run_coroutine_threadsafe(coro, loop).result()  # type: ignore[arg-type]


def _forget_loop() -> None:
    global _loop
    _loop = None  # a forked child has the loop object but not its thread


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_loop)


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
            raise Changed(errno.ESTALE, "the file changed since its FrameReader was pickled (its size or modification "
                          "time differ): open it again", url)  # fmt: skip
        return local
    ranges = open_ranges(url, storage_options, retries)
    ranges.size, ranges.etag = size, etag
    return ranges

