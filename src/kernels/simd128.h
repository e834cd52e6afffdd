// simd128.h — WebAssembly SIMD128 intrinsics for the optimised kernels
// (the *-wasmsimd.cc files, compiled only when the build has SIMD).
//
// In the wasm build (-msimd128) this is Emscripten/clang's wasm_simd128.h.
// Natively it is SIMDe's portable implementation of the same intrinsics
// (Debian libsimde-dev), so the very same kernel source also runs in the
// native test suite, under AddressSanitizer and UBSan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(QWASM_SIMDE)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#else
#error "SIMD kernels need -msimd128 (wasm) or SIMDe (native); build with -DQWASM_SIMD=OFF for the scalar table only"
#endif

// Loop pragmas, clang only (g++, for native SIMDe builds, has none):
// QWASM_LOOP_NO_UNROLL keeps a loop rolled where V8 would otherwise hoist
// an unrolled body's loads and spill (the kernels say where);
// QWASM_LOOP_SCALAR keeps an edge loop (a vector's tail, a few elements)
// scalar and rolled: vectorised and unrolled, each such loop costs hundreds
// of bytes of module for no speed.
#if defined(__clang__)
#define QWASM_LOOP_NO_UNROLL _Pragma("clang loop unroll(disable)")
#define QWASM_LOOP_SCALAR _Pragma("clang loop vectorize(disable) interleave(disable) unroll(disable)")
#else
#define QWASM_LOOP_NO_UNROLL
#define QWASM_LOOP_SCALAR
#endif

// A function that walks shapes rather than elements (once per call or per
// row), built for size and kept out of its callers: at -O3 its loops over a
// few axes get vectorised.
#if defined(__clang__)
#define QWASM_MINSIZE __attribute__((minsize, noinline))
#else
#define QWASM_MINSIZE
#endif

namespace qwasm {

// Vector edges shared by the kernels: a row or range rarely ends on a
// multiple of 16 bytes, and they never touch bytes outside their tensors.

// 16 bytes from p, of which only the first `readable` may be read (the rest
// of the vector is zero when readable < 16).
inline v128_t LoadI8x16Upto(const int8_t* p, size_t readable) {
  if (readable >= 16) return wasm_v128_load(p);
  alignas(16) int8_t tmp[16] = {};
  std::memcpy(tmp, p, readable);
  return wasm_v128_load(tmp);
}

// The first n <= 4 floats at p in the low lanes, the rest zero (n < 4
// reads only n).
inline v128_t LoadF32Lanes(const float* p, size_t n) {
  if (n >= 4) return wasm_v128_load(p);
  alignas(16) float tmp[4] = {};
  std::memcpy(tmp, p, n * sizeof(float));
  return wasm_v128_load(tmp);
}

// Stores the first n <= 4 lanes of v.
inline void StoreF32Lanes(float* p, v128_t v, size_t n) {
  if (n >= 4) {
    wasm_v128_store(p, v);
    return;
  }
  alignas(16) float tmp[4];
  wasm_v128_store(tmp, v);
  std::memcpy(p, tmp, n * sizeof(float));
}

// Stores the first n < 16 bytes of v.
inline void StoreI8x16Prefix(int8_t* p, v128_t v, size_t n) {
  if (n & 8) {
    wasm_v128_store64_lane(p, v, 0);
    v = wasm_i64x2_shuffle(v, v, 1, 1);
    p += 8;
  }
  if (n & 4) {
    wasm_v128_store32_lane(p, v, 0);
    v = wasm_u64x2_shr(v, 32);
    p += 4;
  }
  if (n & 2) {
    wasm_v128_store16_lane(p, v, 0);
    v = wasm_u32x4_shr(v, 16);
    p += 2;
  }
  if (n & 1) wasm_v128_store8_lane(p, v, 0);
}

}  // namespace qwasm
