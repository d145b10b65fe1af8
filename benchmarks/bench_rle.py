"""RLE Lossless (PS3.5 Annex G) decode and encode against imagecodecs, pylibjpeg-rle and pydicom's own (pure
Python) codec, single-threaded, on frames made from real images (real_data.py: scikit-image's photographs for
the RGB tiles and the 1-bit masks, pydicom-data's CT slices). Each group's name carries the frames' compression
ratio, RLE's own (the native bytes, 1-bit frames packed, over the encoded bytes).

    python -m pytest benchmarks/bench_rle.py --benchmark-json=rle.json

Every implementation decodes the same encoded frames, 8 distinct frames a round: those pylibjpeg-rle's encoder
writes, which are byte for byte pydicom's (every two-byte repeat a replicate run), what most RLE files look like
(framecodec's encoder's when pylibjpeg-rle is not installed: ``extra_info["encoded_by"]``). framecodec decodes to
interleaved pixels (planar configuration 0, ready to use as an array) while the peers return planes; the "(planar
out)" group compares like for like. The "(into out=)" groups decode into preallocated arrays, as a pipeline
filling a multi-frame array does: on this VM a fresh 512 KiB array costs ~250 µs of page faults, more than
decoding it, and the default groups include that cost.

framecodec's benchmark of each group runs every peer and the ceiling once in each of its rounds
(timing.interleaved); the peers also have benchmarks of their own. The ceiling, ``copy (ceiling)``, copies each
frame's decoded size from a preallocated source into a new ``np.empty`` (decode, planar out: the implementations
return new arrays) or into preallocated arrays (into out=). pydicom's codec is a private function that moved
between versions (peers.py finds it in 3.0 and 3.1); a peer that is missing or cannot decode the data (pydicom
3.0's decoder and 1-bit frames) skips its own benchmark and is listed in ``extra_info["missing"]`` of framecodec's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from peers import (
    PYDICOM,
    PYDICOM_RLE_DECODE_WHY,
    PYDICOM_RLE_ENCODE_WHY,
    optional,
    pydicom_rle_decode,
    pydicom_rle_encode,
)
from real_data import frames as real_frames
from timing import CEILING, compare, copy_ceiling, tag

N = 8  # frames per round: distinct frames, as a pipeline sees them
imagecodecs, IMAGECODECS_WHY = optional("imagecodecs")
pylibjpeg_rle, PYLIBJPEG_RLE_WHY = optional("rle.rle")

Fns = dict[str, Callable[[], Any]]


class Frames:
    """N distinct real-image frames of one kind (real_data.py), with their layout and their pylibjpeg-rle (=
    pydicom) encodings."""

    def __init__(self, kind: str, size: int, spp: int, bits: int, dtype: str, what: str) -> None:
        self.pixels = list(real_frames(kind, N, size).astype(dtype))
        self.rows, self.cols = self.pixels[0].shape[:2]
        self.spp, self.bits, self.dtype = spp, bits, dtype
        self.raw = [p.tobytes() for p in self.pixels]
        if pylibjpeg_rle is not None:
            self.encoded_by = "pylibjpeg-rle"
            self.encoded = [pylibjpeg_rle.encode_frame(r, self.rows, self.cols, spp, bits, "<") for r in self.raw]
        else:
            self.encoded_by = "framecodec"
            self.encoded = [fc.codecs.rle_encode(p, self.rows, self.cols, spp, bits) for p in self.pixels]
        self.size = len(self.raw[0])
        self.nbytes = self.size * N
        native = self.nbytes // 8 if bits == 1 else self.nbytes  # 1-bit: packed, as a native file holds them
        self.label = f"{what} (real images), RLE {native / sum(len(e) for e in self.encoded):.1f}:1"

    def planar(self, i: int) -> bytes:
        p = self.pixels[i]
        return np.moveaxis(p, -1, 0).tobytes() if self.spp > 1 else p.tobytes()


KINDS = {
    "240x240 RGB tile": lambda: Frames("rgb", 240, 3, 8, "u1", "240x240 RGB tiles"),
    "512x512 int16 CT": lambda: Frames("ct", 512, 1, 16, "<i2", "512x512 int16 CT"),
    "512x512 1-bit mask": lambda: Frames("mask", 512, 1, 1, "u1", "512x512 1-bit masks"),
}
_cache: dict[str, Frames] = {}


def frames(kind: str) -> Frames:
    if kind not in _cache:
        _cache[kind] = KINDS[kind]()
    return _cache[kind]


class _Runner:
    """The little of pydicom's EncodeRunner that its RLE encoder reads (3.0's and 3.1's). The frames are given
    one byte a pixel: for 1-bit frames the frame option says they are unpacked already (3.1 would unpack them)."""

    index = 0

    def __init__(self, f: Frames) -> None:
        self.rows, self.columns, self.samples_per_pixel, self.bits_allocated = f.rows, f.cols, f.spp, f.bits
        self._frame: dict[str, object] = {"bits_allocated": 8}

    def get_option(self, name: str, default: object = None) -> object:
        return default

    def get_frame_option(self, index: int, name: str, default: object = None) -> object:
        return self._frame.get(name, default)

    def set_frame_option(self, index: int, name: str, value: object) -> None:
        self._frame[name] = value


def run(
    benchmark: Any,
    impl: str,
    fns: Fns,
    problems: dict[str, str | None],
    check: Callable[[str, Any], None],
    budget: float = 3.0,
) -> None:
    """framecodec interleaved with every peer that can run and the ceiling (timing.compare), then ``check``."""
    out, _ = compare(benchmark, impl, fns, problems, budget=budget)
    if impl != CEILING:
        check(impl, out)


def pydicom_decode_problem(f: Frames) -> str | None:
    """Why pydicom's own decoder cannot decode these frames (3.0's refuses bits allocated 1, 3.1's decodes them)."""
    if PYDICOM_RLE_DECODE_WHY:
        return PYDICOM_RLE_DECODE_WHY
    try:
        pydicom_rle_decode(f.encoded[0], f.rows, f.cols, f.spp, f.bits)
    except Exception as e:
        return f"{PYDICOM}'s own RLE decoder cannot decode these frames: {e}"
    return None


def peer_problems(f: Frames) -> dict[str, str | None]:
    """Why each decoding peer cannot decode these frames here, or None."""
    return {"imagecodecs": IMAGECODECS_WHY, "pylibjpeg-rle": PYLIBJPEG_RLE_WHY, "pydicom": pydicom_decode_problem(f)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "imagecodecs", "pylibjpeg-rle", "pydicom", CEILING])
def test_decode(benchmark: Any, kind: str, impl: str) -> None:
    """Each frame into a new array: framecodec interleaved, the peers in planes."""
    f = frames(kind)
    tag(benchmark, f"rle decode {f.label}", impl, f.nbytes)
    benchmark.extra_info["encoded_by"] = f.encoded_by
    r, c, s, b = f.rows, f.cols, f.spp, f.bits
    fns: Fns = {
        "framecodec": lambda: [fc.codecs.rle_decode(e, r, c, s, b) for e in f.encoded],
        "imagecodecs": lambda: [imagecodecs.dicomrle_decode(e, f.dtype) for e in f.encoded],
        "pylibjpeg-rle": lambda: [pylibjpeg_rle.decode_frame(e, r * c, b, "<") for e in f.encoded],
        "pydicom": lambda: [pydicom_rle_decode(e, r, c, s, b) for e in f.encoded],
        CEILING: copy_ceiling([f.size] * N, fresh=True),
    }

    def check(name: str, out: Any) -> None:  # the peers return planes
        want = f.raw if name == "framecodec" else [f.planar(i) for i in range(N)]
        assert [bytes(o) for o in out] == want, name

    run(benchmark, impl, fns, peer_problems(f), check)


@pytest.mark.parametrize("impl", ["framecodec", "imagecodecs", "pylibjpeg-rle", CEILING])
def test_decode_planar(benchmark: Any, impl: str) -> None:
    """Each RGB frame into a new array of planes, like for like with the peers."""
    f = frames("240x240 RGB tile")
    tag(benchmark, f"rle decode {f.label} (planar out)", impl, f.nbytes)
    benchmark.extra_info["encoded_by"] = f.encoded_by
    r, c = f.rows, f.cols
    fns: Fns = {
        "framecodec": lambda: [fc.codecs.rle_decode(e, r, c, 3, 8, planar=True) for e in f.encoded],
        "imagecodecs": lambda: [imagecodecs.dicomrle_decode(e, "u1") for e in f.encoded],
        "pylibjpeg-rle": lambda: [pylibjpeg_rle.decode_frame(e, r * c, 8, "<") for e in f.encoded],
        CEILING: copy_ceiling([f.size] * N, fresh=True),
    }

    def check(name: str, out: Any) -> None:
        assert [bytes(o) for o in out] == [f.planar(i) for i in range(N)], name

    run(benchmark, impl, fns, {"imagecodecs": IMAGECODECS_WHY, "pylibjpeg-rle": PYLIBJPEG_RLE_WHY}, check)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "imagecodecs", CEILING])
def test_decode_into_out(benchmark: Any, kind: str, impl: str) -> None:
    """Each frame into a preallocated array (``out=``); of the peers only imagecodecs takes one."""
    f = frames(kind)
    tag(benchmark, f"rle decode {f.label} (into out=)", impl, f.nbytes)
    benchmark.extra_info["encoded_by"] = f.encoded_by
    r, c, s, b = f.rows, f.cols, f.spp, f.bits
    outs = {name: [np.full(f.size, 0, np.uint8) for _ in range(N)] for name in ("framecodec", "imagecodecs")}
    fns: Fns = {
        "framecodec": lambda: [
            fc.codecs.rle_decode(e, r, c, s, b, out=o) for e, o in zip(f.encoded, outs["framecodec"])
        ],
        "imagecodecs": lambda: [
            imagecodecs.dicomrle_decode(e, f.dtype, out=o) for e, o in zip(f.encoded, outs["imagecodecs"])
        ],
        CEILING: copy_ceiling([f.size] * N, fresh=False),
    }

    def check(name: str, _: Any) -> None:
        want = f.raw if name == "framecodec" else [f.planar(i) for i in range(N)]
        assert [o.tobytes() for o in outs[name]] == want, name

    run(benchmark, impl, fns, {"imagecodecs": IMAGECODECS_WHY}, check)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("impl", ["framecodec", "pylibjpeg-rle", "pydicom"])
def test_encode(benchmark: Any, kind: str, impl: str) -> None:
    """Each frame encoded (framecodec interleaved with the peers; pydicom's pure Python takes ~30 ms a frame)."""
    f = frames(kind)
    tag(benchmark, f"rle encode {f.label}", impl, f.nbytes)
    r, c, s, b = f.rows, f.cols, f.spp, f.bits
    runner = _Runner(f)
    fns: Fns = {
        "framecodec": lambda: [fc.codecs.rle_encode(p, r, c, s, b) for p in f.pixels],
        "pylibjpeg-rle": lambda: [pylibjpeg_rle.encode_frame(raw, r, c, s, b, "<") for raw in f.raw],
        "pydicom": lambda: [pydicom_rle_encode(raw, runner) for raw in f.raw],
    }

    def check(name: str, out: Any) -> None:
        benchmark.extra_info["encoded_bytes"] = sum(len(o) for o in out)
        assert [fc.codecs.rle_decode(o, r, c, s, b).tobytes() for o in out] == f.raw, name

    run(
        benchmark, impl, fns, {"pylibjpeg-rle": PYLIBJPEG_RLE_WHY, "pydicom": PYDICOM_RLE_ENCODE_WHY}, check, budget=2.0
    )
