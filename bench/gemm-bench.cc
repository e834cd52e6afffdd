// gemm-bench.cc — the int8 GEMM microkernel in GMAC/s on 1x1-convolution
// shapes, and in the same module the i32x4.dot_i16x8_s throughput ceiling
// it is judged against. Built by bench/CMakeLists.txt into
// build/wasm/bench/gemm-bench.{mjs,wasm}; driven by bench/gemm.mjs.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/config.h"
#include "kernels/simd128.h"

namespace {

// Calls body() for a warm-up (V8 tiers the code up), then until `seconds`
// have passed; returns calls per second.
template <typename F>
double CallsPerSecond(double seconds, F&& body) {
  const double warm_end = emscripten_get_now() + 200;
  while (emscripten_get_now() < warm_end) body();
  size_t calls = 0;
  const double t0 = emscripten_get_now();
  double t;
  do {
    body();
    ++calls;
  } while ((t = emscripten_get_now()) - t0 < seconds * 1000);
  return calls * 1000.0 / (t - t0);
}

template <typename T>
std::vector<T> Random(size_t n, int lo, int hi, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(d(rng));
  return v;
}

volatile int32_t g_sink;  // keeps the ceiling loop's result alive

}  // namespace

// GMAC/s of the default table's int8 GEMM (qs8_gemm_4x8c2__wasmsimd) on
// C[m][n] = A[m][k] * W[n][k]^T
// (requantization included), counting the m * k * n useful MACs.
extern "C" EMSCRIPTEN_KEEPALIVE double qwasm_bench_gemm(int m, int k, int n, double seconds) {
  using namespace qwasm;
  std::mt19937 rng(1234);
  // Rows of A may be read up to k_read bytes from their start: pad like the arena does.
  const std::vector<int8_t> a = Random<int8_t>(static_cast<size_t>(m) * k + 64, -128, 127, rng);
  const std::vector<int8_t> w = Random<int8_t>(static_cast<size_t>(n) * k, -127, 127, rng);
  const std::vector<int32_t> bias = Random<int32_t>(n, -5000, 5000, rng);
  const std::vector<float> scale(n, 1.0f / (64.0f * k));
  const QGemmKernel& gemm = DefaultKernels().qs8_gemm;
  const QGemmWeights packed = gemm.pack(n, k, w.data(), k, 0, bias.data(), scale.data(), -3);
  std::vector<int8_t> c(static_cast<size_t>(m) * n);
  std::vector<int16_t> scratch(gemm.scratch_bytes(packed) / 2 + 8);
  const QOutput out;
  const double per_second = CallsPerSecond(seconds, [&] {
    gemm.run(packed, out, m, a.data(), k, c.data(), n, 0, n, scratch.data());
  });
  return per_second * m * k * n / 1e9;
}

// The i32x4.dot_i16x8_s ceiling: what a GEMM inner loop can reach in this
// engine. 16-bit operands from L1, 8 independent accumulators, nothing but
// dot products and their accumulation: four "A" vectors stay in registers,
// two "W" vectors are loaded per 8 dots, as in a 4x8 tile minus its A
// broadcasts and requantization. Each repetition reads the next 256-byte
// block of a 2 KB ring, so no dot product is loop-invariant.
//
// Why not the loop behind ../shared/README.md's "≈ 43 GMAC/s" (DotHoisted
// below): it reads the same 256 bytes with the same A in every repetition,
// so all 64 of its dot products are loop-invariant. clang hoists 48 of them
// out of the loop here (all 64 in a standalone build: the loop is then
// nothing but adds), so it counts MACs it never computes. Its figure is
// printed next to the real one for comparison only.
//
// Not inlined: wasm has no on-stack replacement, so only a function that is
// called again and again runs V8's optimised code.
namespace {

constexpr int kGroups = 8, kBlocks = 8, kReps = 8192;  // one call: 512 Ki dots, ~0.1-0.2 ms

#define QWASM_DOT_GROUP(w)                                                 \
  do {                                                                     \
    const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load((w) + 1);     \
    acc[0] = wasm_i32x4_add(acc[0], wasm_i32x4_dot_i16x8(a0, w0));         \
    acc[1] = wasm_i32x4_add(acc[1], wasm_i32x4_dot_i16x8(a0, w1));         \
    acc[2] = wasm_i32x4_add(acc[2], wasm_i32x4_dot_i16x8(a1, w0));         \
    acc[3] = wasm_i32x4_add(acc[3], wasm_i32x4_dot_i16x8(a1, w1));         \
    acc[4] = wasm_i32x4_add(acc[4], wasm_i32x4_dot_i16x8(a2, w0));         \
    acc[5] = wasm_i32x4_add(acc[5], wasm_i32x4_dot_i16x8(a2, w1));         \
    acc[6] = wasm_i32x4_add(acc[6], wasm_i32x4_dot_i16x8(a3, w0));         \
    acc[7] = wasm_i32x4_add(acc[7], wasm_i32x4_dot_i16x8(a3, w1));         \
  } while (0)

int32_t Sum(const v128_t (&acc)[8]) {
  v128_t sum = acc[0];
  for (int i = 1; i < 8; ++i) sum = wasm_i32x4_add(sum, acc[i]);
  return wasm_i32x4_extract_lane(sum, 0);
}

// `v`: kBlocks blocks of 2 * kGroups vectors; `a`: 4 vectors. Two loop
// shapes, because V8's code for them differs: one group per iteration, or
// two. (Unrolled further, V8 hoists every load to the top and spills.)
__attribute__((noinline)) int32_t DotStream1(const v128_t* v, const v128_t* a) {
  v128_t acc[8];
  for (v128_t& x : acc) x = wasm_i32x4_const_splat(0);
  const v128_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int r = 0; r < kReps; ++r) {
    const v128_t* w = v + (r & (kBlocks - 1)) * 2 * kGroups;
#pragma clang loop unroll(disable)
    for (int u = 0; u < kGroups; ++u) QWASM_DOT_GROUP(w + 2 * u);
  }
  return Sum(acc);
}

__attribute__((noinline)) int32_t DotStream2(const v128_t* v, const v128_t* a) {
  v128_t acc[8];
  for (v128_t& x : acc) x = wasm_i32x4_const_splat(0);
  const v128_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int r = 0; r < kReps; ++r) {
    const v128_t* w = v + (r & (kBlocks - 1)) * 2 * kGroups;
#pragma clang loop unroll(disable)
    for (int u = 0; u < kGroups; u += 2) {
      QWASM_DOT_GROUP(w + 2 * u);
      QWASM_DOT_GROUP(w + 2 * u + 2);
    }
  }
  return Sum(acc);
}

// The README's loop: the same 256 bytes and A every repetition (see above).
__attribute__((noinline)) int32_t DotHoisted(const v128_t* v, const v128_t* a) {
  v128_t acc[8];
  for (v128_t& x : acc) x = wasm_i32x4_const_splat(0);
  const v128_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int r = 0; r < kReps; ++r) {
#pragma clang loop unroll(full)
    for (int u = 0; u < kGroups; ++u) QWASM_DOT_GROUP(v + 2 * u);
  }
  return Sum(acc);
}

#undef QWASM_DOT_GROUP

}  // namespace

// GMAC/s of the dot_i16x8 ceiling (kind 0: the better of the two streaming
// loops) or of the README's hoisted loop (kind 1), counting 8 MACs per dot.
extern "C" EMSCRIPTEN_KEEPALIVE double qwasm_bench_dot_ceiling(double seconds, int kind) {
  std::mt19937 rng(5678);
  const std::vector<int16_t> w = Random<int16_t>(kBlocks * kGroups * 2 * 8, -255, 255, rng);
  const std::vector<int16_t> a = Random<int16_t>(4 * 8, -128, 127, rng);
  const v128_t* vw = reinterpret_cast<const v128_t*>(w.data());
  const v128_t* va = reinterpret_cast<const v128_t*>(a.data());
  double per_second;
  if (kind == 1) {
    per_second = CallsPerSecond(seconds, [&] { g_sink = DotHoisted(vw, va); });
  } else {
    per_second = std::max(CallsPerSecond(seconds / 2, [&] { g_sink = DotStream1(vw, va); }),
                          CallsPerSecond(seconds / 2, [&] { g_sink = DotStream2(vw, va); }));
  }
  return per_second * kReps * kGroups * 8 * 8 / 1e9;
}
