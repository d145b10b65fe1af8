"""RLE Lossless (PS3.5 Annex G) decode and encode against imagecodecs, pylibjpeg-rle and pydicom,
single-threaded, on the shared realistic frames.

    python -m pytest benchmarks/bench_rle.py --benchmark-json=rle.json
    python benchmarks/report.py rle.json

Every implementation decodes the same encoded frames: those pylibjpeg-rle's encoder writes, which are
byte for byte pydicom's (every two-byte repeat a replicate run), what most RLE files look like.
framecodec decodes to interleaved pixels (planar configuration 0, ready to use as an array) while the
peers return planes; the "(planar out)" group compares like for like. The "(into out=)" groups decode
into preallocated arrays, as a pipeline filling a multi-frame array does: on this VM a fresh 512 KiB
array costs ~250 µs of page faults, more than decoding it, and the default groups include that cost.
"""

from __future__ import annotations

from collections.abc import Callable

import imagecodecs
import numpy as np
import numpy.typing as npt
import pytest
from pydicom.pixels.decoders.rle import _rle_decode_frame
from pydicom.pixels.encoders.native import _encode_frame as pydicom_encode_frame
from rle.rle import decode_frame as pylibjpeg_decode_frame
from rle.rle import encode_frame as pylibjpeg_encode_frame

import framecodec as fc
from frames import ct_frame, microscopy_tile, segmentation_frame

N = 8  # frames per round: distinct frames, as a pipeline sees them


class Frames:
    """N frames of one kind, with their layout and their pylibjpeg-rle (= pydicom) encodings."""

    def __init__(self, make: Callable[[int], npt.NDArray[np.generic]], spp: int, bits: int, dtype: str) -> None:
        self.pixels = [make(seed) for seed in range(N)]
        self.rows, self.cols = self.pixels[0].shape[:2]
        self.spp, self.bits, self.dtype = spp, bits, dtype
        self.raw = [p.tobytes() for p in self.pixels]
        self.encoded = [pylibjpeg_encode_frame(r, self.rows, self.cols, spp, bits, "<") for r in self.raw]
        self.nbytes = len(self.raw[0]) * N

    def planar(self, i: int) -> bytes:
        p = self.pixels[i]
        return np.moveaxis(p, -1, 0).tobytes() if self.spp > 1 else p.tobytes()


KINDS = {
    "240x240 RGB tile": lambda: Frames(microscopy_tile, 3, 8, "u1"),
    "512x512 int16 CT": lambda: Frames(ct_frame, 1, 16, "<i2"),
    "512x512 1-bit seg": lambda: Frames(segmentation_frame, 1, 1, "u1"),
}
_cache: dict[str, Frames] = {}


def frames(kind: str) -> Frames:
    if kind not in _cache:
        _cache[kind] = KINDS[kind]()
    return _cache[kind]


class _Runner:
    """The little of pydicom's EncodeRunner that its RLE encoder plugin reads."""

    def __init__(self, f: Frames) -> None:
        self.rows, self.columns, self.samples_per_pixel, self.bits_allocated = f.rows, f.cols, f.spp, f.bits

    def get_option(self, name: str, default: object = None) -> object:
        return default


def tag(benchmark, group: str, impl: str, nbytes: int) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["bytes"] = nbytes


def slow(benchmark, fn: Callable[[], object]) -> object:  # type: ignore[no-untyped-def]
    # pure-Python peers: a few rounds are enough to measure them
    return benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "imagecodecs", "pylibjpeg-rle", "pydicom"])
def test_decode(benchmark, kind: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    f = frames(kind)
    if impl == "pydicom" and f.bits == 1:
        pytest.skip("pydicom's own RLE decoder does not decode bits allocated 1")
    tag(benchmark, f"rle decode {kind}", impl, f.nbytes)
    r, c, s, b = f.rows, f.cols, f.spp, f.bits
    if impl == "framecodec":
        out = benchmark(lambda: [fc.rle_decode(e, r, c, s, b) for e in f.encoded])
        assert [bytes(o) for o in out] == f.raw
        return
    if impl == "imagecodecs":
        out = benchmark(lambda: [imagecodecs.dicomrle_decode(e, f.dtype) for e in f.encoded])
    elif impl == "pylibjpeg-rle":
        out = benchmark(lambda: [pylibjpeg_decode_frame(e, r * c, b, "<") for e in f.encoded])
    else:
        out = slow(benchmark, lambda: [_rle_decode_frame(e, r, c, s, b) for e in f.encoded])
    assert [bytes(o) for o in out] == [f.planar(i) for i in range(N)]  # the peers return planes


@pytest.mark.parametrize("impl", ["framecodec", "imagecodecs", "pylibjpeg-rle"])
def test_decode_planar(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    f = frames("240x240 RGB tile")
    tag(benchmark, "rle decode 240x240 RGB tile (planar out)", impl, f.nbytes)
    r, c = f.rows, f.cols
    if impl == "framecodec":
        out = benchmark(lambda: [fc.rle_decode(e, r, c, 3, 8, planar=True) for e in f.encoded])
    elif impl == "imagecodecs":
        out = benchmark(lambda: [imagecodecs.dicomrle_decode(e, "u1") for e in f.encoded])
    else:
        out = benchmark(lambda: [pylibjpeg_decode_frame(e, r * c, 8, "<") for e in f.encoded])
    assert [bytes(o) for o in out] == [f.planar(i) for i in range(N)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "imagecodecs"])
def test_decode_into_out(benchmark, kind: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    f = frames(kind)
    tag(benchmark, f"rle decode {kind} (into out=)", impl, f.nbytes)
    r, c, s, b = f.rows, f.cols, f.spp, f.bits
    outs = [np.empty(len(raw), np.uint8) for raw in f.raw]
    if impl == "framecodec":
        benchmark(lambda: [fc.rle_decode(e, r, c, s, b, out=o) for e, o in zip(f.encoded, outs)])
        assert [o.tobytes() for o in outs] == f.raw
    else:
        benchmark(lambda: [imagecodecs.dicomrle_decode(e, f.dtype, out=o) for e, o in zip(f.encoded, outs)])
        assert [o.tobytes() for o in outs] == [f.planar(i) for i in range(N)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "pylibjpeg-rle", "pydicom"])
def test_encode(benchmark, kind: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    f = frames(kind)
    tag(benchmark, f"rle encode {kind}", impl, f.nbytes)
    r, c, s, b = f.rows, f.cols, f.spp, f.bits
    if impl == "framecodec":
        out = benchmark(lambda: [fc.rle_encode(p, r, c, s, b) for p in f.pixels])
    elif impl == "pylibjpeg-rle":
        out = benchmark(lambda: [pylibjpeg_encode_frame(raw, r, c, s, b, "<") for raw in f.raw])
    else:
        runner = _Runner(f)
        out = slow(benchmark, lambda: [pydicom_encode_frame(raw, runner) for raw in f.raw])  # type: ignore[arg-type]
    benchmark.extra_info["encoded_bytes"] = sum(len(o) for o in out)
    assert [fc.rle_decode(o, r, c, s, b).tobytes() for o in out] == f.raw
