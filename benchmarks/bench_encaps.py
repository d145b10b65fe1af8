"""Encapsulated Pixel Data (issue 4): frame tables, scanning, locating and writing, against pydicom.encaps.

Run:
    python -m pytest benchmarks/bench_encaps.py --benchmark-json=/tmp/encaps.json -q
    python benchmarks/report.py /tmp/encaps.json

The data are built here: 100,000 frames of 100-200 bytes (the frame count of a whole-slide image level;
small frames make the per-frame cost, not the copying, the thing measured), and 20,000 frames of 20 KB
(a WSI level's JPEG tiles). The path benchmarks write full DICOM files (Extended Offset Table, or an
empty Basic Offset Table) to a temporary directory; they are in the page cache when timed.
"""

from __future__ import annotations

import io
import mmap
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.encaps import generate_frames, parse_fragments
from pydicom.uid import JPEGBaseline8Bit, generate_uid

import framecodec as fc

N = 100_000
SMALL = f"{N:,} frames of 100-200 B"
TILES = "20,000 frames of 20 KB"


def fake_jpeg_frames(n: int, lo: int, hi: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(lo, hi + 1, n)
    blob = rng.integers(0, 255, int(sizes.sum()), dtype=np.uint8).tobytes()  # no 0xFF: no marker inside
    out, pos = [], 0
    for s in sizes.tolist():
        out.append(b"\xff\xd8" + blob[pos : pos + s - 4] + b"\xff\xd9")
        pos += s
    return out


@pytest.fixture(scope="module")
def small_frames() -> list[bytes]:
    return fake_jpeg_frames(N, 100, 200)


@pytest.fixture(scope="module")
def values(small_frames):
    """The same 100,000 frames encapsulated three ways."""
    bot = fc.encapsulate(small_frames, "basic")
    empty = fc.encapsulate(small_frames, "none")
    ext, eot, lengths = fc.encapsulate_extended(small_frames)
    assert bot == pd_encapsulate(small_frames) and ext == empty
    return {"BOT": bot, "empty BOT": empty, "EOT": (ext, eot, lengths)}


def after_bot(value: bytes) -> io.BytesIO:
    """What pydicom's parse_fragments takes: a stream positioned at the first fragment's item tag."""
    bio = io.BytesIO(value)
    bio.seek(8 + int.from_bytes(value[4:8], "little"))
    return bio


def tag(benchmark, group: str, impl: str, nbytes: int = 0) -> None:
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
    if nbytes:
        benchmark.extra_info["bytes"] = nbytes


# ---------------------------------------------------------------- frame table of a value in memory


@pytest.mark.parametrize("layout", ["BOT", "empty BOT"])
def test_frame_table_framecodec(benchmark, values, layout) -> None:
    buf = values[layout]
    tag(benchmark, f"frame table, {SMALL}, {layout}", "framecodec")
    t = benchmark(fc.frame_table, buf, N)
    assert len(t) == N and t.one_fragment_per_frame


@pytest.mark.parametrize("layout", ["BOT", "empty BOT"])
def test_frame_table_pydicom_parse_fragments(benchmark, values, layout) -> None:
    buf = values[layout]
    tag(benchmark, f"frame table, {SMALL}, {layout}", "pydicom parse_fragments")
    bio = after_bot(buf)
    count, _ = benchmark(parse_fragments, bio)
    assert count == N


@pytest.mark.parametrize("layout", ["BOT", "empty BOT"])
def test_frame_table_pydicom_generate_frames(benchmark, values, layout) -> None:
    buf = values[layout]
    tag(benchmark, f"frame table, {SMALL}, {layout}", "pydicom iterate generate_frames")

    def run() -> int:
        return sum(1 for _ in generate_frames(buf, number_of_frames=N))

    assert benchmark(run) == N


def test_frame_table_eot_framecodec(benchmark, values) -> None:
    buf, eot, lengths = values["EOT"]
    eo, el = np.frombuffer(eot, "<u8"), np.frombuffer(lengths, "<u8")
    tag(benchmark, f"frame table, {SMALL}, EOT", "framecodec")
    t = benchmark(fc.frame_table, buf, N, eo, el)
    assert t.source == "extended" and len(t) == N


def test_frame_table_eot_pydicom_generate_frames(benchmark, values) -> None:
    buf, eot, lengths = values["EOT"]
    tag(benchmark, f"frame table, {SMALL}, EOT", "pydicom iterate generate_frames")

    def run() -> int:
        return sum(1 for _ in generate_frames(buf, number_of_frames=N, extended_offsets=(eot, lengths)))

    assert benchmark(run) == N


@pytest.fixture(scope="module")
def tiles_value() -> bytes:
    return fc.encapsulate(fake_jpeg_frames(20_000, 20_000, 20_000, seed=1))


def test_tiles_frame_table_framecodec(benchmark, tiles_value) -> None:
    tag(benchmark, f"frame table, {TILES}, BOT", "framecodec")
    assert len(benchmark(fc.frame_table, tiles_value, 20_000)) == 20_000


def test_tiles_frame_table_pydicom_parse_fragments(benchmark, tiles_value) -> None:
    tag(benchmark, f"frame table, {TILES}, BOT", "pydicom parse_fragments")
    assert benchmark(parse_fragments, after_bot(tiles_value))[0] == 20_000


def test_tiles_frame_table_pydicom_generate_frames(benchmark, tiles_value) -> None:
    tag(benchmark, f"frame table, {TILES}, BOT", "pydicom iterate generate_frames")
    assert benchmark(lambda: sum(1 for _ in generate_frames(tiles_value, number_of_frames=20_000))) == 20_000


# ---------------------------------------------------------------- every frame, not just the table


def test_iterate_frames_framecodec(benchmark, values) -> None:
    buf = values["BOT"]
    tag(benchmark, f"table + every frame (zero-copy views), {SMALL}, BOT", "framecodec")

    def run() -> int:
        return sum(1 for _ in fc.iter_frames(buf, fc.frame_table(buf, N)))

    assert benchmark(run) == N


def test_iterate_frames_pydicom(benchmark, values) -> None:
    buf = values["BOT"]
    tag(benchmark, f"table + every frame (zero-copy views), {SMALL}, BOT", "pydicom iterate generate_frames")
    assert benchmark(lambda: sum(1 for _ in generate_frames(buf, number_of_frames=N))) == N


# ---------------------------------------------------------------- from a path to a complete frame table


def write_file(path: Path, frames: list[bytes], table: str) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.6"  # VL Whole Slide Microscopy
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "SM"
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = len(frames)
    ds.DimensionOrganizationType = "TILED_FULL"
    if table == "EOT":
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = fc.encapsulate_extended(frames)
    else:
        ds.PixelData = fc.encapsulate(frames, "none")
    ds.save_as(path, enforce_file_format=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory, small_frames) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("encaps-files")
    out = {}
    for table in ("EOT", "empty BOT"):
        out[table] = folder / f"{table.replace(' ', '_')}.dcm"
        write_file(out[table], small_frames, table)
    return out


def path_to_frame_table(path: Path) -> fc.FrameTable:
    loc = fc.locate_pixel_data(path)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return loc.frame_table(mm)  # the table holds arrays, not views: the mmap may close


@pytest.mark.parametrize("table", ["EOT", "empty BOT"])
def test_path_to_frame_table_framecodec(benchmark, files, table) -> None:
    tag(benchmark, f"path to complete frame table, {N:,}-frame file, {table}", "framecodec")
    t = benchmark(path_to_frame_table, files[table])
    assert len(t) == N and t.source == ("extended" if table == "EOT" else "one_per_frame")


@pytest.mark.parametrize("table", ["EOT", "empty BOT"])
def test_path_to_header_pydicom(benchmark, files, table) -> None:
    tag(benchmark, f"path to complete frame table, {N:,}-frame file, {table}", "pydicom dcmread header only")
    ds = benchmark(pydicom.dcmread, files[table], stop_before_pixels=True)
    assert int(ds.NumberOfFrames) == N


@pytest.mark.parametrize("table", ["EOT", "empty BOT"])
def test_path_to_frames_pydicom(benchmark, files, table) -> None:
    tag(benchmark, f"path to complete frame table, {N:,}-frame file, {table}", "pydicom dcmread + generate_frames")

    def run() -> int:
        ds = pydicom.dcmread(files[table])
        ext = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths) if "ExtendedOffsetTable" in ds else None
        return sum(1 for _ in generate_frames(ds.PixelData, number_of_frames=N, extended_offsets=ext))

    assert benchmark.pedantic(run, rounds=5, iterations=1) == N


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("impl", ["framecodec", "pydicom"])
def test_encapsulate(benchmark, small_frames, impl) -> None:
    nbytes = sum(map(len, small_frames))
    tag(benchmark, f"encapsulate with BOT, {SMALL}", impl, nbytes)
    fn = fc.encapsulate if impl == "framecodec" else pd_encapsulate
    assert len(benchmark(fn, small_frames)) > nbytes


@pytest.mark.parametrize("impl", ["framecodec", "pydicom"])
def test_encapsulate_extended(benchmark, small_frames, impl) -> None:
    nbytes = sum(map(len, small_frames))
    tag(benchmark, f"encapsulate_extended, {SMALL}", impl, nbytes)
    fn = fc.encapsulate_extended if impl == "framecodec" else pd_encapsulate_extended
    assert len(benchmark(fn, small_frames)[1]) == 8 * N
