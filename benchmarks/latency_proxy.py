"""A loopback HTTP proxy that adds a fixed latency to every request and counts them, and a moto S3 server, each in a
process of its own, for bench_remote.py (issue 19: FrameReader over S3/HTTP).

    with MotoS3() as moto, LatencyProxy(moto.address, delay=0.020) as proxy:
        moto.client().put_object(Bucket="b", Key="k", Body=data)     # straight to moto: no latency, not counted
        fs = s3fs.S3FileSystem(**proxy.storage_options(moto))        # every request through the proxy
        proxy.reset(); fs.cat_file("b/k", start=0, end=10); proxy.requests   # 1
        proxy.log()                                                   # [("GET", "/b/k", "bytes=0-9"), ...]

:class:`LatencyProxy` is a TCP proxy on 127.0.0.1 (an ephemeral port) in front of one upstream server. It reads
the HTTP/1.1 requests that go from a client to the server (request line and headers, then the body by its
Content-Length or chunked encoding), and before passing each request's first byte on it waits ``delay`` seconds:
a keep-alive connection pays it once per request, and concurrent connections pay it concurrently, as a client far
from its server would. Responses go back unchanged, their bytes counted. It counts each request by method (HEAD,
GET, PUT, other) and keeps the request line and Range header of each (``log()``), so that a benchmark can say
where an operation's requests went.

It runs in a child process, as :class:`MotoS3` does: in the benchmark's own process their threads would take the
GIL from the code being timed (the proxy copies every byte of a whole-file read). The parent talks to the proxy
over its stdin and stdout (counts, log, reset: a JSON line each way), outside the timed calls. Both children are
``python latency_proxy.py proxy|moto ...``, started with ``subprocess`` (not ``multiprocessing``, which would import
the parent's main module again in the child).

:class:`MotoS3` is ``moto.server.ThreadedMotoServer`` (port 0) in a child process. moto 5 answers a ranged GET by
copying the whole object out of its buffer and slicing it (``FakeKey.value``), so every request would cost
time in proportion to the object's size (tens of ms for a 600 MB slide) and favour whoever makes fewer requests;
S3 costs the range. The child therefore keeps each object's bytes once as an immutable ``bytes`` (``FakeKey.value``
returns it without a copy), so a ranged GET copies only its range. ``MotoS3(faithful_ranges=False)`` leaves moto as
it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from typing_extensions import Self

#: The HTTP methods counted apart; anything else is "other".
METHODS = ("HEAD", "GET", "PUT")
#: The largest request head (request line and headers) read before giving up on a connection.
MAX_HEAD = 1 << 16
CHUNK = 1 << 18
HERE = Path(__file__).resolve()


# ------------------------------------------------------------------------------------------------ the proxy


class _State:
    """The child's counters and request log, shared by its event loop and its control thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.log: list[tuple[str, str, str]] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.counts = {
                "requests": 0,
                **{m: 0 for m in METHODS},
                "other": 0,
                "bytes_down": 0,
                "bytes_up": 0,
                "connections": 0,
            }
            self.log = []

    def request(self, method: str, target: str, range_header: str) -> None:
        with self.lock:
            self.counts["requests"] += 1
            self.counts[method if method in METHODS else "other"] += 1
            self.log.append((method, target, range_header))

    def add(self, key: str, n: int) -> None:
        with self.lock:
            self.counts[key] += n


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    """(method, target, lower-cased headers) of a request head (HTTP/1.1, RFC 9112 section 3)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise ValueError(f"not an HTTP request line: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


class _Buffered:
    """A StreamReader with bytes already read put back in front."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.buf = b""

    async def fill(self) -> bool:
        data = await self.reader.read(CHUNK)
        self.buf += data
        return bool(data)

    async def until(self, marker: bytes, limit: int) -> bytes | None:
        """Everything up to and including ``marker``; None at end of stream before any byte."""
        while marker not in self.buf:
            if len(self.buf) > limit:
                raise ValueError(f"no {marker!r} in the first {limit} bytes")
            if not await self.fill():
                if self.buf:
                    raise ValueError("connection closed in the middle of a request head")
                return None
        cut = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:cut], self.buf[cut:]
        return out

    async def exactly(self, n: int, writer: asyncio.StreamWriter) -> None:
        """Pass ``n`` bytes on to ``writer``."""
        while n > 0:
            if not self.buf and not await self.fill():
                raise ValueError("connection closed in the middle of a request body")
            piece, self.buf = self.buf[:n], self.buf[n:]
            writer.write(piece)
            n -= len(piece)
            await writer.drain()


async def _requests(client: _Buffered, upstream: asyncio.StreamWriter, delay: float, state: _State) -> None:
    """Client to server, request by request: the head read whole, the delay, then the head and the body passed on."""
    while True:
        head = await client.until(b"\r\n\r\n", MAX_HEAD)
        if head is None:
            return
        method, target, headers = _parse_head(head)
        state.request(method, target, headers.get("range", ""))
        await asyncio.sleep(delay)  # the latency, once per request, before its first byte reaches the server
        upstream.write(head)
        state.add("bytes_up", len(head))
        if "chunked" in headers.get("transfer-encoding", "").lower():  # RFC 9112 section 7.1
            while True:
                size_line = await client.until(b"\r\n", MAX_HEAD)
                if size_line is None:
                    raise ValueError("connection closed in a chunked body")
                upstream.write(size_line)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:  # trailers, then the empty line
                    while True:
                        line = await client.until(b"\r\n", MAX_HEAD)
                        if line is None:
                            raise ValueError("connection closed in a chunked body's trailers")
                        upstream.write(line)
                        if line == b"\r\n":
                            break
                    break
                await client.exactly(size + 2, upstream)  # the chunk and its CRLF
                state.add("bytes_up", size)
        else:
            length = int(headers.get("content-length", "0") or 0)
            await client.exactly(length, upstream)
            state.add("bytes_up", length)
        await upstream.drain()


async def _responses(upstream: asyncio.StreamReader, client: asyncio.StreamWriter, state: _State) -> None:
    """Server to client: the bytes as they come, counted."""
    while True:
        data = await upstream.read(CHUNK)
        if not data:
            return
        client.write(data)
        state.add("bytes_down", len(data))
        await client.drain()


async def _connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int, delay: float, state: _State
) -> None:
    state.add("connections", 1)
    try:
        up_reader, up_writer = await asyncio.open_connection(host, port)
    except OSError:
        writer.close()
        return
    down = asyncio.ensure_future(_responses(up_reader, writer, state))
    up = asyncio.ensure_future(_requests(_Buffered(reader), up_writer, delay, state))
    try:
        # either side closing ends the connection: a server that closes after its response, or a client done
        await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
        if up.done() and not down.done():  # the client finished sending: let the last response through
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(down), timeout=60)
    finally:
        for task in (down, up):
            task.cancel()
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: a connection reset by either side ends just that connection
        for w in (writer, up_writer):
            with contextlib.suppress(Exception):
                w.close()


def _serve_proxy(host: str, port: int, delay: float) -> None:
    """The child: the proxy on 127.0.0.1:0, its port written to stdout, then each command read from stdin answered
    with a JSON line, until "stop" or the end of stdin."""
    state = _State()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def start() -> asyncio.Server:
        return await asyncio.start_server(
            lambda r, w: _connection(r, w, host, port, delay, state), "127.0.0.1", 0, limit=MAX_HEAD * 4
        )

    server = loop.run_until_complete(start())
    _answer(server.sockets[0].getsockname()[1])

    def control() -> None:
        for line in sys.stdin:
            command = line.strip()
            if command == "stop":
                break
            with state.lock:
                answer: Any = {"counts": dict(state.counts), "log": list(state.log)}.get(command)
            if command == "reset":
                state.reset()
            _answer(answer)
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=control, daemon=True).start()
    loop.run_forever()
    server.close()


def _answer(value: Any) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


class _Child:
    """A child process started as ``python latency_proxy.py ARGS``, spoken to in JSON lines."""

    def __init__(self, args: list[str], what: str, timeout: float) -> None:
        self.what = what
        self.process = subprocess.Popen(
            [sys.executable, str(HERE), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._lock = threading.Lock()
        self.first = self._read(timeout)

    def _read(self, timeout: float) -> Any:
        out: IO[str] = self.process.stdout  # type: ignore[assignment]
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(out.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            self.stop()
            raise RuntimeError(f"{self.what} did not answer within {timeout:.0f} s (exit status {self.process.poll()})")
        return json.loads(result[0])

    def ask(self, command: str) -> Any:
        with self._lock:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdin.write(command + "\n")
            stdin.flush()
            return self._read(60)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.process.stdin.write("stop\n")  # type: ignore[union-attr]
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


class _Service:
    """A server in a child process (``_Child``): ``start`` it, or use it as a context manager."""

    _child: _Child | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LatencyProxy(_Service):
    """A proxy adding ``delay`` seconds to each HTTP request to ``upstream`` (host, port), counting requests (see the
    module's docstring). ``endpoint`` is its URL (http://127.0.0.1:PORT)."""

    def __init__(self, upstream: tuple[str, int], delay: float = 0.020) -> None:
        self.upstream = upstream
        self.delay = delay
        self.port = 0
        self._child: _Child | None = None

    def start(self) -> Self:
        self._child = _Child(
            ["proxy", self.upstream[0], str(self.upstream[1]), repr(self.delay)], "the latency proxy", 30
        )
        self.port = int(self._child.first)
        return self

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ask(self, command: str) -> Any:
        if self._child is None:
            raise RuntimeError("the proxy is not running")
        return self._child.ask(command)

    def counts(self) -> dict[str, int]:
        """Requests (in all and by method), connections accepted and bytes each way since the last ``reset``."""
        return dict(self._ask("counts"))

    @property
    def requests(self) -> int:
        return int(self.counts()["requests"])

    def log(self) -> list[tuple[str, str, str]]:
        """(method, target, Range header) of every request since the last ``reset``, in arrival order."""
        return [(str(m), str(t), str(r)) for m, t, r in self._ask("log")]

    def reset(self) -> None:
        self._ask("reset")

    def storage_options(self, moto: MotoS3, **extra: Any) -> dict[str, Any]:
        """s3fs options that reach ``moto``'s bucket through this proxy."""
        return {
            "key": moto.KEY,
            "secret": moto.SECRET,
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": moto.REGION},
            **extra,
        }


# ------------------------------------------------------------------------------------------------ moto


def _faithful_ranges() -> None:
    """moto's FakeKey.value as an immutable ``bytes`` kept beside its buffer: a ranged GET then slices the range out
    of it instead of copying the whole object first (see the module's docstring)."""
    from moto.s3.models import FakeKey

    value: Any = FakeKey.__dict__["value"]  # the property itself

    def fget(self: Any) -> bytes:
        whole = self.__dict__.get("_bench_whole")
        return whole if whole is not None else bytes(value.fget(self))

    def fset(self: Any, new: Any) -> None:
        value.fset(self, new)
        self.__dict__["_bench_whole"] = bytes(new) if isinstance(new, (bytes, bytearray, memoryview)) else None

    FakeKey.value = property(fget, fset)  # type: ignore[assignment]


def _serve_moto(faithful: bool) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if faithful:
        _faithful_ranges()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _answer(list(server.get_host_and_port()))
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    server.stop()


class MotoS3(_Service):
    """moto's S3 server on 127.0.0.1 (an ephemeral port) in a child process; ``client()`` is a boto3 client that
    talks to it directly (for the uploads: no latency, not counted)."""

    KEY, SECRET, REGION = "testing", "testing", "us-east-1"

    def __init__(self, faithful_ranges: bool = True) -> None:
        self.faithful_ranges = faithful_ranges
        self.address: tuple[str, int] = ("127.0.0.1", 0)
        self._child: _Child | None = None

    def start(self) -> Self:
        self._child = _Child(["moto", "faithful" if self.faithful_ranges else "raw"], "moto's server", 60)
        host, port = self._child.first
        self.address = (str(host), int(port))
        return self

    @property
    def endpoint(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.KEY,
            aws_secret_access_key=self.SECRET,
            region_name=self.REGION,
        )

    def storage_options(self) -> dict[str, Any]:
        """s3fs options that reach the bucket directly (no proxy)."""
        return {
            "key": self.KEY,
            "secret": self.SECRET,
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": self.REGION},
        }


def probe() -> None:
    """A quick look at the proxy: a 1 MB object, 20 ms, one ranged GET by s3fs."""
    import s3fs

    with MotoS3() as moto, LatencyProxy(moto.address, 0.020) as proxy:
        c = moto.client()
        c.create_bucket(Bucket="probe")
        c.put_object(Bucket="probe", Key="obj", Body=bytes(range(256)) * 4096)
        fs = s3fs.S3FileSystem(skip_instance_cache=True, **proxy.storage_options(moto))
        proxy.reset()
        t = time.perf_counter()
        data = fs.cat_file("probe/obj", start=1000, end=2000)
        dt = time.perf_counter() - t
        print(f"{len(data)} bytes in {dt * 1e3:.1f} ms; {proxy.counts()}; {proxy.log()}")


def main(argv: list[str]) -> None:
    """``python latency_proxy.py proxy HOST PORT DELAY`` / ``moto faithful|raw`` (the children), or no argument:
    :func:`probe`."""
    if argv[:1] == ["proxy"]:
        _serve_proxy(argv[1], int(argv[2]), float(argv[3]))
    elif argv[:1] == ["moto"]:
        _serve_moto(argv[1:2] != ["raw"])
    else:
        probe()


if __name__ == "__main__":
    main(sys.argv[1:])
