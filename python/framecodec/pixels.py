"""Whole data sets in one call: ``pixel_array`` and ``iter_pixels``.

The frames of a file, a file object or a ``Dataset`` are decoded by the C++ batch engine, on the process's pool
of worker threads with the GIL released once for the batch, straight into the array that is returned.
The result is the array ``pydicom.pixels.pixel_array`` gives for the same arguments (dtype, shape and
values): unused high bits corrected (sign-extended for signed data, PS3.5 8.1.1), planar configuration 1
interleaved, YBR_FULL converted to RGB unless ``raw=True``, one 0/1 byte per pixel for Bits Allocated 1.
Transfer syntaxes the engine does not decode (the JPEG family, ...) go to pydicom unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from ._decode import Index, ahead, batch_frames, decode, into, select
from ._deflated import pydicom_source
from ._layout import number_of_frames
from ._source import Frames, Source, open_source

__all__ = ["iter_pixels", "pixel_array"]


def pixel_array(
    source: Source,
    index: Index = None,
    *,
    threads: int | None = None,
    out: npt.NDArray[Any] | None = None,
    raw: bool = False,
) -> npt.NDArray[Any]:
    """The decoded pixels of ``source``: a path (memory-mapped), a binary file object or a ``Dataset``.

    ``index`` selects frames: ``None`` all of them (a single-frame data set has no frame axis, as in
    pydicom), an ``int`` one frame (no frame axis), a slice or a sequence of ints those frames, in that order.
    ``threads`` is the most threads the call uses, the calling one included (default: one per core; 1 decodes on
    the calling thread; small work is decoded there whatever ``threads``: under 1 MB of pixels for deflate, 8 MB
    for RLE, 1-bit and native frames, 256 KB for the JPEG family). ``out``, a C-contiguous writable array of the
    result's shape and dtype, receives the pixels. ``raw=True`` skips the YBR_FULL to RGB conversion.

    Raises ``ValueError`` naming the attribute when the data set is inconsistent (a missing Image Pixel
    attribute, an unsupported Bits Allocated, more frames than the Pixel Data holds), ``DecodeError`` or
    ``EncapsulationError`` naming the first frame that failed and why, ``IndexError`` for a frame out of range.
    """
    source = _path_as_str(source)
    with open_source(source) as frames:
        if frames.codec is None:
            return _pydicom_pixel_array(source, frames, index, out, raw)
        return decode(frames, select(index, frames.layout.number_of_frames), out, threads, raw)


def iter_pixels(
    source: Source, *, threads: int | None = None, batch: int | None = None, raw: bool = False
) -> Iterator[npt.NDArray[Any]]:
    """Every frame of ``source`` in order, as ``pixel_array(source, i)`` returns it.

    Frames are decoded ahead in batches of ``batch`` frames (default: about 64 MB, at least two per
    worker) on the worker pool while the previous batch is being consumed. Each frame owns its memory
    (a view into its batch's array, which stays alive with it).
    """
    source = _path_as_str(source)
    frames = open_source(source)
    try:
        if frames.codec is None:
            frames.close()
            yield from _pydicom_iter(pydicom_source(source, frames.transfer_syntax), raw)
            return
        n = frames.layout.number_of_frames
        if batch is None:
            batch = batch_frames(frames.layout.pixels_per_frame * frames.layout.dtype.itemsize, threads)
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")

        def decode_batch(start: int) -> npt.NDArray[Any]:
            return decode(frames, (np.arange(start, min(start + batch, n), dtype=np.int64), True), None, threads, raw)

        for arr in ahead(decode_batch, range(0, n, batch)):
            yield from arr
    finally:
        frames.close()


def _path_as_str(source: Source) -> Source:
    """A bytes path as str (os.fsdecode: undecodable bytes survive as surrogates), for pydicom, which takes
    str paths; bytes are a path here, as open() takes them, never a file's contents."""
    return os.fsdecode(source) if isinstance(source, bytes) else source


def _pydicom_pixel_array(
    source: Source, frames: Frames, index: Index, out: npt.NDArray[Any] | None, raw: bool
) -> npt.NDArray[Any]:
    """A transfer syntax the engine does not decode: pydicom's own result, frame by frame for a list."""
    from pydicom.pixels.utils import pixel_array as pydicom_pixel_array

    frames.close()
    source = pydicom_source(source, frames.transfer_syntax)
    if index is None or isinstance(index, (int, np.integer)):
        i = None if index is None else int(index)
        if i is not None and i < 0:
            i += number_of_frames(frames.ds)
        arr = pydicom_pixel_array(source, index=i, raw=raw)  # type: ignore[arg-type]
    else:
        n = number_of_frames(frames.ds)
        sel = select(index, n)[0]
        assert sel is not None
        arr = np.stack([pydicom_pixel_array(source, index=int(i), raw=raw) for i in sel])  # type: ignore[arg-type]
    return into(arr, out)


def _pydicom_iter(source: Source, raw: bool) -> Iterator[npt.NDArray[Any]]:
    from pydicom.pixels.utils import iter_pixels as pydicom_iter_pixels

    yield from pydicom_iter_pixels(source, raw=raw)  # type: ignore[arg-type]
