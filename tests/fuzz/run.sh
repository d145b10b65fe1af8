#!/usr/bin/env bash
# Coverage-guided fuzzing of the C++ core: builds the targets of cpp/fuzz/ with libFuzzer, ASan and UBSan,
# makes the seed corpora (tests/fuzz/make_corpus.py), replays tests/fuzz/regressions/<target>/ (every input
# that ever crashed must pass), fuzzes each target for SECONDS, then runs each target once over its whole
# corpus under LeakSanitizer. Exits non-zero on any crash, hang, sanitizer report, leak or failed check;
# the input that did it is saved in $FUZZ_BUILD/artifacts/.
#
#   tests/fuzz/run.sh 10                      # CI: 10 s per target
#   tests/fuzz/run.sh 1800 inflate rle        # a long run of some targets (see CONTRIBUTING.md)
#   tests/fuzz/run.sh --build-only            # only the build (CI starts it early, beside other work)
#
# Environment: CXX_FUZZ (default clang++, else clang++-NN), PYTHON (one that imports framecodec, for the
# seeds; default python), FUZZ_BUILD (default build/fuzz), FUZZ_JOBS (targets run at once, default 2).
# The corpora in $FUZZ_BUILD/corpus/ are kept between runs, so each run starts where the last one ended.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build_only=0
[ "${1:-}" != --build-only ] || { build_only=1; shift; }
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(inflate bits rle encaps locate tile_positions batch jpeg j2k htj2k jpegls writer)
build=${FUZZ_BUILD:-$root/build/fuzz}
python=${PYTHON:-python}
jobs=${FUZZ_JOBS:-2}

# The first clang++ that links a libFuzzer target: clang without its runtime package (libclang-rt-NN-dev) cannot.
cxx=${CXX_FUZZ:-}
if [ -z "$cxx" ]; then
  probe=$(mktemp -d)
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/t.cpp"
  for c in clang++ clang++-19 clang++-16 clang++-14; do
    command -v "$c" >/dev/null && "$c" -fsanitize=fuzzer,address "$probe/t.cpp" -o "$probe/t" 2>/dev/null && { cxx=$c; break; }
  done
  rm -rf "$probe"
fi
[ -n "$cxx" ] || { echo "run.sh: no clang++ with libFuzzer (apt-get install clang-16 libclang-rt-16-dev)" >&2; exit 2; }

cmake -S cpp/fuzz -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DFUZZ_ENGINE=libfuzzer >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null
[ "$build_only" -eq 0 ] || exit 0
"$python" tests/fuzz/make_corpus.py "$build/seeds" >/dev/null
mkdir -p "$build/artifacts" "$build/logs"

# detect_leaks during fuzzing too; allocator_may_return_null: a huge allocation is the code's own error path.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fuzz_one() {  # target seconds: replay the regressions, fuzz, replay the corpus; prints one summary line
  local t=$1 s=$2 bin="$build/fuzz_$1" log="$build/logs/$1.log" corpus="$build/corpus/$1"
  mkdir -p "$corpus"
  : >"$log"
  local reg="$root/tests/fuzz/regressions/$t"
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    "$bin" -runs=0 "$reg"/* >>"$log" 2>&1 || { echo "$t: a regression input fails again (see $log)"; return 1; }
  fi
  # -timeout: an input that takes over 10 s is a hang; -max_len: the seeds are small, the findings too.
  # The CPU time it got (user + system) is measured: -max_total_time is wall time, on a shared machine less.
  local status=0 TIMEFORMAT='%U %S'
  { time "$bin" -max_total_time="$s" -timeout=10 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" "$corpus" "$build/seeds/$t" >>"$log" 2>&1; } 2>"$log.cpu" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$t: FAILED (input in $build/artifacts/, log $log)"
    grep -E "ERROR|SUMMARY|fuzz check failed|Test unit written" "$log" | head -5
    return 1
  fi
  local cov ft execs
  cov=$(grep -Eo "cov: [0-9]+" "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -Eo "ft: [0-9]+" "$log" | tail -1 | cut -d' ' -f2)
  execs=$(grep -Eo "stat::number_of_executed_units: [0-9]+" "$log" | cut -d' ' -f2)
  # Every input of the corpus once more, with LeakSanitizer's check at exit.
  "$bin" -runs=0 "$corpus" >>"$log" 2>&1 || { echo "$t: the corpus replay failed (leak?) (see $log)"; return 1; }
  printf "%-16s %5ss wall %7.1fs CPU %10s execs  cov: %-6s ft: %-6s corpus: %s inputs\n" "$t" "$s" \
    "$(awk '{print $1 + $2}' "$log.cpu")" "$execs" "$cov" "$ft" "$(ls "$corpus" | wc -l)"
}
export -f fuzz_one
export build root

echo "fuzzing ${#targets[@]} targets for ${seconds}s each, $jobs at a time ($cxx, ASan+UBSan+LSan)"
printf "%s\n" "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'fuzz_one "$@"' _ {} "$seconds"
