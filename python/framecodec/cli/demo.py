"""``framecodec demo``: the built-in example (``framecodec.demo``)."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "encode and decode a built-in synthetic segmentation and compare with Python's zlib"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help=HELP, description=HELP + ".")
    p.add_argument("--frames", type=int, default=64, help="number of frames (default 64)")
    p.add_argument("--size", type=int, default=512, help="rows and columns of each frame (default 512)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import run as demo

    return demo(frames=args.frames, size=args.size)
