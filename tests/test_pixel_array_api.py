"""framecodec.pixel_array and iter_pixels, their interface: every index form, out=, threads, the kinds of source,
batches, and file objects left where they were.

The expected arrays never come from framecodec: native data sets are decoded by pydicom itself; encapsulated
ones are compared with pydicom's decoding of the same pixels stored natively (tests/datasets.py encodes the
frames with zlib, a plain PackBits encoder or not at all) and, where the installed pydicom has a decoder of its
own (RLE; Deflated Image Frame Compression from 3.1 on), with that decoder too.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

import framecodec as fc
from conftest import by_backend
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    NAMES,
    NATIVE,
    RLE,
    Layout,
    assert_identical,
    dataset,
    make_pixels,
    native_dataset,
    reference,
    save,
    to_bytes,
)

INDEXES = [
    0,
    3,
    -1,
    -4,
    np.int64(2),
    slice(1, 3),
    slice(None, None, -2),
    slice(5, 9),
    [3, 0, 3],
    (1,),
    range(1, 3),
    np.array([2, 1]),
    np.array([1], dtype=np.uint8),
    [],
    np.zeros(0, dtype=np.int64),
]
INDEX_SYNTAXES = [EXPLICIT, BIG_ENDIAN, DEFLATE, RLE]


@pytest.mark.parametrize(
    "layout",
    [Layout(6, 5, bits=16, stored=12, signed=True, frames=4), Layout(5, 7, bits=1, frames=4)],
    ids=["int16", "bits1"],
)
@pytest.mark.parametrize("ts", by_backend(INDEX_SYNTAXES, [NAMES[t] for t in INDEX_SYNTAXES]))
def test_index_forms(layout: Layout, ts: str) -> None:
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts, garbage=3)
    data = to_bytes(ds)
    for index in INDEXES:
        ref = reference(ds if ts in NATIVE else native_dataset(arr, layout, garbage=3), index)
        assert_identical(fc.pixel_array(ds, index), ref)
        assert_identical(fc.pixel_array(io.BytesIO(data), index), ref)


def test_index_on_single_frame() -> None:
    layout = Layout(4, 3, bits=16)
    ds = dataset(make_pixels(layout), layout, DEFLATE)
    ref = reference(native_dataset(make_pixels(layout), layout))
    assert_identical(fc.pixel_array(ds), ref)
    assert_identical(fc.pixel_array(ds, 0), ref)
    assert_identical(fc.pixel_array(ds, -1), ref)
    assert_identical(fc.pixel_array(ds, [0, 0]), np.stack([ref, ref]))
    with pytest.raises(IndexError, match="frame index 1 out of range for 1 frames"):
        fc.pixel_array(ds, 1)


@pytest.mark.parametrize(
    ("index", "error", "match"),
    [
        (4, IndexError, "frame index 4 out of range for 4 frames"),
        (-5, IndexError, "frame index -5"),
        ([0, 9], IndexError, "frame index 9"),
        (1.0, TypeError, "float"),
        (True, TypeError, "bool"),
        (np.array([2**64 - 1], dtype=np.uint64), IndexError, "frame index 18446744073709551615"),
        (["1"], TypeError, "integers"),
        (np.array([1.5]), TypeError, "integers"),
        ([[1]], ValueError, "one-dimensional"),
    ],
)
def test_bad_index(index: Any, error: type[Exception], match: str) -> None:
    layout = Layout(3, 3, frames=4)
    with pytest.raises(error, match=match):
        fc.pixel_array(dataset(make_pixels(layout), layout, RLE), index)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE, RLE], ["explicit", "deflate", "rle"]))
def test_out(ts: str) -> None:
    layout = Layout(4, 6, samples=3, photometric="YBR_FULL", frames=3)  # converted to RGB: written into out too
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts)
    for index, raw in ((None, False), (None, True), ([2, 0], False), (1, False)):
        ref = reference(native_dataset(arr, layout), index, raw=raw)
        out = np.full(ref.shape, 77, ref.dtype)
        assert fc.pixel_array(ds, index, out=out, raw=raw) is out
        assert_identical(out, ref)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, DEFLATE], ["explicit", "deflate"]))
def test_bad_out(ts: str) -> None:
    layout = Layout(5, 7, bits=16, signed=True, frames=4)
    ds = dataset(make_pixels(layout), layout, ts)
    with pytest.raises(ValueError, match=r"shape \(4, 5, 7\) and dtype int16, got \(3, 5, 7\)"):
        fc.pixel_array(ds, out=np.empty((3, 5, 7), np.int16))
    with pytest.raises(ValueError, match=r"shape \(5, 7\) and dtype int16, got \(4, 5, 7\)"):
        fc.pixel_array(ds, 0, out=np.empty((4, 5, 7), np.int16))
    with pytest.raises(ValueError, match="dtype int16, got .* uint16"):
        fc.pixel_array(ds, out=np.empty((4, 5, 7), np.uint16))
    with pytest.raises(ValueError, match="dtype int16, got .* >i2"):
        fc.pixel_array(ds, out=np.empty((4, 5, 7), ">i2"))
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.pixel_array(ds, out=np.empty((4, 5, 14), np.int16)[:, :, ::2])
    with pytest.raises(ValueError, match="C-contiguous"):
        fc.pixel_array(ds, out=np.empty((4, 7, 5), np.int16).transpose(0, 2, 1))
    read_only = np.empty((4, 5, 7), np.int16)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        fc.pixel_array(ds, out=read_only)
    with pytest.raises(TypeError, match="numpy array"):
        fc.pixel_array(ds, out=bytearray(280))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ts",
    by_backend(
        [EXPLICIT, DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED], ["explicit", "deflate", "rle", "encaps-uncompressed"]
    ),
)
def test_threads_agree(ts: str) -> None:
    layout = Layout(16, 12, samples=3, bits=16, planar=1, frames=37)
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts)
    ref = reference(native_dataset(arr, layout))
    for threads in (None, 1, 2, 3, 64):
        assert_identical(fc.pixel_array(ds, threads=threads), ref)
        assert_identical(fc.pixel_array(ds, [36, 0, 17], threads=threads), ref[[36, 0, 17]])
    for threads in (0, -1):
        with pytest.raises(ValueError, match="threads must be at least 1"):
            fc.pixel_array(ds, threads=threads)


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, BIG_ENDIAN, DEFLATE, RLE], ["explicit", "big", "deflate", "rle"]))
def test_sources(ts: str, tmp_path: Path) -> None:
    layout = Layout(5, 7, bits=16, stored=12, signed=True, frames=3)
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts, garbage=5)
    path = save(ds, tmp_path / "a.dcm")
    ref = fc.pixel_array(ds)
    assert_identical(ref, reference(ds) if ts in NATIVE else reference(native_dataset(arr, layout, garbage=5)))
    assert_identical(fc.pixel_array(str(path)), ref)
    assert_identical(fc.pixel_array(path), ref)
    assert_identical(fc.pixel_array(pydicom.dcmread(path)), ref)
    with open(path, "rb") as f:
        f.seek(100)  # read from the start, whatever the position
        assert_identical(fc.pixel_array(f), ref)
        assert not f.closed  # the caller's file stays the caller's
        assert_identical(fc.pixel_array(f, 2), ref[2])
    bio = io.BytesIO(path.read_bytes())
    assert_identical(fc.pixel_array(bio), ref)
    bio.seek(0, io.SEEK_END)
    bio.write(b"\x00\x00")  # BufferError if a view of it were still exported
    with pytest.raises(TypeError, match="source must be"):
        fc.pixel_array(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ts",
    by_backend(
        [EXPLICIT, BIG_ENDIAN, DEFLATE, RLE, ENCAPSULATED_UNCOMPRESSED],
        ["explicit", "big", "deflate", "rle", "encaps-uncompressed"],
    ),
)
@pytest.mark.parametrize(
    "layout",
    [
        Layout(4, 6, samples=3, photometric="YBR_FULL", frames=7),
        Layout(5, 7, bits=1, frames=7),
        Layout(3, 4, bits=16, stored=9, signed=True),
    ],
    ids=["ybr", "bits1", "single"],
)
def test_iter_pixels(ts: str, layout: Layout, tmp_path: Path) -> None:
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts, garbage=1)
    path = save(ds, tmp_path / "a.dcm")
    n = layout.frames
    for raw in (False, True):
        frames = [fc.pixel_array(ds, i, raw=raw) for i in range(n)]
        twin = ds if ts in NATIVE else native_dataset(arr, layout, garbage=1)
        for i in range(n):
            assert_identical(frames[i], reference(twin, i, raw=raw))
        for batch in (None, 1, 2, 3, n, n + 10):
            for source in (ds, path):
                got = list(fc.iter_pixels(source, batch=batch, raw=raw, threads=2))
                assert len(got) == n
                for a, b in zip(got, frames):
                    assert_identical(a, b)


def test_iter_pixels_stops_early_and_bad_batch(tmp_path: Path) -> None:
    layout = Layout(8, 8, bits=16, frames=9)
    path = save(dataset(make_pixels(layout), layout, DEFLATE), tmp_path / "a.dcm")
    it = fc.iter_pixels(path, batch=2)
    first = next(it)
    it.close()  # the read-ahead batch is waited for, the file closed
    assert_identical(first, fc.pixel_array(path, 0))
    with pytest.raises(ValueError, match="batch must be at least 1"):
        next(fc.iter_pixels(path, batch=0))


@pytest.mark.parametrize("ts", by_backend([EXPLICIT, RLE, DEFLATE], ["explicit", "rle", "deflate"]))
def test_file_objects_are_left_where_they_were(ts: str) -> None:
    """As pydicom does: decoding from a file object does not move it; a BytesIO can grow again afterwards."""
    layout = Layout(6, 5, frames=3)
    arr = make_pixels(layout)
    bio = io.BytesIO(to_bytes(dataset(arr, layout, ts)))
    bio.seek(17)
    assert_identical(fc.pixel_array(bio), reference(dataset(arr, layout, ts)))
    assert bio.tell() == 17
    assert len(list(fc.iter_pixels(bio))) == 3 and bio.tell() == 17
    bio.seek(0, io.SEEK_END)
    bio.write(b"\x00\x00")  # fails with BufferError while a getbuffer() export is alive
    broken = io.BytesIO(b"\x00" * 300)
    broken.seek(5)
    with pytest.raises(ValueError):
        fc.pixel_array(broken)
    assert broken.tell() == 5
