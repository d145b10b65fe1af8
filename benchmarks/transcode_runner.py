"""One operation of bench_transcode.py, measured in a process of its own:

    python benchmarks/transcode_runner.py '{"op": "transcode", "src": ..., "dst": ..., "to": "rle", "verify": true}'

Imports and setup (the header-only data set, the mask bank) come first and are not timed; then the operation
alone is timed (``time.perf_counter``), while a thread samples ``/proc/self/status`` every 10 ms for the peaks of
RssAnon (heap, arrays) and RssFile (mapped file pages). Prints one JSON line: ``seconds``, ``ru_maxrss_mb``
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: the process's peak RSS, imports included), ``hwm_mb`` (VmHWM,
the same peak from /proc), ``setup_mb`` (RSS just before the operation), ``anon_mb`` / ``file_mb`` (the sampled
peaks), ``inherited_mb`` (``ru_maxrss`` at start: the peak of the image this one replaced, which must be small;
see transcode_data.run_isolated) and what the operation returns.

Operations (``op``):

- ``transcode``: ``framecodec.transcode(src, dst, to, verify=verify)``;
- ``memory``: the in-memory baseline: ``framecodec.pixel_array(src, raw=raw)`` then ``framecodec.compress`` of
  the whole array on a header-only data set (the Image Pixel attributes read beforehand), nothing written;
- ``old``: the command line's transcode before issue 17: the data set read by pydicom (``defer_size``), every
  frame decoded into one array (JPEG: ``framecodec.decompress`` of the data set to RGB first, as it did), the
  whole array encoded by ``framecodec.compress`` and the file written by ``pydicom.dcmwrite``;
- ``seg_writer``: ``n`` mask frames from a generator through ``framecodec.FrameWriter`` (``batch`` frames a
  ``write`` call; 1: one frame a call) in ``to``;
- ``seg_highdicom``: the same frames assembled into the total pixel matrix highdicom needs, a TILED_FULL BINARY
  ``highdicom.seg.Segmentation`` of it (Explicit VR Little Endian), ``save_as``.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

Op = Callable[[], dict[str, Any]]
TARGETS = {"deflate": "1.2.840.10008.1.2.8.1", "rle": "1.2.840.10008.1.2.5", "explicit": "1.2.840.10008.1.2.1"}


def status_kb() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


class Sampler(threading.Thread):
    """The peaks of RssAnon and RssFile, sampled every 10 ms (the native code releases the GIL while it works)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = {"RssAnon": 0, "RssFile": 0}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.sample()

    def sample(self) -> None:
        s = status_kb()
        for key in self.peak:
            self.peak[key] = max(self.peak[key], s.get(key, 0))


def transcode(job: dict[str, Any]) -> Op:
    import framecodec as fc

    def op() -> dict[str, Any]:
        fc.transcode(job["src"], job["dst"], job["to"], verify=bool(job["verify"]))
        return {"output_bytes": Path(job["dst"]).stat().st_size}

    return op


def _image_pixel_header(src: str, rgb: bool) -> Any:
    """A data set with the source's Image Pixel attributes and nothing else (no Pixel Data)."""
    from pydicom import dcmread

    tags = [
        0x00280002,
        0x00280004,
        0x00280006,
        0x00280008,
        0x00280010,
        0x00280011,
        0x00280100,
        0x00280101,
        0x00280102,
        0x00280103,
    ]
    ds = dcmread(src, stop_before_pixels=True, specific_tags=tags)
    if rgb:  # the JPEG frames are decoded to RGB, as transcode decodes them
        ds.PhotometricInterpretation = "RGB"
    return ds


def memory(job: dict[str, Any]) -> Op:
    import framecodec as fc

    ds = _image_pixel_header(job["src"], not job["raw"])

    def op() -> dict[str, Any]:
        arr = fc.pixel_array(job["src"], raw=bool(job["raw"]))
        fc.compress(ds, TARGETS[job["to"]], arr, generate_instance_uid=False)
        return {"encoded_bytes": len(ds.PixelData), "decoded_bytes": int(arr.nbytes)}

    return op


def old(job: dict[str, Any]) -> Op:
    from pydicom import dcmread, dcmwrite

    import framecodec as fc

    def op() -> dict[str, Any]:
        ds = dcmread(job["src"], defer_size="1 MB")  # the Pixel Data stays in the file until it is needed
        if job["jpeg"]:  # pydicom's path then: the data set decompressed to RGB, then its native pixels
            fc.decompress(ds, as_rgb=True, generate_instance_uid=False)
            arr = fc.pixel_array(ds, raw=True)
        else:
            arr = fc.pixel_array(job["src"], raw=True)
        fc.compress(ds, TARGETS[job["to"]], arr, generate_instance_uid=False)
        dcmwrite(job["dst"], ds, enforce_file_format=True)
        return {"output_bytes": Path(job["dst"]).stat().st_size}

    return op


def _frames(job: dict[str, Any]) -> Callable[[], Iterator[Any]]:
    """A generator function of the job's mask frames: views of the bank (real_data.mask_bank, made by the
    benchmark and saved as .npy, so that this process does not import scikit-image), so a frame costs nothing."""
    import numpy as np

    from real_data import frame_index

    bank = np.load(job["bank"])
    index = frame_index(int(job["n"]), len(bank)).tolist()

    def frames() -> Iterator[Any]:
        for i in index:
            yield bank[i]

    return frames


def seg_writer(job: dict[str, Any]) -> Op:
    import numpy as np

    import framecodec as fc
    from transcode_data import seg_header

    frames = _frames(job)
    n, tile, batch, ts = int(job["n"]), int(job["tile"]), int(job["batch"]), TARGETS[job["to"]]

    def op() -> dict[str, Any]:
        with fc.FrameWriter(job["dst"], seg_header(tile, n, ts), ts, backend=job.get("backend")) as w:
            it = frames()
            if batch == 1:
                for frame in it:
                    w.write(frame)
            else:
                while chunk := list(islice(it, batch)):
                    w.write(np.stack(chunk))
        return {"output_bytes": Path(job["dst"]).stat().st_size}

    return op


def seg_highdicom(job: dict[str, Any]) -> Op:
    import highdicom as hd
    import numpy as np
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from transcode_data import highdicom_source, seg_grid, segment_description

    frames = _frames(job)
    n, tile = int(job["n"]), int(job["tile"])
    across, down = seg_grid(n)
    source, description = highdicom_source(tile, across, down), segment_description()

    def op() -> dict[str, Any]:
        # highdicom takes the whole total pixel matrix: the frames placed in TILED_FULL order (PS3.3 C.7.6.17.3)
        matrix = np.empty((down * tile, across * tile), np.uint8)
        tiles = matrix.reshape(down, tile, across, tile)
        for i, frame in enumerate(frames()):
            tiles[i // across, :, i % across, :] = frame
        seg = hd.seg.Segmentation(
            [source],
            matrix[None],
            "BINARY",
            [description],
            generate_uid(),
            1,
            generate_uid(),
            1,
            "framecodec",
            "bench_transcode",
            "1",
            "1",
            tile_pixel_array=True,
            tile_size=(tile, tile),
            dimension_organization_type="TILED_FULL",
            omit_empty_frames=False,
            transfer_syntax_uid=ExplicitVRLittleEndian,
        )
        seg.save_as(job["dst"])
        return {"output_bytes": Path(job["dst"]).stat().st_size, "frames": int(seg.NumberOfFrames)}

    return op


OPS: dict[str, Callable[[dict[str, Any]], Op]] = {
    "transcode": transcode,
    "memory": memory,
    "old": old,
    "seg_writer": seg_writer,
    "seg_highdicom": seg_highdicom,
}


def main(argv: list[str]) -> None:
    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job = json.loads(argv[1])
    import numpy  # noqa: F401 - every operation's imports before the timing
    import pydicom
    import pydicom.encaps
    import pydicom.pixels  # noqa: F401

    import framecodec  # noqa: F401

    op = OPS[job["op"]](job)
    setup = status_kb()
    sampler = Sampler()
    sampler.start()
    t = time.perf_counter()
    result = op()
    seconds = time.perf_counter() - t
    sampler.done.set()
    sampler.join()
    sampler.sample()
    end = status_kb()
    result.update(
        seconds=seconds,
        ru_maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        hwm_mb=end["VmHWM"] / 1024,
        setup_mb=setup["VmRSS"] / 1024,
        anon_mb=sampler.peak["RssAnon"] / 1024,
        file_mb=sampler.peak["RssFile"] / 1024,
        inherited_mb=inherited / 1024,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
