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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import numpy.typing as npt

from . import _core
from .encaps import _bytes_named_a_file

if TYPE_CHECKING:
    from typing_extensions import Buffer

PositionSource = Literal["per_frame", "shared", "tiled_full"]

__all__ = ["PositionSource", "SlidePositions", "tile_positions"]


@dataclass(frozen=True)
class SlidePositions:
    """Every frame's place in a tiled image, from :func:`tile_positions`. The arrays are read-only."""

    #: Number of Frames (0028,0008); 1 when absent. Every array has this length.
    number_of_frames: int
    #: Where the positions come from: ``"per_frame"`` (the Per-Frame Functional Groups items; a frame without
    #: a Plane Position (Slide) there takes the shared one), ``"shared"`` (one Plane Position (Slide) in the
    #: Shared Functional Groups Sequence for every frame, as in a single-frame image), or ``"tiled_full"`` (no
    #: explicit positions: the implicit TILED_FULL order of PS3.3 C.7.6.17.3).
    source: PositionSource
    #: Column Position In Total Image Pixel Matrix (0048,021E) of each frame's top left pixel, 1-based.
    column_positions: npt.NDArray[np.int32]
    #: Row Position In Total Image Pixel Matrix (0048,021F), 1-based.
    row_positions: npt.NDArray[np.int32]
    #: Z Offset in Slide Coordinate System (0040,074A) in µm as stored, NaN where absent. For TILED_FULL, which does not
    #: state the Z offsets of its focal planes, NaN (or the shared one when there is one focal plane).
    z_offsets: npt.NDArray[np.float64]
    #: Each frame's focal plane: the rank of its Z offset among the distinct Z offsets in increasing order
    #: (from the glass slide towards the coverslip), 0 for every frame when none has one, -1 for a frame without
    #: one when others have one; for TILED_FULL, the focal plane of the implicit order.
    focal_planes: npt.NDArray[np.int32]
    #: Each frame's Optical Path Identifier as an index into ``optical_path_identifiers``; -1 when the frame has
    #: no Optical Path Identification Sequence (0048,0207) (per-frame or shared).
    optical_paths: npt.NDArray[np.int32]
    #: The distinct Optical Path Identifiers (0048,0106) in order of first appearance over the frames. For
    #: TILED_FULL without explicit identification, ``optical_paths`` follows the implicit order, which indexes
    #: the Optical Path Sequence (0048,0105), and this lists that sequence's identifiers (empty without it).
    optical_path_identifiers: tuple[str, ...]
    #: Dimension Organization Type (0020,9311): ``"TILED_SPARSE"``, ``"TILED_FULL"``, ..., or None when absent.
    dimension_organization_type: str | None
    #: Total Pixel Matrix Columns (0048,0006) and Rows (0048,0007); None when absent.
    total_pixel_matrix_columns: int | None
    total_pixel_matrix_rows: int | None
    #: Total Pixel Matrix Focal Planes (0048,0303); None when absent.
    total_pixel_matrix_focal_planes: int | None
    #: Number of Optical Paths (0048,0302); None when absent.
    number_of_optical_paths: int | None
    #: Rows (0028,0010) and Columns (0028,0011): the size of a tile; None when absent.
    rows: int | None
    columns: int | None
    #: Concatenation Frame Offset Number (0020,9228), 0 when absent: where a TILED_FULL instance of a
    #: concatenation continues the implicit order.
    concatenation_frame_offset: int

    def __len__(self) -> int:
        return self.number_of_frames

    @property
    def per_frame(self) -> bool:
        """Whether the positions were found in the Per-Frame Functional Groups Sequence."""
        return self.source == "per_frame"


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
        raw = _core._tile_positions_file(path_or_buffer)
    else:
        with _bytes_named_a_file(path_or_buffer):
            raw = _core._tile_positions(path_or_buffer)
    (n, source, columns_pos, rows_pos, z, planes, paths, ids, dim_type, charset,
     rows, columns, tpm_columns, tpm_rows, tpm_planes, n_paths, concat_offset) = raw  # fmt: skip
    return SlidePositions(
        number_of_frames=n,
        source=cast(PositionSource, source),
        column_positions=columns_pos,
        row_positions=rows_pos,
        z_offsets=z,
        focal_planes=planes,
        optical_paths=paths,
        optical_path_identifiers=tuple(_decode(i, charset) for i in ids),
        dimension_organization_type=dim_type,
        total_pixel_matrix_columns=tpm_columns,
        total_pixel_matrix_rows=tpm_rows,
        total_pixel_matrix_focal_planes=tpm_planes,
        number_of_optical_paths=n_paths,
        rows=rows,
        columns=columns,
        concatenation_frame_offset=concat_offset,
    )


def _decode(value: bytes, charset: str | None) -> str:
    """An SH value as pydicom decodes it: by the data set's Specific Character Set (0008,0005)."""
    if value.isascii() and b"\x1b" not in value:  # ISO 2022 escape sequences are ASCII bytes too
        return value.decode("ascii")
    from pydicom.charset import convert_encodings, decode_bytes
    from pydicom.valuerep import TEXT_VR_DELIMS

    encodings = convert_encodings(charset.split("\\") if charset else None)
    return decode_bytes(value, encodings, TEXT_VR_DELIMS)
