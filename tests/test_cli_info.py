"""``python -m framecodec info``: the JSON and text reports of native, encapsulated, tiled and JPEG files.

Test files are built with pydicom (tests/datasets.py, never with framecodec), JPEG files with DCMTK when it
is installed. Expected values come from pydicom (its own decoders where it has them) and FrameReader.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragments

import framecodec as fc
from cli_util import cli, write
from conftest import BACKENDS
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    RLE,
    Layout,
    dataset,
    make_pixels,
    reference,
    save,
)


def _fragments(value: bytes) -> list[bytes]:
    bot_length = struct.unpack("<I", value[4:8])[0]
    return list(generate_fragments(value[8 + bot_length :]))


def library_versions() -> dict[str, str]:
    """The deflate libraries' versions found without framecodec: libz's as Python's zlib module loads it (the
    same libz.so.1 the extension links), libdeflate's from its header (the one the extension was built with)."""
    versions = {"zlib": zlib.ZLIB_RUNTIME_VERSION}
    header = Path("/usr/include/libdeflate.h")
    found = re.search(r'LIBDEFLATE_VERSION_STRING\s+"([^"]+)"', header.read_text()) if header.exists() else None
    if found:
        versions["libdeflate"] = found.group(1)
    return versions


def expected_inflate() -> str:
    """The decoding backend as docs/codecs.md says it is chosen (FRAMECODEC_INFLATE, else libdeflate when the build has
    it), found from the environment and the extension's symbols, and its library's version."""
    core = next(Path(fc.__file__).parent.glob("_core*.so"))
    built_with_libdeflate = b"libdeflate_deflate_decompress" in core.read_bytes()
    name = os.environ.get("FRAMECODEC_INFLATE") or ("libdeflate" if built_with_libdeflate else "zlib")
    versions = library_versions()
    if name not in versions:
        pytest.skip(f"{name}'s version is not known without framecodec (no /usr/include/libdeflate.h)")
    return f"{name} {versions[name]}"


INFO_CASES = {
    "native int16": (Layout(10, 12, bits=16, stored=12, signed=True, frames=5), EXPLICIT, {}, None),
    "implicit single frame": (Layout(10, 12), IMPLICIT, {}, None),
    "big endian": (Layout(6, 8, bits=16, frames=3), BIG_ENDIAN, {}, None),
    "native 1-bit": (Layout(9, 7, bits=1, frames=5), EXPLICIT, {}, None),
    "rle rgb": (Layout(8, 10, samples=3, frames=4), RLE, {}, ("basic", "basic")),
    "deflate extended": (Layout(8, 10, bits=16, frames=4), DEFLATE, {"extended": True}, ("extended", "extended")),
    "uncompressed empty bot": (
        Layout(8, 10, frames=4),
        ENCAPSULATED_UNCOMPRESSED,
        {"bot": False},
        ("empty", "one_per_frame"),
    ),
    "rle two fragments": (Layout(8, 10, frames=3), RLE, {"fragments_per_frame": 2}, ("basic", "basic")),
}


@pytest.fixture(scope="module")
def info_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every case's file, and its object from one run of ``info --json`` over all of them."""
    folder = tmp_path_factory.mktemp("info")
    paths = {}
    for i, (name, (layout, ts, kwargs, _)) in enumerate(INFO_CASES.items()):
        paths[name] = write(folder, f"{i}.dcm", layout, ts, **kwargs)
    r = cli("info", "--json", *paths.values())
    assert r.returncode == 0, r.stderr
    return {name: (paths[name], got) for name, got in zip(paths, json.loads(r.stdout), strict=True)}


@pytest.mark.parametrize("name", INFO_CASES)
def test_info_json_against_pydicom(name: str, info_json: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    layout, ts, kwargs, table = INFO_CASES[name]
    path, got = info_json[name]
    ds = pydicom.dcmread(path)
    ref = reference(path)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    frame_shape = ref.shape[1:] if frames > 1 else ref.shape
    assert got["file"] == str(path) and got["file_size"] == path.stat().st_size
    assert got["transfer_syntax"] == ts and got["transfer_syntax_name"] == pydicom.uid.UID(ts).name
    assert got["sop_class"] == ds.SOPClassUID and got["modality"] == "OT"
    assert got["frames"] == frames
    assert (got["rows"], got["columns"], got["samples_per_pixel"]) == (ds.Rows, ds.Columns, ds.SamplesPerPixel)
    assert (got["bits_allocated"], got["bits_stored"]) == (ds.BitsAllocated, ds.BitsStored)
    assert got["pixel_representation"] == ds.PixelRepresentation
    assert got["photometric_interpretation"] == ds.PhotometricInterpretation
    assert tuple(got["frame_shape"]) == frame_shape and np.dtype(got["dtype"]) == ref.dtype
    # the sizes the test knows: decoded as pydicom's array (a byte a pixel for Bits Allocated 1)
    decoded = layout.rows * layout.columns * layout.samples * layout.frames * max(1, layout.bits // 8)
    assert got["decoded_bytes"] == decoded == ref.nbytes and got["frame_bytes"] * frames == decoded
    if table is None:
        assert got["encapsulated"] is False and got["offset_table"] is None and got["fragments"] is None
        assert got["compressed_bytes"] == len(ds.PixelData)
    else:
        fragments = _fragments(ds.PixelData)
        assert got["encapsulated"] is True
        assert (got["offset_table"], got["frames_found_by"]) == table
        assert got["fragments"] == len(fragments)
        assert got["compressed_bytes"] == sum(len(f) for f in fragments)
    if table is None:  # native pixels are not compressed: no ratio
        assert got["ratio"] is None
    else:  # from pydicom's fragments and the test's layout, not from the numbers info reports
        assert got["ratio"] == round(decoded / sum(len(f) for f in _fragments(ds.PixelData)), 3)
    assert got["whole_frames"] == frames and got["truncation"] is None
    assert got["tiling"] is None and got["lossy_image_compression"] is None
    assert got["inflate"] == (expected_inflate() if ts == DEFLATE else None)
    with fc.FrameReader(path) as reader:
        assert (got["frames"], tuple(got["frame_shape"]), got["dtype"]) == (len(reader), reader.shape, reader.dtype.str)


def test_info_text(tmp_path: Path) -> None:
    a = write(tmp_path, "a.dcm", Layout(10, 12, bits=16, stored=12, signed=True, frames=5), RLE)
    b = write(tmp_path, "b.dcm", Layout(9, 7, bits=1, frames=5), EXPLICIT)
    r = cli("info", a, b)
    assert r.returncode == 0, r.stderr
    first, second = r.stdout.split("\n\n")
    lines = dict(line.strip().split(None, 1) for line in first.splitlines()[1:] if not line.startswith("  SOP"))
    assert first.splitlines()[0] == str(a)
    assert "RLE Lossless" in first and "1.2.840.10008.1.2.5" in first
    assert "frames            5\n" in first
    assert "10 rows x 12 columns, 16 bits allocated, 12 stored, signed, MONOCHROME2 -> int16 (10, 12)" in first
    assert "encapsulated, 5 fragments; Basic Offset Table" in first
    assert "decoded           1,200 bytes (5 x 240)" in first
    compressed = sum(map(len, _fragments(pydicom.dcmread(a).PixelData)))
    assert lines["compressed"] == f"{compressed:,} bytes (Pixel Data; file {os.path.getsize(a):,} bytes)"
    assert lines["ratio"] == f"{1200 / compressed:.2f}:1"
    assert "1 bit allocated, unsigned" in second and "native (not compressed)" in second
    assert "  ratio " not in second and "  compressed " not in second and "  stored            40 bytes" in second


@pytest.mark.parametrize("backend", BACKENDS)
def test_info_and_version_name_the_deflate_backends(backend: str, tmp_path: Path) -> None:
    f = write(tmp_path, "d.dcm", Layout(4, 4, frames=2), DEFLATE)
    env = {**os.environ, "FRAMECODEC_INFLATE": backend}
    r = subprocess.run([sys.executable, "-m", "framecodec", "info", str(f)], capture_output=True, text=True, env=env)
    if backend not in library_versions():
        pytest.skip(f"{backend}'s version is not known without framecodec (no /usr/include/libdeflate.h)")
    version = library_versions()[backend]
    assert r.returncode == 0 and f"  inflate           {backend} {version}" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "framecodec", "--version"], capture_output=True, text=True, env=env)
    assert r.stdout.startswith(f"framecodec {fc.__version__} (inflate: {backend} {version}")
    assert f"deflate: zlib {library_versions()['zlib']}" in r.stdout


def test_info_a_bad_file_among_good_ones(tmp_path: Path) -> None:
    good = write(tmp_path, "good.dcm", Layout(4, 4, frames=2), RLE)
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not a DICOM file at all" * 10)
    missing = tmp_path / "missing.dcm"
    r = cli("info", bad, good, missing)
    assert r.returncode == 1
    assert str(good) in r.stdout and "RLE Lossless" in r.stdout
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 2
    assert (
        errors[0].startswith(f"framecodec: {bad}: ")
        and errors[1] == f"framecodec: {missing}: No such file or directory"
    )
    r = cli("info", "--json", bad, good)
    assert r.returncode == 1
    results = json.loads(r.stdout)
    assert results[0]["file"] == str(bad) and results[0]["error"] and results[1]["frames"] == 2


def tiled(tmp_path: Path, organization: str) -> Path:
    """A 2 x 2 tiled RGB image of 16 x 12 tiles on 2 focal planes (TILED_FULL: row by row, then the next
    plane; TILED_SPARSE: the same positions from the Per-Frame Functional Groups)."""
    layout = Layout(12, 16, samples=3, frames=8)
    ds = dataset(make_pixels(layout), layout, RLE)
    ds.DimensionOrganizationType = organization
    ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows = 30, 20
    ds.TotalPixelMatrixFocalPlanes = 2
    ds.NumberOfOpticalPaths = 1
    path_item = Dataset()
    path_item.OpticalPathIdentifier = "1"
    ds.OpticalPathSequence = [path_item]
    if organization == "TILED_SPARSE":
        items = []
        for f in range(8):
            position, plane_position, optical = Dataset(), Dataset(), Dataset()
            position.ColumnPositionInTotalImagePixelMatrix = 1 + 16 * (f % 2)
            position.RowPositionInTotalImagePixelMatrix = 1 + 12 * (f // 2 % 2)
            position.ZOffsetInSlideCoordinateSystem = 0.5 * (f // 4)
            position.XOffsetInSlideCoordinateSystem = position.YOffsetInSlideCoordinateSystem = 0.0
            optical.OpticalPathIdentifier = "1"
            plane_position.PlanePositionSlideSequence = [position]
            plane_position.OpticalPathIdentificationSequence = [optical]
            items.append(plane_position)
        ds.PerFrameFunctionalGroupsSequence = items
    return Path(save(ds, tmp_path / f"{organization}.dcm"))


def test_info_tiled_full(tmp_path: Path) -> None:
    path = tiled(tmp_path, "TILED_FULL")
    r = cli("info", "--json", path)
    assert r.returncode == 0, r.stderr
    tiling = json.loads(r.stdout)[0]["tiling"]
    assert tiling == {
        "dimension_organization": "TILED_FULL",
        "total_columns": 30,
        "total_rows": 20,
        "tile_columns": 16,
        "tile_rows": 12,
        "tiles": 8,
        "tiles_across": 2,
        "tiles_down": 2,
        "focal_planes": 2,
        "optical_paths": 1,
        "optical_path_identifiers": ["1"],
        "error": None,
    }
    with fc.FrameReader(path) as reader:
        assert len(reader.geometry.focal_plane_z) == tiling["focal_planes"]
    text = cli("info", path).stdout
    assert (
        "TILED_FULL, total pixel matrix 30 x 20, 8 tiles of 16 x 12 (2 across, 2 down), 2 focal planes, 1 optical path"
    ) in text


def test_info_tiled_sparse(tmp_path: Path) -> None:
    path = tiled(tmp_path, "TILED_SPARSE")
    r = cli("info", "--json", path)
    assert r.returncode == 0, r.stderr
    tiling = json.loads(r.stdout)[0]["tiling"]
    assert tiling == {
        "dimension_organization": "TILED_SPARSE",
        "total_columns": 30,
        "total_rows": 20,
        "tile_columns": 16,
        "tile_rows": 12,
        "tiles": 8,
        "tiles_across": None,
        "tiles_down": None,
        "focal_planes": 2,
        "optical_paths": 1,
        "optical_path_identifiers": ["1"],
        "error": None,
    }
    with fc.FrameReader(path) as reader:
        assert reader.geometry.focal_plane_z == (0.0, 0.5)


def test_info_reports_a_geometry_that_does_not_add_up(tmp_path: Path) -> None:
    """The file is still described (exit 0); the tiling says what is wrong."""
    path = tiled(tmp_path, "TILED_FULL")
    ds = pydicom.dcmread(path)
    ds.TotalPixelMatrixColumns = 70  # 5 x 2 tiles a plane: 20 frames, the file has 8
    save(ds, path)
    r = cli("info", "--json", path)
    assert r.returncode == 0, r.stderr
    tiling = json.loads(r.stdout)[0]["tiling"]
    assert "Number of Frames 8 does not match TILED_FULL's 20" in tiling["error"]
    assert (tiling["tiles_across"], tiling["focal_planes"], tiling["optical_path_identifiers"]) == (5, 2, None)


JPEG_TOOLS = [("dcmcjpeg", ["+eb"], "basic", "basic"), ("dcmcjpeg", ["+e1", "+fs", "1", "-ot"], "empty", "markers")]


@pytest.mark.parametrize(("tool", "args", "table", "found_by"), JPEG_TOOLS, ids=["baseline", "lossless-fragmented"])
def test_info_jpeg(tool: str, args: list[str], table: str, found_by: str, grey_native: Path, tmp_path: Path) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (DCMTK) is not installed: apt-get install dcmtk")
    path = tmp_path / "jpeg.dcm"
    subprocess.run([tool, *args, str(grey_native), str(path)], check=True, capture_output=True)
    r = cli("info", "--json", path)
    assert r.returncode == 0, r.stderr
    [got] = json.loads(r.stdout)
    ds = pydicom.dcmread(path)
    fragments = _fragments(ds.PixelData)
    assert got["transfer_syntax"] == ds.file_meta.TransferSyntaxUID
    assert got["transfer_syntax_name"] == ds.file_meta.TransferSyntaxUID.name
    assert got["frames"] == 3 and tuple(got["frame_shape"]) == (64, 80) and got["dtype"] == "|u1"
    assert (got["offset_table"], got["frames_found_by"]) == (table, found_by)
    assert got["fragments"] == len(fragments) and got["compressed_bytes"] == sum(map(len, fragments))
    assert got["decoded_bytes"] == 3 * 64 * 80
    if args[0] == "+eb":
        assert got["lossy_image_compression"] == "01"


def test_info_jpeg_whose_fragments_do_not_make_the_frames(grey_native: Path, tmp_path: Path) -> None:
    if shutil.which("dcmcjpeg") is None:
        pytest.skip("dcmcjpeg (DCMTK) is not installed: apt-get install dcmtk")
    path = tmp_path / "jpeg.dcm"
    subprocess.run(["dcmcjpeg", "+e1", "+fs", "1", "-ot", str(grey_native), str(path)], check=True, capture_output=True)
    ds = pydicom.dcmread(path)
    ds.NumberOfFrames = 5  # the file has 3
    ds.save_as(path)
    r = cli("info", path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"framecodec: {path}: ") and "5" in r.stderr


@pytest.mark.parametrize("ts", [EXPLICIT, IMPLICIT, BIG_ENDIAN])
def test_info_native_pixels_are_not_compressed(ts: str, tmp_path: Path) -> None:
    layout = Layout(6, 8, bits=16, frames=3)
    path = write(tmp_path, "n.dcm", layout, ts)
    r = cli("info", path)
    assert r.returncode == 0, r.stderr
    labels = {line[:20].strip(): line[20:] for line in r.stdout.splitlines()[1:]}  # "  label             value"
    assert "  pixel data        native (not compressed)\n" in r.stdout
    assert "ratio" not in labels and "compressed" not in labels
    assert labels["stored"] == f"288 bytes (Pixel Data; file {path.stat().st_size:,} bytes)"
    r = cli("info", "--json", path)
    got = json.loads(r.stdout)[0]
    assert r.returncode == 0 and got["encapsulated"] is False and got["ratio"] is None
    assert got["compressed_bytes"] == 288 and got["decoded_bytes"] == 288  # keys kept: the Pixel Data's length
