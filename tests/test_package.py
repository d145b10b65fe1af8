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
