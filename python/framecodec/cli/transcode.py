"""``framecodec transcode IN... OUT --to SYNTAX``: DICOM files into Deflated Image Frame Compression, RLE
Lossless, Explicit VR Little Endian or Encapsulated Uncompressed.

Each input is ``framecodec.transcode``: read in batches (framecodec's decoders, or pydicom's for the syntaxes it
does not decode), written by ``FrameWriter`` to a temporary file in OUT's folder, every batch decoded again and
compared with the input (unless ``--no-verify``), synced and renamed to OUT. Memory is a few batches whatever the
file's size. The input is never written; an interrupted or failed run leaves no OUT and no temporary file (SIGKILL
excepted, which can leave the temporary file, never a half-written OUT). The SOP Instance UID is kept (a lossless
change of transfer syntax is the same instance, PS3.5 10) unless ``--new-uid``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path
from typing import Any

from .._core import libdeflate_version
from .._output import check_outputs
from .._transcode import TARGETS
from ._common import Progress, UsageError, level_arg, report, threads_arg, warn

HELP = (
    "transcode DICOM files into Deflated Image Frame, RLE Lossless, Explicit VR Little Endian or "
    "Encapsulated Uncompressed"
)
EXAMPLES = """examples:
  framecodec transcode seg.dcm seg-deflate.dcm --to deflate --level 9
  framecodec transcode seg.dcm seg-small.dcm --to deflate --backend libdeflate --level 12
  framecodec transcode ct.dcm ct-rle.dcm --to rle --threads 8
  framecodec transcode series/*.dcm out/ --to explicit      # several inputs: OUT is a folder
  framecodec transcode jpeg.dcm plain.dcm --to encapsulated-uncompressed --no-verify
  framecodec transcode cohort/*.dcm out/ --to deflate --dask tcp://scheduler:8786   # one Dask task per file

Every output is decoded again and compared with the input's pixels before it is renamed into place
(unless --no-verify). Exit status: 0 all files written, 1 a file failed (the others are still written),
2 a usage error, 130 interrupted.
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "transcode",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="IN", help="DICOM files pydicom can decode (with the plugins it has)")
    p.add_argument("output", metavar="OUT", help="the output file; a folder for several inputs (made if missing)")
    p.add_argument("--to", required=True, choices=list(TARGETS), help="the transfer syntax to write")
    p.add_argument(
        "--level",
        type=level_arg,
        default=None,
        metavar="N",
        help="deflate level for --to deflate: 0-9, -1 zlib's default (default 6); 0-12 with --backend libdeflate",
    )
    p.add_argument(
        "--backend",
        choices=["zlib", "libdeflate"],
        default=None,
        help="deflate encoder for --to deflate: zlib (default; pydicom's bytes) or libdeflate (faster, "
        "levels up to 12)",
    )
    p.add_argument(
        "--threads", type=threads_arg, default=None, metavar="N", help="worker threads (default: one per core)"
    )
    p.add_argument("--no-verify", action="store_true", help="do not decode the output again to compare its pixels")
    p.add_argument("--new-uid", action="store_true", help="give the output a new SOP Instance UID")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run one task per file on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' "
        "for a local cluster of one worker process per core (needs framecodec[dask]); OUT is a "
        "folder, and a table of the files is printed",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for option, value in (("--level", args.level), ("--backend", args.backend)):
        if value is not None and args.to != "deflate":
            raise UsageError(f"{option} applies to --to deflate only, not --to {args.to}")
    if args.level is not None and args.level > 9 and args.backend != "libdeflate":
        raise UsageError(f"--level {args.level} needs --backend libdeflate (zlib's levels are -1 and 0-9)")
    if args.backend == "libdeflate" and libdeflate_version is None:
        raise UsageError("--backend libdeflate: framecodec was built without libdeflate")
    if args.dask is not None:
        return _run_on_dask(args)
    pairs = plan(args.inputs, Path(args.output))
    counts = [_frame_count(src) for src, _ in pairs]
    failed = False
    with Progress(sum(counts), "transcode", quiet=args.quiet) as bar:
        for (src, dst), count in zip(pairs, counts):
            end = bar.done + count
            name = os.path.basename(src)
            bar.set_stage(name)
            try:
                _transcode_one(src, dst, args, bar, name)
            except Exception as e:
                failed = True
                report(src, e)
            bar.advance(max(0, end - bar.done), 0)  # the file's frames, done or failed
        bar.set_stage(os.path.basename(pairs[0][0]) if len(pairs) == 1 else f"{len(pairs)} files")
    return 1 if failed else 0


def _transcode_one(src: str, dst: Path, args: argparse.Namespace, bar: Progress, name: str) -> None:
    """One file; pydicom's warnings about it are shown once each, in a line naming it."""
    from .._transcode import transcode

    start = bar.done

    def progress(done: int, total: int) -> None:
        bar.advance(start + done - bar.done, 0)
        bar.set_stage(name, f"{done}/{total}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            transcode(
                src,
                dst,
                args.to,
                level=args.level,
                backend=args.backend,
                threads=args.threads,
                verify=not args.no_verify,
                new_uid=args.new_uid,
                progress=progress,
            )
        finally:
            seen: set[str] = set()
            for w in caught:
                text = " ".join(str(w.message).split())
                if text not in seen:
                    seen.add(text)
                    warn(src, text)


def _run_on_dask(args: argparse.Namespace) -> int:
    """``--dask ADDRESS``: ``framecodec.dask.transcode_files`` on that cluster; the table on stdout."""
    try:
        from distributed import Client, LocalCluster

        from .._dask_transcode import format_table, transcode_files
    except ImportError as e:
        raise UsageError(f"--dask needs Dask and distributed: pip install 'framecodec[dask]' ({e})") from None
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is not a folder: with --dask, OUT is the output folder")
    plan(args.inputs, _made(output))  # usage errors before any cluster starts
    cluster = LocalCluster(processes=True, dashboard_address=":0") if args.dask == "local" else None
    try:
        with (
            Client(cluster if cluster is not None else args.dask) as client,
            Progress(len(args.inputs), "transcode", quiet=args.quiet, unit="file") as bar,
        ):

            def progress(done: int, total: int) -> None:
                bar.advance(done - bar.done, 0)

            rows = transcode_files(
                args.inputs,
                output,
                args.to,
                client=client,
                backend=args.backend,
                level=args.level,
                verify=not args.no_verify,
                new_uid=args.new_uid,
                threads=args.threads or 1,
                progress=progress,
            )
    finally:
        if cluster is not None:
            cluster.close()
    print(format_table(rows))
    return 1 if any(r.status != "ok" for r in rows) else 0


def _made(folder: Path) -> Path:
    """The output folder, made if missing; a usage error when it cannot be (a path under a file, a read-only file
    system, no permission)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot make the output folder {folder}: {e.strerror or e}") from None
    return folder


def plan(inputs: list[str], output: Path) -> list[tuple[str, Path]]:
    """(input, output file) for each input; ``UsageError`` when OUT cannot be used as given. Several inputs go
    into the folder OUT (made here), each under its own name."""
    into_folder = len(inputs) > 1 or output.is_dir()
    if into_folder:
        if output.exists() and not output.is_dir():
            raise UsageError(f"{output} is not a folder: several inputs need an output folder")
        pairs = [(src, output / os.path.basename(os.path.normpath(src))) for src in inputs]
    else:
        pairs = [(inputs[0], output)]
    try:
        check_outputs(pairs)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if into_folder:
        _made(output)
    return pairs


def _frame_count(path: str) -> int:
    """(0028,0008) Number of Frames from the header, 1 when absent or unreadable (for the progress bar)."""
    from pydicom import dcmread

    from .._stream import require_regular_file

    try:
        require_regular_file(path)  # a FIFO or a device is reported when its turn comes, never read here
        with warnings.catch_warnings():  # shown once, when the file is transcoded
            warnings.simplefilter("ignore")
            ds = dcmread(path, stop_before_pixels=True, specific_tags=[0x00280008], force=True)
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except Exception:
        return 1
