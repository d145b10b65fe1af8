"""The batch engine's worker pool (cpp/thread_pool.*): one pool for the process, its workers started on first need
and reused; a call with threads=N runs on at most N threads counting its caller; small work stays on the caller;
calls from several Python threads at once, and decoding in a forked child, give the right pixels.

Thread counts are read from /proc/self/task in a fresh interpreter, where nothing else starts threads between
two readings; the pixels are compared with pydicom's own decoder (datasets.reference), never with framecodec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import framecodec as fc
from datasets import DEFLATE, EXPLICIT, RLE, Layout, assert_identical, dataset, make_pixels, reference, save

TESTS = Path(__file__).resolve().parent
PACKAGE = Path(fc.__file__).resolve().parent.parent  # the framecodec this test imported (installed or not)
pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc/self/task (Linux)")

# 72 frames of 256 x 256 16-bit: 9.4 MB to decode, above the pool's inline bound for RLE (1 MB of work, an RLE
# byte an eighth of one: batch_decode.cpp's decode_work), so calls use workers.
BIG = Layout(256, 256, bits=16, stored=12, frames=72)
SMALL = Layout(64, 64, bits=16, stored=12, frames=3)  # 24 KB: always decoded on the calling thread
MID = Layout(256, 256, bits=16, stored=12, frames=16)  # 2 MB: the pool's for deflate, not for RLE or native


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name: (a DICOM file, its pixels as pydicom decodes them saved as .npy)."""
    folder = tmp_path_factory.mktemp("pool")
    out = {}
    cases = [("big", BIG, RLE), ("deflate", BIG, DEFLATE), ("small", SMALL, RLE)]
    cases += [("mid deflate", MID, DEFLATE), ("mid rle", MID, RLE), ("mid native", MID, EXPLICIT)]
    for name, layout, ts in cases:
        path = save(dataset(make_pixels(layout, seed=len(out)), layout, ts), folder / f"{name}.dcm")
        expected = folder / f"{name}.npy"
        np.save(expected, reference(path))
        out[name] = (path, expected)
    return out


def run_child(script: str, *args: Path) -> str:
    """Runs `script` in a fresh interpreter (a hang fails the test after two minutes) and returns its stdout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE), str(TESTS)]))
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


PRELUDE = """
import os, sys
import numpy as np
import framecodec as fc

def tasks():
    return len(os.listdir("/proc/self/task"))

def check(path, expected, threads):
    if not np.array_equal(fc.pixel_array(path, threads=threads), np.load(expected)):
        sys.exit(f"wrong pixels from {path} with threads={threads}")
"""


def test_workers_are_started_once_and_reused(files: dict[str, tuple[Path, Path]]) -> None:
    """threads=1 and small work start no thread; the pool grows to the largest threads= asked for, minus the
    caller, and repeated calls start no more."""
    script = (
        PRELUDE
        + """
import json
big, small = sys.argv[1:3], sys.argv[3:5]
seen = {"base": tasks()}
def step(name, path, threads):
    for _ in range(6):
        check(*path, threads)
    seen[name] = tasks()
step("threads=1", big, 1)
step("small, threads=4", small, 4)
step("threads=2", big, 2)
step("threads=2 again", big, 2)
step("threads=None", big, None)
step("threads=4", big, 4)
step("threads=3", big, 3)
step("small, threads=4 again", small, 4)
seen["default"] = fc.codecs.default_threads()
print(json.dumps(seen))
"""
    )
    seen = json.loads(run_child(script, *files["big"], *files["small"]))
    base, default = seen.pop("base"), min(seen.pop("default"), BIG.frames)
    helpers_none = max(1, default - 1)
    assert seen == {
        "threads=1": base,
        "small, threads=4": base,
        "threads=2": base + 1,
        "threads=2 again": base + 1,
        "threads=None": base + helpers_none,
        "threads=4": base + max(3, helpers_none),
        "threads=3": base + max(3, helpers_none),
        "small, threads=4 again": base + max(3, helpers_none),
    }


def test_small_work_is_weighed_by_codec(files: dict[str, tuple[Path, Path]]) -> None:
    """The same 2 MB of decoded frames: native and RLE ones (memory-bound, a byte cheap) are decoded on the calling
    thread, deflate ones (inflate: a byte dearer) on the pool, a worker started for them."""
    script = (
        PRELUDE
        + """
import json
seen = {"base": tasks()}
for name, path, expected in zip(["native", "rle", "deflate"], sys.argv[1::2], sys.argv[2::2]):
    check(path, expected, 2)
    seen[name] = tasks()
print(json.dumps(seen))
"""
    )
    seen = json.loads(run_child(script, *files["mid native"], *files["mid rle"], *files["mid deflate"]))
    base = seen.pop("base")
    assert seen == {"native": base, "rle": base, "deflate": base + 1}


@pytest.mark.parametrize("threads", [None, 2, 3])
def test_concurrent_calls(files: dict[str, tuple[Path, Path]], threads: int | None) -> None:
    """Calls from several Python threads at once (the GIL is released in each) share the pool's workers and
    each gets its own pixels."""
    wanted = {name: np.load(expected) for name, (_, expected) in files.items()}
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def decode(k: int) -> None:
        try:
            start.wait()
            for i in range(8):
                name = list(files)[(k + i) % len(files)]
                assert_identical(fc.pixel_array(files[name][0], threads=threads), wanted[name])
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=decode, args=(k,)) for k in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors


def test_forked_child_decodes(files: dict[str, tuple[Path, Path]]) -> None:
    """After fork() the child has none of the parent's workers: it starts its own (one for threads=2) and decodes
    right, while a parent thread was decoding on the pool across each fork."""
    script = (
        PRELUDE
        + """
import threading
big = sys.argv[1:3]
check(*big, 2)  # the parent's pool has its worker
stop, failed = threading.Event(), []
def busy():
    while not stop.is_set():
        try:
            check(*big, 2)
        except SystemExit as e:
            failed.append(e)
            return
t = threading.Thread(target=busy)
t.start()
codes = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        try:
            before = tasks()
            check(*big, 2)
            check(*big, 2)
            os._exit(0 if tasks() == before + 1 else 3)
        except BaseException:
            os._exit(2)
    codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
stop.set()
t.join()
check(*big, 2)
print(codes, failed)
"""
    )
    assert run_child(script, *files["big"]).split() == ["[0,", "0,", "0,", "0,", "0,", "0,", "0,", "0]", "[]"]


@pytest.mark.parametrize("threads", [0, 1, 2, 4])
@pytest.mark.parametrize("tasks", [0, 1, 2, 3, 64, 1000])
def test_every_task_runs_once(threads: int, tasks: int) -> None:
    """run_parallel on its own: each task once, on no more threads than asked for (or tasks); small work on the
    calling thread only."""
    runs, used = fc._core._pool_run(tasks, threads, 1 << 30)
    assert runs == [1] * tasks
    assert used <= min(threads or fc.codecs.default_threads(), max(tasks, 1))
    runs, used = fc._core._pool_run(tasks, threads, 1000)
    assert runs == [1] * tasks
    assert used == min(tasks, 1)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_state_constructor_failure_raises(threads: int) -> None:
    """A worker whose state cannot be made (no memory, say) fails the call, and the pool still works after."""
    with pytest.raises(RuntimeError, match="the worker's state could not be made"):
        fc._core._pool_run(100, threads, 1 << 30, fail=True)
    assert fc._core._pool_run(100, threads, 1 << 30)[0] == [1] * 100
