"""Writing a synthetic slide: the header by pydicom, then the Per-Frame Functional Groups and the Pixel Data
streamed after it. See slides.py for the whole."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import slide_codecs
from .dicom_bytes import atomic_file, element, item, write_dataset_part10
from .slide_header import header, per_frame_functional_groups
from .slide_pixels import encode_tile, frame_layout, mosaic_tiles, slide_canvas
from .slide_spec import FOCAL_PLANE_SPACING_MM, TILED_SPARSE, Slide, SlideSpec, mosaic_index, optical_path_ids


def _pixel_data_items(
    f: Any, encoded: Sequence[bytes], index: npt.NDArray[np.int64], spec: SlideSpec, chunk: int = 1 << 22
) -> npt.NDArray[np.int64]:
    """Write the Pixel Data element (native or encapsulated) whose frame ``i`` is ``encoded[index[i]]``, and the
    Extended Offset Table before it when asked for; return where each frame's first byte is in the file."""
    n = len(index)
    if not spec.encapsulated:  # the frames one after another, the value padded to even length (PS3.5 8.1.1)
        sizes = np.array([len(e) for e in encoded], np.int64)[index]
        total = int(sizes.sum())
        if total + total % 2 > 0xFFFFFFFE:
            raise ValueError(f"native Pixel Data of {total} bytes does not fit a 32-bit length: encapsulate it")
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, total + total % 2))
        start = f.tell()
        for e in _chunks(encoded, index, chunk, pad=False):
            f.write(e)
        f.write(b"\x00" * (total % 2))
        return np.asarray(start + np.concatenate(([0], np.cumsum(sizes)[:-1])), np.int64)
    lengths = np.array([len(e) + len(e) % 2 for e in encoded], np.int64)[index]  # the fragments, padded to even
    offsets = np.zeros(n, np.int64)  # from the first item after the Basic Offset Table
    if n > 1:
        offsets[1:] = np.cumsum(lengths[:-1] + 8)
    if spec.offset_table == "basic":
        if n and offsets[-1] > 0xFFFFFFFF:
            raise ValueError("a Basic Offset Table cannot address this Pixel Data: use offset_table='extended'")
        bot = offsets.astype("<u4").tobytes()
    elif spec.offset_table in ("empty", "extended"):
        bot = b""
    else:
        raise ValueError(f"offset_table must be 'basic', 'empty' or 'extended', not {spec.offset_table!r}")
    if spec.offset_table == "extended":  # (7FE0,0001) and (7FE0,0002) come before (7FE0,0010)
        f.write(element(0x7FE0, 0x0001, b"OV", offsets.astype("<u8").tobytes()))
        f.write(element(0x7FE0, 0x0002, b"OV", lengths.astype("<u8").tobytes()))
    f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
    f.write(item(bot))
    start = f.tell()
    for e in _chunks(encoded, index, chunk, pad=True):
        f.write(e)
    f.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    return np.asarray(start + offsets + 8, np.int64)


def _chunks(encoded: Sequence[bytes], index: npt.NDArray[np.int64], size: int, pad: bool) -> Iterable[bytes]:
    """The frames (as items when ``pad``: header, value, pad byte) joined in chunks of about ``size`` bytes."""
    pieces = [(item(e + b"\x00" * (len(e) % 2)) if pad else e) for e in encoded]
    buf: list[bytes] = []
    n = 0
    for i in index.tolist():
        buf.append(pieces[i])
        n += len(pieces[i])
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


def write_slide(path: str | os.PathLike[str], spec: SlideSpec | None = None) -> Slide:
    """Write the slide ``spec`` describes to ``path`` (via a temporary name and a rename) and return it with its
    reference pixels (``spec`` None: ``SlideSpec()``)."""
    path = Path(path)
    spec = SlideSpec() if spec is None else spec
    if spec.samples not in (1, 3):
        raise ValueError("samples must be 1 (MONOCHROME2) or 3 (RGB)")
    slide_codecs.check(spec)
    tw, th = spec.tile_size
    if spec.tissue_tiles is not None and spec.mosaic is None:
        raise ValueError("tissue_tiles needs a mosaic slide (SlideSpec.mosaic): the whole-image slide is synthetic")
    tiles, planes, present = frame_layout(spec)
    canvas = distinct = decoded = decoded_distinct = None
    if spec.mosaic is None:
        canvas = slide_canvas(spec)
        # one encoded frame per frame
        encoded = [
            encode_tile(canvas[f, p, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw], spec)
            for (tx, ty), (f, p) in zip(tiles.tolist(), planes.tolist())
        ]
        index = np.arange(len(tiles), dtype=np.int64)
        if spec.lossy:  # the reference: each frame as the reference decoder gives it back
            decoded = np.zeros_like(canvas)
            for e, (tx, ty), (f, p) in zip(encoded, tiles.tolist(), planes.tolist()):
                decoded[f, p, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw] = slide_codecs.decode(e, spec)
    else:
        distinct = mosaic_tiles(spec)
        encoded = [encode_tile(t, spec) for t in distinct]
        index = mosaic_index(spec, tiles[:, 0], tiles[:, 1], planes[:, 0], planes[:, 1])
        index = np.atleast_1d(index)
        if spec.lossy:
            decoded_distinct = np.stack([slide_codecs.decode(e, spec) for e in encoded])
    z_um = [round(i * FOCAL_PLANE_SPACING_MM * 1000, 3) for i in range(spec.focal_planes)]
    lengths = np.array([len(e) for e in encoded], np.int64)[index]
    # Lossy Image Compression Ratio: the frames' decoded size over their encoded size
    ratio = len(index) * tw * th * spec.samples * spec.dtype.itemsize / max(1, int(lengths.sum()))
    ds = header(spec, len(tiles), instance=path.name, lossy_ratio=ratio)
    with atomic_file(path) as f:
        # with the File Meta Information Group Length, without which OpenSlide (libdicom) refuses the file
        write_dataset_part10(f, ds)
        if spec.tiling == TILED_SPARSE:
            f.write(per_frame_functional_groups(spec, tiles, planes, z_um))
        frame_offsets = _pixel_data_items(f, encoded, index, spec)
    return Slide(
        path,
        spec,
        tiles * np.array([tw, th], np.int64),
        planes,
        z_um,
        optical_path_ids(spec.optical_paths),
        present,
        spec.lossy,
        int(lengths.sum()),
        frame_offsets,
        canvas,
        distinct,
        decoded_canvas=decoded,
        _decoded_distinct=decoded_distinct,
    )
