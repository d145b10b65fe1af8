"""The base of framecodec's byte ranges (:class:`Ranges`): how a batch of ranges is grouped into requests and
fetched, how a failed request is retried, and how each response is checked against the object that was opened.

- ranges are merged when the gap between them is small (one request instead of several round trips), cut into
  requests of about ``MAX_REQUEST`` bytes, and fetched concurrently;
- a failed request (a connection error or reset, an HTTP 5xx, a body shorter than asked for) is retried a bounded
  number of times with backoff, then raises an ``OSError`` naming the URL, what was being read and the byte range;
- a response's total size and ETag are compared with those seen when the object was opened: an object replaced
  since is an ``OSError`` (ESTALE), never stale bytes.

The module constants are the tuning knobs (docs/remote.md). The backends that fetch: _range_backends.py.
"""

from __future__ import annotations

import asyncio
import errno
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np

#: Ranges closer than this are fetched as one: a round trip costs more than reading 1 MiB at tens of MB/s.
MERGE_GAP = 1 << 20

#: No merged request larger than this: large reads are split so that they run concurrently.
MAX_REQUEST = 16 << 20

#: Requests in flight at once for one batch: a batch of scattered frames costs about one round trip per this many.
CONCURRENCY = 32

#: The first request of an open: the header of most files (a big TILED_SPARSE file's Per-Frame Functional
#: Groups can be longer; the header is then read on in larger steps).
HEAD_BYTES = 1 << 20


class Changed(OSError):
    """The object is not the one opened: its size or ETag differ (never retried)."""


class _Transient(Exception):
    """A failure worth retrying (HTTP 5xx or 429, a short body)."""


class _RangeIgnored(OSError):
    pass


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
            raise Changed(
                errno.ESTALE,
                f"{names[k]}: bytes {starts[k]}-{ends[k] - 1} lie outside the {self.size}-byte object",
                self.url,
            )
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
                    return await self._retried(
                        int(block_start[b]), int(block_end[b]), lambda: _join([names[int(i)] for i in members[b]])
                    )

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
        raise OSError(
            errno.EIO,
            f"{_said(name)}: bytes {start}-{end - 1} could not be read in {self.retries + 1} attempts "
            f"({type(last).__name__}: {last})",
            self.url,
        )

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
            raise Changed(
                errno.ESTALE,
                f"the object changed since it was opened (size {self.size} -> {total}, "
                f"ETag {self.etag} -> {etag}) while reading bytes {start}-{end - 1}: open it again",
                self.url,
            )


def _said(name: str | Callable[[], str]) -> str:
    return name if isinstance(name, str) else name()


def _join(names: list[str]) -> str:
    frames = [n[6:] for n in names if n.startswith("frame ")]
    if len(frames) == len(names) and len(frames) > 1:
        shown = ", ".join(frames[:8]) + (f" and {len(frames) - 8} more" if len(frames) > 8 else "")
        return f"frames {shown}"
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _exact(ranges: Ranges, data: bytes, start: int, end: int) -> bytes:
    """``data`` when it is the whole range asked for (the object's end clips the first request only)."""
    want = min(end, ranges.size) - start if ranges.size >= 0 else end - start
    if len(data) != want:
        raise _Transient(f"the response held {len(data)} bytes of the {want} asked for")
    return data
