#!/usr/bin/env bash
# test-quick.sh — the fast tier for the edit-compile loop (`npm run
# test:quick`), on a machine `npm start` or `npm test` has set up. It builds
# only what it runs:
#   build/native  the doctest suite (no ASan build, no wasm doctest);
#   dist/         the three wasm modules tests/node loads: qwasm (threads: 1),
#                 qwasm-mt (Node's default thread count) and qwasm-tools
#                 (convert, quantize, ONNX),
# then runs
#   1. C++ doctest suite, native
#   2. Node API tests (tests/node; web/index.d.ts against the runtime too)
#   3. TypeScript check of the public .d.ts (a few seconds)
# and says what it ran and how long each step took. No sanitizers, no wasm
# doctest, no Chromium: `npm test` (tools/test.sh) is the full gate.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}  # emcc's JS optimizer needs Debian's acorn
jobs=$(nproc)
start=$(date +%s)
ran=()
# step NAME COMMAND...: runs it, timed; stops at the first failure.
step() {
  local name=$1 t0
  shift
  echo; echo "=== $name ==="
  t0=$(date +%s)
  "$@"
  ran+=("$(printf '%4d s  %s' $(( $(date +%s) - t0 )) "$name")")
}
log=build/test-quick.log  # this checkout's: worktrees may run at once
mkdir -p build
quiet() { "$@" >"$log" 2>&1 || { cat "$log"; return 1; }; }

build_native() {
  [[ -f build/native/CMakeCache.txt ]] || quiet cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release
  quiet cmake --build build/native -j"$jobs" --target qwasm_tests
}
build_wasm() {
  [[ -f build/wasm/CMakeCache.txt ]] || quiet emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release
  quiet cmake --build build/wasm -j"$jobs" --target qwasm qwasm-mt qwasm-tools
}

step "build native doctest suite (build/native)" build_native
step "build wasm modules (dist/qwasm, qwasm-mt, qwasm-tools)" build_wasm
step "doctest (native)" build/native/qwasm_tests --no-intro
step "node API tests (tests/node)" node --test tests/node/
step "TypeScript declarations" npx --no-install tsc -p tests/types --noEmit
step "TypeScript declarations without the DOM lib" npx --no-install tsc -p tests/types/tsconfig.node.json --noEmit

echo
echo "quick tier passed in $(( $(date +%s) - start )) s:"
printf '%s\n' "${ran[@]}"
echo "not run here: ASan/UBSan and wasm doctest suites, Chromium tests (npm test)"
