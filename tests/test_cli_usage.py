"""The command line's usage: help, usage errors and their exit status, the console script, ``bench``.

Test files are built with pydicom (tests/datasets.py, never with framecodec), JPEG files with DCMTK when it
is installed. Expected values come from pydicom (its own decoders where it has them) and FrameReader.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_util import cli, listing, run_main, write
from datasets import EXPLICIT, RLE, Layout


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


@pytest.mark.parametrize("spec", ["5:2", "3:3", "20:", "-1:0", "9:9:2"])
def test_decode_a_selection_of_no_frame_is_a_usage_error(
    spec: str, ybr_deflate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.npy"
    code, stdout, stderr = run_main(capsys, "decode", ybr_deflate, "-o", out, f"--frames={spec}")
    assert (code, stdout) == (2, "")
    assert stderr == f"framecodec decode: error: --frames {spec} selects no frames of the 10\n"
    assert listing(tmp_path) == []  # no OUT, no temporary file


def test_decode_a_selection_of_no_frame_exits_2(ybr_deflate: Path, tmp_path: Path) -> None:
    r = cli("decode", ybr_deflate, "-o", tmp_path / "out.npy", "--frames", "5:2")
    assert r.returncode == 2 and r.stderr == "framecodec decode: error: --frames 5:2 selects no frames of the 10\n"
    assert listing(tmp_path) == []
