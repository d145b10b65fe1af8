"""Every touch of pydicom's private structures that framecodec's plugins need, in one place.

pydicom's public plugin API (``Decoder.add_plugin`` / ``remove_plugin``, the same on ``Encoder``, and the
runners' options) does most of the work. What it cannot do is listed here, one function per touch, each
with the reason. ``tests/test_pydicom_compat.py`` checks every structure used here, so a pydicom release
that changes one fails the tests instead of silently breaking the plugins.

Touched, and why:

1. ``pydicom._uid_dict.UID_dictionary``: pydicom 3.0.x does not know Deflated Image Frame Compression, so
   ``UID.is_transfer_syntax`` / ``is_encapsulated`` are False or raise, and ``dcmwrite`` refuses the file.
2. ``pydicom.pixels.decoders.base._PIXEL_DATA_DECODERS`` and ``...encoders.base._PIXEL_DATA_ENCODERS``:
   ``get_decoder`` / ``get_encoder`` only look there, and pydicom has no coder for Encapsulated
   Uncompressed Explicit VR Little Endian (either line) or Deflated Image Frame Compression (3.0.x).
3. ``CoderBase._available`` (a dict): ``add_plugin`` appends, and the runners try plugins in this dict's
   order; it is the only way to have ours tried first.
4. pydicom 3.0.x only: the module globals ``decompress`` / ``compress`` of ``pydicom.pixels.utils``,
   ``pydicom.pixels`` and ``pydicom.dataset`` (``Dataset.decompress`` / ``compress`` call the latter).
   3.0.x has no notion of bit-packed encapsulated frames: ``decompress`` writes a 1-bit image as one byte
   per pixel (native 1-bit Pixel Data is bit-packed, PS3.5 8.1.1), and ``compress`` without an array
   cannot cut a 1-bit frame out of native data. The wrappers fix both, for framecodec's transfer syntaxes
   only; pydicom 3.1 does both itself and is left alone.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection
from typing import Any

import pydicom._uid_dict
import pydicom.dataset
import pydicom.pixels
import pydicom.pixels.utils
from pydicom.dataset import Dataset
from pydicom.pixels.common import CoderBase, RunnerBase
from pydicom.pixels.decoders import base as _decoders
from pydicom.pixels.decoders.base import Decoder
from pydicom.pixels.encoders import base as _encoders
from pydicom.pixels.encoders.base import Encoder
from pydicom.uid import UID

from ._core import pack_bits

#: pydicom 3.1 added per-frame options (``set_frame_option``, ``runner.index``); 3.0.x has neither.
HAS_FRAME_OPTIONS: bool = hasattr(RunnerBase, "set_frame_option")

#: The UID dictionary entry pydicom 3.1 has for Deflated Image Frame Compression (same 5-tuple layout).
DEFLATED_IMAGE_FRAME_ENTRY = (
    "Deflated Image Frame Compression",
    "Transfer Syntax",
    "",
    "",
    "DeflatedImageFrameCompression",
)

_lock = threading.RLock()
_added_uids: list[str] = []
_added_coders: list[tuple[dict[Any, Any], UID, CoderBase]] = []
_patched: list[tuple[object, str, Callable[..., Any], Callable[..., Any]]] = []


def add_uid(uid: str, entry: tuple[str, str, str, str, str]) -> None:
    """Touch 1: make pydicom know a transfer syntax UID (a no-op when it already does)."""
    with _lock:
        if uid not in pydicom._uid_dict.UID_dictionary:
            pydicom._uid_dict.UID_dictionary[uid] = entry
            _added_uids.append(uid)


def _coder(table: dict[Any, Any], uid: UID, make: Callable[[UID], CoderBase]) -> CoderBase:
    with _lock:
        if uid in table:
            coder: CoderBase = table[uid][0]
            return coder
        coder = make(uid)
        # (coder, 'versionadded'): the second item only feeds pydicom's docstrings.
        table[uid] = (coder, "framecodec")
        _added_coders.append((table, uid, coder))
        return coder


def decoder(uid: UID) -> Decoder:
    """Touch 2: pydicom's decoder for ``uid``, made and entered in ``_PIXEL_DATA_DECODERS`` if missing."""
    coder = _coder(_decoders._PIXEL_DATA_DECODERS, uid, Decoder)
    assert isinstance(coder, Decoder)
    return coder


def encoder(uid: UID) -> Encoder:
    """Touch 2: pydicom's encoder for ``uid``, made and entered in ``_PIXEL_DATA_ENCODERS`` if missing."""
    coder = _coder(_encoders._PIXEL_DATA_ENCODERS, uid, Encoder)
    assert isinstance(coder, Encoder)
    return coder


def existing_coders(uid: UID) -> list[CoderBase]:
    """Touch 2 (read): pydicom's decoder and encoder for ``uid``, those that exist, without making any."""
    tables: tuple[dict[Any, Any], ...] = (_decoders._PIXEL_DATA_DECODERS, _encoders._PIXEL_DATA_ENCODERS)
    return [table[uid][0] for table in tables if uid in table]


def plugin_order(coder: CoderBase) -> list[str]:
    """Touch 3 (read): the plugins of ``coder`` in the order pydicom tries them."""
    return list(coder._available)


def move_first(coder: CoderBase, label: str) -> None:
    """Touch 3: put plugin ``label`` first, keeping the others in their order. Mutates the dict in place."""
    with _lock:
        available = coder._available
        func = available.pop(label)
        rest = dict(available)
        available.clear()
        available[label] = func
        available.update(rest)


def _native_1bit_from_unpacked(ds: Dataset) -> None:
    """3.0.x's ``decompress`` leaves a 1-bit image as one 0/1 byte per pixel; bit-pack it (PS3.5 8.1.1:
    frames follow each other without padding, the value is padded to even length)."""
    elem = ds["PixelData"]
    count = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1) or 1)
    count *= int(ds.get("NumberOfFrames", 1) or 1)
    value = elem.value
    if len(value) != count + count % 2:  # already packed (a fixed pydicom) or not ours: leave it
        return
    packed = pack_bits(memoryview(value)[:count])
    elem.value = packed + b"\x00" * (len(packed) % 2)


def _transfer_syntax(ds: Dataset) -> str | None:
    ts: str | None = getattr(ds, "file_meta", Dataset()).get("TransferSyntaxUID")
    return ts


def _wrap_decompress(original: Callable[..., Dataset], uids: Collection[str]) -> Callable[..., Dataset]:
    @functools.wraps(original)
    def decompress(ds: Dataset, *args: Any, **kwargs: Any) -> Dataset:
        fix = ds.get("BitsAllocated") == 1 and str(_transfer_syntax(ds)) in uids
        result = original(ds, *args, **kwargs)
        if fix:
            _native_1bit_from_unpacked(result)
        return result

    return decompress


def _wrap_compress(original: Callable[..., Dataset], uids: Collection[str]) -> Callable[..., Dataset]:
    @functools.wraps(original)
    def compress(ds: Dataset, transfer_syntax_uid: str, arr: Any = None, *args: Any, **kwargs: Any) -> Dataset:
        if (
            arr is None
            and str(transfer_syntax_uid) in uids
            and ds.get("BitsAllocated") == 1
            and "PixelData" in ds
            and not UID(_transfer_syntax(ds) or "1.2.840.10008.1.2.1").is_compressed
        ):
            arr = ds.pixel_array  # 3.0.x unpacks native 1-bit data correctly; its encoder path cannot
        return original(ds, transfer_syntax_uid, arr, *args, **kwargs)

    return compress


def patch_one_bit_compress(uids: Collection[str]) -> None:
    """Touch 4 (pydicom 3.0.x only): wrap ``decompress`` and ``compress`` for 1-bit images of ``uids``."""
    if HAS_FRAME_OPTIONS:
        return
    with _lock:
        if _patched:
            return
        for name, wrap in (("decompress", _wrap_decompress), ("compress", _wrap_compress)):
            original = getattr(pydicom.pixels.utils, name)
            wrapper = wrap(original, frozenset(uids))
            for module in (pydicom.pixels.utils, pydicom.pixels, pydicom.dataset):
                setattr(module, name, wrapper)
                _patched.append((module, name, original, wrapper))


def undo() -> None:
    """Remove everything added here: wrappers, coders and UID dictionary entries."""
    with _lock:
        for module, name, original, wrapper in reversed(_patched):
            if getattr(module, name) is wrapper:  # someone else's later patch stays
                setattr(module, name, original)
        _patched.clear()
        for table, uid, coder in reversed(_added_coders):
            if uid in table and table[uid][0] is coder:
                del table[uid]
        _added_coders.clear()
        for uid in _added_uids:
            pydicom._uid_dict.UID_dictionary.pop(uid, None)
        _added_uids.clear()
