"""The pixels of a synthetic slide, how its frames are laid out, and each frame encoded by encoders independent of
framecodec (zlib, pylibjpeg-rle; the JPEG family in slide_codecs.py). See slides.py for the whole."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from . import slide_codecs
from .dicom_bytes import DEFLATE, ENCAPSULATED_UNCOMPRESSED, EXPLICIT, RLE
from .frames import microscopy_tile
from .slide_spec import TILED_FULL, TILED_SPARSE, SlideSpec


def deepen(grey: npt.NDArray[np.uint8], bits: int, seed: int) -> npt.NDArray[Any]:
    """8-bit grey pixels as ``bits``-bit ones (uint16 when ``bits`` > 8): each value times 2**(bits - 8) plus
    random low bits, so that every bit plane up to Bits Stored is used and the top value is 2**bits - 1."""
    if bits == 8:
        return grey
    low = np.random.default_rng(seed + 11).integers(0, 1 << (bits - 8), grey.shape, dtype=np.uint16)
    return (grey.astype(np.uint16) << np.uint16(bits - 8)) | low


def slide_canvas(spec: SlideSpec) -> npt.NDArray[Any]:
    """(focal planes, optical paths, tiles down x Rows, tiles across x Columns[, samples])."""
    (tw, th), (nx, ny) = spec.tile_size, spec.tiled
    h, w = ny * th, nx * tw
    margin = 8 * (spec.focal_planes + spec.optical_paths)
    base = microscopy_tile(spec.seed, max(h, w) + margin)
    planes = np.empty((spec.focal_planes, spec.optical_paths, h, w, 3), np.uint8)
    for f in range(spec.focal_planes):
        for p in range(spec.optical_paths):
            dy, dx = 3 * f + 5 * p, 7 * f + 2 * p  # each plane its own pixels (the image is noisy)
            planes[f, p] = base[dy : dy + h, dx : dx + w]
    return planes if spec.samples == 3 else deepen(np.ascontiguousarray(planes[..., 1]), spec.bits_stored, spec.seed)


def mosaic_tiles(spec: SlideSpec) -> npt.NDArray[Any]:
    """``spec.mosaic`` distinct tiles: tissue (cut from one synthetic image, or ``spec.tissue_tiles``), then
    near-white background."""
    tw, th = spec.tile_size
    k = int(spec.mosaic or 1)
    tissue = max(1, min(k, round(k * spec.tissue))) if k > 1 else 1
    tiles = list(_given_tissue(spec, tissue) if spec.tissue_tiles is not None else _synthetic_tissue(spec, tissue))
    rng = np.random.default_rng(spec.seed + 1)
    for _ in range(k - tissue):  # slide background: near-constant white with a little sensor noise
        tiles.append((241 + rng.integers(0, spec.background_noise, (th, tw, 3))).astype(np.uint8))
    arr = np.stack(tiles)
    return arr if spec.samples == 3 else deepen(np.ascontiguousarray(arr[..., 1]), spec.bits_stored, spec.seed)


def _synthetic_tissue(spec: SlideSpec, tissue: int) -> list[npt.NDArray[np.uint8]]:
    """``tissue`` tiles cut side by side from one synthetic image."""
    tw, th = spec.tile_size
    across = -(-int(np.sqrt(tissue)) // 1) or 1
    down = -(-tissue // across)
    image = microscopy_tile(spec.seed, max(across * tw, down * th))
    return [
        image[(i // across) * th : (i // across + 1) * th, (i % across) * tw : (i % across + 1) * tw]
        for i in range(tissue)
    ]


def _given_tissue(spec: SlideSpec, tissue: int) -> npt.NDArray[np.uint8]:
    """``spec.tissue_tiles(tissue, columns, rows)``, checked."""
    assert spec.tissue_tiles is not None
    tw, th = spec.tile_size
    tiles = np.asarray(spec.tissue_tiles(tissue, tw, th))
    if tiles.shape != (tissue, th, tw, 3) or tiles.dtype != np.uint8:
        raise ValueError(
            f"tissue_tiles({tissue}, {tw}, {th}) gave {tiles.dtype} tiles of shape {tiles.shape}, not uint8 of "
            f"{(tissue, th, tw, 3)}"
        )
    return tiles


def encode_tile(pixels: npt.NDArray[Any], spec: SlideSpec) -> bytes:
    """One frame in ``spec.transfer_syntax`` by encoders independent of framecodec (odd lengths kept)."""
    ts = spec.transfer_syntax
    if ts in slide_codecs.JPEG_FAMILY:
        return slide_codecs.encode(pixels, spec)
    pixels = np.ascontiguousarray(pixels)
    if ts in (EXPLICIT, ENCAPSULATED_UNCOMPRESSED):
        return pixels.tobytes()
    if ts == DEFLATE:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw RFC 1951, as PS3.5 8.2.16 stores it
        return c.compress(pixels.tobytes()) + c.flush()
    if ts == RLE:
        from rle.utils import encode_array  # pylibjpeg-rle

        th, tw = pixels.shape[:2]
        return next(
            encode_array(
                pixels, rows=th, columns=tw, samples_per_pixel=spec.samples, bits_allocated=8, number_of_frames=1
            )
        )
    raise ValueError(f"no encoder for transfer syntax {ts}")


# ---------------------------------------------------------------------------------------------- layout


def frame_layout(spec: SlideSpec) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """(tile (tx, ty) per frame, (focal plane, optical path) per frame, present[f, p, ty, tx])."""
    (nx, ny), nf, npaths = spec.tiled, spec.focal_planes, spec.optical_paths
    # PS3.3 C.7.6.17.3: along a row, then rows, then focal planes, then optical paths
    p, f, ty, tx = np.meshgrid(np.arange(npaths), np.arange(nf), np.arange(ny), np.arange(nx), indexing="ij")
    tiles = np.stack([tx.ravel(), ty.ravel()], axis=1).astype(np.int64)
    planes = np.stack([f.ravel(), p.ravel()], axis=1).astype(np.int64)
    present = np.ones((nf, npaths, ny, nx), bool)
    if spec.tiling == TILED_FULL:
        if spec.shuffle or (not isinstance(spec.missing, (int, float)) or spec.missing):
            raise ValueError("shuffle and missing tiles need TILED_SPARSE")
        return tiles, planes, present
    if spec.tiling != TILED_SPARSE:
        raise ValueError(f"tiling must be {TILED_FULL} or {TILED_SPARSE}, not {spec.tiling!r}")
    rng = np.random.default_rng(spec.seed + 7)
    if isinstance(spec.missing, (int, float)):
        gone = rng.random(len(tiles)) < float(spec.missing)
        gone[0] = False  # keep the first tile of every slide: a slide with no frame is not worth reading
    else:
        wanted = {tuple(int(v) for v in t) for t in spec.missing}
        gone = np.array([(int(a), int(b), int(c), int(d)) in wanted for (a, b), (c, d) in zip(tiles, planes)], bool)
    present[planes[gone, 0], planes[gone, 1], tiles[gone, 1], tiles[gone, 0]] = False
    order = np.nonzero(~gone)[0]
    if spec.shuffle:
        order = rng.permutation(order)
    return tiles[order], planes[order], present
