"""Files cut short in their Pixel Data (``head -c N good.dcm > cut.dcm``): what is whole still reads.

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
import json
import pickle
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate_extended, generate_frames
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from datasets import (
    BIG_ENDIAN, DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, IMPLICIT, RLE, Layout, assert_identical, base_dataset,
    encode_frames, make_pixels, native_dataset, save, to_bytes,
)  # fmt: skip
from encaps_util import DELIMITER, ITEM, item

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"  # decoded by pydicom, not the engine: FrameReader's other path
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"


# --- building the files -----------------------------------------------------------------------------------


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


def encapsulated(ts: str, layout: Layout, codestreams: list[bytes], reference: npt.NDArray[Any], *,
                 fragments: int = 1, table: str = "basic") -> Built:  # fmt: skip
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


@pytest.fixture(scope="module", params=list(CASES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Built]:
    return request.param, CASES[request.param](tmp_path_factory.mktemp("build"))


# --- FrameReader and pixel_array ---------------------------------------------------------------------------


def test_every_cut_point(built: tuple[str, Built], tmp_path: Path) -> None:
    name, b = built
    assert_identical(fc.pixel_array(io.BytesIO(b.data)), b.reference)  # the intact file, as pydicom decodes it
    for where, cut in b.cuts().items():
        path = tmp_path / "cut.dcm"
        path.write_bytes(b.data[:cut])
        k = b.whole(cut)
        check_cut(path, b, cut, k, f"{name}, cut {where} (byte {cut})")


def check_cut(path: Path, b: Built, cut: int, k: int, label: str) -> None:
    n = b.n
    with fc.FrameReader(path) as r:
        assert (len(r), r.whole_frames) == (n, k), label
        assert isinstance(r.whole_frames, int)
        if k:
            assert_identical(r.read(list(range(k))), b.reference[:k])
            assert_identical(r[k - 1], b.reference[k - 1])
            assert_identical(r.read(slice(0, k)), b.reference[:k])
        got: list[npt.NDArray[Any]] = []
        if k == n:  # cut in what follows the frames (the sequence delimiter): every frame reads, pixel_array too
            every = list(r)
            assert len(every) == n
            for i, frame in enumerate(every):  # (np.stack would turn big endian frames native)
                assert_identical(frame, b.reference[i])
            assert r.truncation is None or r.truncation.startswith(f"it ends at byte {cut}"), label
            assert_identical(fc.pixel_array(path), b.reference)
            return
        assert r.truncation is not None and r.truncation.startswith(f"it ends at byte {cut}"), (label, r.truncation)
        head = rf"the file is truncated \(it ends at byte {cut}\b"
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing: {head}"):
            r[k]
        assert issubclass(fc.EncapsulationError, ValueError)
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {n - 1} is missing: {head}"):
            r[-1]
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing: {head}"):
            r.raw(k)
        if k + 1 < n:
            with pytest.raises(fc.EncapsulationError, match=rf"^frames {k} and {n - 1} are missing: {head}"):
                r.read([n - 1, 0, k])
        with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing"):
            for frame in r:  # the whole frames, in order, then the first missing one's error
                got.append(frame)
        assert len(got) == k
        if k:
            for i, frame in enumerate(got):
                assert_identical(frame, b.reference[i])
            if b.delimiter is not None:  # encapsulated: the codestream as stored (less a pad byte, by the EOT)
                stored, got_raw = _codestream(b.data, b.frame_starts[k - 1], b.frame_ends[k - 1]), bytes(r.raw(k - 1))
                assert stored.startswith(got_raw) and len(stored) - len(got_raw) <= 1, label
        with pytest.raises(fc.EncapsulationError, match=rf"^frames? {k}\b.* missing: {head}"):
            r.read()  # every frame: the missing ones named, from the first
    # pixel_array of the whole file still refuses it, naming the first missing frame
    with pytest.raises(ValueError, match=rf"frame {k}\b"):
        fc.pixel_array(path)


def test_a_cut_at_every_byte(tmp_path: Path) -> None:
    """Every cut of small files from the Pixel Data on: the count of whole frames is the expected one, and those
    frames decode (RLE with a Basic Offset Table and two fragments a frame; JPEG frames split over three fragments
    with no offset table; native 16-bit)."""
    small = Layout(4, 6, bits=16, frames=4)
    for b in (rle("basic", fragments=2, layout=small), jpeg("empty", fragments=3, frames=3), native(small, EXPLICIT)):
        start = b.value_start if b.delimiter is not None else b.frame_starts[0]
        path = tmp_path / "cut.dcm"
        for cut in range(start, len(b.data) + 1):
            path.write_bytes(b.data[:cut])
            with fc.FrameReader(path) as r:
                k = b.whole(cut)
                assert r.whole_frames == k, cut
                if k:
                    assert_identical(r.read(slice(0, k)), b.reference[:k])
                if k < b.n:
                    with pytest.raises(fc.EncapsulationError, match=rf"^frame {k} is missing"):
                        r.read(k)


def test_the_frame_table_holds_the_whole_frames(tmp_path: Path) -> None:
    b = rle("basic", fragments=3)
    cut = b.cuts()["in the middle of the frames"]
    path = tmp_path / "cut.dcm"
    path.write_bytes(b.data[:cut])
    with fc.FrameReader(path) as r:
        table = r.frame_table
        assert table is not None and len(table) == r.whole_frames == 3 and table.source == "basic"
        assert not table.has_delimiter and table.end == b.frame_starts[3]
        for i in range(3):
            table = fc.encaps.locate_pixel_data(b.data).frame_table(b.data)
            assert bytes(r.raw(i)) == bytes(fc.encaps.frame_bytes(b.data, table, i))
        assert "3 whole: the file is truncated" in repr(r)


def test_a_truncated_reader_pickles(tmp_path: Path) -> None:
    b = rle("extended")
    path = tmp_path / "cut.dcm"
    path.write_bytes(b.data[: b.cuts()["inside the last frame"]])
    with fc.FrameReader(path) as r:
        again = pickle.loads(pickle.dumps(r))
        assert again.whole_frames == b.n - 1 and again.truncation == r.truncation is not None
    assert_identical(again.read(slice(0, b.n - 1)), b.reference[:-1])
    with pytest.raises(fc.EncapsulationError, match=rf"^frame {b.n - 1} is missing"):
        again[b.n - 1]


def test_read_region_over_whole_tiles(tmp_path: Path) -> None:
    """A TILED_FULL slide of 2 x 2 tiles on 2 focal planes, cut inside the second plane's tiles: the first plane
    reads, a region over a missing tile raises naming it."""
    layout = Layout(12, 16, samples=3, frames=8)
    arr = make_pixels(layout, 6)
    frames = encode_frames(arr, layout, RLE)
    b = encapsulated(RLE, layout, frames, _frames(arr, layout), table="basic")
    ds = pydicom.dcmread(io.BytesIO(b.data))
    ds.DimensionOrganizationType = "TILED_FULL"
    ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows, ds.TotalPixelMatrixFocalPlanes = 32, 24, 2
    ds.NumberOfOpticalPaths = 1
    optical = Dataset()
    optical.OpticalPathIdentifier = "1"
    ds.OpticalPathSequence = [optical]
    data = to_bytes(ds)
    start = data.index(b.data[b.frame_starts[0] :])  # the frames' items, moved by the attributes added
    cut = start + (b.frame_starts[5] + b.frame_ends[5]) // 2 - b.frame_starts[0]  # inside tile 5 (plane 1)
    path = tmp_path / "slide.dcm"
    path.write_bytes(data[:cut])
    matrix = np.zeros((24, 32, 3), np.uint8)  # plane 0 from the numpy tiles, row by row
    for t in range(4):
        y, x = 12 * (t // 2), 16 * (t % 2)
        matrix[y : y + 12, x : x + 16] = arr[t]
    with fc.FrameReader(path) as r:
        assert r.whole_frames == 5
        assert_identical(r.read_region((0, 0), (32, 24)), matrix)
        assert_identical(r.read_region((3, 5), (20, 15), focal_plane=0), matrix[5:20, 3:23])
        assert_identical(r.read_region((0, 0), (16, 12), focal_plane=1), arr[4])  # tile 4 is whole
        with pytest.raises(fc.EncapsulationError, match=r"^frame 5 is missing: the file is truncated"):
            r.read_region((10, 0), (12, 6), focal_plane=1)  # tiles 4 and 5


# --- what is inconsistent, not merely cut short, still raises -----------------------------------------------


def _cut(data: bytes, at: int, path: Path) -> Path:
    path.write_bytes(data[:at])
    return path


def test_an_offset_table_that_disagrees_with_the_items_still_raises(tmp_path: Path) -> None:
    b = rle("basic")
    value = b.value_start
    bad = bytearray(b.data)
    struct.pack_into("<I", bad, value + 8 + 4 * 2, struct.unpack_from("<I", bad, value + 8 + 4 * 2)[0] + 2)
    for cut in (len(bad), b.cuts()["inside the last frame"]):  # whole, and cut short after frame 2's start
        with pytest.raises(fc.EncapsulationError, match="does not land on an item tag"):
            fc.FrameReader(_cut(bytes(bad), cut, tmp_path / "bad.dcm"))


def test_a_whole_file_whose_tables_point_past_its_fragments_still_raises(tmp_path: Path) -> None:
    # The value ends with its sequence delimiter: an offset past it is an error in the table, not a file cut short.
    b = rle("basic")
    bad = bytearray(b.data)
    last = b.value_start + 8 + 4 * (b.n - 1)
    struct.pack_into("<I", bad, last, struct.unpack_from("<I", bad, last)[0] + 1000)
    with pytest.raises(fc.EncapsulationError, match="past the end of the data") as e:
        fc.FrameReader(_cut(bytes(bad), len(bad), tmp_path / "bad.dcm"))
    assert "is missing" not in str(e.value)
    b = rle("extended")
    ds = pydicom.dcmread(io.BytesIO(b.data))
    eo = list(struct.unpack(f"<{b.n}Q", ds.ExtendedOffsetTable))
    eo[-1] += 1000
    ds.ExtendedOffsetTable = struct.pack(f"<{b.n}Q", *eo)
    data = to_bytes(ds)
    with pytest.raises(fc.EncapsulationError, match="past the end of the data") as e:
        fc.FrameReader(_cut(data, len(data), tmp_path / "bad.dcm"))
    assert "is missing" not in str(e.value)


def test_offsets_that_do_not_increase_still_raise(tmp_path: Path) -> None:
    b = rle("extended")
    ds = pydicom.dcmread(io.BytesIO(b.data))
    eo = list(struct.unpack(f"<{b.n}Q", ds.ExtendedOffsetTable))
    eo[3], eo[4] = eo[4], eo[3]
    ds.ExtendedOffsetTable = struct.pack(f"<{b.n}Q", *eo)
    data = to_bytes(ds)
    with pytest.raises(fc.EncapsulationError, match="does not increase"):
        fc.FrameReader(_cut(data, len(data) - 30, tmp_path / "bad.dcm"))


def test_another_tag_inside_the_value_still_raises(tmp_path: Path) -> None:
    b = rle("empty")
    bad = bytearray(b.data)
    bad[b.frame_starts[2] : b.frame_starts[2] + 4] = b"\x08\x00\x16\x00"  # not an item: the value is broken
    with pytest.raises(fc.EncapsulationError, match="unexpected tag"):
        fc.FrameReader(_cut(bytes(bad), b.cuts()["inside the last frame"], tmp_path / "bad.dcm"))


def test_jpeg_fragments_that_start_no_frame_still_raise(tmp_path: Path) -> None:
    b = jpeg("empty", fragments=3)
    bad = bytearray(b.data)
    bad[b.frame_starts[0] + 8 : b.frame_starts[0] + 10] = b"\x00\x00"  # frame 0's SOI gone
    with pytest.raises(fc.EncapsulationError) as e:  # the table's own error, as before: no frame is "whole"
        fc.FrameReader(_cut(bytes(bad), b.cuts()["inside the last frame"], tmp_path / "bad.dcm"))
    assert "is missing" not in str(e.value)


def test_as_many_fragments_as_frames_are_not_one_frame_each_when_the_file_was_cut(tmp_path: Path) -> None:
    # Before: a JPEG file of 3 fragments a frame, cut after 6 fragments of 6 frames, read as one fragment per frame
    # (the last one ends with EOI): frames 1 to 5 were parts of frames 0 and 1.
    b = jpeg("empty", fragments=3)
    path = tmp_path / "cut.dcm"
    path.write_bytes(b.data[: b.frame_ends[1]])  # frames 0 and 1: 6 items
    with fc.FrameReader(path) as r:
        assert r.whole_frames == 2
        assert_identical(r.read([0, 1]), b.reference[:2])
    with pytest.raises(fc.EncapsulationError, match="frame 2 is missing"):
        fc.pixel_array(path)


def test_native_pixel_data_shorter_than_its_frames_still_raises(tmp_path: Path) -> None:
    layout = Layout(4, 4, frames=3)
    ds = native_dataset(make_pixels(layout), layout)
    ds.NumberOfFrames = 4  # the value holds 3 frames: inconsistent, whatever the file's length
    path = save(ds, tmp_path / "short.dcm")
    with pytest.raises(ValueError, match="needs 64 bytes of Pixel Data, but it holds 48"):
        fc.FrameReader(path)


# --- the command line ---------------------------------------------------------------------------------------


def cli(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "framecodec", *map(str, args)], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.mark.parametrize("case", ["rle basic offset table", "native explicit int16", "jpeg three fragments, markers"])
def test_info_shows_a_truncated_file(case: str, tmp_path: Path) -> None:
    b = CASES[case](tmp_path)
    cut = b.cuts()["in the middle of the frames"]
    k = b.whole(cut)
    path = _cut(b.data, cut, tmp_path / "cut.dcm")
    r = cli("info", path)
    assert r.returncode == 1
    assert r.stdout.startswith(f"{path}\n  transfer syntax ")  # the header, shown
    assert f"  frames            {k} of {b.n} whole: the file is truncated; it ends at byte {cut}" in r.stdout
    assert r.stderr.startswith(f"framecodec: {path}: the file is truncated: {k} of {b.n} frames are whole (it ends "
                               f"at byte {cut}")  # fmt: skip
    r = cli("info", "--json", path)
    got = json.loads(r.stdout)[0]
    assert r.returncode == 1 and (got["frames"], got["whole_frames"]) == (b.n, k)
    assert got["truncation"].startswith(f"it ends at byte {cut}") and got["file_size"] == cut
    r = cli("info", "--json", _cut(b.data, len(b.data), tmp_path / "whole.dcm"))
    got = json.loads(r.stdout)[0]
    assert r.returncode == 0 and got["whole_frames"] == b.n and got["truncation"] is None


def test_decode_writes_the_whole_frames_asked_for(tmp_path: Path) -> None:
    b = rle("basic", fragments=3)
    cut = b.cuts()["in the middle of the frames"]
    k = b.whole(cut)
    path = _cut(b.data, cut, tmp_path / "cut.dcm")
    out = tmp_path / "out.npy"
    r = cli("decode", path, "-o", out, "--frames", f"0:{k}")
    assert r.returncode == 0, r.stderr
    assert_identical(np.load(out), b.reference[:k])
    out.unlink()
    for spec, named in ((f"{k - 1}:{k + 2}", f"frames {k} and {k + 1} are"), (None, f"frames {k}, ")):
        r = cli("decode", path, "-o", out, *(["--frames", spec] if spec else []))
        assert r.returncode == 1 and not out.exists()
        assert r.stderr.startswith(f"framecodec: {path}: {named}"), r.stderr
        assert f"missing: the file is truncated (it ends at byte {cut}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.dcm"]  # no temporary file left
