"""framecodec.FrameWriter's offset tables: the Basic Offset Table, the Extended Offset Table past 4 GiB, and native
outputs that would reach 4 GiB.

References are never framecodec: tests/writer_util.py (pydicom, zlib, numpy), tests/datasets.py.
"""

from __future__ import annotations

import gc
import io
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from datasets import DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, RLE, Layout, assert_identical
from writer_cases import ENCAPSULATED, ENCAPSULATED_IDS, batches, check_file, source, write_file
from writer_util import DELIMITER_TAG, ITEM_TAG, check_offset_tables, listing, own_decode, pad


@pytest.mark.parametrize("table", ["auto", "basic", "extended", "none"])
@pytest.mark.parametrize("ts", ENCAPSULATED, ids=ENCAPSULATED_IDS)
def test_offset_tables(ts: str, table: str, tmp_path: Path) -> None:
    """ "auto" on a small file is the Basic Offset Table; each kind points at the real items."""
    layout = Layout(7, 5, samples=3, frames=7)
    ds, arr, frames = source(layout, seed=6)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts, offset_table=table) as w:
        for batch in batches(frames):
            w.write(batch)
    check_file(path, ds, layout, ts, table="basic" if table == "auto" else table)
    assert_identical(own_decode(path), arr)


def zero_codestream(ts: str, rows: int, columns: int) -> bytes:
    """One 8-bit grey frame of zeros, encoded by hand: a raw deflate stream (Python's zlib), or RLE Lossless with
    one segment of 128-byte replicate runs, row by row (PS3.5 G.3.1)."""
    if ts == DEFLATE:
        return zlib.compress(bytes(rows * columns), 9, wbits=-15)
    assert columns % 128 == 0
    segment = b"\x81\x00" * (columns // 128) * rows
    return struct.pack("<16I", 1, 64, *([0] * 14)) + segment


@pytest.mark.parametrize("ts", [DEFLATE, RLE], ids=["deflate", "rle"])
def test_auto_takes_the_extended_offset_table_when_the_worst_case_passes_4_gib(ts: str, tmp_path: Path) -> None:
    """270 frames of 4096 x 4096: 4.5 GB decoded, so the codec's worst case passes 4 GiB whatever the frames turn
    out to be; "auto" then reserves the Extended Offset Table (and writes an empty BOT), even though the zero
    frames written compress to a small file."""
    layout = Layout(4096, 4096, frames=270)
    ds, _, _ = source(layout.but(rows=1, columns=1))  # no 4.5 GB source array: the attributes set below
    ds.Rows, ds.Columns, ds.NumberOfFrames = 4096, 4096, 270
    cs = zero_codestream(ts, 4096, 4096)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write_encoded(cs for _ in range(100))
        w.write_encoded([cs] * 170)
    out = pydicom.dcmread(path)
    assert out.file_meta.TransferSyntaxUID == ts and out.NumberOfFrames == 270
    enc = check_offset_tables(out, "extended")
    assert enc.fragments == [pad(cs)] * 270
    if ts == DEFLATE:
        assert zlib.decompress(enc.fragments[-1], -15) == bytes(4096 * 4096)
    else:
        last = pydicom_pixel_array(path, index=269, decoding_plugin="pydicom")
        assert last.shape == (4096, 4096) and not last.any()


#: 270 frames of 16 MiB: 4.53 GB of Pixel Data, past 4 GiB from frame 255 on.
BIG_FRAME = 4096 * 4096


BIG_FRAMES = 270


MARKED = (0, 1, 254, 255, 256, 257, 268, 269)  # frame 255 straddles 4 GiB


def marked_frame(i: int) -> bytes:
    return np.random.default_rng(i).integers(0, 256, BIG_FRAME, dtype=np.uint8).tobytes()


def frames_by_the_extended_offset_table(
    path: Path, count: int, length: int, wanted: list[int]
) -> tuple[list[int], dict[int, bytes]]:
    """Encapsulated Uncompressed frames of ``length`` bytes read with numpy at the file positions the Extended
    Offset Table gives, after checking the table: offsets of back-to-back items, lengths ``length``, an empty BOT,
    an item header at each offset, the sequence delimiter after the last frame and nothing after it. pydicom reads
    only the header (the first MiB): never the whole file, which a damaged header would have it parse element by
    element for hours."""
    with open(path, "rb") as f:
        start = f.read(1 << 20)
    tag = b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff"  # (7FE0,0010) OB, undefined length
    assert start.count(tag) == 1, "no Pixel Data element header in the first MiB"
    head = pydicom.dcmread(io.BytesIO(start[: start.index(tag)]))  # the EOT comes before the Pixel Data
    assert head.file_meta.TransferSyntaxUID == ENCAPSULATED_UNCOMPRESSED and head.NumberOfFrames == count
    offsets = np.frombuffer(head.ExtendedOffsetTable, "<u8").tolist()
    lengths = np.frombuffer(head.ExtendedOffsetTableLengths, "<u8").tolist()
    padded = length + length % 2
    assert offsets == [i * (padded + 8) for i in range(count)]
    assert lengths == [padded] * count
    bot = start.index(tag) + len(tag)
    assert start[bot : bot + 8] == ITEM_TAG + b"\x00\x00\x00\x00"  # an empty Basic Offset Table
    first = bot + 8
    frames = {}
    with open(path, "rb") as f:
        for i in wanted:
            f.seek(first + offsets[i])
            assert f.read(8) == ITEM_TAG + struct.pack("<I", padded), f"no item header at frame {i}'s offset"
            frames[i] = np.fromfile(f, np.uint8, length).tobytes()
        f.seek(first + offsets[-1] + 8 + padded)
        assert f.read(8) == DELIMITER_TAG + b"\x00\x00\x00\x00"
        assert f.read(1) == b""
    return offsets, frames


def test_extended_offset_table_small(tmp_path: Path) -> None:
    """The reading of the 4 GiB test below, on a small file (odd frames: padded items) that every run writes."""
    layout = Layout(7, 5, frames=9)
    ds, arr, frames = source(layout, seed=13)
    write_file(tmp_path / "out.dcm", ds, ENCAPSULATED_UNCOMPRESSED, frames, offset_table="extended")
    _, got = frames_by_the_extended_offset_table(tmp_path / "out.dcm", 9, 35, list(range(9)))
    assert [got[i] for i in range(9)] == [f.tobytes() for f in frames]


def test_encapsulated_uncompressed_past_4_gib(tmp_path: Path) -> None:
    """SLOW (about 15 s: writes and syncs 4.5 GB; skipped without the disk space). Encapsulated Uncompressed
    frames whose Pixel Data passes 4 GiB: "auto" writes an empty BOT and the Extended Offset Table, whose offsets
    find every frame, those past 4 GiB included (read here with numpy from the offsets, not with framecodec).
    The frames are real bytes on disk (a writer's output is not sparse), so this needs 4.6 GB free."""
    need = BIG_FRAMES * (BIG_FRAME + 8) + (512 << 20)
    free = shutil.disk_usage(tmp_path).free
    if free < need:
        pytest.skip(f"needs {need / 1e9:.1f} GB free in {tmp_path} to write 4.5 GB of frames; {free / 1e9:.1f} GB free")
    layout = Layout(4096, 4096, frames=BIG_FRAMES)
    ds, _, _ = source(layout.but(rows=1, columns=1))
    ds.Rows, ds.Columns, ds.NumberOfFrames = 4096, 4096, BIG_FRAMES
    zeros = bytes(BIG_FRAME)  # one buffer for every unmarked frame
    marked = {i: marked_frame(i) for i in MARKED}
    path = tmp_path / "big.dcm"
    try:
        with fc.FrameWriter(path, ds, ENCAPSULATED_UNCOMPRESSED) as w:
            for batch in range(0, BIG_FRAMES, 16):
                w.write_encoded(marked.get(i, zeros) for i in range(batch, min(batch + 16, BIG_FRAMES)))
        assert listing(tmp_path) == ["big.dcm"]
        assert path.stat().st_size > BIG_FRAMES * (BIG_FRAME + 8)
        wanted = sorted(set(MARKED) | {2, 100, 258})
        offsets, frames = frames_by_the_extended_offset_table(path, BIG_FRAMES, BIG_FRAME, wanted)
        assert offsets[-1] > 1 << 32
        for i in wanted:
            assert frames[i] == marked.get(i, zeros), f"frame {i}"
    finally:
        path.unlink(missing_ok=True)  # pytest keeps the last runs' temporary folders: not 4.5 GB of them


@pytest.mark.parametrize(
    "layout",
    [
        Layout(4096, 4096, frames=256),
        Layout(4096, 4096, bits=16, frames=128),
        Layout(4096, 4096, samples=3, frames=86),
        Layout(4096, 4096, bits=1, frames=2048),
        Layout(4096, 4096, bits=32, frames=64),
    ],
    ids=["grey8-4GiB", "grey16-4GiB", "rgb8", "bits1-4GiB", "grey32-4GiB"],
)
def test_native_output_reaching_4_gib_is_refused_at_construction(layout: Layout, tmp_path: Path) -> None:
    """Native Pixel Data has a 32-bit value length (PS3.5 7.1.1): 4 GiB or more is refused before anything is
    written, no output and no temporary file."""
    ds, _, _ = source(layout.but(rows=1, columns=1, frames=1))
    ds.Rows, ds.Columns, ds.NumberOfFrames = layout.rows, layout.columns, layout.frames
    with pytest.raises(ValueError):
        fc.FrameWriter(tmp_path / "out.dcm", ds, EXPLICIT)
    gc.collect()
    assert listing(tmp_path) == []
    # the same frames encapsulated are fine (the Extended Offset Table): constructed, then aborted
    w = fc.FrameWriter(tmp_path / "out.dcm", ds, ENCAPSULATED_UNCOMPRESSED)
    w.abort()
    assert listing(tmp_path) == []


def test_native_output_just_under_4_gib_is_accepted(tmp_path: Path) -> None:
    ds, _, _ = source(Layout(1, 1))
    ds.Rows, ds.Columns, ds.NumberOfFrames = 4096, 4096, 255  # 4278190080 bytes
    w = fc.FrameWriter(tmp_path / "out.dcm", ds, EXPLICIT)
    assert w.number_of_frames == 255 and w.frames_written == 0
    w.write(np.zeros((1, 4096, 4096), np.uint8))
    w.abort()
    assert listing(tmp_path) == []
