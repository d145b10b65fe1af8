"""The built-in example runs, checks itself and reports success."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_verifies() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "framecodec", "demo", "--frames", "6", "--size", "96"],
        capture_output=True, text=True, timeout=300,
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
