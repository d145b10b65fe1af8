"""The references never reach framecodec: ``datasets.reference`` decodes RLE, Deflated Image Frame Compression,
Encapsulated Uncompressed, native and JPEG family data without framecodec's pydicom plugin (which
``import framecodec`` puts first in pydicom), and gives the pixels the files were made of.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames
from pydicom.pixels.utils import pixel_array

import framecodec.pydicom_plugin as plugin
from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    NAMES,
    RLE,
    Layout,
    assert_identical,
    dataset,
    make_pixels,
    reference,
    save,
)

SYNTAXES = [RLE, DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, IMPLICIT, BIG_ENDIAN]
LAYOUTS = {
    "grey8": Layout(5, 7, frames=3),
    "bits1": Layout(5, 7, bits=1, frames=3),  # 3.0 has no RLE decoder of Bits Allocated 1
    "rgb-planar": Layout(4, 6, samples=3, planar=1, frames=2),
    "int16-stored12": Layout(6, 5, bits=16, stored=12, signed=True, frames=2),
    "single": Layout(6, 5),
}


@pytest.fixture
def plugin_calls() -> Iterator[list[str]]:
    """Every call of framecodec's pydicom decoding plugin, by transfer syntax, while the test runs. pydicom keeps
    the function it imported when the plugin was added, so the plugin is added again with a counting one."""
    calls: list[str] = []
    original = plugin.decode_frame

    def counting(src: bytes, runner: Any) -> bytearray:
        calls.append(str(runner.transfer_syntax))
        return original(src, runner)

    plugin.unregister()
    plugin.decode_frame = counting
    plugin.register()
    try:
        yield calls
    finally:
        plugin.unregister()
        plugin.decode_frame = original
        plugin.register()


def test_the_counter_sees_framecodec(plugin_calls: list[str], tmp_path: Path) -> None:
    """The control: pydicom's default choice is framecodec's plugin, and the counter sees it (else the tests
    below could not fail)."""
    layout = LAYOUTS["grey8"]
    path = save(dataset(make_pixels(layout), layout, RLE), tmp_path / "rle.dcm")
    pixel_array(path)
    assert plugin_calls == [RLE] * layout.frames


@pytest.mark.parametrize("ts", SYNTAXES, ids=[NAMES[t] for t in SYNTAXES])
@pytest.mark.parametrize("name", LAYOUTS)
def test_reference_never_reaches_framecodec(plugin_calls: list[str], tmp_path: Path, ts: str, name: str) -> None:
    layout = LAYOUTS[name]
    arr = make_pixels(layout)
    ds = dataset(arr, layout, ts)
    path = save(ds, tmp_path / "f.dcm")
    data = Path(path).read_bytes()
    for source in (path, ds, io.BytesIO(data)):
        got = reference(source, raw=True)
        assert got.shape == layout.shape
        np.testing.assert_array_equal(got, arr)  # the source pixels (big endian: pydicom's '>' dtype)
        np.testing.assert_array_equal(
            reference(source, [layout.frames - 1, 0], raw=True),
            arr.reshape((layout.frames,) + layout.frame_shape)[[-1, 0]],
        )
    assert plugin_calls == []
    with pytest.raises(ValueError, match="never decodes with framecodec"):
        reference(path, decoding_plugin="framecodec")


def test_ybr_reference_converts_as_pydicom(plugin_calls: list[str], tmp_path: Path) -> None:
    """Without raw, the Encapsulated Uncompressed / Deflated YBR_FULL frames are converted by pydicom as native
    ones are."""
    layout = Layout(4, 6, samples=3, photometric="YBR_FULL", frames=3)
    arr = make_pixels(layout)
    native = reference(dataset(arr, layout, EXPLICIT))
    for ts in (DEFLATE, ENCAPSULATED_UNCOMPRESSED, RLE):
        assert_identical(
            reference(save(dataset(arr, layout, ts), tmp_path / f"{NAMES[ts]}.dcm")),
            native,
        )
    assert plugin_calls == []


def test_jpeg_family_references(plugin_calls: list[str], tmp_path: Path) -> None:
    """JPEG 2000 Lossless and JPEG-LS Lossless (pydicom's MR_small in three syntaxes: the native pixels), and
    JPEG Baseline (Pillow's decode of the codestream) by pydicom's plugins, not framecodec's."""
    native = get_testdata_file("MR_small.dcm", download=False)
    assert native is not None, "pydicom's test files are missing"
    expected = pixel_array(native)
    for name in (
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_RLE.dcm",
    ):
        path = get_testdata_file(name, download=False)
        assert path is not None, name
        np.testing.assert_array_equal(reference(path), expected)
    assert plugin_calls == []
    if shutil.which("dcmcjpeg") is None:
        pytest.skip("dcmcjpeg (DCMTK) is not installed: apt-get install dcmtk")
    from PIL import Image

    layout = Layout(16, 24, frames=2)
    src = save(dataset(make_pixels(layout), layout, EXPLICIT), tmp_path / "native.dcm")
    jpeg = tmp_path / "jpeg.dcm"
    subprocess.run(["dcmcjpeg", "+eb", str(src), str(jpeg)], check=True, capture_output=True)
    ds = pydicom.dcmread(jpeg)
    pillow = np.stack(
        [np.asarray(Image.open(io.BytesIO(f))) for f in generate_frames(ds.PixelData, number_of_frames=2)]
    )
    assert_identical(reference(jpeg), pillow)
    assert plugin_calls == []


def test_same_reference_in_a_process_without_framecodec(tmp_path: Path) -> None:
    """The references of a process that never imported framecodec are the same arrays."""
    arrays = {}
    for ts in (RLE, DEFLATE, ENCAPSULATED_UNCOMPRESSED):
        for name in ("grey8", "bits1", "rgb-planar"):
            layout = LAYOUTS[name]
            path = save(
                dataset(make_pixels(layout), layout, ts),
                tmp_path / f"{NAMES[ts]}-{name}.dcm",
            )
            arrays[str(path)] = reference(path)
    script = (
        "import sys, warnings, numpy as np\n"
        "warnings.simplefilter('ignore')\n"  # pydicom 3.0 does not know Deflated Image Frame Compression's UID
        "from datasets import reference\n"
        "np.savez(sys.argv[1], *[reference(p) for p in sys.argv[2:]])\n"
        "assert not any(m.startswith('framecodec') for m in sys.modules), 'framecodec was imported'\n"
    )
    out = tmp_path / "out.npz"
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parent),
    }  # tests/ only: framecodec cannot be imported
    r = subprocess.run(
        [sys.executable, "-c", script, str(out), *arrays],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    with np.load(out) as got:
        for k, expected in enumerate(arrays.values()):
            assert_identical(got[f"arr_{k}"], expected)
