"""framecodec.FrameWriter's failures: bad options and bad pixels are refused, and a failure (exception, too few or
too many frames, abort, garbage collection) leaves nothing behind.

References are never framecodec: tests/writer_util.py (pydicom, zlib, numpy), tests/datasets.py.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from pydicom.dataset import Dataset

import framecodec as fc
from conftest import NO_LIBDEFLATE
from datasets import DEFLATE, Layout, assert_identical
from writer_cases import IDS, LAYOUTS, SYNTAXES, source
from writer_util import TMP_PATTERN, listing, own_decode


@pytest.mark.parametrize(
    "kwargs",
    [
        {"level": 10},
        {"level": -2},
        {"level": 13, "backend": "libdeflate"},
        {"backend": "isal"},
        {"offset_table": "both"},
        {"threads": 0},
    ],
    ids=["level10-zlib", "level-2", "level13-libdeflate", "unknown-backend", "unknown-offset-table", "threads0"],
)
def test_bad_options_are_refused_before_anything_is_written(kwargs: dict[str, Any], tmp_path: Path) -> None:
    if kwargs.get("backend") == "libdeflate" and fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    ds, _, _ = source(LAYOUTS["grey8"])
    with pytest.raises(ValueError):
        fc.FrameWriter(tmp_path / "out.dcm", ds, DEFLATE, **kwargs)
    gc.collect()
    assert listing(tmp_path) == []


class Boom(Exception):
    pass


def fail_inside_with(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    with pytest.raises(Boom):
        with fc.FrameWriter(path, ds, ts) as w:
            w.write(frames[:2])
            w.write(frames[2])
            raise Boom


def fail_too_few(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    with pytest.raises(ValueError):
        with fc.FrameWriter(path, ds, ts) as w:
            w.write(frames[:-1])


def fail_too_few_at_close(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    w = fc.FrameWriter(path, ds, ts)
    w.write(frames[:-1])
    with pytest.raises(ValueError):
        w.close()


def fail_too_many(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    with pytest.raises(ValueError):
        with fc.FrameWriter(path, ds, ts) as w:
            w.write(frames)
            w.write(frames[:1])


def fail_aborted(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    w = fc.FrameWriter(path, ds, ts)
    w.write(frames)
    w.abort()


def fail_garbage_collected(path: Path, ds: Dataset, ts: str, frames: npt.NDArray[Any]) -> None:
    w = fc.FrameWriter(path, ds, ts)
    w.write(frames)
    del w
    gc.collect()


FAILURES: dict[str, Callable[[Path, Dataset, str, npt.NDArray[Any]], None]] = {
    "exception-in-with": fail_inside_with,
    "too-few-frames": fail_too_few,
    "too-few-at-close": fail_too_few_at_close,
    "too-many-frames": fail_too_many,
    "abort": fail_aborted,
    "garbage-collected": fail_garbage_collected,
}


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("existing", [False, True], ids=["no-file", "existing-file"])
@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
@pytest.mark.parametrize("how", list(FAILURES))
def test_a_failure_leaves_nothing(how: str, ts: str, existing: bool, tmp_path: Path) -> None:
    """Nothing half-written is ever at ``path``: no output and no temporary file, and a file already at ``path``
    is untouched."""
    layout = Layout(6, 5, samples=3, frames=4)
    ds, _, frames = source(layout)
    path = tmp_path / "out.dcm"
    if existing:
        path.write_bytes(b"an older file")
    FAILURES[how](path, ds, ts, frames)
    gc.collect()
    assert listing(tmp_path) == (["out.dcm"] if existing else [])
    if existing:
        assert path.read_bytes() == b"an older file"


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_the_output_appears_only_at_close(ts: str, tmp_path: Path) -> None:
    """Until close, the frames go to ``.{name}.<random>.framecodec-tmp`` in the output's folder; close renames it
    over an existing file in one step."""
    layout = Layout(6, 5, frames=4)
    ds, arr, frames = source(layout)
    path = tmp_path / "out.dcm"
    path.write_bytes(b"an older file")
    with fc.FrameWriter(path, ds, ts) as w:
        w.write(frames[:3])
        names = listing(tmp_path)
        assert len(names) == 2 and "out.dcm" in names, names
        (tmp,) = [n for n in names if n != "out.dcm"]
        assert tmp.startswith(".out.dcm.") and tmp.endswith(".framecodec-tmp") and TMP_PATTERN.match(tmp), tmp
        assert path.read_bytes() == b"an older file"
        w.write(frames[3:])
    assert listing(tmp_path) == ["out.dcm"]
    assert_identical(own_decode(path), arr)


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
def test_too_many_frames_in_one_batch_writes_none_of_it(ts: str, tmp_path: Path) -> None:
    layout = Layout(6, 5, frames=4)
    ds, arr, frames = source(layout, seed=8)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write(frames[:1])
        with pytest.raises(ValueError):
            w.write(frames)  # 1 + 4 > 4
        assert w.frames_written == 1
        w.write(frames[1:])
        with pytest.raises(ValueError):
            w.write(frames[0])
        assert w.frames_written == 4
    assert_identical(own_decode(path), arr)


def _bad(layout: Layout, change: Callable[[npt.NDArray[Any]], npt.NDArray[Any]]) -> tuple[Layout, Any]:
    return layout, change


def _set_last(value: int, dtype: Any = None) -> Callable[[npt.NDArray[Any]], npt.NDArray[Any]]:
    """The batch with one value of its last frame out of range: nothing of the batch may be written."""

    def change(batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out = batch.astype(dtype or batch.dtype)
        out[-1].flat[-1] = value
        return out

    return change


GREY8 = Layout(6, 5, frames=3)


U16S12 = Layout(6, 5, bits=16, stored=12, frames=3)


I16S12 = Layout(6, 5, bits=16, stored=12, signed=True, frames=3)


RGB8 = Layout(6, 5, samples=3, frames=3)


BITS1 = Layout(6, 5, bits=1, frames=3)


U32S24 = Layout(4, 3, bits=32, stored=24, frames=3)


BAD_PIXELS = {
    "one-row-too-many": _bad(GREY8, lambda b: np.zeros((2, 7, 5), np.uint8)),
    "columns-wrong": _bad(U16S12, lambda b: np.zeros((2, 6, 4), np.uint16)),
    "rgb-without-samples": _bad(RGB8, lambda b: b[..., 0]),
    "rgb-four-samples": _bad(RGB8, lambda b: np.concatenate([b, b[..., :1]], axis=-1)),
    "grey-with-samples-axis": _bad(GREY8, lambda b: b[..., None]),
    "extra-axis": _bad(GREY8, lambda b: b[None]),
    "float": _bad(U16S12, lambda b: b.astype(np.float64)),
    "uint16-into-8-bits": _bad(GREY8, lambda b: b.astype(np.uint16)),
    "uint32-into-16-bits": _bad(U16S12, lambda b: b.astype(np.uint32)),
    "int64-into-16-bits": _bad(I16S12, lambda b: b.astype(np.int64)),
    "above-bits-stored": _bad(U16S12, _set_last(4096)),
    "signed-above-bits-stored": _bad(I16S12, _set_last(2048)),
    "signed-below-bits-stored": _bad(I16S12, _set_last(-2049)),
    "negative-unsigned": _bad(U16S12, _set_last(-1, np.int16)),
    "bits1-value-2": _bad(BITS1, _set_last(2)),
    "bits1-256-as-uint16": _bad(BITS1, _set_last(256, np.uint16)),  # would be 0 if cut to 8 bits
    "uint32-above-bits-stored": _bad(U32S24, _set_last(1 << 24)),
}


@pytest.mark.parametrize("ts", SYNTAXES, ids=IDS)
@pytest.mark.parametrize("case", list(BAD_PIXELS))
def test_bad_pixels_raise_and_write_nothing_of_the_batch(case: str, ts: str, tmp_path: Path) -> None:
    """A shape, dtype or value the data set does not allow: ValueError, nothing of that batch written; the writer
    goes on with good batches and the file holds exactly them."""
    layout, change = BAD_PIXELS[case]
    ds, arr, frames = source(layout, seed=2)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write(frames[:1])
        bad = change(frames[1:])
        with pytest.raises(ValueError):
            w.write(bad)
        assert w.frames_written == 1
        w.write(frames[1:])
    assert_identical(own_decode(path), arr)
