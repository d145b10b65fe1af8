"""Raw deflate and inflate of single frames (Deflated Image Frame Compression, PS3.5 A.4.13),
checked against Python's zlib as the independent reference."""

from __future__ import annotations

import threading
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import framecodec as fc
from conftest import KINDS, frames, make_bytes

levels = st.integers(-1, 9)


def zlib_raw(data: bytes, level: int = 6) -> bytes:
    return zlib.compress(data, level, wbits=-15)  # one-shot, like ours: deflate(Z_FINISH) until done


# --- round trips and cross-checks ---------------------------------------------------------------


@given(frames(), levels)
def test_deflate_inflates_with_python_zlib(data: bytes, level: int) -> None:
    stream = fc.deflate(data, level)
    assert zlib.decompress(stream, -15) == data
    assert fc.inflate(stream, len(data)).tobytes() == data


@given(frames(), levels)
def test_python_zlib_output_inflates_with_ours(data: bytes, level: int) -> None:
    out = fc.inflate(zlib_raw(data, level), len(data))
    assert out.dtype == np.uint8 and out.shape == (len(data),)
    assert out.tobytes() == data


@given(frames(st.integers(0, 200_000)), levels.filter(lambda lv: lv != 0))
def test_same_stream_as_python_zlib_when_same_zlib(data: bytes, level: int) -> None:
    # Same library, same parameters (window 15, memLevel 8, default strategy): same bytes.
    # Not at level 0: zlib sizes stored blocks by the output space offered per call, and Python
    # offers its output in chunks where we offer the whole buffer (so our stored blocks are larger).
    if zlib.ZLIB_RUNTIME_VERSION != fc.zlib_version:
        pytest.skip(f"Python links zlib {zlib.ZLIB_RUNTIME_VERSION}, framecodec {fc.zlib_version}")
    assert fc.deflate(data, level) == zlib_raw(data, level)


def test_raw_stream_has_no_zlib_wrapper() -> None:
    data = b"DICOM" * 1000
    stream = fc.deflate(data)
    with pytest.raises(zlib.error):
        zlib.decompress(stream)  # a zlib-wrapped reader rejects it: no 2-byte header
    assert zlib.decompress(stream, -15) == data
    assert fc.deflate(b"") == zlib_raw(b"")


@pytest.mark.parametrize("pad", [True, False])
def test_sup244_pad_byte_accepted(pad: bool) -> None:
    for seed in range(40):  # about half the streams have odd length
        data = make_bytes("ramp", 1000 + seed, seed)
        stream = fc.deflate(data)
        if pad and len(stream) % 2:
            stream += b"\x00"
        assert fc.inflate(stream, len(data)).tobytes() == data


@given(frames(st.integers(0, 300_000)))
def test_accepts_every_buffer_type_without_copy(data: bytes) -> None:
    expected = zlib_raw(data)
    arr = np.frombuffer(data, np.uint8)
    for buf in (data, bytearray(data), memoryview(data), arr, arr.reshape(-1, 1) if arr.size else arr):
        assert fc.deflate(buf) == fc.deflate(data)
    assert fc.inflate(bytearray(expected), len(data)).tobytes() == data
    assert fc.inflate(np.frombuffer(expected, np.uint8), len(data)).tobytes() == data
    # multi-byte items count as their bytes
    if len(data) % 2 == 0:
        assert zlib.decompress(fc.deflate(np.frombuffer(data, np.uint16)), -15) == data


def test_inflate_into_out() -> None:
    data = make_bytes("runs", 50_000, 1)
    stream = fc.deflate(data)
    out = np.zeros(len(data), np.uint8)
    res = fc.inflate(stream, len(data), out=out)
    assert res is out and out.tobytes() == data
    ba = bytearray(len(data))
    res = fc.inflate(stream, len(data), out=ba)
    assert bytes(ba) == data and res.dtype == np.uint8 and np.shares_memory(res, np.frombuffer(ba, np.uint8))
    out2 = np.zeros((100, 500), np.uint8)  # any contiguous shape of the right size
    assert fc.inflate(stream, len(data), out=out2) is out2 and out2.tobytes() == data
    mv = memoryview(bytearray(len(data)))
    fc.inflate(stream, len(data), out=mv)
    assert mv.tobytes() == data


def test_empty_frame() -> None:
    assert fc.inflate(fc.deflate(b""), 0).size == 0
    assert fc.inflate(zlib_raw(b"") + b"\x00", 0).size == 0


def test_threads_share_nothing() -> None:
    # Each thread reuses its own zlib state; results must not leak between threads or calls.
    datas = [make_bytes(k, 100_000 + i, i) for i, k in enumerate(["random", "runs", "ramp"] * 4)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for level in (1, 6, 9, 0):
                for d in datas[i::4]:
                    s = fc.deflate(d, level)
                    assert zlib.decompress(s, -15) == d
                    assert fc.inflate(s, len(d)).tobytes() == d
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_state_reset_after_error() -> None:
    good = make_bytes("ramp", 10_000, 3)
    stream = fc.deflate(good)
    with pytest.raises(fc.DecodeError):
        fc.inflate(stream[: len(stream) // 2], len(good))
    assert fc.inflate(stream, len(good)).tobytes() == good


# --- bad input ----------------------------------------------------------------------------------

DATA = make_bytes("ramp", 20_000, 7)
STREAM = zlib_raw(DATA)


def test_decode_error_is_value_error() -> None:
    assert issubclass(fc.DecodeError, ValueError)
    assert fc.DecodeError.__module__ == "framecodec"


@pytest.mark.parametrize("cut", [1, 2, 10, len(STREAM) // 2, len(STREAM) - 1])
def test_truncated(cut: int) -> None:
    with pytest.raises(fc.DecodeError, match="truncated"):
        fc.inflate(STREAM[:cut], len(DATA))


def test_truncated_before_final_block_with_full_output() -> None:
    # The output is complete but the end-of-stream marker is missing.
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    partial = c.compress(DATA) + c.flush(zlib.Z_SYNC_FLUSH)
    assert zlib.decompressobj(-15).decompress(partial) == DATA
    with pytest.raises(fc.DecodeError, match="truncated.*no end-of-stream"):
        fc.inflate(partial, len(DATA))


def test_empty_input() -> None:
    with pytest.raises(fc.DecodeError, match="empty input"):
        fc.inflate(b"", 0)
    with pytest.raises(fc.DecodeError, match="empty input"):
        fc.inflate(b"", 100)


def test_corrupt() -> None:
    with pytest.raises(fc.DecodeError, match="corrupt deflate stream: invalid block type"):
        fc.inflate(b"\x07\x00\x00", 10)  # block type 3 is reserved (RFC 1951 3.2.3)


@given(st.integers(0, len(STREAM) - 1), st.integers(1, 255))
def test_flipped_bytes_never_crash_or_lie(pos: int, xor: int) -> None:
    bad = bytearray(STREAM)
    bad[pos] ^= xor
    out = np.full(len(DATA), 0xAB, np.uint8)
    try:
        fc.inflate(bytes(bad), len(DATA), out=out)
    except fc.DecodeError:
        return
    # Accepted only if the reference agrees it is a valid stream of exactly this frame.
    d = zlib.decompressobj(-15)
    ref = d.decompress(bytes(bad))
    assert d.eof and ref == out.tobytes() and len(d.unused_data) <= 1


def test_stream_larger_than_size() -> None:
    with pytest.raises(fc.DecodeError, match="more than the expected 19999 bytes"):
        fc.inflate(STREAM, len(DATA) - 1)
    with pytest.raises(fc.DecodeError, match="more than the expected 0 bytes"):
        fc.inflate(STREAM, 0)


def test_decompression_bomb_is_bounded() -> None:
    bomb = zlib_raw(bytes(200 << 20), 9)  # 200 MiB of zeros in ~200 KB
    out = np.zeros(4096, np.uint8)
    with pytest.raises(fc.DecodeError, match="more than the expected 4096 bytes"):
        fc.inflate(bomb, 4096, out=out)


def test_stream_shorter_than_size() -> None:
    with pytest.raises(fc.DecodeError, match=f"ended after {len(DATA)} of the expected {len(DATA) + 1} bytes"):
        fc.inflate(STREAM, len(DATA) + 1)


@pytest.mark.parametrize("tail", [b"\x01", b"\x00\x00", b"\x00\x01", b"junk"])
def test_unexpected_trailing_data(tail: bytes) -> None:
    with pytest.raises(fc.DecodeError, match="after the end of the deflate stream"):
        fc.inflate(STREAM + tail, len(DATA))


def test_wrong_out() -> None:
    with pytest.raises(ValueError, match="exactly 20000 bytes"):
        fc.inflate(STREAM, len(DATA), out=np.zeros(len(DATA) + 1, np.uint8))
    with pytest.raises(TypeError, match="dtype uint8"):
        fc.inflate(STREAM, len(DATA), out=np.zeros(len(DATA) // 2, np.uint16))
    with pytest.raises(TypeError, match="dtype uint8"):
        fc.inflate(STREAM, len(DATA), out=np.zeros(len(DATA), np.int8))
    with pytest.raises(TypeError, match="writable"):
        fc.inflate(STREAM, len(DATA), out=bytes(len(DATA)))
    ro = np.zeros(len(DATA), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        fc.inflate(STREAM, len(DATA), out=ro)
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.inflate(STREAM, len(DATA), out=np.zeros(2 * len(DATA), np.uint8)[::2])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.deflate(np.zeros(100, np.uint8)[::2])
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.inflate(np.frombuffer(STREAM * 2, np.uint8)[::2], len(DATA))
    with pytest.raises(TypeError, match="bytes-like"):
        fc.deflate("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes-like"):
        fc.inflate([1, 2, 3], 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        fc.deflate(b"x", 10)
    with pytest.raises(ValueError, match="level"):
        fc.deflate(b"x", -2)
    with pytest.raises(ValueError, match="size must be >= 0"):
        fc.inflate(STREAM, -1)


@pytest.mark.parametrize("kind", KINDS)
def test_several_mib_frames(kind: str) -> None:
    data = make_bytes(kind, 6 << 20, 11)  # larger than any window or internal buffer
    for level in (1, 6):
        stream = fc.deflate(data, level)
        assert zlib.decompress(stream, -15) == data
        assert fc.inflate(zlib_raw(data, level), len(data)).tobytes() == data
