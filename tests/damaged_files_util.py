"""The damaged-file cases of tests/test_damaged_files_*.py, and where each is cut.

Every case is a valid file built without framecodec (tests/datasets.py, tests/encaps_util.py, pydicom, Pillow and
OpenJPEG for the JPEG family) and cut at chosen points: just after the Pixel Data element's header, inside the
Basic Offset Table's item header, inside an item header, at a frame boundary, in the middle of the frames, inside
the last frame, before and inside the sequence delimiter. Which frames must be whole at a cut is worked out here
from how the file was built (where each frame's last item, or its bytes, end), by the rules of PS3.5 A.4: a frame
is whole when its items are all in the file and its end is known (the next frame starts, an Extended Offset
Table, one fragment per frame in RLE / deflate / Encapsulated Uncompressed, the JPEG end-of-codestream marker, or
the sequence delimiter). Whole frames must equal pydicom's own decode of the intact file (its decoder named:
``import framecodec`` puts framecodec's plugins first) or the numpy pixels the file was made from (syntaxes
pydicom 3.0 cannot decode); the others must raise, naming the frame and where the file ends.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.encaps import encapsulate_extended, generate_frames
from pydicom.pixels import pixel_array as pydicom_pixel_array

from datasets import (
    BIG_ENDIAN,
    DEFLATE,
    ENCAPSULATED_UNCOMPRESSED,
    EXPLICIT,
    IMPLICIT,
    RLE,
    Layout,
    base_dataset,
    encode_frames,
    make_pixels,
    native_dataset,
    save,
    to_bytes,
)
from encaps_util import DELIMITER, ITEM, item

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"  # decoded by pydicom, not the engine: FrameReader's other path
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"


@dataclass(frozen=True)
class Built:
    """A valid file and what a cut of it must hold."""

    data: bytes
    reference: npt.NDArray[Any]  # (frames, ...) as pixel_array gives them
    frame_ends: list[int]  # where each frame's bytes (native) or last item (encapsulated) end in the file
    frame_starts: list[int]  # where each frame's bytes or first item start
    delimiter: int | None  # the sequence delimiter's position (encapsulated)
    last_needs_delimiter: bool  # the last frame's end is known only from the delimiter (several fragments, no EOI)
    value_start: int  # the Pixel Data value's first byte (encapsulated: the Basic Offset Table's item tag)

    @property
    def n(self) -> int:
        return len(self.frame_ends)

    def whole(self, cut: int) -> int:
        """How many frames are whole in the first ``cut`` bytes."""
        k = sum(end <= cut for end in self.frame_ends)
        if k == self.n and self.last_needs_delimiter and self.delimiter is not None and cut < self.delimiter + 4:
            k -= 1  # the delimiter's tag (4 bytes) is what shows the last frame complete
        return k

    def cuts(self) -> dict[str, int]:
        """Where to cut, by what the cut falls in."""
        mid = self.n // 2
        cuts = {
            "after the header": self.value_start,
            "inside the first bytes of the value": self.value_start + 3,
            "at a frame boundary": self.frame_starts[1],
            "in the middle of the frames": (self.frame_starts[mid] + self.frame_ends[mid]) // 2,
            "inside the last frame": (self.frame_starts[-1] + self.frame_ends[-1]) // 2,
            "just before the end of the last frame": self.frame_ends[-1] - 1,
        }
        if self.delimiter is not None:
            cuts |= {
                "inside a middle frame's item header": self.frame_starts[mid] + 5,
                "inside the last frame's item header": self.frame_starts[-1] + 3,
                "before the delimiter": self.delimiter,
                "inside the delimiter's tag": self.delimiter + 2,
                "inside the delimiter's length": self.delimiter + 5,
            }
        return cuts


def native(layout: Layout, ts: str, seed: int = 0) -> Built:
    arr = make_pixels(layout, seed)
    data = to_bytes(native_dataset(arr, layout, ts))
    ds = pydicom.dcmread(io.BytesIO(data))
    value = ds.PixelData
    start = len(data) - len(value)
    assert data[start:] == value  # Pixel Data is the last element
    ref = _frames(pydicom_pixel_array(ds), layout)
    bits = layout.rows * layout.columns * layout.samples * layout.bits  # one frame's bits (PS3.5 8.1.1)
    ends = [start + -(-(i + 1) * bits // 8) for i in range(layout.frames)]
    starts = [start + i * bits // 8 for i in range(layout.frames)]
    return Built(data, ref, ends, starts, None, False, start)


def encapsulated(
    ts: str,
    layout: Layout,
    codestreams: list[bytes],
    reference: npt.NDArray[Any],
    *,
    fragments: int = 1,
    table: str = "basic",
) -> Built:
    """The frames in ``fragments`` items each (even lengths, PS3.5 A.4), with a Basic, an empty or an Extended
    Offset Table; pydicom writes the value and its sequence delimiter."""
    ds = base_dataset(layout, ts)
    frame_items: list[list[bytes]] = []
    for cs in codestreams:
        cs = cs + b"\x00" * (len(cs) % 2)
        step = max(2, (-(-len(cs) // fragments) + 1) & ~1)
        frame_items.append([cs[i : i + step] for i in range(0, len(cs), step)])
    if table == "extended":
        assert fragments == 1
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(codestreams)
    else:
        offsets, pos = [], 0
        for parts in frame_items:
            offsets.append(pos)
            pos += sum(8 + len(p) for p in parts)
        bot = struct.pack(f"<{len(offsets)}I", *offsets) if table == "basic" else b""
        ds.PixelData = item(bot) + b"".join(item(p) for parts in frame_items for p in parts)
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    data = to_bytes(ds)
    value = pydicom.dcmread(io.BytesIO(data)).PixelData
    delimiter = len(data) - 8
    assert data[delimiter:] == DELIMITER and data[delimiter - len(value) : delimiter] == value
    # Walk the items (PS3.5 A.4) to find where each frame's first and last items are.
    pos = delimiter - len(value)
    pos += 8 + struct.unpack("<I", data[pos + 4 : pos + 8])[0]  # the Basic Offset Table
    item_spans = []
    while pos < delimiter:
        assert data[pos : pos + 4] == ITEM
        end = pos + 8 + struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        item_spans.append((pos, end))
        pos = end
    counts = [len(parts) for parts in frame_items]
    firsts = np.cumsum([0] + counts[:-1]).tolist()
    starts = [item_spans[f][0] for f in firsts]
    ends = [item_spans[f + c - 1][1] for f, c in zip(firsts, counts)]
    ends_codestream = ts.startswith("1.2.840.10008.1.2.4.")  # every frame ends with FF D9 (EOI, EOC)
    last_needs = counts[-1] > 1 and not ends_codestream and table != "extended"
    return Built(data, reference, ends, starts, delimiter, last_needs, delimiter - len(value))


def _codestream(data: bytes, start: int, end: int) -> bytes:
    """The values of the items from ``start`` to ``end``, joined."""
    out = b""
    while start < end:
        length = struct.unpack("<I", data[start + 4 : start + 8])[0]
        out += data[start + 8 : start + 8 + length]
        start += 8 + length
    return out


def _frames(arr: npt.NDArray[Any], layout: Layout) -> npt.NDArray[Any]:
    return arr.reshape((layout.frames,) + layout.frame_shape)


def rle(table: str = "basic", fragments: int = 1, layout: Layout | None = None) -> Built:
    layout = layout or Layout(12, 10, bits=16, stored=12, signed=True, frames=7)
    arr = make_pixels(layout, 1)
    frames = encode_frames(arr, layout, RLE)
    ds = base_dataset(layout, RLE)
    ds.PixelData = b"".join(item(f) for f in frames)  # any value: pydicom's RLE decoder reads the codestreams
    ref = _frames(_pydicom_reference(frames, layout, RLE, "pydicom"), layout)
    np.testing.assert_array_equal(ref, _frames(arr, layout))
    return encapsulated(RLE, layout, frames, ref, fragments=fragments, table=table)


def from_numpy(ts: str, table: str = "empty") -> Built:
    """Syntaxes pydicom 3.0 has no decoder for: the reference is the numpy pixels the frames were made from."""
    layout = Layout(9, 11, samples=3, frames=6)
    arr = make_pixels(layout, 2)
    return encapsulated(ts, layout, encode_frames(arr, layout, ts), _frames(arr, layout), table=table)


def jpeg(table: str = "empty", fragments: int = 1, frames: int = 6) -> Built:
    """JPEG Baseline frames by Pillow (libjpeg-turbo), decoded for the reference by pydicom's Pillow plugin."""
    from PIL import Image

    layout = Layout(16, 24, frames=frames)
    arr = make_pixels(layout, 3)
    codestreams = []
    for frame in arr:
        out = io.BytesIO()
        Image.fromarray(frame).save(out, format="JPEG", quality=90)
        codestreams.append(out.getvalue())
    ref = _frames(_pydicom_reference(codestreams, layout, JPEG_BASELINE, "pillow"), layout)
    return encapsulated(JPEG_BASELINE, layout, codestreams, ref, fragments=fragments, table=table)


def j2k(fragments: int = 3) -> Built:
    """JPEG 2000 frames by OpenJPEG (pylibjpeg-openjpeg), frames found by their SOC+SIZ markers."""
    openjpeg = pytest.importorskip("openjpeg", reason="pylibjpeg-openjpeg (a test extra) encodes the JPEG 2000 frames")
    layout = Layout(64, 64, bits=16, frames=5)  # OpenJPEG's default resolutions need 64 x 64
    arr = make_pixels(layout, 4)
    frames = [openjpeg.encode(np.ascontiguousarray(f)) for f in arr]
    ref = _frames(_pydicom_reference(frames, layout, J2K_LOSSLESS, "pylibjpeg"), layout)
    np.testing.assert_array_equal(ref, _frames(arr, layout))
    return encapsulated(J2K_LOSSLESS, layout, frames, ref, fragments=fragments, table="empty")


def jpeg_lossless(tmp: Path) -> Built:
    """JPEG Lossless SV1 by DCMTK: a syntax the engine leaves to pydicom (FrameReader decodes its frames with
    pydicom's decoder from the codestreams)."""
    if shutil.which("dcmcjpeg") is None:
        pytest.skip("DCMTK's dcmcjpeg (apt-get install dcmtk, as .ci/run does) encodes the JPEG Lossless frames")
    layout = Layout(10, 14, bits=16, stored=12, frames=5)
    src = save(native_dataset(make_pixels(layout, 5), layout), tmp / "native.dcm")
    subprocess.run(["dcmcjpeg", "+e1", str(src), str(tmp / "lossless.dcm")], check=True, capture_output=True)
    ds = pydicom.dcmread(tmp / "lossless.dcm")
    frames = list(generate_frames(ds.PixelData, number_of_frames=layout.frames))
    ref = _frames(_pydicom_reference(frames, layout, JPEG_LOSSLESS_SV1, "pylibjpeg"), layout)
    return encapsulated(JPEG_LOSSLESS_SV1, layout, frames, ref, fragments=2, table="basic")


def _pydicom_reference(frames: list[bytes], layout: Layout, ts: str, plugin: str) -> npt.NDArray[Any]:
    """pydicom's decode of the intact frames, by the plugin named."""
    from pydicom.encaps import encapsulate

    ds = base_dataset(layout, ts)
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    return pydicom_pixel_array(ds, decoding_plugin=plugin)


CASES: dict[str, Callable[[Path], Built]] = {
    "native explicit int16": lambda _: native(Layout(12, 10, bits=16, stored=12, signed=True, frames=7), EXPLICIT),
    "native implicit rgb": lambda _: native(Layout(5, 7, samples=3, frames=6), IMPLICIT),
    "native big endian": lambda _: native(Layout(6, 8, bits=16, frames=5), BIG_ENDIAN),
    "native 1-bit": lambda _: native(Layout(9, 7, bits=1, frames=6), EXPLICIT),  # frames off byte boundaries
    "rle basic offset table": lambda _: rle("basic"),
    "rle extended offset table": lambda _: rle("extended"),
    "rle empty offset table": lambda _: rle("empty"),
    "rle three fragments a frame": lambda _: rle("basic", fragments=3),
    "deflate empty offset table": lambda _: from_numpy(DEFLATE, "empty"),
    "encapsulated uncompressed basic": lambda _: from_numpy(ENCAPSULATED_UNCOMPRESSED, "basic"),
    "jpeg one fragment a frame": lambda _: jpeg("empty"),
    "jpeg three fragments, markers": lambda _: jpeg("empty", fragments=3),
    "jpeg three fragments, basic": lambda _: jpeg("basic", fragments=3),
    "jpeg extended offset table": lambda _: jpeg("extended"),
    "j2k three fragments, markers": lambda _: j2k(),
    "jpeg lossless (pydicom decodes)": jpeg_lossless,
}


def _cut(data: bytes, at: int, path: Path) -> Path:
    path.write_bytes(data[:at])
    return path
