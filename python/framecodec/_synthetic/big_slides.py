"""Slides of many frames: a mosaic slide of an exact number of frames (:func:`many_frames_spec`), and a slide
whose Pixel Data passes 4 GiB written as a sparse file (:func:`write_big_eot_slide`). See slides.py."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .dicom_bytes import ENCAPSULATED_UNCOMPRESSED, atomic_file, element, item, write_dataset
from .slide_header import header
from .slide_pixels import frame_layout
from .slide_spec import Slide, SlideSpec, optical_path_ids


def free_bytes(folder: str | os.PathLike[str]) -> int:
    return shutil.disk_usage(folder).free


def sparse_files_supported(folder: str | os.PathLike[str]) -> bool:
    """Whether a file with a 64 MiB hole in ``folder`` takes (almost) no disk blocks."""
    probe = Path(folder) / f".sparse-probe-{os.getpid()}"
    try:
        with open(probe, "wb") as f:
            f.seek(64 << 20)
            f.write(b"\x01")
        st = os.stat(probe)
        blocks = getattr(st, "st_blocks", None)
        return blocks is not None and blocks * 512 < (1 << 20)
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


def _signature(i: int, tw: int, samples: int) -> tuple[npt.NDArray[np.uint8], int, npt.NDArray[np.uint8]]:
    """Frame ``i``'s non-zero rows in :func:`write_big_eot_slide`: its first row, and one more row at a place
    that depends on ``i``."""
    rng = np.random.default_rng(1_000_003 + i)
    first = rng.integers(1, 256, tw * samples, dtype=np.uint8)
    other = rng.integers(1, 256, tw * samples, dtype=np.uint8)
    return first, 1 + (i * 37) % 1000, other


def write_big_eot_slide(
    path: str | os.PathLike[str], *, tile: int = 2048, width: int = 40_000, height: int = 36_000, samples: int = 3
) -> Slide:
    """A TILED_FULL slide in Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98) whose
    Pixel Data passes 4 GiB, addressed by the Extended Offset Table (the Basic Offset Table is empty: it cannot
    hold offsets past 2**32 - 1), written as a sparse file.

    Every frame is one fragment (as the Extended Offset Table requires) of ``tile`` x ``tile`` pixels, zero but
    for two rows of random values (:func:`_signature`): the zeros are holes in the file, so the default
    ~4.5 GB slide (20 x 18 tiles of 2048 x 2048 RGB, 12.6 MB each) takes a few MB of disk. The frames past
    4 GiB are the last ~18 (``Slide.frame_offsets``). Check :func:`sparse_files_supported` first."""
    path = Path(path)
    spec = SlideSpec(
        width=width,
        height=height,
        tile=tile,
        transfer_syntax=ENCAPSULATED_UNCOMPRESSED,
        offset_table="extended",
        samples=samples,
    )
    tiles, planes, present = frame_layout(spec)
    n, frame_size = len(tiles), tile * tile * samples
    if frame_size % 2:
        raise ValueError("frames of an odd number of bytes need padding: pick an even tile size")
    row = tile * samples
    offsets = np.arange(n, dtype=np.int64) * (frame_size + 8)  # from the first item after the (empty) BOT
    ds = header(spec, n, instance=path.name)
    with atomic_file(path) as f:
        write_dataset(f, ds)
        f.write(element(0x7FE0, 0x0001, b"OV", offsets.astype("<u8").tobytes()))
        f.write(element(0x7FE0, 0x0002, b"OV", np.full(n, frame_size, "<u8").tobytes()))
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
        f.write(item(b""))
        start = f.tell()
        for i in range(n):
            first, k, other = _signature(i, tile, samples)
            f.write(struct.pack("<HHI", 0xFFFE, 0xE000, frame_size))
            value = f.tell()
            f.write(first.tobytes())
            f.seek(value + k * row)
            f.write(other.tobytes())
            f.seek(value + frame_size)  # the rest of the frame is a hole: zeros that take no disk
        f.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))

    def tile_fn(tx: int, ty: int, f: int, p: int) -> npt.NDArray[np.uint8]:
        i = ty * spec.tiled[0] + tx
        first, k, other = _signature(i, tile, samples)
        out = np.zeros((tile, row), np.uint8)
        out[0], out[k] = first, other
        return out.reshape((tile, tile, samples) if samples > 1 else (tile, tile))

    return Slide(
        path,
        spec,
        tiles * tile,
        planes,
        [0.0],
        optical_path_ids(1),
        present,
        False,
        n * frame_size,
        start + offsets + 8,
        _tile_fn=tile_fn,
    )


def many_frames_spec(frames: int = 100_000, tile: int = 256, **changes: Any) -> SlideSpec:
    """A mosaic slide of exactly ``frames`` tiles (TILED_FULL unless ``tiling`` says otherwise), about 1.6 times
    as wide as high, the last column and row of tiles partial: 100,000 frames of 256 x 256 are 400 x 250 tiles,
    102,316 x 63,950 pixels. ``changes`` go to :class:`SlideSpec` (``transfer_syntax``, ``tiling``, ``shuffle``,
    ``mosaic`` (default 64 distinct tiles), ``offset_table`` (default ``"extended"``), ...)."""
    across = max(d for d in range(1, int((frames * 1.6) ** 0.5) + 1) if frames % d == 0)
    across = max(across, frames // across)
    down = frames // across
    changes.setdefault("mosaic", 64)
    changes.setdefault("offset_table", "extended")
    return SlideSpec(
        width=across * tile - tile // 3 + 1 if across > 1 else tile,
        height=down * tile - tile // 5 + 1 if down > 1 else tile,
        tile=tile,
        **changes,
    )
