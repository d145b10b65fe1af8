"""The command line, end to end: ``python -m framecodec info | decode | transcode | bench`` in a subprocess.

Test files are built with pydicom (tests/datasets.py, never with framecodec), JPEG files with DCMTK when it
is installed. Expected values come from pydicom (its own decoders where it has them) and FrameReader.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragments

import framecodec as fc
from conftest import BACKENDS
from datasets import (
    BIG_ENDIAN, DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, IMPLICIT, PYDICOM_31, RLE, Layout, assert_identical,
    dataset, make_pixels, native_dataset, reference, save,
)  # fmt: skip
from framecodec.cli import _common

DEFLATED_DATA_SET = "1.2.840.10008.1.2.1.99"  # Deflated Explicit VR Little Endian
SYNTAXES = {"explicit": EXPLICIT, "rle": RLE, "deflate": DEFLATE, "encapsulated-uncompressed": ENCAPSULATED_UNCOMPRESSED}


def cli(*args: Any, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "framecodec", *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    """``framecodec ARGS`` in this process (faster than a subprocess, for the checks that need no process of
    their own): exit status, stdout, stderr."""
    from framecodec.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse's usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, layout: Layout, ts: str, seed: int = 0, **kwargs: Any) -> Path:
    ds = dataset(make_pixels(layout, seed), layout, ts, **kwargs)
    ds.PatientName = "Test^CLI"
    return Path(save(ds, folder / name))


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# --- usage ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["info"], ["decode"], ["transcode"], ["bench"], ["demo"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    if not command:  # the top level in a process of its own, the commands in this one
        r = cli("--help")
        code, out = r.returncode, r.stdout
    else:
        code, out, _ = run_main(capsys, *command, "--help")
    assert code == 0
    assert out.startswith("usage: framecodec")
    if command != ["demo"]:
        assert "examples:" in out


BAD = {
    "no command": [],
    "unknown command": ["frobnicate"],
    "decode without -o": ["decode", "{f}"],
    "bad --frames": ["decode", "{f}", "-o", "{o}", "--frames", "1:2:3:4"],
    "--frames step 0": ["decode", "{f}", "-o", "{o}", "--frames", "::0"],
    "--threads 0": ["decode", "{f}", "-o", "{o}", "--threads", "0"],
    "transcode without --to": ["transcode", "{f}", "{o}"],
    "unknown --to": ["transcode", "{f}", "{o}", "--to", "jpeg"],
    "--level with rle": ["transcode", "{f}", "{o}", "--to", "rle", "--level", "3"],
    "--level 10": ["transcode", "{f}", "{o}", "--to", "deflate", "--level", "10"],
    "--level 13 libdeflate": ["transcode", "{f}", "{o}", "--to", "deflate", "--level", "13", "--backend", "libdeflate"],
    "--backend with rle": ["transcode", "{f}", "{o}", "--to", "rle", "--backend", "zlib"],
    "unknown --backend": ["transcode", "{f}", "{o}", "--to", "deflate", "--backend", "isal"],
    "transcode one argument": ["transcode", "{f}", "--to", "rle"],
    "bench --repeat 0": ["bench", "--repeat", "0"],
    "info without files": ["info"],
}


@pytest.mark.parametrize("name", BAD)
def test_usage_errors_exit_2(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "in.dcm", Layout(4, 4), EXPLICIT)
    args = [a.format(f=f, o=tmp_path / "out") for a in BAD[name]]
    code, out, err = run_main(capsys, *args)
    assert code == 2, (out, err)
    assert "usage: framecodec" in err or "error:" in err
    assert listing(tmp_path) == ["in.dcm"]


def test_usage_error_exit_status_of_the_process(tmp_path: Path) -> None:
    r = cli("decode", tmp_path / "in.dcm", "-o", tmp_path / "o.npy", "--frames", "a:b")
    assert r.returncode == 2 and "is not a frame selection" in r.stderr and r.stdout == ""


def test_console_script_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from framecodec.__main__ import main

    f = write(tmp_path, "in.dcm", Layout(4, 4), RLE)
    assert main(["info", "--json", str(f)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["frames"] == 1


# --- info ----------------------------------------------------------------------------------------------


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
    "uncompressed empty bot": (Layout(8, 10, frames=4), ENCAPSULATED_UNCOMPRESSED, {"bot": False},
                               ("empty", "one_per_frame")),  # fmt: skip
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
    assert errors[0].startswith(f"framecodec: {bad}: ") and errors[1] == f"framecodec: {missing}: No such file or directory"
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
        "dimension_organization": "TILED_FULL", "total_columns": 30, "total_rows": 20, "tile_columns": 16,
        "tile_rows": 12, "tiles": 8, "tiles_across": 2, "tiles_down": 2, "focal_planes": 2, "optical_paths": 1,
        "optical_path_identifiers": ["1"], "error": None,
    }  # fmt: skip
    with fc.FrameReader(path) as reader:
        assert len(reader.geometry.focal_plane_z) == tiling["focal_planes"]
    text = cli("info", path).stdout
    assert ("TILED_FULL, total pixel matrix 30 x 20, 8 tiles of 16 x 12 (2 across, 2 down), 2 focal planes, "
            "1 optical path") in text  # fmt: skip


def test_info_tiled_sparse(tmp_path: Path) -> None:
    path = tiled(tmp_path, "TILED_SPARSE")
    r = cli("info", "--json", path)
    assert r.returncode == 0, r.stderr
    tiling = json.loads(r.stdout)[0]["tiling"]
    assert tiling == {
        "dimension_organization": "TILED_SPARSE", "total_columns": 30, "total_rows": 20, "tile_columns": 16,
        "tile_rows": 12, "tiles": 8, "tiles_across": None, "tiles_down": None, "focal_planes": 2,
        "optical_paths": 1, "optical_path_identifiers": ["1"], "error": None,
    }  # fmt: skip
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


@pytest.fixture(scope="module")
def grey_native(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8-bit grey 3-frame image with texture, so that JPEG frames span several 1 KB fragments."""
    folder = tmp_path_factory.mktemp("jpeg")
    yy, xx = np.mgrid[0:64, 0:80]
    rng = np.random.default_rng(1)
    arr = np.stack([(np.sin(xx / (3 + f)) * 60 + 128 + rng.normal(0, 20, xx.shape)) for f in range(3)])
    arr = arr.clip(0, 255).astype(np.uint8)
    layout = Layout(64, 80, frames=3)
    ds = dataset(arr, layout, EXPLICIT)
    return Path(save(ds, folder / "grey.dcm"))


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


# --- decode --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ybr_deflate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("decode"), "ybr.dcm", Layout(6, 9, samples=3, photometric="YBR_FULL",
                                                                       frames=10), DEFLATE)  # fmt: skip


SPECS: dict[str, tuple[list[str], Any]] = {
    "all": ([], None),
    "a:b": (["--frames", "2:7"], slice(2, 7)),
    "a:b:c": (["--frames", "1:9:3"], slice(1, 9, 3)),
    "open slice": (["--frames", "::-2"], slice(None, None, -2)),
    "i,j,k": (["--frames", "3,1,3"], [3, 1, 3]),
    "one": (["--frames", "4"], 4),
    "negative": (["--frames=-1"], -1),
}


@pytest.mark.parametrize("name", SPECS)
def test_decode_frames(name: str, ybr_deflate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args, index = SPECS[name]
    out = tmp_path / "out.npy"
    if name == "all":  # one in a process of its own, the other selections in this one
        r = cli("decode", ybr_deflate, "-o", out, *args, "--threads", "2")
        code, stdout, stderr = r.returncode, r.stdout, r.stderr
    else:
        code, stdout, stderr = run_main(capsys, "decode", ybr_deflate, "-o", out, *args, "--threads", "2")
    assert code == 0, stderr
    assert stdout == "" and stderr == ""
    assert_identical(np.load(out), fc.pixel_array(ybr_deflate, index))
    assert listing(tmp_path) == ["out.npy"]


def test_decode_raw_and_single_frame(ybr_deflate: Path, tmp_path: Path) -> None:
    out = tmp_path / "raw.npy"
    assert cli("decode", ybr_deflate, "-o", out, "--raw", "--frames", "0:3").returncode == 0
    assert_identical(np.load(out), reference(ybr_deflate, slice(0, 3), raw=True))
    single = write(tmp_path, "single.dcm", Layout(5, 6, bits=16, signed=True), RLE)
    assert cli("decode", single, "-o", out).returncode == 0
    assert_identical(np.load(out), reference(single))  # no frame axis, as pydicom


def test_decode_in_batches(ybr_deflate: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several batches (the progress bar moves by batch) land in the right places of the .npy."""
    from framecodec.cli import decode, main

    monkeypatch.setattr(decode, "BATCH_BYTES", 3 * 6 * 9 * 3)  # three frames a batch
    out = tmp_path / "b.npy"
    assert main(["decode", str(ybr_deflate), "-o", str(out), "--frames", "9,0,8,1,7,2,6"]) == 0
    assert_identical(np.load(out), reference(ybr_deflate, [9, 0, 8, 1, 7, 2, 6]))
    assert main(["decode", str(ybr_deflate), "-o", str(out)]) == 0
    assert_identical(np.load(out), reference(ybr_deflate))


def test_decode_failures(ybr_deflate: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.npy"
    r = cli("decode", ybr_deflate, "-o", out, "--frames", "3,10")
    assert r.returncode == 1 and r.stderr == f"framecodec: {ybr_deflate}: frame index 10 out of range for 10 frames\n"
    broken = tmp_path / "broken.dcm"
    data = ybr_deflate.read_bytes()
    broken.write_bytes(data[: len(data) - 40])
    r = cli("decode", broken, "-o", out)
    assert r.returncode == 1 and r.stderr.startswith(f"framecodec: {broken}: ")
    assert listing(tmp_path) == ["broken.dcm"]  # no OUT, no temporary file
    r = cli("decode", ybr_deflate, "-o", tmp_path / "no" / "such" / "folder.npy")
    assert r.returncode == 1
    assert r.stderr == f"framecodec: {ybr_deflate}: cannot write {tmp_path}/no/such/folder.npy: No such file or directory\n"
    copy = tmp_path / "copy.dcm"
    shutil.copy(ybr_deflate, copy)
    r = cli("decode", copy, "-o", copy)
    assert r.returncode == 2 and "is the input file itself" in r.stderr
    assert copy.read_bytes() == ybr_deflate.read_bytes()


# --- transcode -----------------------------------------------------------------------------------------

LAYOUTS = {
    "int16": Layout(10, 12, bits=16, stored=12, signed=True, frames=4),
    "rgb-planar": Layout(6, 9, samples=3, planar=1, frames=3),
    "ybr": Layout(6, 9, samples=3, photometric="YBR_FULL", frames=2),
    "bits1": Layout(9, 7, bits=1, frames=5),
    "single": Layout(7, 5, bits=16),
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every layout in every syntax transcode writes, plus implicit VR, big endian and a deflated data set
    (Deflated Explicit VR Little Endian: native pixels that pydicom reads, framecodec does not)."""
    folder = tmp_path_factory.mktemp("sources")
    for i, (name, layout) in enumerate(LAYOUTS.items()):
        for label, ts in {**SYNTAXES, "implicit": IMPLICIT, "big": BIG_ENDIAN}.items():
            if ts == BIG_ENDIAN and layout.bits == 1:
                continue  # pydicom cannot write 1-bit big endian data sets the way PS3.5 packs them
            write(folder, f"{name}-{label}.dcm", layout, ts, seed=i)
        deflated = native_dataset(make_pixels(layout, i), layout, DEFLATED_DATA_SET)
        deflated.PatientName = "Test^CLI"
        save(deflated, folder / f"{name}-deflated-data-set.dcm")
    return folder


def _pydicom_own(path: Path, ts: str, bits: int) -> Any:
    """pydicom's own decoder's array of the output, where pydicom has one (None otherwise)."""
    if ts == EXPLICIT:
        return pydicom.pixels.pixel_array(path, raw=True)
    if ts == RLE and bits != 1:
        return pydicom.pixels.pixel_array(path, raw=True, decoding_plugin="pydicom")
    if ts == DEFLATE and PYDICOM_31:
        return pydicom.pixels.pixel_array(path, raw=True, decoding_plugin="pydicom")
    return None


@pytest.mark.filterwarnings("ignore:The number of bytes of compressed pixel data matches")  # pydicom, on
@pytest.mark.parametrize("to", SYNTAXES)  # Encapsulated Uncompressed (of course) and tiny incompressible frames
def test_transcode_every_direction(to: str, sources: Path, tmp_path: Path) -> None:
    """All sources into a folder in one run; each output decodes (with pydicom's own decoder where it has one)
    to the source's pixels as pydicom decodes them, keeps the other attributes and the SOP Instance UID."""
    out = tmp_path / "out"
    inputs = sorted(sources.iterdir())
    r = cli("transcode", *inputs, out, "--to", to, "--threads", "2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    assert listing(out) == [p.name for p in inputs]
    ts = SYNTAXES[to]
    for src in inputs:
        dst = out / src.name
        ds, before = pydicom.dcmread(dst), pydicom.dcmread(src)
        assert ds.file_meta.TransferSyntaxUID == ts
        assert ds.SOPInstanceUID == before.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
        assert ds.PatientName == "Test^CLI" and "LossyImageCompression" not in ds
        assert ds.PhotometricInterpretation == before.PhotometricInterpretation
        assert ds["PixelData"].is_undefined_length == (to != "explicit")
        expected = reference(before, raw=True)  # a data set: pydicom reads a deflated one only through dcmread
        np.testing.assert_array_equal(fc.pixel_array(dst, raw=True), expected)
        assert fc.pixel_array(dst, raw=True).shape == expected.shape
        own = _pydicom_own(dst, ts, int(ds.BitsAllocated))
        if own is not None:
            np.testing.assert_array_equal(own, expected)
        np.testing.assert_array_equal(ds.pixel_array, reference(before))  # pydicom's API, whichever plugin


def test_transcode_options(tmp_path: Path) -> None:
    src = write(tmp_path, "ct.dcm", Layout(16, 16, bits=16, stored=12, frames=3), EXPLICIT)
    fast, best = tmp_path / "fast.dcm", tmp_path / "best.dcm"
    assert cli("transcode", src, fast, "--to", "deflate", "--level", "1", "--no-verify").returncode == 0
    assert cli("transcode", src, best, "--to", "deflate", "--level", "9", "--new-uid", "-q").returncode == 0
    for path in (fast, best):
        assert_identical(fc.pixel_array(path), reference(src))
    assert pydicom.dcmread(fast).SOPInstanceUID == pydicom.dcmread(src).SOPInstanceUID
    renamed = pydicom.dcmread(best)
    assert renamed.SOPInstanceUID != pydicom.dcmread(src).SOPInstanceUID
    assert renamed.SOPInstanceUID == renamed.file_meta.MediaStorageSOPInstanceUID
    if fc.codecs.libdeflate_version is not None:
        small = tmp_path / "small.dcm"
        assert cli("transcode", src, small, "--to", "deflate", "--backend", "libdeflate", "--level", "12").returncode == 0
        assert_identical(fc.pixel_array(small), reference(src))
        data = small.read_bytes()
        frames = fc.encaps.iter_frames(data, fc.encaps.locate_pixel_data(small).frame_table(data))
        native = reference(src).astype("<u2")
        assert [zlib.decompress(bytes(f), -15) for f in frames] == [frame.tobytes() for frame in native]
    folder = tmp_path / "existing"
    folder.mkdir()
    assert cli("transcode", src, folder, "--to", "rle").returncode == 0  # one input into an existing folder
    assert listing(folder) == ["ct.dcm"]
    lossy = pydicom.dcmread(src)
    lossy.LossyImageCompression = "01"
    save(lossy, tmp_path / "lossy.dcm")
    assert cli("transcode", tmp_path / "lossy.dcm", tmp_path / "lossy-rle.dcm", "--to", "rle").returncode == 0
    assert pydicom.dcmread(tmp_path / "lossy-rle.dcm").LossyImageCompression == "01"  # kept, never reset


def test_transcode_big_endian_binary_values(tmp_path: Path) -> None:
    """Explicit VR Big Endian in: OW values other than the Pixel Data are swapped for little endian."""
    layout = Layout(4, 6, bits=16, frames=2)
    ds = dataset(make_pixels(layout), layout, BIG_ENDIAN)
    words = np.arange(1, 9, dtype=">u2")
    ds.add_new(0x60003000, "OW", words.tobytes())  # Overlay Data
    src = Path(save(ds, tmp_path / "big.dcm"))
    out = tmp_path / "little.dcm"
    assert cli("transcode", src, out, "--to", "explicit").returncode == 0
    written = pydicom.dcmread(out)
    assert np.frombuffer(written[0x60003000].value, "<u2").tolist() == words.tolist()
    assert_identical(written.pixel_array, reference(src).astype("<u2"))


def test_transcode_jpeg(grey_native: Path, tmp_path: Path) -> None:
    """A syntax pydicom decodes: the output holds pydicom's pixels; without a JPEG plugin, the file fails."""
    if shutil.which("dcmcjpeg") is None:
        pytest.skip("dcmcjpeg (DCMTK) is not installed: apt-get install dcmtk")
    jpeg = tmp_path / "jpeg.dcm"
    subprocess.run(["dcmcjpeg", "+e1", str(grey_native), str(jpeg)], check=True, capture_output=True)
    out = tmp_path / "rle.dcm"
    r = cli("transcode", jpeg, out, "--to", "rle")
    try:
        expected = reference(jpeg)  # JPEG Lossless: pydicom's pylibjpeg or GDCM plugin, named
    except Exception as e:  # no JPEG Lossless plugin for pydicom here: the command must fail, and say so
        assert r.returncode == 1 and r.stderr.startswith(f"framecodec: {jpeg}: ")
        assert listing(tmp_path) == ["jpeg.dcm"]
        pytest.skip(f"pydicom cannot decode JPEG Lossless here ({e}): only the command's failure was checked")
    assert r.returncode == 0, r.stderr
    assert_identical(fc.pixel_array(out), expected)
    # JPEG Baseline: decoded by the engine (libjpeg-turbo); the reference is pydicom's Pillow plugin, named
    baseline = tmp_path / "baseline.dcm"
    subprocess.run(["dcmcjpeg", "+eb", str(grey_native), str(baseline)], check=True, capture_output=True)
    assert cli("transcode", baseline, tmp_path / "baseline-rle.dcm", "--to", "rle").returncode == 0
    pillow = pydicom.pixels.pixel_array(baseline, decoding_plugin="pillow")
    assert_identical(pydicom.pixels.pixel_array(tmp_path / "baseline-rle.dcm", decoding_plugin="pydicom"), pillow)


def test_transcode_a_corrupt_input_among_good_ones(tmp_path: Path) -> None:
    layout = Layout(8, 8, bits=16, frames=3)
    good1 = write(tmp_path, "a.dcm", layout, RLE)
    good2 = write(tmp_path, "c.dcm", layout, EXPLICIT)
    corrupt = tmp_path / "b.dcm"
    frames = [b"\x01\x02\x03" * 5] * 3  # not deflate streams
    ds = dataset(make_pixels(layout), layout, DEFLATE, frames=frames)
    save(ds, corrupt)
    out = tmp_path / "out"
    r = cli("transcode", good1, corrupt, good2, out, "--to", "deflate")
    assert r.returncode == 1
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"framecodec: {corrupt}: frame 0: ")
    assert listing(out) == ["a.dcm", "c.dcm"]  # no b.dcm, no temporary file
    for src in (good1, good2):
        assert_identical(fc.pixel_array(out / src.name), reference(src))


def test_transcode_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.dcm", Layout(4, 4, frames=2), EXPLICIT)
    before = src.read_bytes()
    (tmp_path / "link.dcm").symlink_to(src)
    os.link(src, tmp_path / "hard.dcm")
    r = cli("transcode", src, src, "--to", "rle")
    assert r.returncode == 2 and "is the input itself" in r.stderr
    for out in (tmp_path / "link.dcm", tmp_path / "hard.dcm", tmp_path):
        code, _, err = run_main(capsys, "transcode", src, out, "--to", "rle")
        assert code == 2 and "is the input itself" in err, (out, err)
    other = write(tmp_path, "other.dcm", Layout(4, 4), EXPLICIT)
    code, _, err = run_main(capsys, "transcode", other, src, tmp_path, "--to", "rle")  # into their own folder
    assert code == 2 and "is the input itself" in err
    code, _, err = run_main(capsys, "transcode", src, other, src, "--to", "rle")  # OUT exists, not a folder
    assert code == 2 and "not a folder" in err
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(src, sub / "in.dcm")
    code, _, err = run_main(capsys, "transcode", src, sub / "in.dcm", tmp_path / "out", "--to", "rle")
    assert code == 2 and "would both be written" in err  # two inputs of one name
    assert src.read_bytes() == before
    assert listing(tmp_path) == ["hard.dcm", "in.dcm", "link.dcm", "other.dcm", "sub"]


# --- interruption and the progress bar -----------------------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 MB of noisy 16-bit frames: deflating them at level 9 on one thread takes seconds."""
    layout = Layout(512, 512, bits=16, frames=120)
    arr = np.random.default_rng(0).integers(0, 4096, (120, 512, 512), dtype=np.uint16)
    return Path(save(dataset(arr, layout, EXPLICIT), tmp_path_factory.mktemp("large") / "large.dcm"))


def _start_on_pty(args: list[Any]) -> tuple[subprocess.Popen[bytes], int]:
    """The command with stderr on a pseudo-terminal of 100 columns (as a user's shell has it)."""
    import fcntl
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "framecodec", *map(str, args)], stderr=follower,
                            stdout=subprocess.DEVNULL)  # fmt: skip
    os.close(follower)
    return proc, leader


def _read_pty(leader: int, until: bytes, timeout: float) -> bytes:
    import select

    seen, end = b"", time.monotonic() + timeout
    while until not in seen and time.monotonic() < end:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                seen += os.read(leader, 4096)
            except OSError:  # the process closed the terminal
                break
    return seen


def _wait_for_temporary(folder: Path, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not listing(folder) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.01)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_interrupted_transcode_leaves_nothing(how: str, large: Path, tmp_path: Path) -> None:
    """On a terminal the bar shows frames and MB/s once the work passes a second; Ctrl-C (or SIGTERM) then
    removes the temporary file, and no OUT appears."""
    out = tmp_path / "out"
    out.mkdir()
    proc, leader = _start_on_pty(["transcode", large, out / "large.dcm", "--to", "deflate", "--level", "9",
                                  "--threads", "1"])  # fmt: skip
    try:
        shown = _read_pty(leader, b"frame", timeout=30)
        assert b"large.dcm" in shown and b"/120 [" in shown, shown
        assert [p.startswith(".large.dcm.") for p in listing(out)] == [True]  # the temporary file, hidden
        proc.send_signal(getattr(signal, how))
        assert proc.wait(timeout=60) == 130
        assert b"framecodec: interrupted" in _read_pty(leader, b"interrupted", timeout=5)
    finally:
        proc.kill()
        os.close(leader)
    assert listing(out) == []


def test_killed_transcode_never_leaves_a_half_written_output(large: Path, tmp_path: Path) -> None:
    """SIGKILL cannot be cleaned up after: the temporary file may remain, OUT is absent or complete. With
    --quiet no bar is drawn even on a terminal."""
    out = tmp_path / "out"
    out.mkdir()
    proc, leader = _start_on_pty(["transcode", "-q", large, out / "large.dcm", "--to", "deflate", "--level", "9",
                                  "--threads", "1"])  # fmt: skip
    try:
        _wait_for_temporary(out, proc)
        assert _read_pty(leader, b"frame", timeout=1.5) == b""  # past the bar's one-second delay
        proc.kill()
        proc.wait(timeout=30)
    finally:
        os.close(leader)
    left = listing(out)
    assert all(p.startswith(".large.dcm.") for p in left) or left == ["large.dcm"]
    if "large.dcm" in left:
        assert_identical(fc.pixel_array(out / "large.dcm"), fc.pixel_array(large))


def test_progress_only_on_a_terminal_and_not_quiet() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert _common.shows_progress(False, Terminal())
    assert not _common.shows_progress(True, Terminal())
    assert not _common.shows_progress(False, io.StringIO())
    stream = Terminal()
    with _common.Progress(4, "f.dcm", quiet=False, stream=stream, delay=0) as bar:
        bar.set_stage("f.dcm", "decode 2/4")
        bar.advance(4, 8_000_000)
    text = stream.getvalue()
    assert "f.dcm" in text and "4/4" in text and "MB/s" in text and "frame" in text
    stream = Terminal()
    with _common.Progress(4, "f.dcm", quiet=False, stream=stream, delay=60) as bar:  # work shorter than the delay
        bar.set_stage("f.dcm", "decode")
        bar.advance(4, 100)
    assert stream.getvalue() == ""


def test_interruptible_returns_and_raises() -> None:
    assert _common.interruptible(sum, [1, 2], start=3) == 6
    with pytest.raises(fc.DecodeError, match="bad"):
        _common.interruptible(lambda: (_ for _ in ()).throw(fc.DecodeError("bad")))
    assert not _common.work_abandoned()


# --- bench ---------------------------------------------------------------------------------------------


def test_bench_prints_the_table() -> None:
    r = cli("bench", "--repeat", "1", "--scale", "0.05", "--threads", "2")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "RLE Lossless, 2 RGB tiles 240x240: decode" in out and "Deflated Image Frame" in out
    assert "framecodec.pixel_array, 2 threads" in out and "framecodec.pixel_array, 1 thread" in out
    assert "pydicom pixel_array, plugin 'pydicom'" in out and "dcmread + Python zlib + numpy" in out
    assert "framecodec.compress, 1 thread" in out and "Python zlib + numpy + pydicom encapsulate" in out
    one_thread = [line for line in out.splitlines() if "1 thread" in line]
    assert one_thread and all(line.rstrip().endswith("1.00x") for line in one_thread)


# --- decode: selections of no frame; info: native pixels have no ratio ----------------------------------------


@pytest.mark.parametrize("spec", ["5:2", "3:3", "20:", "-1:0", "9:9:2"])
def test_decode_a_selection_of_no_frame_is_a_usage_error(spec: str, ybr_deflate: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "out.npy"
    code, stdout, stderr = run_main(capsys, "decode", ybr_deflate, "-o", out, f"--frames={spec}")
    assert (code, stdout) == (2, "")
    assert stderr == f"framecodec decode: error: --frames {spec} selects no frames of the 10\n"
    assert listing(tmp_path) == []  # no OUT, no temporary file


def test_decode_a_selection_of_no_frame_exits_2(ybr_deflate: Path, tmp_path: Path) -> None:
    r = cli("decode", ybr_deflate, "-o", tmp_path / "out.npy", "--frames", "5:2")
    assert r.returncode == 2 and r.stderr == "framecodec decode: error: --frames 5:2 selects no frames of the 10\n"
    assert listing(tmp_path) == []


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
