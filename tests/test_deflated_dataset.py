"""Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99, PS3.5 A.5): the whole data set after the file meta
is one raw deflate stream. ``pixel_array`` and ``FrameReader`` inflate it to a temporary file and decode its
native frames in the engine; a pydicom ``Dataset`` read from such a file (pydicom inflates it) decodes as native.

References never come from framecodec: pydicom's own decode of ``image_dfl.dcm`` is computed in a subprocess that
never imports framecodec, and the files written here hold numpy arrays whose values are the reference. Corrupt,
truncated and over-long streams raise ``ValueError`` naming the file and leave no temporary file open, mapped or
on disk; inflating 200 MB of Pixel Data raises peak RSS by a small fraction of that.
"""

from __future__ import annotations

import errno
import gc
import io
import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian

import framecodec as fc
from datasets import Layout, assert_identical, base_dataset, make_pixels, native_dataset

DEFLATED = "1.2.840.10008.1.2.1.99"
assert DeflatedExplicitVRLittleEndian == DEFLATED
PACKAGE_PARENT = str(Path(fc.__file__).resolve().parent.parent)  # what a subprocess needs to import framecodec

LAYOUTS = {
    "grey8": Layout(9, 11, frames=7),
    "bits1-7x9": Layout(7, 9, bits=1, frames=6),  # 63 bits a frame: frames start inside bytes
    "int16-stored12": Layout(6, 5, bits=16, stored=12, signed=True, frames=5),
    "rgb8-planar": Layout(4, 6, samples=3, planar=1, frames=3),
    "uint32": Layout(3, 4, bits=32, frames=4),
    "single": Layout(6, 5),
}


# --- helpers -----------------------------------------------------------------------------------------


def image_dfl() -> Path:
    from pydicom.data import get_testdata_file

    path = get_testdata_file("image_dfl.dcm")
    if path is None:
        pytest.skip("pydicom's test file image_dfl.dcm is not installed")
    return Path(str(path))


def pydicom_reference(path: Path, tmp_path: Path) -> npt.NDArray[Any]:
    """pydicom's ``dcmread(path).pixel_array`` in a process that never imports framecodec (which would put its
    plugins first), so the reference is pydicom's own."""
    out = tmp_path / "reference.npy"
    code = (
        "import sys, numpy, pydicom\n"
        "arr = pydicom.dcmread(sys.argv[1]).pixel_array\n"
        "assert 'framecodec' not in sys.modules, 'framecodec was imported'\n"
        "numpy.save(sys.argv[2], arr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", code, str(path), str(out)], check=True, env=env, timeout=120)
    arr: npt.NDArray[Any] = np.load(out)
    return arr


def write_deflated(path: Path, layout: Layout, seed: int = 0, garbage: int | None = None) -> npt.NDArray[Any]:
    """A file written by pydicom's ``save_as`` in Deflated Explicit VR Little Endian; returns its pixels."""
    arr = make_pixels(layout, seed)
    ds = native_dataset(arr, layout, DeflatedExplicitVRLittleEndian, garbage=garbage)
    ds.PatientName = "Deflated^Test"
    ds.save_as(path, enforce_file_format=True)
    assert pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID == DEFLATED
    return arr


def stream_bounds(path: Path) -> tuple[int, int]:
    """Where the deflate stream of a deflated file starts and ends (pydicom and zlib, not framecodec)."""
    data = path.read_bytes()
    meta = pydicom.filereader.read_file_meta_info(path)
    start = 132 + 12 + int(meta.FileMetaInformationGroupLength)  # PS3.10 7.1: preamble, DICM, (0002,0000), group
    d = zlib.decompressobj(-15)
    d.decompress(data[start:])
    assert d.eof
    return start, len(data) - len(d.unused_data)


def frames_of(arr: npt.NDArray[Any], layout: Layout) -> npt.NDArray[Any]:
    return arr if layout.frames > 1 else arr[None]


# --- reading -------------------------------------------------------------------------------------------


def test_image_dfl_equals_pydicoms_own_decode(tmp_path: Path) -> None:
    path = image_dfl()
    ref = pydicom_reference(path, tmp_path)
    assert ref.shape == (512, 512)
    for source in (path, str(path), os.fsencode(path), pydicom.dcmread(path)):
        assert_identical(fc.pixel_array(source), ref)
    with open(path, "rb") as f:
        f.seek(17)
        assert_identical(fc.pixel_array(f), ref)
        assert f.tell() == 17  # the caller's file is left where it was
    assert_identical(np.stack(list(fc.iter_pixels(path))), ref[None])
    with fc.FrameReader(path) as reader:
        assert reader.transfer_syntax == DEFLATED and reader.codec == "native"
        assert len(reader) == 1 and reader.shape == (512, 512) and reader.dtype == np.uint8
        assert_identical(reader[0], ref)
        assert_identical(reader.read(), ref)
        assert bytes(reader.raw(0)) == ref.tobytes()
        ds = reader.dataset  # read by pydicom from the path
        assert ds.file_meta.TransferSyntaxUID == DEFLATED and ds.Rows == 512 and "PixelData" not in ds


@pytest.mark.parametrize("name", LAYOUTS)
def test_file_written_by_pydicom(tmp_path: Path, name: str) -> None:
    layout = LAYOUTS[name]
    path = tmp_path / "deflated.dcm"
    arr = write_deflated(path, layout, garbage=0xFFFF if layout.bits_stored < layout.bits else None)
    assert_identical(fc.pixel_array(path), arr)
    assert_identical(fc.pixel_array(pydicom.dcmread(path)), arr)  # pydicom inflates, the engine decodes
    with open(path, "rb") as f:
        assert_identical(fc.pixel_array(f), arr)
    frames = frames_of(arr, layout)
    n = layout.frames
    picks = [n - 1, 0, n // 2, n - 1]
    assert_identical(fc.pixel_array(path, picks), frames[picks])
    with fc.FrameReader(path) as reader:
        assert reader.transfer_syntax == DEFLATED and reader.codec == "native" and len(reader) == n
        for i in (0, n - 1, -1, n // 2):
            assert_identical(reader[i], frames[i])
        assert_identical(reader[picks], frames[picks])
        assert_identical(reader[1:], frames[1:])
        assert_identical(np.stack(list(reader)), frames)
        assert reader.dataset.PatientName == "Deflated^Test"


def test_dataset_from_a_deflated_file_is_decoded_as_native(tmp_path: Path) -> None:
    layout = LAYOUTS["int16-stored12"]
    path = tmp_path / "deflated.dcm"
    arr = write_deflated(path, layout, garbage=0xFFFF)
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == DEFLATED
    with fc.FrameReader(path) as reader:  # the same data set from the file: the engine decodes it natively
        assert reader.codec == "native"
    assert_identical(fc.pixel_array(ds, [4, 1]), arr[[4, 1]])


def test_a_syntax_pydicom_decodes_from_a_deflated_file(tmp_path: Path) -> None:
    """Native YBR_FULL_422 goes to pydicom (it resamples the chroma); pydicom 3.0 reads a deflated file's Pixel
    Data only from a Dataset, which framecodec reads for it."""
    layout = Layout(4, 6, samples=3, photometric="YBR_FULL_422")
    ds = base_dataset(layout, DEFLATED)
    ds.PixelData = bytes(range(48))  # 4:2:2, two bytes a pixel (PS3.3 C.7.6.3.1.2)
    ds["PixelData"].VR = "OB"
    path = tmp_path / "ybr422.dcm"
    ds.save_as(path, enforce_file_format=True)
    ref = pydicom_reference(path, tmp_path)
    assert_identical(fc.pixel_array(path), ref)
    with fc.FrameReader(path) as reader:
        assert reader.codec is None and reader.transfer_syntax == DEFLATED
        assert_identical(reader[0], ref)


def test_a_pad_byte_or_a_gzip_trailer_after_the_stream_is_accepted(tmp_path: Path) -> None:
    layout = LAYOUTS["grey8"]
    path = tmp_path / "deflated.dcm"
    arr = write_deflated(path, layout)
    data = path.read_bytes()
    start, end = stream_bounds(path)
    inflated = zlib.decompress(data[start:end], -15)
    gzip_trailer = struct.pack("<II", zlib.crc32(inflated), len(inflated))  # RFC 1952, as image_dfl.dcm has
    for tail in (b"", b"\x00", gzip_trailer, gzip_trailer + b"\x00"):
        path.write_bytes(data[:end] + tail)
        assert_identical(fc.pixel_array(path), arr)


def test_pickled_reader_reopens_in_another_process(tmp_path: Path) -> None:
    layout = LAYOUTS["int16-stored12"]
    path = tmp_path / "deflated.dcm"
    arr = write_deflated(path, layout)
    with fc.FrameReader(path) as reader:
        blob = pickle.dumps(reader)
    again = pickle.loads(blob)
    assert again.transfer_syntax == DEFLATED
    assert_identical(again[[3, 0]], arr[[3, 0]])
    out = tmp_path / "frames.npy"
    code = (
        "import pickle, sys, numpy\n"
        "reader = pickle.loads(sys.stdin.buffer.read())\n"
        "numpy.save(sys.argv[1], reader[[4, 2, 0]])\n"
        "print(reader.transfer_syntax)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)], input=blob, capture_output=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == DEFLATED
    assert_identical(np.load(out), arr[[4, 2, 0]])
    # the identity check by size and modification time of the original file stays
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    with pytest.raises(OSError) as e:
        pickle.loads(blob)
    assert e.value.errno == errno.ESTALE


# --- bad streams ---------------------------------------------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    """Broken deflated files: (their bytes, what the message says)."""
    path = tmp_path / "good.dcm"
    write_deflated(path, LAYOUTS["grey8"])
    data = path.read_bytes()
    start, end = stream_bounds(path)
    dfl = image_dfl().read_bytes()
    return {
        # first byte 0xFF: BFINAL 1, BTYPE 11, the reserved block type (RFC 1951 3.2.3)
        "corrupt": (data[:start] + b"\xff" + data[start + 1 :], "invalid block type"),
        "truncated": (data[: (start + end) // 2], "ends early"),
        "cut-after-meta": (data[:start], "ends early"),
        "trailing-data": (data[:end] + b"more bytes", "10 bytes follow the end of its deflate stream"),
        "wrong-gzip-trailer": (dfl[:-1] + bytes([dfl[-1] ^ 1]), "8 bytes follow the end of its deflate stream"),
    }


@pytest.mark.parametrize("case", ["corrupt", "truncated", "cut-after-meta", "trailing-data", "wrong-gzip-trailer"])
def test_bad_stream_raises_value_error_naming_the_file(tmp_path: Path, case: str) -> None:
    data, why = _bad_files(tmp_path)[case]
    path = tmp_path / f"{case}.dcm"
    path.write_bytes(data)
    message = f"the deflated data set of {re.escape(str(path))} is corrupt: .*{why}"
    with pytest.raises(ValueError, match=message):
        fc.pixel_array(path)
    with pytest.raises(ValueError, match=message):
        fc.FrameReader(path)
    with pytest.raises(ValueError, match=message), open(path, "rb") as f:
        fc.pixel_array(f)
    with pytest.raises(ValueError, match="the deflated data set of the file is corrupt"):
        fc.pixel_array(io.BytesIO(data))


def _our_temporary_files(folder: Path) -> list[str]:
    """This process's open files and memory maps in ``folder``: an anonymous temporary file is never listed in
    its folder (O_TMPFILE, or unlinked at once) but shows in /proc as long as it is open or mapped."""
    found = [line for line in Path("/proc/self/maps").read_text().splitlines() if str(folder) in line]
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found + [str(folder / name) for name in os.listdir(folder)]


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see open and mapped files")
def test_no_temporary_file_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    bad = _bad_files(tmp_path)
    good = tmp_path / "good.dcm"
    # the check sees the temporary file while a reader holds it, and sees it gone after
    reader = fc.FrameReader(good)
    assert _our_temporary_files(folder), "the inflated data set is not in the temporary folder"
    frame = reader[0]
    reader.close()
    del reader
    gc.collect()
    assert _our_temporary_files(folder) == []
    assert frame.shape == (9, 11)
    fc.pixel_array(good)
    assert _our_temporary_files(folder) == []
    for case, (data, _) in bad.items():
        path = tmp_path / f"{case}.dcm"
        path.write_bytes(data)
        with pytest.raises(ValueError):
            fc.pixel_array(path)
        with pytest.raises(ValueError):
            fc.FrameReader(path)
        assert _our_temporary_files(folder) == [], case


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see open and mapped files")
def test_a_full_disk_raises_os_error_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    real = tempfile.TemporaryFile

    class Full(io.BufferedRandom):
        def write(self, b: Any) -> int:
            if self.tell() + len(b) > 1000:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return super().write(b)

    monkeypatch.setattr(tempfile, "TemporaryFile", lambda: Full(real(buffering=0)))
    path = tmp_path / "deflated.dcm"
    write_deflated(path, LAYOUTS["grey8"])
    with pytest.raises(OSError, match=f"deflated data set of {re.escape(str(path))} cannot be inflated") as e:
        fc.FrameReader(path)
    assert e.value.errno == errno.ENOSPC
    assert _our_temporary_files(folder) == []


# --- memory --------------------------------------------------------------------------------------------

_RSS_SCRIPT = """
import os, resource, sys

# Linux keeps ru_maxrss across exec: this process starts with the peak of the process that started it (pytest,
# after hundreds of tests). A child forked here starts from this small interpreter's, so it measures.
pid = os.fork()
if pid:
    sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

import numpy as np
import framecodec as fc

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux

path = sys.argv[1]
before = peak()
with fc.FrameReader(path) as reader:
    assert len(reader) == 50 and reader.shape == (2000, 2000) and reader.transfer_syntax == "1.2.840.10008.1.2.1.99"
    first, last = reader[0], reader[-1]
    assert not first.any() and not last.any()
opened = peak()
whole = fc.pixel_array(path)  # the control: 200 MB decoded into one array shows in the measurement
assert whole.shape == (50, 2000, 2000) and not whole.any()
print(opened - before, peak() - before)
"""


def test_inflating_200_mb_keeps_peak_rss_small(tmp_path: Path) -> None:
    """A data set whose Pixel Data is 200 MB of zeros (about 200 kB deflated), written here without holding it:
    opening it with FrameReader and reading two frames raise peak RSS by far less than 200 MB."""
    if sys.platform != "linux":
        pytest.skip("ru_maxrss is in kB on Linux only")
    layout = Layout(2000, 2000, frames=50)
    ds = base_dataset(layout, DEFLATED)
    meta = DicomBytesIO()
    write_file_meta_info(meta, ds.file_meta, enforce_standard=True)
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, Dataset(ds))
    size = 50 * 2000 * 2000
    body.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, size))  # PS3.5 7.1.2: Pixel Data, OB
    path = tmp_path / "zeros.dcm"
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    written = 0
    with open(path, "wb") as f:
        f.write(b"\x00" * 128 + b"DICM" + meta.getvalue())
        written += f.write(deflate.compress(body.getvalue()))
        zeros = bytes(4 << 20)
        for start in range(0, size, len(zeros)):
            written += f.write(deflate.compress(zeros[: min(len(zeros), size - start)]))
        written += f.write(deflate.flush())
        if written % 2:
            f.write(b"\x00")
    assert path.stat().st_size < 1 << 20
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    opened, control = map(int, done.stdout.split())
    assert control > 150e6, f"the measurement does not see a 200 MB array ({control / 1e6:.0f} MB)"
    assert opened < 48e6, f"inflating 200 MB raised peak RSS by {opened / 1e6:.0f} MB"
