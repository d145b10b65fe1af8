"""The package's namespace: no top-level function hides a submodule of the same name (issue 20); its modules
import each other without a cycle, and the library never imports the command line.

``from .compress import compress`` in ``__init__.py`` made ``framecodec.compress`` the function, so
``import framecodec.compress`` then ``framecodec.compress.set_native_pixel_data`` raised; the modules behind
top-level functions now have private names.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import framecodec

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
    "Backends",
    "DecodeError",
    "DeflatedImageFrameCompression",
    "EncapsulatedUncompressedExplicitVRLittleEndian",
    "EncapsulationError",
    "FrameReader",
    "FrameWriter",
    "RLELossless",
    "backends",
    "compress",
    "decompress",
    "iter_pixels",
    "pixel_array",
    "register",
    "transcode",
    "unregister",
    "write_index",
}
TIERS = {
    "codecs": {
        "decode_frame",
        "default_threads",
        "deflate",
        "deflate_bound",
        "inflate",
        "libdeflate_version",
        "pack_bits",
        "rle_decode",
        "rle_encode",
        "unpack_bits",
        "zlib_version",
    },
    "encaps": {
        "EncapsulationError",
        "FragmentTable",
        "FrameTable",
        "PixelDataLocation",
        "encapsulate",
        "encapsulate_extended",
        "frame_bytes",
        "frame_table",
        "iter_frames",
        "locate_pixel_data",
        "scan_fragments",
    },
    "slide": {"PositionSource", "SlideGeometry", "SlidePositions", "tile_positions"},
}


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


# ------------------------------------------------------------------ the import graph (issue 20)

PACKAGE = Path(framecodec.__file__).parent


def imports_of(path: Path, module: str) -> set[str]:
    """The framecodec modules ``module`` (the file at ``path``) imports, at any depth of its code (an import inside a
    function is a dependency too), except under ``if TYPE_CHECKING:``, which the interpreter never runs."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            found.update(f"{base}.{a.name}" for a in node.names)  # a submodule, or a name in module base
            found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def package_graph() -> dict[str, set[str]]:
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("framecodec",) + path.relative_to(PACKAGE).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    extensions = {f"framecodec.{p.name.partition('.')[0]}" for p in PACKAGE.glob("*.so")} | {"framecodec._core"}
    graph = {}
    for module, path in files.items():
        names = imports_of(path, module)
        # `from . import x` names the package and x; it depends on x only, unless x is no module (then a name
        # the package's __init__ defines).
        targets = {n for n in names if n in files or n in extensions}
        targets -= {n.rpartition(".")[0] for n in names if n in files or n in extensions}
        graph[module] = {t for t in targets if t != module and t in files}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_import_graph_is_read() -> None:
    # Guards the two tests below against a graph that finds nothing (they would pass vacuously).
    graph = package_graph()
    assert {"framecodec.reader", "framecodec.pixels", "framecodec.cli", "framecodec._decode"} <= set(graph)
    assert "framecodec._decode" in graph["framecodec.reader"] and "framecodec._decode" in graph["framecodec.pixels"]
    assert "framecodec.reader" in graph["framecodec"] and "framecodec.reader" in graph["framecodec.cli.info"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_modules_import_each_other_without_a_cycle() -> None:
    # Imports inside functions count: a lazy import is a dependency that only hides the cycle from the interpreter.
    assert cycles(package_graph()) == []


def test_no_library_module_imports_the_command_line() -> None:
    graph = package_graph()
    library = [m for m in graph if m != "framecodec.cli" and not m.startswith("framecodec.cli.")]
    importers = {
        m: sorted(t for t in graph[m] if t == "framecodec.cli" or t.startswith("framecodec.cli."))
        for m in library
        if m != "framecodec.__main__"
    }
    assert {m: t for m, t in importers.items() if t} == {}
