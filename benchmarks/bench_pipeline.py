"""Whole data sets (issue 7): pydicom's ``ds.pixel_array`` through the decoding plugins,
``framecodec.pixel_array(path)``, thread scaling, and ``framecodec.compress`` against ``ds.compress``; and
(issue 9) ``framecodec.pixel_array`` of the deflate files with each inflate backend against Python's zlib,
isal, zlib-ng and the deflate package inflating the same frames (``-k deflate_backends``).

    python -m pytest benchmarks/bench_pipeline.py --benchmark-json=pipeline.json    # a few minutes
    python benchmarks/report.py pipeline.json             # one row per implementation, as for the kernels
    python benchmarks/pipeline_report.py pipeline.json    # the issue's goals: measured ratio, met or not

Run it with pydicom 3.1 for the Deflated Image Frame Compression peers (pydicom 3.0.x has no decoder or
encoder for it: those benchmarks skip, saying so). Benchmarks of the ``framecodec`` pydicom plugins
(``decoding_plugin="framecodec"``, ``encoding_plugin="framecodec"``) skip while no plugin of that name is
registered.

The data are made once per session in a temporary directory from ``frames.py``: 1,000 240x240 RGB
tissue-like tiles, 400 512x512 1-bit segmentation frames and 100 512x512 int16 CT-like frames, each
written as an RLE Lossless and as a Deflated Image Frame Compression file (frames encoded with
framecodec's kernels ``rle_encode`` / ``pack_bits`` + ``deflate`` at level 6, then ``encapsulate`` with a
Basic Offset Table). Under ``--benchmark-disable`` (the smoke run in tests/test_benchmarks_run.py) the
data sets are a few frames each: every benchmark then only checks its result.

Timing: a benchmark that carries one of the issue's goals times framecodec with pytest-benchmark and, in
each of its rounds, also runs the goal's peers once (before or after framecodec, the position rotating
from round to round), timed by hand. A goal's ratio is the median over these rounds of each round's
ratio (``extra_info["goals"]``; the medians are in ``extra_info["interleaved"]``), so that a slow spell of
the shared cores hits both sides of a ratio; the peers also have benchmarks of their own, for the tables
of report.py.
"""

from __future__ import annotations

import mmap
import os
import statistics
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
from frames import ct_frame, microscopy_tile, segmentation_frame
from timing import goal, interleaved, measure, not_measured, paired, tag

CORES = os.cpu_count() or 1
PYDICOM = f"pydicom {pydicom.__version__}"
NEEDS_31 = "pydicom 3.1 adds one: run this file with pydicom 3.1 installed"

# ------------------------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class Kind:
    key: str
    make: Callable[[int], npt.NDArray[Any]]
    frames: int  # in a measuring run
    smoke_frames: int  # under --benchmark-disable
    label: str  # {n} is the frame count
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
        Kind("tiles", microscopy_tile, 1000, 12, "{n:,} 240x240 RGB tiles", "1.2.840.10008.5.1.4.1.1.77.1.6",
             240, 240, 3, 8, 0, "RGB"),
        Kind("seg", segmentation_frame, 400, 8, "{n:,} 512x512 1-bit seg frames", "1.2.840.10008.5.1.4.1.1.66.4",
             512, 512, 1, 1, 0, "MONOCHROME2"),
        Kind("ct", ct_frame, 100, 4, "{n:,} 512x512 int16 CT frames", "1.2.840.10008.5.1.4.1.1.2.1",
             512, 512, 1, 16, 1, "MONOCHROME2"),
    )
}  # fmt: skip
SYNTAXES = {"RLE": UID(fc.RLELossless), "deflate": UID(fc.DeflatedImageFrameCompression)}
SYNTAX_NAMES = {"RLE": "RLE Lossless", "deflate": "Deflated Image Frame Compression"}


class DataSet:
    """One kind of frames: the pixels, and the RLE and deflate files made from them."""

    def __init__(self, kind: Kind, n: int, folder: Path) -> None:
        self.kind, self.n = kind, n
        self.label = kind.label.format(n=n)
        with ThreadPoolExecutor(CORES) as pool:
            self.pixels = np.stack(list(pool.map(kind.make, range(n))))
            self.fragments = {s: list(pool.map(partial(self._encode, s), self.pixels)) for s in SYNTAXES}
        self.values = {s: fc.encapsulate(frags) for s, frags in self.fragments.items()}
        self.paths = {s: folder / f"{kind.key}_{s}.dcm" for s in SYNTAXES}
        for s, path in self.paths.items():
            write(path, self.header(), SYNTAXES[s], self.values[s])
        self._datasets: dict[str, Dataset] = {}
        self._problems: dict[tuple[str, str, str], str | None] = {}

    def _encode(self, syntax: str, frame: npt.NDArray[Any]) -> bytes:
        k = self.kind
        if syntax == "RLE":
            return fc.rle_encode(frame, k.rows, k.columns, k.samples_per_pixel, k.bits_allocated)
        return fc.deflate(fc.pack_bits(frame) if k.bits_allocated == 1 else frame, 6)

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
                "decod", syntax, plugin, self.label,
                lambda: pydicom_pixel_array(self.dataset(syntax), index=0, decoding_plugin=plugin),
            )  # fmt: skip
        return self._problems[key]

    def encode_problem(self, syntax: str, plugin: str) -> str | None:
        """Why pydicom's encoding plugin ``plugin`` cannot encode these pixels, or None if it can."""
        key = ("encode", syntax, plugin)
        if key not in self._problems:
            self._problems[key] = _problem(
                "encod", syntax, plugin, self.label,
                lambda: self.header(1).compress(SYNTAXES[syntax], self.pixels[0], encoding_plugin=plugin),
            )  # fmt: skip
        return self._problems[key]


def write(path: Path, ds: Dataset, syntax: UID, value: bytes) -> None:
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = value
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True  # encapsulated (PS3.5 A.4); the writer adds the delimiter
    # pydicom 3.0 does not know Deflated Image Frame Compression: say how the data set is encoded.
    pydicom.dcmwrite(path, ds, implicit_vr=False, little_endian=True, force_encoding=True)


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
    except Exception as e:  # noqa: BLE001 - the reason goes into the skip message
        why = " ".join(line.strip() for line in str(e).splitlines() if line.strip() and "See Part" not in line)
        why = why if len(why) < 200 else why[:197] + "..."
        return f"{PYDICOM}'s {plugin!r} plugin cannot {what}e the {label} as {syntax}: {why or type(e).__name__}"
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


# ------------------------------------------------------------------------------------------------ timing


def skip_if(problem: str | None) -> None:
    if problem:
        pytest.skip(problem)


def same(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


# ------------------------------------------------------------------------------------------------ decoding

#: The peer each goal names: pylibjpeg-rle's plugin for RLE, pydicom 3.1's own plugin for deflate.
PEER = {"RLE": ("pylibjpeg", "pylibjpeg-rle"), "deflate": ("pydicom", "pydicom")}
#: The issue's goals for ``ds.pixel_array`` through our plugin, over the peer's.
PLUGIN_GOALS = {("RLE", "tiles"): 1.5, ("RLE", "seg"): 1.5, ("RLE", "ct"): 1.5,
                ("deflate", "tiles"): 1.0, ("deflate", "seg"): 1.5}  # fmt: skip
#: The issue's goals for ``framecodec.pixel_array(path, threads=1)``, over the peer's path -> array.
PATH_GOALS = {("RLE", "tiles"): 3.0, ("RLE", "seg"): 3.0, ("RLE", "ct"): 3.0, ("deflate", "seg"): 1.5}
#: Within 1.3x of writing the output array, for well-compressed data: the segmentation frames.
FLOOR_GOALS = {("RLE", "seg"): 1.3, ("deflate", "seg"): 1.3}
CASES = [(s, k) for s in SYNTAXES for k in KINDS]
IDS = [f"{k}-{s}" for s, k in CASES]


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


@pytest.mark.parametrize(("syntax", "kind"), CASES, ids=IDS)
@pytest.mark.parametrize("impl", ["framecodec", "pylibjpeg-rle", "pydicom"])
def test_ds_pixel_array(benchmark: Any, data: Callable[[str], DataSet], syntax: str, kind: str, impl: str) -> None:
    """``ds.pixel_array`` on the data set in memory, through one decoding plugin."""
    if impl == "pylibjpeg-rle" and syntax != "RLE":
        pytest.skip("pylibjpeg-rle decodes RLE only")
    d = data(kind)
    plugin = {"framecodec": "framecodec", "pylibjpeg-rle": "pylibjpeg", "pydicom": "pydicom"}[impl]
    skip_if(d.decode_problem(syntax, plugin))
    ds = d.dataset(syntax)
    tag(benchmark, f"ds.pixel_array: {d.label}, {syntax}", impl, d.nbytes)
    if impl != "framecodec":
        assert same(measure(benchmark, lambda: ds_pixel_array(ds, plugin)), d.pixels)
        return
    peer_plugin, peer = PEER[syntax]
    peer_problem = d.decode_problem(syntax, peer_plugin)
    peers = {} if peer_problem else {peer: lambda: ds_pixel_array(ds, peer_plugin)}
    out, times = interleaved(benchmark, impl, lambda: ds_pixel_array(ds, "framecodec"), peers)
    assert same(out, d.pixels)
    target = PLUGIN_GOALS.get((syntax, kind))
    text = f"ds.pixel_array, framecodec plugin over {peer}'s: {d.label}, {syntax}"
    if times and target and peer_problem:
        not_measured(benchmark, text, target, peer_problem)
    elif times and target:
        goal(benchmark, text, paired(times, peer, impl), target, peer)


PATH_NAMES = {"pylibjpeg-rle": "pylibjpeg-rle (dcmread + ds.pixel_array)", "pydicom": "pydicom (dcmread + ds.pixel_array)",
              "framecodec plugin": "framecodec plugin (dcmread + ds.pixel_array)", "floor": "np.empty + fill (floor)"}  # fmt: skip
PATH_IMPLS = ["framecodec", "framecodec threads=all", "framecodec plugin", "pylibjpeg-rle", "pydicom", "floor"]


@pytest.mark.parametrize(("syntax", "kind"), CASES, ids=IDS)
@pytest.mark.parametrize("impl", PATH_IMPLS)
def test_path_to_array(benchmark: Any, data: Callable[[str], DataSet], syntax: str, kind: str, impl: str) -> None:
    """From the file's path to the array of every frame: ``framecodec.pixel_array(path, threads=1)`` (and
    all cores), against ``pydicom.dcmread(path)`` + ``ds.pixel_array`` through each plugin, and against
    ``np.empty`` + ``fill`` of the result's shape (the floor)."""
    if impl == "pylibjpeg-rle" and syntax != "RLE":
        pytest.skip("pylibjpeg-rle decodes RLE only")
    d = data(kind)
    path, shape, dtype = d.paths[syntax], d.pixels.shape, d.pixels.dtype
    group = f"path -> array: {d.label}, {syntax}"
    tag(benchmark, group, PATH_NAMES.get(impl, impl), d.nbytes)
    if impl == "floor":
        assert measure(benchmark, lambda: floor(shape, dtype)).shape == shape
        return
    if impl == "framecodec threads=all":
        assert same(measure(benchmark, lambda: fc.pixel_array(path)), d.pixels)
        return
    if impl != "framecodec":
        plugin = {"framecodec plugin": "framecodec", "pylibjpeg-rle": "pylibjpeg", "pydicom": "pydicom"}[impl]
        skip_if(d.decode_problem(syntax, plugin))
        assert same(measure(benchmark, lambda: dcmread_pixel_array(path, plugin)), d.pixels)
        return
    peer_plugin, peer = PEER[syntax]
    peer_problem = d.decode_problem(syntax, peer_plugin)
    peers: dict[str, Callable[[], object]] = {"floor": lambda: floor(shape, dtype)}
    if not peer_problem:
        peers[peer] = lambda: dcmread_pixel_array(path, peer_plugin)
    out, times = interleaved(benchmark, impl, lambda: fc.pixel_array(path, threads=1), peers)
    assert same(out, d.pixels)
    if not times:
        return
    text = f"framecodec.pixel_array(path, threads=1) over {peer} (dcmread + ds.pixel_array): {d.label}, {syntax}"
    if (syntax, kind) in PATH_GOALS and peer_problem:
        not_measured(benchmark, text, PATH_GOALS[syntax, kind], peer_problem)
    elif (syntax, kind) in PATH_GOALS:
        goal(benchmark, text, paired(times, peer, impl), PATH_GOALS[syntax, kind], PATH_NAMES[peer])
    if (syntax, kind) in FLOOR_GOALS:
        goal(benchmark, f"framecodec.pixel_array(path, threads=1) over np.empty + fill: {d.label}, {syntax}",
             paired(times, impl, "floor"), FLOOR_GOALS[syntax, kind], PATH_NAMES["floor"], at_most=True)  # fmt: skip


# ------------------------------------------------------------------------------------------------ deflate backends


def _peer(name: str) -> Callable[[Any, int], Any] | None:
    """A peer's one-call raw inflate of a frame of known size (None: not installed)."""
    try:
        if name == "zlib":
            return lambda c, n: zlib.decompress(c, -15, n)
        if name == "isal":
            from isal import isal_zlib

            return lambda c, n: isal_zlib.decompress(c, -15, n)
        if name == "zlib-ng":
            from zlib_ng import zlib_ng

            return lambda c, n: zlib_ng.decompress(c, -15, n)
        import deflate

        return lambda c, n: deflate.deflate_decompress(c, n)
    except ImportError:
        return None


INFLATE_PEERS = ["zlib", "isal", "zlib-ng", "deflate (libdeflate)"]
BACKEND_IMPLS = ["framecodec", "framecodec zlib backend", *INFLATE_PEERS, "floor"]
#: The issue's goals (per frame, here for whole files too): 2x Python's zlib on tiles and 1-bit frames.
BACKEND_GOALS = {"tiles": 2.0, "seg": 2.0}


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
        table = fc.locate_pixel_data(path).frame_table(mm)
        for i, frame in enumerate(fc.iter_frames(mm, table)):
            raw = np.frombuffer(inflate(frame, stored), np.uint8)
            if k.bits_allocated == 1:
                rows[i] = np.unpackbits(raw, count=pixels, bitorder="little")
            else:
                rows[i] = raw.view(out.dtype)
            del frame, raw
    return out


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("impl", BACKEND_IMPLS)
def test_deflate_backends(benchmark: Any, data: Callable[[str], DataSet], kind: str, impl: str) -> None:
    """From the deflate file's path to the array, one thread: ``framecodec.pixel_array`` with the build's default
    inflater (libdeflate) and with FRAMECODEC_INFLATE=zlib, against each peer inflating the same frames into the
    array (Python's zlib, isal, zlib-ng, the deflate package), in the same rounds; and ``np.empty`` + ``fill`` of
    the result (the floor: what writing the array costs whatever decodes it)."""
    d = data(kind)
    path = d.paths["deflate"]
    tag(benchmark, f"deflate backends, path -> array: {d.label}", impl, d.nbytes)
    shape, dtype = d.pixels.shape, d.pixels.dtype
    fns: dict[str, Callable[[], Any]] = {
        "framecodec": lambda: fc.pixel_array(path, threads=1),
        "framecodec zlib backend": with_inflate("zlib", lambda: fc.pixel_array(path, threads=1)),
        "floor": lambda: floor(shape, dtype),
    }
    for name in INFLATE_PEERS:
        inflate = _peer(name)
        if inflate is not None:
            fns[name] = partial(peer_path_to_array, path, d, inflate)
    if impl not in fns:
        pytest.skip(f"{impl} is not installed (a test extra)")
    benchmark.extra_info["backend"] = fc.backends()["inflate"] if impl == "framecodec" else None
    if impl == "floor":
        assert measure(benchmark, fns[impl]).shape == shape
        return
    if impl != "framecodec":
        assert same(measure(benchmark, fns[impl]), d.pixels)
        return
    peers = {name: f for name, f in fns.items() if name != impl}
    out, times = interleaved(benchmark, impl, fns[impl], peers)
    assert same(out, d.pixels)
    if not times:
        return
    benchmark.extra_info["speed-ups"] = {name: paired(times, name, impl) for name in peers}
    backend = fc.backends()["inflate"]
    if kind in BACKEND_GOALS:
        goal(benchmark, f"framecodec.pixel_array(path, threads=1) ({backend}) over Python's zlib frame by frame: "
             f"{d.label}, deflate", paired(times, "zlib", impl), BACKEND_GOALS[kind], "zlib")  # fmt: skip
    others = [name for name in INFLATE_PEERS if name in peers]
    fastest = [min(times[name][r] for name in others) / times[impl][r] for r in range(len(times[impl]))]
    goal(benchmark, f"framecodec.pixel_array(path, threads=1) ({backend}) over the fastest of {', '.join(others)} "
         f"in each round: {d.label}, deflate", statistics.median(fastest), 1.0)  # fmt: skip


# ------------------------------------------------------------------------------------------------ threads

THREAD_IMPLS = ["framecodec threads=1", f"framecodec threads={CORES}", "zlib threads=1", f"zlib threads={CORES}"]


def zlib_frames(fragments: list[bytes], size: int, pool: ThreadPoolExecutor) -> list[bytes]:
    """The embarrassingly parallel reference: Python's zlib (which releases the GIL) on every frame."""
    return list(pool.map(partial(zlib.decompress, wbits=-15, bufsize=size), fragments))


@pytest.mark.parametrize("impl", THREAD_IMPLS)
def test_thread_scaling(benchmark: Any, data: Callable[[str], DataSet], impl: str) -> None:
    """All cores over one thread: ``framecodec.pixel_array(path)`` on the RGB deflate file, next to
    ``zlib.decompress`` of the same frames (in memory) in a ``ThreadPoolExecutor``, in the same rounds."""
    d = data("tiles")
    path, frags, size = d.paths["deflate"], d.fragments["deflate"], d.pixels[0].nbytes
    tag(benchmark, f"threads: {d.label}, deflate", impl, d.nbytes)
    with ThreadPoolExecutor(1) as one, ThreadPoolExecutor(CORES) as every:
        fns: dict[str, Callable[[], Any]] = {
            THREAD_IMPLS[0]: lambda: fc.pixel_array(path, threads=1),
            THREAD_IMPLS[1]: lambda: fc.pixel_array(path, threads=CORES),
            THREAD_IMPLS[2]: lambda: zlib_frames(frags, size, one),
            THREAD_IMPLS[3]: lambda: zlib_frames(frags, size, every),
        }
        if impl != THREAD_IMPLS[1]:
            out = measure(benchmark, fns[impl])
        else:
            # a round of all four takes ~3 s: more rounds than elsewhere, the ratio of two ratios is noisy
            out, times = interleaved(benchmark, impl, fns[impl], {k: f for k, f in fns.items() if k != impl},
                                     budget=45.0, max_rounds=15)  # fmt: skip
            if times:
                ours = paired(times, THREAD_IMPLS[0], THREAD_IMPLS[1])
                ref = paired(times, THREAD_IMPLS[2], THREAD_IMPLS[3])
                per_round = statistics.median(
                    (a / b) / (c / e) for a, b, c, e in zip(*(times[k] for k in THREAD_IMPLS), strict=True)
                )
                benchmark.extra_info["scaling"] = {"framecodec": ours, "zlib ThreadPoolExecutor": ref, "threads": CORES}
                goal(benchmark, f"thread scaling ({CORES} threads over 1) of framecodec.pixel_array over the zlib "
                     f"ThreadPoolExecutor reference's ({ours:.2f}x against {ref:.2f}x): {d.label}, deflate",
                     per_round, 1.0)  # fmt: skip
    if impl.startswith("framecodec"):
        assert same(out, d.pixels)
    else:
        assert b"".join(out) == d.pixels.tobytes()


# ------------------------------------------------------------------------------------------------ compress

COMPRESS_IMPLS = ["framecodec", "framecodec threads=all", "framecodec plugin", "pylibjpeg-rle", "pydicom"]


def fc_compress(d: DataSet, syntax: str, threads: int | None) -> Dataset:
    return fc.compress(d.header(), SYNTAXES[syntax], d.pixels, threads=threads)


def ds_compress(d: DataSet, syntax: str, plugin: str) -> Dataset:
    ds = d.header()
    ds.compress(SYNTAXES[syntax], d.pixels, encoding_plugin=plugin)
    return ds


@pytest.mark.parametrize(("syntax", "kind"), CASES, ids=IDS)
@pytest.mark.parametrize("impl", COMPRESS_IMPLS)
def test_compress(benchmark: Any, data: Callable[[str], DataSet], syntax: str, kind: str, impl: str) -> None:
    """Every frame encoded and encapsulated: ``framecodec.compress(ds, syntax, arr, threads=1)`` (and all
    cores) against ``ds.compress(syntax, arr, encoding_plugin=...)``. Deflate at level 6 (zlib's default,
    which pydicom 3.1 uses) on both sides."""
    if impl == "pylibjpeg-rle" and syntax != "RLE":
        pytest.skip("pylibjpeg-rle encodes RLE only")
    d = data(kind)
    tag(benchmark, f"compress: {d.label}, {syntax}", impl, d.nbytes)
    plugins = {"framecodec plugin": "framecodec", "pylibjpeg-rle": "pylibjpeg", "pydicom": "pydicom"}
    if impl in plugins:
        skip_if(d.encode_problem(syntax, plugins[impl]))
        if impl == "pydicom" and syntax == "RLE":  # pure Python, ~100x slower: a round or two is enough
            ds = benchmark.pedantic(lambda: ds_compress(d, syntax, "pydicom"), rounds=1, iterations=1)
        else:
            ds = measure(benchmark, lambda: ds_compress(d, syntax, plugins[impl]))
        benchmark.extra_info["encoded_bytes"] = len(ds.PixelData)
        assert same(fc.pixel_array(ds), d.pixels)
        if syntax == "deflate":  # the same zlib at the same level: the same bytes
            assert ds.PixelData == d.values[syntax]
        return
    if impl == "framecodec threads=all":
        ds = measure(benchmark, lambda: fc_compress(d, syntax, None))
    else:
        peers: dict[str, Callable[[], object]] = {"framecodec threads=all": lambda: fc_compress(d, syntax, None)}
        for name in ("pylibjpeg-rle", "pydicom") if syntax == "RLE" else ("pydicom",):
            if name == "pydicom" and syntax == "RLE":
                continue  # measured on its own, in one round
            if not d.encode_problem(syntax, plugins[name]):
                peers[name] = partial(ds_compress, d, syntax, plugins[name])
        ds, times = interleaved(benchmark, impl, lambda: fc_compress(d, syntax, 1), peers)
        if times:
            benchmark.extra_info["speed-ups"] = {name: paired(times, name, impl) for name in peers}
    benchmark.extra_info["encoded_bytes"] = len(ds.PixelData)
    assert ds.PixelData == d.values[syntax]  # the batch engine writes what the kernels + encapsulate write
    assert ds.file_meta.TransferSyntaxUID == SYNTAXES[syntax]
