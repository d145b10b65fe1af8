"""The pydicom internals framecodec._pydicom_compat touches are still what it assumes.

Each test names the structure it checks; when a pydicom release changes one of them, the failure here
says which touch in framecodec/_pydicom_compat.py needs updating, before users see wrong behaviour.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pydicom
import pydicom._uid_dict
import pydicom.dataset
import pydicom.pixels
import pydicom.pixels.utils
import pydicom.uid
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels.common import CoderBase, RunnerBase
from pydicom.pixels.decoders import base as decoders
from pydicom.pixels.decoders.base import Decoder, DecodeRunner
from pydicom.pixels.encoders import base as encoders
from pydicom.pixels.encoders.base import Encoder, EncodeRunner
from pydicom.uid import UID, ExplicitVRLittleEndian, RLELossless

import framecodec as fc
from framecodec import _pydicom_compat as compat

PYDICOM_31 = tuple(int(x) for x in pydicom.__version__.split(".")[:2]) >= (3, 1)
only_31 = pytest.mark.skipif(not PYDICOM_31, reason="pydicom 3.1 only")
only_30 = pytest.mark.skipif(PYDICOM_31, reason="pydicom 3.0.x only: 3.1 needs no such patch")


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    fc.register()
    yield
    fc.register()


def _pristine(code: str) -> Any:
    """Run ``code`` (which prints JSON) in a fresh interpreter that never imports framecodec."""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(r.stdout)


# --- touch 1: pydicom._uid_dict.UID_dictionary ---------------------------------------------------------


def test_uid_dictionary_layout() -> None:
    d = pydicom._uid_dict.UID_dictionary
    assert isinstance(d, dict)
    # pydicom.uid reads the very same dict object, so an entry added there is seen by UID's properties
    assert pydicom.uid.UID_dictionary is d
    assert d["1.2.840.10008.1.2.5"] == ("RLE Lossless", "Transfer Syntax", "", "", "RLELossless")
    assert all(isinstance(v, tuple) and len(v) == 5 for v in d.values())
    # UID's transfer syntax properties come from the entry's type
    assert UID("1.2.840.10008.1.2.5").is_transfer_syntax and UID("1.2.840.10008.1.2.5").is_encapsulated


@only_31
def test_uid_entry_we_add_on_30_is_pydicom_31s() -> None:
    assert pydicom._uid_dict.UID_dictionary["1.2.840.10008.1.2.8.1"] == compat.DEFLATED_IMAGE_FRAME_ENTRY


@only_30
def test_uid_entry_missing_from_pristine_30() -> None:
    """Counterpart on 3.0.x: pydicom itself lacks the entry (so the touch is needed), we add it."""
    known = _pristine(
        "import json, pydicom._uid_dict as u; print(json.dumps('1.2.840.10008.1.2.8.1' in u.UID_dictionary))"
    )
    assert known is False
    assert pydicom._uid_dict.UID_dictionary["1.2.840.10008.1.2.8.1"] == compat.DEFLATED_IMAGE_FRAME_ENTRY


# --- touch 2: _PIXEL_DATA_DECODERS / _PIXEL_DATA_ENCODERS ----------------------------------------------


@pytest.mark.parametrize(
    ("table_name", "module", "kind", "get"),
    [
        ("_PIXEL_DATA_DECODERS", decoders, Decoder, pydicom.pixels.get_decoder),
        ("_PIXEL_DATA_ENCODERS", encoders, Encoder, pydicom.pixels.get_encoder),
    ],
)
def test_coder_tables(table_name: str, module: types.ModuleType, kind: type, get: Callable[[str], Any]) -> None:
    table = getattr(module, table_name)
    assert isinstance(table, dict)
    for uid, value in table.items():
        assert isinstance(uid, UID)
        assert isinstance(value, tuple) and len(value) == 2
        assert isinstance(value[0], kind) and isinstance(value[1], str) and uid == value[0].UID
    # get_decoder / get_encoder look only there
    fake = UID("1.2.826.0.1.3680043.10.1234.1")
    coder = kind(fake)
    table[fake] = (coder, "test")
    try:
        assert get(fake) is coder
    finally:
        del table[fake]
    with pytest.raises(NotImplementedError):
        get(fake)


# --- touch 3: CoderBase._available order ----------------------------------------------------------------


def _fake_plugin_module(calls: list[str]) -> types.ModuleType:
    mod = types.ModuleType("framecodec_test_fake_plugins")
    mod.DECODER_DEPENDENCIES = {RLELossless: ()}  # type: ignore[attr-defined]
    mod.is_available = lambda uid: uid == RLELossless  # type: ignore[attr-defined]

    def make(name: str) -> Callable[[bytes, DecodeRunner], bytearray]:
        def decode(src: bytes, runner: DecodeRunner) -> bytearray:
            calls.append(name)
            raise ValueError(f"{name} declines")

        return decode

    for name in ("first", "second", "third"):
        setattr(mod, name, make(name))
    return mod


def test_available_is_the_order_plugins_are_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "framecodec_test_fake_plugins", _fake_plugin_module(calls))
    dec = Decoder(RLELossless)
    for name in ("first", "second", "third"):
        dec.add_plugin(name, ("framecodec_test_fake_plugins", name))
    assert isinstance(dec._available, dict)
    assert compat.plugin_order(dec) == ["first", "second", "third"]  # add_plugin appends

    compat.move_first(dec, "third")
    assert compat.plugin_order(dec) == ["third", "first", "second"]
    assert dec.available_plugins == ("first", "second", "third")  # the public view is sorted, not ordered

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.Rows = ds.Columns = 2
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = encapsulate([b"\x00" * 66])
    with pytest.raises(RuntimeError, match="first declines"):
        dec.as_array(ds)
    assert calls == ["third", "first", "second"]


def test_move_first_keeps_the_dict_object() -> None:
    dec = decoders._PIXEL_DATA_DECODERS[RLELossless][0]
    before = dec._available
    compat.move_first(dec, "framecodec")
    assert dec._available is before


# --- version differences the plugins rely on --------------------------------------------------------------


def test_frame_options_match_the_pydicom_line() -> None:
    assert compat.HAS_FRAME_OPTIONS is PYDICOM_31
    assert hasattr(DecodeRunner, "index") is PYDICOM_31
    for cls in (DecodeRunner, EncodeRunner):
        assert hasattr(cls, "set_frame_option") is PYDICOM_31
        assert hasattr(cls, "get_frame_option") is PYDICOM_31


def test_runner_attributes_the_plugins_use() -> None:
    for cls in (DecodeRunner, EncodeRunner):
        for name in (
            "transfer_syntax",
            "rows",
            "columns",
            "samples_per_pixel",
            "bits_allocated",
            "number_of_frames",
            "planar_configuration",
            "pixel_representation",
            "get_option",
            "set_option",
            "is_array",
        ):
            assert hasattr(cls, name), (cls.__name__, name)
    assert issubclass(Decoder, CoderBase) and issubclass(Encoder, CoderBase)
    assert issubclass(DecodeRunner, RunnerBase) and issubclass(EncodeRunner, RunnerBase)


# --- touch 4 (3.0.x): decompress / compress for 1-bit images -------------------------------------------


def _one_bit_deflated() -> tuple[Dataset, np.ndarray]:
    arr = np.random.default_rng(7).integers(0, 2, (3, 5, 7), dtype=np.uint8)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns, ds.NumberOfFrames = 5, 7, 3
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit, ds.PixelRepresentation = 0, 0
    ds.compress(fc.DeflatedImageFrameCompression, arr)
    return ds, arr


@only_30
def test_30_functions_the_wrappers_replace() -> None:
    """Dataset.decompress / compress call the module globals of pydicom.dataset, which are the functions
    of pydicom.pixels.utils (also exported by pydicom.pixels); all three names are wrapped."""
    for name in ("decompress", "compress"):
        method = getattr(Dataset, name)
        assert name in method.__code__.co_names
        wrapped = getattr(pydicom.pixels.utils, name)
        assert getattr(pydicom.dataset, name) is wrapped and getattr(pydicom.pixels, name) is wrapped
        assert wrapped.__wrapped__.__module__ == "pydicom.pixels.utils"
    fc.unregister()
    try:
        for name in ("decompress", "compress"):
            original = getattr(pydicom.pixels.utils, name)
            assert not hasattr(original, "__wrapped__")
            assert getattr(pydicom.dataset, name) is original and getattr(pydicom.pixels, name) is original
    finally:
        fc.register()


@only_30
def test_30_decompress_writes_one_byte_per_pixel_unwrapped() -> None:
    """Why the decompress wrapper exists: 3.0.x's own decompress writes a 1-bit image one byte per pixel.
    If a 3.0.x release packs it, the wrapper leaves the value alone and this test says so."""
    ds, arr = _one_bit_deflated()
    original = pydicom.pixels.utils.decompress.__wrapped__  # type: ignore[attr-defined]
    original(ds)
    assert ds.PixelData == arr.tobytes() + b"\x00" * (arr.size % 2)


@only_30
def test_30_compress_without_array_fails_unwrapped() -> None:
    """Why the compress wrapper exists: 3.0.x cannot cut a 1-bit frame out of native Pixel Data."""
    ds, arr = _one_bit_deflated()
    ds.decompress()
    original = pydicom.pixels.utils.compress.__wrapped__  # type: ignore[attr-defined]
    with pytest.raises((ValueError, RuntimeError), match="expected length|slice step cannot be zero"):
        original(ds, fc.DeflatedImageFrameCompression)
    ds.compress(fc.DeflatedImageFrameCompression)  # wrapped
    assert np.array_equal(ds.pixel_array, arr)


@only_31
def test_31_needs_no_wrappers() -> None:
    """Counterpart on 3.1: decompress and compress handle 1-bit images themselves and stay pydicom's."""
    for name in ("decompress", "compress"):
        func = getattr(pydicom.pixels.utils, name)
        assert not hasattr(func, "__wrapped__")
        assert getattr(pydicom.dataset, name) is func and getattr(pydicom.pixels, name) is func
    ds, arr = _one_bit_deflated()
    ds.decompress()
    assert ds.PixelData == np.packbits(arr.ravel(), bitorder="little").tobytes()
