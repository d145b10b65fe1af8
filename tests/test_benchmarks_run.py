"""The benchmarks still run, and their own correctness checks pass (timing disabled: no figures here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_benchmarks_run_once() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", str(BENCHMARKS), "-q", "-p", "no:cacheprovider", "--benchmark-disable"],
        capture_output=True, text=True, timeout=600, cwd=BENCHMARKS.parent,
    )
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    assert " passed" in r.stdout
