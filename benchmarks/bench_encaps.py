"""Encapsulated Pixel Data (issue 4): frame tables, scanning, locating and writing, against pydicom.encaps.

    python -m pytest benchmarks/bench_encaps.py --benchmark-json=encaps.json

The data are built here: 100,000 frames of 100-200 bytes (the frame count of a whole-slide image level;
small frames make the per-frame cost, not the copying, the thing measured), and 20,000 frames of 20 KB
(a WSI level's JPEG tiles); 1,000 and 200 under ``--benchmark-disable``. The path benchmarks write full DICOM
files (Extended Offset Table, or an empty Basic Offset Table) to a temporary directory; they are in the page
cache when timed. (The frame table's scaling with the frame count, 10 to 100,000, is bench_reader.py's sweep.)

Groups: the frame table of a value in memory (Basic Offset Table, empty BOT, Extended Offset Table) against
pydicom's ``parse_fragments`` and iterating ``generate_frames``; the table and every frame as a zero-copy view;
from a path to a complete frame table against ``dcmread``; ``encapsulate`` and ``encapsulate_extended``.
framecodec's benchmark of each group runs every peer once in each of its rounds (timing.interleaved); the peers
also have benchmarks of their own. ``extra_info["bytes"]`` is the Pixel Data value's size (for the writers, the
frames'); the ceiling of the table and iteration groups, ``copy (ceiling)``, copies that many bytes from a
preallocated source into a preallocated destination (nothing of that size is made by the implementations).
"""

from __future__ import annotations

import io
import mmap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.encaps import generate_frames, parse_fragments
from pydicom.uid import UID, JPEGBaseline8Bit, generate_uid

import framecodec as fc
from pipeline_data import fake_jpeg_frames
from timing import CEILING, compare, copy_ceiling, tag

Fns = dict[str, Callable[[], Any]]
PARSE = "pydicom parse_fragments"
GENERATE = "pydicom iterate generate_frames"


@pytest.fixture(scope="module")
def counts(smoke: bool) -> tuple[int, int]:
    """Small frames, and 20 KB tiles: 100,000 and 20,000 (1,000 and 200 under --benchmark-disable)."""
    return (1_000, 200) if smoke else (100_000, 20_000)


def small_label(n: int) -> str:
    return f"{n:,} frames of 100-200 B"


@pytest.fixture(scope="module")
def small_frames(counts: tuple[int, int]) -> list[bytes]:
    return fake_jpeg_frames(counts[0], 100, 200)


@pytest.fixture(scope="module")
def values(small_frames: list[bytes]) -> dict[str, Any]:
    """The same small frames encapsulated three ways."""
    bot = fc.encaps.encapsulate(small_frames, "basic")
    empty = fc.encaps.encapsulate(small_frames, "none")
    ext, eot, lengths = fc.encaps.encapsulate_extended(small_frames)
    assert bot == pd_encapsulate(small_frames) and ext == empty
    return {"BOT": bot, "empty BOT": empty, "EOT": (ext, eot, lengths)}


def after_bot(value: bytes) -> io.BytesIO:
    """What pydicom's parse_fragments takes: a stream positioned at the first fragment's item tag."""
    bio = io.BytesIO(value)
    bio.seek(8 + int.from_bytes(value[4:8], "little"))
    return bio


def count_generated(value: bytes, n: int, ext: tuple[bytes, bytes] | None = None) -> int:
    return sum(1 for _ in generate_frames(value, number_of_frames=n, extended_offsets=ext))


# ---------------------------------------------------------------- frame table of a value in memory


@pytest.mark.parametrize("layout", ["BOT", "empty BOT"])
@pytest.mark.parametrize("impl", ["framecodec", PARSE, GENERATE, CEILING])
def test_frame_table(benchmark: Any, values: dict[str, Any], layout: str, impl: str) -> None:
    buf: bytes = values[layout]
    n = len(values["EOT"][1]) // 8
    tag(benchmark, f"frame table, {small_label(n)}, {layout}", impl, len(buf))
    fns: Fns = {
        "framecodec": lambda: len(fc.encaps.frame_table(buf, n)),
        PARSE: lambda: parse_fragments(after_bot(buf))[0],
        GENERATE: lambda: count_generated(buf, n),
        CEILING: copy_ceiling(len(buf), fresh=False),
    }
    out, _ = compare(benchmark, impl, fns)
    assert impl == CEILING or out == n


@pytest.mark.parametrize("impl", ["framecodec", GENERATE, CEILING])
def test_frame_table_eot(benchmark: Any, values: dict[str, Any], impl: str) -> None:
    buf, eot, lengths = values["EOT"]
    n = len(eot) // 8
    eo, el = np.frombuffer(eot, "<u8"), np.frombuffer(lengths, "<u8")
    tag(benchmark, f"frame table, {small_label(n)}, EOT", impl, len(buf))
    fns: Fns = {
        "framecodec": lambda: fc.encaps.frame_table(buf, n, eo, el),
        GENERATE: lambda: count_generated(buf, n, (eot, lengths)),
        CEILING: copy_ceiling(len(buf), fresh=False),
    }
    out, _ = compare(benchmark, impl, fns)
    if impl == "framecodec":
        assert out.source == "extended" and len(out) == n
    elif impl == GENERATE:
        assert out == n


@pytest.fixture(scope="module")
def tiles_value(counts: tuple[int, int]) -> bytes:
    return fc.encaps.encapsulate(fake_jpeg_frames(counts[1], 20_000, 20_000, seed=1))


@pytest.mark.parametrize("impl", ["framecodec", PARSE, GENERATE, CEILING])
def test_tiles_frame_table(benchmark: Any, tiles_value: bytes, counts: tuple[int, int], impl: str) -> None:
    n = counts[1]
    tag(benchmark, f"frame table, {n:,} frames of 20 KB, BOT", impl, len(tiles_value))
    fns: Fns = {
        "framecodec": lambda: len(fc.encaps.frame_table(tiles_value, n)),
        PARSE: lambda: parse_fragments(after_bot(tiles_value))[0],
        GENERATE: lambda: count_generated(tiles_value, n),
        CEILING: copy_ceiling(len(tiles_value), fresh=False),
    }
    out, _ = compare(benchmark, impl, fns)
    assert impl == CEILING or out == n


# ---------------------------------------------------------------- every frame, not just the table


@pytest.mark.parametrize("impl", ["framecodec", GENERATE, CEILING])
def test_iterate_frames(benchmark: Any, values: dict[str, Any], impl: str) -> None:
    buf: bytes = values["BOT"]
    n = len(values["EOT"][1]) // 8
    tag(benchmark, f"table + every frame (zero-copy views), {small_label(n)}, BOT", impl, len(buf))
    fns: Fns = {
        "framecodec": lambda: sum(1 for _ in fc.encaps.iter_frames(buf, fc.encaps.frame_table(buf, n))),
        GENERATE: lambda: count_generated(buf, n),
        CEILING: copy_ceiling(len(buf), fresh=False),
    }
    out, _ = compare(benchmark, impl, fns)
    assert impl == CEILING or out == n


# ---------------------------------------------------------------- from a path to a complete frame table


def write_file(path: Path, frames: list[bytes], table: str) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.77.1.6")  # VL Whole Slide Microscopy
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
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = fc.encaps.encapsulate_extended(frames)
    else:
        ds.PixelData = fc.encaps.encapsulate(frames, "none")
    ds.save_as(path, enforce_file_format=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, small_frames: list[bytes]) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("encaps-files")
    out = {}
    for table in ("EOT", "empty BOT"):
        out[table] = folder / f"{table.replace(' ', '_')}.dcm"
        write_file(out[table], small_frames, table)
    return out


def path_to_frame_table(path: Path) -> fc.encaps.FrameTable:
    loc = fc.encaps.locate_pixel_data(path)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return loc.frame_table(mm)  # the table holds arrays, not views: the mmap may close


def pydicom_path_to_frames(path: Path, n: int) -> int:
    ds = pydicom.dcmread(path)
    ext = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths) if "ExtendedOffsetTable" in ds else None
    return count_generated(ds.PixelData, n, ext)


@pytest.mark.parametrize("table", ["EOT", "empty BOT"])
@pytest.mark.parametrize(
    "impl", ["framecodec", "pydicom dcmread header only", "pydicom dcmread + generate_frames", CEILING]
)
def test_path_to_frame_table(
    benchmark: Any, files: dict[str, Path], values: dict[str, Any], table: str, impl: str
) -> None:
    path = files[table]
    n = len(values["EOT"][1]) // 8
    value_bytes = len(values["EOT"][0])  # the same fragments whatever the table
    tag(benchmark, f"path to complete frame table, {n:,}-frame file, {table}", impl, value_bytes)
    fns: Fns = {
        "framecodec": lambda: path_to_frame_table(path),
        "pydicom dcmread header only": lambda: int(pydicom.dcmread(path, stop_before_pixels=True).NumberOfFrames),
        "pydicom dcmread + generate_frames": lambda: pydicom_path_to_frames(path, n),
        CEILING: copy_ceiling(value_bytes, fresh=False),
    }
    out, _ = compare(benchmark, impl, fns)
    if impl == "framecodec":
        assert len(out) == n and out.source == ("extended" if table == "EOT" else "one_per_frame")
    elif impl != CEILING:
        assert out == n


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("impl", ["framecodec", "pydicom"])
def test_encapsulate(benchmark: Any, small_frames: list[bytes], impl: str) -> None:
    nbytes = sum(map(len, small_frames))
    tag(benchmark, f"encapsulate with BOT, {small_label(len(small_frames))}", impl, nbytes)
    fns: Fns = {
        "framecodec": lambda: fc.encaps.encapsulate(small_frames),
        "pydicom": lambda: pd_encapsulate(small_frames),
    }
    out, _ = compare(benchmark, impl, fns)
    assert len(out) > nbytes


@pytest.mark.parametrize("impl", ["framecodec", "pydicom"])
def test_encapsulate_extended(benchmark: Any, small_frames: list[bytes], impl: str) -> None:
    nbytes = sum(map(len, small_frames))
    tag(benchmark, f"encapsulate_extended, {small_label(len(small_frames))}", impl, nbytes)
    fns: Fns = {
        "framecodec": lambda: fc.encaps.encapsulate_extended(small_frames),
        "pydicom": lambda: pd_encapsulate_extended(small_frames),
    }
    out, _ = compare(benchmark, impl, fns)
    assert len(out[1]) == 8 * len(small_frames)
