#!/usr/bin/env bash
# The extension built with AddressSanitizer and UBSan (GCC), and the unit tests run against it: every byte the
# kernels, the walks and the batch engine touch while the suite runs is checked, and UB aborts.
#
#   tests/sanitize.sh                  # CI's selection (below), about 2 minutes on 2 cores
#   tests/sanitize.sh tests            # the whole suite
#   tests/sanitize.sh --build-only     # only the build (CI starts it early, beside other work)
#
# Needs a Python with framecodec's test dependencies and scikit-build-core and pybind11 (PYTHON, default
# python) and a non-editable framecodec or none: the ASan build goes to build/asan-site, first on PYTHONPATH
# (an editable install's import hook would shadow it; the script checks).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}

"$python" -m pip install -q --no-deps --no-build-isolation --upgrade --target build/asan-site . \
  -Ccmake.define.FRAMECODEC_SANITIZE=address -Cbuild-dir=build/asan
[ "${1:-}" != --build-only ] || exit 0

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

# CI's selection: the test files that drive the native core in this process (kernels, walks, engine, writer,
# readers, the pydicom plugins), two pytest-xdist workers. Left out, each run in the plain suite:
# - no native code: test_typing.py (mypy, stubtest), test_package.py, test_references.py (the references never
#   reach framecodec), test_pydicom_compat.py (pydicom's internals), test_benchmark_report.py (the benchmark
#   smoke run: timing loops, a CI step of its own);
# - no native path the kept files do not drive themselves: the network layer (test_remote*.py: Python, fsspec,
#   servers on the loopback; its native parts are the engine and the item walk), the dask cluster's worker
#   processes (test_dask.py: pixel_array and read_region in workers), the command line and README's examples in
#   subprocesses (test_cli_*.py, test_transcode_cli.py, test_demo.py, test_readme.py: the library calls test_transcode_*.py, test_pixel_array_*.py
#   and test_locate.py make in process), DCMTK's and GDCM's tools (test_rle_interop.py, test_encaps_files.py:
#   their frames' native side is test_rle_*.py's and test_encaps_scan_*.py's), and the benchmark data generators
#   (test_generators.py, test_slides.py: writing through compress and encapsulate, tested in test_compress.py
#   and test_encaps_write.py);
# - the RSS tests of test_load.py: ASan's quarantine keeps freed memory from being reused, so RSS says nothing
#   about leaks under it (LeakSanitizer checks the fuzz targets).
if [ $# -eq 0 ]; then
  set -- tests -k "not rss" -n 2
  for f in typing package references pydicom_compat benchmark_report remote remote_http remote_servers dask \
    cli_usage cli_info cli_decode cli_transcode cli_progress transcode_cli demo readme rle_interop encaps_files \
    generators slides; do
    [ -f "tests/test_$f.py" ] || { echo "sanitize.sh: tests/test_$f.py is gone: update the selection" >&2; exit 2; }
    set -- "$@" --ignore="tests/test_$f.py"
  done
fi
"$python" -m pytest -q -p no:cacheprovider "$@"
