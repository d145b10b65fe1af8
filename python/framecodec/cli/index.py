"""``framecodec index FILE|URL``: the sidecar index of a file whose frames no offset table locates.

A file with an empty Basic Offset Table and no Extended Offset Table (common in archives) is indexed when it is
opened by walking the items of its Pixel Data, which reads all of it: over a network, the whole object. The index
(``NAME.fcidx`` beside the file, or ``-o``) holds where each frame is and the file's size and ETag or modification
time; ``FrameReader`` uses it when it finds it, and never when the file has changed since.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_storage_options, report, storage_options

HELP = "write the sidecar index of a file or URL (where each frame is), so that it opens without a walk"
EXAMPLES = """examples:
  framecodec index slide.dcm                              # writes slide.dcm.fcidx
  framecodec index s3://bucket/slide.dcm -S anon=false    # writes s3://bucket/slide.dcm.fcidx
  framecodec index https://host/slide.dcm -o slide.fcidx  # somewhere else (then FrameReader(url, index=...))
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "index",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="DICOM files, or their URLs (s3://, gs://, https://, ...)")
    p.add_argument("-o", "--output", metavar="DEST", help="where to write the index (one file only)")
    add_storage_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._index import write_index
    from ._common import UsageError

    if args.output is not None and len(args.files) > 1:
        raise UsageError("-o names one index: give one file")
    failed = False
    for path in args.files:
        try:
            where = write_index(path, args.output, storage_options=storage_options(args))
        except Exception as e:
            failed = True
            report(path, e)
            continue
        print(f"{path}: {where}")
    return 1 if failed else 0
