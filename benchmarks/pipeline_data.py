"""The whole data sets of bench_pipeline.py and bench_dask.py, and the decoders' wrappers they time.

Made once per session in a temporary directory from real images (real_data.py, issue 21): 1,000 240x240 RGB tiles
(scikit-image's photographs), 400 512x512 1-bit masks (segments of its photographs), 100 512x512 int16 CT frames
and 100 512x512 uint16 MR frames (pydicom-data's), a few frames each under ``--benchmark-disable``, each written
by ``real_files.write`` as an RLE Lossless and as a Deflated Image Frame Compression file (a tiled VL WSI, a binary
Segmentation, an Enhanced CT / MR of 12 bits stored; frames encoded with framecodec's kernels at level 6, a Basic
Offset Table); ``DataSet.name(syntax)`` is a file's label with its compression ratio. ``DataSet.decode_problem`` /
``encode_problem`` say why a pydicom plugin cannot decode or encode a data set here (the reason the benchmarks
record for a missing peer).

Also ``fake_jpeg_frames``: many small frames that look like JPEG to a scanner (no 0xFF inside), for the frame
table benchmarks of bench_encaps.py and the frame-count sweep of bench_reader.py.
"""

from __future__ import annotations

import mmap
import os
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pixel_array as pydicom_pixel_array
from pydicom.uid import UID, generate_uid

import framecodec as fc
import real_files

CORES = os.cpu_count() or 1
PYDICOM = f"pydicom {pydicom.__version__}"
NEEDS_31 = "pydicom 3.1 adds one: run this file with pydicom 3.1 installed"

# ------------------------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class Kind:
    key: str  # real_files.KINDS' key
    frames: int  # in a measuring run
    smoke_frames: int  # under --benchmark-disable
    sop_class: str
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    pixel_representation: int
    photometric_interpretation: str


KINDS = {
    k.key: k
    for k in (
        Kind("tiles", 1000, 12, "1.2.840.10008.5.1.4.1.1.77.1.6", 240, 240, 3, 8, 0, "RGB"),
        Kind("seg", 400, 8, "1.2.840.10008.5.1.4.1.1.66.4", 512, 512, 1, 1, 0, "MONOCHROME2"),
        Kind("ct", 100, 4, "1.2.840.10008.5.1.4.1.1.2.1", 512, 512, 1, 16, 1, "MONOCHROME2"),
        Kind("mr", 100, 4, real_files.ENHANCED_MR, 512, 512, 1, 16, 0, "MONOCHROME2"),
    )
}
SYNTAXES = {"RLE": UID(fc.RLELossless), "deflate": UID(fc.DeflatedImageFrameCompression)}
SYNTAX_NAMES = {"RLE": "RLE Lossless", "deflate": "Deflated Image Frame Compression"}


class DataSet:
    """One kind of frames: the pixels, and the RLE and deflate files made from them."""

    def __init__(self, kind: Kind, n: int, folder: Path) -> None:
        self.kind, self.n = kind, n
        what = real_files.KINDS[kind.key].what
        self.label = f"{n:,} {what} (real images)"
        # real_files: frames of real images (real_data.py), headers a modality writes, frames encoded by
        # framecodec's kernels at level 6, a Basic Offset Table
        self.files = {s: real_files.write(folder, kind.key, n, s) for s in SYNTAXES}
        self.paths = {s: f.path for s, f in self.files.items()}
        self.pixels = self.files["RLE"].pixels
        self.fragments = {s: f.fragments for s, f in self.files.items()}
        self.values = {s: fc.encaps.encapsulate(frags) for s, frags in self.fragments.items()}
        self._datasets: dict[str, Dataset] = {}
        self._problems: dict[tuple[str, str, str], str | None] = {}

    def name(self, syntax: str) -> str:
        """The file of ``syntax`` with its compression ratio: "1,000 240x240 RGB tiles (real images), RLE, 1.2:1"
        (RLE's own ratio: the native bytes, 1-bit packed, over the RLE file's frames)."""
        return self.files[syntax].label

    @property
    def nbytes(self) -> int:
        return int(self.pixels.nbytes)

    def header(self, frames: int | None = None) -> Dataset:
        """A new data set with the Image Pixel attributes and no Pixel Data."""
        k = self.kind
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
        ds.file_meta.MediaStorageSOPClassUID = UID(k.sop_class)
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.preamble = b"\x00" * 128
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.Rows, ds.Columns, ds.SamplesPerPixel = k.rows, k.columns, k.samples_per_pixel
        ds.PhotometricInterpretation = k.photometric_interpretation
        if k.samples_per_pixel > 1:
            ds.PlanarConfiguration = 0
        ds.BitsAllocated = ds.BitsStored = k.bits_allocated
        ds.HighBit = k.bits_allocated - 1
        ds.PixelRepresentation = k.pixel_representation
        ds.NumberOfFrames = self.n if frames is None else frames
        return ds

    def dataset(self, syntax: str) -> Dataset:
        """The file read by pydicom once (Pixel Data in memory), for ``ds.pixel_array``."""
        if syntax not in self._datasets:
            self._datasets[syntax] = pydicom.dcmread(self.paths[syntax])
        return self._datasets[syntax]

    def decode_problem(self, syntax: str, plugin: str) -> str | None:
        """Why pydicom's decoding plugin ``plugin`` cannot decode this file, or None if it can."""
        key = ("decode", syntax, plugin)
        if key not in self._problems:
            self._problems[key] = _problem(
                "decod",
                syntax,
                plugin,
                self.name(syntax),
                lambda: pydicom_pixel_array(self.dataset(syntax), index=0, decoding_plugin=plugin),
            )
        return self._problems[key]

    def encode_problem(self, syntax: str, plugin: str) -> str | None:
        """Why pydicom's encoding plugin ``plugin`` cannot encode these pixels, or None if it can."""
        key = ("encode", syntax, plugin)
        if key not in self._problems:
            self._problems[key] = _problem(
                "encod",
                syntax,
                plugin,
                self.name(syntax),
                lambda: self.header(1).compress(SYNTAXES[syntax], self.pixels[0], encoding_plugin=plugin),
            )
        return self._problems[key]


def _problem(what: str, syntax: str, plugin: str, label: str, probe: Callable[[], object]) -> str | None:
    from pydicom.pixels import get_decoder, get_encoder

    name = SYNTAX_NAMES[syntax]
    try:
        coder = (get_decoder if what == "decod" else get_encoder)(SYNTAXES[syntax])
    except NotImplementedError:
        return f"{PYDICOM} has no {name} {what}er; {NEEDS_31}"
    if plugin not in coder.available_plugins:
        if plugin == "framecodec":
            return (
                f"no {what}ing plugin named 'framecodec' is registered in {PYDICOM} for {name} "
                "(the framecodec pydicom plugins are not merged yet)"
            )
        return f"{PYDICOM}'s {name} {what}er has no available plugin {plugin!r} ({coder.available_plugins})"
    try:
        probe()
    except Exception as e:
        why = " ".join(line.strip() for line in str(e).splitlines() if line.strip() and "See Part" not in line)
        why = why if len(why) < 200 else why[:197] + "..."
        return f"{PYDICOM}'s {plugin!r} plugin cannot {what}e the {label}: {why or type(e).__name__}"
    return None


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Callable[[str], DataSet]:
    """The data sets, made on first use and kept for the session."""
    folder = tmp_path_factory.mktemp("pipeline")
    made: dict[str, DataSet] = {}

    def get(key: str) -> DataSet:
        if key not in made:
            kind = KINDS[key]
            made[key] = DataSet(kind, kind.smoke_frames if smoke else kind.frames, folder)
        return made[key]

    return get


def same(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


# ------------------------------------------------------------------------------------------------ decoders


def ds_pixel_array(ds: Dataset, plugin: str) -> npt.NDArray[Any]:
    ds.pixel_array_options(decoding_plugin=plugin)  # also drops the array ds holds from the last call
    return ds.pixel_array


def dcmread_pixel_array(path: Path, plugin: str) -> npt.NDArray[Any]:
    ds = pydicom.dcmread(path)
    ds.pixel_array_options(decoding_plugin=plugin)
    return ds.pixel_array


def floor(shape: tuple[int, ...], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """Writing the output array once: what any decoder of well-compressed frames must at least do."""
    a = np.empty(shape, dtype)
    a.fill(1)
    return a


def with_inflate(backend: str, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run with FRAMECODEC_INFLATE=backend, which framecodec reads at each call."""

    def run() -> Any:
        before = os.environ.get("FRAMECODEC_INFLATE")
        os.environ["FRAMECODEC_INFLATE"] = backend
        try:
            return fn()
        finally:
            if before is None:
                del os.environ["FRAMECODEC_INFLATE"]
            else:
                os.environ["FRAMECODEC_INFLATE"] = before

    return run


def peer_path_to_array(path: Path, d: DataSet, inflate: Callable[[Any, int], Any]) -> npt.NDArray[Any]:
    """A peer's whole file: the frames found by framecodec's frame table in the memory-mapped file, each inflated
    by the peer into the array (1-bit frames unpacked by numpy), as a pipeline built on that library would."""
    k = d.kind
    out = np.empty(d.pixels.shape, d.pixels.dtype)
    rows = out.reshape(d.n, -1)
    pixels = k.rows * k.columns * k.samples_per_pixel
    stored = (pixels + 7) // 8 if k.bits_allocated == 1 else rows.shape[1] * out.itemsize
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        table = fc.encaps.locate_pixel_data(path).frame_table(mm)
        for i, frame in enumerate(fc.encaps.iter_frames(mm, table)):
            raw = np.frombuffer(inflate(frame, stored), np.uint8)
            if k.bits_allocated == 1:
                rows[i] = np.unpackbits(raw, count=pixels, bitorder="little")
            else:
                rows[i] = raw.view(out.dtype)
            del frame, raw
    return out


def zlib_frames(fragments: list[bytes], size: int, pool: ThreadPoolExecutor) -> list[bytes]:
    """The embarrassingly parallel reference: Python's zlib (which releases the GIL) on every frame."""
    return list(pool.map(partial(zlib.decompress, wbits=-15, bufsize=size), fragments))


# ------------------------------------------------------------------------------------------------ small frames


def fake_jpeg_frames(n: int, lo: int, hi: int, seed: int = 0) -> list[bytes]:
    """``n`` frames of ``lo`` to ``hi`` bytes: SOI, random bytes without 0xFF (no marker inside), EOI."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(lo, hi + 1, n)
    blob = rng.integers(0, 255, int(sizes.sum()), dtype=np.uint8).tobytes()
    out, pos = [], 0
    for s in sizes.tolist():
        out.append(b"\xff\xd8" + blob[pos : pos + s - 4] + b"\xff\xd9")
        pos += s
    return out
