"""Raw deflate and inflate of single frames (Deflated Image Frame Compression, PS3.5 A.4.13), on both
backends (the system zlib, and libdeflate when the build has it), checked against Python's zlib as the
independent reference: every test that decodes runs on each decoder, every test that encodes on each encoder,
and streams cross over (each encoder's through the other decoder and Python's zlib, Python's through ours)."""

from __future__ import annotations

import threading
import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import framecodec as fc
from conftest import BACKENDS, KINDS, NO_LIBDEFLATE, frames, make_bytes

HAVE_LIBDEFLATE = fc.codecs.libdeflate_version is not None
LEVELS = {"zlib": [-1, *range(10)], "libdeflate": [-1, *range(13)]}
levels = st.integers(-1, 12)  # clipped to 9 for zlib by level_for


def level_for(encoder: str, level: int) -> int:
    return level if encoder == "libdeflate" else min(level, 9)


def zlib_raw(data: bytes, level: int = 6) -> bytes:
    return zlib.compress(data, level, wbits=-15)  # one-shot, like ours: deflate(Z_FINISH) until done


def outcome(call: Any) -> tuple[str, Any]:
    """("ok", bytes) or (exception class name, message): what a decoder made of its input."""
    try:
        return "ok", bytes(call())
    except Exception as e:  # noqa: BLE001 - the class is part of the outcome
        return type(e).__name__, str(e)


# --- round trips and cross-checks ---------------------------------------------------------------


@pytest.mark.parametrize("decoder", BACKENDS)
@pytest.mark.parametrize("encoder", BACKENDS)
@given(data=frames(), level=levels)
def test_each_encoder_through_each_decoder_and_python_zlib(data: bytes, level: int, encoder: str, decoder: str) -> None:
    stream = fc.codecs.deflate(data, level_for(encoder, level), encoder)
    assert zlib.decompress(stream, -15) == data
    assert fc.codecs.inflate(stream, len(data), backend=decoder).tobytes() == data


@pytest.mark.parametrize("backend", BACKENDS)
@given(data=frames(), level=st.integers(-1, 9))
def test_python_zlib_output_inflates_with_ours(data: bytes, level: int, backend: str) -> None:
    out = fc.codecs.inflate(zlib_raw(data, level), len(data), backend=backend)
    assert out.dtype == np.uint8 and out.shape == (len(data),)
    assert out.tobytes() == data


@given(frames(st.integers(0, 200_000)), st.integers(-1, 9).filter(lambda lv: lv != 0))
def test_same_stream_as_python_zlib_when_same_zlib(data: bytes, level: int) -> None:
    # Same library, same parameters (window 15, memLevel 8, default strategy): same bytes. zlib is the default
    # encoder whatever the build has, so that frames stay byte-identical to pydicom's (Python's zlib).
    # Not at level 0: zlib sizes stored blocks by the output space offered per call, and Python
    # offers its output in chunks where we offer the whole buffer (so our stored blocks are larger).
    if zlib.ZLIB_RUNTIME_VERSION != fc.codecs.zlib_version:
        pytest.skip(f"Python links zlib {zlib.ZLIB_RUNTIME_VERSION}, framecodec {fc.codecs.zlib_version}")
    assert fc.codecs.deflate(data, level) == fc.codecs.deflate(data, level, "zlib") == zlib_raw(data, level)


def real_frames() -> dict[str, bytes]:
    """Frames of real images from pydicom's test files: CT, MR, an RGB ultrasound and a 1-bit segmentation
    (bit-packed as Deflated Image Frame Compression stores it)."""
    from pydicom import dcmread
    from pydicom.data import get_testdata_file

    out = {}
    for name in ("CT_small.dcm", "emri_small.dcm", "US1_UNCR.dcm", "liver.dcm"):
        path = get_testdata_file(name, download=False)
        if path is None:  # the test extras install pydicom-data, so a missing file is a broken install
            pytest.fail(f"{name} not found: pip install '.[test]' provides it")
        ds = dcmread(path)
        frames_ = int(ds.get("NumberOfFrames", 1) or 1)
        size = len(ds.PixelData) // frames_
        out[name] = bytes(ds.PixelData[size : 2 * size] if frames_ > 1 else ds.PixelData)
    return out


STRUCTURED = {f"{kind}-{size}": (kind, size) for kind in KINDS for size in (0, 1, 1000, 150_000)}


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    data = {name: make_bytes(kind, size, 5) for name, (kind, size) in STRUCTURED.items()}
    data.update(real_frames())
    return data


@pytest.mark.parametrize("encoder", BACKENDS)
def test_cross_decoding_at_every_level(corpus: dict[str, bytes], encoder: str) -> None:
    """Random, structured and real frames at every level of each encoder decode with Python's zlib and with
    every backend of ours; Python's zlib at every level and strategy decodes with every backend."""
    decoders = ["zlib", "libdeflate"] if HAVE_LIBDEFLATE else ["zlib"]
    for name, data in corpus.items():
        for level in LEVELS[encoder]:
            stream = fc.codecs.deflate(data, level, encoder)
            assert zlib.decompress(stream, -15) == data, (name, level)
            for decoder in decoders:
                assert fc.codecs.inflate(stream, len(data), backend=decoder).tobytes() == data, (name, level, decoder)
        if encoder != "zlib":
            continue
        for level in range(10):
            for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED):
                enc = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
                stream = enc.compress(data) + enc.flush()
                for decoder in decoders:
                    got = fc.codecs.inflate(stream, len(data), backend=decoder)
                    assert got.tobytes() == data, (name, level, strategy)


def peer_encoder(name: str) -> Any:
    """A raw-deflate encoder of another library (a test extra; the test skips without it)."""
    if name == "isal":
        isal_zlib = pytest.importorskip("isal.isal_zlib", reason="isal is a test extra")
        return lambda d: isal_zlib.compress(d, 2, wbits=-15)  # ISA-L's highest level
    if name == "zlib-ng":
        zlib_ng = pytest.importorskip("zlib_ng.zlib_ng", reason="zlib-ng is a test extra")
        return lambda d: zlib_ng.compress(d, 6, wbits=-15)
    deflate = pytest.importorskip("deflate", reason="deflate is a test extra")
    return lambda d: bytes(deflate.deflate_compress(d, 12))  # its bundled libdeflate at its slowest level


@pytest.mark.parametrize("peer", ["isal", "zlib-ng", "deflate"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_peer_encoders_decode_with_ours(corpus: dict[str, bytes], peer: str, backend: str) -> None:
    """Streams of other deflate encoders (ISA-L, zlib-ng, the deflate package's libdeflate), the benchmark peers."""
    encode = peer_encoder(peer)
    for name, data in corpus.items():
        assert fc.codecs.inflate(encode(data), len(data), backend=backend).tobytes() == data, name


@pytest.mark.parametrize("encoder", BACKENDS)
def test_raw_stream_has_no_zlib_wrapper(encoder: str) -> None:
    data = b"DICOM" * 1000
    stream = fc.codecs.deflate(data, backend=encoder)
    with pytest.raises(zlib.error):
        zlib.decompress(stream)  # a zlib-wrapped reader rejects it: no 2-byte header
    assert zlib.decompress(stream, -15) == data
    assert zlib.decompress(fc.codecs.deflate(b"", backend=encoder), -15) == b""
    assert fc.codecs.deflate(b"") == zlib_raw(b"")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pad", [True, False])
def test_sup244_pad_byte_accepted(pad: bool, backend: str) -> None:
    for seed in range(40):  # about half the streams have odd length
        data = make_bytes("ramp", 1000 + seed, seed)
        stream = fc.codecs.deflate(data)
        if pad and len(stream) % 2:
            stream += b"\x00"
        assert fc.codecs.inflate(stream, len(data), backend=backend).tobytes() == data


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


# --- backends, levels, the environment variable ------------------------------------------------------


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
    for call in (lambda b: fc.codecs.inflate(stream, 100, backend=b), lambda b: fc.codecs.deflate(b"x", backend=b),
                 lambda b: fc.codecs.deflate_bound(10, backend=b), lambda b: fc.codecs.decode_frame(stream, "deflate", 10, 10, 1, 8, backend=b)):  # fmt: skip
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


@pytest.mark.parametrize("encoder", BACKENDS)
def test_levels_per_backend(encoder: str) -> None:
    data = make_bytes("ramp", 30_000, 2)
    top = 9 if encoder == "zlib" else 12
    for level in LEVELS[encoder]:
        assert zlib.decompress(fc.codecs.deflate(data, level, encoder), -15) == data
    assert fc.codecs.deflate(data, -1, encoder) == fc.codecs.deflate(data, 6, encoder)  # -1: the default, 6
    for bad in (top + 1, -2, 100):
        with pytest.raises(ValueError, match=rf"deflate level must be -1 or 0\.\.{top} for {encoder}, got {bad}"):
            fc.codecs.deflate(data, bad, encoder)


@pytest.mark.skipif(not HAVE_LIBDEFLATE, reason=NO_LIBDEFLATE)
def test_libdeflate_level_0_stores_and_high_levels_shrink_segmentations() -> None:
    from framecodec._synthetic.frames import segmentation_frame

    data = make_bytes("ramp", 100_000, 4)
    stored = fc.codecs.deflate(data, 0, "libdeflate")
    assert stored[0] & 0b110 == 0 and len(stored) > len(data)  # BTYPE 00: stored blocks only
    seg = np.packbits(segmentation_frame(3), bitorder="little").tobytes()
    sizes = [len(fc.codecs.deflate(seg, level, b)) for level, b in ((12, "libdeflate"), (9, "zlib"), (6, "zlib"))]
    assert sizes[0] < sizes[1] < sizes[2]


@pytest.mark.parametrize("encoder", BACKENDS)
@given(data=frames(st.integers(0, 200_000)), level=levels)
def test_output_within_deflate_bound(data: bytes, level: int, encoder: str) -> None:
    stream = fc.codecs.deflate(data, level_for(encoder, level), encoder)
    assert len(stream) <= fc.codecs.deflate_bound(len(data), encoder)
    assert fc.codecs.deflate_bound(len(data)) == fc.codecs.deflate_bound(len(data), "zlib")


# --- bad input ----------------------------------------------------------------------------------

DATA = make_bytes("ramp", 20_000, 7)
STREAM = zlib_raw(DATA)


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
LENIENT = ("invalid literal/length code", "invalid distance code", "too many length or distance symbols",
           "invalid bit length repeat", "invalid code lengths set")  # fmt: skip


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
        "empty": (b"", 10), "empty size 0": (b"", 0), "block type 3": (b"\x07\x00\x00", 10),
        "short": (STREAM, len(DATA) + 1), "long": (STREAM, len(DATA) - 1), "long size 0": (STREAM, 0),
        "bomb": (zlib_raw(bytes(50 << 20), 9), 4096), "no end of stream": (partial, len(DATA)),
        "stored bad nlen": (b"\x01\x05\x00\x05\x00hello", 5),
    }  # fmt: skip
    for tail in (b"\x01", b"\x00\x00", b"\x00\x01", b"junk"):
        cases[f"tail {tail!r}"] = (STREAM + tail, len(DATA))
    runs, runs_size = ends_in_a_zero_byte()
    streams = {"dynamic": (small, 3000), "stored": (stored, 3000), "fixed": (fixed_stream, 1200),
               "runs": (runs, runs_size), "zeros": (zlib_raw(bytes(90_000)), 90_000)}  # fmt: skip
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


# --- the batch engine's decoder: decode_frame and whole tables ---------------------------------------

LAYOUTS = {  # (rows, columns, samples, bits allocated, planar)
    "1-bit": (61, 67, 1, 1, False),  # 4087 pixels: the packed frame ends inside a byte
    "int16": (40, 30, 1, 16, False),
    "rgb planar": (20, 30, 3, 8, True),
    "rgb16 planar": (9, 11, 3, 16, True),
    "rgb": (20, 30, 3, 8, False),
}


def stored_frame(pixels: np.ndarray, layout: tuple[int, int, int, int, bool]) -> bytes:
    """What Deflated Image Frame Compression deflates: the native frame, 1-bit packed (PS3.5 8.2.16),
    planar configuration 1 as planes (PS3.3 C.7.6.3.1.3)."""
    rows, cols, spp, bits, planar = layout
    if bits == 1:
        return np.packbits(pixels.reshape(-1), bitorder="little").tobytes()
    if planar:
        return np.ascontiguousarray(np.moveaxis(pixels, -1, 0)).tobytes()
    return pixels.tobytes()


def frame_pixels(layout: tuple[int, int, int, int, bool], seed: int) -> np.ndarray:
    rows, cols, spp, bits, _ = layout
    rng = np.random.default_rng(seed)
    if bits == 1:
        return (rng.random((rows, cols)) < 0.3).astype(np.uint8)
    shape = (rows, cols, spp) if spp > 1 else (rows, cols)
    return rng.integers(0, 1 << min(bits, 12), shape).astype(f"<u{bits // 8}")


@pytest.mark.parametrize("encoder", BACKENDS)
@pytest.mark.parametrize("decoder", BACKENDS)
@pytest.mark.parametrize("name", LAYOUTS)
def test_decode_frame(name: str, decoder: str, encoder: str) -> None:
    layout = LAYOUTS[name]
    rows, cols, spp, bits, planar = layout
    pixels = frame_pixels(layout, 1)
    stream = fc.codecs.deflate(stored_frame(pixels, layout), 6, encoder)
    for s in (stream, stream + b"\x00"):
        got = fc.codecs.decode_frame(s, "deflate", rows, cols, spp, bits, planar=planar, backend=decoder)
        assert got.tobytes() == pixels.tobytes()


def split(stream: bytes, parts: int) -> list[bytes]:
    """The stream over `parts` fragments (one of them empty), the last padded to even length (PS3.5 A.4)."""
    cuts = sorted({len(stream) * k // parts for k in range(1, parts)})
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    pieces.insert(1, b"")
    pieces[-1] += b"\x00" * ((len(stream)) % 2)
    return pieces


def decode_table(frames: list[list[bytes]], layout: tuple[int, int, int, int, bool], backend: str,
                 threads: int = 2) -> np.ndarray:  # fmt: skip
    """frames (each a list of fragments) through the batch engine, as pixel_array calls it."""
    rows, cols, spp, bits, planar = layout
    buffer = b"".join(f for frame in frames for f in frame)
    lengths = np.array([len(f) for frame in frames for f in frame], np.uint64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.uint64)
    ff = np.concatenate([[0], np.cumsum([len(frame) for frame in frames])]).astype(np.uint64)
    out = np.empty(len(frames) * rows * cols * spp * max(1, bits // 8), np.uint8)
    fc._core._decode_frames(buffer, "deflate", rows, cols, spp, bits, out, offsets, lengths, ff, planar=planar,
                            threads=threads, backend=backend)  # fmt: skip
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", LAYOUTS)
def test_frames_of_several_fragments(name: str, backend: str) -> None:
    """A stream split over fragments (which A.4.13 does not allow, but which the engine reads): zlib streams
    through them, libdeflate joins them into a per-worker buffer first."""
    layout = LAYOUTS[name]
    pixels = [frame_pixels(layout, seed) for seed in range(6)]
    streams = [fc.codecs.deflate(stored_frame(p, layout), 6) for p in pixels]
    frames_ = [split(s, 1 + i % 3) if i % 2 else [s] for i, s in enumerate(streams)]
    for threads in (1, 2):
        got = decode_table(frames_, layout, backend, threads)
        assert got.tobytes() == b"".join(p.tobytes() for p in pixels)


@pytest.mark.skipif(not HAVE_LIBDEFLATE, reason=NO_LIBDEFLATE)
@pytest.mark.parametrize("name", LAYOUTS)
def test_batch_errors_same_on_both_backends(name: str) -> None:
    """Broken frames in a table: the same exception and message, naming the same frames, on both backends,
    for whole streams and for streams split over fragments."""
    layout = LAYOUTS[name]
    pixels = [frame_pixels(layout, seed) for seed in range(5)]
    streams = [fc.codecs.deflate(stored_frame(p, layout), 6) for p in pixels]
    breaks = {"truncated": lambda s: s[: len(s) // 2], "tail": lambda s: s + b"\x00\x07",
              "long": lambda s: zlib_raw(bytes(len(s) * 50 + 99999)), "garbage": lambda s: bytes(len(s))}  # fmt: skip
    for how, bad in breaks.items():
        broken = list(streams)
        broken[1], broken[3] = bad(broken[1]), bad(broken[3])
        for frames_ in ([[s] for s in broken], [split(s, 2) for s in broken]):
            z = outcome(lambda: decode_table(frames_, layout, "zlib"))
            ld = outcome(lambda: decode_table(frames_, layout, "libdeflate"))
            assert z == ld and z[0] == "DecodeError", (how, z, ld)
            assert str(z[1]).startswith("frame 1: ") and "1 more frame failed, the next is frame 3" in str(z[1])
