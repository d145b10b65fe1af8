"""framecodec.dask on a real dask.distributed LocalCluster with 2 worker processes: lazy arrays over frames,
slide regions and cohorts equal pixel_array / read_region (and pydicom), task graphs carry no pixel bytes,
readers pickle by path, and cohort transcoding reports failed files and survives a killed worker."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster

import framecodec as fc
import framecodec._region as region_module
from datasets import DEFLATE, EXPLICIT, RLE, Layout, assert_identical, dataset, make_pixels, reference, save
from framecodec._synthetic import slides
from framecodec.dask import region_to_dask, stack_files, to_dask, transcode_files

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def local_cluster(**options: Any) -> Iterator[LocalCluster]:
    """``LocalCluster(processes=True, ...)`` closed with a bound: closing one whose nanny is restarting a killed
    worker can wait forever (distributed 2026.8), which would hang the suite instead of ending the test."""
    cluster = LocalCluster(**options)
    try:
        yield cluster
    finally:
        try:
            cluster.close(timeout=30)
        except Exception:
            pass


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with local_cluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as c:
            yield c


def seg(folder: Path, name: str = "seg.dcm", frames: int = 40, seed: int = 0, ts: str = DEFLATE) -> Path:
    layout = Layout(64, 80, bits=1, frames=frames)
    return Path(save(dataset(make_pixels(layout, seed), layout, ts), folder / name))


def ct(folder: Path, name: str, frames: int, size: int = 64, ts: str = RLE, seed: int = 0) -> Path:
    layout = Layout(size, size, bits=16, stored=12, signed=True, frames=frames)
    return Path(save(dataset(make_pixels(layout, seed), layout, ts), folder / name))


def worker_pids(client: Client) -> set[int]:
    return set(client.run(os.getpid).values())


def test_to_dask_runs_on_the_worker_processes_and_equals_pixel_array(client: Client, tmp_path: Path) -> None:
    cases = {
        "seg": (seg(tmp_path), 7),
        "ct": (ct(tmp_path, "ct.dcm", 9), 4),
        "rgb": (
            Path(slides.write_slide(tmp_path / "s.dcm", slides.SlideSpec(tile=64, transfer_syntax=RLE)).path),
            None,
        ),
    }
    for name, (path, per_chunk) in cases.items():
        arr = to_dask(path, frames_per_chunk=per_chunk)
        expected = fc.pixel_array(path)
        assert arr.shape == expected.shape and arr.dtype == expected.dtype, name
        if per_chunk:
            assert arr.chunks[0][0] == per_chunk and arr.numblocks[0] == -(-expected.shape[0] // per_chunk)
        futures = client.compute(arr)
        assert_identical(futures.result(), expected)
        assert_identical(expected, reference(path))  # and both are pydicom's
        assert_identical(client.compute(arr[3:8, 10:20]).result(), expected[3:8, 10:20])
        assert int(client.compute(arr.sum()).result()) == int(expected.sum(dtype=np.int64))
    # the chunks were decoded in the worker processes, not here
    assert os.getpid() not in worker_pids(client)


def test_to_dask_single_frame_and_pydicom_syntaxes(client: Client, tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    one = ct(tmp_path, "one.dcm", 1)
    arr = to_dask(one)
    assert arr.shape == (1, 64, 64)  # always a frame axis
    assert_identical(client.compute(arr).result()[0], fc.pixel_array(one))
    jpeg = get_testdata_file("SC_rgb_dcmtk_+eb+cr.dcm")  # JPEG baseline: pydicom (Pillow) on the workers
    assert_identical(client.compute(to_dask(jpeg)).result()[0], fc.pixel_array(jpeg))


def test_default_chunks_follow_the_frame_size(tmp_path: Path) -> None:
    path = ct(tmp_path, "ct.dcm", 5, size=32)
    assert to_dask(path).chunks[0] == (5,)  # 2 KB frames: all in one chunk of at most CHUNK_BYTES
    with fc.FrameReader(path) as r:
        from framecodec import dask as fd

        old = fd.CHUNK_BYTES
        fd.CHUNK_BYTES = 3 * 32 * 32 * 2
        try:
            assert to_dask(r).chunks[0] == (3, 2)
        finally:
            fd.CHUNK_BYTES = old
    with pytest.raises(ValueError, match="frames_per_chunk must be at least 1"):
        to_dask(path, frames_per_chunk=0)


def test_graphs_carry_no_pixel_data(tmp_path: Path) -> None:
    # The pickled graph is the path, header and frame table: tens of bytes a frame, never the frames.
    small, large = ct(tmp_path, "s.dcm", 10, size=128), ct(tmp_path, "l.dcm", 200, size=128, seed=1)
    sizes = {}
    for path in (small, large):
        arr = to_dask(path, frames_per_chunk=5)
        graph = dict(arr.__dask_graph__())
        sizes[path] = len(pickle.dumps(graph))
        pixels = os.path.getsize(path)
        assert sizes[path] < 20_000 + 100 * len(arr), (sizes[path], pixels)
        for frame in fc.FrameReader(path).raw(0), fc.FrameReader(path).raw(len(arr) - 1):
            assert bytes(frame)[:64] not in pickle.dumps(graph)
    assert sizes[large] - sizes[small] < 0.05 * (os.path.getsize(large) - os.path.getsize(small))


def test_region_to_dask_equals_read_region(client: Client, tmp_path: Path) -> None:
    specs = {
        "full": slides.SlideSpec(width=900, height=650, tile=128, transfer_syntax=DEFLATE),
        "sparse": slides.SlideSpec(
            width=700,
            height=500,
            tile=(96, 80),
            tiling=slides.TILED_SPARSE,
            missing=0.3,
            focal_planes=2,
            optical_paths=2,
            shuffle=True,
            samples=1,
            transfer_syntax=RLE,
        ),
    }
    for name, spec in specs.items():
        path = Path(slides.write_slide(tmp_path / f"{name}.dcm", spec).path)
        with fc.FrameReader(path) as r:
            for plane, optical_path in [(0, 0)] + ([(1, 1), (0, 1)] if name == "sparse" else []):
                arr = region_to_dask(path, chunk=(300, 256), focal_plane=plane, optical_path=optical_path)
                whole = r.read_region((0, 0), (spec.width, spec.height), focal_plane=plane, optical_path=optical_path)
                assert arr.shape == whole.shape and arr.chunks[0][0] == 300 and arr.chunks[1][0] == 256
                assert_identical(client.compute(arr).result(), whole)
                part = arr[123:471, 37:611:3]
                assert_identical(client.compute(part).result(), whole[123:471, 37:611:3])
                assert_identical(client.compute(arr[-5, 9:20]).result(), whole[-5, 9:20])
        with pytest.raises(ValueError, match="focal_plane 5 is out of range"):
            region_to_dask(path, focal_plane=5)
        with pytest.raises(ValueError, match="chunk must be at least 1 x 1"):
            region_to_dask(path, chunk=(0, 10))


def test_region_to_dask_refuses_a_matrix_far_larger_than_its_tiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A header claiming a total pixel matrix of 2**32 - 1 x 2**32 - 1 pixels over one 16 x 16 tile: 2**40
    # chunks, which Dask would walk on every compute (even of arr[0:10, 0:10]). Refused at once, naming both.
    import struct

    from framecodec import dask as fd

    spec = slides.SlideSpec(width=16, height=16, tile=16, tiling=slides.TILED_SPARSE, transfer_syntax=RLE)
    path = Path(slides.write_slide(tmp_path / "s.dcm", spec).path)
    data = bytearray(path.read_bytes())
    for element in (0x0006, 0x0007):  # (0048,0006) Total Pixel Matrix Columns, (0048,0007) Rows: UL
        at = data.index(struct.pack("<HH2sH", 0x0048, element, b"UL", 4))
        data[at + 8 : at + 12] = struct.pack("<I", 0xFFFFFFFF)
    hostile = tmp_path / "hostile.dcm"
    hostile.write_bytes(bytes(data))
    with fc.FrameReader(hostile) as r:
        assert (r.geometry.total_columns, r.geometry.total_rows) == (0xFFFFFFFF, 0xFFFFFFFF)
    refused = (
        r"Columns 4294967295 x \(0048,0007\) Rows 4294967295 \(far larger than its tiles.*1099511627776 chunks "
        r"of 4096 x 4096.*tiles \(1 of 16 x 16\) cover 16 x 16"
    )
    with pytest.raises(ValueError, match=refused):
        region_to_dask(hostile)
    with pytest.raises(ValueError, match="far larger than its tiles"):
        region_to_dask(hostile, chunk=(1 << 20, 1 << 20))
    # The bound is on the chunks, whatever the file: 12 chunks of a real slide pass a bound of 12, not of 11.
    full = Path(slides.write_slide(tmp_path / "f.dcm", slides.SlideSpec(width=900, height=650, tile=128)).path)
    monkeypatch.setattr(fd, "MAX_CHUNKS", 12)
    assert region_to_dask(full, chunk=(300, 256)).numblocks == (3, 4, 1)
    monkeypatch.setattr(fd, "MAX_CHUNKS", 11)
    with pytest.raises(ValueError, match=r"Columns 900 x \(0048,0007\) Rows 650 would be 12 chunks of 300 x 256"):
        region_to_dask(full, chunk=(300, 256))


def test_a_region_reads_only_the_tiles_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = slides.SlideSpec(width=2000, height=1500, tile=100, transfer_syntax=RLE)
    path = Path(slides.write_slide(tmp_path / "s.dcm", spec).path)
    read: list[int] = []
    original = region_module.decode_region  # what read_region hands its tiles to

    def counting(frames: Any, region: Any, frame_list: Any, *args: Any) -> Any:
        read.extend(frame_list.tolist())
        return original(frames, region, frame_list, *args)

    monkeypatch.setattr(region_module, "decode_region", counting)
    arr = region_to_dask(path, chunk=(1024, 1024))
    with dask.config.set(scheduler="threads"):
        got = arr[250:430, 1010:1190].compute()
    asked = set(read)
    with fc.FrameReader(path) as r:
        wanted = set(r.geometry.frames_in(1010, 250, 180, 180, 100, 100).tolist())
        assert_identical(got, r.read_region((1010, 250), (180, 180)))
    # The area lies in two chunks; the tiles read are those that meet the area, not the chunks' 2 x 110.
    assert asked == wanted and len(wanted) == 2 * 3


def test_stack_files(client: Client, tmp_path: Path) -> None:
    paths = [seg(tmp_path, f"s{i}.dcm", seed=i) for i in range(3)]
    arr = stack_files(paths, frames_per_chunk=16)
    assert arr.shape == (3, 40, 64, 80)
    assert_identical(client.compute(arr).result(), np.stack([fc.pixel_array(p) for p in paths]))
    longer = seg(tmp_path, "longer.dcm", frames=50)
    with pytest.raises(
        ValueError, match=r"longer\.dcm has 50 frames \(40 in the first\), unlike the first file .*s0\.dcm"
    ):
        stack_files(paths + [longer])
    joined = stack_files(paths[:1] + [longer], concatenate=True)
    assert joined.shape == (90, 64, 80)
    assert_identical(
        client.compute(joined).result(), np.concatenate([fc.pixel_array(paths[0]), fc.pixel_array(longer)])
    )
    other = ct(tmp_path, "ct.dcm", 40)
    with pytest.raises(ValueError, match=r"ct\.dcm has frames of shape \(64, 64\) \(\(64, 80\) in the first\)"):
        stack_files([paths[0], other], concatenate=True)
    with pytest.raises(ValueError, match="at least one file"):
        stack_files([])


def test_readers_pickle_by_path(tmp_path: Path) -> None:
    path = ct(tmp_path, "ct.dcm", 6)
    with fc.FrameReader(path) as r:
        data = pickle.dumps(r)
        assert len(data) < os.path.getsize(path) / 2
        again = pickle.loads(data)
        assert again.path == r.path and len(again) == 6
        assert_identical(again.read(), r.read())
        assert bytes(fc.encaps.frame_bytes(again._frames.buffer, again.frame_table, 5)) == bytes(r.raw(5))
        # A bare table pickles by value but is not tied to a buffer of this process: it refuses to cut one.
        table = pickle.loads(pickle.dumps(r.frame_table))
        assert np.array_equal(table.offsets, r.frame_table.offsets)
        with pytest.raises(ValueError, match="the frame table was unpickled"):
            fc.encaps.frame_bytes(r._frames.buffer, table, 0)
    # A slide with an Extended Offset Table: the table travels as where it lies in the file (the worker reads it
    # there), not as 24 bytes a frame, and not in the header, which does not read it.
    slide = Path(slides.write_slide(tmp_path / "s.dcm", slides.many_frames_spec(1000, transfer_syntax=RLE)).path)
    with fc.FrameReader(slide) as r:
        size = len(pickle.dumps(r))
        assert size < 8_000 and "ExtendedOffsetTable" not in r._frames.ds
        again = pickle.loads(pickle.dumps(r))
        assert again.frame_table.source == "extended" and np.array_equal(
            again.frame_table.lengths, r.frame_table.lengths
        )
        assert_identical(again[[0, 999]], r[[0, 999]])
    os.utime(path, ns=(0, 0))  # the file changed (as far as can be told) after the reader was pickled
    with pytest.raises(OSError, match="changed since its FrameReader was pickled"):
        pickle.loads(data)


def adapter_of(arr: Any) -> Any:
    """The adapter key of a framecodec.dask array's graph (what the scheduler unpickles)."""
    from framecodec import dask as fd

    (adapter,) = [v for v in dict(arr.__dask_graph__()).values() if isinstance(v, fd._Frames)]
    return adapter


def test_adapters_unpickle_without_their_file_and_open_it_on_first_use(tmp_path: Path) -> None:
    # The scheduler unpickles the graph, the adapter with it, but need not see the files: unpickling maps
    # nothing; the file is opened where a chunk is first read, once.
    path = ct(tmp_path, "ct.dcm", 6)
    slide = Path(
        slides.write_slide(
            tmp_path / "s.dcm", slides.SlideSpec(width=300, height=200, tile=64, tiling=slides.TILED_SPARSE)
        ).path
    )

    def array(source: Path) -> Any:
        return to_dask(source, frames_per_chunk=2) if source == path else region_to_dask(source, chunk=(128, 128))

    for source in (path, slide):
        data = pickle.dumps(adapter_of(array(source)))
        away = source.with_name("away.dcm")
        source.rename(away)  # the file is not at its path here (as on a scheduler's node)
        try:
            adapter = pickle.loads(data)
            with pytest.raises(FileNotFoundError, match=source.name):
                adapter[0:1]  # the first read opens it: here it is missing, and the error names it
        finally:
            away.rename(source)
        arr = array(source)  # (renaming changed the file's status-change time: a reader pickled before refuses it)
        again = pickle.loads(pickle.dumps(adapter_of(arr)))
        assert_identical(again[0:2], np.asarray(arr[0:2]))
        assert again.reader is again.reader  # opened once in this process, then reused
        assert_identical(pickle.loads(pickle.dumps(again))[1:3], np.asarray(arr[1:3]))  # and pickles again


def test_the_scheduler_maps_no_file(client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The LocalCluster's scheduler runs in this process: here no file can be mapped, yet the graph runs, since
    # only the workers (other processes) open the files.
    import framecodec._core as core

    path = ct(tmp_path, "ct.dcm", 9)
    expected = fc.pixel_array(path)
    arr = to_dask(path, frames_per_chunk=4)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a file was mapped in the scheduler's process")

    monkeypatch.setattr(core, "MappedFile", refuse)
    assert_identical(client.compute(arr).result(), expected)


def test_transcode_files_reports_a_corrupt_file_and_finishes_the_others(client: Client, tmp_path: Path) -> None:
    good = [seg(tmp_path, "a.dcm"), ct(tmp_path, "b.dcm", 5), ct(tmp_path, "c.dcm", 3, ts=EXPLICIT)]
    corrupt = tmp_path / "corrupt.dcm"
    data = bytearray(good[1].read_bytes())
    data[-200:-100] = b"\xff" * 100  # inside the last RLE frame
    corrupt.write_bytes(bytes(data))
    out = tmp_path / "out"
    rows = transcode_files([good[0], corrupt, good[1], good[2]], out, to="deflate", client=client, level=9)
    assert [Path(r.file).name for r in rows] == ["a.dcm", "corrupt.dcm", "b.dcm", "c.dcm"]
    assert [r.status for r in rows] == ["ok", "failed", "ok", "ok"]
    assert "frame 4" in rows[1].error and rows[1].output_bytes == 0 and np.isnan(rows[1].ratio)
    assert sorted(os.listdir(out)) == ["a.dcm", "b.dcm", "c.dcm"]  # no output, no temporary file for the failure
    for src, row in zip(good, [rows[0], rows[2], rows[3]]):
        assert row.output_bytes == os.path.getsize(row.output) and row.ratio == row.input_bytes / row.output_bytes
        assert fc.FrameReader(row.output).transfer_syntax == DEFLATE
        assert_identical(reference(row.output), reference(src))
    with pytest.raises(ValueError, match="level must be -1 or 0-9"):
        transcode_files(good, out, level=12)
    with pytest.raises(ValueError, match="would both be written"):
        transcode_files([good[0], tmp_path / "out" / "a.dcm"], tmp_path / "again")


def kill_while_writing(client: Client, out: Path, stop: threading.Event, killed: list[list[int]], once: bool) -> None:
    """SIGKILL every worker as soon as a temporary output holds bytes (the file is being written or verified):
    once, or at every attempt (each writes a temporary file of its own). ``killed`` gets the pids of each attempt."""
    seen: set[Path] = set()
    while not stop.is_set():
        writing = {p for p in out.glob(".*.framecodec-tmp") if p.exists() and p.stat().st_size > 0} - seen
        if writing:
            seen |= writing
            pids = sorted(worker_pids(client))
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            killed.append(pids)
            if once:
                return
        time.sleep(0.002)


@pytest.mark.parametrize("allowed_failures", [3, 0])
def test_a_killed_worker_leaves_no_half_written_output(tmp_path: Path, allowed_failures: int) -> None:
    # A file large enough that writing and verifying it take a while; the workers are killed during that.
    src = ct(tmp_path, "big.dcm", 60, size=512, ts=EXPLICIT)
    out = tmp_path / "out"
    out.mkdir()
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        with local_cluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            with Client(cluster) as c:
                stop, killed = threading.Event(), []  # type: ignore[var-annotated]
                # allowed_failures 0: killed at every attempt, the file's first and its retry alone
                watcher = threading.Thread(target=kill_while_writing, args=(c, out, stop, killed, allowed_failures > 0))
                watcher.start()
                try:
                    rows = transcode_files([src], out, to="deflate", client=c, level=9)
                finally:
                    stop.set()
                    watcher.join()
    assert killed, "the workers were never caught writing"
    (row,) = rows
    leftovers = sorted(os.listdir(out))
    if allowed_failures:  # Dask ran the task again on a new worker: a whole, verified output
        assert row.status == "ok" and leftovers == ["big.dcm"]
        assert_identical(reference(out / "big.dcm"), reference(src))
    else:  # reported as failed, never skipped: and no output at all, not even the temporary file
        assert row.status == "failed" and "KilledWorker" in row.error and leftovers == []
        # killed at the first attempt and at the retry alone (how many workers each time depends on how many
        # the nanny had restarted by then)
        assert len(killed) >= 2


class KillOnFile:
    """A worker plugin (registered on the scheduler, so workers that replace killed ones get it too): transcoding
    the file of this name ends the worker process at once, as the kernel's OOM killer would."""

    def __init__(self, name: str) -> None:
        self.name = name

    def setup(self, worker: Any) -> None:
        import framecodec._dask_transcode as module

        real, name = module.transcode, self.name

        def transcode(src: Any, dst: Any, **options: Any) -> Any:
            if os.path.basename(src) == name:
                os._exit(1)
            return real(src, dst, **options)

        module.transcode = transcode  # type: ignore[assignment]


def test_a_file_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    # One worker thread, every task sent to the worker at once (no scheduler-side queuing): the good files wait
    # on the worker behind the killer, so each death counts against them too and the first pass reports them
    # KilledWorker with it. Retried alone, they are written; the killer, retried alone, kills again and fails.
    from distributed.diagnostics.plugin import WorkerPlugin

    good = [ct(tmp_path, f"g{i}.dcm", 2, size=32, seed=i) for i in range(4)]
    killer = ct(tmp_path, "killer.dcm", 2, size=32)
    out = tmp_path / "out"
    config = {"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": float("inf")}
    plugin = type("KillOnFilePlugin", (KillOnFile, WorkerPlugin), {})("killer.dcm")
    calls: list[tuple[int, int]] = []
    with dask.config.set(config):
        with local_cluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            with Client(cluster) as c:
                c.register_plugin(plugin)
                rows = transcode_files(
                    [killer, *good], out, to="rle", client=c, progress=lambda done, total: calls.append((done, total))
                )
                # the nanny restarts the last killed worker: closing mid-restart is what can wait forever
                c.wait_for_workers(1, timeout=60)
    assert [Path(r.file).name for r in rows] == ["killer.dcm", *(p.name for p in good)]
    assert [r.status for r in rows] == ["failed", "ok", "ok", "ok", "ok"], [r.error for r in rows]
    assert "KilledWorker" in rows[0].error
    assert sorted(os.listdir(out)) == sorted(p.name for p in good)  # written, and no temporary file left
    for src in good:
        assert_identical(reference(out / src.name), reference(src))
    assert calls[-1] == (5, 5) and [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_cli_transcode_on_a_dask_cluster(client: Client, tmp_path: Path) -> None:
    good = seg(tmp_path, "a.dcm")
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"DICM" * 10)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "framecodec",
        "transcode",
        str(good),
        str(bad),
        str(out),
        "--to",
        "rle",
        "--dask",
        client.scheduler.address,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["file", "status", "in"]
    assert lines[1].split()[:2] == ["a.dcm", "ok"] and lines[2].split()[:2] == ["bad.dcm", "failed"]
    assert lines[-1] == "1 of 2 files transcoded, 1 failed"
    assert_identical(fc.pixel_array(out / "a.dcm"), fc.pixel_array(good))
    assert fc.FrameReader(out / "a.dcm").transfer_syntax == RLE
    file_out = tmp_path / "file.dcm"
    file_out.write_bytes(b"")
    usage = subprocess.run(cmd[:-4] + [str(file_out), "--to", "rle", "--dask", "local"], capture_output=True, text=True)
    assert usage.returncode == 2 and "is not a folder" in usage.stderr


def test_adapters_take_any_numpy_index(tmp_path: Path) -> None:
    # What Dask may hand a chunk's read after fusing a user's index into it: ints, negative and reversed
    # slices, index arrays; each must give what numpy gives on the decoded array (outer indexing, one axis at
    # a time, as Dask means two index arrays).
    from framecodec import dask as fd

    path = Path(slides.write_slide(tmp_path / "s.dcm", slides.SlideSpec(width=300, height=200, tile=64)).path)
    with fc.FrameReader(path) as r:
        whole_frames = r.read()
        whole = r.read_region((0, 0), (300, 200))
        frames = fd._Frames(fd._Opener(r), whole_frames.shape, r.dtype, 1, False)
        region = fd._Region(fd._Opener(r), whole.shape, r.dtype, 1, False, 0, 0, None)
        keys = [
            (7,),
            (-1, 5),
            (slice(None, None, -1), 3),
            (slice(2, None, 3), slice(None, 10, 4)),
            ([4, 0, 9], 1),
            (slice(None), [3, -1]),
            (5, slice(190, 3, -7), 2),
            ([0, 150], [299, 1]),
            (slice(50, 10), 0),
        ]
        for key in keys:
            first, rest = key[0], key[1:]
            outer = whole[first][(slice(None), *rest)] if np.ndim(first) or isinstance(first, slice) else whole[key]
            assert_identical(region[key], outer)
            if not (len(key) > 1 and np.ndim(first) and np.ndim(key[1])):
                assert_identical(frames[key], whole_frames[key])
    darr = region_to_dask(path, chunk=(128, 128))
    with dask.config.set(scheduler="sync"):
        for key in [(slice(None, None, -1), slice(3, 250, 5)), (slice(120, 140), -3), ([5, 180], slice(10, 20))]:
            assert_identical(darr[key].compute(), whole[key])
