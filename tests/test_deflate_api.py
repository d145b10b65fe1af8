"""The raw deflate functions' interface: buffer types, output buffers, threads, large frames, the backends of the
build and the checking of arguments.

Both backends (the system zlib, and libdeflate when the build has it) are checked against Python's zlib as the
independent reference: every test that decodes runs on each decoder, every test that encodes on each encoder.
"""

from __future__ import annotations

import threading
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import framecodec as fc
from conftest import BACKENDS, KINDS, frames, make_bytes
from deflate_util import DATA, HAVE_LIBDEFLATE, STREAM, zlib_raw


@pytest.mark.parametrize("backend", BACKENDS)
@given(data=frames(st.integers(0, 300_000)))
def test_accepts_every_buffer_type_without_copy(data: bytes, backend: str) -> None:
    expected = zlib_raw(data)
    arr = np.frombuffer(data, np.uint8)
    for buf in (data, bytearray(data), memoryview(data), arr, arr.reshape(-1, 1) if arr.size else arr):
        assert fc.codecs.deflate(buf, backend=backend) == fc.codecs.deflate(data, backend=backend)
    assert fc.codecs.inflate(bytearray(expected), len(data), backend=backend).tobytes() == data
    assert fc.codecs.inflate(np.frombuffer(expected, np.uint8), len(data), backend=backend).tobytes() == data
    # multi-byte items count as their bytes
    if len(data) % 2 == 0:
        assert zlib.decompress(fc.codecs.deflate(np.frombuffer(data, np.uint16), backend=backend), -15) == data


@pytest.mark.parametrize("backend", BACKENDS)
def test_inflate_into_out(backend: str) -> None:
    data = make_bytes("runs", 50_000, 1)
    stream = fc.codecs.deflate(data)
    out = np.zeros(len(data), np.uint8)
    res = fc.codecs.inflate(stream, len(data), out=out, backend=backend)
    assert res is out and out.tobytes() == data
    ba = bytearray(len(data))
    res = fc.codecs.inflate(stream, len(data), out=ba, backend=backend)
    assert bytes(ba) == data and res.dtype == np.uint8 and np.shares_memory(res, np.frombuffer(ba, np.uint8))
    out2 = np.zeros((100, 500), np.uint8)  # any contiguous shape of the right size
    assert fc.codecs.inflate(stream, len(data), out=out2, backend=backend) is out2 and out2.tobytes() == data
    mv = memoryview(bytearray(len(data)))
    fc.codecs.inflate(stream, len(data), out=mv, backend=backend)
    assert mv.tobytes() == data


@pytest.mark.parametrize("decoder", BACKENDS)
@pytest.mark.parametrize("encoder", BACKENDS)
def test_empty_frame(encoder: str, decoder: str) -> None:
    assert fc.codecs.inflate(fc.codecs.deflate(b"", backend=encoder), 0, backend=decoder).size == 0
    assert fc.codecs.inflate(zlib_raw(b"") + b"\x00", 0, backend=decoder).size == 0


def test_threads_share_nothing() -> None:
    # Each thread reuses its own zlib and libdeflate state; results must not leak between threads or calls.
    datas = [make_bytes(k, 100_000 + i, i) for i, k in enumerate(["random", "runs", "ramp"] * 4)]
    backends = ["zlib", "libdeflate"] if HAVE_LIBDEFLATE else ["zlib"]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for level in (1, 6, 9, 0):
                for j, d in enumerate(datas[i::4]):
                    encoder, decoder = backends[(i + j) % len(backends)], backends[(i + j + level) % len(backends)]
                    s = fc.codecs.deflate(d, level, encoder)
                    assert zlib.decompress(s, -15) == d
                    assert fc.codecs.inflate(s, len(d), backend=decoder).tobytes() == d
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.parametrize("backend", BACKENDS)
def test_state_reset_after_error(backend: str) -> None:
    good = make_bytes("ramp", 10_000, 3)
    stream = fc.codecs.deflate(good)
    with pytest.raises(fc.DecodeError):
        fc.codecs.inflate(stream[: len(stream) // 2], len(good), backend=backend)
    assert fc.codecs.inflate(stream, len(good), backend=backend).tobytes() == good


@pytest.mark.parametrize("decoder", BACKENDS)
@pytest.mark.parametrize("encoder", BACKENDS)
@pytest.mark.parametrize("kind", KINDS)
def test_several_mib_frames(kind: str, encoder: str, decoder: str) -> None:
    data = make_bytes(kind, 6 << 20, 11)  # larger than any window or internal buffer
    for level in (1, 6):
        stream = fc.codecs.deflate(data, level, encoder)
        assert zlib.decompress(stream, -15) == data
        assert fc.codecs.inflate(stream, len(data), backend=decoder).tobytes() == data
        assert fc.codecs.inflate(zlib_raw(data, level), len(data), backend=decoder).tobytes() == data


def test_backends_of_this_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRAMECODEC_INFLATE", raising=False)
    b = fc.backends()
    codecs = b.pop("codecs")  # type: ignore[misc]
    assert b == {
        "zlib": fc.codecs.zlib_version,
        "libdeflate": fc.codecs.libdeflate_version,
        "inflate": "libdeflate" if HAVE_LIBDEFLATE else "zlib",
        "deflate": "zlib",
    }
    assert set(codecs) == {"jpeg", "jpegls", "j2k", "htj2k"}  # test_jpeg_family.py checks them against the system
    if HAVE_LIBDEFLATE:
        assert fc.codecs.libdeflate_version and fc.codecs.libdeflate_version[0].isdigit()
    monkeypatch.setenv("FRAMECODEC_INFLATE", "zlib")
    assert fc.backends()["inflate"] == "zlib"
    monkeypatch.setenv("FRAMECODEC_INFLATE", "")  # empty is unset
    assert fc.backends()["inflate"] == ("libdeflate" if HAVE_LIBDEFLATE else "zlib")


def test_backend_arguments_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = fc.codecs.deflate(b"x" * 100)
    for call in (
        lambda b: fc.codecs.inflate(stream, 100, backend=b),
        lambda b: fc.codecs.deflate(b"x", backend=b),
        lambda b: fc.codecs.deflate_bound(10, backend=b),
        lambda b: fc.codecs.decode_frame(stream, "deflate", 10, 10, 1, 8, backend=b),
    ):
        with pytest.raises(ValueError, match='backend must be "zlib" or "libdeflate", got "isal"'):
            call("isal")
        with pytest.raises(TypeError, match="backend must be"):
            call(1)
        if not HAVE_LIBDEFLATE:
            with pytest.raises(ValueError, match="built without it"):
                call("libdeflate")
    monkeypatch.setenv("FRAMECODEC_INFLATE", "zlib-ng")
    with pytest.raises(ValueError, match='FRAMECODEC_INFLATE must be "zlib" or "libdeflate", got "zlib-ng"'):
        fc.codecs.inflate(stream, 100)
    with pytest.raises(ValueError, match="FRAMECODEC_INFLATE"):
        fc.backends()
    assert fc.codecs.inflate(stream, 100, backend="zlib").tobytes() == b"x" * 100  # a named backend needs no variable
    assert fc.codecs.deflate(b"x") == zlib_raw(b"x")  # the variable is for decoding only
    rle = fc.codecs.rle_encode(bytes(range(100)), 10, 10, 1, 8)  # and for deflate frames only
    assert fc.codecs.decode_frame(rle, "rle", 10, 10, 1, 8).tobytes() == bytes(range(100))


@pytest.mark.parametrize("backend", BACKENDS)
def test_wrong_out(backend: str) -> None:
    with pytest.raises(ValueError, match="exactly 20000 bytes"):
        fc.codecs.inflate(STREAM, len(DATA), out=np.zeros(len(DATA) + 1, np.uint8), backend=backend)
    with pytest.raises(TypeError, match="dtype uint8"):
        fc.codecs.inflate(STREAM, len(DATA), out=np.zeros(len(DATA) // 2, np.uint16), backend=backend)
    with pytest.raises(TypeError, match="dtype uint8"):
        fc.codecs.inflate(STREAM, len(DATA), out=np.zeros(len(DATA), np.int8), backend=backend)
    with pytest.raises(TypeError, match="writable"):
        fc.codecs.inflate(STREAM, len(DATA), out=bytes(len(DATA)), backend=backend)
    ro = np.zeros(len(DATA), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        fc.codecs.inflate(STREAM, len(DATA), out=ro, backend=backend)
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.inflate(STREAM, len(DATA), out=np.zeros(2 * len(DATA), np.uint8)[::2], backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_arguments(backend: str) -> None:
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.deflate(np.zeros(100, np.uint8)[::2], backend=backend)
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.codecs.inflate(np.frombuffer(STREAM * 2, np.uint8)[::2], len(DATA), backend=backend)
    with pytest.raises(TypeError, match="bytes-like"):
        fc.codecs.deflate("text", backend=backend)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes-like"):
        fc.codecs.inflate([1, 2, 3], 3, backend=backend)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        fc.codecs.deflate(b"x", 13, backend=backend)
    with pytest.raises(ValueError, match="level"):
        fc.codecs.deflate(b"x", -2, backend=backend)
    with pytest.raises(ValueError, match="size must be >= 0"):
        fc.codecs.inflate(STREAM, -1, backend=backend)
