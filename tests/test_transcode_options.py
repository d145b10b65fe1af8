"""framecodec.transcode's options: the target as a name or a UID, paths as str, the deflate level (Python's zlib
at the same level), new_uid, verify, and the progress callback."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import UID

import framecodec as fc
from conftest import NO_LIBDEFLATE
from datasets import (
    EXPLICIT,
    Layout,
    assert_identical,
    base_dataset,
    dataset,
    frame_bytes,
    make_pixels,
    save,
    stored_values,
)
from transcode_util import LAYOUTS, Source
from writer_util import TARGETS, own_decode, pad, walk_items


@pytest.mark.parametrize("to", list(TARGETS))
def test_transcode_to_a_uid_and_as_str(to: str, sources: Callable[[str], Source], tmp_path: Path) -> None:
    """``to`` as the target's UID (str or pydicom UID) gives the same file as its name; str paths work."""
    src = sources("int16-stored12-rle")
    by_name = fc.transcode(src.path, tmp_path / "name.dcm", to)
    by_uid = fc.transcode(str(src.path), str(tmp_path / "uid.dcm"), TARGETS[to])
    assert by_uid == tmp_path / "uid.dcm" and isinstance(by_uid, Path)
    fc.transcode(src.path, tmp_path / "pydicom-uid.dcm", UID(TARGETS[to]))
    assert by_name.read_bytes() == by_uid.read_bytes() == (tmp_path / "pydicom-uid.dcm").read_bytes()
    assert_identical(own_decode(by_uid), src.expected)


@pytest.mark.parametrize("level", [None, 1, 9])
def test_transcode_deflate_levels_are_pythons_zlib(level: int | None, tmp_path: Path) -> None:
    layout = LAYOUTS["int16-stored12"]
    arr = make_pixels(layout)
    src = Path(save(dataset(arr, layout, EXPLICIT), tmp_path / "in.dcm"))
    dst = fc.transcode(src, tmp_path / "out.dcm", "deflate", level=level)
    frags = walk_items(pydicom.dcmread(dst).PixelData).fragments
    native = frame_bytes(stored_values(arr, layout), layout)
    assert frags == [pad(zlib.compress(f, 6 if level is None else level, wbits=-15)) for f in native]
    if fc.codecs.libdeflate_version is None:
        pytest.skip(f"libdeflate part: {NO_LIBDEFLATE}")
    small = fc.transcode(src, tmp_path / "small.dcm", "deflate", level=12, backend="libdeflate")
    assert_identical(own_decode(small), arr)


def test_new_uid(sources: Callable[[str], Source], tmp_path: Path) -> None:
    src = sources("rgb8-explicit")
    inp = pydicom.dcmread(src.path)
    dst = fc.transcode(src.path, tmp_path / "out.dcm", "rle", new_uid=True)
    out = pydicom.dcmread(dst)
    assert out.SOPInstanceUID != inp.SOPInstanceUID
    assert out.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID and UID(out.SOPInstanceUID).is_valid
    assert_identical(own_decode(dst), src.expected)
    kept = pydicom.dcmread(fc.transcode(src.path, tmp_path / "kept.dcm", "rle", new_uid=False))
    assert kept.SOPInstanceUID == inp.SOPInstanceUID


def test_verify_false_writes_the_same_file(sources: Callable[[str], Source], tmp_path: Path) -> None:
    src = sources("bits1-deflate")
    for to in TARGETS:
        a = fc.transcode(src.path, tmp_path / f"{to}-verified.dcm", to, verify=True)
        b = fc.transcode(src.path, tmp_path / f"{to}-unverified.dcm", to, verify=False)
        assert a.read_bytes() == b.read_bytes(), to


# ------------------------------------------------------------------------------------------ progress


def check_progress(calls: list[tuple[int, int]], total: int) -> None:
    assert calls, "progress was never called"
    assert all(t == total for _, t in calls), calls
    done = [d for d, _ in calls]
    assert done[0] > 0 and all(b > a for a, b in zip(done, done[1:])), calls
    assert calls[-1] == (total, total)


def test_progress_small(sources: Callable[[str], Source], tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    fc.transcode(sources("grey8-rle").path, tmp_path / "out.dcm", "deflate", progress=lambda d, t: calls.append((d, t)))
    check_progress(calls, 5)


def test_progress_over_several_batches(tmp_path: Path) -> None:
    """128 MiB of decoded frames: several batches of "a few tens of MB", so several calls, increasing."""
    layout = Layout(512, 512, frames=512)
    ds = base_dataset(layout, EXPLICIT)
    ramp = (np.arange(512 * 512, dtype=np.uint32) // 7 % 256).astype(np.uint8).reshape(1, 512, 512)
    arr = ramp + np.arange(512, dtype=np.uint8)[:, None, None]  # frame i: the ramp shifted by i
    ds.PixelData = arr.tobytes()
    ds["PixelData"].VR = "OB"
    src = Path(save(ds, tmp_path / "in.dcm"))
    del ds
    calls: list[tuple[int, int]] = []
    dst = fc.transcode(
        src, tmp_path / "out.dcm", "encapsulated-uncompressed", progress=lambda d, t: calls.append((d, t))
    )
    check_progress(calls, 512)
    assert len(calls) >= 2, calls
    frames = walk_items(pydicom.dcmread(dst).PixelData).fragments
    assert len(frames) == 512 and frames[0] == arr[0].tobytes() and frames[-1] == arr[-1].tobytes()
    assert frames[300] == arr[300].tobytes()
