"""The fault table (docs/faults.md), "header claims": small files whose headers claim huge frames are refused
before anything is allocated, within a bound that never refuses a valid stream (deflate at its best ratio,
arithmetic-coded JPEG).

Every test here was a silent wrong result, a hang or a misleading error before the fix that came with it
(issue 10).
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from datasets import DEFLATE, RLE, Layout, base_dataset, encapsulated_value, to_bytes

HUGE = 65535  # Rows and Columns: 4 GiB per 8-bit frame
IMAGE_SYNTAXES = {
    "jpeg": "1.2.840.10008.1.2.4.50",
    "j2k": "1.2.840.10008.1.2.4.90",
    "htj2k": "1.2.840.10008.1.2.4.201",
    "jpegls": "1.2.840.10008.1.2.4.80",
}
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"


def claiming(layout: Layout, syntax: str, frames: list[bytes], bot: bool = True) -> bytes:
    """A file whose header claims ``layout`` and whose Pixel Data holds ``frames`` (one fragment each)."""
    ds = base_dataset(layout, syntax)
    ds.PixelData = encapsulated_value(frames, bot=bot)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return to_bytes(ds)


def raw_deflate(data: bytes) -> bytes:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


SCRATCH_SCRIPT = """
import sys
import numpy as np
import framecodec as fc
import framecodec.pixels

def hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))

# Past the Python check (pixel_array refuses such files before allocating): the engine on its own must not size a
# scratch buffer from the claim either.
framecodec.pixels.check_claims = lambda frames, sel, headers=True: None
path, rows, spp, bits, planar = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
stream = bytes.fromhex(sys.argv[6])
shape = (rows, rows, spp) if spp > 1 else (rows, rows)
out = np.empty(shape, np.uint8)  # never written: its pages cost nothing
for name, decode in [
    ("pixel_array", lambda: fc.pixel_array(path, out=out, threads=4)),
    ("decode_frame", lambda: fc.codecs.decode_frame(stream, "deflate", rows, rows, spp, bits, out=out.reshape(-1),
                                             planar=planar, backend="libdeflate")),
    ("decode_frame zlib", lambda: fc.codecs.decode_frame(stream, "deflate", rows, rows, spp, bits, out=out.reshape(-1),
                                                  planar=planar, backend="zlib")),
]:
    before = hwm()
    try:
        decode()
        print(name, 0, "decoded", sep="\\t")
    except ValueError as e:
        print(name, hwm() - before, e, sep="\\t")
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is read from /proc/self/status (Linux)")
@pytest.mark.parametrize(
    ("rows", "spp", "bits", "planar"), [(8192, 3, 8, 1), (23170, 1, 1, 0)], ids=["planar", "one_bit"]
)
def test_a_tiny_deflate_frame_claiming_a_huge_frame_costs_no_scratch_memory(
    tmp_path: Path, rows: int, spp: int, bits: int, planar: int
) -> None:
    # Before: libdeflate's path for planar and 1-bit frames zero-filled a scratch buffer of the whole claimed frame
    # (std::vector::resize) before finding the 6-byte stream short: RSS grew by the claim, per worker.
    if not fc.backends().get("libdeflate"):
        pytest.skip("the scratch buffer belongs to the libdeflate path; this build has no libdeflate")
    layout = Layout(rows, rows, samples=spp, bits=bits, planar=planar)
    stream = raw_deflate(bytes(100))
    data = claiming(layout, DEFLATE, [stream])
    assert len(data) < 1024
    path = tmp_path / "huge_frame.dcm"
    path.write_bytes(data)
    claim = rows * rows * spp if bits == 8 else (rows * rows + 7) // 8
    run = subprocess.run(
        [sys.executable, "-c", SCRATCH_SCRIPT, str(path), str(rows), str(spp), str(bits), str(planar), stream.hex()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 3, run.stdout
    for line in lines:
        name, growth, message = line.split("\t")
        assert int(growth) < claim // 4, f"{name}: the peak RSS grew by {int(growth)} bytes for a {claim}-byte claim"
        assert f"its {len(stream)} bytes of deflate data can decode to at most {1032 * len(stream) + 258} bytes" in (
            message
        ), line
        assert f"claims {claim} bytes per frame" in message, line
        if name == "pixel_array":
            assert message.startswith("frame 0: "), line


def engine_codecs() -> list:
    """deflate, RLE, Encapsulated Uncompressed and each image codec this build decodes."""
    built = fc.backends()["codecs"]
    params = [
        pytest.param(DEFLATE, id="deflate"),
        pytest.param(RLE, id="rle"),
        pytest.param(ENCAPSULATED_UNCOMPRESSED, id="uncompressed"),
    ]
    for codec, syntax in IMAGE_SYNTAXES.items():
        reason = f"this build has no {codec} decoder" if not built.get(codec) else ""
        params.append(pytest.param(syntax, id=codec, marks=pytest.mark.skipif(bool(reason), reason=reason)))
    return params


@pytest.fixture
def no_huge_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy.empty / zeros refuse to allocate more than 1 GB: the check must come first."""
    for name in ("empty", "zeros"):
        real = getattr(np, name)

        def guarded(shape: object, dtype: object = float, *args: object, _real: Any = real, **kwargs: object) -> object:
            n = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize  # type: ignore[call-overload]
            assert n <= 1 << 30, f"numpy asked for {n} bytes"
            return _real(shape, dtype, *args, **kwargs)

        monkeypatch.setattr(np, name, guarded)


@pytest.mark.parametrize("syntax", engine_codecs())
@pytest.mark.parametrize("frame_size", [6, 100])
def test_a_small_file_claiming_terabytes_is_refused_before_allocating(
    tmp_path: Path, syntax: str, frame_size: int, no_huge_arrays: None
) -> None:
    # Before: pixel_array allocated 1000 x 65535 x 65535 bytes (3.9 TiB) from the header first: a MemoryError, or
    # where memory overcommits an allocation and a late error. 100-byte frames pass RLE's 64-byte header.

    layout = Layout(HUGE, HUGE, frames=1000)
    data = claiming(layout, syntax, [bytes(frame_size)] * 1000, bot=False)
    assert len(data) < 120_000
    path = tmp_path / "claims.dcm"
    path.write_bytes(data)
    per_frame, total = HUGE * HUGE, HUGE * HUGE * 1000
    readers = {
        "pixel_array": lambda: fc.pixel_array(path),
        "pixel_array of a file object": lambda: fc.pixel_array(io.BytesIO(data)),
        "pixel_array of frames 3 and 4": lambda: fc.pixel_array(path, [3, 4]),
        "iter_pixels": lambda: next(iter(fc.iter_pixels(path))),
        "FrameReader.read": lambda: fc.FrameReader(path).read(),
        "decompress": lambda: fc.decompress(__import__("pydicom").dcmread(io.BytesIO(data))),
    }
    for name, read in readers.items():
        with pytest.raises(ValueError) as caught:
            read()
        message = str(caught.value)
        first = 3 if "frames 3" in name else 0
        assert message.startswith(f"frame {first}: "), (name, message)
        # the compressed size, or (JPEG 2000, JPEG-LS: no ratio bound) that the header is no header of this frame
        assert f"its {frame_size}" in message or "this is not the" in message, (name, message)
        assert f"claims {per_frame} bytes per frame (Rows {HUGE} x Columns {HUGE}" in message, (name, message)
        assert message.endswith("refused before allocating"), (name, message)
        if name in ("pixel_array", "FrameReader.read", "decompress"):
            assert f"{total} bytes for the 1000 frames asked for" in message, (name, message)


def test_the_bound_is_not_refusing_deflate_at_its_best_ratio(tmp_path: Path) -> None:
    # zlib compresses zeros about 1029:1, close to raw deflate's 1032:1: such frames must still decode, 1-bit ones
    # (8 pixels a byte) included.
    for layout in (Layout(4096, 4096, frames=2), Layout(4096, 4096, bits=1, frames=2)):
        stored = 4096 * 4096 if layout.bits == 8 else 4096 * 4096 // 8
        stream = raw_deflate(bytes(stored))
        assert stored / len(stream) > 1000
        path = tmp_path / f"zeros{layout.bits}.dcm"
        path.write_bytes(claiming(layout, DEFLATE, [stream, stream]))
        arr = fc.pixel_array(path)
        assert arr.shape == (2, 4096, 4096) and not arr.any()


def test_an_arithmetic_coded_jpeg_has_no_ratio_bound(tmp_path: Path) -> None:
    # T.81 arithmetic coding can spend less than a bit per block: such a frame is left to the codec's own checks.
    if not fc.backends()["codecs"].get("jpeg"):
        pytest.skip("this build has no JPEG decoder")
    sof9 = b"\xff\xc9" + struct.pack(">HBHHB", 11, 8, 4096, 4096, 1) + b"\x01\x11\x00"
    frame = b"\xff\xd8" + sof9 + b"\xff\xd9"
    path = tmp_path / "arith.dcm"
    path.write_bytes(claiming(Layout(4096, 4096), IMAGE_SYNTAXES["jpeg"], [frame]))
    with pytest.raises(fc.DecodeError) as caught:
        fc.pixel_array(path)
    assert "refused before allocating" not in str(caught.value)
    huffman = frame.replace(b"\xff\xc9", b"\xff\xc0")
    path.write_bytes(claiming(Layout(4096, 4096), IMAGE_SYNTAXES["jpeg"], [huffman]))
    with pytest.raises(fc.DecodeError, match=r"frame 0: its 18 bytes of JPEG data can decode to at most 36864 bytes"):
        fc.pixel_array(path)
