"""What a synthetic slide is: :class:`SlideSpec` (what to write) and :class:`Slide` (a written slide and its
reference pixels), and the geometry constants the header and the tests share. See slides.py for the whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .dicom_bytes import EXPLICIT

WSI_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.77.1.6"  # VL Whole Slide Microscopy Image Storage
TILED_FULL, TILED_SPARSE = "TILED_FULL", "TILED_SPARSE"

PIXEL_SPACING_MM = 0.00025  # 0.25 um per pixel, a 40x scan
FOCAL_PLANE_SPACING_MM = 0.0005  # Spacing Between Slices: 0.5 um between focal planes
ORIGIN_MM = (20.0, 40.0)  # Total Pixel Matrix Origin: X, Y Offset In Slide Coordinate System
# Image Orientation (Slide), PS3.3 C.8.12.4.1.2: along a row -Y, down a column -X (the usual value, and one
# wsidicom takes without a warning: it wants the column direction the row direction turned by 90 degrees)
ORIENTATION = (0, -1, 0, -1, 0, 0)


def optical_path_ids(n: int) -> list[str]:
    """The Optical Path Identifiers, in the Optical Path Sequence's order: "n", ..., "2", "1". Neither sorted nor
    0-based, so that a reader that sorts them or takes them for numbers puts frames on the wrong path."""
    return [str(n - p) for p in range(n)]


def blank(samples: int) -> int:
    """The value a reader fills areas without tiles with: white for colour, 0 for MONOCHROME2 (as wsidicom)."""
    return 255 if samples == 3 else 0


@dataclass(frozen=True)
class SlideSpec:
    """What :func:`write_slide` writes."""

    width: int = 1000  # Total Pixel Matrix Columns
    height: int = 700  # Total Pixel Matrix Rows
    tile: int | tuple[int, int] = 256  # Columns x Rows of a frame: one int for square tiles, or (columns, rows)
    tiling: str = TILED_FULL  # or TILED_SPARSE
    focal_planes: int = 1
    optical_paths: int = 1
    transfer_syntax: str = EXPLICIT
    offset_table: str = "basic"  # "basic", "empty" (no offsets) or "extended" (empty BOT + EOT); encapsulated only
    samples: int = 3  # 3: RGB, 1: MONOCHROME2
    shuffle: bool = False  # TILED_SPARSE: frames in a random order
    missing: float | Iterable[tuple[int, int, int, int]] = 0.0  # TILED_SPARSE: a fraction, or (tx, ty, f, p) tiles
    seed: int = 0
    mosaic: int | None = None  # each tile one of this many distinct tiles (big slides); None: one whole image
    tissue: float = 0.6  # mosaic: the fraction of tiles that are tissue (the others near-white background)
    # mosaic: where the tissue tiles come from. None: cut from the synthetic image; else a function (count, columns,
    # rows) -> (count, rows, columns, 3) uint8 RGB tiles, e.g. the benchmarks' crops of real images (grey slides
    # take their green channel). The background tiles are made as below either way.
    tissue_tiles: Callable[[int, int, int], npt.NDArray[np.uint8]] | None = None
    # mosaic: the background tiles are 241 plus a uniform random value below this: 3 a little sensor noise, 1 flat
    # white (which RLE Lossless and deflate store in a few hundred bytes to 3 KB a tile)
    background_noise: int = 3
    jpeg_quality: int = 90
    # JPEG baseline chrominance: "4:2:2" (YBR_FULL_422, the default), "4:2:0" (YBR_FULL_422 as scanners label it) or
    # "4:4:4" (YBR_FULL)
    jpeg_subsampling: str = "4:2:2"
    bits_stored: int = 8  # 12 or 16: MONOCHROME2 (Bits Allocated 16) in the lossless J2K, HTJ2K and JPEG-LS syntaxes
    mct: bool = True  # JPEG 2000 / HTJ2K colour: the multiple component transformation (YBR_RCT / YBR_ICT), else RGB
    j2k_ratio: float = 10.0  # JPEG 2000 lossy (.91): OpenJPEG's compression ratio (about 36 dB on the tissue)
    htj2k_qstep: float = 0.016  # HTJ2K lossy (.203): OpenJPH's quantization step (about 38 dB, a ratio of 6)
    jpegls_near: int = 2  # JPEG-LS near-lossless (.81): NEAR, the largest error allowed

    @property
    def tile_size(self) -> tuple[int, int]:
        """(columns, rows) of a frame."""
        return (self.tile, self.tile) if isinstance(self.tile, int) else (int(self.tile[0]), int(self.tile[1]))

    @property
    def tiled(self) -> tuple[int, int]:
        """(tiles across, tiles down)."""
        tw, th = self.tile_size
        return -(-self.width // tw), -(-self.height // th)

    @property
    def encapsulated(self) -> bool:
        return self.transfer_syntax != EXPLICIT

    @property
    def lossy(self) -> bool:
        """Frames written lossy (JPEG baseline, JPEG 2000 .91, HTJ2K .203, JPEG-LS .81): a decoder's frames are
        the reference decodes (``Slide.expected_frame``), not the pixels written."""
        from .slide_codecs import LOSSY

        return self.transfer_syntax in LOSSY

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(np.uint16 if self.bits_stored > 8 else np.uint8)

    def but(self, **changes: Any) -> SlideSpec:
        return replace(self, **changes)


@dataclass
class Slide:
    """A written slide and its reference pixels."""

    path: Path
    spec: SlideSpec
    #: (frames, 2) int64: each frame's (x, y), 0-based top-left in the total pixel matrix, in frame order.
    positions: npt.NDArray[np.int64]
    #: (frames, 2) int64: each frame's (focal plane index, optical path index).
    planes: npt.NDArray[np.int64]
    #: The focal planes' Z Offset In Slide Coordinate System (um), by index; wsidicom's ``z``.
    z_um: list[float]
    #: The Optical Path Identifiers, by index (the Optical Path Sequence's order); wsidicom's ``path``.
    optical_path_ids: list[str]
    #: (focal planes, optical paths, tiles down, tiles across) bool: which tiles have a frame.
    present: npt.NDArray[np.bool_]
    #: The Pixel Data is lossy (JPEG Baseline, JPEG 2000 .91, HTJ2K .203, JPEG-LS .81): decoded frames only
    #: approximate :meth:`frame`; they are :meth:`expected_frame`.
    lossy: bool
    #: Bytes of encoded Pixel Data (the frames' fragments, without item headers).
    pixel_data_bytes: int
    #: (frames,) int64: where each frame's first byte is in the file (past its item header when encapsulated).
    frame_offsets: npt.NDArray[np.int64]
    #: The synthetic image the tiles are cut from, (focal planes, optical paths, rows, columns[, samples]),
    #: covering every tile whole (edge tiles' padding included). None for a mosaic.
    canvas: npt.NDArray[Any] | None = None
    _distinct: npt.NDArray[np.uint8] | None = field(default=None, repr=False)  # mosaic: the distinct tiles
    _tile_fn: Callable[[int, int, int, int], npt.NDArray[np.uint8]] | None = field(default=None, repr=False)
    #: Lossy slides: ``canvas`` as the reference decoder gives it back (each frame's codestream decoded by
    #: Pillow, pylibjpeg-openjpeg or pyjpegls: slide_codecs.decode), for the tiles that have a frame.
    decoded_canvas: npt.NDArray[Any] | None = field(default=None, repr=False)
    _decoded_distinct: npt.NDArray[Any] | None = field(default=None, repr=False)  # lossy mosaic: decoded tiles

    @property
    def number_of_frames(self) -> int:
        return len(self.positions)

    @property
    def samples(self) -> int:
        return self.spec.samples

    @property
    def fill(self) -> int:
        return blank(self.spec.samples)

    def tile(
        self, tx: int, ty: int, focal_plane: int = 0, optical_path: int = 0, *, decoded: bool = False
    ) -> npt.NDArray[Any]:
        """The Rows x Columns pixels of tile (tx, ty) as written (before any lossy encoding), present or not; with
        ``decoded``, as the reference decoder gives a lossy frame back (the same pixels for a lossless slide; a
        lossy tile without a frame: zeros)."""
        tw, th = self.spec.tile_size
        if decoded and self.lossy:
            if self.decoded_canvas is not None:
                return self.decoded_canvas[focal_plane, optical_path, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw]
            if self._decoded_distinct is None:
                raise ValueError("this lossy slide has no decoded frames")
            tile: npt.NDArray[Any] = self._decoded_distinct[mosaic_index(self.spec, tx, ty, focal_plane, optical_path)]
            return tile
        if self.canvas is not None:
            return self.canvas[focal_plane, optical_path, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw]
        if self._tile_fn is not None:
            return self._tile_fn(tx, ty, focal_plane, optical_path)
        assert self._distinct is not None
        return np.asarray(self._distinct[mosaic_index(self.spec, tx, ty, focal_plane, optical_path)], self.spec.dtype)

    def frame(self, i: int, *, decoded: bool = False) -> npt.NDArray[Any]:
        """Frame ``i``'s pixels as written, (rows, columns[, samples]); ``decoded``: see :meth:`tile`."""
        tw, th = self.spec.tile_size
        (x, y), (f, p) = self.positions[i], self.planes[i]
        return self.tile(int(x) // tw, int(y) // th, int(f), int(p), decoded=decoded)

    def expected_frame(self, i: int) -> npt.NDArray[Any]:
        """Frame ``i`` as a decoder must give it: the pixels written (lossless), the reference decode (lossy)."""
        return self.frame(i, decoded=True)

    def expected_region(
        self, location: tuple[int, int], size: tuple[int, int], focal_plane: int = 0, optical_path: int = 0
    ) -> npt.NDArray[Any]:
        """:meth:`region` of the frames as a decoder must give them (the reference decodes for a lossy slide)."""
        return self.region(location, size, focal_plane, optical_path, decoded=True)

    @cached_property
    def expected_total(self) -> npt.NDArray[Any]:
        """:attr:`total` of the frames as a decoder must give them (the reference decodes for a lossy slide)."""
        return self.total if not self.lossy else self._total(decoded=True)

    @cached_property
    def total(self) -> npt.NDArray[np.uint8]:
        """The total pixel matrices, (focal planes, optical paths, height, width[, samples]), tiles without a
        frame filled with :func:`blank`: what a reader's region of the whole image must be. Not for mosaics."""
        return self._total(decoded=False)

    def _total(self, decoded: bool) -> npt.NDArray[Any]:
        canvas = self.decoded_canvas if decoded and self.lossy else self.canvas
        if canvas is None:
            raise ValueError("this slide has no total pixel matrix in memory (a mosaic): use region()")
        s = self.spec
        out = canvas[:, :, : s.height, : s.width].copy()
        tw, th = s.tile_size
        for f, p, ty, tx in zip(*np.nonzero(~self.present)):
            out[f, p, ty * th : (ty + 1) * th, tx * tw : (tx + 1) * tw] = self.fill
        return out

    def region(
        self,
        location: tuple[int, int],
        size: tuple[int, int],
        focal_plane: int = 0,
        optical_path: int = 0,
        *,
        decoded: bool = False,
    ) -> npt.NDArray[Any]:
        """The reference pixels of the region at ``location`` (x, y), of ``size`` (width, height): (height,
        width[, samples]). Parts outside the total pixel matrix, like tiles without a frame, are blank.
        ``decoded``: the frames as the reference decoder gives them (lossy slides; see :meth:`tile`)."""
        s = self.spec
        (x, y), (w, h) = location, size
        shape = (h, w) + ((s.samples,) if s.samples > 1 else ())
        out = np.full(shape, self.fill, s.dtype)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, s.width), min(y + h, s.height)
        if x0 >= x1 or y0 >= y1:
            return out
        tw, th = s.tile_size
        for ty in range(y0 // th, (y1 - 1) // th + 1):
            for tx in range(x0 // tw, (x1 - 1) // tw + 1):
                if not self.present[focal_plane, optical_path, ty, tx]:
                    continue
                ax0, ay0 = max(x0, tx * tw), max(y0, ty * th)
                ax1, ay1 = min(x1, (tx + 1) * tw), min(y1, (ty + 1) * th)
                t = self.tile(tx, ty, focal_plane, optical_path, decoded=decoded)
                part = t[ay0 - ty * th : ay1 - ty * th, ax0 - tx * tw : ax1 - tx * tw]
                out[ay0 - y : ay1 - y, ax0 - x : ax1 - x] = part
        return out


def mosaic_index(spec: SlideSpec, tx: Any, ty: Any, f: Any, p: Any) -> Any:
    """Which distinct tile a tile is: a fixed hash of its position (works on numpy arrays too)."""
    k = int(spec.mosaic or 1)
    h = (np.asarray(tx, np.uint64) * np.uint64(73856093)) ^ (np.asarray(ty, np.uint64) * np.uint64(19349663))
    h ^= np.asarray(f, np.uint64) * np.uint64(83492791) + np.asarray(p, np.uint64) * np.uint64(2654435761)
    out = (h ^ (h >> np.uint64(7))) % np.uint64(k)
    return out.astype(np.int64) if np.ndim(out) else int(out)
