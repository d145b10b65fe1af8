"""1-bit packing (issue 2): ``framecodec.codecs.pack_bits`` / ``unpack_bits`` against numpy's ``packbits`` /
``unpackbits`` (``bitorder="little"``, DICOM's bit order), on 512x512 masks thresholded from real images
(``real_data.mask_bank``, issue 21; each group's name gives their deflate ratio, bit-packed).

    python -m pytest benchmarks/bench_bitpack.py --benchmark-json=bitpack.json

What is timed, 8 distinct masks a round:

- unpack, frame by frame into a new array each (``unpack_bits(packed, count)`` / ``np.unpackbits``);
- unpack into preallocated arrays (``unpack_bits(..., out=)``): numpy has no ``out=``, so its peer unpacks and
  copies into the same arrays, what a pipeline filling a multi-frame array must do with it;
- unpack 509x509 frames of native multi-frame 1-bit Pixel Data, where frame n starts at bit n*509*509, mostly not
  on a byte boundary (``bit_offset=``): numpy unpacks the enclosing bytes, slices and copies;
- the batch: all 8 frames' bits in one call, into one array;
- pack, frame by frame and the batch of 8 frames in one call.

Every group has the ceiling ``copy (ceiling)`` (timing.copy_ceiling): ``np.copyto`` of the unpacked size (one byte
a pixel; for pack the size read) from a preallocated source, into a new ``np.empty`` per output where the group's
implementations return new arrays (unpack), into preallocated arrays where they write into ``out=`` or return
bytes an eighth of the size (pack). framecodec's benchmark of each group runs numpy and the ceiling once in each
of its rounds (timing.interleaved); numpy and the ceiling also have benchmarks of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import framecodec as fc
from real_data import deflate_ratio, frames
from timing import CEILING, compare, copy_ceiling, tag

N = 8  # frames per round: distinct frames, as a pipeline sees them
IMPLS = ["framecodec", "numpy", CEILING]
SEG = list(frames("mask", N, 512))
SIDE = SEG[0].shape[0]  # 512
MASKS = f"masks (real images, deflate {deflate_ratio(np.stack(SEG), bits=1):.1f}:1)"
PIXELS = SEG[0].size
ODD = SIDE - 3  # frames whose bits do not start on a byte boundary
PACKED = [np.packbits(s, bitorder="little") for s in SEG]
BATCH = np.packbits(np.stack(SEG), bitorder="little")  # the N frames' bits back to back (PIXELS is a multiple of 8)

Fns = dict[str, Callable[[], Any]]


def run(benchmark: Any, group: str, impl: str, nbytes: int, fns: Fns, check: Callable[[Any], bool]) -> None:
    """framecodec interleaved with numpy and the ceiling; the others timed on their own."""
    tag(benchmark, group, impl, nbytes)
    out, _ = compare(benchmark, impl, fns, budget=2.0, alone=1.0, max_rounds=200)
    if impl != CEILING:
        assert check(out), impl


def all_equal(got: list[npt.NDArray[np.uint8]], want: list[npt.NDArray[np.uint8]]) -> bool:
    return len(got) == len(want) and all(np.array_equal(g.reshape(-1), w.reshape(-1)) for g, w in zip(got, want))


@pytest.mark.parametrize("impl", IMPLS)
def test_unpack_bits(benchmark: Any, impl: str) -> None:
    """Each frame into a new array."""
    fns: Fns = {
        "framecodec": lambda: [fc.codecs.unpack_bits(p, PIXELS) for p in PACKED],
        "numpy": lambda: [np.unpackbits(p, count=PIXELS, bitorder="little") for p in PACKED],
        CEILING: copy_ceiling([PIXELS] * N, fresh=True),
    }
    run(benchmark, f"unpack_bits {SIDE}x{SIDE} frame, {MASKS}", impl, PIXELS * N, fns, lambda out: all_equal(out, SEG))


@pytest.mark.parametrize("impl", IMPLS)
def test_unpack_bits_into_out(benchmark: Any, impl: str) -> None:
    """Each frame into a preallocated array (``out=``); numpy unpacks, then copies into it."""
    outs = [np.full(PIXELS, 0, np.uint8) for _ in range(N)]  # written once: mapped before the timing

    def numpy_into() -> list[npt.NDArray[np.uint8]]:
        for p, o in zip(PACKED, outs):
            np.copyto(o, np.unpackbits(p, count=PIXELS, bitorder="little"))
        return outs

    fns: Fns = {
        "framecodec": lambda: [fc.codecs.unpack_bits(p, PIXELS, out=o) for p, o in zip(PACKED, outs)],
        "numpy": numpy_into,
        CEILING: copy_ceiling([PIXELS] * N, fresh=False),
    }
    run(
        benchmark,
        f"unpack_bits {SIDE}x{SIDE} frame (into out=), {MASKS}",
        impl,
        PIXELS * N,
        fns,
        lambda out: all_equal(out, SEG),
    )


@pytest.mark.parametrize("impl", IMPLS)
def test_unpack_bits_at_bit_offset(benchmark: Any, impl: str) -> None:
    """Native multi-frame 1-bit data of 509x509 frames: frame n starts at bit n*509*509."""
    n_pixels = ODD * ODD
    frames_ = [s[:ODD, :ODD] for s in SEG]
    pixel_data = np.packbits(np.stack(frames_).reshape(-1), bitorder="little")

    def numpy_frame(n: int) -> npt.NDArray[np.uint8]:
        start = n * n_pixels
        first, last = start // 8, (start + n_pixels + 7) // 8
        bits = np.unpackbits(pixel_data[first:last], bitorder="little")
        return np.ascontiguousarray(bits[start - 8 * first : start - 8 * first + n_pixels])

    fns: Fns = {
        "framecodec": lambda: [fc.codecs.unpack_bits(pixel_data, n_pixels, bit_offset=n * n_pixels) for n in range(N)],
        "numpy": lambda: [numpy_frame(n) for n in range(N)],
        CEILING: copy_ceiling([n_pixels] * N, fresh=True),
    }
    run(
        benchmark,
        f"unpack_bits {ODD}x{ODD} frame at a bit offset, {MASKS}",
        impl,
        n_pixels * N,
        fns,
        lambda out: all_equal(out, frames_),
    )


@pytest.mark.parametrize("impl", IMPLS)
def test_unpack_bits_batch(benchmark: Any, impl: str) -> None:
    """The N frames' bits in one call, into one new array."""
    fns: Fns = {
        "framecodec": lambda: [fc.codecs.unpack_bits(BATCH, PIXELS * N)],
        "numpy": lambda: [np.unpackbits(BATCH, count=PIXELS * N, bitorder="little")],
        CEILING: copy_ceiling(PIXELS * N, fresh=True),
    }
    run(
        benchmark,
        f"unpack_bits batch of {N} {SIDE}x{SIDE} frames in one call, {MASKS}",
        impl,
        PIXELS * N,
        fns,
        lambda out: all_equal(out, [np.stack(SEG)]),
    )


@pytest.mark.parametrize("impl", IMPLS)
def test_pack_bits(benchmark: Any, impl: str) -> None:
    """Each frame to its own bytes."""
    fns: Fns = {
        "framecodec": lambda: [fc.codecs.pack_bits(s) for s in SEG],
        "numpy": lambda: [np.packbits(s, bitorder="little").tobytes() for s in SEG],
        CEILING: copy_ceiling([PIXELS] * N, fresh=False),
    }
    want = [p.tobytes() for p in PACKED]
    run(benchmark, f"pack_bits {SIDE}x{SIDE} frame, {MASKS}", impl, PIXELS * N, fns, lambda out: out == want)


@pytest.mark.parametrize("impl", IMPLS)
def test_pack_bits_batch(benchmark: Any, impl: str) -> None:
    """The N frames (one array) to one run of bytes."""
    stack = np.stack(SEG)
    fns: Fns = {
        "framecodec": lambda: fc.codecs.pack_bits(stack),
        "numpy": lambda: np.packbits(stack, bitorder="little").tobytes(),
        CEILING: copy_ceiling(PIXELS * N, fresh=False),
    }
    run(
        benchmark,
        f"pack_bits batch of {N} {SIDE}x{SIDE} frames in one call, {MASKS}",
        impl,
        PIXELS * N,
        fns,
        lambda out: out == BATCH.tobytes(),
    )
