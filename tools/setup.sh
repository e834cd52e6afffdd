#!/usr/bin/env bash
# setup.sh — makes a fresh Debian machine ready: system packages (apt, as
# root), npm packages, then builds the native and WebAssembly targets.
# Idempotent and quick when everything is in place; `npm start` and
# `npm test` run it first.
#   bash tools/setup.sh [--quiet] [native|asan|wasm ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
targets=()
for a in "$@"; do
  case "$a" in --quiet) quiet=1 ;; *) targets+=("$a") ;; esac
done
say() { [[ $quiet == 1 ]] || echo "setup: $*"; }

# Debian packages: the Emscripten toolchain, CMake and doctest (the wasm
# build configures its test suite), clang-19 and lld-19 (the relaxed-SIMD
# side module, kernels/relaxed.h) for everything; for the tests also SIMDe
# (native SIMD kernel tests), Chromium (browser tests), a C++ compiler and
# Fashion-MNIST (tests of the default model) and clang-14's libFuzzer runtime
# (tools/fuzz.sh; clang-14 itself comes with emscripten). `runtime` (npm start) needs
# only the first group.
packages=(emscripten cmake make doctest-dev clang-19 lld-19)
[[ " ${targets[*]} " == " runtime " ]] || packages+=(libsimde-dev chromium g++ dataset-fashion-mnist libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "setup: installing ${missing[*]} (apt)"
  if [[ $(id -u) != 0 ]]; then
    echo "setup: need root for apt-get; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "setup: installed ${#missing[@]} packages"
fi

# npm packages, reinstalled when the lock file's contents changed (a hash
# stamp, not file dates: a fresh checkout or worktree is always newer).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.qwasm-lock-sha256 || $(cat node_modules/.qwasm-lock-sha256) != "$lock_hash" ]]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.qwasm-lock-sha256
fi

build_args=("${targets[@]}")
[[ $quiet == 1 ]] && build_args+=(--quiet)
if [[ " ${targets[*]} " == " runtime " && ! -f dist/qwasm.wasm ]]; then
  say "building the WebAssembly runtime (dist/qwasm, dist/node/qwasm-mt; a few minutes the first time)"
fi
bash tools/build.sh "${build_args[@]}"
