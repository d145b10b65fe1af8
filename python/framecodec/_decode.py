"""The decode path that ``pixel_array``, ``iter_pixels``, ``FrameReader``, the writer's check and transcode share.

Which frames an index selects; the array they are decoded into (a new one, or the caller's ``out``, checked); the
batch engine's call; the finishing that makes the engine's output pydicom's (unused high bits corrected,
sign-extended for signed data, PS3.5 8.1.1; YBR converted to RGB as the installed pydicom does); pydicom's own
decoders for the frames of syntaxes the engine does not decode; and decoding the next batch on a thread while the
caller uses the last one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from . import _core
from ._claims import check_claims
from ._core import DecodeError
from ._source import Frames

Index = int | slice | Sequence[int] | npt.NDArray[np.integer[Any]] | None
#: (frame indices, or None for all of them; whether the result has a frame axis)
Selection = tuple[npt.NDArray[np.int64] | None, bool]

__all__ = [
    "Index",
    "Selection",
    "ahead",
    "allocate",
    "batch_frames",
    "decode",
    "decode_into",
    "engine_options",
    "finish",
    "into",
    "needs_finish",
    "pydicom_frames",
    "select",
]

A = TypeVar("A")
R = TypeVar("R")


def select(index: Index, n: int) -> Selection:
    """The frames ``index`` selects of ``n``: None all of them (a frame axis unless there is one frame, as in
    pydicom), an int one (no frame axis), a slice or a sequence of ints those, in that order."""
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


def batch_frames(frame_bytes: int, threads: int | None) -> int:
    """Frames decoded at once when reading ahead: about 64 MB, at least two per worker."""
    return max(2 * (threads or _core.default_threads()), (64 << 20) // max(1, frame_bytes))


def ahead(work: Callable[[A], R], items: Sequence[A]) -> Generator[R, None, None]:
    """``work(item)`` of each item in order, the next one done on a thread while the caller uses the last."""
    if not items:
        return
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(work, items[0])
        for k in range(len(items)):
            result = pending.result()
            if k + 1 < len(items):
                pending = pool.submit(work, items[k + 1])
            yield result


def decode(
    frames: Frames, selection: Selection, out: npt.NDArray[Any] | None, threads: int | None, raw: bool = False
) -> npt.NDArray[Any]:
    """The selected frames decoded by the engine and finished: the array pydicom gives (in ``out`` when given)."""
    arr = allocate(frames, selection, out)
    decode_into(frames, selection, arr, threads, raw)
    return finish(arr, frames, raw, out)


def allocate(
    frames: Frames, selection: Selection, out: npt.NDArray[Any] | None, headers: bool = True
) -> npt.NDArray[Any]:
    """The array the selected frames are decoded into: a new one, or ``out`` once checked. ``headers``: the frames'
    headers are checked against the sizes they claim (check_claims) before anything is allocated."""
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


def decode_into(
    frames: Frames, selection: Selection, arr: npt.NDArray[Any], threads: int | None, raw: bool = False
) -> None:
    """The engine's call: the selected frames into ``arr``, as the engine gives them (not finished)."""
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    lay = frames.layout
    if arr.size == 0:
        return
    frames, sel = frames.selected(selection[0])  # a lazy table: the selected frames' items walked and checked
    assert frames.codec is not None
    try:
        _core._decode_frames(
            frames.buffer,
            frames.codec,
            lay.rows,
            lay.columns,
            lay.samples_per_pixel,
            lay.bits_allocated,
            arr.reshape(-1).view(np.uint8),
            frames.offsets,
            frames.lengths,
            frames.frame_fragments,
            sel,
            frame_numbers=frames.frame_numbers,
            threads=threads or 0,
            **engine_options(frames, raw),
        )
    except DecodeError as e:
        raise DecodeError(f"{e} [frame size from the data set: {lay.describe()}]") from None


def engine_options(frames: Frames, raw: bool) -> dict[str, Any]:
    """The batch engine's keyword arguments for these frames beyond their size."""
    lay = frames.layout
    return {
        "planar": lay.planar_configuration == 1,
        "extended": frames.extended,
        "bits_stored": lay.bits_stored,
        "signed": lay.pixel_representation == 1,
        "ybr": lay.photometric_interpretation.startswith("YBR"),
        "raw": raw,
    }


def needs_finish(frames: Frames, raw: bool) -> bool:
    """Whether ``finish`` changes the engine's output: unused high bits to clear or sign-extend, or YBR to
    convert to RGB."""
    return _shifts(frames) or _converts_colour(frames, raw)


def finish(arr: npt.NDArray[Any], frames: Frames, raw: bool, out: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    """The engine's output as pydicom gives it, in place (or, converted to RGB, in ``out`` or a new array)."""
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


def _shifts(frames: Frames) -> bool:
    """Whether the bits above Bits Stored must be corrected; JPEG 2000 and HTJ2K frames come out of the codec
    corrected (pydicom's J2K corrections), JPEG frames are 8 bits."""
    lay = frames.layout
    return lay.bits_allocated > 1 and lay.bits_allocated != lay.bits_stored and frames.codec not in ("j2k", "htj2k")


def _converts_colour(frames: Frames, raw: bool) -> bool:
    """Whether ``finish`` converts YBR to RGB as pydicom does by default. JPEG frames come out of libjpeg-turbo
    already converted (or kept, with raw), as from pydicom's JPEG decoders."""
    lay = frames.layout
    return (
        not raw
        and frames.codec != "jpeg"
        and lay.samples_per_pixel == 3
        and lay.photometric_interpretation in _ybr_to_rgb()
    )


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


def into(arr: npt.NDArray[Any], out: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    """``arr``, or ``out`` holding it."""
    if out is None:
        return arr
    if out.shape != arr.shape or out.dtype != arr.dtype:
        raise ValueError(f"out must have shape {arr.shape} and dtype {arr.dtype}, got {out.shape} and {out.dtype}")
    out[...] = arr
    return out


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
