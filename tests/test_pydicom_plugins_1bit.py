"""framecodec's pydicom plugins on 1-bit images and on Decoder.as_buffer, whose packing differs between
pydicom 3.0.x and 3.1.

Test files are built from numpy arrays with independent encoders (Python's zlib, numpy's packbits, pylibjpeg-rle,
pydicom's own RLE encoder) and compared bit for bit with numpy, pydicom's own decoders, pylibjpeg-rle and, on 3.1,
pydicom's own Deflated Image Frame Compression plugin. Tests that only make sense on one pydicom line are skipped
on the other with the reason, and have a counterpart there (tests/pydicom_plugins_util.py has the test images).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from pydicom.pixels import get_decoder

from pydicom_plugins_util import (
    DEFLATE,
    TS_IDS,
    TSYNTAXES,
    UNCOMPRESSED,
    _case,
    encoded_dataset,
    fragments,
    frame_props,
    only_30,
    only_31,
    same,
)
from pydicom_plugins_util import registered as _registered  # noqa: F401  (an autouse fixture)


@pytest.mark.parametrize("tsyntax", [DEFLATE, UNCOMPRESSED], ids=["deflate", "uncompressed"])
def test_1bit_frames_packed_from_byte_boundary(tsyntax: str) -> None:
    """5x7 = 35 bits a frame: each frame is packed on its own, starting on a byte boundary (5 bytes), not
    continuing where the previous frame's bits ended as Native Format does."""
    case = _case("bits1_5x7")
    ds = case.dataset()
    ds.compress(tsyntax, case.array_for_compress(), encoding_plugin="framecodec")
    for i, frag in enumerate(fragments(ds)):
        data = zlib.decompressobj(wbits=-15).decompress(frag) if tsyntax == DEFLATE else frag[:5]
        assert data == np.packbits(case.stored[i].ravel(), bitorder="little").tobytes()
        assert len(data) == 5


@only_31
@pytest.mark.parametrize("tsyntax", TSYNTAXES, ids=TS_IDS)
def test_1bit_as_buffer_on_31_is_packed(tsyntax: str) -> None:
    """pydicom 3.1: our decoders return unpacked frames (frame option bits_allocated 8) and pydicom packs
    them for the buffer API, as it does for its own RLE decoder."""
    case = _case("bits1_5x7")
    ds = encoded_dataset(case, tsyntax)
    decoder = get_decoder(tsyntax)
    buf, props = decoder.as_buffer(ds, decoding_plugin="framecodec")
    assert bytes(buf) == np.packbits(case.stored.ravel(), bitorder="little").tobytes()
    assert all(frame_props(props, i)["bits_allocated"] == 1 for i in range(case.frames))
    for i in range(case.frames):
        frame, props = decoder.as_buffer(ds, index=i, decoding_plugin="framecodec")
        assert bytes(frame) == case.frame_native(i)
        assert frame_props(props, i)["bits_allocated"] == 1
    for i, (frame, _props) in enumerate(decoder.iter_buffer(ds, decoding_plugin="framecodec")):
        assert bytes(frame) == case.frame_native(i)
    arr, props = decoder.as_array(ds, decoding_plugin="framecodec")
    same(arr, case.expected())


@only_30
@pytest.mark.parametrize("tsyntax", TSYNTAXES, ids=TS_IDS)
def test_1bit_as_buffer_on_30_refuses_loudly(tsyntax: str) -> None:
    """pydicom 3.0.x's as_array needs one byte per pixel from a plugin while its as_buffer checks for
    packed frames; our decoders serve as_array (and decompress), so as_buffer raises, never returns
    wrong data. Counterpart of the 3.1 test."""
    case = _case("bits1_5x7")
    ds = encoded_dataset(case, tsyntax)
    decoder = get_decoder(tsyntax)
    with pytest.raises(ValueError, match="Unexpected number of bytes in the decoded frame with index 0"):
        decoder.as_buffer(ds, decoding_plugin="framecodec")
    arr, _ = decoder.as_array(ds, decoding_plugin="framecodec")
    same(arr, case.expected())


def test_non_1bit_as_buffer_both_lines() -> None:
    for name in ("rgb8_pc0", "rgb8_pc1", "int16_bs12", "single16"):
        case = _case(name)
        for tsyntax in TSYNTAXES:
            ds = encoded_dataset(case, tsyntax)
            buf, props = get_decoder(tsyntax).as_buffer(ds, decoding_plugin="framecodec")
            raw = case.stored
            if case.spp > 1 and frame_props(props)["planar_configuration"] == 1:
                raw = np.moveaxis(raw, -1, 1)
            assert bytes(buf) == np.ascontiguousarray(raw).astype(raw.dtype.newbyteorder("<")).tobytes()
