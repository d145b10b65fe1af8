"""``framecodec.dask.transcode_files``: ``framecodec.transcode`` over a cohort, one Dask task per file.

Each task is ``framecodec.transcode`` of one file: read in batches, encoded, written to a temporary file in the
output folder, checked against the input (unless ``verify=False``), renamed into place. A file that fails is a
row with its error; the others go on. A worker that dies mid-file (killed, out of memory) leaves at most its
temporary file, never a half-written output: Dask runs the task again elsewhere, and the temporary files of
killed attempts are removed at the end. A worker's death counts against every task it held, so a file that
keeps killing workers (one frame larger than a worker's memory) makes the files queued with it fail as
``KilledWorker`` too: every file whose task did not finish is therefore run again alone, one at a time, and
only a file that fails alone is reported failed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask.bag as db
from dask.base import compute

from ._backends import Backend
from ._errors import describe
from ._output import SUFFIX, check_outputs
from ._ranges import is_url
from ._transcode import TARGETS, transcode

__all__ = ["TranscodeResult", "transcode_files"]


@dataclass(frozen=True)
class TranscodeResult:
    """One file of :func:`transcode_files`."""

    file: str
    output: str
    status: str  # "ok" or "failed"
    input_bytes: int
    output_bytes: int  # 0 when failed
    seconds: float  # on the worker
    error: str = ""  # why it failed

    @property
    def ratio(self) -> float:
        """Input size over output size (file sizes); NaN when failed."""
        return self.input_bytes / self.output_bytes if self.output_bytes else math.nan


def transcode_files(
    paths: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    to: str = "deflate",
    *,
    client: Any = None,
    level: int | None = None,
    backend: Backend | None = None,
    verify: bool = True,
    new_uid: bool = False,
    threads: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> list[TranscodeResult]:
    """Transcode every file into ``out_dir`` (made if missing) under its own name, as a Dask bag with one task
    per file, on ``client`` (a ``distributed.Client``; default: the current client, else Dask's local
    processes). ``to``: ``deflate``, ``rle``, ``explicit`` or ``encapsulated-uncompressed``; ``level``,
    ``backend``, ``verify`` and ``new_uid`` as :func:`framecodec.transcode`; ``threads`` per task.
    ``progress(files done, files)`` is called as files finish (with a client; else once at the end).
    ``paths`` may be URLs (each worker reads its files by byte ranges, with ``storage_options``); ``out_dir`` is a
    local folder (on a cluster, one every worker sees).

    Returns one row per file, in input order; a file that failed has ``status == "failed"`` and its error,
    and is never silently skipped. Raises ``ValueError`` only for arguments that no file could be done with.
    """
    if to not in TARGETS:
        raise ValueError(f"to must be one of {', '.join(TARGETS)}, not {to!r}")
    if (backend is not None or level is not None) and to != "deflate":
        raise ValueError(f"level and backend apply to deflate only, not {to!r}")
    top = 12 if backend == "libdeflate" else 9
    if level is not None and not -1 <= level <= top:
        raise ValueError(f"level must be -1 or 0-{top} for the {backend or 'zlib'} backend, got {level}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pairs = output_pairs([os.fspath(p) for p in paths], out)
    options = {
        "to": to,
        "level": level,
        "backend": backend,
        "verify": verify,
        "new_uid": new_uid,
        "threads": threads,
        "storage_options": storage_options,
    }
    # partition_size=1: one task per file, so a file that kills its worker is retried (and reported) alone.
    tasks = db.from_sequence(pairs, partition_size=1).map(_transcode_one, options).to_delayed()
    client = client if client is not None else _current_client()
    rows: list[TranscodeResult | None] = [None] * len(pairs)
    if client is None:
        rows[:] = [row for part in compute(*tasks) for row in part]
        if progress is not None:
            progress(len(pairs), len(pairs))
    else:
        _on_cluster(client, tasks, pairs, options, rows, progress)
    _remove_temporaries(dst for _, dst in pairs)
    return [r for r in rows if r is not None]


def _on_cluster(
    client: Any,
    tasks: list[Any],
    pairs: list[tuple[str, Path]],
    options: dict[str, Any],
    rows: list[TranscodeResult | None],
    progress: Callable[[int, int], object] | None,
) -> None:
    """Every file's row, from ``client``: all files at once, then each file whose task did not finish (its
    worker died, ``KilledWorker``, perhaps for another file's sake) again, alone."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError

    done = 0

    def finished(i: int, row: TranscodeResult) -> None:
        nonlocal done
        rows[i], done = row, done + 1
        if progress is not None:
            progress(done, len(pairs))

    futures = client.compute(tasks)
    where = {f.key: i for i, f in enumerate(futures)}
    again: list[int] = []
    for future in as_completed(futures):
        try:
            row = future.result()[0]
        except (Exception, FutureCancelledError):
            again.append(where[future.key])  # but its worker's death, or the cluster's
            continue
        finished(where[future.key], row)  # (outside the try: an error of progress() is the caller's)
    del futures
    # One at a time, each its own task (pure=False: a new key, not the erred one), so that a file that kills
    # its worker takes no other file down with it; Dask still runs it on allowed-failures + 1 workers.
    for i in sorted(again):
        future = client.submit(_transcode_one, pairs[i], options, pure=False)
        try:
            row = future.result()
        except (Exception, FutureCancelledError) as e:
            row = _failed(pairs[i][0], pairs[i][1], 0.0, e)
        del future
        finished(i, row)


def output_pairs(inputs: list[str], out: Path) -> list[tuple[str, Path]]:
    """(input, output file in ``out`` under the input's name) for each input; ``ValueError`` when an output
    would be an input itself or two inputs share a name."""
    pairs = [(src, out / os.path.basename(os.path.normpath(src))) for src in inputs]
    check_outputs(pairs)
    return pairs


def format_table(rows: list[TranscodeResult]) -> str:
    """The rows as a plain-text table (what ``framecodec transcode --dask`` prints)."""
    lines = [f"{'file':<40} {'status':<7} {'in MB':>9} {'out MB':>9} {'ratio':>6} {'s':>7}  error"]
    for r in rows:
        name = os.path.basename(r.file)
        lines.append(
            f"{name[-40:]:<40} {r.status:<7} {r.input_bytes / 1e6:>9.2f} {r.output_bytes / 1e6:>9.2f} "
            f"{r.ratio:>6.2f} {r.seconds:>7.2f}  {r.error}"
        )
    ok = sum(r.status == "ok" for r in rows)
    lines.append(f"{ok} of {len(rows)} files transcoded" + (f", {len(rows) - ok} failed" if ok < len(rows) else ""))
    return "\n".join(lines)


def _size(src: str, storage_options: dict[str, Any] | None) -> int:
    if not is_url(src):
        return os.path.getsize(src)
    import fsspec

    fs, path = fsspec.core.url_to_fs(src, **(storage_options or {}))
    return int(fs.size(path))


def _transcode_one(pair: tuple[str, Path], options: dict[str, Any]) -> TranscodeResult:
    src, dst = pair
    start = time.perf_counter()
    try:
        transcode(src, dst, **options)
        return TranscodeResult(
            src,
            str(dst),
            "ok",
            _size(src, options["storage_options"]),
            os.path.getsize(dst),
            time.perf_counter() - start,
        )
    except Exception as e:
        return _failed(src, dst, time.perf_counter() - start, e)


def _failed(src: str, dst: Path, seconds: float, error: BaseException) -> TranscodeResult:
    try:
        size = os.path.getsize(src)
    except OSError:
        size = 0
    return TranscodeResult(src, str(dst), "failed", size, 0, seconds, describe(error))


def _current_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client in this process
        return None


def _remove_temporaries(outputs: Iterable[Path]) -> None:
    """The temporary files (``cli._common.atomic_output``'s names) a killed worker left for these outputs."""
    for dst in outputs:
        for leftover in dst.parent.glob(f".{dst.name}.*{SUFFIX}"):
            try:
                leftover.unlink()
            except OSError:
                pass
