"""Realistic synthetic frames shared by the benchmarks (and usable by tests).

- microscopy_tile: 240x240 RGB, smooth stain-like colour fields with cell-like blobs and sensor noise,
  as the tiles of a VL Whole Slide Microscopy image.
- ct_frame: 512x512 int16, a body ellipse with organ-like regions, air at -1000 and noise, as a CT slice.
- segmentation_frame: 512x512 1-bit (0/1 bytes), a few filled ellipses, as a frame of a binary Segmentation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _ellipses(rng: np.random.Generator, shape: tuple[int, int], count: int, rmin: float, rmax: float) -> npt.NDArray[np.bool_]:
    yy, xx = np.ogrid[0 : shape[0], 0 : shape[1]]
    mask = np.zeros(shape, dtype=bool)
    for _ in range(count):
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        ry, rx = rng.uniform(rmin, rmax, 2)
        mask |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return mask


def microscopy_tile(seed: int = 0, size: int = 240) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack(
        [230 - 60 * np.sin(3 * xx + seed), 200 - 70 * np.cos(2 * yy + xx), 225 - 40 * np.sin(4 * yy)], axis=-1
    )
    nuclei = _ellipses(rng, (size, size), 25, 3, 9)
    base[nuclei] = (90, 60, 150)
    img = base + rng.normal(0, 4, base.shape)
    # Slides have background: a blank corner region of near-constant white.
    img[: size // 4, : size // 3] = 242 + rng.integers(0, 2, (size // 4, size // 3, 1))
    return np.clip(img, 0, 255).astype(np.uint8)


def ct_frame(seed: int = 0, size: int = 512) -> npt.NDArray[np.int16]:
    rng = np.random.default_rng(seed)
    img = np.full((size, size), -1000.0)
    yy, xx = np.ogrid[0:size, 0:size]
    body = ((yy - size / 2) / (size * 0.38)) ** 2 + ((xx - size / 2) / (size * 0.45)) ** 2 <= 1
    img[body] = 40
    img[_ellipses(rng, (size, size), 6, size / 20, size / 8) & body] = -700  # lungs, bowel gas
    img[_ellipses(rng, (size, size), 4, size / 40, size / 15) & body] = 700  # bone
    img[body] += rng.normal(0, 12, int(body.sum()))
    return np.round(img).astype(np.int16)


def segmentation_frame(seed: int = 0, size: int = 512) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return _ellipses(rng, (size, size), int(rng.integers(1, 5)), size / 20, size / 5).astype(np.uint8)
