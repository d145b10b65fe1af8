"""``framecodec bench``: the quick benchmark table (a few seconds), framecodec against its peers measured in
the same run on synthetic files. The full benchmarks are in the source tree's ``benchmarks/``."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from ._common import threads_arg

HELP = "time framecodec against pydicom's plugins and Python's zlib on synthetic files (a few seconds)"
EXAMPLES = """examples:
  framecodec bench
  framecodec bench --repeat 9 --threads 4
  framecodec bench --scale 4          # four times the frames per file
  framecodec bench --full             # the whole suite (a source checkout's benchmarks/): RESULTS.md and plots

Times are medians of --repeat runs after one warm-up run. "ratio" is the row's time over framecodec's
one-thread time in the same case (above 1: framecodec is faster), so peers are compared thread for thread.
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "bench",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--repeat", type=threads_arg, default=3, metavar="N", help="timed runs per row (default 3)")
    p.add_argument(
        "--threads",
        type=threads_arg,
        default=None,
        metavar="N",
        help="threads of the multi-threaded framecodec rows (default: one per core)",
    )
    p.add_argument("--scale", type=float, default=1.0, metavar="X", help="frames per file times X (default 1)")
    p.add_argument(
        "--full",
        action="store_true",
        help="run the full benchmark suite of a source checkout (python -m benchmarks.report: every peer, "
        "tables and plots into benchmarks/RESULTS.md; about 25 minutes)",
    )
    p.add_argument("--only", nargs="+", metavar="AREA", help="with --full: some areas (deflate, bitpack, rle, ...)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.full:
        return _full(args.only)
    import pydicom

    import framecodec

    from .. import _bench

    if not args.scale > 0:
        from ._common import UsageError

        raise UsageError(f"--scale must be positive, got {args.scale}")
    from .._backends import describe

    print(
        f"framecodec {framecodec.__version__} ({describe()}), pydicom {pydicom.__version__}, "
        f"{os.cpu_count()} cores; median of {args.repeat} runs; ratio: time over framecodec's one-thread time",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="framecodec-bench-") as folder:
        cases = _bench.run(Path(folder), repeat=args.repeat, threads=args.threads, scale=args.scale)
        print(format_table(cases))
    return 0


def _full(only: list[str] | None) -> int:
    """``python -m benchmarks.report`` in the source checkout this framecodec comes from, or the current folder's."""
    import subprocess
    import sys

    from ._common import UsageError

    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):  # python/framecodec/cli -> the checkout
        if (root / "benchmarks" / "report" / "__main__.py").exists():
            cmd = [sys.executable, "-m", "benchmarks.report"] + (["--only", *only] if only else [])
            return subprocess.run(cmd, cwd=root).returncode
    raise UsageError(
        "--full runs the benchmark suite of a source checkout (its benchmarks/ folder): run it from "
        "the repository, or from an editable install (pip install -e '.[test,bench]')"
    )


def format_table(cases: list[Any]) -> str:
    lines = []
    width = max(len(r.implementation) for c in cases for r in c.rows) + 2
    header = f"  {'implementation':<{width}}{'median':>11}{'MB/s':>9}{'ratio':>9}"
    for case in cases:
        lines.append("")
        lines.append(
            f"{case.title}: {case.operation} ({case.pixel_bytes / 1e6:,.1f} MB of pixels, "
            f"file {case.file_bytes / 1e6:,.1f} MB)"
        )
        lines.append(header)
        base = next((r.seconds for r in case.rows if r.implementation.endswith("1 thread")), None)
        for row in case.rows:
            if row.seconds is None:
                lines.append(f"  {row.implementation:<{width}}{'-':>11}{'-':>9}{'-':>9}  cannot run here: {row.note}")
                continue
            ratio = f"{row.seconds / base:.2f}x" if base else ""
            note = f"  ({row.note})" if row.note else ""
            lines.append(
                f"  {row.implementation:<{width}}{_ms(row.seconds):>11}"
                f"{case.pixel_bytes / row.seconds / 1e6:>9,.0f}{ratio:>9}{note}"
            )
    return "\n".join(lines[1:])


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"
