"""Helpers shared by the command-line tests (tests/test_cli_*.py): running ``python -m framecodec`` and
writing test files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from datasets import DEFLATE, EXPLICIT, Layout, dataset, make_pixels, save


def cli(*args: Any, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "framecodec", *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    """``framecodec ARGS`` in this process (faster than a subprocess, for the checks that need no process of
    their own): exit status, stdout, stderr."""
    from framecodec.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse's usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, layout: Layout, ts: str, seed: int = 0, **kwargs: Any) -> Path:
    ds = dataset(make_pixels(layout, seed), layout, ts, **kwargs)
    ds.PatientName = "Test^CLI"
    return Path(save(ds, folder / name))


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture(scope="module")
def grey_native(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8-bit grey 3-frame image with texture, so that JPEG frames span several 1 KB fragments."""
    folder = tmp_path_factory.mktemp("jpeg")
    yy, xx = np.mgrid[0:64, 0:80]
    rng = np.random.default_rng(1)
    arr = np.stack([(np.sin(xx / (3 + f)) * 60 + 128 + rng.normal(0, 20, xx.shape)) for f in range(3)])
    arr = arr.clip(0, 255).astype(np.uint8)
    layout = Layout(64, 80, frames=3)
    ds = dataset(arr, layout, EXPLICIT)
    return Path(save(ds, folder / "grey.dcm"))


@pytest.fixture(scope="module")
def ybr_deflate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(
        tmp_path_factory.mktemp("decode"),
        "ybr.dcm",
        Layout(6, 9, samples=3, photometric="YBR_FULL", frames=10),
        DEFLATE,
    )
