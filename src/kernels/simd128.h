// simd128.h — WebAssembly SIMD128 intrinsics for the optimised kernels.
//
// In the wasm build (-msimd128) this is Emscripten/clang's wasm_simd128.h.
// Natively it is SIMDe's portable implementation of the same intrinsics
// (Debian libsimde-dev), so the very same kernel source also runs in the
// native test suite, under AddressSanitizer and UBSan.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define QWASM_HAVE_SIMD128 1
#elif defined(QWASM_SIMDE)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#define QWASM_HAVE_SIMD128 1
#else
#define QWASM_HAVE_SIMD128 0
#endif
