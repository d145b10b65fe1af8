"""The command line on a terminal: progress display, interruption (SIGINT) and killing, which must
never leave a half-written output.

Test files are built with pydicom (tests/datasets.py, never with framecodec), JPEG files with DCMTK when it
is installed. Expected values come from pydicom (its own decoders where it has them) and FrameReader.
"""

from __future__ import annotations

import io
import os
import pty
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from cli_util import listing
from datasets import EXPLICIT, Layout, assert_identical, dataset, save
from framecodec.cli import _common


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
    proc = subprocess.Popen(
        [sys.executable, "-m", "framecodec", *map(str, args)], stderr=follower, stdout=subprocess.DEVNULL
    )
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
    proc, leader = _start_on_pty(
        ["transcode", large, out / "large.dcm", "--to", "deflate", "--level", "9", "--threads", "1"]
    )
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
    proc, leader = _start_on_pty(
        ["transcode", "-q", large, out / "large.dcm", "--to", "deflate", "--level", "9", "--threads", "1"]
    )
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
