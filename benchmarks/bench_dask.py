"""``framecodec.dask`` on a ``dask.distributed.LocalCluster`` of worker processes (issue 11): the overhead Dask
adds over one process, and cohort transcoding on 2 workers against 1.

    python -m pytest benchmarks/bench_dask.py --benchmark-json=dask.json
    python -m benchmarks.report --only dask        # runs it and writes its table into benchmarks/RESULTS.md

What is timed (files in the page cache):

- ``to_dask(path).sum().compute()`` on a cluster of one worker process per core (one thread each; the client in
  this process) against the same work in this process: the same chunks of frames (``framecodec.dask.CHUNK_BYTES``
  of decoded frames each), each read by ``FrameReader.read(chunk, threads=1)`` and summed, on a pool of one thread
  per core (the baseline: like with like, so that the ratio is Dask's own cost), and, for scale,
  ``framecodec.pixel_array(path).sum()`` (the whole file decoded on every core into one new array, then summed on
  one thread: its fresh pages and its serial sum are what Dask's chunked sums do not pay, which once made Dask
  look faster than one process). On a 400-frame 512 x 512 1-bit segmentation (Deflated Image Frame Compression,
  105 MB decoded) and a 10,000-frame slide of 256 x 256 RGB tiles (RLE Lossless, TILED_FULL, Extended Offset
  Table; 1.97 GB decoded; the generator's mosaic of 64 distinct tiles: 60% tissue cropped from real images,
  real_data.rgb_tiles, the rest background with sensor noise). Group names carry the file's compression ratio.
  The ratio is Dask's time over the chunked baseline's: what graph building, scheduling, opening the file on the
  workers and moving the per-chunk sums cost.
- ``transcode_files(20 files, to="deflate")`` on a cluster of 2 worker processes against one of 1 (the same
  files; each a 100-frame segmentation as RLE, verified after writing): the speed-up two workers give.

Both sides of each ratio run in the same rounds, in turn (timing.interleaved). Under ``--benchmark-disable``
(the smoke run) the files are small and each side runs once, to check its result. Both sides are framecodec's
(``extra_info["impl"]`` "framecodec to_dask" / "framecodec chunks on a thread pool" / "framecodec pixel_array",
"framecodec transcode_files, 2 workers" /
"..., 1 worker"); ``extra_info["bytes"]`` is the decoded size (for transcoding, the input files' size) and
``["threads"]`` the worker processes (or, in this process, the cores). These groups have no copy ceiling: Dask
sums the chunks where they are decoded and never holds the whole array (1.97 GB for the slide), and transcoding is
not a decode.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from distributed import Client, LocalCluster

import framecodec as fc
from framecodec._synthetic import slides
from framecodec.dask import CHUNK_BYTES, to_dask, transcode_files
from pipeline_data import KINDS, DataSet
from real_data import rgb_tiles
from timing import interleaved, paired, tag

CORES = os.cpu_count() or 1
DASK, CHUNKS, WHOLE = "framecodec to_dask", "framecodec chunks on a thread pool", "framecodec pixel_array"
TWO, ONE = "framecodec transcode_files, 2 workers", "framecodec transcode_files, 1 worker"


def cluster(workers: int) -> tuple[LocalCluster, Client]:
    c = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    return c, Client(c)


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[int, Client]]:
    made = {n: cluster(n) for n in sorted({1, 2, CORES})}
    yield {n: client for n, (_, client) in made.items()}
    for c, client in made.values():
        client.close()
        c.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("dask")
    seg = DataSet(KINDS["seg"], 8 if smoke else 400, folder).paths["deflate"]
    spec = slides.many_frames_spec(200 if smoke else 10_000, transfer_syntax=slides.RLE, tissue_tiles=rgb_tiles)
    slide = slides.write_slide(folder / "slide.dcm", spec).path
    (folder / "one").mkdir()
    cohort = DataSet(KINDS["seg"], 4 if smoke else 100, folder / "one")
    src = folder / "cohort"
    src.mkdir()
    for i in range(20):
        shutil.copyfile(cohort.paths["RLE"], src / f"seg{i:02d}.dcm")
    return {"seg": Path(seg), "slide": Path(slide), "cohort": src}


def chunked_sum(path: Path, pool: ThreadPoolExecutor) -> int:
    """What ``to_dask(path).sum()`` computes, in this process: to_dask's chunks (``CHUNK_BYTES`` of decoded
    frames), each read on one thread and summed, ``pool``'s threads taking chunks in turn."""
    with fc.FrameReader(path) as r:
        n = len(r)
        per_chunk = max(1, CHUNK_BYTES // max(1, int(np.prod(r.shape)) * r.dtype.itemsize))

        def chunk(start: int) -> int:
            return int(r.read(slice(start, min(start + per_chunk, n)), threads=1).sum(dtype=np.int64))

        return sum(pool.map(chunk, range(0, n, per_chunk)))


@pytest.mark.parametrize("what", ["seg", "slide"])
def test_to_dask_sum(benchmark: Any, clients: dict[int, Client], files: dict[str, Path], what: str) -> None:
    path = files[what]
    client = clients[CORES]
    with fc.FrameReader(path) as r:
        nbytes = len(r) * int(np.prod(r.shape)) * r.dtype.itemsize
        ratio = nbytes / path.stat().st_size
        label = f"{len(r):,} frames of {r.shape} {r.dtype}, {r.transfer_syntax}, compression {ratio:.1f}:1"
    tag(benchmark, f"sum of every frame: {label}", DASK, nbytes, CORES)  # worker processes of one thread
    benchmark.extra_info.update(baseline=CHUNKS, compression_ratio=round(ratio, 3))  # Dask's time over this
    pool = ThreadPoolExecutor(CORES)

    def on_dask() -> int:
        return int(client.compute(to_dask(path).sum()).result())

    def whole() -> int:
        return int(fc.pixel_array(path).sum(dtype=np.int64))

    try:
        peers = {CHUNKS: lambda: chunked_sum(path, pool), WHOLE: whole}
        result, times = interleaved(benchmark, DASK, on_dask, peers, budget=20, max_rounds=7)
        assert result == whole() == chunked_sum(path, pool)
    finally:
        pool.shutdown()
    if times:
        benchmark.extra_info["overhead"] = paired(times, DASK, CHUNKS)
        benchmark.extra_info["speed-ups"] = {name: paired(times, name, DASK) for name in peers}


def test_transcode_files_scaling(
    benchmark: Any, clients: dict[int, Client], files: dict[str, Path], tmp_path: Path
) -> None:
    paths = sorted(files["cohort"].iterdir())
    nbytes = 0  # decoded bytes, as everywhere
    for p in paths:
        with fc.FrameReader(p) as r:
            nbytes += len(r) * int(np.prod(r.shape)) * r.dtype.itemsize
            label = f"{len(r):,}-frame {r.shape} {r.dtype} segmentations, {r.transfer_syntax}"
    ratio = nbytes / sum(p.stat().st_size for p in paths)
    label = f"{len(paths)} files to deflate ({label}, compression {ratio:.1f}:1)"
    tag(benchmark, f"transcode_files: {label}", TWO, nbytes, 2)
    benchmark.extra_info["baseline"] = ONE

    def run(workers: int) -> Any:
        out = tmp_path / f"out{workers}"
        shutil.rmtree(out, ignore_errors=True)
        rows = transcode_files(paths, out, to="deflate", client=clients[workers])
        assert all(r.status == "ok" for r in rows), [r.error for r in rows if r.status != "ok"]
        return rows

    rows, times = interleaved(benchmark, TWO, lambda: run(2), {ONE: lambda: run(1)}, budget=30, max_rounds=7)
    assert len(rows) == 20
    if times:
        benchmark.extra_info["speed-up"] = paired(times, ONE, TWO)
