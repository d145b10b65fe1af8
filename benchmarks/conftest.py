import sys
from pathlib import Path

import pytest

# so benchmarks can `import peers`, `timing`, ...; the data come from framecodec._synthetic
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def smoke(pytestconfig: pytest.Config) -> bool:
    """True under ``--benchmark-disable``: every benchmark runs once, only to check its result, so the
    whole-data-set benchmarks make small data sets (tests/test_benchmarks_run.py runs them this way)."""
    return bool(pytestconfig.getoption("benchmark_disable", default=False))


# the fixture of the JPEG family benchmarks (bench_jpeg_family*.py) that pins a group to one core
from jpeg_family_common import one_core  # noqa: E402, F401
