from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import framecodec as fc

settings.register_profile("framecodec", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("framecodec")

# the remote-reading tests' servers (an HTTP range server, moto's S3) and files, defined once for the whole session
# fixtures shared by several test files, defined next to their helpers
from cli_util import grey_native, ybr_deflate  # noqa: E402, F401
from faults_util import dicom_path  # noqa: E402, F401
from remote_corpus import corpus  # noqa: E402, F401
from remote_servers import moto_s3, range_server, s3  # noqa: E402, F401
from transcode_util import sources  # noqa: E402, F401


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


# --- deflate backends -------------------------------------------------------------------------------------
# Every deflate test runs once per backend of the build. Kernel tests take the backend as a parameter
# (backend=...); whole-file tests (pixel_array, FrameReader, the pydicom plugin) are marked inflate("zlib") or
# inflate("libdeflate") and run with FRAMECODEC_INFLATE set so (the fixture below). In a build without
# libdeflate its cases skip, saying so.

NO_LIBDEFLATE = "framecodec was built without libdeflate (-DFRAMECODEC_LIBDEFLATE=OFF, or libdeflate-dev missing)"
BACKENDS = [
    pytest.param("libdeflate", marks=pytest.mark.skipif(fc.codecs.libdeflate_version is None, reason=NO_LIBDEFLATE)),
    "zlib",
]
DEFLATED = "1.2.840.10008.1.2.8.1"  # Deflated Image Frame Compression (PS3.5 8.2.16)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "inflate(backend): decode deflate frames with this backend (FRAMECODEC_INFLATE)")


@pytest.fixture(autouse=True)
def _inflate_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = request.node.get_closest_marker("inflate")
    if marker is None:
        return
    backend = marker.args[0]
    if backend == "libdeflate" and fc.codecs.libdeflate_version is None:
        pytest.skip(NO_LIBDEFLATE)
    monkeypatch.setenv("FRAMECODEC_INFLATE", backend)


def by_backend(syntaxes: Iterable[Any], ids: Sequence[str] | None = None, deflated: str = DEFLATED) -> list[Any]:
    """Parameters for a transfer-syntax argument: the deflate syntax once per backend (ids "deflate-zlib",
    "deflate-libdeflate"), every other syntax once. ``syntaxes`` may hold tuples whose first item is the syntax."""
    out = []
    for i, value in enumerate(syntaxes):
        ts = value[0] if isinstance(value, tuple) else value
        name = ids[i] if ids is not None else str(ts)
        if ts != deflated:
            out.append(pytest.param(*(value if isinstance(value, tuple) else (value,)), id=name))
            continue
        for backend in ("libdeflate", "zlib"):
            out.append(
                pytest.param(
                    *(value if isinstance(value, tuple) else (value,)),
                    id=f"{name}-{backend}",
                    marks=pytest.mark.inflate(backend),
                )
            )
    return out
