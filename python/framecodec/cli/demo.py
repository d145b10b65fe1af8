"""``framecodec demo``: the built-in example (``framecodec.demo``); with ``--files DIR``, the example files the
README reads written into DIR."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import UsageError

HELP = "encode and decode a built-in synthetic segmentation and compare with Python's zlib"
FILES_HELP = (
    "write the example files into DIR (made if missing) instead, and print their paths: slide.dcm (a "
    "whole-slide image, 300 RGB tiles of 256x256, deflated, Extended Offset Table), seg.dcm (a 1-bit "
    "Segmentation, 100 frames of 512x512, deflated) and ct.dcm (a 16-bit CT, 50 frames of 512x512, RLE "
    "Lossless)"
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help=HELP, description=HELP + ".")
    p.add_argument("--frames", type=int, default=64, help="number of frames (default 64)")
    p.add_argument("--size", type=int, default=512, help="rows and columns of each frame (default 512)")
    p.add_argument("--files", type=Path, metavar="DIR", help=FILES_HELP)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import demo

    if args.files is None:
        return demo.run(frames=args.frames, size=args.size)
    if args.files.exists() and not args.files.is_dir():
        raise UsageError(f"--files {args.files}: exists and is not a folder")
    return demo.write_files(args.files)
