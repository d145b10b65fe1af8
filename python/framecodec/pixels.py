"""Whole data sets in one call: ``pixel_array`` and ``iter_pixels``.

The frames of a file, a file object or a ``Dataset`` are decoded by the C++ batch engine, on the process's pool
of worker threads with the GIL released once for the batch, straight into the array that is returned.
The result is the array ``pydicom.pixels.pixel_array`` gives for the same arguments (dtype, shape and
values): unused high bits corrected (sign-extended for signed data, PS3.5 8.1.1), planar configuration 1
interleaved, YBR_FULL converted to RGB unless ``raw=True``, one 0/1 byte per pixel for Bits Allocated 1.
Transfer syntaxes the engine does not decode (the JPEG family, ...) go to pydicom unchanged.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import numpy.typing as npt

from . import _core
from ._claims import check_claims
from ._core import DecodeError
from ._deflated import pydicom_source
from ._layout import number_of_frames
from ._source import Frames, Source, open_source

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

Index = Union[int, slice, Sequence[int], npt.NDArray[np.integer[Any]], None]

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
    the calling thread; under 1 MB of pixels is decoded there whatever ``threads``). ``out``, a
    C-contiguous writable array of the result's shape and dtype, receives the pixels. ``raw=True`` skips
    the YBR_FULL to RGB conversion.

    Raises ``ValueError`` naming the attribute when the data set is inconsistent (a missing Image Pixel
    attribute, an unsupported Bits Allocated, more frames than the Pixel Data holds), ``DecodeError`` or
    ``EncapsulationError`` naming the first frame that failed and why, ``IndexError`` for a frame out of range.
    """
    source = _path_as_str(source)
    with open_source(source) as frames:
        if frames.codec is None:
            return _pydicom_pixel_array(source, frames, index, out, raw)
        selection = _select(index, frames.layout.number_of_frames)
        arr = _result(frames, selection, out)
        _decode_into(frames, selection, arr, threads, raw)
    return _finish(arr, frames, raw, out)


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
            per_frame = max(1, frames.layout.pixels_per_frame * frames.layout.dtype.itemsize)
            batch = max(2 * _workers(threads), (64 << 20) // per_frame)
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")

        def decode(start: int) -> npt.NDArray[Any]:
            sel = np.arange(start, min(start + batch, n), dtype=np.int64)
            arr = _result(frames, (sel, True), None)
            _decode_into(frames, (sel, True), arr, threads, raw)
            return _finish(arr, frames, raw, None)

        with ThreadPoolExecutor(1) as ahead:
            pending = ahead.submit(decode, 0)
            for start in range(0, n, batch):
                arr = pending.result()
                if start + batch < n:
                    pending = ahead.submit(decode, start + batch)
                yield from arr
    finally:
        frames.close()


def _path_as_str(source: Source) -> Source:
    """A bytes path as str (os.fsdecode: undecodable bytes survive as surrogates), for pydicom, which takes
    str paths; bytes are a path here, as open() takes them, never a file's contents."""
    return os.fsdecode(source) if isinstance(source, bytes) else source


def _workers(threads: int | None) -> int:
    return threads if threads else _core.default_threads()


def _select(index: Index, n: int) -> tuple[npt.NDArray[np.int64] | None, bool]:
    """(frame indices or None for all, whether the result has a frame axis)."""
    if index is None:
        return None, n > 1
    if isinstance(index, slice):
        return np.arange(n, dtype=np.int64)[index], True
    if isinstance(index, (bool, float)) or not isinstance(index, (int, np.integer, Sequence, np.ndarray)):
        raise TypeError(f"index must be an int, a slice or a sequence of ints, not {type(index).__name__}")
    scalar = np.ndim(index) == 0
    sel = np.atleast_1d(np.asarray(index))
    if sel.dtype.kind not in "iu" and sel.size:
        raise TypeError(f"frame indices must be integers, got {sel.dtype}")
    if sel.ndim != 1:
        raise ValueError("index must be one-dimensional")
    bad = (sel >= n) | ((sel < -n) if sel.dtype.kind == "i" else False)  # before int64: uint64 would wrap
    if bad.any():
        raise IndexError(f"frame index {int(sel[bad][0])} out of range for {n} frames")
    sel = sel.astype(np.int64)
    return np.where(sel < 0, sel + n, sel), not scalar


def _result(frames: Frames, selection: tuple[npt.NDArray[np.int64] | None, bool], out: npt.NDArray[Any] | None,
            headers: bool = True) -> npt.NDArray[Any]:  # fmt: skip
    sel, frame_axis = selection
    count = frames.layout.number_of_frames if sel is None else len(sel)
    shape = ((count,) if frame_axis else ()) + frames.layout.frame_shape
    dtype = frames.layout.for_syntax(frames.transfer_syntax)
    check_claims(frames, sel, headers)  # before allocating: a header's sizes against the bytes that must back them
    if out is None:
        return np.empty(shape, dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, not {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"out must have shape {shape} and dtype {dtype}, got {out.shape} and {out.dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writable")
    return out


def _decode_into(frames: Frames, selection: tuple[npt.NDArray[np.int64] | None, bool], arr: npt.NDArray[Any],
                 threads: int | None, raw: bool = False) -> None:  # fmt: skip
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    lay = frames.layout
    if arr.size == 0:
        return
    assert frames.codec is not None
    try:
        _core._decode_frames(
            frames.buffer, frames.codec, lay.rows, lay.columns, lay.samples_per_pixel, lay.bits_allocated,
            arr.reshape(-1).view(np.uint8), frames.offsets, frames.lengths, frames.frame_fragments, selection[0],
            threads=threads or 0, **_engine_options(frames, raw),
        )  # fmt: skip
    except DecodeError as e:
        raise DecodeError(f"{e} [frame size from the data set: {lay.describe()}]") from None


def _engine_options(frames: Frames, raw: bool) -> dict[str, Any]:
    """The batch engine's keyword arguments for these frames beyond their size."""
    lay = frames.layout
    return {
        "planar": lay.planar_configuration == 1, "extended": frames.extended, "bits_stored": lay.bits_stored,
        "signed": lay.pixel_representation == 1, "ybr": lay.photometric_interpretation.startswith("YBR"), "raw": raw,
    }  # fmt: skip


def _needs_finish(frames: Frames, raw: bool) -> bool:
    """Whether ``_finish`` changes the engine's output: unused high bits to clear or sign-extend, or YBR to
    convert to RGB."""
    return _shifts(frames) or _converts_colour(frames, raw)


def _shifts(frames: Frames) -> bool:
    """Whether the bits above Bits Stored must be corrected; JPEG 2000 and HTJ2K frames come out of the codec
    corrected (pydicom's J2K corrections), JPEG frames are 8 bits."""
    lay = frames.layout
    return lay.bits_allocated > 1 and lay.bits_allocated != lay.bits_stored and frames.codec not in ("j2k", "htj2k")


def _finish(arr: npt.NDArray[Any], frames: Frames, raw: bool, out: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    lay = frames.layout
    shift = lay.bits_allocated - lay.bits_stored
    if _shifts(frames):  # PS3.5 8.1.1: bits above Bits Stored are not part of the value
        np.left_shift(arr, shift, out=arr)
        np.right_shift(arr, shift, out=arr)
    if _converts_colour(frames, raw) and arr.size:
        rgb = _convert_to_rgb(arr, lay.photometric_interpretation, lay.bits_stored)
        if out is None:
            return rgb
        out[...] = rgb
        return out
    return arr


def _converts_colour(frames: Frames, raw: bool) -> bool:
    """Whether ``_finish`` converts YBR to RGB as pydicom does by default. JPEG frames come out of libjpeg-turbo
    already converted (or kept, with raw), as from pydicom's JPEG decoders."""
    lay = frames.layout
    return (
        not raw and frames.codec != "jpeg" and lay.samples_per_pixel == 3
        and lay.photometric_interpretation in _ybr_to_rgb()
    )  # fmt: skip


def _ybr_to_rgb() -> tuple[str, ...]:
    """The photometric interpretations the installed pydicom converts to RGB by default."""
    from pydicom.pixels.processing import convert_color_space

    if "bit_depth" in inspect.signature(convert_color_space).parameters:  # pydicom 3.1
        return ("YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_PARTIAL_422")
    return ("YBR_FULL", "YBR_FULL_422")


def _convert_to_rgb(arr: npt.NDArray[Any], pi: str, bits_stored: int) -> npt.NDArray[Any]:
    """pydicom's own conversion, called as the installed pydicom calls it, on the whole array at once."""
    from pydicom.pixels.processing import convert_color_space

    if "bit_depth" in inspect.signature(convert_color_space).parameters:
        return convert_color_space(arr, pi, "RGB", per_frame=True, bit_depth=bits_stored)  # type: ignore[call-arg,unused-ignore]
    return convert_color_space(arr, "YBR_FULL", "RGB")


def _pydicom_pixel_array(source: Source, frames: Frames, index: Index, out: npt.NDArray[Any] | None,
                         raw: bool) -> npt.NDArray[Any]:  # fmt: skip
    """A transfer syntax the engine does not decode: pydicom's own result, frame by frame for a list."""
    from pydicom.pixels.utils import pixel_array as pydicom_pixel_array

    frames.close()
    source = pydicom_source(source, frames.transfer_syntax)
    if index is None or isinstance(index, (int, np.integer)):
        i = None if index is None else int(index)
        if i is not None and i < 0:
            i += _number_of_frames(frames.ds)
        arr = pydicom_pixel_array(source, index=i, raw=raw)  # type: ignore[arg-type]
    else:
        n = _number_of_frames(frames.ds)
        sel = _select(index, n)[0]
        assert sel is not None
        arr = np.stack([pydicom_pixel_array(source, index=int(i), raw=raw) for i in sel])  # type: ignore[arg-type]
    return _into(arr, out)


def _into(arr: npt.NDArray[Any], out: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    """``arr``, or ``out`` holding it."""
    if out is None:
        return arr
    if out.shape != arr.shape or out.dtype != arr.dtype:
        raise ValueError(f"out must have shape {arr.shape} and dtype {arr.dtype}, got {out.shape} and {out.dtype}")
    out[...] = arr
    return out


def _pydicom_iter(source: Source, raw: bool) -> Iterator[npt.NDArray[Any]]:
    from pydicom.pixels.utils import iter_pixels as pydicom_iter_pixels

    yield from pydicom_iter_pixels(source, raw=raw)  # type: ignore[arg-type]


def _number_of_frames(ds: Dataset) -> int:
    """The data set's (0028,0008) Number of Frames, from the header ``open_source`` read from the file's start
    (reading it again from a file object would start wherever that read left the file)."""
    return number_of_frames(ds)


def pydicom_frames(frames: Frames, sel: npt.NDArray[np.int64], raw: bool) -> npt.NDArray[Any]:
    """Frames ``sel`` of a syntax the engine does not decode, by pydicom's decoder straight from their
    codestreams (each encapsulated on its own), stacked."""
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.pixels.utils import as_pixel_options

    from ._core import encapsulate
    from .encaps import frame_bytes

    assert frames.table is not None
    decoder = get_decoder(frames.transfer_syntax)
    opts = as_pixel_options(frames.ds)
    opts["number_of_frames"] = 1  # each call gets one frame, encapsulated on its own
    opts.pop("extended_offsets", None)
    decoded = [
        decoder.as_array(encapsulate([frame_bytes(frames.buffer, frames.table, int(i))]), raw=raw, **opts)[0]
        for i in sel
    ]
    return np.stack(decoded)
