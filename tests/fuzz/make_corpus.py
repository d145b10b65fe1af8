"""Seed corpora for the fuzz targets in cpp/fuzz/, made from valid frames and files (nothing is committed).

    python tests/fuzz/make_corpus.py OUT        # OUT/<target>/<seed>, a few dozen small seeds per target

Each target reads its parameters from the input's first bytes (see the comment at the top of its source);
a seed is those bytes for a valid layout followed by a valid frame, value or file, so that the fuzzer starts
from inputs that reach the deep paths and mutates outwards. The frames and files come from the test suite's
generators (tests/datasets.py and tests/wsi_util.py: pydicom, zlib and numpy, not framecodec) and from
framecodec's encoders.
"""

from __future__ import annotations

import hashlib
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent / "benchmarks")]

import datasets as d  # noqa: E402
import framecodec as fc  # noqa: E402
import wsi_util as w  # noqa: E402

BITS = {1: 0, 8: 1, 16: 2, 32: 3, 64: 4}


def put(out: Path, target: str, data: bytes) -> None:
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def frames_of(kind: str, size: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    if kind == "runs":
        return np.repeat(rng.integers(0, 4, size, dtype=np.uint8), rng.integers(1, 60, size))[:size].tobytes()
    return bytes(size)


def inflate_seeds(out: Path) -> None:
    for i, (kind, size) in enumerate([("random", 100), ("runs", 3000), ("zeros", 70000), ("runs", 17), ("zeros", 1)]):
        raw = frames_of(kind, size, i)
        for level in (0, 1, 6, 9):
            c = zlib.compressobj(level, zlib.DEFLATED, -15)
            stream = c.compress(raw) + c.flush()
            stream += b"\x00" * (len(stream) % 2)  # the pad byte of Deflated Image Frame fragments
            params = struct.pack("<B", 0) + struct.pack("<I", size)[:3] + bytes([i * 37 % 256, i * 11 % 256])
            put(out, "inflate", params + stream)
        put(out, "inflate", bytes([1 + 2 * (i % 11)]) + b"\0" * 5 + raw[:4000])


def bits_seeds(out: Path) -> None:
    for i, (rows, cols) in enumerate([(16, 13), (64, 65), (1, 1), (100, 257), (8, 8)]):
        mask = (np.random.default_rng(i).random((rows, cols)) < 0.3).astype(np.uint8)
        if i % 2:
            mask[rows // 4 :, : cols // 2] = 1
        packed = np.packbits(mask.ravel(), bitorder="little").tobytes()
        params = bytes([rows - 1, (cols - 1) // 4])
        cols_enc = (cols - 1) // 4 * 4 + 1  # the columns the target reads from that byte
        m = np.resize(mask.ravel(), rows * cols_enc)
        p = np.packbits(m, bitorder="little").tobytes()
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        put(out, "bits", params + bytes([0, 0]) + c.compress(p) + c.flush())
        for off in (0, 3, 7):
            put(out, "bits", params + bytes([off, 1]) + bytes([0xA5]) + packed + b"\xff")
        put(out, "bits", params + bytes([i % 8, 2]) + mask.ravel().tobytes()[:512])


def rle_seeds(out: Path) -> None:
    layouts = [
        (8, 1, 16, 16),
        (16, 1, 20, 7),
        (8, 3, 12, 12),
        (1, 1, 33, 9),
        (32, 1, 5, 5),
        (64, 1, 3, 4),
        (16, 3, 4, 4),
        (8, 15, 2, 3),
    ]
    for i, (bits, spp, rows, cols) in enumerate(layouts):
        layout = d.Layout(rows, cols, spp, bits, stored=min(bits, 40))
        arr = d.make_pixels(layout, seed=i)
        pixels = arr.astype(arr.dtype.newbyteorder("<")).tobytes() if bits > 1 else arr.tobytes()
        frame = fc.codecs.rle_encode(pixels, rows, cols, spp, bits)
        for flags in (0, 1, 2 | 0x50, 0x88):
            put(out, "rle", bytes([BITS[bits], spp - 1, rows - 1, cols - 1, flags]) + frame)
        put(out, "rle", bytes([BITS[bits], spp - 1, rows - 1, cols - 1, 4]) + pixels[:300])


def encaps_seeds(out: Path) -> None:
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in (10, 3, 40, 7, 2)]
    jpeg = [b"\xff\xd8" + f + b"\xff\xd9" for f in frames]
    j2k = [b"\xff\x4f\xff\x51" + f for f in frames]
    for n in (1, 2, 5):
        for table in ("basic", "none"):
            put(out, "encaps", bytes([0, n - 1, 0]) + fc.encaps.encapsulate(frames[:n], table, delimiter=n % 2 == 1))
        value, eo, el = fc.encaps.encapsulate_extended(frames[:n], delimiter=True)
        eot = b"".join(eo[8 * i : 8 * i + 8] + el[8 * i : 8 * i + 8] for i in range(n))
        put(out, "encaps", bytes([2, n - 1, 0]) + eot + value)
    # several fragments per frame: a Basic Offset Table, codestream markers
    for mode, fr in ((0, jpeg), (4, jpeg), (8, j2k), (0, j2k)):
        put(out, "encaps", bytes([mode, 2, 0]) + d.encapsulated_value(fr[:3], fragments_per_frame=3, bot=mode == 0))
    put(out, "encaps", bytes([0, 0, 4]) + b"\0\0\0\0" + fc.encaps.encapsulate(frames[:2], "basic"))


def file_seeds(out: Path) -> None:
    """Whole files: every transfer syntax the engine decodes, every offset table, native 1-bit frames."""
    cases = [
        (d.Layout(8, 8, frames=3), d.DEFLATE, {}),
        (d.Layout(8, 8, frames=3), d.RLE, {"extended": True}),
        (d.Layout(6, 5, 3, frames=2), d.RLE, {"fragments_per_frame": 2}),
        (d.Layout(4, 4, 1, 16, frames=2), d.ENCAPSULATED_UNCOMPRESSED, {"bot": False}),
        (d.Layout(7, 9, 1, 1, frames=3), d.EXPLICIT, {}),
        (d.Layout(7, 9, 1, 1, frames=3), d.DEFLATE, {}),
        (d.Layout(5, 5, 3, 8, planar=1, frames=2), d.EXPLICIT, {}),
        (d.Layout(4, 6, 1, 16, signed=True, frames=2), d.IMPLICIT, {}),
        (d.Layout(4, 4, 1, 32, frames=1), d.DEFLATE, {"extended": True}),
    ]
    sb = {1: 0, 8: 1, 16: 2, 32: 3}
    for i, (layout, ts, kwargs) in enumerate(cases):
        data = d.to_bytes(d.dataset(d.make_pixels(layout, seed=i), layout, ts, **kwargs))
        put(out, "locate", data)
        params = bytes(
            [
                layout.rows - 1,
                layout.columns - 1,
                sb[layout.bits] | (layout.samples - 1) << 2 | (0x40 if layout.planar else 0),
            ]
        )
        put(out, "batch", params + data)
    slide = w.Slide(across=3, down=2, planes=2, paths=("a", "b"), tile=4)
    for mode in ("defined", "undefined", "mixed"):
        for explicit in (True, False):
            ds = w.wsi_dataset(slide, w.shuffled(slide.full_order(), 3))
            w.set_lengths(ds, mode, seed=1)
            put(out, "tile_positions", w.to_bytes(ds, explicit=explicit))
    full = w.wsi_dataset(slide, None, dimension_organization="TILED_FULL")
    put(out, "tile_positions", w.to_bytes(full))
    put(out, "tile_positions", w.to_bytes(w.wsi_dataset(slide, None, shared=w.Frame(1, 1)), meta=False))
    put(out, "locate", w.to_bytes(full))


def image(rows: int, columns: int, samples: int, seed: int, dtype: type = np.uint8) -> np.ndarray:
    """A smooth image with noise (what the image codecs are for), ``dtype`` wide."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:columns]
    top = np.iinfo(dtype).max
    base = (0.5 + 0.4 * np.sin(x / 7.0 + seed) * np.cos(y / 5.0)) * top
    planes = [base + rng.normal(0, top / 60, base.shape) for _ in range(samples)]
    arr = np.clip(np.stack(planes, -1) if samples > 1 else planes[0], 0, top).astype(dtype)
    return arr


def image_codec_seeds(out: Path) -> None:
    """Codestreams from encoders independent of framecodec (Pillow's libjpeg-turbo, pylibjpeg-openjpeg, imagecodecs'
    OpenJPH, pyjpegls), each behind its target's parameter bytes (see the targets' sources)."""
    import io

    from PIL import Image

    for i, (rows, columns, samples, sub) in enumerate([(16, 16, 1, 0), (40, 56, 3, 2), (33, 17, 3, 1), (64, 64, 3, 0)]):
        buf = io.BytesIO()
        Image.fromarray(image(rows, columns, samples, i)).save(buf, format="JPEG", quality=80, subsampling=sub)
        for flags, rect in ((0b010, (0, 0, columns, rows)), (0b110, (3, 5, 9, 7)), (0b01010, (0, 0, 16, 16))):
            put(out, "jpeg", struct.pack("<HHB4H", 0, 0, flags, *rect) + buf.getvalue())
    try:
        import openjpeg  # pylibjpeg-openjpeg

        for i, (rows, columns, samples, dtype) in enumerate(
            [(64, 64, 1, np.uint8), (64, 80, 3, np.uint8), (72, 64, 1, np.uint16)]
        ):
            stream = openjpeg.encode(image(rows, columns, samples, i, dtype), use_mct=samples == 3)
            flags = (samples == 3) | (dtype == np.uint16) << 1
            for scale, rect in ((0, (0, 0, 255, 255)), (1, (8, 4, 30, 20))):
                bits = 7 if dtype == np.uint8 else 15
                put(out, "j2k", bytes([rows - 1, columns - 1, flags | scale << 3, bits, *rect]) + bytes(stream))
    except ImportError:
        print("no pylibjpeg-openjpeg: no j2k seeds", file=sys.stderr)
    try:
        import imagecodecs

        for i, (rows, columns, samples, dtype) in enumerate(
            [(32, 32, 1, np.uint8), (48, 40, 3, np.uint8), (40, 48, 1, np.uint16)]
        ):
            stream = imagecodecs.htj2k_encode(image(rows, columns, samples, i, dtype))
            flags = 0b100000  # the frame from the codestream's SIZ
            for scale, rect in ((0, (0, 0, 255, 255)), (1, (4, 2, 20, 15))):
                put(out, "htj2k", bytes([rows - 1, columns - 1, flags | scale << 3, 0, *rect]) + bytes(stream))
    except (ImportError, AttributeError, RuntimeError):
        print("no imagecodecs with HTJ2K: no htj2k seeds", file=sys.stderr)
    try:
        import jpeg_ls  # pyjpegls

        for i, (rows, columns, samples, dtype) in enumerate(
            [(16, 24, 1, np.uint8), (30, 20, 3, np.uint8), (24, 24, 1, np.uint16)]
        ):
            stream = jpeg_ls.encode(image(rows, columns, samples, i, dtype))
            flags = (samples == 3) | (dtype == np.uint16) << 1
            bits = 7 if dtype == np.uint8 else 15
            put(out, "jpegls", bytes([rows - 1, columns - 1, flags, bits, 0]) + bytes(stream))
    except ImportError:
        print("no pyjpegls: no jpegls seeds", file=sys.stderr)


def writer_seeds(out: Path) -> None:
    """Layouts, codecs and pixels for fuzz_writer: each codec, both backends, 1-bit to 32-bit, one to six frames."""
    for i, (rows, cols, sb) in enumerate([(16, 13, 1), (8, 8, 0), (32, 17, 1 | 2 << 2), (5, 9, 2), (12, 12, 3)]):
        for codec in range(3):
            cb = codec | (4 if i % 2 else 0) | ((i * 3) % 10) << 3
            pixels = frames_of(["random", "runs", "zeros"][(i + codec) % 3], 600, i)
            put(out, "writer", bytes([rows - 1, cols - 1, sb, cb, i % 6]) + pixels)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/seeds")
    for make in (inflate_seeds, bits_seeds, rle_seeds, encaps_seeds, file_seeds, image_codec_seeds, writer_seeds):
        make(out)
    for folder in sorted(out.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name:16} {len(files):3} seeds, {sum(f.stat().st_size for f in files):8} bytes")


if __name__ == "__main__":
    main()
