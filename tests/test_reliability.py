"""Issue 18's broken promises, each with the regression test that failed before its fix: Float Pixel Data through
every path, a pickled FrameReader of a file rewritten with the same size and time, devices and FIFOs given to
transcode, an output folder that cannot be made, and a full disk / file-size limit named by its output."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import framecodec as fc
from datasets import RLE, Layout, dataset, make_pixels, save


def cli(*args: Any, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "framecodec", *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


def float_file(path: Path, double: bool) -> np.ndarray:
    """A Parametric Map-like file of 3 frames of Float (or Double Float) Pixel Data; returns the pixels."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.30"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = 4, 5, 1, 3
    ds.BitsAllocated = 64 if double else 32
    ds.PhotometricInterpretation = "MONOCHROME2"
    arr = (np.arange(60).reshape(3, 4, 5) / 7 - 3).astype("<f8" if double else "<f4")
    if double:
        ds.DoubleFloatPixelData = arr.tobytes()
    else:
        ds.FloatPixelData = arr.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return arr


@pytest.mark.parametrize("double", [False, True], ids=["float", "double"])
def test_float_pixel_data_through_every_path(double: bool, tmp_path: Path) -> None:
    path = tmp_path / "f.dcm"
    arr = float_file(path, double)
    assert np.array_equal(fc.pixel_array(path), arr)
    with open(path, "rb") as f:
        assert np.array_equal(fc.pixel_array(f), arr)
    assert np.array_equal(np.stack(list(fc.iter_pixels(path))), arr)
    with fc.FrameReader(path) as r:
        assert r.dtype == arr.dtype and r.shape == (4, 5) and len(r) == 3
        assert np.array_equal(r[1], arr[1]) and np.array_equal(r.read(), arr)
    info = cli("info", path)
    assert info.returncode == 0, info.stderr
    assert "float" in info.stdout and "pydicom" in info.stdout
    decoded = cli("decode", path, "-o", tmp_path / "f.npy")
    assert decoded.returncode == 0, decoded.stderr
    assert np.array_equal(np.load(tmp_path / "f.npy"), arr)
    with pytest.raises(ValueError, match="Float Pixel Data cannot be transcoded"):
        fc.transcode(path, tmp_path / "out.dcm", "rle")
    assert not (tmp_path / "out.dcm").exists()


def test_a_pickled_reader_refuses_a_file_rewritten_with_the_same_size_and_time(tmp_path: Path) -> None:
    layout = Layout(frames=3, rows=16, columns=16)
    path = Path(save(dataset(make_pixels(layout, 1), layout, RLE), tmp_path / "a.dcm"))
    other = Path(save(dataset(make_pixels(layout, 2), layout, RLE), tmp_path / "b.dcm"))
    reader = fc.FrameReader(path)
    data = pickle.dumps(reader)
    st = os.stat(path)
    new = other.read_bytes()
    if len(new) != st.st_size:
        pytest.skip(f"the two RLE files differ in size ({len(new)} and {st.st_size} bytes): the test needs equal sizes")
    with open(path, "r+b") as f:  # rewritten in place: the same inode and size
        f.write(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old modification time
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns
    with pytest.raises(OSError, match="changed since its FrameReader was pickled"):
        pickle.loads(data)


@pytest.mark.parametrize("kind", ["char-device", "fifo"])
def test_transcode_reports_a_device_or_fifo_and_does_the_others(kind: str, tmp_path: Path) -> None:
    layout = Layout(frames=2, rows=8, columns=8)
    good = Path(save(dataset(make_pixels(layout, 3), layout, RLE), tmp_path / "good.dcm"))
    if kind == "fifo":
        special = tmp_path / "pipe.dcm"
        os.mkfifo(special)
    else:
        special = Path("/dev/zero")
        if not special.exists():
            pytest.skip("no /dev/zero on this system")
    out = tmp_path / "out"
    r = cli("transcode", special, good, out, "--to", "deflate", timeout=60)  # hung forever before the fix
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"framecodec: {special}: not a regular file but "), r.stderr
    assert sorted(os.listdir(out)) == ["good.dcm"]
    with pytest.raises(OSError, match="not a regular file"):
        fc.transcode(special, tmp_path / "lib.dcm", "rle")


def test_transcode_into_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    layout = Layout(frames=2, rows=8, columns=8)
    a = Path(save(dataset(make_pixels(layout, 3), layout, RLE), tmp_path / "a.dcm"))
    b = Path(save(dataset(make_pixels(layout, 4), layout, RLE), tmp_path / "b.dcm"))
    blocker = tmp_path / "file"
    blocker.write_bytes(b"x")
    r = cli("transcode", a, b, blocker / "out", "--to", "rle")  # a folder under a regular file
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and f"cannot make the output folder {blocker / 'out'}" in r.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as Linux has them")
def test_a_file_size_limit_names_the_output_in_one_line(tmp_path: Path) -> None:
    """EFBIG (as ENOSPC): exit 1, one line naming the output and why, nothing left behind, the old output intact."""
    layout = Layout(frames=40, rows=64, columns=64)
    src = Path(save(dataset(make_pixels(layout, 5), layout, RLE), tmp_path / "in.dcm"))
    out = tmp_path / "out.dcm"
    out.write_bytes(b"the old output")
    code = f"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of the process being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
from framecodec.cli import main
sys.exit(main(["transcode", {str(src)!r}, {str(out)!r}, "--to", "explicit"]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines == [f"framecodec: {src}: cannot write {out}: File too large"], r.stderr
    assert out.read_bytes() == b"the old output"
    assert sorted(os.listdir(tmp_path)) == ["in.dcm", "out.dcm"]


def test_region_to_dask_refuses_a_non_integer_plane(tmp_path: Path) -> None:
    """As read_region: a float focal plane or optical path passes the range check and would match no frame."""
    pytest.importorskip("dask")
    from framecodec._synthetic.slides import SlideSpec, write_slide
    from framecodec.dask import region_to_dask

    path = tmp_path / "slide.dcm"
    write_slide(path, SlideSpec(tile=16, width=40, height=30))
    with pytest.raises(TypeError, match="focal_plane must be an int"):
        region_to_dask(path, focal_plane=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="optical_path must be an int"):
        region_to_dask(path, optical_path=1.5)  # type: ignore[arg-type]
