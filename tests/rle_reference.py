"""Independent references for the RLE tests: a plain-Python decoder written from PS3.5 G.3.2, a checker of
the encoding rules of G.3 and G.5, pydicom's own frame decoder and encoder (behind a minimal runner), and test
frames."""

from __future__ import annotations

import re
import struct

import numpy as np
import numpy.typing as npt

from datasets import PYDICOM_31

# pydicom's pure-Python RLE frame codec, for both pydicom lines: private functions (the public Decoder and Encoder
# refuse 2 and 4 samples per pixel, which the tests compare too), which 3.1 moved and renamed. The one place the
# tests pick them by version; a pydicom with neither layout fails here, loudly.
if PYDICOM_31:
    from pydicom.pixels.decoders.native import _rle_decode_frame as pydicom_decode
    from pydicom.pixels.encoders.native import _encode_rle_frame as _pydicom_encode_frame
else:
    from pydicom.pixels.decoders.rle import _rle_decode_frame as pydicom_decode  # noqa: F401 - for the tests
    from pydicom.pixels.encoders.native import _encode_frame as _pydicom_encode_frame

#: pydicom's own RLE decoder reads Bits Allocated 1 from 3.1 on (3.0's raises NotImplementedError).
PYDICOM_DECODES_ONE_BIT_RLE = PYDICOM_31

DTYPES = {1: np.uint8, 8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}

# Every supported (bits allocated, samples per pixel) with 1 to 4 samples; the segment count
# samples x bytes per sample stays at most 15 (64 bits x 2 samples would need 16).
LAYOUTS = [
    (1, 1),
    (8, 1),
    (8, 2),
    (8, 3),
    (8, 4),
    (16, 1),
    (16, 2),
    (16, 3),
    (16, 4),
    (32, 1),
    (32, 2),
    (32, 3),
    (64, 1),
]

PIXEL_KINDS = ["constant", "random", "runs", "pairs", "sparse_pairs", "ramp"]


class RefError(Exception):
    """The reference decoder rejects the frame."""


def bytes_per_sample(bits: int) -> int:
    return max(1, bits // 8)


def ref_decode(data: bytes, rows: int, cols: int, spp: int, bits: int, order: str = ">", planar: bool = False) -> bytes:
    """PS3.5 G.3.2 decoding, with the acceptance rules framecodec documents: a segment may decode long
    (trimmed) and may end in one 0x00 pad byte; anything else that leaves a plane short is an error."""
    bps = bytes_per_sample(bits)
    npix = rows * cols
    if len(data) < 64:
        raise RefError("short header")
    n = struct.unpack_from("<I", data)[0]
    if not 1 <= n <= 15 or n != spp * bps:
        raise RefError("segment count")
    offsets = list(struct.unpack_from(f"<{n}I", data, 4))
    ends = offsets[1:] + [len(data)]
    if offsets[0] < 64 or any(b <= a for a, b in zip(offsets, offsets[1:])) or offsets[-1] >= len(data):
        raise RefError("offsets")
    planes = []
    for start, end in zip(offsets, ends):
        seg = data[start:end]
        out = bytearray()
        p = 0
        while len(out) < npix and p < len(seg):
            h = seg[p]
            p += 1
            if h < 128:  # literal run of h + 1 bytes
                if p + h + 1 > len(seg):
                    if h == 0 and p == len(seg):
                        break  # pad byte
                    raise RefError("literal past end")
                out += seg[p : p + h + 1]
                p += h + 1
            elif h > 128:  # replicate run of 257 - h bytes
                if p >= len(seg):
                    raise RefError("replicate past end")
                out += seg[p : p + 1] * (257 - h)
                p += 1
        if len(out) < npix:
            raise RefError("short segment")
        planes.append(np.frombuffer(bytes(out[:npix]), np.uint8))
    a = np.stack(planes).reshape(spp, bps, npix)  # segment order: sample, then byte plane
    if order == ">":
        a = a[:, ::-1]  # most significant plane first -> little-endian byte order
    return (a.transpose(0, 2, 1) if planar else a.transpose(2, 0, 1)).tobytes()


def parse_runs(seg: bytes, rows: int, cols: int) -> tuple[list[list[tuple[str, int, bytes]]], int]:
    """Splits a segment into rows of runs (kind, length, bytes); asserts no run crosses a row."""
    p = 0
    out = []
    for _ in range(rows):
        x = 0
        runs = []
        while x < cols:
            h = seg[p]
            p += 1
            assert h != 128, "an encoder must not write the no-op header byte -128 (G.3.1)"
            if h < 128:
                lit = seg[p : p + h + 1]
                assert len(lit) == h + 1
                runs.append(("L", h + 1, lit))
                p += h + 1
            else:
                runs.append(("R", 257 - h, seg[p : p + 1]))
                p += 1
            x += runs[-1][1]
            assert x <= cols, "a run crosses a row boundary (G.3.1: each row encoded separately)"
        out.append(runs)
    return out, p


_TRIPLE = re.compile(rb"(.)\1\1", re.DOTALL)


def check_g3(enc: bytes, rows: int, cols: int, nseg: int) -> None:
    """Asserts the layout PS3.5 G.3 and G.5 require of an encoder, and the run choices we promise."""
    header = struct.unpack_from("<16I", enc)
    n, offsets = header[0], header[1:]
    assert n == nseg
    assert offsets[0] == 64, "the first segment follows the 64-byte header"
    assert all(o == 0 for o in offsets[n:]), "unused header entries are zero (G.5)"
    ends = list(offsets[1:n]) + [len(enc)]
    for start, end in zip(offsets[:n], ends):
        seg = enc[start:end]
        assert len(seg) % 2 == 0, "segments have even length (G.3)"
        rows_runs, used = parse_runs(seg, rows, cols)
        assert used == len(seg) or (used == len(seg) - 1 and seg[-1] == 0), "only one 0x00 pad byte after the rows"
        for runs in rows_runs:
            for kind, _, payload in runs:
                if kind == "L":
                    assert not _TRIPLE.search(payload), "three equal bytes must be a replicate run (G.3.1)"
            for a, b in zip(runs, runs[1:]):
                if a[0] == b[0] == "L" or (a[0] == b[0] == "R" and a[2] == b[2]):
                    assert a[1] == 128, "a run is split only at its 128-byte limit"
            for a, b, c in zip(runs, runs[1:], runs[2:]):
                if a[0] == "L" and b[:2] == ("R", 2) and c[0] == "L":
                    assert a[1] + 2 + c[1] > 128, "a two-byte repeat between literals is merged when shorter"


class _Runner:
    """The little of pydicom's EncodeRunner that its RLE encoder plugin reads (3.1's per-frame options too)."""

    def __init__(self, rows: int, cols: int, spp: int, bits: int) -> None:
        self.rows, self.columns, self.samples_per_pixel, self.bits_allocated = rows, cols, spp, bits
        self.index = 0
        # The source holds one byte a sample, 0/1 for bits allocated 1: 3.1's encoder unpacks a 1-bit frame unless
        # the frame's option says it is 8 bits already (3.0's encodes whatever bytes it gets).
        self._frame_options: dict[str, object] = {"bits_allocated": 8} if bits == 1 else {}

    def get_option(self, name: str, default: object = None) -> object:
        return default

    def get_frame_option(self, index: int, name: str, default: object = None) -> object:
        return self._frame_options.get(name, default)

    def set_frame_option(self, index: int, name: str, value: object) -> None:
        self._frame_options[name] = value


def pydicom_encode(arr: npt.NDArray[np.generic], rows: int, cols: int, spp: int, bits: int) -> bytes:
    """pydicom's own RLE encoder (pydicom.pixels.encoders.native) on native little-endian pixels."""
    return _pydicom_encode_frame(np.ascontiguousarray(arr).tobytes(), _Runner(rows, cols, spp, bits))  # type: ignore[arg-type]


def make_pixels(kind: str, rows: int, cols: int, spp: int, bits: int, seed: int) -> npt.NDArray[np.generic]:
    """A frame of a given structure, shaped (rows, cols) or (rows, cols, spp). Bits allocated 1 gives 0/1."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(DTYPES[bits])
    n = rows * cols * spp
    top = 2 if bits == 1 else 1 << min(bits, 63)
    if kind == "constant":
        v = np.full(n, int(rng.integers(0, top)), dtype)
    elif kind == "random":
        v = rng.integers(0, 256, n * dtype.itemsize, dtype=np.uint8).view(dtype)
    elif kind == "runs":  # long runs of a few values, like masks and backgrounds
        lengths = rng.integers(1, 300, n // 2 + 2)
        values = rng.integers(0, top, lengths.size, dtype=np.uint64).astype(dtype)
        v = np.repeat(values, lengths)[:n]
    elif kind == "pairs":  # a tiny alphabet: many two- and three-byte repeats next to literals
        scale = int(rng.integers(1, top)) if bits > 1 else 1
        v = (rng.integers(0, 3, n, dtype=np.uint64) * np.uint64(scale)).astype(dtype)
    elif kind == "sparse_pairs":  # literal stretches of 1-300 bytes between two-byte repeats, per byte plane
        planes = (np.cumsum(rng.integers(1, 256, (dtype.itemsize, rows * cols * spp)), axis=1) % 256).astype(np.uint8)
        # half the gaps make literal stretches of about 128 and 256 bytes, where run splitting matters
        gaps = np.where(
            rng.random(planes.shape[1]) < 0.5,
            rng.integers(1, 300, planes.shape[1]),
            rng.choice([129, 130, 131, 258, 259], planes.shape[1]),
        )
        at = np.cumsum(gaps)
        at = at[at < planes.shape[1] - 1]
        planes[:, at + 1] = planes[:, at]
        v = np.ascontiguousarray(planes.T).view(dtype).reshape(-1)
    elif kind == "ramp":  # smooth content with noise, like images
        x = np.arange(n, dtype=np.float64)
        span = min(float(top), 4096.0)
        v = ((span / 2) * (1 + np.sin(x / 97)) + rng.normal(0, 2, n)).clip(0, span - 1).astype(dtype)
    else:
        raise ValueError(kind)
    if bits == 1:
        v = (v & 1).astype(np.uint8)
    return v.reshape((rows, cols, spp) if spp > 1 else (rows, cols))
