"""Servers for the remote-reading tests: an HTTP/1.1 range server with fault injection (:class:`RangeServer`) and
an S3 endpoint (moto's threaded server, :class:`MotoS3`), with their pytest fixtures ``range_server`` and
``moto_s3`` (imported by tests/conftest.py so that every module shares one moto server).

Nothing here uses framecodec: the servers hand out the bytes they were given, so what a remote FrameReader
decodes can be compared with the local file's read.

RangeServer follows RFC 9110 (HTTP semantics) as far as the tests need it:

- ``GET``/``HEAD`` of ``/NAME``: 200 with ``Content-Length``, ``Accept-Ranges: bytes``, a strong ``ETag``
  (a new one whenever the object is put again, even with the same bytes) and ``Last-Modified``; 404 for a
  name never put.
- ``Range: bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` (14.1.2): 206 with ``Content-Range: bytes a-b/total``;
  a first byte at or past the end: 416 with ``Content-Range: bytes */total`` (15.5.17); a header it cannot
  parse, or several ranges: ignored, 200 with the whole object (14.2 allows both).
- ``If-Match`` (13.1.1): 412 unless one of its entity tags is the object's (strong comparison) or it is ``*``;
  ``If-Range`` (13.1.5): the Range is ignored unless the tag matches.

Fault injection, all thread-safe: ``fail_next(n, status, after=k)`` (the next n GETs, after k answered, answer
``status``), ``reset_next(n, after=k)`` (the next n GETs send their headers and about half their body, then reset
the connection),
``ignore_range`` (200 with the whole object to every GET), ``always_fail`` (every GET answers 500) and
``send_etag`` (False: no ETag header, as some servers and S3-compatible stores).
"""

from __future__ import annotations

import copy
import email.utils
import hashlib
import logging
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class _Object:
    data: bytes
    etag: str
    modified: float


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    method: str
    name: str
    range: str | None  # the Range header, as sent
    status: int
    reset: bool = False  # the connection was reset mid-body (reset_next)


class RangeServer:
    """An HTTP/1.1 server on 127.0.0.1 (a free port) serving objects held in memory, with byte ranges,
    entity tags and injected faults. Use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(self, *, send_etag: bool = True) -> None:
        self.send_etag = send_etag
        self.ignore_range = False
        self.always_fail = False
        self._objects: dict[str, _Object] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._log: list[Logged] = []
        # what the next GETs do, in order, as (name or None for any, action): an action None answers, a status
        # fails, "reset" resets mid-body
        self._plan: list[tuple[str | None, int | str | None]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life --------------------------------------------------------------------------------------------

    def start(self) -> RangeServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False  # keep-alive connections left open by clients must not block stop()
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name="RangeServer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> RangeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{urllib.parse.quote(name)}"

    # --- objects -----------------------------------------------------------------------------------------

    def put(self, name: str, data: bytes) -> str:
        """Store (or replace) an object; returns its URL. Its ETag is new, whatever the bytes."""
        with self._lock:
            self._generation += 1
            digest = hashlib.sha256(data).hexdigest()[:16]
            self._objects[name] = _Object(bytes(data), f'"{digest}-{self._generation}"', time.time())
        return self.url(name)

    def replace(self, name: str, data: bytes) -> str:
        """Replace an object that exists (a new ETag, a new Last-Modified)."""
        with self._lock:
            if name not in self._objects:
                raise KeyError(name)
        return self.put(name, data)

    def delete(self, name: str) -> None:
        with self._lock:
            del self._objects[name]

    def data(self, name: str) -> bytes:
        with self._lock:
            return self._objects[name].data

    def etag(self, name: str) -> str:
        with self._lock:
            return self._objects[name].etag

    # --- counters ----------------------------------------------------------------------------------------

    @property
    def log(self) -> list[Logged]:
        """Every request since the last ``reset_counts()``, in the order they were answered."""
        with self._lock:
            return list(self._log)

    @property
    def requests(self) -> Counter[tuple[str, str]]:
        """(method, name) -> how many requests."""
        return Counter((r.method, r.name) for r in self.log)

    def count(self, method: str | None = None, name: str | None = None) -> int:
        return sum(1 for r in self.log if (method is None or r.method == method) and (name is None or r.name == name))

    def reset_counts(self) -> None:
        with self._lock:
            self._log.clear()

    # --- faults ------------------------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, *, after: int = 0, name: str | None = None) -> None:
        """The next ``n`` GETs (of ``name`` only, when given; after ``after`` of them answered as usual) answer
        ``status`` (with a short body) instead of the object. Faults already planned come first."""
        with self._lock:
            self._plan.extend([(name, None)] * after + [(name, status)] * n)

    def reset_next(self, n: int, *, after: int = 0, name: str | None = None) -> None:
        """The next ``n`` GETs (of ``name`` only, when given; after ``after`` of them answered as usual) send their
        headers and about half their body, then reset the connection. Faults already planned come first."""
        with self._lock:
            self._plan.extend([(name, None)] * after + [(name, "reset")] * n)

    def clear_faults(self) -> None:
        with self._lock:
            self._plan.clear()
        self.ignore_range = False
        self.always_fail = False

    # --- what the handler asks ---------------------------------------------------------------------------

    def _record(self, entry: Logged) -> None:
        with self._lock:
            self._log.append(entry)

    def _take_fault(self, name: str) -> tuple[int | None, bool]:
        """For a GET of ``name``: the status to fail with (None: none), and whether to reset mid-body."""
        with self._lock:
            if self.always_fail:
                return 500, False
            k = next((k for k, (who, _) in enumerate(self._plan) if who is None or who == name), None)
            action = self._plan.pop(k)[1] if k is not None else None
            if action == "reset":
                return None, True
            return (action if isinstance(action, int) else None), False

    def _lookup(self, name: str) -> _Object | None:
        with self._lock:
            return self._objects.get(name)


def parse_range(header: str, total: int) -> tuple[int, int] | str | None:
    """RFC 9110 14.1.2: one byte range of an object of ``total`` bytes as (first, last), "unsatisfiable", or
    None when the header is to be ignored (not a single bytes range)."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":  # a suffix: the last n bytes
            n = int(last)
            if n <= 0 or total == 0:
                return "unsatisfiable"
            return max(0, total - n), total - 1
        a = int(first)
        b = int(last) if last != "" else max(a, total - 1)
    except ValueError:
        return None
    if a < 0 or b < a:  # not a valid range: ignored
        return None
    if a >= total:
        return "unsatisfiable"
    return a, min(b, total - 1)


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def _handler(server: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
        timeout = 60  # an idle keep-alive connection's thread ends eventually

        def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
            pass

        def _name(self) -> str:
            return urllib.parse.unquote(urllib.parse.urlsplit(self.path).path.lstrip("/"))

        def _status(self, name: str, status: int, extra: dict[str, str] | None = None, head: bool = False) -> None:
            body = f"{status} {name}\n".encode()
            self.send_response(status)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _entity_headers(self, obj: _Object) -> None:
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Last-Modified", email.utils.formatdate(obj.modified, usegmt=True))
            if server.send_etag:
                self.send_header("ETag", obj.etag)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            name = self._name()
            range_header = self.headers.get("Range")
            self._answer(name, head, range_header)

        def _answer(self, name: str, head: bool, range_header: str | None) -> None:
            method = "HEAD" if head else "GET"

            def record(status: int, reset: bool = False) -> None:
                # before anything is sent: a client that has its answer finds its request counted
                server._record(Logged(method, name, range_header, status, reset))

            reset = False
            if not head:
                fail, reset = server._take_fault(name)
                if fail is not None:
                    record(fail)
                    self._status(name, fail)
                    return
            obj = server._lookup(name)
            if obj is None:
                record(404)
                self._status(name, 404, head=head)
                return
            total = len(obj.data)
            if_match = self.headers.get("If-Match")
            if if_match is not None and if_match.strip() != "*" and obj.etag not in _tags(if_match):
                record(412)
                self._status(name, 412, head=head)
                return
            first, last, status = 0, total - 1, 200
            if_range = self.headers.get("If-Range")
            honour = not server.ignore_range and (if_range is None or if_range.strip() == obj.etag)
            if range_header is not None and honour:
                parsed = parse_range(range_header, total)
                if parsed == "unsatisfiable":
                    record(416)
                    self._status(name, 416, {"Content-Range": f"bytes */{total}"}, head=head)
                    return
                if isinstance(parsed, tuple):
                    (first, last), status = parsed, 206
            body = obj.data[first : last + 1]
            record(status, reset and not head)
            self.send_response(status)
            self._entity_headers(obj)
            if status == 206:
                self.send_header("Content-Range", f"bytes {first}-{last}/{total}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if head:
                return
            if reset:
                self.wfile.write(body[: len(body) // 2])
                self._reset()
                return
            self.wfile.write(body)

        def _reset(self) -> None:
            """Close with a TCP reset (SO_LINGER 0): the client sees the connection reset mid-body."""
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.rfile.close()  # the makefile() reference, so that close() closes the descriptor
                self.connection.close()
            except OSError:
                pass

        def finish(self) -> None:
            try:
                super().finish()
            except (OSError, ValueError):  # the connection was reset on purpose
                pass

    return Handler


@pytest.fixture
def range_server() -> Iterator[RangeServer]:
    """A RangeServer for one test."""
    with RangeServer() as server:
        yield server


# ------------------------------------------------------------------------------------------------ moto S3


class MotoS3:
    """A bucket on moto's S3 server (in this process, on a thread), reached over HTTP on 127.0.0.1."""

    region = "us-east-1"

    def __init__(self, endpoint: str, bucket: str) -> None:
        self.endpoint = endpoint
        self.bucket = bucket

    @property
    def storage_options(self) -> dict[str, Any]:
        """What ``fsspec.filesystem("s3", **storage_options)`` takes; a new dict each time (tests may change it)."""
        kwargs = {"endpoint_url": self.endpoint, "region_name": self.region}
        return copy.deepcopy({"key": "testing", "secret": "testing", "client_kwargs": kwargs})

    def filesystem(self) -> Any:
        import fsspec

        return fsspec.filesystem("s3", **self.storage_options)

    def url(self, name: str) -> str:
        return f"s3://{self.bucket}/{name}"

    def put(self, name: str, data: bytes) -> str:
        """Store (or replace) ``name``; returns its s3:// URL."""
        fs = self.filesystem()
        fs.pipe_file(f"{self.bucket}/{name}", bytes(data))
        fs.invalidate_cache()  # the listing cache of the instance that fsspec shares with the code under test
        return self.url(name)

    def get(self, name: str) -> bytes:
        return bytes(self.filesystem().cat_file(f"{self.bucket}/{name}"))

    def exists(self, name: str) -> bool:
        fs = self.filesystem()
        fs.invalidate_cache()
        return bool(fs.exists(f"{self.bucket}/{name}"))

    def etag(self, name: str) -> str:
        fs = self.filesystem()
        fs.invalidate_cache()
        return str(fs.info(f"{self.bucket}/{name}")["ETag"])


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """moto's S3 server on 127.0.0.1 (a free port) with one bucket, for the whole session."""
    pytest.importorskip("moto.server", reason="moto is not installed (pip install 'moto[server]')")
    pytest.importorskip("s3fs", reason="s3fs is not installed (pip install s3fs)")
    from moto.server import ThreadedMotoServer
    from s3fs import S3FileSystem

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = MotoS3(f"http://{host}:{port}", "framecodec-tests")
    try:
        S3FileSystem.clear_instance_cache()
        # not fs.mkdir: s3fs sends LocationConstraint us-east-1, which S3 (and moto) refuse for that region
        s3.filesystem().call_s3("create_bucket", Bucket=s3.bucket)
        yield s3
    finally:
        S3FileSystem.clear_instance_cache()  # instances hold sessions to a server about to go
        server.stop()


@pytest.fixture
def s3(moto_s3: MotoS3) -> Iterator[MotoS3]:
    """The session's bucket for one test, with fsspec's cached S3 filesystems (and their listing caches)
    dropped before and after it, so that no test sees another's cached state."""
    from s3fs import S3FileSystem

    S3FileSystem.clear_instance_cache()
    yield moto_s3
    S3FileSystem.clear_instance_cache()
