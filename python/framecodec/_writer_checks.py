"""What ``FrameWriter`` checks: before writing, that it can write the transfer syntax, that 1-bit frames hold 0
and 1, how large an item can get (for the choice of offset table) and that native Pixel Data fits its 32-bit length;
with ``verify=True``, that each encoded batch decodes to the frames given and that the file written reads back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import _core
from ._layout import CODECS, PixelLayout

EXPLICIT = "1.2.840.10008.1.2.1"
#: What ``write`` encodes: the engine's encoders, and native Explicit VR Little Endian.
ENCODERS: dict[str, Literal["deflate", "rle", "uncompressed"]] = {
    uid: codec for uid, codec in CODECS.items() if codec in ("deflate", "rle", "uncompressed")
}
LIMIT = 0xFFFFFFFF  # the largest 32-bit value (PS3.5 7.1.1): a BOT offset, a defined value length (less one)


def check_bits(arr: npt.NDArray[Any]) -> None:
    """1-bit frames hold 0 and 1 only (bool, or integers): anything else is a mistake, not a pixel."""
    if arr.dtype.kind == "b":
        return
    if arr.dtype.kind not in "ui":
        raise ValueError(f"1-bit frames must be bool or integers 0 and 1, got {arr.dtype}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > 1):
        raise ValueError(
            f"1-bit frames hold 0 and 1 only (Bits Allocated 1), got values {int(arr.min())}..{int(arr.max())}"
        )


def encapsulated(ts: str) -> bool:
    from pydicom.uid import UID

    if ts in ENCODERS:
        return True
    try:
        return bool(UID(ts).is_compressed)
    except ValueError:
        return False


def worst_item(layout: PixelLayout, codec: str | None) -> int:
    """An item's largest size (header and pad included) for a frame of ``layout`` in ``codec``."""
    frame = layout.stored_frame_size
    if codec == "uncompressed":
        size = frame
    elif codec == "deflate":
        size = _core.deflate_bound(frame, "libdeflate" if _core.libdeflate_version else None)
        size = max(size, _core.deflate_bound(frame))
    elif codec == "rle":  # PS3.5 G.3: a 64-byte header, PackBits per row of each byte plane (a literal per 128)
        planes = layout.samples_per_pixel * max(1, layout.bits_allocated // 8)
        row = (layout.columns + 7) // 8 if layout.bits_allocated == 1 else layout.columns
        size = 64 + planes * (layout.rows * (row + (row + 127) // 128) + 1)
    else:  # a codestream of another syntax (write_encoded): no codec's output is near twice the pixels
        size = 2 * frame + 1024
    return 8 + size + 1


def native_length(layout: PixelLayout) -> int:
    """The native Pixel Data's value length, even; ``ValueError`` when it cannot fit a 32-bit length."""
    n = layout.number_of_frames
    size = (n * layout.pixels_per_frame + 7) // 8 if layout.bits_allocated == 1 else n * layout.stored_frame_size
    size += size & 1
    if size >= LIMIT:  # PS3.5 7.1.1: 0xFFFFFFFF means undefined length
        raise ValueError(
            f"native Pixel Data of {n} frames of {layout.describe()} would be {size} bytes, longer than a native "
            "value can be (4 GiB, PS3.5 7.1.1): write an encapsulated transfer syntax (deflate, RLE or Encapsulated "
            "Uncompressed)"
        )
    return size


def verify_batch(
    value: bytes,
    starts: npt.NDArray[np.uint64],
    lengths: npt.NDArray[np.uint64],
    pixels: npt.NDArray[Any],
    lay: PixelLayout,
    codec: Literal["deflate", "rle", "uncompressed"],
    threads: int | None,
    first: int,
) -> None:
    """The batch's items (``value``, the encoder's output: an empty Basic Offset Table item, then the items at
    ``starts`` of value ``lengths``) decode to ``pixels``, the frames they were made from; ``first`` numbers
    the batch's first frame in the file."""
    k = len(starts)
    got = np.empty(
        pixels.shape if lay.bits_allocated != 1 else (k, lay.pixels_per_frame),
        np.uint8 if lay.bits_allocated == 1 else pixels.dtype,
    )
    _core._decode_frames(
        value,
        codec,
        lay.rows,
        lay.columns,
        lay.samples_per_pixel,
        lay.bits_allocated,
        got.reshape(-1).view(np.uint8),
        starts + np.uint64(16),
        lengths,
        threads=threads or 0,
    )
    got2, given = got.reshape(k, -1), pixels.reshape(k, -1)
    step = max(1, (4 << 20) // max(1, got2.shape[1]))  # compared a few MB at a time: no batch-sized temporary
    for i in range(0, k, step):
        a, b = got2[i : i + step], given[i : i + step]
        if not np.array_equal(a, b if lay.bits_allocated != 1 else b != 0):
            bad = i + int(np.argmax((a != (b if lay.bits_allocated != 1 else b != 0)).any(axis=1)))
            raise ValueError(
                f"verification failed: frame {first + bad} does not decode to the pixels it was encoded from"
            )


def verify_file(
    tmp: Path,
    transfer_syntax: str,
    layout: PixelLayout,
    items_at: int,
    offsets: npt.NDArray[np.uint64],
    first: tuple[bool, bytes] | None,
    last: tuple[bool, bytes] | None,
    threads: int | None,
) -> None:
    """The file written opens, its frames are where they were written (``offsets`` from the first item, which
    is at byte ``items_at``), and its ``first`` and ``last`` frames are the ones given (codestreams, or pixel
    bytes). Read with pread, not mapped: the check costs no resident memory."""
    from ._decode import allocate, decode_into
    from ._stream import open_stream

    stream = open_stream(str(tmp))
    if stream is None:
        raise ValueError(f"verification failed: the file written ({transfer_syntax}) cannot be read back")
    with stream:
        if len(stream) != layout.number_of_frames:
            raise ValueError(
                f"verification failed: the file written has {len(stream)} frames, not {layout.number_of_frames}"
            )
        starts = stream._starts
        if starts is not None and not np.array_equal(starts - np.uint64(items_at), offsets):
            raise ValueError("verification failed: the frames of the file written are not where they were written")
        for index, given in ((0, first), (layout.number_of_frames - 1, last)):
            if given is None:
                continue
            raw, expected = given
            frames = stream.batch(index, index + 1)
            if raw:  # a codestream: the item's value, less the pad byte
                got = bytes(stream.raw(frames)[0])[: len(expected)]
            else:
                sel = (np.zeros(1, np.int64), True)
                arr = allocate(frames, sel, None)
                decode_into(frames, sel, arr, threads, raw=True)  # as stored: not finished
                got = arr.tobytes()
                if layout.bits_allocated == 1:
                    expected = (np.frombuffer(expected, np.uint8) != 0).view(np.uint8).tobytes()
            if got != expected:
                raise ValueError(f"verification failed: frame {index} of the file written is not the one given")
