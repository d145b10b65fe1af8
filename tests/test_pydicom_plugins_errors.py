"""framecodec's pydicom plugins on bad frames: the error names the frame and the cause.

Test files are built from numpy arrays with independent encoders (Python's zlib, numpy's packbits, pylibjpeg-rle,
pydicom's own RLE encoder) and compared bit for bit with numpy, pydicom's own decoders, pylibjpeg-rle and, on 3.1,
pydicom's own Deflated Image Frame Compression plugin. Tests that only make sense on one pydicom line are skipped
on the other with the reason, and have a counterpart there (tests/pydicom_plugins_util.py has the test images).
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
from pydicom.pixels import get_decoder, iter_pixels, pixel_array

from conftest import BACKENDS, by_backend
from pydicom_plugins_util import (
    DEFLATE,
    PYDICOM_31,
    RLE,
    TS_IDS,
    TSYNTAXES,
    UNCOMPRESSED,
    Case,
    encoded_dataset,
    only_30,
    only_31,
    reference_frames,
    same,
)
from pydicom_plugins_util import registered as _registered  # noqa: F401  (an autouse fixture)


def _bad_frames(case: Case, tsyntax: str, kind: str) -> list[bytes]:
    frames = reference_frames(case, tsyntax)
    native = case.frame_native(2)
    if kind == "corrupt":
        frames[2] = b"\xff" * 8 if tsyntax == DEFLATE else frames[2][: len(frames[2]) // 2]
    elif tsyntax == DEFLATE:  # a valid stream of the wrong size
        enc = zlib.compressobj(wbits=-15)
        frames[2] = enc.compress(native[:-2] if kind == "short" else native + b"\x00\x01\x02\x03") + enc.flush()
    elif tsyntax == UNCOMPRESSED:
        frames[2] = native[:-2] if kind == "short" else native + bytes(4)
    elif kind == "long":  # RLE: the header says one segment too many
        header = np.frombuffer(frames[2][:64], "<u4").copy()
        header[0] += 1
        frames[2] = header.tobytes() + frames[2][64:]
    else:  # RLE: the segment ends early
        frames[2] = frames[2][:-6]
    return frames


@pytest.mark.filterwarnings("ignore:The decoding plugin has changed")  # the fallback after ours refused
@pytest.mark.parametrize("kind", ["corrupt", "short", "long"])
@pytest.mark.parametrize("tsyntax", by_backend(TSYNTAXES, TS_IDS))
def test_bad_frame_raises(kind: str, tsyntax: str) -> None:
    case = Case("grey8x4", np.random.default_rng(3).integers(0, 256, (4, 6, 10), dtype=np.uint8), 8, 8, "MONOCHROME2")
    ds = encoded_dataset(case, tsyntax, _bad_frames(case, tsyntax, kind))
    where = "frame 2 of 4" if PYDICOM_31 else "a frame"
    name = {RLE: "RLE Lossless", DEFLATE: "Deflated Image Frame Compression", UNCOMPRESSED: "Encapsulated Uncompressed"}
    pattern = rf"framecodec: {re.escape(name[tsyntax])}[^,]*, {where}: "
    for call in (
        lambda: pixel_array(ds, decoding_plugin="framecodec"),
        lambda: pixel_array(ds, index=2, decoding_plugin="framecodec"),
        lambda: list(iter_pixels(ds, decoding_plugin="framecodec")),
        lambda: ds.decompress(decoding_plugin="framecodec"),
    ):
        with pytest.raises(RuntimeError, match=pattern):
            call()
    # With pydicom's whole plugin list ours is tried first, then the others, which may be more lenient
    # (pylibjpeg-rle ignores a header's extra segment): an error, or the right pixels, never others.
    try:
        got = pixel_array(ds)
    except RuntimeError as exc:
        assert "framecodec:" in str(exc).split("\n")[1]
    except ValueError:
        pass  # pydicom 3.1's own deflate plugin returned the wrong size; pydicom's reshape refused it
    else:
        same(got, case.stored)
    # The frames before the bad one still decode on their own.
    same(pixel_array(ds, index=1, decoding_plugin="framecodec"), case.stored[1])


@only_31
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_frame_index_named_on_31_with_decoder_api(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMECODEC_INFLATE", backend)
    case = Case("grey8x4", np.random.default_rng(4).integers(0, 256, (4, 6, 10), dtype=np.uint8), 8, 8, "MONOCHROME2")
    ds = encoded_dataset(case, DEFLATE, _bad_frames(case, DEFLATE, "long"))
    with pytest.raises(RuntimeError, match="frame 2 of 4: deflate stream decodes to more than the expected 60 bytes"):
        get_decoder(DEFLATE).as_buffer(ds, decoding_plugin="framecodec")


@only_30
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_frame_on_30_names_the_cause(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """pydicom 3.0.x does not tell plugins the frame index; the message still names the cause."""
    monkeypatch.setenv("FRAMECODEC_INFLATE", backend)
    case = Case("grey8x4", np.random.default_rng(4).integers(0, 256, (4, 6, 10), dtype=np.uint8), 8, 8, "MONOCHROME2")
    ds = encoded_dataset(case, DEFLATE, _bad_frames(case, DEFLATE, "long"))
    with pytest.raises(RuntimeError, match="a frame: deflate stream decodes to more than the expected 60 bytes"):
        get_decoder(DEFLATE).as_buffer(ds, decoding_plugin="framecodec")
