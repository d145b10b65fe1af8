"""The shared data generators: the frames of framecodec._synthetic.frames compress like the data they stand for (the
benchmarks' figures depend on it), and the files of framecodec._synthetic.files decode, by readers other than
framecodec where there is one, to exactly the generators' frames."""

from __future__ import annotations

import io
import logging
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.encaps import generate_frames, get_frame
from pydicom.pixels import pixel_array as pydicom_pixel_array

import framecodec as fc
from framecodec._synthetic import dicom_bytes, files
from framecodec._synthetic.dicom_bytes import DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, RLE
from framecodec._synthetic.files import KINDS, SYNTAXES, frame_counts, write_frames_file
from framecodec._synthetic.frames import ct_frame, microscopy_tile, segmentation_frame
from rle_reference import PYDICOM_DECODES_ONE_BIT_RLE


def deflate_ratio(data: bytes) -> float:
    return len(data) / len(zlib.compress(data, 6))


def packed(frame: npt.NDArray[np.uint8]) -> bytes:
    return np.packbits(frame, bitorder="little").tobytes()


# ------------------------------------------------------------------------------------------------ tiles


def test_tiles_compress_like_stained_tissue() -> None:
    """Deflate gains 5-30% on an H&E tile (noise and texture everywhere), for every seed."""
    ratios = [deflate_ratio(microscopy_tile(seed).tobytes()) for seed in range(32)]
    assert min(ratios) >= 1.05 and max(ratios) <= 1.3, (min(ratios), max(ratios))


def test_tiles_have_no_flat_colour() -> None:
    """No blank corner or flat area: every 16 x 16 block of every channel varies, and nothing is clipped."""
    for seed in range(32):
        tile = microscopy_tile(seed)
        assert tile.shape == (240, 240, 3) and tile.dtype == np.uint8
        blocks = tile.astype(np.float32).reshape(15, 16, 15, 16, 3)
        assert (blocks.std(axis=(1, 3)) > 1).all(), seed
        assert tile.min() > 0 and tile.max() < 255


def test_tiles_look_stained() -> None:
    """Mostly pink (eosin: red above blue above green), with some purple nuclei (blue above red), and the
    same tile for the same seed."""
    tile = microscopy_tile(3).astype(np.int16)
    r, g, b = tile[..., 0], tile[..., 1], tile[..., 2]
    pink = (r > b) & (b > g)
    purple = (b > r + 10) & (r < 160)
    assert pink.mean() > 0.5 and 0.01 < purple.mean() < 0.3, (pink.mean(), purple.mean())
    assert np.array_equal(microscopy_tile(3), microscopy_tile(3))
    assert not np.array_equal(microscopy_tile(3), microscopy_tile(4))


def test_large_tiles_keep_the_scale() -> None:
    """A whole-slide canvas is one continuous image of the same statistics, not a stretched tile."""
    big = microscopy_tile(0, 960)
    assert big.shape == (960, 960, 3)
    assert 1.05 <= deflate_ratio(big[:240, :240].tobytes()) <= 1.3


# -------------------------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize("series", [0, 1, 2, 3])
def test_segmentation_frames_compress_like_masks(series: int) -> None:
    ratios = [deflate_ratio(packed(segmentation_frame(i, series=series))) for i in range(64)]
    assert min(ratios) >= 20 and max(ratios) <= 60, (min(ratios), max(ratios))


@pytest.mark.parametrize("series", [0, 1])
def test_segmentation_frames_change_slowly(series: int) -> None:
    """Like an organ through CT slices: consecutive frames differ a little (0.1-3% of the pixels), frames 32
    apart several times more."""
    frames = np.stack([segmentation_frame(i, series=series) for i in range(64)])
    assert frames.dtype == np.uint8 and set(np.unique(frames)) == {0, 1}
    step = (frames[1:] != frames[:-1]).mean(axis=(1, 2))
    assert step.min() >= 0.001 and step.max() <= 0.03, (step.min(), step.max())
    far = (frames[32:] != frames[:32]).mean(axis=(1, 2))
    assert (far > 3 * step[:32]).all()
    assert 0.02 < frames.mean() < 0.5  # neither empty nor mostly filled


def test_segmentation_frames_are_functions_of_index_and_series() -> None:
    a = segmentation_frame(7, series=2)
    assert np.array_equal(a, segmentation_frame(7, 512, 2))
    assert not np.array_equal(a, segmentation_frame(8, series=2))
    assert (a != segmentation_frame(7, series=3)).mean() > 0.05  # another series is another volume
    assert segmentation_frame(5, 64).shape == (64, 64)


# ------------------------------------------------------------------------------------------------------ CT


def test_ct_frames_are_a_body_in_air() -> None:
    for seed in range(4):
        ct = ct_frame(seed)
        assert ct.shape == (512, 512) and ct.dtype == np.int16
        for corner in (ct[:40, :40], ct[:40, -40:], ct[-40:, :40], ct[-40:, -40:]):
            assert (corner == -1000).all()  # air, exactly: no noise outside the body
        assert ct.min() >= -2048 and ct.max() <= 2047  # Bits Stored 12, signed
        body = ct[150:360, 150:360]
        soft = body[(body > -200) & (body < 300)]
        assert soft.size > body.size / 3 and abs(float(np.median(soft)) - 40) < 10
        assert 8 < float(soft.std()) < 40  # noise, not flat
        assert (body < -500).any() or (ct > 500).any()  # some lung or bone
    assert np.array_equal(ct_frame(1), ct_frame(1)) and not np.array_equal(ct_frame(1), ct_frame(2))


def test_ct_frames_compress_as_documented() -> None:
    ratios = [deflate_ratio(ct_frame(seed).tobytes()) for seed in range(8)]
    assert min(ratios) >= 3.3 and max(ratios) <= 4.2, ratios


# ------------------------------------------------------------------------------------------------- files

ENCAPSULATED = [s for s in SYNTAXES if s != EXPLICIT]
N = 5


def reference_decode(path: Path, kind: files.Kind) -> npt.NDArray[Any]:
    """The frames of a deflate or Encapsulated Uncompressed file by zlib and numpy: pydicom 3.0 decodes neither
    (the pydicom decoders it reports for them are framecodec's plugins)."""
    ds = pydicom.dcmread(path)
    rows, n = int(ds.Rows), int(ds.NumberOfFrames)
    deflated = ds.file_meta.TransferSyntaxUID == DEFLATE
    out = []
    for fragment in generate_frames(ds.PixelData, number_of_frames=n):
        raw = zlib.decompress(fragment, -15) if deflated else fragment
        if kind.bits_allocated == 1:
            out.append(np.unpackbits(np.frombuffer(raw, np.uint8), count=rows * rows, bitorder="little"))
        else:
            out.append(np.frombuffer(raw, kind.dtype, count=rows * rows * kind.samples))
    return np.stack(out).reshape((n, *kind.frame_shape(rows)))


def assert_same(got: npt.NDArray[Any], expected: npt.NDArray[Any]) -> None:
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.shape)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("syntax", SYNTAXES, ids=lambda s: dicom_bytes.SYNTAX_NAMES[s])
@pytest.mark.parametrize("kind", list(KINDS))
def test_files_decode_to_the_generators_frames(tmp_path: Path, kind: str, syntax: str) -> None:
    f = write_frames_file(tmp_path / "f.dcm", kind, N, syntax)
    expected = f.pixels()
    assert expected.shape == (N, *f.frame_shape) and f.decoded_bytes == expected.nbytes
    assert_same(fc.pixel_array(f.path), expected)
    if syntax in (DEFLATE, ENCAPSULATED_UNCOMPRESSED):
        assert_same(reference_decode(f.path, f.kind), expected)
    elif syntax == RLE:  # not framecodec's plugin: pydicom's own decoder; pylibjpeg-rle for 1-bit frames on
        # pydicom 3.0, whose own decoder refuses them (3.1's decodes them, and its pylibjpeg plugin refuses them)
        plugin = "pylibjpeg" if kind == "seg" and not PYDICOM_DECODES_ONE_BIT_RLE else "pydicom"
        assert_same(pydicom_pixel_array(str(f.path), decoding_plugin=plugin), expected)
    else:
        assert_same(pydicom_pixel_array(str(f.path)), expected)


@pytest.mark.parametrize("syntax", ENCAPSULATED, ids=lambda s: dicom_bytes.SYNTAX_NAMES[s])
def test_offset_tables_address_the_same_frames(tmp_path: Path, syntax: str) -> None:
    """Each table, read by pydicom, finds every frame; the three files hold the same fragments."""
    fragments = {}
    for table in ("basic", "empty", "extended"):
        f = write_frames_file(tmp_path / f"{table}.dcm", "seg", 7, syntax, offset_table=table, size=64)
        ds = pydicom.dcmread(f.path)
        value = ds.PixelData
        bot_length = int.from_bytes(value[4:8], "little")
        assert bot_length == (4 * 7 if table == "basic" else 0)
        assert ("ExtendedOffsetTable" in ds) == (table == "extended")
        eot = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths) if table == "extended" else None
        by_table = [get_frame(value, i, number_of_frames=7, extended_offsets=eot) for i in range(7)]
        fragments[table] = list(generate_frames(value, number_of_frames=7))
        assert by_table == fragments[table]
        assert 0 <= sum(len(b) for b in by_table) - f.pixel_data_bytes < 7  # fragments are padded to even length
        assert_same(fc.pixel_array(f.path), f.pixels())
    assert fragments["basic"] == fragments["empty"] == fragments["extended"]


def test_native_one_bit_frames_are_packed_continuously(tmp_path: Path) -> None:
    """13 x 13 frames are 169 bits: each frame after the first starts mid-byte (PS3.5 8.1.1)."""
    f = write_frames_file(tmp_path / "seg.dcm", "seg", N, EXPLICIT, size=13)
    ds = pydicom.dcmread(f.path)
    assert len(ds.PixelData) == -(-N * 169 // 8) + (-(-N * 169 // 8)) % 2
    assert ds.PixelData[: -(-N * 169 // 8)] == packed(f.pixels().reshape(-1))
    assert_same(pydicom_pixel_array(ds), f.pixels())
    assert_same(fc.pixel_array(f.path), f.pixels())


def test_frames_are_streamed_in_order_across_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "BATCH", 2)
    f = write_frames_file(tmp_path / "ct.dcm", "ct", 7, DEFLATE, size=32, threads=3)
    assert_same(reference_decode(f.path, f.kind), f.pixels())


def test_headers(tmp_path: Path) -> None:
    seg = pydicom.dcmread(write_frames_file(tmp_path / "seg.dcm", "seg", N, RLE).path)
    assert seg.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4" and seg.SegmentationType == "BINARY"
    assert (seg.BitsAllocated, seg.BitsStored, seg.HighBit, seg.NumberOfFrames) == (1, 1, 0, N)
    ct = pydicom.dcmread(write_frames_file(tmp_path / "ct.dcm", "ct", N, DEFLATE).path)
    assert ct.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2.1"
    assert (ct.BitsAllocated, ct.BitsStored, ct.HighBit, ct.PixelRepresentation) == (16, 12, 11, 1)
    for ds in (seg, ct):
        items = ds.PerFrameFunctionalGroupsSequence
        assert len(items) == N
        z = [float(i.PlanePositionSequence[0].ImagePositionPatient[2]) for i in items]
        assert z == [-1.25 * i for i in range(N)]
        index = [np.atleast_1d(i.FrameContentSequence[0].DimensionIndexValues)[-1] for i in items]
        assert index == list(range(1, N + 1))
    tiles = pydicom.dcmread(write_frames_file(tmp_path / "tiles.dcm", "tiles", 6, EXPLICIT).path)
    assert tiles.SOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.6" and tiles.DimensionOrganizationType == "TILED_FULL"
    assert (tiles.TotalPixelMatrixColumns, tiles.TotalPixelMatrixRows, tiles.NumberOfFrames) == (720, 480, 6)


def test_highdicom_reads_the_volumes(tmp_path: Path) -> None:
    """highdicom's Segmentation and image parsers take the headers, and build the volume of the frames."""
    hd = pytest.importorskip("highdicom")
    for kind in ("seg", "ct"):
        f = write_frames_file(tmp_path / f"{kind}.dcm", kind, N, RLE, size=64)
        image = hd.seg.segread(f.path) if kind == "seg" else hd.imread(str(f.path))
        volume = image.get_volume()
        assert volume.spatial_shape == (N, 64, 64) and tuple(volume.spacing) == (1.25, 0.7, 0.7)
        assert np.array_equal(np.asarray(volume.array).reshape(N, 64, 64), f.pixels())


def test_wsidicom_opens_the_tiles_as_a_slide(tmp_path: Path) -> None:
    wsidicom = pytest.importorskip("wsidicom")
    logging.getLogger("wsidicom").setLevel(logging.ERROR)
    (tmp_path / "slide").mkdir()
    f = write_frames_file(tmp_path / "slide" / "tiles.dcm", "tiles", 6, RLE, size=64)
    with wsidicom.WsiDicom.open(tmp_path / "slide") as wsi:
        z = wsi.levels.base_level.focal_planes[0]
        region = np.asarray(wsi.read_region((0, 0), 0, (192, 128), z=z))
    tiles = f.pixels()
    assert_same(region, np.vstack([np.hstack(list(tiles[:3])), np.hstack(list(tiles[3:]))]))


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="offset_table"):
        write_frames_file(tmp_path / "f.dcm", "seg", N, RLE, offset_table="bogus")
    with pytest.raises(ValueError, match="transfer syntax"):
        write_frames_file(tmp_path / "f.dcm", "seg", N, "1.2.840.10008.1.2.4.50")
    assert list(tmp_path.iterdir()) == []


def test_a_basic_offset_table_past_4_gib_is_refused() -> None:
    """Offsets past 2**32 - 1 do not fit a Basic Offset Table: the writer stops as soon as one would."""

    class Sink(io.RawIOBase):  # counts what is written, keeps nothing
        position = 0

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.position += len(b)
            return len(b)

        def tell(self) -> int:
            return self.position

    frame = bytes(1 << 20)
    with pytest.raises(ValueError, match="Basic Offset Table cannot address"):
        dicom_bytes.write_encapsulated_pixel_data(Sink(), (frame for _ in range(5000)), 5000)  # type: ignore[arg-type]


def test_frame_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRAMECODEC_BENCH_FRAMES", raising=False)
    assert frame_counts() == (100, 1_000)
    assert frame_counts(huge=True) == (100, 1_000, 100_000)
    monkeypatch.setenv("FRAMECODEC_BENCH_FRAMES", "100000")
    assert frame_counts() == (100, 1_000, 100_000)
    assert frame_counts(huge=False) == (100, 1_000)
    monkeypatch.setenv("FRAMECODEC_BENCH_FRAMES", "10000")
    assert frame_counts() == (100, 1_000)
