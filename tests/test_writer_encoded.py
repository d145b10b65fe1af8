"""framecodec.FrameWriter writing frames already encoded (JPEG baseline tiles, framecodec's syntaxes), and DICOM
toolkits (DCMTK, GDCM, when installed) reading what it writes.

References are never framecodec: tests/writer_util.py (pydicom, zlib, numpy), tests/datasets.py.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from datasets import (
    DEFLATE,
    EXPLICIT,
    NAMES,
    RLE,
    Layout,
    assert_identical,
    base_dataset,
    dataset,
    frame_bytes,
    rle_frame,
    save,
    stored_values,
)
from writer_cases import ENCAPSULATED, ENCAPSULATED_IDS, LAYOUTS, SYNTAXES, check_file, source, write_file
from writer_util import (
    JPEG_BASELINE,
    check_offset_tables,
    jpeg_tiles,
    own_decode,
    pad,
    require_tool,
    tool_reads,
    walk_items,
)


@pytest.mark.parametrize(
    "kind",
    [("grey", "MONOCHROME2", 0), ("ybr422", "YBR_FULL_422", 1), ("ybr444", "YBR_FULL", 0)],
    ids=["grey", "ybr-full-422", "ybr-full"],
)
def test_write_encoded_jpeg_baseline_tiles(kind: tuple[str, str, int], tmp_path: Path) -> None:
    """JPEG Baseline codestreams made by Pillow pass through unchanged (any bytes-like, any iterable, in any
    batches): the file's frames are the codestreams, and pydicom's Pillow plugin decodes the file as it decodes
    pydicom's own encapsulation of the same codestreams."""
    pytest.importorskip("PIL", reason="Pillow makes the JPEG tiles")
    name, pi, subsampling = kind
    layout = Layout(37, 35, samples=1 if name == "grey" else 3, frames=4, photometric=pi)
    ds, arr, frames = source(layout, seed=11)
    ds.LossyImageCompression = "01"
    tiles = jpeg_tiles(frames, subsampling)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, JPEG_BASELINE) as w:
        w.write_encoded(tiles[:1])
        w.write_encoded(iter([]))
        w.write_encoded(bytearray(t) for t in tiles[1:3])
        w.write_encoded([memoryview(tiles[3])])
        assert w.frames_written == 4
    out = pydicom.dcmread(path)
    assert out.file_meta.TransferSyntaxUID == JPEG_BASELINE and out.NumberOfFrames == 4
    assert out.PhotometricInterpretation == pi and out.LossyImageCompression == "01"
    assert int(out.get("PlanarConfiguration", 0)) == 0
    enc = check_offset_tables(out, "extended" if "ExtendedOffsetTable" in out else "basic")
    assert enc.fragments == [pad(t) for t in tiles]
    reference = base_dataset(layout, JPEG_BASELINE)
    reference.PixelData = encapsulate(tiles)
    reference["PixelData"].VR, reference["PixelData"].is_undefined_length = "OB", True
    ref_path = save(reference, tmp_path / "reference.dcm")
    for raw in (False, True):
        got = pydicom_pixel_array(path, decoding_plugin="pillow", raw=raw)
        assert_identical(got, pydicom_pixel_array(ref_path, decoding_plugin="pillow", raw=raw))
    got = pydicom_pixel_array(path, decoding_plugin="pillow")
    if name == "grey":  # lossy, but these pixels (colour noise does not survive chroma subsampling as well)
        assert np.abs(got.astype(np.int64) - arr).mean() < 12
    from PIL import Image

    direct = np.stack([np.asarray(Image.open(io.BytesIO(t))) for t in tiles])  # Pillow's RGB (or grey)
    assert np.abs(got.astype(np.int64) - direct).max() <= 1  # pydicom 3.0 converts YCbCr itself: within 1


@pytest.mark.parametrize("ts", ENCAPSULATED, ids=ENCAPSULATED_IDS)
def test_write_encoded_framecodec_syntaxes(ts: str, tmp_path: Path) -> None:
    """Codestreams of the syntaxes write() encodes, made by the references (zlib level 9, the PS3.5 Annex G
    encoder of tests/datasets.py, native bytes), pass through unchanged."""
    layout = Layout(7, 5, bits=16, frames=5)
    ds, arr, frames = source(layout, seed=12)
    values = stored_values(frames, layout)
    if ts == DEFLATE:
        streams = [zlib.compress(f, 9, wbits=-15) for f in frame_bytes(values, layout)]
    elif ts == RLE:
        streams = [rle_frame(v, layout) for v in values]
    else:
        streams = frame_bytes(values, layout)
    path = tmp_path / "out.dcm"
    with fc.FrameWriter(path, ds, ts) as w:
        w.write_encoded(streams[:2])
        w.write_encoded(streams[2:])
    check_file(path, ds, layout, ts)
    assert walk_items(pydicom.dcmread(path).PixelData).fragments == [pad(s) for s in streams]
    assert_identical(own_decode(path), arr)


TOOL_CASES = [
    pytest.param(ts, table, id=f"{NAMES[ts]}-{table}")
    for ts in SYNTAXES
    for table in (["auto"] if ts == EXPLICIT else ["auto", "extended"])
]


@pytest.mark.parametrize("name", ["rgb8", "bits1", "int16-stored12"])
@pytest.mark.parametrize(("ts", "table"), TOOL_CASES)
@pytest.mark.parametrize("tool", ["dcmdump", "gdcminfo"])
def test_dicom_toolkits_read_the_file(tool: str, ts: str, table: str, name: str, tmp_path: Path) -> None:
    """DCMTK's dcmdump and GDCM's gdcminfo read the written file without an error, where they read pydicom's own
    file of the same syntax (GDCM 3.0 knows neither Deflated Image Frame Compression nor Encapsulated
    Uncompressed: then skipped, saying so)."""
    require_tool(tool)
    layout = LAYOUTS[name]
    ds, arr, frames = source(layout)
    reference = dataset(arr, layout, ts, extended=table == "extended") if ts != EXPLICIT else dataset(arr, layout, ts)
    ref_path = save(reference, tmp_path / "reference.dcm")
    ok, said = tool_reads(tool, ref_path)
    if not ok:
        pytest.skip(f"{tool} cannot read pydicom's own {NAMES[ts]} file either: {said.strip().splitlines()[-1][:200]}")
    path = tmp_path / "out.dcm"
    write_file(path, ds, ts, frames, **({"offset_table": table} if ts != EXPLICIT else {}))
    ok, said = tool_reads(tool, path)
    assert ok, said
    if tool == "dcmdump" and ts != EXPLICIT:
        assert f"(PixelSequence #={layout.frames + 1})" in said  # the BOT item and one fragment per frame
    if tool == "gdcminfo":
        assert f"TransferSyntax is {ts}" in said
