"""``framecodec decode FILE -o OUT.npy``: frames of a DICOM file into a numpy ``.npy`` file.

The frames are decoded by ``FrameReader.read`` in batches (the progress bar moves by batch) straight into a
memory-mapped ``.npy`` file with a temporary name in OUT's folder, which is renamed to OUT when it is complete.
The array is the one ``framecodec.pixel_array(FILE, index)`` returns for the same selection.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._common import (
    FrameSpec,
    Progress,
    UsageError,
    add_storage_options,
    atomic_output,
    frames_arg,
    interruptible,
    report,
    same_file,
    storage_options,
    threads_arg,
)

HELP = "decode frames of a DICOM file into a numpy .npy file"
EXAMPLES = """examples:
  framecodec decode seg.dcm -o seg.npy                    # every frame
  framecodec decode slide.dcm -o tiles.npy --frames 0:100 # frames 0 to 99
  framecodec decode slide.dcm -o some.npy --frames 3,17,42 --threads 4
  framecodec decode ct.dcm -o last.npy --frames=-1        # one frame: no frame axis
  framecodec decode s3://bucket/slide.dcm -o tiles.npy --frames 0:100 -S anon=true

The .npy holds what framecodec.pixel_array(FILE, index) returns: frames x rows x columns (x samples), one
0/1 byte per pixel for 1-bit data, YBR_FULL as RGB unless --raw; one index (or a single-frame file without
--frames) gives no frame axis.
"""

#: Decoded bytes per batch: large enough for the worker pool, small enough for the bar to move.
BATCH_BYTES = 32 << 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "decode",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="a DICOM file, or its URL (s3://, gs://, https://, ...)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.npy", help="the .npy file to write")
    p.add_argument(
        "--frames",
        type=frames_arg,
        default=None,
        metavar="SPEC",
        help="frames to decode, 0-based: a:b, a:b:c, i,j,k or i (default: all)",
    )
    p.add_argument(
        "--threads", type=threads_arg, default=None, metavar="N", help="worker threads (default: one per core)"
    )
    p.add_argument("--raw", action="store_true", help="keep YBR_FULL as stored (no conversion to RGB)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_storage_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if same_file(args.file, out):
        raise UsageError(f"the output {args.output} is the input file itself")
    try:
        decode_file(
            args.file,
            out,
            args.frames,
            threads=args.threads,
            raw=args.raw,
            quiet=args.quiet,
            storage_options=storage_options(args),
        )
    except UsageError:  # --frames that select nothing: exit 2, as argparse's errors
        raise
    except Exception as e:
        report(args.file, e)
        return 1
    return 0


def selection(spec: FrameSpec, n: int) -> tuple[npt.NDArray[np.int64], bool]:
    """The frames ``spec`` selects from ``n``, in order, and whether the result has a frame axis (as in
    ``pixel_array``: not for one index, nor for all frames of a single-frame file)."""
    if spec is None:
        return np.arange(n, dtype=np.int64), n > 1
    if isinstance(spec, slice):
        return np.arange(n, dtype=np.int64)[spec], True
    indices = np.atleast_1d(np.asarray(spec, dtype=np.int64))
    bad = (indices >= n) | (indices < -n)
    if bad.any():
        raise IndexError(f"frame index {int(indices[bad][0])} out of range for {n} frame{'s' * (n != 1)}")
    return np.where(indices < 0, indices + n, indices), not isinstance(spec, int)


def _spec_text(spec: FrameSpec) -> str:
    """A --frames slice as it was written (a:b, a:b:c)."""
    if not isinstance(spec, slice):
        return str(spec)
    parts = [spec.start, spec.stop] + ([spec.step] if spec.step is not None else [])
    return ":".join("" if p is None else str(p) for p in parts)


def decode_file(
    path: str,
    out: Path,
    spec: FrameSpec,
    *,
    threads: int | None,
    raw: bool,
    quiet: bool,
    storage_options: dict[str, Any] | None = None,
) -> None:
    from .._truncated import missing_frames_error
    from ..reader import FrameReader

    with FrameReader(path, threads=threads, storage_options=storage_options) as reader:
        n = len(reader)
        indices, frame_axis = selection(spec, n)
        count = len(indices)
        if count == 0:  # a slice such as 5:2, 3:3 or 20: of 10 frames: nothing to write is a mistake
            raise UsageError(f"--frames {_spec_text(spec)} selects no frames of the {n}")
        missing = indices[indices >= reader.whole_frames]
        if len(missing) and reader.truncation is not None:  # a file cut short: fail before decoding anything
            raise missing_frames_error(missing.tolist(), reader.whole_frames, n, reader.truncation)
        frame_bytes = max(1, int(np.prod(reader.shape)) * reader.dtype.itemsize)
        batch = max(1, BATCH_BYTES // frame_bytes)
        name = os.path.basename(path)
        with Progress(count, name, quiet=quiet) as bar, atomic_output(out) as tmp:
            first = interruptible(reader.read, indices[:batch], raw=raw)  # its dtype and shape are the result's
            bar.advance(len(first), first.nbytes)
            shape = ((count,) if frame_axis else ()) + first.shape[1:]
            result = np.lib.format.open_memmap(tmp, mode="w+", dtype=first.dtype, shape=shape)
            frames = result.reshape((count,) + first.shape[1:])
            frames[: len(first)] = first
            del first
            for start in range(batch, count, batch):
                stop = min(start + batch, count)
                interruptible(reader.read, indices[start:stop], raw=raw, out=frames[start:stop])
                bar.advance(stop - start, (stop - start) * frame_bytes)
            result.flush()
            del frames, result
