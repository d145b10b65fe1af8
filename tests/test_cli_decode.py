"""``python -m framecodec decode``: frame selections, raw output, batches and failures.

Test files are built with pydicom (tests/datasets.py, never with framecodec), JPEG files with DCMTK when it
is installed. Expected values come from pydicom (its own decoders where it has them) and FrameReader.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from cli_util import cli, listing, run_main, write
from datasets import RLE, Layout, assert_identical, reference

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
    assert (
        r.stderr
        == f"framecodec: {ybr_deflate}: cannot write {tmp_path}/no/such/folder.npy: No such file or directory\n"
    )
    copy = tmp_path / "copy.dcm"
    shutil.copy(ybr_deflate, copy)
    r = cli("decode", copy, "-o", copy)
    assert r.returncode == 2 and "is the input file itself" in r.stderr
    assert copy.read_bytes() == ybr_deflate.read_bytes()
