#!/usr/bin/env bash
# The extension built with AddressSanitizer and UBSan (GCC), and the unit tests run against it: every byte the
# kernels, the walks and the batch engine touch while the suite runs is checked, and UB aborts.
#
#   tests/sanitize.sh                  # CI's selection (below), a few minutes
#   tests/sanitize.sh tests            # the whole suite
#
# Needs a Python with framecodec's test dependencies and scikit-build-core and pybind11 (PYTHON, default
# python) and a non-editable framecodec or none: the ASan build goes to build/asan-site, first on PYTHONPATH
# (an editable install's import hook would shadow it; the script checks).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}

"$python" -m pip install -q --no-deps --no-build-isolation --upgrade --target build/asan-site . \
  -Ccmake.define.FRAMECODEC_SANITIZE=address -Cbuild-dir=build/asan

# The interpreter is not instrumented: the runtime comes first (libstdc++ too, so ASan sees C++ throws).
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $(gcc -print-file-name=libstdc++.so)"
export PYTHONPATH="$PWD/build/asan-site${PYTHONPATH:+:$PYTHONPATH}"
# detect_leaks=0: CPython's own allocations at exit are not ours (the fuzz targets run LeakSanitizer);
# allocator_may_return_null: the decompression-bomb tests ask for more than ASan allows and expect MemoryError.
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

core=$("$python" -c "import framecodec._core as c; print(c.__file__)")
case "$core" in
  "$PWD/build/asan-site/"*) ;;
  *) echo "sanitize.sh: framecodec._core comes from $core, not the ASan build (an editable install?)" >&2; exit 2 ;;
esac

# CI's selection (about 2 minutes): the whole suite but the benchmark smoke run (20 s of timing loops) and
# mypy/stubtest (no native code), and the RSS tests of test_load.py: ASan's quarantine keeps freed memory
# from being reused, so RSS says nothing about leaks under it (LeakSanitizer checks the fuzz targets).
# Each of those runs in the plain suite.
if [ $# -eq 0 ]; then
  # The remote tests exercise the network layer (Python, fsspec, servers on the loopback); its native parts, the
  # engine and the item walk, are the ones the other tests drive here.
  set -- tests --ignore=tests/test_typing.py --ignore=tests/test_benchmark_report.py --ignore=tests/test_remote.py \
    --ignore=tests/test_remote_http.py --ignore=tests/test_remote_servers.py -k "not rss"
fi
"$python" -m pytest -q -p no:cacheprovider "$@"
