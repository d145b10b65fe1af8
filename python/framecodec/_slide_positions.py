"""Where each frame of a tiled image sits: the native walk of the functional groups, typed.

VL Whole Slide Microscopy Images (and tiled Segmentations and Parametric Maps) place each frame (tile) in
the Total Pixel Matrix through the Plane Position (Slide) Sequence (0048,021A) of its Per-Frame Functional
Groups item (PS3.3 C.8.12.6.1). pydicom builds a ``Dataset`` for each of those items, which takes about
10 s for 100,000 frames; :func:`tile_positions` reads the same values in one C++ walk of the header with the
GIL released, and returns them as numpy arrays::

    pos = tile_positions("slide.dcm")           # a path reads only the header; or any buffer (mmap, bytes)
    frame = np.flatnonzero((pos.column_positions == 1 + 3 * 256) & (pos.row_positions == 1))
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from . import _core
from .encaps import _bytes_named_a_file

if TYPE_CHECKING:
    from typing_extensions import Buffer

PositionSource = Literal["per_frame", "shared", "tiled_full"]

__all__ = ["PositionSource", "SlidePositions", "tile_positions"]


#: Every frame's place in a tiled image, from :func:`tile_positions`: the native class, whose per-frame arrays
#: (``column_positions``, ``row_positions`` 1-based; ``z_offsets`` as stored, NaN where absent; ``focal_planes``;
#: ``optical_paths``, indices into ``optical_path_identifiers``) are read-only views of its own memory, beside
#: ``number_of_frames``, ``source``, the Total Pixel Matrix attributes, ``rows``, ``columns`` and
#: ``concatenation_frame_offset``. The stub, ``_core.pyi``, says what each one is.
SlidePositions = _core.TilePositions


def tile_positions(path_or_buffer: str | os.PathLike[str] | os.PathLike[bytes] | Buffer) -> SlidePositions:
    """Every frame's position, focal plane and optical path in a tiled image, without building a ``Dataset``.

    Takes a path (read in 64 KiB blocks up to the Pixel Data element's header) or a buffer holding the whole
    file (an ``mmap``, bytes, a numpy array; the preamble and file meta are optional, implicit or explicit VR
    little endian, as for :func:`framecodec.encaps.locate_pixel_data`). Walks the top-level data set once and reads
    from each frame's Per-Frame Functional Groups item its Plane Position (Slide) (column and row position,
    Z offset) and Optical Path Identification; a frame without them takes those of the Shared Functional
    Groups Sequence. A TILED_FULL image without explicit positions is placed by the implicit order of PS3.3
    C.7.6.17.3 from Rows, Columns, Total Pixel Matrix Columns and Rows, Total Pixel Matrix Focal Planes,
    Number of Optical Paths and Concatenation Frame Offset Number.

    Raises :class:`framecodec.EncapsulationError` (a ``ValueError``) naming the frame and the problem: a
    Per-Frame Functional Groups Sequence whose item count is not Number of Frames, a frame without a position
    and no shared one in an image that is not TILED_FULL, a TILED_FULL image without what places its tiles,
    a malformed or truncated element, no Pixel Data; ``OSError`` when the file cannot be read (or is not a
    regular file). ``bytes`` are the file's contents, as in :func:`framecodec.encaps.locate_pixel_data`.
    """
    if isinstance(path_or_buffer, (str, os.PathLike)):
        return _core._tile_positions_file(path_or_buffer, _decode)
    with _bytes_named_a_file(path_or_buffer):
        return _core._tile_positions(path_or_buffer, _decode)


def _decode(value: bytes, charset: str | None) -> str:
    """An SH value as pydicom decodes it: by the data set's Specific Character Set (0008,0005). The native walk
    decodes ASCII values itself (ISO 2022 escape sequences, ASCII bytes too, come here)."""
    from pydicom.charset import convert_encodings, decode_bytes
    from pydicom.valuerep import TEXT_VR_DELIMS

    encodings = convert_encodings(charset.split("\\") if charset else None)
    return decode_bytes(value, encodings, TEXT_VR_DELIMS)
