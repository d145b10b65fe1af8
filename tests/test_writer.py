"""framecodec.FrameWriter (issue 17), tested from its specification: every syntax and layout round trips through
batches of any size, the file is valid DICOM for pydicom (and DCMTK / GDCM when installed), its frames decode
with pydicom's own decoders (or zlib and numpy where pydicom 3.0 has none) to the source arrays, the offset tables
point at the real items (the Extended Offset Table past 4 GiB), and a failure leaves nothing behind.

References are never framecodec: tests/writer_util.py (pydicom, zlib, numpy), tests/datasets.py.
"""

from __future__ import annotations

import copy
import gc
import io
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset, validate_file_meta
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from conftest import NO_LIBDEFLATE
from datasets import (
    DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, NAMES, RLE, Layout, assert_identical, base_dataset, dataset,
    frame_bytes, make_pixels, rle_frame, save, stored_values,
)  # fmt: skip
from writer_util import (
    DELIMITER_TAG, ITEM_TAG, JPEG_BASELINE, TMP_PATTERN, check_offset_tables, jpeg_tiles, listing, number_of_frames,
    own_decode, pad, require_tool, tool_reads, walk_items,
)  # fmt: skip

SYNTAXES = [DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT]
IDS = [NAMES[t] for t in SYNTAXES]
ENCAPSULATED = [DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED]
ENCAPSULATED_IDS = [NAMES[t] for t in ENCAPSULATED]

#: Odd sizes throughout, so that fragments of odd length (padded) occur: 7 x 5 8-bit frames are 35 bytes, 5 x 7 RGB
#: ones 105; 9 x 7 1-bit frames are 63 bits (native multi-frame 1-bit data does not start each frame on a byte).
LAYOUTS = {
    "grey8": Layout(7, 5, frames=5),
    "grey8-single": Layout(7, 5),  # no Number of Frames: one frame
    "int16-stored12": Layout(9, 7, bits=16, stored=12, signed=True, frames=4),
    "uint16-stored12-single": Layout(5, 3, bits=16, stored=12),
    "rgb8": Layout(5, 7, samples=3, frames=3),
    "rgb8-single": Layout(3, 5, samples=3, number_of_frames=True),  # Number of Frames 1, present
    "bits1": Layout(9, 7, bits=1, frames=6),
    "bits1-single": Layout(3, 5, bits=1),
    "uint32": Layout(3, 5, bits=32, frames=3),
    "int32-stored24": Layout(5, 3, bits=32, stored=24, signed=True, frames=2),
}


def source(layout: Layout, seed: int = 0) -> tuple[Dataset, npt.NDArray[Any], npt.NDArray[Any]]:
    """A data set without Pixel Data (file meta saying native Explicit VR, as a data set read from a native file
    would), pydicom's array of its pixels, and the same as (frames, *frame_shape)."""
    ds = base_dataset(layout, EXPLICIT)
    ds.PatientName = "Test^Writer"
    arr = make_pixels(layout, seed)
    return ds, arr, arr.reshape((layout.frames,) + layout.frame_shape)


def batches(frames: npt.NDArray[Any]) -> Iterator[npt.NDArray[Any]]:
    """The frames in batches of 0, 1 (no frame axis), 2, 0, 3 and 1 (with its axis) frames, repeated; first an
    empty batch."""
    yield frames[:0]
    sizes = [0, 1, 2, 0, 3, -1]
    i = k = 0
    while i < len(frames):
        s = sizes[k % len(sizes)]
        k += 1
        if s == 1:
            yield frames[i]
            i += 1
        elif s == -1:
            yield frames[i : i + 1]
            i += 1
        else:
            yield frames[i : i + s]
            i += s


def write_file(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any], **kwargs: Any) -> None:
    with fc.FrameWriter(path, ds, ts, **kwargs) as w:
        w.write(frames)


def check_file(path: Path, src: Dataset, layout: Layout, ts: str, table: str = "basic") -> Dataset:
    """A DICOM file pydicom reads: preamble and File Meta (PS3.10 7.1), the transfer syntax, the source's UIDs and
    Image Pixel attributes, Number of Frames, Planar Configuration 0 for colour; the Pixel Data encapsulated with
    the offset table ``table`` (PS3.5 A.4), or native of the right, even length (PS3.5 7.1.1, 8.1.1)."""
    with open(path, "rb") as f:
        assert f.read(132)[128:] == b"DICM"
    out = pydicom.dcmread(path)
    validate_file_meta(out.file_meta, enforce_standard=True)
    assert out.file_meta.TransferSyntaxUID == ts
    assert out.SOPClassUID == src.SOPClassUID == out.file_meta.MediaStorageSOPClassUID
    assert out.SOPInstanceUID == src.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID
    for keyword in ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored", "HighBit",
                    "PixelRepresentation", "PhotometricInterpretation", "PatientName", "Modality"):  # fmt: skip
        assert out[keyword].value == src[keyword].value, keyword
    assert number_of_frames(out) == layout.frames
    if "NumberOfFrames" in src:
        assert out.NumberOfFrames == layout.frames
    if layout.samples > 1:
        assert out.PlanarConfiguration == 0
    elem = out["PixelData"]
    if ts == EXPLICIT:
        assert not elem.is_undefined_length
        assert elem.VR == "OW" if layout.bits > 8 else elem.VR in ("OB", "OW")
        pixels = layout.rows * layout.columns * layout.samples * layout.frames
        length = -(-pixels // 8) if layout.bits == 1 else pixels * layout.bits // 8
        assert len(out.PixelData) == length + length % 2
        assert "ExtendedOffsetTable" not in out and "ExtendedOffsetTableLengths" not in out
    else:
        check_offset_tables(out, table)
    return out


# ------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_round_trip_in_batches(name: str, ts: str, tmp_path: Path) -> None:
    layout = LAYOUTS[name]
    ds, arr, frames = source(layout, seed=len(name))
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts, threads=2) as w:
        assert w.path == path and isinstance(w.path, Path)
        assert w.number_of_frames == layout.frames and w.frames_written == 0 and not w.closed
        done = 0
        for batch in batches(frames):
            w.write(batch)
            done += 1 if batch.ndim == len(layout.frame_shape) else len(batch)
            assert w.frames_written == done
    assert w.closed and w.frames_written == layout.frames
    assert listing(tmp_path) == ["out.dcm"]
    check_file(path, ds, layout, ts)
    assert_identical(own_decode(path), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_str_path_one_call_and_properties(ts: str, tmp_path: Path) -> None:
    layout = LAYOUTS["rgb8"]
    ds, arr, frames = source(layout)
    w = fc.FrameWriter(str(tmp_path / "out.dcm"), ds, ts)
    assert w.path == tmp_path / "out.dcm" and isinstance(w.path, Path) and not w.closed
    w.write(frames)
    assert w.frames_written == 3 and not w.closed
    w.close()
    assert w.closed
    w.close()  # idempotent once closed
    assert w.closed and listing(tmp_path) == ["out.dcm"]
    check_file(tmp_path / "out.dcm", ds, layout, ts)
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_one_bit_frames_as_bool(ts: str, tmp_path: Path) -> None:
    layout = LAYOUTS["bits1"]
    ds, arr, frames = source(layout, seed=3)
    with fc.FrameWriter(tmp_path / "out.dcm", ds, ts) as w:
        w.write(frames[:4].astype(bool))
        w.write(frames[4].astype(bool))  # one frame, no frame axis
        w.write(frames[5:])
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_batches_that_are_views(ts: str, tmp_path: Path) -> None:
    """Any numpy array of the right shape and dtype: strided views, Fortran order, a reversed view."""
    layout = Layout(6, 5, bits=16, stored=12, frames=4)
    ds, arr, frames = source(layout, seed=9)
    wide = np.zeros((4, 6, 10), np.uint16)
    wide[..., ::2] = frames
    with fc.FrameWriter(tmp_path / "out.dcm", ds, ts) as w:
        w.write(wide[:2, :, ::2])  # not contiguous
        w.write(np.asfortranarray(frames[2]))
        w.write(frames[::-1][:1])  # frame 3, as a negative-stride view
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


def test_planar_configuration_of_the_data_set_is_replaced(tmp_path: Path) -> None:
    """write takes interleaved colour frames: the file says Planar Configuration 0, whatever the data set said."""
    layout = LAYOUTS["rgb8"]
    ds, arr, frames = source(layout)
    ds.PlanarConfiguration = 1
    for ts in SYNTAXES:
        path = tmp_path / f"{NAMES[ts]}.dcm"
        write_file(path, ds, ts, frames)
        assert pydicom.dcmread(path).PlanarConfiguration == 0
        assert_identical(own_decode(path), arr)
    del ds.PlanarConfiguration  # absent: added
    write_file(tmp_path / "absent.dcm", ds, RLE, frames)
    assert pydicom.dcmread(tmp_path / "absent.dcm").PlanarConfiguration == 0


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_threads_do_not_change_the_bytes(ts: str, tmp_path: Path) -> None:
    layout = Layout(33, 17, bits=16, frames=11)
    ds, arr, frames = source(layout, seed=4)
    files = []
    for threads in (1, 3, None):
        path = tmp_path / f"t{threads}.dcm"
        with fc.FrameWriter(path, ds, ts, threads=threads) as w:
            for batch in batches(frames):
                w.write(batch)
        files.append(path.read_bytes())
    assert files[0] == files[1] == files[2]
    assert_identical(own_decode(tmp_path / "t1.dcm"), arr)


def native_frames(frames: npt.NDArray[Any], layout: Layout) -> list[bytes]:
    """Each frame's native little-endian bytes (two's complement for signed values), 1-bit frames bit-packed
    on their own: what Deflated Image Frame Compression deflates (PS3.5 8.2.16)."""
    return frame_bytes(stored_values(frames, layout), layout)


@pytest.mark.parametrize("level", [None, 0, 1, 9])
@pytest.mark.parametrize("name", ["int16-stored12", "bits1", "rgb8"])
def test_deflate_frames_are_pythons_zlib(name: str, level: int | None, tmp_path: Path) -> None:
    """The zlib backend (the default): each fragment is Python's zlib raw deflate of the native frame at the
    level (None: 6), padded to even length."""
    layout = LAYOUTS[name]
    ds, arr, frames = source(layout)
    path = tmp_path / "out.dcm"
    write_file(path, ds, DEFLATE, frames, level=level)
    enc = check_offset_tables(pydicom.dcmread(path), "basic")
    expected = [pad(zlib.compress(f, 6 if level is None else level, wbits=-15)) for f in native_frames(frames, layout)]
    assert enc.fragments == expected
    write_file(tmp_path / "zlib.dcm", ds, DEFLATE, frames, level=level, backend="zlib")
    assert (tmp_path / "zlib.dcm").read_bytes() == path.read_bytes()


def test_libdeflate_backend(tmp_path: Path) -> None:
    if fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    layout = LAYOUTS["int16-stored12"]
    ds, arr, frames = source(layout)
    for level in (None, 1, 12):
        path = tmp_path / f"l{level}.dcm"
        write_file(path, ds, DEFLATE, frames, level=level, backend="libdeflate")
        check_file(path, ds, layout, DEFLATE)
        assert_identical(own_decode(path), arr)  # zlib inflates libdeflate's streams


@pytest.mark.parametrize(
    "kwargs",
    [{"level": 10}, {"level": -2}, {"level": 13, "backend": "libdeflate"}, {"backend": "isal"},
     {"offset_table": "both"}, {"threads": 0}],
    ids=["level10-zlib", "level-2", "level13-libdeflate", "unknown-backend", "unknown-offset-table", "threads0"],
)  # fmt: skip
def test_bad_options_are_refused_before_anything_is_written(kwargs: dict[str, Any], tmp_path: Path) -> None:
    if kwargs.get("backend") == "libdeflate" and fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    ds, _, _ = source(LAYOUTS["grey8"])
    with pytest.raises(ValueError):
        fc.FrameWriter(tmp_path / "out.dcm", ds, DEFLATE, **kwargs)
    gc.collect()
    assert listing(tmp_path) == []


# ---------------------------------------------------------------------------------------------- data set


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_the_data_set_is_not_modified_and_pixel_elements_are_dropped(ts: str, tmp_path: Path) -> None:
    """Pixel Data and a stale Extended Offset Table in the data set are dropped; elements after (7FE0,0010) are
    written after the Pixel Data; the caller's data set is unchanged."""
    layout = Layout(5, 4, bits=16, frames=3)
    ds, arr, frames = source(layout, seed=5)
    ds.PixelData = b"\x01\x02" * 7
    ds["PixelData"].VR = "OW"
    ds.ExtendedOffsetTable = b"\x07" * 24
    ds.ExtendedOffsetTableLengths = b"\x09" * 24
    ds.add_new(0x7FE10010, "LO", "FRAMECODEC TEST")  # a private block after the Pixel Data
    ds.add_new(0x7FE11001, "LO", "after the pixels")
    ds.DataSetTrailingPadding = b"\x00" * 4  # (FFFC,FFFC): the last element there is
    before, meta = copy.deepcopy(ds), copy.deepcopy(ds.file_meta)
    path = tmp_path / "out.dcm"
    options = {"offset_table": "basic"} if ts in ENCAPSULATED else {}
    write_file(path, ds, ts, frames, **options)
    assert ds == before and ds.file_meta == meta
    assert ds.PixelData == b"\x01\x02" * 7 and ds.file_meta.TransferSyntaxUID == EXPLICIT
    out = pydicom.dcmread(path)
    assert "ExtendedOffsetTable" not in out and "ExtendedOffsetTableLengths" not in out
    assert_identical(own_decode(path), arr)
    assert out[0x7FE11001].value == "after the pixels" and out.DataSetTrailingPadding == b"\x00" * 4
    head = pydicom.dcmread(path, stop_before_pixels=True)  # stops at the Pixel Data: they come after it
    assert 0x7FE11001 not in head and 0xFFFCFFFC not in head and "PatientName" in head


@pytest.mark.parametrize("keyword", ["FloatPixelData", "DoubleFloatPixelData"])
@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_float_pixel_data_in_the_data_set_is_dropped(ts: str, keyword: str, tmp_path: Path) -> None:
    """The specification: Float / Double Float Pixel Data in the data set are ignored (dropped), as Pixel Data is."""
    layout = Layout(5, 4, bits=16, frames=3)
    ds, arr, frames = source(layout, seed=5)
    setattr(ds, keyword, b"\x00" * 8)
    write_file(tmp_path / "out.dcm", ds, ts, frames)
    assert keyword in ds
    out = pydicom.dcmread(tmp_path / "out.dcm")
    assert keyword not in out
    assert_identical(own_decode(tmp_path / "out.dcm"), arr)


# ------------------------------------------------------------------------------------------ offset tables


@pytest.mark.parametrize("table", ["auto", "basic", "extended", "none"])
@pytest.mark.parametrize("ts", ENCAPSULATED, ids=ENCAPSULATED_IDS)
def test_offset_tables(ts: str, table: str, tmp_path: Path) -> None:
    """"auto" on a small file is the Basic Offset Table; each kind points at the real items."""
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


def frames_by_the_extended_offset_table(path: Path, count: int, length: int,
                                        wanted: list[int]) -> tuple[list[int], dict[int, bytes]]:  # fmt: skip
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
    [Layout(4096, 4096, frames=256), Layout(4096, 4096, bits=16, frames=128), Layout(4096, 4096, samples=3, frames=86),
     Layout(4096, 4096, bits=1, frames=2048), Layout(4096, 4096, bits=32, frames=64)],
    ids=["grey8-4GiB", "grey16-4GiB", "rgb8", "bits1-4GiB", "grey32-4GiB"],
)  # fmt: skip
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


# ------------------------------------------------------------------------------------------ failures


class Boom(Exception):
    pass


def fail_inside_with(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    with pytest.raises(Boom):
        with fc.FrameWriter(path, ds, ts) as w:
            w.write(frames[:2])
            w.write(frames[2])
            raise Boom


def fail_too_few(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    with pytest.raises(ValueError):
        with fc.FrameWriter(path, ds, ts) as w:
            w.write(frames[:-1])


def fail_too_few_at_close(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    w = fc.FrameWriter(path, ds, ts)
    w.write(frames[:-1])
    with pytest.raises(ValueError):
        w.close()


def fail_too_many(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    with pytest.raises(ValueError):
        with fc.FrameWriter(path, ds, ts) as w:
            w.write(frames)
            w.write(frames[:1])


def fail_aborted(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    w = fc.FrameWriter(path, ds, ts)
    w.write(frames)
    w.abort()


def fail_garbage_collected(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    w = fc.FrameWriter(path, ds, ts)
    w.write(frames)
    del w
    gc.collect()


FAILURES: dict[str, Callable[[Path, Dataset, str, npt.NDArray[Any]], None]] = {
    "exception-in-with": fail_inside_with,
    "too-few-frames": fail_too_few,
    "too-few-at-close": fail_too_few_at_close,
    "too-many-frames": fail_too_many,
    "abort": fail_aborted,
    "garbage-collected": fail_garbage_collected,
}


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("existing", [False, True], ids=["no-file", "existing-file"])
@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
@pytest.mark.parametrize("how", list(FAILURES))
def test_a_failure_leaves_nothing(how: str, ts: str, existing: bool, tmp_path: Path) -> None:
    """Nothing half-written is ever at ``path``: no output and no temporary file, and a file already at ``path``
    is untouched."""
    layout = Layout(6, 5, samples=3, frames=4)
    ds, _, frames = source(layout)
    path = tmp_path / "out.dcm"
    if existing:
        path.write_bytes(b"an older file")
    FAILURES[how](path, ds, ts, frames)
    gc.collect()
    assert listing(tmp_path) == (["out.dcm"] if existing else [])
    if existing:
        assert path.read_bytes() == b"an older file"


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_the_output_appears_only_at_close(ts: str, tmp_path: Path) -> None:
    """Until close, the frames go to ``.{name}.<random>.framecodec-tmp`` in the output's folder; close renames it
    over an existing file in one step."""
    layout = Layout(6, 5, frames=4)
    ds, arr, frames = source(layout)
    path = tmp_path / "out.dcm"
    path.write_bytes(b"an older file")
    with fc.FrameWriter(path, ds, ts) as w:
        w.write(frames[:3])
        names = listing(tmp_path)
        assert len(names) == 2 and "out.dcm" in names, names
        (tmp,) = [n for n in names if n != "out.dcm"]
        assert tmp.startswith(".out.dcm.") and tmp.endswith(".framecodec-tmp") and TMP_PATTERN.match(tmp), tmp
        assert path.read_bytes() == b"an older file"
        w.write(frames[3:])
    assert listing(tmp_path) == ["out.dcm"]
    assert_identical(own_decode(path), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_too_many_frames_in_one_batch_writes_none_of_it(ts: str, tmp_path: Path) -> None:
    layout = Layout(6, 5, frames=4)
    ds, arr, frames = source(layout, seed=8)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write(frames[:1])
        with pytest.raises(ValueError):
            w.write(frames)  # 1 + 4 > 4
        assert w.frames_written == 1
        w.write(frames[1:])
        with pytest.raises(ValueError):
            w.write(frames[0])
        assert w.frames_written == 4
    assert_identical(own_decode(path), arr)


def _bad(layout: Layout, change: Callable[[npt.NDArray[Any]], npt.NDArray[Any]]) -> tuple[Layout, Any]:
    return layout, change


def _set_last(value: int, dtype: Any = None) -> Callable[[npt.NDArray[Any]], npt.NDArray[Any]]:
    """The batch with one value of its last frame out of range: nothing of the batch may be written."""

    def change(batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out = batch.astype(dtype or batch.dtype)
        out[-1].flat[-1] = value
        return out

    return change


GREY8 = Layout(6, 5, frames=3)
U16S12 = Layout(6, 5, bits=16, stored=12, frames=3)
I16S12 = Layout(6, 5, bits=16, stored=12, signed=True, frames=3)
RGB8 = Layout(6, 5, samples=3, frames=3)
BITS1 = Layout(6, 5, bits=1, frames=3)
U32S24 = Layout(4, 3, bits=32, stored=24, frames=3)
BAD_PIXELS = {
    "one-row-too-many": _bad(GREY8, lambda b: np.zeros((2, 7, 5), np.uint8)),
    "columns-wrong": _bad(U16S12, lambda b: np.zeros((2, 6, 4), np.uint16)),
    "rgb-without-samples": _bad(RGB8, lambda b: b[..., 0]),
    "rgb-four-samples": _bad(RGB8, lambda b: np.concatenate([b, b[..., :1]], axis=-1)),
    "grey-with-samples-axis": _bad(GREY8, lambda b: b[..., None]),
    "extra-axis": _bad(GREY8, lambda b: b[None]),
    "float": _bad(U16S12, lambda b: b.astype(np.float64)),
    "uint16-into-8-bits": _bad(GREY8, lambda b: b.astype(np.uint16)),
    "uint32-into-16-bits": _bad(U16S12, lambda b: b.astype(np.uint32)),
    "int64-into-16-bits": _bad(I16S12, lambda b: b.astype(np.int64)),
    "above-bits-stored": _bad(U16S12, _set_last(4096)),
    "signed-above-bits-stored": _bad(I16S12, _set_last(2048)),
    "signed-below-bits-stored": _bad(I16S12, _set_last(-2049)),
    "negative-unsigned": _bad(U16S12, _set_last(-1, np.int16)),
    "bits1-value-2": _bad(BITS1, _set_last(2)),
    "bits1-256-as-uint16": _bad(BITS1, _set_last(256, np.uint16)),  # would be 0 if cut to 8 bits
    "uint32-above-bits-stored": _bad(U32S24, _set_last(1 << 24)),
}


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
@pytest.mark.parametrize("case", list(BAD_PIXELS))
def test_bad_pixels_raise_and_write_nothing_of_the_batch(case: str, ts: str, tmp_path: Path) -> None:
    """A shape, dtype or value the data set does not allow: ValueError, nothing of that batch written; the writer
    goes on with good batches and the file holds exactly them."""
    layout, change = BAD_PIXELS[case]
    ds, arr, frames = source(layout, seed=2)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write(frames[:1])
        bad = change(frames[1:])
        with pytest.raises(ValueError):
            w.write(bad)
        assert w.frames_written == 1
        w.write(frames[1:])
    assert_identical(own_decode(path), arr)


# ------------------------------------------------------------------------------------------ write_encoded


@pytest.mark.parametrize(
    "kind", [("grey", "MONOCHROME2", 0), ("ybr422", "YBR_FULL_422", 1), ("ybr444", "YBR_FULL", 0)],
    ids=["grey", "ybr-full-422", "ybr-full"],
)  # fmt: skip
def test_write_encoded_jpeg_baseline_tiles(kind: tuple[str, str, int], tmp_path: Path) -> None:
    """JPEG Baseline codestreams made by Pillow pass through unchanged (any bytes-like, any iterable, in any
    batches): the file's frames are the codestreams, and pydicom's Pillow plugin decodes the file as it decodes
    pydicom's own encapsulation of the same codestreams."""
    pytest.importorskip("PIL", reason="Pillow makes the JPEG tiles")
    name, pi, subsampling = kind
    layout = Layout(37, 35, samples=1 if name == "grey" else 3, frames=4, photometric=pi)
    ds, arr, frames = source(layout, seed=11)
    ds.LossyImageCompression = "01"
    tiles = jpeg_tiles(frames, subsampling)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, JPEG_BASELINE) as w:
        w.write_encoded(tiles[:1])
        w.write_encoded(iter([]))
        w.write_encoded(bytearray(t) for t in tiles[1:3])
        w.write_encoded([memoryview(tiles[3])])
        assert w.frames_written == 4
    out = pydicom.dcmread(path)
    assert out.file_meta.TransferSyntaxUID == JPEG_BASELINE and out.NumberOfFrames == 4
    assert out.PhotometricInterpretation == pi and out.LossyImageCompression == "01"
    assert int(out.get("PlanarConfiguration", 0)) == 0
    enc = check_offset_tables(out, "extended" if "ExtendedOffsetTable" in out else "basic")
    assert enc.fragments == [pad(t) for t in tiles]
    reference = base_dataset(layout, JPEG_BASELINE)
    reference.PixelData = encapsulate(tiles)
    reference["PixelData"].VR, reference["PixelData"].is_undefined_length = "OB", True
    ref_path = save(reference, tmp_path / "reference.dcm")
    for raw in (False, True):
        got = pydicom_pixel_array(path, decoding_plugin="pillow", raw=raw)
        assert_identical(got, pydicom_pixel_array(ref_path, decoding_plugin="pillow", raw=raw))
    got = pydicom_pixel_array(path, decoding_plugin="pillow")
    if name == "grey":  # lossy, but these pixels (colour noise does not survive chroma subsampling as well)
        assert np.abs(got.astype(np.int64) - arr).mean() < 12
    from PIL import Image

    direct = np.stack([np.asarray(Image.open(io.BytesIO(t))) for t in tiles])  # Pillow's RGB (or grey)
    assert np.abs(got.astype(np.int64) - direct).max() <= 1  # pydicom 3.0 converts YCbCr itself: within 1


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=ENCAPSULATED_IDS)
def test_write_encoded_framecodec_syntaxes(ts: str, tmp_path: Path) -> None:
    """Codestreams of the syntaxes write() encodes, made by the references (zlib level 9, the PS3.5 Annex G
    encoder of tests/datasets.py, native bytes), pass through unchanged."""
    layout = Layout(7, 5, bits=16, frames=5)
    ds, arr, frames = source(layout, seed=12)
    values = stored_values(frames, layout)
    if ts == DEFLATE:
        streams = [zlib.compress(f, 9, wbits=-15) for f in frame_bytes(values, layout)]
    elif ts == RLE:
        streams = [rle_frame(v, layout) for v in values]
    else:
        streams = frame_bytes(values, layout)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write_encoded(streams[:2])
        w.write_encoded(streams[2:])
    check_file(path, ds, layout, ts)
    assert walk_items(pydicom.dcmread(path).PixelData).fragments == [pad(s) for s in streams]
    assert_identical(own_decode(path), arr)


# ------------------------------------------------------------------------------------------ DICOM tools


TOOL_CASES = [pytest.param(ts, table, id=f"{NAMES[ts]}-{table}") for ts in SYNTAXES
              for table in (["auto"] if ts == EXPLICIT else ["auto", "extended"])]  # fmt: skip


@pytest.mark.parametrize("name", ["rgb8", "bits1", "int16-stored12"])
@pytest.mark.parametrize(("ts", "table"), TOOL_CASES)
@pytest.mark.parametrize("tool", ["dcmdump", "gdcminfo"])
def test_dicom_toolkits_read_the_file(tool: str, ts: str, table: str, name: str, tmp_path: Path) -> None:
    """DCMTK's dcmdump and GDCM's gdcminfo read the written file without an error, where they read pydicom's own
    file of the same syntax (GDCM 3.0 knows neither Deflated Image Frame Compression nor Encapsulated
    Uncompressed: then skipped, saying so)."""
    require_tool(tool)
    layout = LAYOUTS[name]
    ds, arr, frames = source(layout)
    reference = dataset(arr, layout, ts, extended=table == "extended") if ts != EXPLICIT else dataset(arr, layout, ts)
    ref_path = save(reference, tmp_path / "reference.dcm")
    ok, said = tool_reads(tool, ref_path)
    if not ok:
        pytest.skip(f"{tool} cannot read pydicom's own {NAMES[ts]} file either: {said.strip().splitlines()[-1][:200]}")
    path = tmp_path / "out.dcm"
    write_file(path, ds, ts, frames, **({"offset_table": table} if ts != EXPLICIT else {}))
    ok, said = tool_reads(tool, path)
    assert ok, said
    if tool == "dcmdump" and ts != EXPLICIT:
        assert f"(PixelSequence #={layout.frames + 1})" in said  # the BOT item and one fragment per frame
    if tool == "gdcminfo":
        assert f"TransferSyntax is {ts}" in said

