#!/usr/bin/env bash
# test.sh — the whole test suite (what `npm test` and CI run):
#   1. C++ doctest suite, native         (quantization math, kernels, import)
#   2. the same suite under ASan + UBSan (memory safety on hostile files)
#   3. the same suite without SIMD kernels (the reference kernel table only)
#   4. the same suite compiled to wasm, run by Node
#   5. Node API tests                    (tests/node)
#   6. TypeScript check of the public .d.ts
#   7. browser end-to-end tests          (tests/e2e, Debian Chromium)
#   8. a short fuzzing run: each libFuzzer target 25 s (tools/fuzz.sh, clang-14)
# `npm run test:quick` (tools/test-quick.sh) runs 1, 5 and 6 only, for the
# edit-compile loop.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo; echo "=== $* ==="; }
start=$(date +%s)

step "doctest (native)";        build/native/qwasm_tests --no-intro
step "doctest (ASan + UBSan)";  ASAN_OPTIONS=detect_leaks=1 build/asan/qwasm_tests --no-intro
step "doctest (no SIMD: reference kernels)"; build/scalar/qwasm_tests --no-intro
step "doctest (wasm, Node)";    node build/wasm/qwasm_tests.cjs --no-intro --no-colors
step "node API tests";          node --test tests/node/
step "TypeScript declarations"; npx --no-install tsc -p tests/types --noEmit
step "TypeScript declarations without the DOM lib"; npx --no-install tsc -p tests/types/tsconfig.node.json --noEmit
step "browser tests (Chromium)"; node --test tests/e2e/
step "fuzzing (25 s per target)"; tools/fuzz.sh --seconds 25

echo; echo "all tests passed in $(( $(date +%s) - start )) s"
