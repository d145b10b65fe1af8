"""Which deflate backends this build of framecodec has, and which one each path uses.

Two backends decode and encode Deflated Image Frame Compression (PS3.5 8.2.16): the system zlib, always
linked, and libdeflate, when the build found it. Decoding (``inflate``, ``decode_frame``, ``pixel_array``,
``iter_pixels``, ``FrameReader``, the pydicom decoding plugin) uses libdeflate when the build has it; the
environment variable ``FRAMECODEC_INFLATE=zlib`` forces zlib (read at each call, for debugging). A stream
libdeflate rejects is decoded again by zlib, whose error message is the one raised. Encoding (``deflate``,
``compress``, the pydicom encoding plugin) uses zlib unless ``backend="libdeflate"`` is asked for, so that
the frames are byte-identical to pydicom's encoder (Python's zlib).

The JPEG family is decoded by system libraries the build finds (each optional): JPEG 8-bit by libjpeg-turbo,
JPEG-LS by CharLS, JPEG 2000 by OpenJPEG, HTJ2K by OpenJPH (or OpenJPEG without it). A build without one
hands that codec's transfer syntaxes to pydicom, as it does JPEG Lossless and 12-bit JPEG.
"""

from __future__ import annotations

import os
from typing import Literal, TypedDict

from . import _core
from ._layout import Codec

__all__ = ["Backend", "Backends", "backends"]

Backend = Literal["zlib", "libdeflate"]

#: The environment variable that chooses the decoding backend ("zlib" or "libdeflate"), read at each call.
VARIABLE = "FRAMECODEC_INFLATE"


#: The image codecs, by the names ``backends()["codecs"]`` uses, with the transfer syntaxes they decode.
CODECS: dict[Codec, str] = {
    "jpeg": "JPEG Baseline / Extended 8-bit (.4.50, .4.51)",
    "jpegls": "JPEG-LS (.4.80, .4.81)",
    "j2k": "JPEG 2000 (.4.90, .4.91)",
    "htj2k": "HTJ2K (.4.201, .4.202, .4.203)",
}


class Backends(TypedDict):
    """What ``backends()`` returns."""

    zlib: str
    """The version of the system zlib linked in (always there)."""
    libdeflate: str | None
    """The version of the libdeflate linked in, or None for a build without it."""
    inflate: Backend
    """What decoding uses without ``backend=``: ``FRAMECODEC_INFLATE`` when set, else libdeflate when built
    with it, else zlib."""
    deflate: Backend
    """What encoding uses without ``backend=``: always zlib (byte-identical to Python's zlib)."""
    codecs: dict[str, str | None]
    """For each image codec (``"jpeg"``, ``"jpegls"``, ``"j2k"``, ``"htj2k"``) the library that decodes it,
    e.g. ``"libjpeg-turbo 2.1.5"``, or None for a build without it (pydicom decodes those frames)."""


def backends() -> Backends:
    """The deflate backends of this build and the one each path uses now, e.g. ``{"zlib": "1.2.13",
    "libdeflate": "1.14", "inflate": "libdeflate", "deflate": "zlib"}``. Raises ValueError when
    ``FRAMECODEC_INFLATE`` names no backend of this build."""
    return {
        "zlib": _core.zlib_version,
        "libdeflate": _core.libdeflate_version,
        "inflate": _core._inflate_backend(),
        "deflate": "zlib",
        "codecs": {codec: _core._codec_library(codec) or None for codec in CODECS},
    }


def describe() -> str:
    """One line for people, e.g. ``inflate: libdeflate 1.14; deflate: zlib 1.2.13, libdeflate 1.14 on
    request``."""
    b = backends()
    versions = {"zlib": b["zlib"], "libdeflate": b["libdeflate"]}
    inflate = f"inflate: {b['inflate']} {versions[b['inflate']]}"
    if os.environ.get(VARIABLE):
        inflate += f" ({VARIABLE}={os.environ[VARIABLE]})"
    deflate = f"deflate: {b['deflate']} {versions[b['deflate']]}"
    codecs = ", ".join(f"{name} {lib}" for name, lib in b["codecs"].items() if lib)
    missing = [name for name, lib in b["codecs"].items() if not lib]
    images = f"; {codecs}" if codecs else ""
    if missing:
        images += f"; without {', '.join(missing)} (pydicom decodes them)"
    if b["libdeflate"] is None:
        return f"{inflate}; {deflate}; built without libdeflate{images}"
    return f"{inflate}; {deflate}, libdeflate {b['libdeflate']} on request{images}"
