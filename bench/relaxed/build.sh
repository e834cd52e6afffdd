#!/usr/bin/env bash
# build.sh — builds build/relaxed/relaxed-bench.wasm with Debian's clang-19 /
# wasm-ld-19 (apt: clang-19 lld-19): Emscripten 3.1.6's clang 14 cannot
# emit the standard relaxed-SIMD opcodes.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/relaxed
clang-19 --target=wasm32 -nostdlib -O3 -msimd128 -mrelaxed-simd -c bench/relaxed/relaxed-bench.c -o build/relaxed/relaxed-bench.o
wasm-ld-19 --no-entry --export-memory -o build/relaxed/relaxed-bench.wasm build/relaxed/relaxed-bench.o
echo build/relaxed/relaxed-bench.wasm
