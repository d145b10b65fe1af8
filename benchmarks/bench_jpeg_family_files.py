"""The JPEG family in the C++ engine (issue 16), whole files: JPEG 2000, HTJ2K and JPEG-LS files against pydicom's
own plugins; the JPEG slide is in bench_jpeg_family.py, and the report runs both as the jpeg_family area.

Whole files (one core), each written by encoders independent of framecodec: 40 frames of 512 x 512 CT (3 under
``--benchmark-disable``), unsigned 16-bit (stored = HU + 1024, Bits Stored 16), from the real CT slices of
pydicom-data (693_UNCR, eCT_Supplemental's two frames, explicit_VR-UN, J2K_pixelrep_mismatch; real_data.ct_bank:
each flipped and shifted, so frames differ), in an Enhanced CT; and 120 256 x 256 RGB tiles (6 under
``--benchmark-disable``) in a TILED_FULL slide, the generator's mosaic of 64 distinct tiles: 60% tissue cropped from
real images (real_data.rgb_tiles), the rest background with sensor noise. JPEG 2000 Lossless
(.90) by pylibjpeg-openjpeg (OpenJPEG), HTJ2K Lossless (.201) by imagecodecs (OpenJPH), JPEG-LS Lossless (.80) by
pyjpegls (CharLS); the RGB tiles with the reversible colour transform (YBR_RCT) in JPEG 2000 and HTJ2K, and as
RGB in JPEG-LS. ``framecodec.pixel_array(path, threads=1)`` against ``pydicom.pixels.pixel_array(path,
decoding_plugin=...)`` through the plugin the goal names ("pylibjpeg": pylibjpeg-openjpeg; "pyjpegls") and the
other plugins pydicom has for the syntax, through framecodec's own plugin, and the libraries decoding the
codestreams held in memory frame by frame into one array (no file, no pydicom: the floor of a pipeline built on
that library). ``import framecodec`` puts framecodec's plugins first in pydicom's order for these syntaxes, so
every pydicom peer names its plugin.

Each benchmark's ``extra_info`` has the data's ``compression_ratio`` and ``file_bytes``, and ``max_difference``:
each peer's largest difference from framecodec's pixels (lossy JPEG: decoders round differently; lossless: 0).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

import framecodec as fc
from jpeg_family_common import Fns, difference, frame_by_frame, ratio_goal
from jpeg_family_files import KINDS, SYNTAXES, WholeFile, write_ct, write_tiles
from peers import FRAME_DECODERS, pydicom_pixel_array, pydicom_plugin_problem
from timing import CEILING, compare, copy_ceiling, missing, tag


@pytest.fixture(scope="module")
def whole_files(tmp_path_factory: pytest.TempPathFactory, smoke: bool) -> Callable[[str, str], WholeFile]:
    folder = tmp_path_factory.mktemp("jpeg-family-files")
    made: dict[tuple[str, str], WholeFile] = {}

    def get(syntax: str, kind: str) -> WholeFile:
        if (syntax, kind) not in made:
            n = KINDS[kind][1 if smoke else 0]
            write = write_ct if kind == "ct" else write_tiles
            made[syntax, kind] = write(folder / f"{kind}-{syntax}.dcm", SYNTAXES[syntax], n)
        return made[syntax, kind]

    return get


def _pydicom_name(plugin: str) -> str:
    return f"pydicom pixel_array(path), {plugin} plugin"


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("syntax", list(SYNTAXES))
def test_whole_file(
    benchmark: Any, whole_files: Callable[[str, str], WholeFile], one_core: int | None, syntax: str, kind: str
) -> None:
    """The file to one array on one core: ``framecodec.pixel_array(path, threads=1)`` against pydicom's
    ``pixel_array(path)`` through each plugin it has for the syntax (the goal's first), through framecodec's
    plugin, and the libraries frame by frame."""
    f = whole_files(syntax, kind)
    sx = f.syntax
    tag(benchmark, f"pixel_array(path), whole file, one core: {f.label}", "framecodec", f.nbytes, 1)
    benchmark.extra_info.update(
        baseline="framecodec",
        compression_ratio=round(f.ratio, 3),
        syntax=sx.name,
        file_bytes=f.path.stat().st_size,
        items=len(f.fragments),
        unit="frames",
        loadavg=os.getloadavg()[0],
    )
    from pydicom.pixels import get_decoder

    plugins = [sx.plugin] + [p for p in get_decoder(sx.uid).available_plugins if p not in (sx.plugin, "framecodec")]
    fns: Fns = {"framecodec": lambda: fc.pixel_array(f.path, threads=1)}
    for plugin in [*plugins, "framecodec"]:
        why = pydicom_plugin_problem(sx.uid, plugin)
        if not missing(benchmark, _pydicom_name(plugin), why):
            fns[_pydicom_name(plugin)] = partial(pydicom_pixel_array, f.path, plugin)
    for library in (sx.library, sx.imagecodecs):
        decode, why = FRAME_DECODERS[library]
        name = f"{library} frame by frame"
        if not missing(benchmark, name, why) and decode is not None:
            fns[name] = partial(frame_by_frame, decode, f.fragments, f.pixels.shape, f.pixels.dtype)
    fns[CEILING] = copy_ceiling(f.nbytes, fresh=True)

    def check(results: dict[str, Any]) -> None:
        diffs = {}
        for name, got in results.items():
            if name != CEILING:
                diffs[name] = difference(got, f.pixels, name, lossy=False)
        benchmark.extra_info["max_difference"] = diffs

    check({name: fn() for name, fn in fns.items() if name != CEILING})  # a round of its own: compare() keeps ours only
    _, times = compare(benchmark, "framecodec", fns, budget=10.0, max_rounds=15)
    peer = _pydicom_name(sx.plugin)
    ratio_goal(
        benchmark,
        times,
        f"issue 16: framecodec.pixel_array(path, threads=1) at least {sx.target:g}x pydicom's "
        f"with the {sx.plugin} plugin ({sx.library}): {f.label}",
        peer,
        "framecodec",
        sx.target,
        pydicom_plugin_problem(sx.uid, sx.plugin),
    )
