#!/usr/bin/env bash
# build.sh — configures and builds both targets of the one C++ core:
#   build/native  g++: libraries + doctest suite (fast unit tests)
#   build/asan    g++ with AddressSanitizer + UBSan: the same suite
#   build/wasm    Emscripten: dist/ (every module, the inline copies) + the
#                 suite as wasm
#   runtime       the part of build/wasm that classifying in Node needs:
#                 dist/qwasm.* and dist/node/qwasm-mt.* (what `npm start` builds)
#   build/scalar  g++ without SIMD kernels (-DQWASM_SIMD=OFF): the suite on
#                 the reference kernel table alone
#   bash tools/build.sh [--quiet] [native|asan|wasm|scalar ...]
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
targets=()
for a in "$@"; do
  case "$a" in --quiet) quiet=1 ;; *) targets+=("$a") ;; esac
done
(( ${#targets[@]} )) || targets=(native asan wasm scalar)
jobs=$(nproc)
# emcc's JS optimizer needs Debian's acorn module.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
run() { if [[ $quiet == 1 ]]; then "$@" >/tmp/qwasm-build.log 2>&1 || { cat /tmp/qwasm-build.log; exit 1; }; else "$@"; fi; }

for t in "${targets[@]}"; do
  case "$t" in
    native) [[ -f build/native/CMakeCache.txt ]] || run cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release
            run cmake --build build/native -j"$jobs" ;;
    asan)   [[ -f build/asan/CMakeCache.txt ]] || run cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQWASM_SANITIZE=ON
            run cmake --build build/asan -j"$jobs" ;;
    wasm)   [[ -f build/wasm/CMakeCache.txt ]] || run emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release
            run cmake --build build/wasm -j"$jobs" ;;
    runtime) [[ -f build/wasm/CMakeCache.txt ]] || run emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release
            if [[ $quiet == 1 ]]; then run cmake --build build/wasm -j"$jobs" --target qwasm qwasm-mt-node
            else
              # One line per compiled file, so a first build shows it is moving.
              cmake --build build/wasm -j"$jobs" --target qwasm qwasm-mt-node 2>&1 \
                | { grep --line-buffered -E '^\[ *[0-9]+%\] (Building|Linking)' || true; } \
                | sed -u -E 's#^\[ *([0-9]+)%\] Building CXX object .*/src/(.*)\.o$#build: \1% \2#; s#^\[ *([0-9]+)%\] Linking CXX (executable|static library) (.*/)?(.*)$#build: \1% linking \4#'
            fi ;;
    scalar) [[ -f build/scalar/CMakeCache.txt ]] || run cmake -S . -B build/scalar -DCMAKE_BUILD_TYPE=Release -DQWASM_SIMD=OFF
            run cmake --build build/scalar -j"$jobs" --target qwasm_tests ;;
    *) echo "build: unknown target $t" >&2; exit 2 ;;
  esac
done
[[ $quiet == 1 || " ${targets[*]} " == *" runtime "* ]] || ls -l dist/
