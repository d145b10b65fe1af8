"""Raw deflate and inflate of single frames (Deflated Image Frame Compression, PS3.5 A.4.13): streams cross over
(each encoder's through the other decoder and Python's zlib, Python's through ours), at every level.

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
from conftest import BACKENDS, KINDS, NO_LIBDEFLATE, frames, make_bytes
from deflate_util import HAVE_LIBDEFLATE, zlib_raw

LEVELS = {"zlib": [-1, *range(10)], "libdeflate": [-1, *range(13)]}
levels = st.integers(-1, 12)  # clipped to 9 for zlib by level_for


def level_for(encoder: str, level: int) -> int:
    return level if encoder == "libdeflate" else min(level, 9)


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
    if fc.codecs.zlib_version != zlib.ZLIB_RUNTIME_VERSION:
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
