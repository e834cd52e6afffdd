#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer targets (tests/fuzz, CMake QWASM_FUZZ with
# clang-14, in build/fuzz) and runs each for a while:
#   tools/fuzz.sh [MINUTES] [TARGET...]       # default 10 minutes, all targets
#   tools/fuzz.sh --seconds N [TARGET...]     # N seconds each (CI: 25)
# Targets: tflite onnx qwm preprocess. Corpora live in build/fuzz/corpus/<target>
# (seeded by tools/fuzz/seeds.mjs and build/fuzz/fuzz_tflite_seeds, kept and
# grown between runs); crashes go to build/fuzz/artifacts/<target>/. Prints,
# per target: executions, exec/s, coverage (cov, ft) and crashes. Exits
# non-zero if any target crashed, leaked, timed out or ran out of memory.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
if [[ "${1:-}" == "--seconds" ]]; then seconds=$2; shift 2
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$(( $1 * 60 )); shift; fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(tflite onnx qwm preprocess)

mkdir -p build
# Several fuzz.sh may run at once (one per core, different targets): one
# configures, builds and writes seeds at a time.
exec 9> build/fuzz.lock
flock 9
CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S . -B build/fuzz -DQWASM_FUZZ=ON -DQWASM_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > build/fuzz-configure.log
cmake --build build/fuzz -j"${JOBS:-2}" --target fuzz_tflite_seeds $(printf 'fuzz_%s ' "${targets[@]}") | grep -v '^\[' || true

node tools/fuzz/seeds.mjs build/fuzz/seeds > /dev/null
mkdir -p build/fuzz/seeds/tflite && build/fuzz/fuzz_tflite_seeds build/fuzz/seeds/tflite
flock -u 9

max_len() {  # bytes: models a little larger than their seeds, pixels bounded by the harness
  case $1 in tflite) echo 16384 ;; onnx) echo 16384 ;; qwm) echo 65536 ;; preprocess) echo 4096 ;; esac
}

failed=0
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t artifacts=build/fuzz/artifacts/$t log=build/fuzz/$t.log
  mkdir -p "$corpus" "$artifacts"
  start=$(date +%s)
  touch build/fuzz/.stamp-"$t"
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    build/fuzz/fuzz_"$t" "$corpus" build/fuzz/seeds/"$t" -dict=tests/fuzz/"$t".dict \
    -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$artifacts"/ > "$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' <<< "$last" | grep -o '[0-9]*' || echo ?)
  ft=$(grep -o 'ft: [0-9]*' <<< "$last" | grep -o '[0-9]*' || echo ?)
  crashes=$(find "$artifacts" -type f -newer build/fuzz/.stamp-"$t" | wc -l)
  printf '%-11s %9s runs %7s exec/s  cov %5s  ft %6s  %4ss  crashes %s\n' \
    "$t" "$runs" "$speed" "$cov" "$ft" "$(( $(date +%s) - start ))" "$crashes"
  if [[ $rc -ne 0 || $crashes -ne 0 ]]; then
    failed=1
    echo "  fuzz_$t failed (exit $rc); log: $log, inputs: $artifacts/" >&2
    grep -m3 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" | sed 's/^/  /' >&2 || true
  fi
done
exit $failed
