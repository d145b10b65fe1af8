"""Under load: many Python threads in the native core at once give the single-threaded results, and repeated
calls, failing ones included, hold no memory (issue 10)."""

from __future__ import annotations

import copy
import ctypes
import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

import framecodec as fc
from datasets import DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, RLE, Layout, dataset, make_pixels, save, to_bytes

THREADS = 16

FILES = {  # different files: each codec of the engine, colour, 16-bit, 1-bit, several frames
    "deflate-rgb": (Layout(32, 24, 3, frames=6), DEFLATE),
    "rle-16": (Layout(40, 36, 1, 16, signed=True, frames=5), RLE),
    "rle-1bit": (Layout(33, 47, 1, 1, frames=4), RLE),
    "deflate-1bit": (Layout(64, 50, 1, 1, frames=7), DEFLATE),
    "uncompressed": (Layout(16, 16, 3, frames=3), ENCAPSULATED_UNCOMPRESSED),
    "native-planar": (Layout(20, 18, 3, planar=1, frames=4), EXPLICIT),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("load")
    return {
        name: Path(save(dataset(make_pixels(layout, i), layout, ts), folder / f"{name}.dcm"))
        for i, (name, (layout, ts)) in enumerate(FILES.items())
    }


def jobs(files: dict[str, Path]) -> list[Callable[[], Any]]:
    """Work that goes through the batch API, the reader, the pydicom plugin and the encoders: each returns
    something to compare with its single-threaded result."""
    out: list[Callable[[], Any]] = []
    for _name, path in files.items():
        out.append(lambda p=path: fc.pixel_array(p, threads=2))  # the batch engine, its own worker pool
        out.append(lambda p=path: np.stack(list(fc.iter_pixels(p, batch=2))))

        def reader(p: Path = path) -> Any:
            with fc.FrameReader(p, threads=1) as r:
                return r[::-1], bytes(r.raw(0)) if r.frame_table is not None else b""

        out.append(reader)
        out.append(lambda p=path: pydicom.dcmread(p).pixel_array)  # the plugin, through pydicom
    source = pydicom.dcmread(files["rle-16"])
    for ts in (DEFLATE, RLE):  # encoding, frames on the engine's pool
        out.append(lambda ts=ts: bytes(fc.compress(copy.deepcopy(source), ts, threads=2).PixelData))
    bits = make_pixels(Layout(64, 64, 1, 1, frames=3), 9)
    out.append(lambda: [fc.codecs.deflate(fc.codecs.pack_bits(b)) for b in bits])
    out.append(lambda: fc.codecs.rle_encode(bits[0].tobytes(), 64, 64, 1, 1))
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def test_sixteen_threads_at_once_give_the_single_threaded_results(files: dict[str, Path]) -> None:
    work = jobs(files)
    expected = [job() for job in work]  # one thread
    start = threading.Barrier(THREADS)
    failures: list[str] = []
    done = [0] * THREADS

    def run(t: int) -> None:
        start.wait()
        for round_ in range(3):
            for k in range(len(work)):
                j = (k * 7 + t + round_) % len(work)  # every thread its own order: different files at once
                try:
                    if not same(work[j](), expected[j]):
                        failures.append(f"thread {t}: job {j} gave another result")
                except Exception as e:
                    failures.append(f"thread {t}: job {j} raised {e!r}")
                done[t] += 1

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not any(th.is_alive() for th in threads), "a thread is stuck"
    assert not failures, failures[:5]
    assert done == [3 * len(work)] * THREADS


def rss_bytes() -> int:
    """Resident memory, after glibc has handed free heap memory back to the OS: without the trim, memory that
    earlier tests freed would absorb a leak (and the control below would see nothing)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: RSS as it is
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def repeated_calls(files: dict[str, Path], keep: list[Any] | None = None) -> Callable[[int], None]:
    """One step of the repeated work, good calls and failing ones; with `keep`, every result is held (the
    leak the measurement must see)."""
    layout = Layout(64, 64, frames=1)
    frame = make_pixels(layout, 3).tobytes()
    deflated, rle = fc.codecs.deflate(frame), fc.codecs.rle_encode(frame, 64, 64, 1, 8)
    corrupt = bytearray(rle)
    corrupt[70:80] = b"\x7f" * 10  # a literal run past its segment's end
    truncated_file = to_bytes(dataset(make_pixels(Layout(8, 8, frames=2), 4), Layout(8, 8, frames=2), RLE))[:-40]
    value = fc.encaps.encapsulate([b"ab", b"cd"])
    path = files["deflate-rgb"]

    def step(i: int) -> None:
        results: list[Any] = [
            fc.codecs.decode_frame(deflated, "deflate", 64, 64, 1, 8),
            fc.codecs.rle_decode(rle, 64, 64, 1, 8),
            fc.codecs.unpack_bits(deflated, 1000, bit_offset=i % 8),
        ]
        for bad in (
            lambda: fc.codecs.inflate(deflated[:-9], 4096),
            lambda: fc.codecs.rle_decode(bytes(corrupt), 64, 64, 1, 8),
            lambda: fc.encaps.frame_table(value[:-3], 2),
            lambda: fc.codecs.unpack_bits(b"", 9),
        ):
            try:
                bad()
            except ValueError:
                pass
        if i % 10 == 0:  # the whole pipeline, from a file object and a path; a broken file's error path
            results.append(fc.pixel_array(path))
            try:
                fc.pixel_array(io.BytesIO(truncated_file))
            except ValueError:
                pass
        if i % 50 == 0:
            with fc.FrameReader(path) as r:
                results.append(r[0])
        if keep is not None:
            keep.append(results)

    return step


def rss_growth(step: Callable[[int], None], n: int) -> int:
    for i in range(500):  # warm up: caches, per-thread inflaters, pydicom's lazy imports
        step(i)
    before = rss_bytes()
    for i in range(n):
        step(i)
    return rss_bytes() - before


def test_rss_is_flat_over_ten_thousand_decodes_with_errors(files: dict[str, Path]) -> None:
    growth = rss_growth(repeated_calls(files), 10_000)
    # A leak of one 4 KiB frame per call would add 40 MB; allocator noise is well under the limit.
    assert growth < 8 << 20, f"RSS grew by {growth / 1e6:.1f} MB over 10,000 calls"


def test_the_rss_measurement_sees_a_leak(files: dict[str, Path]) -> None:
    # The control: the same work holding every result (about 13 KB a call) must exceed the limit above, or
    # the test above could not fail.
    keep: list[Any] = []
    growth = rss_growth(repeated_calls(files, keep), 1_000)
    assert growth > 8 << 20, f"holding every result grew RSS by only {growth / 1e6:.1f} MB"
