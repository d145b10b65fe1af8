"""The files of the lazy-open benchmark (issue 21: opening reads the offset table and nothing of the Pixel Data):
TILED_FULL slides whose frames are large, with a Basic or an Extended Offset Table.

- :func:`write_real_tiles`: JPEG Baseline tiles cut from real photographs (``real_data.rgb_bank``), written by
  framecodec's ``FrameWriter`` (1024 x 1024 at quality 92: ~200 KB a frame, 2,000 frames ~400 MB).
- :func:`write_sparse_rle`: RLE Lossless frames whose bytes are zeros but for their 64-byte RLE headers, left as
  holes of a sparse file, so that 100,000 frames of ~200 KB (20 GB) take ~400 MB of disk. Every frame decodes
  (to black): each of its three segments is a run of ``00 00`` byte pairs, a PackBits literal run of one zero
  byte each (PS3.5 G.3.1).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np

from framecodec._synthetic.big_slides import many_frames_spec
from framecodec._synthetic.dicom_bytes import atomic_file, element, item, write_dataset_part10
from framecodec._synthetic.slide_codecs import encode
from framecodec._synthetic.slide_header import header
from framecodec._synthetic.slide_spec import SlideSpec
from real_data import frame_index, rgb_bank

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"


def _grid(frames: int) -> tuple[int, int]:
    """(tiles across, tiles down) of exactly ``frames`` tiles, about 1.6 times as wide as high."""
    across = max(d for d in range(1, int((frames * 1.6) ** 0.5) + 1) if frames % d == 0)
    across = max(across, frames // across)
    return across, frames // across


def write_real_tiles(path: Path, frames: int, tile: int = 1024, offset_table: str = "basic") -> int:
    """A TILED_FULL JPEG Baseline slide of ``frames`` tiles, each one of 16 distinct ``tile`` x ``tile`` crops of
    real photographs (frame i is ``frame_index``'s pick), written by ``FrameWriter``; returns the Pixel Data's
    frame bytes."""
    import framecodec as fc

    spec = many_frames_spec(frames, tile, transfer_syntax=JPEG_BASELINE, offset_table=offset_table, jpeg_quality=92)
    bank, _ = rgb_bank(tile, k=16)
    encoded = [encode(t, spec) for t in bank]
    pick = frame_index(frames, len(bank))
    with fc.FrameWriter(path, header(spec, frames, instance=path.name), JPEG_BASELINE, offset_table=offset_table) as w:
        for start in range(0, frames, 256):
            w.write_encoded([encoded[i] for i in pick[start : start + 256].tolist()])
    return sum(len(encoded[i]) for i in pick.tolist())


def write_sparse_rle(path: Path, frames: int, tile: int, offset_table: str) -> int:
    """A TILED_FULL RLE Lossless slide of ``frames`` black RGB frames of ``tile`` x ``tile`` (6 tile**2 + 64 bytes
    each: 184 gives ~200 KB), their bytes holes but for each item's and RLE header's 72; ``offset_table``
    "basic" or "extended". Returns the frame size."""
    across, down = _grid(frames)
    spec = SlideSpec(
        width=across * tile, height=down * tile, tile=tile, transfer_syntax=RLE_LOSSLESS, offset_table=offset_table
    )
    segment = 2 * tile * tile  # a `00 00` pair a pixel
    size = 64 + 3 * segment
    rle_header = struct.pack("<16I", 3, 64, 64 + segment, 64 + 2 * segment, *([0] * 12))  # PS3.5 G.5
    offsets = np.arange(frames, dtype=np.uint64) * np.uint64(size + 8)
    if offset_table == "basic" and int(offsets[-1]) >= 2**32:
        raise ValueError(f"{frames} frames of {size} bytes do not fit a Basic Offset Table (4 GiB)")
    with atomic_file(path) as f:
        write_dataset_part10(f, header(spec, frames, instance=path.name))
        if offset_table == "extended":  # (7FE0,0001) and (7FE0,0002), OV (PS3.3 C.7.6.3.1.8)
            f.write(element(0x7FE0, 0x0001, b"OV", offsets.astype("<u8").tobytes()))
            f.write(element(0x7FE0, 0x0002, b"OV", np.full(frames, size, "<u8").tobytes()))
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
        f.write(item(offsets.astype("<u4").tobytes() if offset_table == "basic" else b""))
        head = struct.pack("<HHI", 0xFFFE, 0xE000, size) + rle_header
        for _ in range(frames):
            f.write(head)
            f.seek(size - len(rle_header), io.SEEK_CUR)  # the segments: zeros that take no disk
        f.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    return size
