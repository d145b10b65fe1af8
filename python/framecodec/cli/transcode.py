"""``framecodec transcode IN... OUT --to SYNTAX``: DICOM files into Deflated Image Frame Compression, RLE
Lossless, Explicit VR Little Endian or Encapsulated Uncompressed.

For each input: the data set is read with pydicom (large values deferred: the Pixel Data is never held twice);
the pixels are decoded by ``FrameReader`` in batches for the syntaxes framecodec decodes (stored as they are:
YBR stays YBR), or by pydicom for the others (the JPEG family, ...: ``framecodec.decompress``, YBR as RGB, as
pydicom's ``Dataset.decompress``); then encoded with ``framecodec.compress`` (or written native), saved with
``save_as(enforce_file_format=True)`` to a temporary file in OUT's folder, synced, decoded again and compared
with the source's pixels (unless ``--no-verify``), and renamed to OUT. The input is never written; an
interrupted or failed run leaves no OUT and no temporary file (SIGKILL excepted, which can leave the
temporary file, never a half-written OUT). The SOP Instance UID is kept (a lossless change of transfer
syntax is the same instance, PS3.5 10) unless ``--new-uid``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._common import (
    Progress, UsageError, atomic_output, interruptible, level_arg, report, same_file, threads_arg,
)  # fmt: skip

from .._core import libdeflate_version
from ..backends import Backend

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

HELP = "transcode DICOM files into Deflated Image Frame, RLE Lossless, Explicit VR Little Endian or Encapsulated Uncompressed"
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

EXPLICIT = "1.2.840.10008.1.2.1"
TARGETS = {
    "deflate": "1.2.840.10008.1.2.8.1",  # Deflated Image Frame Compression
    "rle": "1.2.840.10008.1.2.5",  # RLE Lossless
    "explicit": EXPLICIT,  # Explicit VR Little Endian, native
    "encapsulated-uncompressed": "1.2.840.10008.1.2.1.98",  # Encapsulated Uncompressed Explicit VR Little Endian
}
#: Decoded bytes per batch read from the input: the progress bar moves by batch.
BATCH_BYTES = 32 << 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "transcode", help=HELP, description=HELP + ".", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("inputs", nargs="+", metavar="IN", help="DICOM files pydicom can decode (with the plugins it has)")
    p.add_argument("output", metavar="OUT", help="the output file; a folder for several inputs (made if missing)")
    p.add_argument("--to", required=True, choices=list(TARGETS), help="the transfer syntax to write")
    p.add_argument("--level", type=level_arg, default=None, metavar="N",
                   help="deflate level for --to deflate: 0-9, -1 zlib's default (default 6); 0-12 with --backend "
                        "libdeflate")  # fmt: skip
    p.add_argument("--backend", choices=["zlib", "libdeflate"], default=None,
                   help="deflate encoder for --to deflate: zlib (default; pydicom's bytes) or libdeflate (faster, "
                        "levels up to 12)")  # fmt: skip
    p.add_argument("--threads", type=threads_arg, default=None, metavar="N", help="worker threads (default: one per core)")
    p.add_argument("--no-verify", action="store_true", help="do not decode the output again to compare its pixels")
    p.add_argument("--new-uid", action="store_true", help="give the output a new SOP Instance UID")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run one task per file on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' "
                        "for a local cluster of one worker process per core (needs framecodec[dask]); OUT is a "
                        "folder, and a table of the files is printed")  # fmt: skip
    p.set_defaults(run=run)


@dataclass(frozen=True)
class Options:
    transfer_syntax: str
    level: int
    backend: Backend | None
    threads: int | None
    verify: bool
    new_uid: bool


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
    options = Options(TARGETS[args.to], 6 if args.level is None else args.level, args.backend, args.threads,
                      not args.no_verify, args.new_uid)  # fmt: skip
    counts = [_frame_count(src) for src, _ in pairs]
    failed = False
    with Progress(sum(counts), "transcode", quiet=args.quiet) as bar:
        for (src, dst), count in zip(pairs, counts):
            done = bar.done + count
            try:
                transcode_file(src, dst, options, bar)
            except Exception as e:  # noqa: BLE001 - reported as this file's failure; the others go on
                failed = True
                report(src, e)
            bar.advance(max(0, done - bar.done), 0)  # the file's frames, done or failed
        bar.set_stage(os.path.basename(pairs[0][0]) if len(pairs) == 1 else f"{len(pairs)} files")
    return 1 if failed else 0


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
        with Client(cluster if cluster is not None else args.dask) as client:
            rows = transcode_files(args.inputs, output, args.to, client=client, backend=args.backend,
                                   level=6 if args.level is None else args.level, verify=not args.no_verify,
                                   new_uid=args.new_uid, threads=args.threads or 1)  # fmt: skip
    finally:
        if cluster is not None:
            cluster.close()
    print(format_table(rows))
    return 1 if any(r.status != "ok" for r in rows) else 0


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
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
    seen: dict[str, str] = {}
    for src, dst in pairs:
        if same_file(src, dst):
            raise UsageError(f"{src}: the output {dst} is the input itself (transcode never overwrites its input)")
        key = os.path.normcase(os.path.abspath(dst))
        if key in seen:
            raise UsageError(f"{seen[key]} and {src} would both be written to {dst}")
        seen[key] = src
    if into_folder:
        output.mkdir(parents=True, exist_ok=True)
    return pairs


def _frame_count(path: str) -> int:
    """(0028,0008) Number of Frames from the header, 1 when absent or unreadable (for the progress bar)."""
    from pydicom import dcmread

    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=[0x00280008], force=True)
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except Exception:  # noqa: BLE001 - the file's real error is reported when it is transcoded
        return 1


def transcode_file(src: str, dst: Path, options: Options, bar: Progress) -> None:
    from pydicom import dcmread, dcmwrite
    from pydicom.uid import generate_uid

    from .. import _layout
    from ..compress import compress, decompress, set_native_pixel_data
    from ..pixels import pixel_array

    name = os.path.basename(src)
    bar.set_stage(name, "read")
    ds = dcmread(src, defer_size="1 MB")  # the Pixel Data stays in the file until it is needed
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        raise ValueError("Float Pixel Data and Double Float Pixel Data cannot be transcoded (PS3.5 A.4)")
    if "PixelData" not in ds:
        raise ValueError("the data set has no (7FE0,0010) Pixel Data")
    ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
    with atomic_output(dst) as tmp:
        bar.set_stage(name, "decode")
        if ts in _layout.CODECS:
            arr = _read_frames(src, options.threads, lambda done, n: bar.set_stage(name, f"decode {done}/{n}"))
        elif _compressed(ts):  # pydicom decodes (JPEG, ...): YBR as RGB, attributes updated, as Dataset.decompress
            interruptible(decompress, ds, threads=options.threads, as_rgb=True, generate_instance_uid=False)
            arr = interruptible(pixel_array, ds, threads=options.threads, raw=True)
        else:  # native pixels in a data set pydicom reads (Deflated Explicit VR Little Endian)
            arr = interruptible(pixel_array, ds, threads=options.threads, raw=True)
        frames = _layout.layout_of(ds).number_of_frames
        bar.set_stage(name, "encode")
        if options.transfer_syntax == EXPLICIT:
            set_native_pixel_data(ds, arr, _layout.layout_of(ds))
        else:
            interruptible(compress, ds, options.transfer_syntax, arr, level=options.level, threads=options.threads,
                          generate_instance_uid=False, backend=options.backend)  # fmt: skip
        if options.new_uid:
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        for keyword in ("ImplementationClassUID", "ImplementationVersionName"):  # pydicom's: it writes the file
            if keyword in ds.file_meta:
                del ds.file_meta[keyword]
        bar.set_stage(name, "write")
        if ds.original_encoding[1] is False:  # read as Explicit VR Big Endian, written little endian
            _swap_binary_values(ds)
        dcmwrite(tmp, ds, enforce_file_format=True)  # what save_as does, less its refusal to change endianness
        del ds
        if options.verify:
            bar.set_stage(name, "verify")
            _verify(tmp, arr, frames, options.threads)
        bar.set_stage(name, "rename")
    bar.advance(0, arr.nbytes)


def _compressed(transfer_syntax: str) -> bool:
    """Whether pydicom holds the Pixel Data of this syntax encapsulated (unknown syntaxes: as pydicom decides)."""
    from pydicom.uid import UID

    try:
        return bool(UID(transfer_syntax).is_compressed)
    except ValueError:
        return True


def _read_frames(path: str, threads: int | None, done: Callable[[int, int], None]) -> npt.NDArray[Any]:
    """Every frame as stored (``raw``: YBR stays YBR), as ``pixel_array(path, raw=True)`` returns them, read in
    batches so that the progress bar moves (``done(frames read, frames)`` after each)."""
    from ..reader import FrameReader

    with FrameReader(path, threads=threads) as reader:
        n = len(reader)
        frame_bytes = max(1, int(np.prod(reader.shape)) * reader.dtype.itemsize)
        batch = max(1, BATCH_BYTES // frame_bytes)
        first = interruptible(reader.read, slice(0, batch), raw=True)
        done(len(first), n)
        if n <= batch:
            return first if n > 1 else first[0]
        arr = np.empty((n,) + first.shape[1:], first.dtype)
        arr[: len(first)] = first
        del first
        for start in range(batch, n, batch):
            stop = min(start + batch, n)
            interruptible(reader.read, slice(start, stop), raw=True, out=arr[start:stop])
            done(stop, n)
        return arr


#: Binary VRs whose values pydicom keeps as bytes in the byte order they were read in, and their item size.
_WORDS = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _swap_binary_values(ds: Dataset) -> None:
    """Byte-swap the OW, OF, OL, OD and OV values of a data set read big endian (pydicom converts the other
    VRs when it writes little endian, but not these); the new Pixel Data is little endian already."""
    for tag in list(ds.keys()):
        if tag == 0x7FE00010:
            continue
        elem = ds[tag]
        if elem.VR == "SQ":
            for item in elem.value or []:
                _swap_binary_values(item)
            continue
        size = _WORDS.get(str(elem.VR))
        value = elem.value
        if size and isinstance(value, bytes) and len(value) % size == 0:
            elem.value = np.frombuffer(value, f">u{size}").astype(f"<u{size}").tobytes()


def _verify(path: Path, expected: npt.NDArray[Any], frames: int, threads: int | None) -> None:
    """The written file decodes to the pixels it was made from; ``ValueError`` naming the first frame that
    differs."""
    from ..pixels import pixel_array

    got = interruptible(pixel_array, path, threads=threads, raw=True)
    if got.shape != expected.shape:
        raise ValueError(f"verification failed: the output decodes to shape {got.shape}, the input to {expected.shape}")
    if not np.array_equal(got, expected):
        differs = (got.reshape(frames, -1) != expected.reshape(frames, -1)).any(axis=1)
        raise ValueError(f"verification failed: frame {int(np.argmax(differs))} of the output differs from the input")
