"""The peers' code that several benchmark files share, each peer imported defensively: one that is not installed
(or, for pydicom's private functions, not where this pydicom version keeps them) comes with the reason, which the
benchmarks record with ``timing.missing`` instead of dropping the peer silently.

- ``INFLATE`` / ``INFLATE_MISSING``: each deflate peer's one-call raw inflate of a frame of known size (Python's
  zlib, isal, zlib-ng, the deflate package = libdeflate), as bench_deflate.py and bench_pipeline.py time them;
- ``pydicom_rle_decode`` / ``pydicom_rle_encode``: pydicom's pure-Python RLE frame codec (a private function in
  ``pydicom.pixels.decoders.rle`` / ``encoders.native`` in 3.0, in ``decoders.native`` / ``encoders.native`` under
  other names in 3.1);
- wsidicom and pydicom on whole slides: open with every tile position, one tile, every frame's position.
"""

from __future__ import annotations

import importlib
import logging
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom

PYDICOM = f"pydicom {pydicom.__version__}"


def optional(module: str, attribute: str = "") -> tuple[Any, str | None]:
    """``module`` (or its ``attribute``), or None and why it cannot be had."""
    try:
        found = importlib.import_module(module)
        return (getattr(found, attribute) if attribute else found), None
    except ImportError as e:
        return None, f"{module} is not installed here ({e})"
    except AttributeError:
        return None, f"{module} has no {attribute} here"


def first_of(*places: tuple[str, str]) -> tuple[Any, str | None]:
    """The first (module, attribute) found: a private function that moved between pydicom versions."""
    for module, attribute in places:
        found, _ = optional(module, attribute)
        if found is not None:
            return found, None
    return None, f"{PYDICOM} has none of " + ", ".join(f"{m}.{a}" for m, a in places)


# ------------------------------------------------------------------------------------------------ deflate

isal_zlib, _isal_why = optional("isal.isal_zlib")
zlib_ng, _zlib_ng_why = optional("zlib_ng.zlib_ng")
deflate_pkg, _deflate_why = optional("deflate")

_inflaters: dict[str, tuple[Callable[[Any, int], Any] | None, str | None]] = {
    "zlib": (lambda c, n: zlib.decompress(c, -15, n), None),
    "isal": (None if isal_zlib is None else lambda c, n: isal_zlib.decompress(c, -15, n), _isal_why),
    "zlib-ng": (None if zlib_ng is None else lambda c, n: zlib_ng.decompress(c, -15, n), _zlib_ng_why),
    "deflate (libdeflate)": (None if deflate_pkg is None else lambda c, n: deflate_pkg.deflate_decompress(c, n),
                             _deflate_why),
}  # fmt: skip
#: Every deflate peer's name, installed or not, in the order the tables show them.
INFLATE_NAMES = list(_inflaters)
#: The installed peers: name -> raw inflate of a frame whose decoded size is known, as their APIs allow.
INFLATE: dict[str, Callable[[Any, int], Any]] = {name: f for name, (f, _) in _inflaters.items() if f is not None}
#: The others: name -> why it is missing.
INFLATE_MISSING: dict[str, str] = {name: why for name, (f, why) in _inflaters.items() if f is None and why}


# ------------------------------------------------------------------------------------------------ RLE

#: pydicom's own RLE frame decoder: (src, rows, columns, samples, bits) -> planes.
pydicom_rle_decode, PYDICOM_RLE_DECODE_WHY = first_of(
    ("pydicom.pixels.decoders.rle", "_rle_decode_frame"), ("pydicom.pixels.decoders.native", "_rle_decode_frame")
)
#: pydicom's own RLE frame encoder: (src, runner) -> bytes (3.1's also unpacks 1-bit frames itself).
pydicom_rle_encode, PYDICOM_RLE_ENCODE_WHY = first_of(
    ("pydicom.pixels.encoders.native", "_encode_frame"), ("pydicom.pixels.encoders.native", "_encode_rle_frame")
)


# ------------------------------------------------------------------------------------------------ slides


def wsidicom_problem() -> str | None:
    _, why = optional("wsidicom")
    return why


def open_wsidicom(folder: Path) -> Any:
    """``WsiDicom`` on a slide's folder, its decoded and encoded frame caches off (the benchmarks read new random
    frames each round; a cache would only skew the rare repeat)."""
    from wsidicom import WsiDicom
    from wsidicom.config import Settings

    logging.getLogger("wsidicom").setLevel(logging.ERROR)
    return WsiDicom.open(folder, settings=Settings(decoded_frame_cache_size=0, encoded_frame_cache_size=0))


def wsidicom_open(folder: Path) -> None:
    """wsidicom from a folder to a slide with every tile position: open, then the base level's focal planes,
    which builds its tile index (wsidicom reads the Per-Frame Functional Groups only then)."""
    wsi = open_wsidicom(folder)
    try:
        wsi.levels.base_level.focal_planes  # noqa: B018
    finally:
        wsi.close()


def wsidicom_tile(wsi: Any, xy: tuple[int, int], tile: tuple[int, int]) -> npt.NDArray[Any]:
    """The tile whose top-left pixel is ``xy``, from an open ``WsiDicom``."""
    return np.asarray(wsi.read_tile(0, (xy[0] // tile[0], xy[1] // tile[1]), crop_to_image_boundary=False,
                                    as_array=True))  # fmt: skip


def pydicom_positions(path: Path) -> npt.NDArray[np.int64]:
    """pydicom from a path to every frame's (x, y), 0-based: ``dcmread(stop_before_pixels=True)``, then each
    frame's Plane Position (Slide) (TILED_SPARSE), or the TILED_FULL order from the header's attributes."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    if str(ds.get("DimensionOrganizationType", "")) == "TILED_FULL":
        n, rows, columns = int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns)
        across = -(-int(ds.TotalPixelMatrixColumns) // columns)
        f = np.arange(n, dtype=np.int64)
        return np.stack([f % across * columns, f // across * rows], axis=1)
    xy = [
        (item.PlanePositionSlideSequence[0].ColumnPositionInTotalImagePixelMatrix,
         item.PlanePositionSlideSequence[0].RowPositionInTotalImagePixelMatrix)
        for item in ds.PerFrameFunctionalGroupsSequence
    ]  # fmt: skip
    return np.array(xy, np.int64) - 1


def pydicom_frame(path: Path, i: int, plugin: str) -> npt.NDArray[Any]:
    """``pydicom.pixels.pixel_array(path, index=i)`` with the decoding plugin ``plugin`` ("" its default)."""
    from pydicom.pixels import pixel_array

    options: dict[str, Any] = {"decoding_plugin": plugin} if plugin else {}
    return pixel_array(path, index=i, **options)
