"""The package's namespace: no top-level function hides a submodule of the same name (issue 20).

``from .compress import compress`` in ``__init__.py`` made ``framecodec.compress`` the function, so
``import framecodec.compress`` then ``framecodec.compress.set_native_pixel_data`` raised; the modules behind
top-level functions now have private names.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import framecodec
import pytest

SUBMODULES = sorted(info.name for info in pkgutil.iter_modules(framecodec.__path__))


def test_submodules_found() -> None:
    # Guards the parametrized test below against an empty list (a wrong __path__ would make it vacuous).
    assert {"_compress", "_backends", "reader", "pixels", "cli", "_core"} <= set(SUBMODULES)


@pytest.mark.parametrize("name", SUBMODULES)
def test_attribute_is_the_submodule(name: str) -> None:
    module = importlib.import_module(f"framecodec.{name}")
    attribute = getattr(framecodec, name)
    assert isinstance(attribute, types.ModuleType), f"framecodec.{name} is {attribute!r}, not the submodule"
    assert attribute is module


def test_public_names_kept() -> None:
    # The renamed modules keep the public functions and type at the top level, where they always were.
    from framecodec._backends import Backends, backends
    from framecodec._compress import compress, decompress

    assert framecodec.compress is compress and framecodec.decompress is decompress
    assert framecodec.backends is backends and framecodec.Backends is Backends
    assert callable(framecodec.compress) and not isinstance(framecodec.compress, types.ModuleType)
    assert set(framecodec.backends()) >= {"inflate", "deflate"}


def test_no_public_name_is_a_submodule_name() -> None:
    # Every name of __all__ that equals a submodule's name would hide it once the submodule is imported.
    assert not set(framecodec.__all__) & set(SUBMODULES)


#: The names users call (issue 20): the tiers below them are public modules, not top-level names.
USER_TIER = {
    "Backends", "DecodeError", "DeflatedImageFrameCompression", "EncapsulatedUncompressedExplicitVRLittleEndian",
    "EncapsulationError", "FrameReader", "FrameWriter", "RLELossless", "backends", "compress", "decompress",
    "iter_pixels", "pixel_array", "register", "transcode", "unregister", "write_index",
}  # fmt: skip
TIERS = {
    "codecs": {
        "decode_frame", "default_threads", "deflate", "deflate_bound", "inflate", "libdeflate_version", "pack_bits",
        "rle_decode", "rle_encode", "unpack_bits", "zlib_version",
    },
    "encaps": {
        "EncapsulationError", "FragmentTable", "FrameTable", "PixelDataLocation", "encapsulate",
        "encapsulate_extended", "frame_bytes", "frame_table", "iter_frames", "locate_pixel_data", "scan_fragments",
    },
    "slide": {"PositionSource", "SlideGeometry", "SlidePositions", "tile_positions"},
}  # fmt: skip


def test_top_level_is_the_user_tier() -> None:
    assert set(framecodec.__all__) == USER_TIER
    assert len(framecodec.__all__) == len(USER_TIER)  # no name twice
    assert isinstance(framecodec.__version__, str)
    for name in USER_TIER:
        assert getattr(framecodec, name) is not None, name
    # The kernels and encapsulation tools left the top level (pre-1.0: no aliases kept).
    for name in TIERS["codecs"] | TIERS["encaps"] - {"EncapsulationError"} | TIERS["slide"]:
        assert not hasattr(framecodec, name), f"framecodec.{name} is still at the top level"


@pytest.mark.parametrize("module", sorted(TIERS))
def test_public_modules_export_their_names(module: str) -> None:
    mod = importlib.import_module(f"framecodec.{module}")
    assert getattr(framecodec, module) is mod  # reachable as framecodec.<module> after `import framecodec`
    assert set(mod.__all__) == TIERS[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"framecodec.{module}.{name}"
        assert f"{name}" in (mod.__doc__ or ""), f"framecodec.{module}'s docstring does not document {name}"


def test_tiers_are_the_same_objects() -> None:
    # The public modules hand out the extension's objects, not copies or wrappers that could drift.
    from framecodec import _core

    assert framecodec.codecs.rle_decode is _core.rle_decode and framecodec.codecs.inflate is _core.inflate
    assert framecodec.encaps.encapsulate is _core.encapsulate
    assert framecodec.encaps.EncapsulationError is framecodec.EncapsulationError is _core.EncapsulationError
    assert framecodec.DecodeError is _core.DecodeError
