"""The data and the measuring harness of bench_transcode.py (issue 17): the headers highdicom and FrameWriter get,
readers of written frames that do not use framecodec, and :func:`run_isolated`, which runs one operation of
transcode_runner.py in a fresh process and returns its time and peak RSS. The segmentation's masks are
real_data.mask_bank's (thresholded segments of real images); its slides slide_bench's (tissue from real images).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from framecodec._synthetic.dicom_bytes import DEFLATE, EXPLICIT, RLE

BENCHMARKS = Path(__file__).resolve().parent
RUNNER = BENCHMARKS / "transcode_runner.py"
SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"  # Segmentation Storage

# ------------------------------------------------------------------------------------------------ geometry


def seg_grid(n: int) -> tuple[int, int]:
    """(tiles across, tiles down) of a total pixel matrix of exactly ``n`` tiles, about 1.6 times as wide as high
    (big_slides.many_frames_spec's choice: 100,000 frames are 400 x 250)."""
    across = max(d for d in range(1, int((n * 1.6) ** 0.5) + 1) if n % d == 0)
    across = max(across, n // across)
    return across, n // across


# ------------------------------------------------------------------------------------------------ headers


def seg_header(tile: int, n: int, transfer_syntax: str) -> Any:
    """The data set FrameWriter gets: volume_headers' binary Segmentation (one segment, a Shared Functional
    Groups item, no Per-Frame Functional Groups) of ``n`` frames of ``tile`` x ``tile``."""
    from framecodec._synthetic.volume_headers import segmentation_header

    return segmentation_header(tile, n, transfer_syntax, instance="bench_transcode")


def highdicom_source(tile: int, across: int, down: int) -> Any:
    """The source image highdicom's tiled Segmentation derives from: a VL Whole Slide Microscopy Image header
    (slides.py's) whose total pixel matrix is ``across`` x ``down`` tiles, MONOCHROME2."""
    from framecodec._synthetic.slides import TILED_FULL, SlideSpec, header

    spec = SlideSpec(
        width=across * tile, height=down * tile, tile=tile, tiling=TILED_FULL, samples=1, transfer_syntax=EXPLICIT
    )
    ds = header(spec, across * down, instance="bench_transcode source")
    ds.ContainerIdentifier = "FC-CONTAINER"
    return ds


def segment_description() -> Any:
    import highdicom as hd
    from pydicom.sr.codedict import codes

    return hd.seg.SegmentDescription(
        segment_number=1,
        segment_label="mask",
        segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )


# ------------------------------------------------------------------------------------------------ checks


def _pixel_data_start(path: Path) -> tuple[int, int]:
    """(where the Pixel Data element's value starts in the file, its value length), found by the element's
    header bytes after pydicom has parsed the rest (the header holds no Pixel Data element of its own)."""
    import mmap

    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        for vr in (b"OB", b"OW"):
            pos = m.find(b"\xe0\x7f\x10\x00" + vr + b"\x00\x00")
            if pos >= 0:
                return pos + 12, int.from_bytes(m[pos + 8 : pos + 12], "little")
    raise ValueError(f"{path}: no (7FE0,0010) Pixel Data")


def stored_frame(path: Path, index: int) -> npt.NDArray[Any]:
    """Frame ``index`` of a written file as stored, decoded without framecodec: native values read from the
    file, deflate by Python's zlib (fragments found by pydicom's ``get_frame``), RLE by pylibjpeg-rle (pydicom's
    plugin); 1-bit frames unpacked (PS3.5 8.1.1, little-endian bit order). (rows, columns[, samples]) uint8."""
    import pydicom
    from pydicom.encaps import get_frame

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    ts = str(ds.file_meta.TransferSyntaxUID)
    rows, cols, spp, bits = int(ds.Rows), int(ds.Columns), int(ds.SamplesPerPixel), int(ds.BitsAllocated)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    shape = (rows, cols, spp) if spp > 1 else (rows, cols)
    pixels = rows * cols * spp
    if ts == RLE:  # pylibjpeg-rle: pydicom 3.0's own RLE decoder has no 1-bit frames
        from pydicom.pixels.utils import pixel_array

        return np.asarray(pixel_array(str(path), index=index, decoding_plugin="pylibjpeg"))
    start, _ = _pixel_data_start(path)
    if ts == EXPLICIT:
        first_bit = index * pixels * bits
        with open(path, "rb") as f:
            f.seek(start + first_bit // 8)
            data = f.read(-(-(pixels * bits + first_bit % 8) // 8))
        if bits == 1:
            bits_read = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
            return bits_read[first_bit % 8 :][:pixels].reshape(shape)
        return np.frombuffer(data, np.uint8).reshape(shape)
    if ts != DEFLATE:
        raise ValueError(f"{path}: no reference reader for {ts}")
    eot = None
    if "ExtendedOffsetTable" in ds:
        eot = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    with open(path, "rb") as f:
        f.seek(start)
        fragment = get_frame(f, index, number_of_frames=n, extended_offsets=eot)
    data = zlib.decompress(fragment, -15)  # raw RFC 1951 (PS3.5 8.2.16)
    if bits == 1:
        return np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")[:pixels].reshape(shape)
    return np.frombuffer(data, np.uint8)[:pixels].reshape(shape)


def sample_indices(n: int, k: int = 24) -> list[int]:
    """``k`` frames spread over ``n``, the first and last among them."""
    return sorted({0, n - 1, *np.linspace(0, n - 1, k).astype(int).tolist()})


def decoded_bytes(path: Path) -> int:
    """The decoded size of a file's frames, one byte per pixel for 1-bit frames (as ``pixel_array`` gives them)."""
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return n * int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel) * max(1, int(ds.BitsAllocated) // 8)


# ------------------------------------------------------------------------------------------------ harness


def run_isolated(job: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run one operation of transcode_runner.py in a fresh process and return what it measured (its JSON line).

    The runner is started through ``sh -c '"$@"; exit $?'``, which forks it from a small shell: Linux carries the
    peak RSS of the process image an ``execve`` replaces into ``ru_maxrss`` of the new program, and a process
    started straight from this one (fork or vfork + exec) would report at least this pytest process's own peak
    (gigabytes here). The shell's fork starts a new accounting whose old image is the shell's few MB."""
    import framecodec

    paths = [str(Path(framecodec.__file__).resolve().parents[1]), str(BENCHMARKS), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    cmd = ["/bin/sh", "-c", '"$@"; exit $?', "sh", sys.executable, str(RUNNER), json.dumps(job)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{job['op']} failed (exit {done.returncode}): {done.stderr[-3000:]}{done.stdout[-1000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
