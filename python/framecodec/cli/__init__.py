"""The ``framecodec`` command line (also ``python -m framecodec``): ``info``, ``decode``, ``index``,
``transcode``, ``bench`` and ``demo``, one module each.

Exit status: 0 success; 1 a file failed (``framecodec: FILE: message`` on stderr, the other files are still
processed); 2 a usage error; 130 interrupted (Ctrl-C or SIGTERM; no output file is left half-written).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType

from . import bench, decode, demo, index, info, transcode
from ._common import UsageError, work_abandoned

__all__ = ["main"]

DESCRIPTION = "C++-accelerated codecs for DICOM pixel data: inspect, decode and transcode DICOM files."
EPILOG = """examples:
  framecodec info slide.dcm                               # what the Pixel Data holds, no pixel decoded
  framecodec info --json *.dcm                            # the same for machines
  framecodec decode slide.dcm -o tiles.npy --frames 0:100 # frames into a numpy file
  framecodec info s3://bucket/slide.dcm -S anon=true      # a file in a bucket (or https://...), by byte ranges
  framecodec index s3://bucket/slide.dcm                  # its frame positions beside it, for a quick open
  framecodec transcode ct.dcm ct-rle.dcm --to rle         # re-encode, verified before it is renamed into place
  framecodec transcode in/*.dcm out/ --to deflate --level 9
  framecodec bench                                        # the quick benchmark table
  framecodec demo                                         # the built-in example
  framecodec demo --files examples/                       # example files: a slide, a Segmentation, a CT

Run "framecodec COMMAND --help" for a command's options. Exit status: 0 success, 1 a file failed (the
others are still processed), 2 usage error, 130 interrupted.
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="framecodec", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (info, decode, index, transcode, bench, demo):
        module.add_parser(sub)
    return p


def _version() -> str:
    from .. import __version__
    from .._backends import describe

    return f"{__version__} ({describe()})"


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does: temporary files are removed


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)  # usage errors: argparse prints them and exits with 2
    handles = hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if handles else None
    try:
        status: int = args.run(args)
        sys.stdout.flush()
        return status
    except UsageError as e:
        p.exit(2, f"{p.prog} {args.command}: error: {e}\n")
    except KeyboardInterrupt:  # temporary files are gone already (atomic_output)
        print("framecodec: interrupted", file=sys.stderr)
        if work_abandoned():  # a C++ call still runs on its thread: leave without Python's shutdown
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (framecodec info ... | head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
