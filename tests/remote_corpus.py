"""The files the remote-reading tests (test_remote.py, test_remote_http.py) read remotely, and the check that a
remote FrameReader gives what the local one gives.

The files are built as the rest of the suite builds them, never with framecodec: tests/datasets.py (native,
1-bit, deflate, RLE, Encapsulated Uncompressed; Basic, empty or Extended Offset Table; several fragments a
frame) and framecodec._synthetic.slides (TILED_FULL and TILED_SPARSE slides in every codec of the JPEG family).
The local FrameReader's reads of them are checked against independent references by test_reader.py,
test_reader_slides.py and test_jpeg_family.py; here a remote read must equal the local one exactly, and a few
files are checked against pydicom's own decoders too (test_remote.py).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.encaps import generate_frames
from pydicom.uid import UID

import framecodec as fc
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    RLE,
    Layout,
    assert_identical,
    dataset,
    encapsulated_value,
    make_pixels,
    save,
)
from framecodec._synthetic import slides
from framecodec._synthetic.slides import (
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_LS_LOSSLESS,
    TILED_SPARSE,
    Slide,
    SlideSpec,
    write_slide,
)


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    slide: Slide | None = None  # a whole slide: read_region and tile_positions are checked too

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


#: name -> (layout, transfer syntax, options of datasets.dataset)
FRAME_FILES: dict[str, tuple[Layout, str, dict[str, Any]]] = {
    "explicit-grey8": (Layout(5, 7, frames=6), EXPLICIT, {}),
    "implicit-int16-stored12": (Layout(6, 5, bits=16, stored=12, signed=True, frames=4), IMPLICIT, {}),
    "explicit-1bit-off-bytes": (Layout(5, 7, bits=1, frames=5), EXPLICIT, {}),  # frames off byte boundaries
    "explicit-rgb-planar": (Layout(4, 6, samples=3, planar=1, frames=4), EXPLICIT, {}),
    "big-endian-16": (Layout(6, 5, bits=16, frames=3), BIG_ENDIAN, {}),  # pydicom decodes it (no engine codec)
    "single-frame-deflate": (Layout(6, 5), DEFLATE, {}),
    "deflate-1bit-bot": (Layout(64, 80, bits=1, frames=8), DEFLATE, {"bot": True}),
    "deflate-empty-bot": (Layout(16, 12, frames=7), DEFLATE, {"bot": False}),
    "deflate-3-fragments-bot": (Layout(16, 12, frames=5), DEFLATE, {"fragments_per_frame": 3}),
    "deflate-eot": (Layout(16, 12, bits=16, frames=6), DEFLATE, {"extended": True}),
    "rle-rgb-bot": (Layout(4, 6, samples=3, frames=4), RLE, {}),
    "rle-ybr-empty-bot": (Layout(4, 6, samples=3, photometric="YBR_FULL", frames=3), RLE, {"bot": False}),
    "rle-2-fragments-bot": (Layout(8, 10, bits=16, frames=4), RLE, {"fragments_per_frame": 2}),
    "rle-eot": (Layout(9, 7, bits=16, stored=12, signed=True, frames=5), RLE, {"extended": True}),
    "encaps-uncompressed-eot": (Layout(6, 5, samples=3, frames=4), ENCAPSULATED_UNCOMPRESSED, {"extended": True}),
    "encaps-uncompressed-bot": (Layout(6, 5, frames=4), ENCAPSULATED_UNCOMPRESSED, {}),
}

_S = SlideSpec(width=300, height=200, tile=128)
SLIDE_FILES: dict[str, SlideSpec] = {
    "slide-native-full": _S.but(tile=96, seed=1),
    "slide-jpeg-full-bot": _S.but(transfer_syntax=JPEG_BASELINE, seed=2),
    "slide-jpeg444-sparse-empty-bot": _S.but(
        transfer_syntax=JPEG_BASELINE,
        jpeg_subsampling="4:4:4",
        tiling=TILED_SPARSE,
        shuffle=True,
        missing=[(1, 1, 0, 0)],
        offset_table="empty",
        seed=3,
    ),
    "slide-jpeg-grey-eot": _S.but(transfer_syntax=JPEG_BASELINE, samples=1, offset_table="extended", seed=4),
    "slide-j2k-full-eot": _S.but(transfer_syntax=JPEG_2000_LOSSLESS, offset_table="extended", seed=5),
    "slide-j2k-lossy-empty-bot": _S.but(transfer_syntax=JPEG_2000, offset_table="empty", seed=6),
    "slide-htj2k-sparse-bot": _S.but(
        transfer_syntax=HTJ2K_LOSSLESS, tiling=TILED_SPARSE, shuffle=True, missing=[(2, 0, 0, 0)], seed=7
    ),
    "slide-htj2k-rpcl-grey16-empty-bot": _S.but(
        transfer_syntax=HTJ2K_LOSSLESS_RPCL, samples=1, bits_stored=16, offset_table="empty", seed=8
    ),
    "slide-jpegls-grey12-sparse-eot": _S.but(
        transfer_syntax=JPEG_LS_LOSSLESS,
        samples=1,
        bits_stored=12,
        tiling=TILED_SPARSE,
        shuffle=True,
        offset_table="extended",
        seed=9,
    ),
    "slide-rle-planes-sparse-eot": _S.but(
        tile=64,
        transfer_syntax=RLE,
        tiling=TILED_SPARSE,
        focal_planes=2,
        optical_paths=2,
        shuffle=True,
        missing=0.2,
        offset_table="extended",
        seed=10,
    ),
    "slide-deflate-planes-full-empty-bot": _S.but(
        tile=(96, 64), transfer_syntax=DEFLATE, focal_planes=2, offset_table="empty", seed=11
    ),
}

#: A JPEG slide re-encapsulated with its frames in three fragments each and an empty Basic Offset Table: the
#: frames are found by their JPEG start markers.
JPEG_FRAGMENTS = "jpeg-3-fragments-empty-bot"

ALL = [*FRAME_FILES, *SLIDE_FILES, JPEG_FRAGMENTS]

#: Many frames (about 3.6 MB of deflate frames): request counting, the walk of an empty Basic Offset Table,
#: the sidecar index. "many-eot" has an Extended Offset Table, "many-empty-bot" an empty Basic Offset Table.
#: Several times the 1 MiB that an open reads first, so that the bytes an index saves are plain to see.
MANY = 6000
MANY_LAYOUT = Layout(32, 32, frames=MANY)
#: A 32 x 32 tile mosaic of 64 x 64 deflate tiles with an Extended Offset Table: the region cache.
CACHE_SLIDE = slides.many_frames_spec(1024, tile=64, transfer_syntax=DEFLATE, mosaic=16, samples=1)


def _frame_file(folder: Path, name: str, seed: int = 0) -> Path:
    layout, ts, kwargs = FRAME_FILES[name]
    return Path(save(dataset(make_pixels(layout, seed), layout, ts, **kwargs), folder / f"{name}.dcm"))


def many_file(folder: Path, name: str, *, extended: bool, seed: int = 0) -> Path:
    ds = dataset(make_pixels(MANY_LAYOUT, seed), MANY_LAYOUT, DEFLATE, extended=extended, bot=False)
    return Path(save(ds, folder / name))


#: Native frames past the first MiB (a 1.6 MB file): files of one size whatever the seed, so that an object
#: replaced by another of the same size can be told only by its ETag.
NATIVE_MANY_LAYOUT = Layout(64, 64, frames=400)


def native_many_file(folder: Path, name: str, seed: int = 0) -> Path:
    ds = dataset(make_pixels(NATIVE_MANY_LAYOUT, seed), NATIVE_MANY_LAYOUT, EXPLICIT)
    uid = f"1.2.826.0.1.3680043.10.1{seed:012d}"  # one length whatever the seed (generate_uid's vary)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = UID(uid)
    return Path(save(ds, folder / name))


def _fragmented_jpeg(folder: Path, source: Path) -> Path:
    ds = pydicom.dcmread(source)
    n = int(ds.NumberOfFrames)
    frames = [bytes(f) for f in generate_frames(ds.PixelData, number_of_frames=n)]
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        ds.pop(keyword, None)
    ds.PixelData = encapsulated_value(frames, fragments_per_frame=3, bot=False)
    ds["PixelData"].is_undefined_length = True
    path = folder / f"{JPEG_FRAGMENTS}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def build(folder: Path) -> dict[str, Entry]:
    """Every file of ALL in ``folder``, plus "many-eot", "many-empty-bot" and "cache-slide"."""
    out: dict[str, Entry] = {}
    for name in FRAME_FILES:
        out[name] = Entry(name, _frame_file(folder, name))
    for name, spec in SLIDE_FILES.items():
        s = write_slide(folder / f"{name}.dcm", spec)
        out[name] = Entry(name, Path(s.path), s)
    out[JPEG_FRAGMENTS] = Entry(JPEG_FRAGMENTS, _fragmented_jpeg(folder, out["slide-jpeg-full-bot"].path))
    out["many-eot"] = Entry("many-eot", many_file(folder, "many-eot.dcm", extended=True))
    out["many-empty-bot"] = Entry("many-empty-bot", many_file(folder, "many-empty-bot.dcm", extended=False))
    s = write_slide(folder / "cache-slide.dcm", CACHE_SLIDE)
    out["cache-slide"] = Entry("cache-slide", Path(s.path), s)
    return out


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Entry]:
    """The files, built once for the session (tests/conftest.py imports this fixture)."""
    return build(tmp_path_factory.mktemp("remote-corpus"))


# ---------------------------------------------------------------------------------------------- the check


def _same_outcome(remote_call: Any, local_call: Any, what: str) -> None:
    """Both calls give identical arrays (or bytes), or both raise the same type of exception."""
    __tracebackhide__ = True
    try:
        expected = local_call()
    except Exception as e:
        with pytest.raises(type(e)):
            remote_call()
        return
    got = remote_call()
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray), what
        assert_identical(got, expected)
    else:
        assert bytes(got) == bytes(expected), what


def regions(s: Slide) -> list[tuple[tuple[int, int], tuple[int, int], int]]:
    """(location, size, downsample): inside, across tiles, reaching outside the matrix, reduced."""
    (tw, th), w, h = s.spec.tile_size, s.spec.width, s.spec.height
    return [
        ((0, 0), (w, h), 1),
        ((tw - 20, th - 10), (40, 30), 1),  # across four tiles
        ((w - 50, h - 40), (80, 70), 1),  # past the bottom-right corner: filled
        ((-10, 5), (30, 20), 1),
        ((0, 0), (w // 2, h // 2), 2),
        ((4, 8), (w // 4 - 2, h // 4 - 2), 4),
        ((3, 1), (20, 10), 2),  # a location off the downsample grid: averaged
    ]


def check_same(
    remote: fc.FrameReader, local: fc.FrameReader, entry: Entry, *, url: str | None = None, full: bool = True
) -> None:
    """Everything a FrameReader gives, remote against local: frames by every kind of index, read() with its
    options, iteration, raw codestreams, the dataset, and for slides tile_positions, the geometry and
    read_region (downsample included). ``full`` False: the frames, raw and the slide parts only."""
    __tracebackhide__ = True
    n = len(local)
    assert len(remote) == n and remote.number_of_frames == local.number_of_frames
    assert remote.shape == local.shape and remote.dtype == local.dtype
    assert remote.transfer_syntax == local.transfer_syntax
    assert remote.remote is True and local.remote is False
    if url is not None:
        assert remote.path == url
        assert remote.frame_table is None
    assert_identical(remote.read(), local.read())
    for i in sorted({0, n - 1, -1, n // 2}):
        assert_identical(remote[i], local[i])
    for i in range(n):
        _same_outcome(lambda i=i: remote.raw(i), lambda i=i: local.raw(i), f"raw({i})")
    with pytest.raises(IndexError):
        remote[n]
    if n > 1:
        assert_identical(remote[1:], local[1:])
        assert_identical(remote[::-2], local[::-2])
        pick = [n - 1, 0, n - 1]
        assert_identical(remote[pick], local[pick])
        assert_identical(remote.read(np.array(pick[:2]), threads=1), local.read(np.array(pick[:2]), threads=1))
    if full:
        assert_identical(remote.read(raw=True), local.read(raw=True))
        assert_identical(np.stack(list(remote)), np.stack(list(local)))
        expected = local.read(slice(0, min(2, n)))
        out = np.empty_like(expected)
        assert remote.read(slice(0, min(2, n)), out=out) is out
        assert_identical(out, expected)
        assert remote.dataset == local.dataset
    if entry.slide is not None:
        assert np.array_equal(remote.tile_positions, local.tile_positions)
        rg, lg = remote.geometry, local.geometry
        assert rg.dimension_organization == lg.dimension_organization
        assert (rg.total_columns, rg.total_rows) == (lg.total_columns, lg.total_rows)
        spec = entry.slide.spec
        for location, size, d in regions(entry.slide) if full else regions(entry.slide)[:2]:
            for f in range(spec.focal_planes):
                for p in range(spec.optical_paths):
                    got = remote.read_region(location, size, downsample=d, focal_plane=f, optical_path=p)
                    assert_identical(
                        got, local.read_region(location, size, downsample=d, focal_plane=f, optical_path=p)
                    )


def check_pickle(remote: fc.FrameReader, local: fc.FrameReader) -> fc.FrameReader:
    """A remote reader pickles (as Dask sends it to its workers) and reads the same once unpickled."""
    __tracebackhide__ = True
    again: fc.FrameReader = pickle.loads(pickle.dumps(remote))
    assert again.remote and again.path == remote.path and len(again) == len(local)
    assert_identical(again.read(), local.read())
    assert_identical(again[[len(local) - 1, 0]], local[[len(local) - 1, 0]])
    return again
