"""Header claims checked against the bytes that must back them, before an array is allocated from them.

Rows x Columns x Samples per Pixel x Number of Frames is what a header says; how many compressed bytes each frame
has is what the file holds. A 14 KB file claiming 1,000 frames of 65535 x 65535 would otherwise make
``pixel_array`` allocate 3.9 TiB before the first frame is found short. Each codec's data can expand only so far,
so a frame whose data cannot hold its claimed size is refused here, naming both sizes. The bounds are upper bounds
of what any valid stream can decode to: a valid file is never refused.

What is not caught (docs/faults.md): JPEG 2000, HTJ2K and JPEG-LS have no useful ratio bound (empty packets,
JPEG-LS run mode), so only a codestream shorter than its smallest valid header is refused; a valid tiny codestream
may describe a huge constant image, and its header is checked against the data set as each frame is decoded.
Arithmetic-coded JPEG has no bound either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._core import DecodeError

if TYPE_CHECKING:
    from ._source import Frames

# Raw deflate (RFC 1951 3.2.5): a length/distance pair copies at most 258 bytes and a dynamic Huffman block can
# code one in 2 bits (1-bit length and distance codes), 129 bytes per input bit; headers and literals only cost
# input. The C++ engine (batch_decode.cpp, max_inflated) uses the same bound.
_DEFLATE_RATIO, _DEFLATE_SLACK = 1032, 258
# RLE (PS3.5 G.3.1): a 2-byte replicate run gives at most 128 bytes, after the 64-byte header (G.5).
_RLE_RATIO, _RLE_HEADER = 64, 64
# Huffman-coded JPEG (ITU-T T.81, the DICOM JPEG processes 1, 2 & 4): every 8 x 8 block of every component costs
# at least one bit (a 1-bit DC code; sequential scans add an EOB of at least 1 bit). 8-bit grey: 64 bytes per bit,
# 512:1; with the largest subsampling (4 x 4 luma blocks per chroma block) 3072 bytes per 18 blocks, ~1365:1.
# 2048:1 leaves room for any layout; the header's tables only add input.
_JPEG_RATIO = 2048
_JPEG_ARITHMETIC_SOF = {0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}  # T.81 B.1.1.3: arithmetic coding has no such bound


def _j2k_smallest(components: int) -> int:
    """ISO 15444-1 A.2-A.6: SOC (2), SIZ (40 + 3 per component), COD (14), QCD (6, one sub-band unquantised),
    one SOT (12) and SOD (2): the main header's required segments and one tile-part. EOC is not counted."""
    return 2 + 40 + 3 * components + 14 + 6 + 12 + 2


def _jpegls_smallest(components: int) -> int:
    """ITU-T T.87 C.2: SOI (2), SOF55 (10 + 3 per component), one interleaved SOS (8 + 2 per component). EOI is
    not counted."""
    return 2 + 10 + 3 * components + 8 + 2 * components


_NAMES = {
    "deflate": "deflate",
    "rle": "RLE",
    "uncompressed": "Encapsulated Uncompressed",
    "jpeg": "JPEG",
    "j2k": "JPEG 2000",
    "htj2k": "HTJ2K",
    "jpegls": "JPEG-LS",
}


def check_claims(frames: Frames, sel: npt.NDArray[np.int64] | None, headers: bool = True) -> None:
    """Refuses, with a ``DecodeError`` (a ``ValueError``) naming the first such frame and the sizes, frames ``sel``
    (None: all) whose compressed bytes cannot hold the frame size the data set claims. Native Pixel Data is
    checked against its length when the file is opened (``_source._native``). ``headers=False``: the frames'
    bytes are not at hand (a remote file's, before they are fetched; ``lengths`` are then upper bounds), so only
    their sizes are checked; the codestream headers are checked when the frames arrive."""
    frames, sel = frames.selected(sel)
    codec, lay, ff = frames.codec, frames.layout, frames.frame_fragments
    if codec is None or codec == "native" or ff is None or len(ff) < 2:
        return
    n = len(ff) - 1
    index = np.arange(n, dtype=np.int64) if sel is None else sel[sel < n]  # others: missing frames
    if not len(index):
        return
    if len(frames.lengths) == n:  # one fragment a frame: its length (no pass over the other frames)
        have = frames.lengths[index]
    else:  # each selected frame's bytes, all its fragments
        ends = np.concatenate(([0], np.cumsum(frames.lengths, dtype=np.uint64)))
        have = ends[ff[index + 1].astype(np.intp)] - ends[ff[index].astype(np.intp)]
    need = lay.stored_frame_size  # the bytes the codec must produce: bit-packed for Bits Allocated 1
    size = have.astype(object)  # Python ints: no overflow in the bounds
    if codec in ("j2k", "htj2k", "jpegls"):
        smallest = (_jpegls_smallest if codec == "jpegls" else _j2k_smallest)(lay.samples_per_pixel)
        bad = np.flatnonzero(size < smallest)
        if len(bad):
            i = frames.number(int(index[bad[0]]))
            raise DecodeError(
                f"frame {i}: its {int(size[bad[0]])}-byte {_NAMES[codec]} codestream is shorter than the smallest "
                f"valid header of {lay.samples_per_pixel} component(s) ({smallest} bytes), but the data set claims "
                f"{_claim(frames, len(index))}: refused before allocating"
            )
        if headers:
            _check_headers(frames, codec, index, len(index))
        return
    most, rule = _bound(codec, size)
    for k in np.flatnonzero(most < need):
        i = int(index[k])
        if codec == "jpeg" and (not headers or _arithmetic(frames, i)):
            continue
        i = frames.number(i)
        if codec == "rle" and size[k] < _RLE_HEADER:
            raise DecodeError(
                f"frame {i}: its {int(size[k])} bytes of RLE data are shorter than the 64-byte RLE header (PS3.5 "
                f"G.5), but the data set claims {_claim(frames, len(index))}: refused before allocating"
            )
        raise DecodeError(
            f"frame {i}: its {int(size[k])} bytes of {_NAMES[codec]} data can decode to at most {int(most[k])} bytes "
            f"({rule}), but the data set claims {_claim(frames, len(index))}: refused before allocating"
        )


def _bound(codec: str, size: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], str]:
    """The most each frame's bytes can decode to, and the rule, for the codecs with a ratio bound."""
    if codec == "deflate":
        return size * _DEFLATE_RATIO + _DEFLATE_SLACK, "raw deflate expands at most 1032:1"
    if codec == "rle":
        return np.maximum(size - _RLE_HEADER, 0) * _RLE_RATIO, "RLE expands at most 64:1 after its 64-byte header"
    if codec == "jpeg":
        return size * _JPEG_RATIO, "Huffman-coded JPEG spends at least a bit per 8 x 8 block: under 2048:1"
    return size, "the frame's bytes are its pixels"  # Encapsulated Uncompressed (one pad byte aside)


def _claim(frames: Frames, count: int) -> str:
    lay = frames.layout
    each = lay.stored_frame_size
    what = f"{each} bytes per frame ({lay.describe()})"
    total = lay.pixels_per_frame * lay.dtype.itemsize * count
    return what + (f", {total} bytes for the {count} frames asked for" if count > 1 else "")


def _arithmetic(frames: Frames, frame: int) -> bool:
    """Whether frame ``frame``'s JPEG codestream is arithmetic-coded (T.81 B.1.1.3 SOF9-11, 13-15): its frame
    header is found by walking the marker segments of its first fragment."""
    assert frames.frame_fragments is not None
    first = int(frames.frame_fragments[frame])
    start, length = int(frames.offsets[first]), int(frames.lengths[first])
    view = memoryview(frames.buffer).cast("B")
    data = bytes(view[start : start + min(length, 1 << 16)])
    at = 2 if data[:2] == b"\xff\xd8" else len(data)  # SOI, then marker segments up to the frame header
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte (T.81 B.1.1.2)
            at += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker in _JPEG_ARITHMETIC_SOF
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return False


_J2K_HEAD = 42  # ISO 15444-1 A.5.1: SOC, then SIZ up to Csiz
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  "  # ISO 15444-1 I.5.1: a JP2 file, whose codestream the engine finds itself


def _check_headers(frames: Frames, codec: str, index: npt.NDArray[np.int64], count: int) -> None:
    """JPEG 2000 / HTJ2K and JPEG-LS have no ratio bound: each frame's header is read where it sits at a fixed
    place (J2K: SIZ right after SOC; JPEG-LS: SOF55 right after SOI, as CharLS writes it) and checked against the
    data set, as the codecs check it (PS3.5 8.2) before decoding. A frame that is no such codestream at all is
    refused too. Frames whose header is elsewhere (JP2 files, JPEG-LS with APPn or LSE segments first, a first
    fragment shorter than the header) are left to the codec's own check when they are decoded."""
    assert frames.frame_fragments is not None
    first = frames.frame_fragments[index].astype(np.intp)
    start, length = frames.offsets[first].astype(np.int64), frames.lengths[first].astype(np.int64)
    buf = np.frombuffer(memoryview(frames.buffer).cast("B"), np.uint8)
    width = _J2K_HEAD if codec != "jpegls" else 13  # SOI + SOF55 up to Nf
    whole = np.flatnonzero(length >= width)
    head = buf[start[whole, None] + np.arange(width)].astype(np.int64)
    lay, name = frames.layout, _NAMES[codec]

    def be(at: int, n: int) -> npt.NDArray[np.int64]:
        v = np.zeros(len(head), np.int64)
        for b in range(n):
            v = v * 256 + head[:, at + b]
        return v

    if codec == "jpegls":
        starts = be(0, 2) == 0xFFD8
        here = starts & (be(2, 2) == 0xFFF7)
        found = {"rows": be(7, 2), "columns": be(9, 2), "components": be(11, 1)}
        marks = "FF D8 (SOI)"
    else:
        starts = (be(0, 2) == 0xFF4F) & (be(2, 2) == 0xFF51)
        jp2 = np.all(head[:, :8] == np.frombuffer(_JP2_SIGNATURE, np.uint8), axis=1)
        starts |= jp2
        here = starts & ~jp2
        found = {"columns": be(8, 4) - be(16, 4), "rows": be(12, 4) - be(20, 4), "components": be(40, 2)}
        marks = "FF 4F FF 51 (SOC, SIZ) or a JP2 signature box"
    expected = {"rows": lay.rows, "columns": lay.columns, "components": lay.samples_per_pixel}
    wrong = ~starts
    for what, value in found.items():
        wrong |= here & (value != expected[what])
    if not wrong.any():
        return
    k = int(np.flatnonzero(wrong)[0])
    i = frames.number(int(index[whole[k]]))
    if not starts[k]:
        said = f"it starts {' '.join(f'{b:02X}' for b in head[k, :4])}, not {marks}"
    else:
        said = ", ".join(f"{int(found[w][k])} {w}" for w in ("columns", "rows", "components"))
        said = f"its header says {said}"
    raise DecodeError(
        f"frame {i}: this is not the {name} codestream of the data set's frame ({said}), and the data set claims "
        f"{_claim(frames, count)}: refused before allocating"
    )
