"""The framecodec command line: ``framecodec demo`` (or ``python -m framecodec demo``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="framecodec", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="encode and decode a built-in synthetic segmentation and compare with Python's zlib")
    demo.add_argument("--frames", type=int, default=64, help="number of frames (default 64)")
    demo.add_argument("--size", type=int, default=512, help="rows and columns of each frame (default 512)")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import run

        return run(frames=args.frames, size=args.size)
    return 2


if __name__ == "__main__":
    sys.exit(main())
