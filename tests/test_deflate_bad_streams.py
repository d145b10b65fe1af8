"""Raw inflate of bad streams: truncated, corrupt, reserved codes (RFC 1951), sizes that do not match, bombs; both
backends raise the same exception with the same message, and never crash or return wrong bytes.

Both backends (the system zlib, and libdeflate when the build has it) are checked against Python's zlib as the
independent reference: every test that decodes runs on each decoder, every test that encodes on each encoder.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import framecodec as fc
from conftest import BACKENDS, NO_LIBDEFLATE, make_bytes
from deflate_util import DATA, HAVE_LIBDEFLATE, STREAM, outcome, zlib_raw


class Bits:
    """An RFC 1951 bit stream written by hand: data elements least significant bit first, Huffman codes most
    significant bit first (3.1.1)."""

    def __init__(self) -> None:
        self.acc = self.n = 0
        self.out = bytearray()

    def put(self, value: int, count: int) -> Bits:
        self.acc |= value << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8
        return self

    def code(self, code: int, length: int) -> Bits:
        return self.put(int(f"{code:0{length}b}"[::-1], 2), length)

    def stored(self, data: bytes, final: bool) -> Bits:
        self.put(int(final), 1).put(0, 2)
        if self.n:
            self.put(0, 8 - self.n)
        self.put(len(data), 16).put(len(data) ^ 0xFFFF, 16)
        self.out += data
        return self

    def done(self) -> bytes:
        return bytes(self.out) + (bytes([self.acc]) if self.n else b"")


def uses_reserved_length_code() -> tuple[bytes, int]:
    """A fixed-Huffman block (RFC 1951 3.2.6): literal 'A', then length symbol 286, which 3.2.5 defines no
    length for ("will never actually occur"), distance 1, end of block. libdeflate reads 286 as length 258."""
    s = Bits().put(1, 1).put(1, 2)  # BFINAL, BTYPE 01: fixed Huffman codes
    s.code(0x30 + ord("A"), 8).code(0xC0 + 286 - 280, 8).code(0, 5).code(0, 7)  # 'A', 286, distance 1, EOB
    return s.done(), 259


def uses_reserved_distance_code() -> tuple[bytes, int]:
    """24,577 stored bytes, then a fixed-Huffman block copying 3 bytes at distance code 30 (reserved, 3.2.5),
    which libdeflate reads as distance 24,577 + 13 extra bits."""
    head = bytes(range(256)) * 96 + b"\x01"  # 24,577 bytes
    s = Bits().stored(head, final=False).put(1, 1).put(1, 2)
    s.code(1, 7).code(30, 5).put(0, 13).code(0, 7)  # length symbol 257 (3 bytes), distance code 30 + 0, EOB
    return s.done(), len(head) + 3


def ends_in_a_zero_byte() -> tuple[bytes, int]:
    """A fixed-Huffman block of 'A' and 100 copies of 258 bytes at distance 1, whose last byte holds nothing but
    zero bits of the end-of-block code (seven zeros): cut that byte and zeros after the cut would complete it."""
    s = Bits().put(1, 1).put(1, 2).code(0x30 + ord("A"), 8)
    for _ in range(100):
        s.code(0xC0 + 285 - 280, 8).code(0, 5)  # length 258, distance 1
    s.code(0, 7)
    stream = s.done()
    assert stream[-1] == 0 and zlib.decompress(stream, -15) == b"A" * 25_801
    return stream, 25_801


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_where_zeros_would_complete_the_stream(backend: str) -> None:
    """libdeflate decodes well-compressed streams from a copy with zero bytes after it (for speed): a stream cut
    where those zeros would complete it is still truncated."""
    stream, size = ends_in_a_zero_byte()
    assert fc.codecs.inflate(stream, size, backend=backend).tobytes() == b"A" * size
    for cut in range(1, 4):
        with pytest.raises(fc.DecodeError, match="truncated"):
            fc.codecs.inflate(stream[:-cut], size, backend=backend)


@pytest.mark.parametrize("make", [uses_reserved_length_code, uses_reserved_distance_code])
def test_libdeflate_reads_the_codes_rfc1951_reserves(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """libdeflate is more lenient than zlib with streams no encoder writes (docs/errors.md): the reserved
    length symbols 286-287 and distance codes 30-31 among them. zlib refuses them; with FRAMECODEC_INFLATE=zlib
    the default decoder does too, which shows the variable is read at each call."""
    stream, size = make()
    message = "invalid literal/length code" if make is uses_reserved_length_code else "invalid distance code"
    with pytest.raises(zlib.error, match=message):
        zlib.decompress(stream, -15)
    with pytest.raises(fc.DecodeError, match=f"corrupt deflate stream: {message}"):
        fc.codecs.inflate(stream, size, backend="zlib")
    monkeypatch.setenv("FRAMECODEC_INFLATE", "zlib")
    with pytest.raises(fc.DecodeError, match=message):
        fc.codecs.inflate(stream, size)
    if not HAVE_LIBDEFLATE:
        pytest.skip(NO_LIBDEFLATE)
    assert fc.codecs.inflate(stream, size, backend="libdeflate").size == size
    monkeypatch.delenv("FRAMECODEC_INFLATE")
    assert fc.codecs.inflate(stream, size).size == size


def test_decode_error_is_value_error() -> None:
    assert issubclass(fc.DecodeError, ValueError)
    assert fc.DecodeError.__module__ == "framecodec"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cut", [1, 2, 10, len(STREAM) // 2, len(STREAM) - 1])
def test_truncated(cut: int, backend: str) -> None:
    with pytest.raises(fc.DecodeError, match="truncated"):
        fc.codecs.inflate(STREAM[:cut], len(DATA), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_before_final_block_with_full_output(backend: str) -> None:
    # The output is complete but the end-of-stream marker is missing.
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    partial = c.compress(DATA) + c.flush(zlib.Z_SYNC_FLUSH)
    assert zlib.decompressobj(-15).decompress(partial) == DATA
    with pytest.raises(fc.DecodeError, match="truncated.*no end-of-stream"):
        fc.codecs.inflate(partial, len(DATA), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_input(backend: str) -> None:
    with pytest.raises(fc.DecodeError, match="empty input"):
        fc.codecs.inflate(b"", 0, backend=backend)
    with pytest.raises(fc.DecodeError, match="empty input"):
        fc.codecs.inflate(b"", 100, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_corrupt(backend: str) -> None:
    with pytest.raises(fc.DecodeError, match="corrupt deflate stream: invalid block type"):
        fc.codecs.inflate(b"\x07\x00\x00", 10, backend=backend)  # block type 3 is reserved (RFC 1951 3.2.3)


# What zlib refuses and libdeflate 1.14 reads (docs/errors.md): reserved length symbols and distance codes,
# more code lengths than the codes have, a code-length repeat past the last length, a one-codeword code-length
# code. No encoder writes them; a stream that has them decodes to exactly the frame's size or is refused.
LENIENT = (
    "invalid literal/length code",
    "invalid distance code",
    "too many length or distance symbols",
    "invalid bit length repeat",
    "invalid code lengths set",
)


def agree(zlib_says: tuple[str, Any], libdeflate_says: tuple[str, Any]) -> bool:
    """The backends agree: the same pixels, or the same exception and message; or libdeflate decoded a stream
    that zlib refuses only for one of the LENIENT reasons."""
    if zlib_says == libdeflate_says:
        return True
    return libdeflate_says[0] == "ok" and zlib_says[0] == "DecodeError" and any(m in zlib_says[1] for m in LENIENT)


@pytest.mark.parametrize("backend", BACKENDS)
@given(pos=st.integers(0, len(STREAM) - 1), xor=st.integers(1, 255))
def test_flipped_bytes_never_crash_or_lie(pos: int, xor: int, backend: str) -> None:
    bad = bytearray(STREAM)
    bad[pos] ^= xor
    out = np.full(len(DATA), 0xAB, np.uint8)
    try:
        fc.codecs.inflate(bytes(bad), len(DATA), out=out, backend=backend)
    except fc.DecodeError:
        return
    # Accepted only if the reference agrees it is a valid stream of exactly this frame (or, with libdeflate,
    # zlib refuses it only for a reason libdeflate is known to be lenient about).
    d = zlib.decompressobj(-15)
    try:
        ref = d.decompress(bytes(bad))
    except zlib.error as e:
        assert backend == "libdeflate" and any(m in str(e) for m in LENIENT), e
        return
    assert d.eof and ref == out.tobytes() and len(d.unused_data) <= 1


def bad_streams() -> dict[str, tuple[bytes, int]]:
    """Broken inputs of every kind inflate reports, each with the size it is asked to decode to."""
    small = zlib_raw(make_bytes("runs", 3000, 1))
    stored = zlib_raw(make_bytes("random", 3000, 1), 0)
    fixed = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_FIXED)
    fixed_stream = fixed.compress(b"abc" * 400) + fixed.flush()
    sync = zlib.compressobj(6, zlib.DEFLATED, -15)
    partial = sync.compress(DATA) + sync.flush(zlib.Z_SYNC_FLUSH)
    cases: dict[str, tuple[bytes, int]] = {
        "empty": (b"", 10),
        "empty size 0": (b"", 0),
        "block type 3": (b"\x07\x00\x00", 10),
        "short": (STREAM, len(DATA) + 1),
        "long": (STREAM, len(DATA) - 1),
        "long size 0": (STREAM, 0),
        "bomb": (zlib_raw(bytes(50 << 20), 9), 4096),
        "no end of stream": (partial, len(DATA)),
        "stored bad nlen": (b"\x01\x05\x00\x05\x00hello", 5),
    }
    for tail in (b"\x01", b"\x00\x00", b"\x00\x01", b"junk"):
        cases[f"tail {tail!r}"] = (STREAM + tail, len(DATA))
    runs, runs_size = ends_in_a_zero_byte()
    streams = {
        "dynamic": (small, 3000),
        "stored": (stored, 3000),
        "fixed": (fixed_stream, 1200),
        "runs": (runs, runs_size),
        "zeros": (zlib_raw(bytes(90_000)), 90_000),
    }
    for name, (s, n) in streams.items():
        for cut in {*range(1, len(s), max(1, len(s) // 40)), *range(max(1, len(s) - 6), len(s))}:
            cases[f"{name} cut at {cut}"] = (s[:cut], n)
    rng = np.random.default_rng(9)
    for i in range(300):
        b = bytearray(small)
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(0, min(len(b), 64)))] ^= int(rng.integers(1, 256))
        cases[f"flip {i}"] = (bytes(b), 3000)
    return cases


BAD = bad_streams()


@pytest.mark.skipif(not HAVE_LIBDEFLATE, reason=NO_LIBDEFLATE)
def test_bad_input_same_exception_and_message_on_both_backends() -> None:
    """libdeflate says only "bad data": every frame it rejects is decoded again by zlib, so each backend
    raises the same exception with the same message, for inflate and for decode_frame's fused 1-bit unpack."""
    lenient = 0
    for name, (stream, size) in BAD.items():
        z = outcome(lambda: fc.codecs.inflate(stream, size, backend="zlib"))
        ld = outcome(lambda: fc.codecs.inflate(stream, size, backend="libdeflate"))
        assert agree(z, ld), (name, z[:1] + (str(z[1])[:200],), ld[:1] + (str(ld[1])[:200],))
        lenient += z != ld
        # 1-bit frames of `size` packed bytes: zlib streams through a window and unpacks, libdeflate decodes whole
        z = outcome(lambda: fc.codecs.decode_frame(stream, "deflate", 1, size * 8, 1, 1, backend="zlib"))
        ld = outcome(lambda: fc.codecs.decode_frame(stream, "deflate", 1, size * 8, 1, 1, backend="libdeflate"))
        assert agree(z, ld), (name, "1-bit", z[:1], ld[:1])
    assert lenient < len(BAD) // 20  # the lenient reads are rare: the messages really are compared


def test_rejected_stream_zlib_accepts_is_a_disagreement() -> None:
    """When libdeflate rejects a frame, zlib decodes it again only to say why: if zlib accepted it, the two
    decoders would disagree, and that is an error too, never zlib's pixels. No such stream is known for
    libdeflate 1.14, so the explaining step is called here directly with a valid one."""
    with pytest.raises(fc.DecodeError, match=r"libdeflate rejected .* zlib decodes it .* disagree"):
        fc._core._explain_rejected(STREAM, len(DATA))
    for name, (stream, size) in list(BAD.items())[:40]:
        z = outcome(lambda: fc.codecs.inflate(stream, size, backend="zlib"))
        if z[0] != "ok":
            assert outcome(lambda: fc._core._explain_rejected(stream, size)) == z, name


@pytest.mark.parametrize("backend", BACKENDS)
def test_stream_larger_than_size(backend: str) -> None:
    with pytest.raises(fc.DecodeError, match="more than the expected 19999 bytes"):
        fc.codecs.inflate(STREAM, len(DATA) - 1, backend=backend)
    with pytest.raises(fc.DecodeError, match="more than the expected 0 bytes"):
        fc.codecs.inflate(STREAM, 0, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_decompression_bomb_is_bounded(backend: str) -> None:
    bomb = zlib_raw(bytes(200 << 20), 9)  # 200 MiB of zeros in ~200 KB
    out = np.zeros(4096 + 64, np.uint8)
    with pytest.raises(fc.DecodeError, match="more than the expected 4096 bytes"):
        fc.codecs.inflate(bomb, 4096, out=out[:4096], backend=backend)
    assert not out[4096:].any()  # nothing written past size


@pytest.mark.parametrize("backend", BACKENDS)
def test_stream_shorter_than_size(backend: str) -> None:
    with pytest.raises(fc.DecodeError, match=f"ended after {len(DATA)} of the expected {len(DATA) + 1} bytes"):
        fc.codecs.inflate(STREAM, len(DATA) + 1, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("tail", [b"\x01", b"\x00\x00", b"\x00\x01", b"junk"])
def test_unexpected_trailing_data(tail: bytes, backend: str) -> None:
    with pytest.raises(fc.DecodeError, match="after the end of the deflate stream"):
        fc.codecs.inflate(STREAM + tail, len(DATA), backend=backend)
