"""The built-in example runs, checks itself and reports success; ``framecodec demo --files DIR`` writes the example
files, which pydicom's own decoders (or zlib and numpy where pydicom 3.0 has none) read as the generators made them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest

import framecodec as fc
from datasets import DEFLATE, RLE, assert_identical, reference
from framecodec._synthetic.frames import ct_frame, segmentation_frame

NAMES = ["slide.dcm", "seg.dcm", "ct.dcm"]
WSI = "1.2.840.10008.5.1.4.1.1.77.1.6"  # VL Whole Slide Microscopy Image Storage


# framecodec needs numpy and pydicom only: the example files are written without any of the tests' or the
# benchmarks' packages (None in sys.modules makes their import fail), Pillow and the other encoders included.
WITHOUT_EXTRAS = """
import sys
for name in ("PIL", "openjpeg", "imagecodecs", "jpeg_ls", "rle", "pylibjpeg", "wsidicom", "openslide", "highdicom",
             "pytest", "hypothesis", "dask", "fsspec", "matplotlib", "skimage"):
    sys.modules[name] = None
from framecodec.cli import main
sys.exit(main(sys.argv[1:]))
"""


def demo(*args: str, without_extras: bool = False) -> subprocess.CompletedProcess[str]:
    launch = ["-c", WITHOUT_EXTRAS] if without_extras else ["-m", "framecodec"]
    return subprocess.run([sys.executable, *launch, "demo", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "examples" / "new"  # missing: the command makes it
    r = demo("--files", str(folder), without_extras=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [str(folder / name) for name in NAMES]
    return folder


def test_demo_runs_and_verifies() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "framecodec", "demo", "--frames", "6", "--size", "96"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Deflated Image Frame" in r.stdout
    assert "bit-exact, and identical to Python's zlib and numpy: yes" in r.stdout
    assert "One call, path -> array of all 6 frames" in r.stdout
    # pydicom 3.1 (or a plugin) decodes the file and is compared; pydicom 3.0.x alone cannot, and says so
    assert (
        "framecodec.pixel_array equals the frames and ds.pixel_array: yes" in r.stdout
        or "framecodec.pixel_array equals the frames (pydicom not compared): yes" in r.stdout
    )
    assert "RLE Lossless (1.2.840.10008.1.2.5)" in r.stdout
    assert "RLE round trip bit-exact, and identical to pydicom's RLE codec: yes" in r.stdout


def test_cli_requires_a_command() -> None:
    r = subprocess.run([sys.executable, "-m", "framecodec"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage" in r.stderr


def test_files_written_whole(examples: Path) -> None:
    # the three, and no temporary file left beside them
    assert sorted(p.name for p in examples.iterdir()) == sorted(NAMES)


def test_slide_geometry_and_pixels(examples: Path) -> None:
    path = examples / "slide.dcm"
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == WSI and ds.file_meta.TransferSyntaxUID == DEFLATE
    assert ds.DimensionOrganizationType == "TILED_FULL"
    assert (ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation) == (256, 256, 3, "RGB")
    frames = int(ds.NumberOfFrames)
    assert 200 <= frames < 1000
    across, down = -(-ds.TotalPixelMatrixColumns // 256), -(-ds.TotalPixelMatrixRows // 256)
    assert across * down == frames  # TILED_FULL, one focal plane and optical path: every tile a frame
    # the Extended Offset Table, one 64-bit offset and length per frame (PS3.3 C.7.6.3.1.8); the Basic one empty
    assert len(ds.ExtendedOffsetTable) == len(ds.ExtendedOffsetTableLengths) == 8 * frames
    expected = reference(path)  # zlib and numpy on pydicom 3.0, pydicom's own plugin on 3.1
    assert expected.shape == (frames, 256, 256, 3)
    assert_identical(fc.pixel_array(path), expected)


def test_segmentation_pixels(examples: Path) -> None:
    path = examples / "seg.dcm"
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == DEFLATE and ds.BitsAllocated == 1
    assert (int(ds.NumberOfFrames), ds.Rows, ds.Columns) == (100, 512, 512)
    expected = reference(path)
    assert_identical(expected, np.stack([segmentation_frame(i, 512) for i in range(100)]))
    assert_identical(fc.pixel_array(path), expected)


def test_ct_pixels(examples: Path) -> None:
    path = examples / "ct.dcm"
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == RLE
    assert (ds.BitsAllocated, ds.BitsStored, ds.PixelRepresentation) == (16, 12, 1)
    assert (int(ds.NumberOfFrames), ds.Rows, ds.Columns) == (50, 512, 512)
    expected = reference(path, decoding_plugin="pydicom")
    assert_identical(expected, np.stack([ct_frame(i, 512) for i in range(50)]))
    assert_identical(fc.pixel_array(path), expected)


def test_files_into_a_file_refused(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_bytes(b"mine")
    r = demo("--files", str(target))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "exists and is not a folder" in r.stderr and r.stdout == ""
    assert target.read_bytes() == b"mine"
