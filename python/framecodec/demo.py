"""The built-in example: a synthetic multi-frame 1-bit segmentation through framecodec's codecs; and, with
``--files``, the example files the README reads (:func:`write_files`).

Each frame is bit-packed and deflated as Deflated Image Frame Compression stores it (PS3.5 A.4.13:
1-bit frames are packed, each frame on a byte boundary, deflated on its own, padded to even length),
decoded back, checked bit for bit, and timed against Python's zlib with numpy's bit packing.
The deflated frames are encapsulated (PS3.5 A.4) into a Segmentation file, and found again
from the file's path with locate_pixel_data and frame_table.
The one-call path then decodes every frame of that file from its path with framecodec.pixel_array
(memory-mapped, frames decoded by the worker pool straight into the result), checked against the frames
and against pydicom's ds.pixel_array (through whichever plugin pydicom uses), and timed against it.
Last, each frame is RLE Lossless encoded (PS3.5 Annex G: one byte per 1-bit pixel), decoded back,
checked, and timed against pydicom's own RLE encoder and decoder.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import framecodec as fc
from framecodec._backends import Backend
from framecodec._backends import describe as describe_backends
from framecodec._synthetic.examples import write_examples
from framecodec._synthetic.frames import segmentation_frame


def make_segmentation(frames: int, size: int) -> npt.NDArray[np.uint8]:
    """A stack of 0/1 frames: a binary segmentation through a volume, a few smooth blobs drifting frame to frame."""
    return np.stack([segmentation_frame(i, size) for i in range(frames)])


def write_files(folder: str | os.PathLike[str]) -> int:
    """``framecodec demo --files``: write the example files into ``folder`` (made if missing) and print their
    paths, one a line. ``NotADirectoryError`` if ``folder`` is a file."""
    for path in write_examples(folder):
        print(path)
    return 0


def pad_even(b: bytes) -> bytes:
    return b + b"\x00" if len(b) % 2 else b  # Sup 244 A.4.n: one trailing NULL after an odd-length stream


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def rle_demo(seg: npt.NDArray[np.uint8], pydicom_frames: int = 8) -> bool:
    """RLE Lossless round trip of every frame, timed against pydicom's pure-Python RLE codec on the
    first few frames (it runs at tens of MB/s). Returns whether everything matched."""
    frames, rows, cols = seg.shape
    fragments = [fc.codecs.rle_encode(frame, rows, cols, 1, 1) for frame in seg]
    decoded = np.empty_like(seg)

    def fc_decode() -> None:
        for i, frag in enumerate(fragments):
            fc.codecs.rle_decode(frag, rows, cols, 1, 1, out=decoded[i].reshape(-1))

    fc_decode()
    ok = np.array_equal(decoded, seg)
    t_enc = best_of(lambda: [fc.codecs.rle_encode(frame, rows, cols, 1, 1) for frame in seg])
    t_dec = best_of(fc_decode)
    encoded = sum(len(f) for f in fragments)
    mb = seg.nbytes / 1e6

    print(f"RLE Lossless ({fc.RLELossless}): one byte per pixel, as PS3.5 G.2 pads 1-bit pixels")
    print(f"  RLE frames               {encoded:>12,} bytes  (ratio {seg.nbytes / encoded:,.0f}:1 to pixels)")
    # pydicom's own pure-Python RLE codec through its public API; a 1-bit frame's one segment is the byte
    # plane of 8-bit grey (PS3.5 G.2), which both pydicom lines encode and decode.
    from pydicom.pixels.decoders.base import RLELosslessDecoder
    from pydicom.pixels.encoders.base import RLELosslessEncoder

    opts: dict[str, Any] = dict(
        rows=rows,
        columns=cols,
        samples_per_pixel=1,
        bits_allocated=8,
        bits_stored=8,
        pixel_representation=0,
        photometric_interpretation="MONOCHROME2",
        number_of_frames=1,
    )

    def _encode_frame(r: bytes) -> bytes:
        return RLELosslessEncoder.encode(r, encoding_plugin="pydicom", **opts)

    def _rle_decode_frame(f: bytes) -> bytes:
        value = fc.encaps.encapsulate([f])  # the decoder reads encapsulated Pixel Data
        return bytes(RLELosslessDecoder.as_buffer(value, decoding_plugin="pydicom", **opts)[0])

    few = seg[:pydicom_frames]
    raw = [frame.tobytes() for frame in few]
    theirs = [_encode_frame(r) for r in raw]
    ok = ok and all(_rle_decode_frame(f) == r for f, r in zip(fragments, raw))
    ok = ok and all(fc.codecs.rle_decode(t, rows, cols, 1, 1).tobytes() == r for t, r in zip(theirs, raw))
    t_enc_ref = best_of(lambda: [_encode_frame(r) for r in raw], 3) * frames / len(few)
    t_dec_ref = best_of(lambda: [_rle_decode_frame(f) for f in fragments[: len(few)]], 3)
    t_dec_ref *= frames / len(few)
    ours_few = sum(len(f) for f in fragments[: len(few)])
    print(
        f"  {f'first {len(few)} frames':<25}{ours_few:>12,} bytes  (pydicom's encoder: "
        f"{sum(len(t) for t in theirs):,} bytes; pydicom is timed on these)"
    )
    print("Throughput in pixel MB/s (best of 5)       framecodec       pydicom    speed-up")
    for name, t, t_ref in (("RLE encode", t_enc, t_enc_ref), ("RLE decode", t_dec, t_dec_ref)):
        print(f"  {name:<38}{mb / t:>11,.0f}   {mb / t_ref:>11,.0f}   {t_ref / t:>8.0f}x")
    print(f"RLE round trip bit-exact, and identical to pydicom's RLE codec: {'yes' if ok else 'NO'}")
    return ok


def run(frames: int = 64, size: int = 512) -> int:
    seg = make_segmentation(frames, size)
    nbits = size * size
    packed_len = (nbits + 7) // 8
    raw_bytes = seg.nbytes  # one byte per pixel, as an application holds the mask

    def fc_encode() -> list[bytes]:
        return [pad_even(fc.codecs.deflate(fc.codecs.pack_bits(frame))) for frame in seg]

    def zlib_encode() -> list[bytes]:
        out = []
        for frame in seg:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            out.append(pad_even(c.compress(np.packbits(frame, bitorder="little").tobytes()) + c.flush()))
        return out

    fragments = fc_encode()
    decoded = np.empty_like(seg)

    def fc_decode(backend: Backend | None = None) -> None:
        packed = np.empty(packed_len, dtype=np.uint8)
        for i, frag in enumerate(fragments):
            fc.codecs.inflate(frag, packed_len, out=packed, backend=backend)
            fc.codecs.unpack_bits(packed, nbits, out=decoded[i].reshape(-1))

    def zlib_decode() -> list[npt.NDArray[np.uint8]]:
        return [
            np.unpackbits(np.frombuffer(zlib.decompress(frag, -15), np.uint8), count=nbits, bitorder="little")
            for frag in fragments
        ]

    inflater = fc.backends()["inflate"]
    others: list[Backend] = [b for b in ("zlib", "libdeflate") if b != inflater and fc.backends()[b]]
    ok = True
    for backend in [inflater, *others]:  # every backend of the build decodes the frames bit for bit
        decoded[...] = 2
        fc_decode(backend)
        ok = ok and np.array_equal(decoded, seg)
    ref = zlib_decode()
    ok = ok and all(np.array_equal(r, s.reshape(-1)) for r, s in zip(ref, seg))
    ok = ok and all(
        zlib.decompress(f, -15) == np.packbits(s, bitorder="little").tobytes() for f, s in zip(fragments, seg)
    )

    t_enc, t_enc_ref = best_of(fc_encode), best_of(zlib_encode)
    t_dec, t_dec_ref = best_of(fc_decode), best_of(zlib_decode)
    t_dec_others = {b: best_of(lambda: fc_decode(b)) for b in others}
    compressed = sum(len(f) for f in fragments)
    mb = raw_bytes / 1e6

    print(f"framecodec {fc.__version__} ({describe_backends()})")
    print(f"Segmentation: {frames} frames of {size}x{size}, 1 bit per pixel")
    print(f"  pixels (1 byte each)     {raw_bytes:>12,} bytes")
    print(f"  bit-packed               {frames * packed_len:>12,} bytes")
    print(
        f"  Deflated Image Frame     {compressed:>12,} bytes  (ratio {raw_bytes / compressed:,.0f}:1 to pixels, "
        f"{frames * packed_len / compressed:,.1f}:1 to packed)"
    )
    print("Throughput in pixel MB/s (best of 5)       framecodec    zlib+numpy    speed-up")
    print(
        f"  {'encode (pack + deflate)':<38}{mb / t_enc:>11,.0f}   {mb / t_enc_ref:>11,.0f}   {t_enc_ref / t_enc:>8.2f}x"
    )
    print(
        f"  {f'decode (inflate + unpack), {inflater}':<38}{mb / t_dec:>11,.0f}   {mb / t_dec_ref:>11,.0f}   "
        f"{t_dec_ref / t_dec:>8.2f}x"
    )
    for b, t in t_dec_others.items():
        label = f"decode (inflate + unpack), {b}"
        print(f"  {label:<38}{mb / t:>11,.0f}   {mb / t_dec_ref:>11,.0f}   {t_dec_ref / t:>8.2f}x")
    print(f"Round trip bit-exact, and identical to Python's zlib and numpy: {'yes' if ok else 'NO'}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "segmentation.dcm"
        ok = encapsulation_demo(fragments, size, path) and ok
        ok = one_call_demo(path, seg) and ok
    ok = rle_demo(seg) and ok
    return 0 if ok else 1


def write_segmentation(path: Path, pixel_data: bytes, frames: int, size: int) -> None:
    """A Segmentation file in Deflated Image Frame Compression holding already encapsulated Pixel Data."""
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.66.4")  # Segmentation Storage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = UID(fc.DeflatedImageFrameCompression)
    ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
    ds.preamble = b"\x00" * 128
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "SEG"
    ds.SegmentationType = "BINARY"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = frames
    ds.PixelData = pixel_data
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True  # encapsulated (PS3.5 A.4); the writer adds the delimiter
    # pydicom 3.0 does not know this transfer syntax yet: say how the data set is encoded.
    pydicom.dcmwrite(path, ds, implicit_vr=False, little_endian=True, force_encoding=True)


def encapsulation_demo(fragments: list[bytes], size: int, path: Path) -> bool:
    """Encapsulate the deflated frames with a Basic Offset Table, write them as a Segmentation file at
    ``path``, and find every frame again from the path through locate_pixel_data and frame_table (no frame
    copied)."""
    from pydicom.encaps import encapsulate as pydicom_encapsulate

    value = fc.encaps.encapsulate(fragments)
    identical = value == pydicom_encapsulate(fragments)
    t_enc = best_of(lambda: fc.encaps.encapsulate(fragments))
    t_enc_ref = best_of(lambda: pydicom_encapsulate(fragments))

    write_segmentation(path, value, len(fragments), size)

    def find() -> tuple[fc.encaps.PixelDataLocation, fc.encaps.FrameTable]:
        loc = fc.encaps.locate_pixel_data(path)
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return loc, loc.frame_table(mm)

    t_find = best_of(find)
    loc, table = find()
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        views = list(fc.encaps.iter_frames(mm, table))
        found = (
            table.source == "basic"
            and len(views) == len(fragments)
            and all(isinstance(v, memoryview) and v == frag for v, frag in zip(views, fragments))
        )
        del views
    file_size = path.stat().st_size

    ok = identical and found and loc.transfer_syntax == fc.DeflatedImageFrameCompression
    print("Encapsulated Pixel Data (PS3.5 A.4): one fragment per frame, Basic Offset Table")
    print(
        f"  encapsulate {len(fragments)} frames        {t_enc * 1e6:>9,.0f} µs   pydicom {t_enc_ref * 1e6:>9,.0f} µs   "
        f"{t_enc_ref / t_enc:>6.1f}x, byte-identical: {'yes' if identical else 'NO'}"
    )
    print(f"  Segmentation file          {file_size:>12,} bytes, Pixel Data value at byte {loc.offset}")
    print(f"  path -> frame table        {t_find * 1e6:>9,.0f} µs   (locate_pixel_data + frame_table on an mmap)")
    print(f"Every frame found again, a zero-copy view equal to its deflated fragment: {'yes' if found else 'NO'}")
    return ok


def one_call_demo(path: Path, seg: npt.NDArray[np.uint8]) -> bool:
    """framecodec.pixel_array on the Segmentation file: every frame from the path in one call, checked
    against the frames and against pydicom's ds.pixel_array (whichever plugin pydicom picks), and timed
    against it. pydicom 3.0.x cannot decode Deflated Image Frame Compression unless a plugin adds it: then
    framecodec's result is checked against the frames only."""
    import pydicom
    from pydicom.pixels.decoders.base import get_decoder

    expected = seg if len(seg) > 1 else seg[0]  # as pydicom: no frame axis for a single frame
    arr = fc.pixel_array(path)
    ok = arr.shape == expected.shape and arr.dtype == expected.dtype and np.array_equal(arr, expected)
    t_all = best_of(lambda: fc.pixel_array(path))
    t_one = best_of(lambda: fc.pixel_array(path, threads=1))

    def pydicom_array() -> npt.NDArray[np.generic]:
        return pydicom.dcmread(path).pixel_array

    version = f"pydicom {pydicom.__version__}"
    print(
        f"One call, path -> array of all {len(seg)} frames: framecodec.pixel_array (memory-mapped, one worker "
        f"thread per core by default, {os.cpu_count()} here)"
    )
    print(f"  framecodec.pixel_array(path)              {t_all * 1e6:>9,.0f} µs")
    print(f"  framecodec.pixel_array(path, threads=1)   {t_one * 1e6:>9,.0f} µs")
    try:
        ref = pydicom_array()
    except Exception as e:
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"  pydicom.dcmread(path).pixel_array cannot decode it ({version}): {why}")
        print(f"framecodec.pixel_array equals the frames (pydicom not compared): {'yes' if ok else 'NO'}")
        return ok
    try:
        decoder = get_decoder(fc.DeflatedImageFrameCompression)
        plugin = next(iter(getattr(decoder, "_available", None) or decoder.available_plugins))  # tried first
    except Exception:
        plugin = "?"
    t_ref = best_of(pydicom_array)
    ok = ok and ref.shape == arr.shape and ref.dtype == arr.dtype and np.array_equal(ref, arr)
    print(f"  pydicom.dcmread(path).pixel_array         {t_ref * 1e6:>9,.0f} µs   ({version}, plugin {plugin!r})")
    print(f"  speed-up of framecodec.pixel_array: {t_ref / t_all:.2f}x ({t_ref / t_one:.2f}x with threads=1)")
    print(f"framecodec.pixel_array equals the frames and ds.pixel_array: {'yes' if ok else 'NO'}")
    return ok
