from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "framecodec", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("framecodec")

# benchmarks/frames.py and benchmarks/slides.py: synthetic frames and whole slides, shared with the benchmarks
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def make_bytes(kind: str, size: int, seed: int) -> bytes:
    """Test data of a given structure: what frames look like, and what they don't."""
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    if kind == "zeros":
        return bytes(size)
    if kind == "constant":
        return bytes([seed % 256]) * size
    if kind == "runs":  # long runs of a few values, like masks and backgrounds
        lengths = rng.integers(1, 300, size // 2 + 2)
        values = rng.integers(0, 4, lengths.size, dtype=np.uint8)
        return np.repeat(values, lengths)[:size].tobytes()
    if kind == "ramp":  # smooth gradient with noise, like image content
        x = np.arange(size, dtype=np.float64)
        return (128 + 100 * np.sin(x / 500) + rng.normal(0, 3, size)).clip(0, 255).astype(np.uint8).tobytes()
    raise ValueError(kind)


KINDS = ["random", "zeros", "constant", "runs", "ramp"]

# Mostly small sizes, some up to several MiB.
sizes = st.one_of(st.integers(0, 64), st.integers(0, 70_000), st.integers(0, 5 << 20))


@st.composite
def frames(draw: st.DrawFn, size_strategy: st.SearchStrategy[int] = sizes) -> bytes:
    return make_bytes(draw(st.sampled_from(KINDS)), draw(size_strategy), draw(st.integers(0, 2**32 - 1)))
