"""Deflated frames of images in every layout (1-bit to 32-bit, several samples), in one fragment or several,
and the batch decoder's errors on both backends.

Both backends (the system zlib, and libdeflate when the build has it) are checked against Python's zlib as the
independent reference: every test that decodes runs on each decoder, every test that encodes on each encoder.
"""

from __future__ import annotations

import numpy as np
import pytest

import framecodec as fc
from conftest import BACKENDS, NO_LIBDEFLATE
from deflate_util import HAVE_LIBDEFLATE, outcome, zlib_raw

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


def decode_table(
    frames: list[list[bytes]], layout: tuple[int, int, int, int, bool], backend: str, threads: int = 2
) -> np.ndarray:
    """frames (each a list of fragments) through the batch engine, as pixel_array calls it."""
    rows, cols, spp, bits, planar = layout
    buffer = b"".join(f for frame in frames for f in frame)
    lengths = np.array([len(f) for frame in frames for f in frame], np.uint64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.uint64)
    ff = np.concatenate([[0], np.cumsum([len(frame) for frame in frames])]).astype(np.uint64)
    out = np.empty(len(frames) * rows * cols * spp * max(1, bits // 8), np.uint8)
    fc._core._decode_frames(
        buffer,
        "deflate",
        rows,
        cols,
        spp,
        bits,
        out,
        offsets,
        lengths,
        ff,
        planar=planar,
        threads=threads,
        backend=backend,
    )
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
    breaks = {
        "truncated": lambda s: s[: len(s) // 2],
        "tail": lambda s: s + b"\x00\x07",
        "long": lambda s: zlib_raw(bytes(len(s) * 50 + 99999)),
        "garbage": lambda s: bytes(len(s)),
    }
    for how, bad in breaks.items():
        broken = list(streams)
        broken[1], broken[3] = bad(broken[1]), bad(broken[3])
        for frames_ in ([[s] for s in broken], [split(s, 2) for s in broken]):
            z = outcome(lambda: decode_table(frames_, layout, "zlib"))
            ld = outcome(lambda: decode_table(frames_, layout, "libdeflate"))
            assert z == ld and z[0] == "DecodeError", (how, z, ld)
            assert str(z[1]).startswith("frame 1: ") and "1 more frame failed, the next is frame 3" in str(z[1])
