// f32-binary-wasmsimd.h — float ADD and MUL with b broadcast over a's
// leading dims, WebAssembly SIMD128: runs of b (all of b, or a splat of one
// value) against a, the same single rounded operation per element as the
// references. One template, instantiated by f32-add-wasmsimd.cc and
// f32-mul-wasmsimd.cc.
#pragma once

#include "kernels/params.h"
#include "kernels/simd128.h"

namespace qwasm {

struct F32AddOp {
  static v128_t Vec(v128_t a, v128_t b) { return wasm_f32x4_add(a, b); }
  static float One(float a, float b) { return a + b; }
};
struct F32MulOp {
  static v128_t Vec(v128_t a, v128_t b) { return wasm_f32x4_mul(a, b); }
  static float One(float a, float b) { return a * b; }
};

template <typename Op>
inline void F32BinaryWasmsimd(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
            float* out) {
  const v128_t lo = wasm_f32x4_splat(p.output.min), hi = wasm_f32x4_splat(p.output.max);
  auto clamp = [&](v128_t v) { return wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi); };
  size_t i = begin;
  if (p.b_size == 1) {
    const v128_t vb = wasm_f32x4_splat(b[0]);
    for (; i + 4 <= end; i += 4) wasm_v128_store(out + i, clamp(Op::Vec(wasm_v128_load(a + i), vb)));
    for (; i < end; ++i) out[i] = p.output.Apply(Op::One(a[i], b[0]));
    return;
  }
  size_t j = begin % p.b_size;
  while (i < end) {
    const size_t run = end - i < p.b_size - j ? end - i : p.b_size - j;
    size_t r = 0;
    for (; r + 4 <= run; r += 4) {
      wasm_v128_store(out + i + r, clamp(Op::Vec(wasm_v128_load(a + i + r), wasm_v128_load(b + j + r))));
    }
    for (; r < run; ++r) out[i + r] = p.output.Apply(Op::One(a[i + r], b[j + r]));
    i += run;
    j = 0;
  }
}

}  // namespace qwasm
