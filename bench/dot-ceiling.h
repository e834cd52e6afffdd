// dot-ceiling.h — the streaming loops of the GEMM microbenchmark's dot
// product ceilings, one template for both instructions, so the dot_i16x8
// ceiling (gemm-bench.cc, Emscripten's clang) and the relaxed-dot one
// (relaxed-ceiling-wasmrelaxed.cc, clang-19 in a side module) are measured
// the same way:
//
// 8 independent accumulators, nothing but dot products and their
// accumulation: four "A" vectors stay in registers, two "W" vectors are
// loaded per 8 dots, as in a 4x8 tile minus its A broadcasts and
// requantization. Each repetition reads the next 256-byte block of a 2 KB
// ring (kBlocks blocks of 2 * kGroups vectors), so no dot product is
// loop-invariant. Two loop shapes, because V8's code for them differs: one
// group of 8 dots per iteration, or two (unrolled further, V8 hoists every
// load to the top and spills); the caller keeps the better.
//
// `Dot` has `static v128_t Add(v128_t acc, v128_t a, v128_t w)`: acc plus
// the dot products of A vector a with W vector w. The caller wraps each
// loop in a function that is not inlined (gemm-bench.cc) or exported (the
// side module): wasm has no on-stack replacement, so only a function that
// is called again and again runs V8's optimised code.
#pragma once

#include <stdint.h>
#include <wasm_simd128.h>

namespace qwasm_bench {

constexpr int kGroups = 8, kBlocks = 8, kReps = 8192;  // one call: 512 Ki dots, ~0.1-0.2 ms
constexpr int kRingBytes = kBlocks * kGroups * 2 * 16;
constexpr int kDotsPerCall = kReps * kGroups * 8;

template <typename Dot>
__attribute__((always_inline)) inline void DotGroup(v128_t (&acc)[8], v128_t a0, v128_t a1, v128_t a2, v128_t a3,
                                                    const v128_t* w) {
  const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 1);
  acc[0] = Dot::Add(acc[0], a0, w0);
  acc[1] = Dot::Add(acc[1], a0, w1);
  acc[2] = Dot::Add(acc[2], a1, w0);
  acc[3] = Dot::Add(acc[3], a1, w1);
  acc[4] = Dot::Add(acc[4], a2, w0);
  acc[5] = Dot::Add(acc[5], a2, w1);
  acc[6] = Dot::Add(acc[6], a3, w0);
  acc[7] = Dot::Add(acc[7], a3, w1);
}

__attribute__((always_inline)) inline int32_t DotSum(const v128_t (&acc)[8]) {
  v128_t sum = acc[0];
  for (int i = 1; i < 8; ++i) sum = wasm_i32x4_add(sum, acc[i]);
  return wasm_i32x4_extract_lane(sum, 0);
}

// `v`: the ring; `a`: 4 vectors.
template <typename Dot>
__attribute__((always_inline)) inline int32_t DotStream1(const v128_t* v, const v128_t* a) {
  v128_t acc[8];
  for (v128_t& x : acc) x = wasm_i32x4_const_splat(0);
  const v128_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int r = 0; r < kReps; ++r) {
    const v128_t* w = v + (r & (kBlocks - 1)) * 2 * kGroups;
#pragma clang loop unroll(disable)
    for (int u = 0; u < kGroups; ++u) DotGroup<Dot>(acc, a0, a1, a2, a3, w + 2 * u);
  }
  return DotSum(acc);
}

template <typename Dot>
__attribute__((always_inline)) inline int32_t DotStream2(const v128_t* v, const v128_t* a) {
  v128_t acc[8];
  for (v128_t& x : acc) x = wasm_i32x4_const_splat(0);
  const v128_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int r = 0; r < kReps; ++r) {
    const v128_t* w = v + (r & (kBlocks - 1)) * 2 * kGroups;
#pragma clang loop unroll(disable)
    for (int u = 0; u < kGroups; u += 2) {
      DotGroup<Dot>(acc, a0, a1, a2, a3, w + 2 * u);
      DotGroup<Dot>(acc, a0, a1, a2, a3, w + 2 * u + 2);
    }
  }
  return DotSum(acc);
}

}  // namespace qwasm_bench
