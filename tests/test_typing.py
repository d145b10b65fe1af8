"""The shipped stubs match the extension module (names, signatures, defaults)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).with_name("stubtest_allowlist.txt")


def test_stubs_match_extension() -> None:
    pytest.importorskip("mypy", reason="mypy is a test extra")
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "framecodec._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_type_checks_strict() -> None:
    pytest.importorskip("mypy", reason="mypy is a test extra")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "-p", "framecodec"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stdout + r.stderr
