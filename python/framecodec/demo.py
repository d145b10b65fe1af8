"""The built-in example: a synthetic multi-frame 1-bit segmentation through framecodec's codecs.

Each frame is bit-packed and deflated as Deflated Image Frame Compression stores it (PS3.5 A.4.13:
1-bit frames are packed, each frame on a byte boundary, deflated on its own, padded to even length),
decoded back, checked bit for bit, and timed against Python's zlib with numpy's bit packing.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

import framecodec as fc


def make_segmentation(frames: int, size: int, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A stack of 0/1 frames holding a few ellipses each, like the masks of a segmentation."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.zeros((frames, size, size), dtype=np.uint8)
    for f in range(frames):
        for _ in range(rng.integers(1, 5)):
            cy, cx = rng.uniform(0, size, 2)
            ry, rx = rng.uniform(size / 20, size / 5, 2)
            out[f] |= (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).astype(np.uint8)
    return out


def pad_even(b: bytes) -> bytes:
    return b + b"\x00" if len(b) % 2 else b  # Sup 244 A.4.n: one trailing NULL after an odd-length stream


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(frames: int = 64, size: int = 512) -> int:
    seg = make_segmentation(frames, size)
    nbits = size * size
    packed_len = (nbits + 7) // 8
    raw_bytes = seg.nbytes  # one byte per pixel, as an application holds the mask

    def fc_encode() -> list[bytes]:
        return [pad_even(fc.deflate(fc.pack_bits(frame))) for frame in seg]

    def zlib_encode() -> list[bytes]:
        out = []
        for frame in seg:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            out.append(pad_even(c.compress(np.packbits(frame, bitorder="little").tobytes()) + c.flush()))
        return out

    fragments = fc_encode()
    decoded = np.empty_like(seg)

    def fc_decode() -> None:
        packed = np.empty(packed_len, dtype=np.uint8)
        for i, frag in enumerate(fragments):
            fc.inflate(frag, packed_len, out=packed)
            fc.unpack_bits(packed, nbits, out=decoded[i].reshape(-1))

    def zlib_decode() -> list[npt.NDArray[np.uint8]]:
        return [
            np.unpackbits(np.frombuffer(zlib.decompress(frag, -15), np.uint8), count=nbits, bitorder="little")
            for frag in fragments
        ]

    fc_decode()
    ok = np.array_equal(decoded, seg)
    ref = zlib_decode()
    ok = ok and all(np.array_equal(r, s.reshape(-1)) for r, s in zip(ref, seg))
    ok = ok and all(zlib.decompress(f, -15) == np.packbits(s, bitorder="little").tobytes() for f, s in zip(fragments, seg))

    t_enc, t_enc_ref = best_of(fc_encode), best_of(zlib_encode)
    t_dec, t_dec_ref = best_of(fc_decode), best_of(zlib_decode)
    compressed = sum(len(f) for f in fragments)
    mb = raw_bytes / 1e6

    print(f"framecodec {fc.__version__} (zlib {fc.zlib_version})")
    print(f"Segmentation: {frames} frames of {size}x{size}, 1 bit per pixel")
    print(f"  pixels (1 byte each)     {raw_bytes:>12,} bytes")
    print(f"  bit-packed               {frames * packed_len:>12,} bytes")
    print(f"  Deflated Image Frame     {compressed:>12,} bytes  (ratio {raw_bytes / compressed:,.0f}:1 to pixels, "
          f"{frames * packed_len / compressed:,.1f}:1 to packed)")
    print("Throughput in pixel MB/s (best of 5)       framecodec    zlib+numpy    speed-up")
    print(f"  encode (pack + deflate)               {mb / t_enc:>11,.0f}   {mb / t_enc_ref:>11,.0f}   {t_enc_ref / t_enc:>8.2f}x")
    print(f"  decode (inflate + unpack)             {mb / t_dec:>11,.0f}   {mb / t_dec_ref:>11,.0f}   {t_dec_ref / t_dec:>8.2f}x")
    print(f"Round trip bit-exact, and identical to Python's zlib and numpy: {'yes' if ok else 'NO'}")
    return 0 if ok else 1
