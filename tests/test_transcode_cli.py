"""The command line's transcode on top of the library (issue 17): the library never imports the command line,
tqdm is optional, pydicom's warnings are shown once per file, errors read as ``info``'s and ``decode``'s do,
``transcode_files`` reports progress by file. Files are built with pydicom (tests/datasets.py)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from datasets import DEFLATE, EXPLICIT, RLE, Layout, dataset, make_pixels, save

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "framecodec"


def write(folder: Path, name: str, layout: Layout, ts: str, seed: int = 0, **attrs: Any) -> Path:
    ds = dataset(make_pixels(layout, seed), layout, ts)
    for keyword, value in attrs.items():
        setattr(ds, keyword, value)
    return Path(save(ds, folder / name))


def run(*args: Any, env: dict[str, str] | None = None, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "framecodec", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_no_library_module_imports_the_command_line() -> None:
    """Static: no module outside cli/ imports cli (the import circle of _dask_transcode and cli.transcode is gone),
    and none imports tqdm."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE).parts or path.name == "__main__.py":  # the command line itself
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name in (".cli", "framecodec.cli", "cli") or name.startswith((".cli.", "framecodec.cli.", "tqdm")):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_the_library_runs_without_tqdm(tmp_path: Path) -> None:
    """With tqdm unimportable, the library, framecodec.dask's transcode and the command line all work (no bar)."""
    src = write(tmp_path, "in.dcm", Layout(frames=3, rows=8, columns=8), RLE)
    code = f"""
import sys
sys.modules["tqdm"] = None  # import tqdm raises ImportError
import framecodec, framecodec.dask
from framecodec.cli import main
framecodec.transcode({str(src)!r}, {str(tmp_path / "lib.dcm")!r}, "deflate")
status = main(["transcode", {str(src)!r}, {str(tmp_path / "cli.dcm")!r}, "--to", "explicit"])
assert "tqdm" not in sys.modules or sys.modules["tqdm"] is None
print("status", status)
"""
    r = run(code=code)
    assert r.returncode == 0, r.stderr
    assert "status 0" in r.stdout
    src_pixels = pydicom.pixels.pixel_array(src, decoding_plugin="pydicom")
    assert np.array_equal(pydicom.pixels.pixel_array(tmp_path / "cli.dcm"), src_pixels)


def mislabelled(path: Path, seed: int) -> Path:
    """A file whose file meta says Explicit VR Little Endian but whose data set is implicit VR: pydicom reads it
    (as implicit) with a warning."""
    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset, write_file_meta_info

    layout = Layout(frames=2, rows=8, columns=8)
    ds = dataset(make_pixels(layout, seed), layout, EXPLICIT)
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM")
        fp = DicomFileLike(f)
        fp.is_little_endian, fp.is_implicit_VR = True, False
        write_file_meta_info(fp, ds.file_meta, enforce_standard=True)
        fp.is_implicit_VR = True
        write_dataset(fp, ds)
    return path


def test_pydicom_warnings_are_shown_once_per_file(tmp_path: Path) -> None:
    a, b = mislabelled(tmp_path / "a.dcm", 0), mislabelled(tmp_path / "b.dcm", 1)
    with pytest.warns(UserWarning, match="Expected explicit VR, but found implicit VR"):
        pydicom.dcmread(a)
    out = tmp_path / "out"
    r = run("transcode", a, b, out, "--to", "rle")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    for name in (a, b):
        mine = [line for line in lines if line.startswith(f"framecodec: {name}: warning: ")]
        assert mine, r.stderr  # pydicom's warning about the UI value, named with its file
        assert len(mine) == len(set(mine))  # each once
        assert all("\n" not in line and len(line) < 400 for line in mine)
    assert not any("Traceback" in line or "warn_and_log" in line for line in lines), r.stderr
    assert sorted(os.listdir(out)) == ["a.dcm", "b.dcm"]


def test_transcode_errors_read_as_info_and_decode(tmp_path: Path) -> None:
    """A file that is not DICOM, and one whose frame is corrupt: one line naming the file and the problem, no
    advice to use force=True, the frame named."""
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not a dicom file at all" * 10)
    good = write(tmp_path, "good.dcm", Layout(frames=4, rows=16, columns=16), RLE)
    corrupt = tmp_path / "corrupt.dcm"
    data = bytearray(good.read_bytes())
    data[-60:-20] = b"\xff" * 40  # inside the last RLE frame
    corrupt.write_bytes(bytes(data))
    out = tmp_path / "out"
    r = run("transcode", junk, corrupt, good, out, "--to", "deflate")
    assert r.returncode == 1
    assert "force=True" not in r.stderr and "Traceback" not in r.stderr
    junk_lines = [line for line in r.stderr.splitlines() if line.startswith(f"framecodec: {junk}: ")]
    corrupt_lines = [line for line in r.stderr.splitlines() if line.startswith(f"framecodec: {corrupt}: ")]
    assert len(junk_lines) == 1 and len(corrupt_lines) == 1, r.stderr
    assert "frame 3" in corrupt_lines[0]
    info = run("info", junk)
    assert info.returncode == 1 and junk_lines[0].split(": ", 2)[2] in info.stderr  # the same message as info's
    assert sorted(os.listdir(out)) == ["good.dcm"]


def test_transcode_files_reports_progress_by_file(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from framecodec.dask import transcode_files

    files = [write(tmp_path, f"{i}.dcm", Layout(frames=2, rows=8, columns=8), RLE, seed=i) for i in range(3)]
    calls: list[tuple[int, int]] = []
    rows = transcode_files(files, tmp_path / "out", to="deflate", progress=lambda d, n: calls.append((d, n)))
    assert [r.status for r in rows] == ["ok"] * 3
    assert calls and calls[-1] == (3, 3)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    for f, row in zip(files, rows):
        src = pydicom.pixels.pixel_array(f, decoding_plugin="pydicom")
        assert pydicom.dcmread(row.output).file_meta.TransferSyntaxUID == DEFLATE
        import zlib

        got = [
            np.frombuffer(zlib.decompress(fr, -15), np.uint8)
            for fr in pydicom.encaps.generate_frames(pydicom.dcmread(row.output).PixelData, number_of_frames=2)
        ]
        assert np.array_equal(
            np.stack(got).reshape(src.shape).view(src.dtype)
            if src.dtype.itemsize == 1
            else np.stack(got).view(src.dtype).reshape(src.shape),
            src,
        )


def test_deflate_to_deflate_copies_the_streams_unless_a_level_is_given(tmp_path: Path) -> None:
    """Ours to ours of the same pixels keeps the codestreams; --level asks for new ones."""
    layout = Layout(frames=3, rows=32, columns=32)
    ramp = (np.arange(3 * 32 * 32) // 7 % 256).astype(np.uint8).reshape(3, 32, 32)  # compressible: levels differ
    src = Path(save(dataset(ramp, layout, DEFLATE), tmp_path / "in.dcm"))
    r = run("transcode", src, tmp_path / "copy.dcm", "--to", "deflate")
    assert r.returncode == 0, r.stderr
    frames_in = list(pydicom.encaps.generate_frames(pydicom.dcmread(src).PixelData, number_of_frames=3))
    frames_copy = list(
        pydicom.encaps.generate_frames(pydicom.dcmread(tmp_path / "copy.dcm").PixelData, number_of_frames=3)
    )
    assert [bytes(f).rstrip(b"\0") for f in frames_copy] == [bytes(f).rstrip(b"\0") for f in frames_in]
    r = run("transcode", src, tmp_path / "l1.dcm", "--to", "deflate", "--level", "0")  # stored blocks
    assert r.returncode == 0, r.stderr
    frames_l1 = list(pydicom.encaps.generate_frames(pydicom.dcmread(tmp_path / "l1.dcm").PixelData, number_of_frames=3))
    import zlib

    assert [zlib.decompress(f, -15) for f in frames_l1] == [zlib.decompress(f, -15) for f in frames_in]
    assert frames_l1 != frames_copy


def _rle_dataset(n: int) -> tuple[Any, list[bytes], Any]:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import generate_uid

    frames = np.random.default_rng(0).integers(0, 4, (n, 16, 16), dtype=np.uint8)
    encoded = [
        pydicom.pixels.encoders.RLELosslessEncoder.encode(
            f,
            encoding_plugin="pydicom",
            rows=16,
            columns=16,
            samples_per_pixel=1,
            bits_allocated=8,
            bits_stored=8,
            pixel_representation=0,
            photometric_interpretation="MONOCHROME2",
            number_of_frames=1,
        )
        for f in frames
    ]
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLE
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Rows = ds.Columns = 16
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation, ds.NumberOfFrames = 7, 0, n
    return ds, encoded, frames


def test_transcode_of_a_file_with_pydicoms_extended_offset_table(tmp_path: Path) -> None:
    """pydicom's encapsulate_extended gives each item's (even) length: the last frame ends at its item's end."""
    from pydicom.encaps import encapsulate_extended

    ds, encoded, frames = _rle_dataset(3)
    value, eo, el = encapsulate_extended(encoded)
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = value, eo, el
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    src = tmp_path / "eot.dcm"
    ds.save_as(src, enforce_file_format=True)
    from framecodec import transcode

    transcode(src, tmp_path / "out.dcm", "explicit")
    assert np.array_equal(pydicom.pixels.pixel_array(tmp_path / "out.dcm"), frames)


def test_transcode_copies_a_header_element_larger_than_the_deferral_size(tmp_path: Path) -> None:
    """Values over 1 MB are read from the file when written (pydicom's deferred reading)."""
    from pydicom.encaps import encapsulate

    ds, encoded, frames = _rle_dataset(2)
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.EncapsulatedDocument = bytes(range(256)) * 8000  # 2 MB
    src = tmp_path / "big.dcm"
    ds.save_as(src, enforce_file_format=True)
    from framecodec import transcode

    transcode(src, tmp_path / "out.dcm", "deflate")
    out = pydicom.dcmread(tmp_path / "out.dcm")
    assert out.EncapsulatedDocument == ds.EncapsulatedDocument
    import zlib

    got = [zlib.decompress(f, -15) for f in pydicom.encaps.generate_frames(out.PixelData, number_of_frames=2)]
    assert np.array_equal(np.frombuffer(b"".join(got), np.uint8).reshape(frames.shape), frames)


def test_transcode_refuses_an_extended_offset_table_that_does_not_increase(tmp_path: Path) -> None:
    """The stream reads each batch from its first frame's offset to the next batch's: offsets must increase."""
    from pydicom.encaps import encapsulate_extended

    ds, encoded, _ = _rle_dataset(3)
    value, eo, el = encapsulate_extended(encoded)
    offsets = np.frombuffer(eo, "<u8").copy()
    offsets[[1, 2]] = offsets[[2, 1]]
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = value, offsets.tobytes(), el
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    src = tmp_path / "eot.dcm"
    ds.save_as(src, enforce_file_format=True)
    from framecodec import transcode

    with pytest.raises(ValueError, match="do not increase"):
        transcode(src, tmp_path / "out.dcm", "explicit")
    assert sorted(os.listdir(tmp_path)) == ["eot.dcm"]
