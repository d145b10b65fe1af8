"""Registering framecodec's pydicom plugins: order among pydicom's own plugins, unregistering restores
pydicom's state, the UID constants and the plugin module's interface.

Test files are built from numpy arrays with independent encoders (Python's zlib, numpy's packbits, pylibjpeg-rle,
pydicom's own RLE encoder) and compared bit for bit with numpy, pydicom's own decoders, pylibjpeg-rle and, on 3.1,
pydicom's own Deflated Image Frame Compression plugin. Tests that only make sense on one pydicom line are skipped
on the other with the reason, and have a counterpart there (tests/pydicom_plugins_util.py has the test images).
"""

from __future__ import annotations

import subprocess
import sys

import pydicom
import pytest
from pydicom.pixels import get_decoder, pixel_array
from pydicom.uid import UID

import framecodec as fc
from framecodec import _pydicom_compat as compat
from pydicom_plugins_util import (
    DEFLATE,
    PYDICOM_31,
    RLE,
    TSYNTAXES,
    UNCOMPRESSED,
    _case,
    encoded_dataset,
    frame_props,
    only_30,
    only_31,
    same,
)
from pydicom_plugins_util import registered as _registered  # noqa: F401  (an autouse fixture)

_ORDER_SCRIPT = """
import json, pydicom
from pydicom.pixels.decoders.base import _PIXEL_DATA_DECODERS
from pydicom.pixels.encoders.base import _PIXEL_DATA_ENCODERS
from pydicom.uid import UID
out = {}
for kind, table in (("decoder", _PIXEL_DATA_DECODERS), ("encoder", _PIXEL_DATA_ENCODERS)):
    for uid in %r:
        out[kind + " " + uid] = list(table[uid][0]._available) if uid in table else None
out["deflate is a transfer syntax"] = UID("1.2.840.10008.1.2.8.1").is_transfer_syntax
print(json.dumps(out))
"""


def _pydicom_state() -> dict[str, object]:
    state: dict[str, object] = {}
    tables = {"decoder": compat._decoders._PIXEL_DATA_DECODERS, "encoder": compat._encoders._PIXEL_DATA_ENCODERS}
    for kind, table in tables.items():
        for uid in TSYNTAXES:
            state[f"{kind} {uid}"] = compat.plugin_order(table[uid][0]) if uid in table else None
    state["deflate is a transfer syntax"] = UID(DEFLATE).is_transfer_syntax
    return state


def test_ours_first_and_unregister_restores_pydicoms_own_state() -> None:
    import json

    script = _ORDER_SCRIPT % ([str(u) for u in TSYNTAXES],)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    pristine = json.loads(r.stdout)  # pydicom without framecodec imported
    assert pristine[f"decoder {RLE}"][-1] == "pydicom" and pristine[f"decoder {UNCOMPRESSED}"] is None
    assert pristine["deflate is a transfer syntax"] is PYDICOM_31

    registered = _pydicom_state()
    for key, order in registered.items():
        if key.startswith(("decoder", "encoder")):
            assert isinstance(order, list) and order[0] == "framecodec", key
            assert order[1:] == (pristine[key] or []), key
    assert registered["deflate is a transfer syntax"] is True

    fc.unregister()
    try:
        assert _pydicom_state() == pristine
        fc.unregister()  # harmless when not registered
        assert _pydicom_state() == pristine
        ds = encoded_dataset(_case("single16"), UNCOMPRESSED)
        with pytest.raises(NotImplementedError):
            ds.pixel_array
        ds = encoded_dataset(_case("single16"), DEFLATE)
        if PYDICOM_31:  # pydicom's own plugin is there again
            same(ds.pixel_array, _case("single16").expected())
        else:
            with pytest.raises(Exception, match="not supported|not a transfer syntax"):
                ds.pixel_array
    finally:
        fc.register()
    assert _pydicom_state() == registered


def test_register_twice_is_harmless() -> None:
    before = _pydicom_state()
    fc.register()
    fc.register()
    assert _pydicom_state() == before
    case = _case("rgb8_pc0")
    same(pixel_array(encoded_dataset(case, DEFLATE)), case.expected())


def test_register_after_plugin_removed_by_hand() -> None:
    decoder = get_decoder(RLE)
    decoder.remove_plugin("framecodec")
    assert "framecodec" not in decoder.available_plugins
    fc.register()
    assert compat.plugin_order(decoder)[0] == "framecodec"


def test_ours_is_tried_first() -> None:
    """Observable through pydicom's error report, which lists the plugins in the order it tried them."""
    case = _case("rgb8_pc0")
    for tsyntax in TSYNTAXES:
        ds = encoded_dataset(case, tsyntax, [b"\x00\x00"] * case.frames)
        with pytest.raises(RuntimeError, match="all available plugins:\n  framecodec: "):
            pixel_array(ds)


@only_31
def test_ours_is_used_by_default_on_31() -> None:
    """On 3.1 our RLE frames stay interleaved (frame option planar_configuration 0) where pydicom's and
    pylibjpeg's are planar: visible in the properties as_buffer returns."""
    ds = encoded_dataset(_case("rgb8_pc0"), RLE)
    assert frame_props(get_decoder(RLE).as_buffer(ds)[1])["planar_configuration"] == 0
    assert frame_props(get_decoder(RLE).as_buffer(ds, decoding_plugin="pydicom")[1])["planar_configuration"] == 1


@only_30
def test_ours_is_used_by_default_on_30() -> None:
    """3.0.x: pydicom has no decoder of its own for Deflated Image Frame Compression, so decoding works
    at all only through ours (counterpart of the 3.1 test)."""
    case = _case("rgb8_pc0")
    same(encoded_dataset(case, DEFLATE).pixel_array, case.expected())


def test_uid_constants() -> None:
    assert isinstance(fc.DeflatedImageFrameCompression, UID)
    assert isinstance(fc.EncapsulatedUncompressedExplicitVRLittleEndian, UID)
    assert isinstance(fc.RLELossless, UID)
    assert fc.DeflatedImageFrameCompression == "1.2.840.10008.1.2.8.1"
    assert fc.EncapsulatedUncompressedExplicitVRLittleEndian == "1.2.840.10008.1.2.1.98"
    for uid in TSYNTAXES:
        assert uid.is_transfer_syntax and uid.is_encapsulated and uid.is_compressed
        assert uid.is_little_endian and not uid.is_implicit_VR and not uid.is_deflated
    assert fc.DeflatedImageFrameCompression.name == "Deflated Image Frame Compression"
    assert fc.DeflatedImageFrameCompression.keyword == "DeflatedImageFrameCompression"
    if PYDICOM_31:
        assert fc.DeflatedImageFrameCompression == pydicom.uid.DeflatedImageFrameCompression


def test_plugin_module_interface() -> None:
    from framecodec import pydicom_plugin as plugin

    for uid in TSYNTAXES:
        assert plugin.is_available(uid)
        assert plugin.DECODER_DEPENDENCIES[uid] == () and plugin.ENCODER_DEPENDENCIES[uid] == ()
    # The JPEG family: decoders when the build has the codec's library, never encoders.
    built = {codec for codec, library in fc.backends()["codecs"].items() if library}
    for uid, codec in (
        ("1.2.840.10008.1.2.4.50", "jpeg"),
        ("1.2.840.10008.1.2.4.80", "jpegls"),
        ("1.2.840.10008.1.2.4.90", "j2k"),
        ("1.2.840.10008.1.2.4.201", "htj2k"),
    ):
        assert plugin.is_available(uid) == (codec in built) and uid not in plugin.ENCODER_DEPENDENCIES
    assert not plugin.is_available(pydicom.uid.JPEGLosslessSV1)  # no decoder here: pydicom's
