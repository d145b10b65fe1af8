"""Helpers shared by the fault-table tests (tests/test_faults_*.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasets import RLE, Layout, dataset, make_pixels, save


@pytest.fixture
def dicom_path(tmp_path: Path) -> Path:
    layout = Layout(6, 5, frames=3)
    return save(dataset(make_pixels(layout, 1), layout, RLE), tmp_path / "three.dcm")
