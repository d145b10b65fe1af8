"""The peak memory of a 10,000-frame framecodec.transcode in a child process, against a control (the whole file
decoded at once) that shows the bound can fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from datasets import EXPLICIT, RLE, Layout, assert_identical, base_dataset, save
from framecodec._transcode import BATCH_BYTES

# ------------------------------------------------------------------------------------------ peak memory

#: 10,000 frames of 64 x 64 RGB 8-bit: 122.9 MB decoded.
RSS_FRAMES = 10_000
RSS_DECODED = RSS_FRAMES * 64 * 64 * 3
#: What a streaming transcode may add to the peak RSS: well under the decoded size (and the control's growth), room
#: for a few batches: a batch read, decoded, encoded and decoded again to verify, and the allocator's slack.
RSS_BOUND = 5 * BATCH_BYTES

CHILD = r"""
import os, sys, traceback

# Linux keeps a process's peak RSS (ru_maxrss) across exec, taken from the process it was forked from: the child of
# a big pytest process starts at pytest's peak. A fork starts from its own RSS at the fork, so the work runs in one.
pid = os.fork()
if pid:
    sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
code = 1
try:
    import resource
    import numpy as np
    import pydicom
    import framecodec as fc

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    what, src, warm, dst = sys.argv[1:5]
    if what == "transcode":
        fc.transcode(warm, dst + ".warm.dcm", "rle")  # code paths, imports and the thread pool used once
        before = peak()
        fc.transcode(src, dst, "rle")
    else:
        fc.pixel_array(warm)
        before = peak()
        arr = fc.pixel_array(src)
        assert arr.shape == (10000, 64, 64, 3), arr.shape
    after = peak()
    print(before, after)
    code = 0
except BaseException:
    traceback.print_exc()
finally:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
"""


@pytest.fixture(scope="module")
def rss_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Native Explicit VR Little Endian, 10,000 frames of 64 x 64 RGB: random values in runs of 8 along each
    row (RLE compresses them about 4:1); and a 10-frame file of the same layout for the warm-up."""
    folder = tmp_path_factory.mktemp("rss")
    rng = np.random.default_rng(17)
    out = []
    for name, frames in (("big.dcm", RSS_FRAMES), ("warm.dcm", 10)):
        layout = Layout(64, 64, samples=3, frames=frames)
        arr = np.repeat(rng.integers(0, 256, (frames, 64, 8, 3), dtype=np.uint8), 8, axis=2)
        ds = base_dataset(layout, EXPLICIT)
        ds.PixelData = arr.tobytes()
        ds["PixelData"].VR = "OB"
        out.append(Path(save(ds, folder / name)))
        del ds, arr
    return out[0], out[1]


def child_growth(what: str, src: Path, warm: Path, dst: Path) -> tuple[int, str]:
    env = dict(os.environ)
    package = str(Path(fc.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([package] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    r = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(src), str(warm), str(dst)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    before, after = map(int, r.stdout.split())
    return after - before, f"peak RSS {before / 2**20:.0f} MiB before, {after / 2**20:.0f} MiB after"


def test_peak_rss_of_a_10000_frame_transcode_stays_bounded(rss_source: tuple[Path, Path], tmp_path: Path) -> None:
    """A transcode of 123 MB of frames (native, memory-mapped) to RLE in a child process: its peak RSS grows by
    less than RSS_BOUND, while the control (the whole file decoded at once) grows by more: the bound can fail."""
    src, warm = rss_source
    dst = tmp_path / "out.dcm"
    growth, said = child_growth("transcode", src, warm, dst)
    control, control_said = child_growth("pixel_array", src, warm, tmp_path / "unused.dcm")
    assert control > RSS_BOUND and control >= RSS_DECODED * 0.9, f"the control stays under the bound: {control_said}"
    assert growth < RSS_BOUND, (
        f"transcode: {said} (+{growth / 2**20:.0f} MiB; the bound {RSS_BOUND >> 20} MiB, "
        f"the control +{control / 2**20:.0f} MiB, the frames {RSS_DECODED / 2**20:.0f} MiB)"
    )
    # the output is right: its first and last frames, by pydicom's own RLE decoder, against the input's bytes
    out = pydicom.dcmread(dst)
    assert out.NumberOfFrames == RSS_FRAMES and out.file_meta.TransferSyntaxUID == RLE
    with open(src, "rb") as f:
        f.seek(os.path.getsize(src) - 64 * 64 * 3)
        last = np.frombuffer(f.read(), np.uint8).reshape(64, 64, 3)
    assert_identical(pydicom_pixel_array(dst, index=RSS_FRAMES - 1, decoding_plugin="pydicom"), last)
