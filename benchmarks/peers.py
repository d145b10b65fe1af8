"""The peers' code that several benchmark files share, each peer imported defensively: one that is not installed
(or, for pydicom's private functions, not where this pydicom version keeps them) comes with the reason, which the
benchmarks record with ``timing.missing`` instead of dropping the peer silently.

- ``INFLATE`` / ``INFLATE_MISSING``: each deflate peer's one-call raw inflate of a frame of known size (Python's
  zlib, isal, zlib-ng, the deflate package = libdeflate), as bench_deflate.py and bench_pipeline.py time them;
- ``pydicom_rle_decode`` / ``pydicom_rle_encode``: pydicom's pure-Python RLE frame codec (a private function in
  ``pydicom.pixels.decoders.rle`` / ``encoders.native`` in 3.0, in ``decoders.native`` / ``encoders.native`` under
  other names in 3.1);
- wsidicom and pydicom on whole slides: open with every tile position, one tile, every frame's position;
- OpenSlide (openslide-python over openslide-bin's library) on a slide file: ``open_openslide`` (its tile cache
  off), ``openslide_region`` (an RGBA ``PIL.Image``, OpenSlide's own result) and ``openslide_rgb`` (its RGB);
- the JPEG family's libraries as pydicom's plugins use them, frame by frame: Pillow (``pillow_decode``, JPEG;
  libjpeg-turbo), pylibjpeg-openjpeg (``openjpeg_decode``, JPEG 2000 and HTJ2K; OpenJPEG), pyjpegls
  (``jpegls_decode``, JPEG-LS; CharLS); and pydicom's whole-file ``pixel_array(path)`` through a named plugin
  (``pydicom_pixel_array``), with ``pydicom_plugin_problem`` saying why a plugin cannot serve a syntax here.
  ``import framecodec`` puts framecodec's own plugins first for these syntaxes, so a peer always names its plugin.
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
    "deflate (libdeflate)": (
        None if deflate_pkg is None else lambda c, n: deflate_pkg.deflate_decompress(c, n),
        _deflate_why,
    ),
}
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
    return np.asarray(
        wsi.read_tile(0, (xy[0] // tile[0], xy[1] // tile[1]), crop_to_image_boundary=False, as_array=True)
    )


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
        (
            item.PlanePositionSlideSequence[0].ColumnPositionInTotalImagePixelMatrix,
            item.PlanePositionSlideSequence[0].RowPositionInTotalImagePixelMatrix,
        )
        for item in ds.PerFrameFunctionalGroupsSequence
    ]
    return np.array(xy, np.int64) - 1


def pydicom_frame(path: Path, i: int, plugin: str) -> npt.NDArray[Any]:
    """``pydicom.pixels.pixel_array(path, index=i)`` with the decoding plugin ``plugin`` ("" its default)."""
    from pydicom.pixels import pixel_array

    options: dict[str, Any] = {"decoding_plugin": plugin} if plugin else {}
    return pixel_array(path, index=i, **options)


def pydicom_pixel_array(path: Path, plugin: str) -> npt.NDArray[Any]:
    """``pydicom.pixels.pixel_array(path)`` (every frame) through the decoding plugin ``plugin``, named: never
    pydicom's default, which is framecodec's own plugin once framecodec is imported."""
    from pydicom.pixels import pixel_array

    return pixel_array(path, decoding_plugin=plugin)


def pydicom_plugin_problem(transfer_syntax: str, plugin: str) -> str | None:
    """Why pydicom's decoder for ``transfer_syntax`` has no usable plugin ``plugin`` here, or None."""
    from pydicom.pixels import get_decoder
    from pydicom.uid import UID

    name = UID(transfer_syntax).name
    try:
        decoder = get_decoder(transfer_syntax)
    except NotImplementedError:
        return f"{PYDICOM} has no {name} decoder"
    if plugin not in decoder.available_plugins:
        available = ", ".join(decoder.available_plugins) or "none"
        unavailable = "; ".join(getattr(decoder, "missing_dependencies", [])) or "none missing"
        return f"{PYDICOM}'s {name} decoder has no available plugin {plugin!r} (available: {available}; {unavailable})"
    return None


# ------------------------------------------------------------------------------------------------ OpenSlide

openslide_module, OPENSLIDE_WHY = optional("openslide")


def openslide_problem() -> str | None:
    return OPENSLIDE_WHY


def openslide_version() -> str:
    """openslide-python's version and the library's (openslide-bin's), e.g. "openslide-python 1.4.7, OpenSlide
    4.0.1"."""
    if openslide_module is None:
        return "OpenSlide not installed"
    return (
        f"openslide-python {openslide_module.__version__}, OpenSlide "
        f"{getattr(openslide_module, '__library_version__', '?')}"
    )


def open_openslide(path: Path) -> Any:
    """``openslide.OpenSlide`` on a slide file, its tile cache off (as wsidicom's frame caches are: the benchmarks
    read new random places each round, and a cache would only skew the rare repeat)."""
    assert openslide_module is not None, OPENSLIDE_WHY
    slide = openslide_module.OpenSlide(str(path))
    slide.set_cache(openslide_module.OpenSlideCache(0))
    return slide


def openslide_region(slide: Any, xy: tuple[int, int], size: tuple[int, int]) -> Any:
    """OpenSlide's level-0 region: an RGBA ``PIL.Image`` (premultiplied alpha, 255 inside the slide)."""
    return slide.read_region((int(xy[0]), int(xy[1])), 0, (int(size[0]), int(size[1])))


def openslide_rgb(image: Any) -> npt.NDArray[np.uint8]:
    """The RGB of an OpenSlide region as an array (height, width, 3)."""
    return np.asarray(image)[..., :3]


# ------------------------------------------------------------------------------------------------ JPEG family


def pillow_decode(codestream: Any) -> npt.NDArray[Any]:
    """One JPEG frame by Pillow (libjpeg-turbo): YCbCr converted to RGB by the library, as pydicom's "pillow"
    plugin and wsidicom's Pillow decoder get it."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(codestream)) as im:
        return np.asarray(im)


def openjpeg_decode(codestream: Any) -> npt.NDArray[Any]:
    """One JPEG 2000 or HTJ2K codestream by pylibjpeg-openjpeg (OpenJPEG; the MCT undone), as pydicom's
    "pylibjpeg" plugin decodes it."""
    import openjpeg

    return np.asarray(openjpeg.decode(codestream))


def jpegls_decode(codestream: Any) -> npt.NDArray[Any]:
    """One JPEG-LS codestream by pyjpegls (CharLS), as pydicom's "pyjpegls" plugin decodes it."""
    import jpeg_ls

    return np.asarray(jpeg_ls.decode(np.frombuffer(codestream, np.uint8)))


imagecodecs, _imagecodecs_why = optional("imagecodecs")


def _imagecodecs(function: str) -> tuple[Callable[[Any], npt.NDArray[Any]] | None, str | None]:
    """imagecodecs' ``function`` (its decoders release the GIL: wsidicom's and tifffile's JPEG family), or why
    not."""
    if imagecodecs is None:
        return None, _imagecodecs_why
    f = getattr(imagecodecs, function, None)
    return (f, None) if f is not None else (None, f"imagecodecs {imagecodecs.__version__} has no {function}")


#: Frame decoders of the JPEG family by name: (decode one codestream -> array, or None; why it is missing).
#: Pillow, pylibjpeg-openjpeg and pyjpegls are what pydicom's plugins call; imagecodecs wraps the same system
#: libraries framecodec links (libjpeg-turbo, OpenJPEG, OpenJPH, CharLS).
FRAME_DECODERS: dict[str, tuple[Callable[[Any], npt.NDArray[Any]] | None, str | None]] = {
    "Pillow": (pillow_decode, optional("PIL.Image")[1]),
    "pylibjpeg-openjpeg": (openjpeg_decode, optional("openjpeg")[1]),
    "pyjpegls": (jpegls_decode, optional("jpeg_ls")[1]),
    "imagecodecs jpeg8_decode (libjpeg-turbo)": _imagecodecs("jpeg8_decode"),
    "imagecodecs jpeg2k_decode (OpenJPEG)": _imagecodecs("jpeg2k_decode"),
    "imagecodecs htj2k_decode (OpenJPH)": _imagecodecs("htj2k_decode"),
    "imagecodecs jpegls_decode (CharLS)": _imagecodecs("jpegls_decode"),
}
