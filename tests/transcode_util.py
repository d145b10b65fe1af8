"""The inputs of the transcode tests (tests/test_transcode_*.py): every source syntax framecodec reads, made with
pydicom, zlib, numpy and Pillow (tests/datasets.py, tests/writer_util.py), never framecodec, with what each must
decode to; and the module-scoped ``sources`` fixture that makes them on first use (imported in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array as pydicom_pixel_array

from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    RLE,
    Layout,
    assert_identical,
    base_dataset,
    dataset,
    make_pixels,
    native_dataset,
    save,
)
from writer_util import JPEG_2000_LOSSLESS, JPEG_BASELINE, jpeg_tiles, own_decode

LAYOUTS = {
    "grey8": Layout(7, 5, frames=5),  # odd frame sizes: odd fragments
    "int16-stored12": Layout(9, 7, bits=16, stored=12, signed=True, frames=4),
    "uint16-single": Layout(5, 3, bits=16),  # no Number of Frames
    "rgb8": Layout(5, 7, samples=3, frames=3),
    "ybr-full": Layout(6, 5, samples=3, photometric="YBR_FULL", frames=2),  # kept as YBR_FULL
    "bits1": Layout(9, 7, bits=1, frames=6),
    "uint32": Layout(3, 5, bits=32, frames=2),
}
#: Native colour with Planar Configuration 1: the output is interleaved (Planar Configuration 0).
PLANAR = Layout(5, 7, samples=3, planar=1, frames=3)
SOURCE_SYNTAXES = {
    "explicit": EXPLICIT,
    "implicit": IMPLICIT,
    "big-endian": BIG_ENDIAN,
    "encapsulated-uncompressed": ENCAPSULATED_UNCOMPRESSED,
    "deflate": DEFLATE,
    "rle": RLE,
}


@dataclass
class Source:
    path: Path
    photometric: str  # the output's Photometric Interpretation
    expected: npt.NDArray[Any]  # what the output must decode to (raw: YBR_FULL kept)
    near: npt.NDArray[Any] | None = None  # JPEG colour: pydicom's own YCbCr to RGB, within 1 of ``expected``


def make_framecodec_syntax(folder: Path, layout: Layout, ts: str, name: str) -> Source:
    arr = make_pixels(layout, seed=len(name))
    ds = dataset(arr, layout, ts)
    ds.PatientName = "Test^Transcode"
    path = Path(save(ds, folder / f"{name}.dcm"))
    expected = own_decode(path, raw=True)
    np.testing.assert_array_equal(expected, arr)  # the reference reads the input as it was made
    # pydicom gives big endian data as big endian values; the outputs are little endian
    return Source(path, layout.pi, expected.astype(expected.dtype.newbyteorder("<")))


def make_jpeg(folder: Path, name: str) -> Source:
    """JPEG Baseline tiles made by Pillow: grey, 4:2:2 (YBR_FULL_422), 4:4:4 (YBR_FULL). The output holds RGB as
    pydicom's Dataset.decompress gives it with framecodec's plugin (libjpeg-turbo's conversion): Pillow's YCbCr
    converted by libjpeg-turbo's formula (tests/jpeg_family_util.py), within 1 of pydicom 3.0's own numpy one."""
    pytest.importorskip("PIL", reason="Pillow makes the JPEG tiles")
    from jpeg_family_util import pydicom_reference

    kind = name.removeprefix("jpeg-")
    pi, subsampling, samples = {
        "grey": ("MONOCHROME2", 0, 1),
        "ybr422": ("YBR_FULL_422", 1, 3),
        "ybr444": ("YBR_FULL", 0, 3),
    }[kind]
    layout = Layout(37, 35, samples=samples, frames=3, photometric=pi)
    frames = make_pixels(layout, seed=21).reshape((3,) + layout.frame_shape)
    ds = base_dataset(layout, JPEG_BASELINE)
    ds.PatientName = "Test^Transcode"
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate(jpeg_tiles(frames, subsampling))
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    path = Path(save(ds, folder / f"{name}.dcm"))
    expected = pydicom_reference(path, JPEG_BASELINE, raw=False, plugin="pillow")
    near = pydicom_pixel_array(path, decoding_plugin="pillow") if samples == 3 else None
    return Source(path, "RGB" if samples == 3 else "MONOCHROME2", expected, near)


def make_j2k(folder: Path, name: str) -> Source:
    """JPEG 2000 Lossless by pydicom's own encoder (pylibjpeg-openjpeg): grey 12 of 16 bits signed, RGB, and RGB
    with the reversible colour transform (YBR_RCT, written as RGB)."""
    pytest.importorskip("openjpeg", reason="pylibjpeg-openjpeg encodes and decodes the JPEG 2000 input")
    kind = name.removeprefix("j2k-")
    layout = {
        "grey16s12": Layout(37, 35, bits=16, stored=12, signed=True, frames=2),
        "rgb": Layout(37, 35, samples=3, frames=2),
        "ybr-rct": Layout(37, 35, samples=3, frames=2),
    }[kind]
    arr = make_pixels(layout, seed=23)
    ds = native_dataset(arr, layout)
    ds.PatientName = "Test^Transcode"
    if kind == "ybr-rct":
        ds.PhotometricInterpretation = "YBR_RCT"  # pydicom's encoder then applies the RCT
    ds.compress(JPEG_2000_LOSSLESS, arr, encoding_plugin="pylibjpeg")
    assert ds.PhotometricInterpretation == ("YBR_RCT" if kind == "ybr-rct" else layout.pi)
    path = Path(save(ds, folder / f"{name}.dcm"))
    expected = pydicom_pixel_array(path, decoding_plugin="pylibjpeg")
    assert_identical(expected, arr)
    return Source(path, "MONOCHROME2" if layout.samples == 1 else "RGB", expected)


def source_ids() -> list[str]:
    ids = []
    for name, layout in LAYOUTS.items():
        for label, ts in SOURCE_SYNTAXES.items():
            if ts == BIG_ENDIAN and layout.bits == 1:
                continue  # pydicom cannot write 1-bit big endian data sets the way PS3.5 packs them
            ids.append(f"{name}-{label}")
    ids += [f"rgb8-planar-{label}" for label in ("explicit", "implicit", "big-endian")]
    ids += ["jpeg-grey", "jpeg-ybr422", "jpeg-ybr444", "j2k-grey16s12", "j2k-rgb", "j2k-ybr-rct"]
    return ids


SOURCE_IDS = source_ids()


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Source]:
    folder = tmp_path_factory.mktemp("sources")
    made: dict[str, Source] = {}

    def get(sid: str) -> Source:
        if sid not in made:
            if sid.startswith("jpeg-"):
                made[sid] = make_jpeg(folder, sid)
            elif sid.startswith("j2k-"):
                made[sid] = make_j2k(folder, sid)
            elif sid.startswith("rgb8-planar-"):
                label = sid.removeprefix("rgb8-planar-")
                made[sid] = make_framecodec_syntax(folder, PLANAR, SOURCE_SYNTAXES[label], sid)
            else:
                name, label = next(
                    (n, sid[len(n) + 1 :])
                    for n in LAYOUTS
                    if sid.startswith(n + "-") and sid[len(n) + 1 :] in SOURCE_SYNTAXES
                )
                made[sid] = make_framecodec_syntax(folder, LAYOUTS[name], SOURCE_SYNTAXES[label], sid)
        return made[sid]

    return get
