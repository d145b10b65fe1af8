"""Realistic synthetic frames shared by the benchmarks and the tests (nothing is downloaded).

How well each compresses matters more than how it looks: the benchmarks time codecs on them, so a generator
that is too flat (or too noisy) makes the codecs look faster (or slower) than on real data. The ratios are
of the raw bytes by zlib at level 6, measured over seeds (indices) 0..31, and checked by
tests/test_generators.py:

- ``microscopy_tile(seed, size=240)``: size x size RGB uint8, an H&E-stained tissue tile as in a VL Whole
  Slide Microscopy image: eosin-pink stroma with wavy fibres, haematoxylin-purple nuclei of varied size and
  shade with chromatin grain, lighter areas, and sensor noise everywhere (no flat colour, no blank corner).
  Deflate ratio 1.14-1.25 (mean 1.18), about 5 ms a tile. Features are sized in pixels, so a large ``size``
  is a continuous image at the same scale (slide_pixels.py cuts whole slides from one).
- ``segmentation_frame(index, size=512, series=0)``: size x size 0/1 uint8, frame ``index`` of a binary
  Segmentation through a volume: 3-5 smooth blobs (organs) whose centres, radii and outlines drift slowly from
  frame to frame. Consecutive frames differ in 0.1-0.6% of their pixels, frames 32 apart in over ten times
  as many. Bit-packed (numpy ``packbits``, ``bitorder="little"``, as DICOM packs 1-bit frames) deflate ratio
  21-50 over indices 0..63 of series 0..31 (series 0: 27-35).
- ``ct_frame(seed, size=512)``: size x size int16 in Hounsfield units, a CT slice: air at -1000 outside an
  elliptic body, soft tissue (40) with lungs or bowel gas (-700) and bone (700), Gaussian noise (sigma 12)
  inside the body; values fit Bits Stored 12, signed. Deflate ratio 3.6-3.8.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Optical densities per (R, G, B) of the two stains, after Ruifrok and Johnston's colour deconvolution
# vectors, the eosin one given more blue absorption so that stroma is pink rather than magenta.
HAEMATOXYLIN = np.array([0.60, 0.75, 0.30], np.float32)
EOSIN = np.array([0.10, 0.90, 0.40], np.float32)
ILLUMINATION = 240.0  # the brightest glass: below 255, so that noise is never clipped into flat white


def _ellipses(
    rng: np.random.Generator, shape: tuple[int, int], count: int, rmin: float, rmax: float
) -> npt.NDArray[np.bool_]:
    yy, xx = np.ogrid[0 : shape[0], 0 : shape[1]]
    mask = np.zeros(shape, dtype=bool)
    for _ in range(count):
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        ry, rx = rng.uniform(rmin, rmax, 2)
        mask |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return mask


def _smooth_noise(rng: np.random.Generator, size: int, cell: float) -> npt.NDArray[np.float32]:
    """A size x size field of unit standard deviation varying over about ``cell`` pixels: random values on a
    grid of that spacing, spread by Gaussian weights (two small matrix products: a few hundred microseconds)."""
    knots = int(size / cell) + 3
    t = np.arange(size, dtype=np.float32)[:, None] / np.float32(cell) - np.arange(knots, dtype=np.float32) + 1
    w = np.exp(np.float32(-0.5) * (t / np.float32(0.6)) ** 2)
    w /= w.sum(axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = w @ rng.standard_normal((knots, knots), dtype=np.float32) @ w.T
    out *= np.float32(1 / (out.std() + 1e-6))
    return out


def _nuclei(rng: np.random.Generator, size: int) -> npt.NDArray[np.float32]:
    """Haematoxylin density: soft-edged ellipses of radius 4-13 pixels, each of its own shade (0.6-1.5). Each
    is drawn in its bounding box only, so that the cost grows with the area, not the area times the count."""
    yy, xx = (a.astype(np.float32) for a in np.ogrid[0:size, 0:size])
    h = np.zeros((size, size), np.float32)
    n = int(rng.poisson(size * size / 2300))  # about 25 in a 240 x 240 tile
    params = zip(
        rng.uniform(0, size, n),
        rng.uniform(0, size, n),
        rng.uniform(5, 13, n),
        rng.uniform(4, 10, n),
        rng.uniform(0, np.pi, n),
        rng.uniform(0.6, 1.5, n),
    )
    for cy, cx, a, b, angle, shade in params:
        r = int(max(a, b)) + 2
        y0, y1 = max(0, int(cy) - r), min(size, int(cy) + r + 1)
        x0, x1 = max(0, int(cx) - r), min(size, int(cx) + r + 1)
        if y0 >= y1 or x0 >= x1:
            continue
        dy, dx = yy[y0:y1] - cy, xx[:, x0:x1] - cx
        c, s = np.cos(angle), np.sin(angle)
        r2 = ((dx * c + dy * s) / a) ** 2 + ((dy * c - dx * s) / b) ** 2
        profile = np.clip((1 - r2) * 4, 0, 1) * shade  # the edge fades over the outer eighth of the radius
        np.maximum(h[y0:y1, x0:x1], profile, out=h[y0:y1, x0:x1])  # overlapping nuclei do not add up
    return h


def microscopy_tile(seed: int = 0, size: int = 240) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    yy, xx = (a.astype(np.float32) for a in np.ogrid[0:size, 0:size])
    # Stroma: collagen fibres as a sine wave along a random direction, its phase warped by a smooth field
    # (wavy fibres), its strength varying over ~10 pixels (fibres that fade in and out).
    theta, period = rng.uniform(0, np.pi), rng.uniform(7, 11)
    phase = _smooth_noise(rng, size, 48)
    phase *= 4
    phase += (xx * np.float32(np.cos(theta)) + yy * np.float32(np.sin(theta))) * np.float32(2 * np.pi / period)
    fibres = np.sin(phase, out=phase)
    fibres *= np.clip(0.6 + 0.5 * _smooth_noise(rng, size, 10), 0, 1)
    # Eosin density: denser and lighter regions over ~60 pixels (never below 0.12: no bare glass)
    eosin = np.clip(0.55 + 0.25 * _smooth_noise(rng, size, 64), 0.12, None)
    eosin *= 0.8 + 0.25 * fibres
    haematoxylin = _nuclei(rng, size)
    haematoxylin *= np.clip(0.75 + 0.25 * _smooth_noise(rng, size, 3), 0.4, None)  # chromatin grain, never bleached
    # Bright-field transmission (Beer-Lambert): the light left after both stains absorbed theirs
    od = haematoxylin[..., None] * HAEMATOXYLIN
    od += eosin[..., None] * EOSIN
    np.negative(od, out=od)
    img = np.exp(od, out=od)
    img *= np.float32(ILLUMINATION)
    # Sensor noise: the sum of two uniform integers 0..9 (triangular, sigma 4.1), cheaper than Gaussian noise.
    # With the stain fields it sets the deflate ratio: mean 1.18 over seeds 0..31 (sigma 3.2: 1.21, 4.9: 1.17)
    img += np.float32(0.5 - 9)
    img += rng.integers(0, 10, img.shape, dtype=np.uint8)
    img += rng.integers(0, 10, img.shape, dtype=np.uint8)
    tile: npt.NDArray[np.uint8] = np.clip(img, 0, 255, out=img).astype(np.uint8)
    return tile


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


def segmentation_frame(index: int = 0, size: int = 512, series: int = 0) -> npt.NDArray[np.uint8]:
    # Every random value comes from the series' generator, drawn in the same order whatever the index: a blob
    # is a function of the frame number t, so nearby frames are nearby shapes.
    rng = np.random.default_rng([series, 0x5E6])
    t, tau = float(index), 2 * np.pi
    out = np.zeros((size, size), bool)
    yy, xx = np.ogrid[0:size, 0:size]
    n = int(rng.integers(3, 6))
    turn = rng.uniform(0, tau)
    harmonics = np.arange(2, 5)
    for j in range(n):
        # Centres spread around the middle so that blobs seldom merge (merged blobs have less outline, and
        # the outline is what costs deflate bytes); radii shrink with the count for the same reason.
        alpha, rho = turn + tau * j / n + rng.uniform(-0.3, 0.3), rng.uniform(0.15, 0.3)
        cy, cx = (0.5 + rho * np.sin(alpha)) * size, (0.5 + rho * np.cos(alpha)) * size
        amplitude = rng.uniform(0.03, 0.08, 2) * size
        period = rng.uniform(100, 250, 3)  # frames: the centre and radius swing over a few hundred frames
        shift = rng.uniform(0, tau, 3)
        r0 = rng.uniform(0.05, 0.10) * size * 4 / n
        wobble = rng.uniform(0, 0.15, 3) / harmonics * 2  # outline harmonics 2-4, at most 1/3 of the radius
        wobble_phase = rng.uniform(0, tau, 3)
        spin = rng.uniform(-0.02, 0.02, 3)  # radians a frame: the outline turns, so every frame changes
        cy += amplitude[0] * np.sin(tau * t / period[0] + shift[0])
        cx += amplitude[1] * np.sin(tau * t / period[1] + shift[1])
        radius = r0 * (1 + 0.3 * np.sin(tau * t / period[2] + shift[2]))
        reach = radius * (1 + wobble.sum()) + 1
        y0, y1 = max(0, int(cy - reach)), min(size, int(cy + reach) + 2)
        x0, x1 = max(0, int(cx - reach)), min(size, int(cx + reach) + 2)
        if y0 >= y1 or x0 >= x1:
            continue
        dy, dx = yy[y0:y1] - cy, xx[:, x0:x1] - cx
        angle = np.arctan2(dy, dx)
        edge = radius * (
            1 + sum(w * np.cos(k * angle + p + s * t) for w, k, p, s in zip(wobble, harmonics, wobble_phase, spin))
        )
        out[y0:y1, x0:x1] |= dy * dy + dx * dx <= edge * edge
    return out.astype(np.uint8)
