"""Where the byte ranges of an object come from (the backends of :class:`~framecodec._range_fetch.Ranges`): S3 by
presigned URL or s3fs's client, HTTP(S) through fsspec's aiohttp session, any other fsspec filesystem, a binary file
object, a local file by ``pread``; and framecodec's own I/O thread for those without an event loop.

Every S3 and HTTP response carries the object's ETag and total size (Content-Range), checked by ``Ranges._check``;
other filesystems are asked for the object's identity again after each batch. An HTTP server that answers a ranged
request with the whole object (it ignores Range) is refused at once.
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
import weakref
from collections.abc import Awaitable
from typing import IO, Any

from ._range_fetch import Changed, Ranges, _exact, _RangeIgnored, _Transient


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
        self._signed: tuple[str, float] | bool | None = None  # (URL, when), False: the client only

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
        url: str = await s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(2 * self.SIGNED_FOR)
        )
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
    except Exception:
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


async def _http_get(
    ranges: Ranges,
    session: Any,
    url: str,
    start: int,
    end: int,
    headers: dict[str, str],
    kwargs: dict[str, Any],
    presigned: bool = False,
) -> bytes:
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
            raise Changed(
                errno.ESTALE,
                f"the object changed since it was opened (HTTP {r.status} for bytes {start}-{end - 1}): open it again",
                ranges.url,
            )
        if r.status >= 500 or r.status == 429:
            raise _Transient(f"HTTP {r.status}")
        length = r.headers.get("Content-Length")
        if r.status == 200:
            whole = int(length) if length and length.isdigit() else None
            if start != 0 or whole is None or whole > end:  # the whole object instead of a part of it
                raise _RangeIgnored(
                    errno.EIO,
                    f"the server answered a request for bytes {start}-{end - 1} with the "
                    "whole object (HTTP 200): it does not honour Range requests, which framecodec "
                    "needs to read frames",
                    ranges.url,
                )
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
            data = await asyncio.get_running_loop().run_in_executor(
                None, lambda: self.fs.cat_file(self.path, start, end)
            )
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
            raise Changed(
                errno.ESTALE,
                f"the file ended at byte {start + len(data)}, before byte {end}: it changed since it was opened",
                self.url,
            )
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
            raise Changed(
                errno.ESTALE,
                f"the file ended at byte {start + len(data)}, before byte {end}: it changed since it was opened",
                self.url,
            )
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
