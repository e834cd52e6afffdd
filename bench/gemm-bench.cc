// gemm-bench.cc — the int8 GEMM microkernels in GMAC/s on convolution
// shapes, each against the throughput ceiling of its dot instruction,
// measured in the same module and run:
//   SIMD128  qs8_gemm_4x8c2__wasmsimd (SimdKernels())   vs the i32x4.dot_i16x8_s ceiling
//   relaxed  qs8_gemm_4x8c4__wasmrelaxed, the product's   vs the relaxed-dot ceiling
//            relaxed table (RelaxedKernels()), installed
//            at start by bindings/relaxed_loader.cc
//            where the engine validates the side module
//            and the self-test passes
// Both ceilings run dot-ceiling.h's loops. The relaxed one lives in a side
// module of this benchmark alone (relaxed-ceiling-wasmrelaxed.cc, clang-19:
// Emscripten 3.1.6 cannot emit relaxed opcodes), which this file
// instantiates as relaxed_loader.cc does the product's: its two loops go
// into function-table slots and are called through them.
// Built by bench/CMakeLists.txt into build/wasm/bench/gemm-bench.{mjs,wasm};
// driven by bench/gemm.mjs.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "dot-ceiling.h"
#include "kernels/config.h"
#include "kernels/relaxed.h"
#include "kernels/simd128.h"

// The product's relaxed side module (linked in with relaxed_loader.cc) and
// this benchmark's ceiling module (embed-bytes.mjs).
extern "C" const unsigned char qwasm_relaxed_module[];
extern "C" const unsigned int qwasm_relaxed_module_size;
extern "C" const unsigned char qwasm_bench_ceiling_module[];
extern "C" const unsigned int qwasm_bench_ceiling_module_size;

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

template <typename T>
T* Align64(std::vector<T>& v) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
  return reinterpret_cast<T*>((p + 63) / 64 * 64);
}

volatile int32_t g_sink;  // keeps the ceiling loops' results alive
uint32_t g_checksum;      // of the last GEMM's output

uint32_t Fnv1a(const std::vector<int8_t>& bytes) {
  uint32_t h = 2166136261u;
  for (int8_t b : bytes) h = (h ^ static_cast<uint8_t>(b)) * 16777619u;
  return h;
}

}  // namespace

// GMAC/s of one table's int8 GEMM on C[m][n] = A[m][k] * W[n][k]^T
// (requantization included), counting the m * k * n useful MACs: kernel 0
// the SIMD128 table's, 1 the installed relaxed table's (-1: none installed;
// qwasm_bench_relaxed_table says why). im2col: rows of A are k_read bytes
// apart, the bytes past k zeroed, as GemmOp::Run lays out im2col rows;
// otherwise k apart (a 1x1 convolution reading its input tensor). Both
// kernels get the same A and W; qwasm_bench_checksum() then returns a hash
// of C, the same for both (each equals the reference byte for byte).
extern "C" EMSCRIPTEN_KEEPALIVE double qwasm_bench_gemm(int kernel, int m, int k, int n, int im2col, double seconds) {
  using namespace qwasm;
  const KernelConfig* table = kernel == 1 ? RelaxedKernels() : SimdKernels();
  g_checksum = 0;
  if (!table) return -1;
  const QGemmKernel& gemm = table->qs8_gemm;
  std::mt19937 rng(1234);
  const std::vector<int8_t> rows = Random<int8_t>(static_cast<size_t>(m) * k, -128, 127, rng);
  const std::vector<int8_t> w = Random<int8_t>(static_cast<size_t>(n) * k, -127, 127, rng);
  const std::vector<int32_t> bias = Random<int32_t>(n, -5000, 5000, rng);
  const std::vector<float> scale(n, 1.0f / (64.0f * k));
  const QGemmWeights packed = gemm.pack(n, k, w.data(), k, 0, bias.data(), scale.data(), -3);
  const size_t a_stride = im2col ? static_cast<size_t>(packed.k_read) : static_cast<size_t>(k);
  // Rows may be read up to k_read bytes from their start: pad like the arena does.
  std::vector<int8_t> a(m * a_stride + 64 + 64, 0);
  int8_t* a0 = Align64(a);
  for (int r = 0; r < m; ++r) std::copy_n(rows.data() + static_cast<size_t>(r) * k, k, a0 + r * a_stride);
  std::vector<int8_t> c(static_cast<size_t>(m) * n);
  std::vector<uint8_t> scratch(gemm.scratch_bytes(packed) + 64);
  void* scratch0 = Align64(scratch);
  const QOutput out;
  const double per_second = CallsPerSecond(seconds, [&] {
    gemm.run(packed, out, m, a0, a_stride, c.data(), n, 0, n, scratch0);
  });
  g_checksum = Fnv1a(c);
  return per_second * m * k * n / 1e9;
}

extern "C" EMSCRIPTEN_KEEPALIVE double qwasm_bench_checksum() { return g_checksum; }

// ---- relaxed SIMD: why the relaxed GEMM runs or not ---------------------------

// A second instance of the product's relaxed side module (the product's
// own keeps its probe's result to itself): its probe's bits
// (kernels/probe/relaxed-probe-wasmrelaxed.cc), or -1 where
// WebAssembly.validate refuses the module (no relaxed SIMD), -2 on an error.
EM_JS(int, qwasm_bench_probe_module, (const unsigned char* bytes, unsigned int size), {
  try {
    var b = HEAPU8.slice(bytes, bytes + size);
    if (!WebAssembly.validate(b)) return -1;
    var side = new WebAssembly.Instance(new WebAssembly.Module(b), { env: { memory: wasmMemory } });
    return side.exports.relaxed_probe__wasmrelaxed(-128);
  } catch (e) {
    console.warn('gemm-bench: the relaxed side module did not start: ' + e);
    return -2;
  }
});

extern "C" EMSCRIPTEN_KEEPALIVE int qwasm_bench_relaxed_probe() {
  return qwasm_bench_probe_module(qwasm_relaxed_module, qwasm_relaxed_module_size);
}

// The installed relaxed table: 1 where the engine reads the dot's second
// operand unsigned (A flipped), 2 signed; 0 none: the probe found no usable
// reading, or it did (bit 2 and bit 0 or 1) and the self-test failed.
extern "C" EMSCRIPTEN_KEEPALIVE int qwasm_bench_relaxed_table() {
  const qwasm::KernelConfig* t = qwasm::RelaxedKernels();
  if (!t) return 0;
  return t->qs8_gemm.pack == qwasm::qs8_gemm_4x8c4_pack_signed ? 2 : 1;
}

// ---- ceilings -----------------------------------------------------------------
namespace {

using qwasm_bench::kDotsPerCall;
using qwasm_bench::kGroups;
using qwasm_bench::kReps;

struct DotI16 {
  static v128_t Add(v128_t acc, v128_t a, v128_t w) { return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(a, w)); }
};

// The dot_i16x8 ceiling (dot-ceiling.h): 16-bit operands from L1. Not
// inlined: wasm has no on-stack replacement, so only a function that is
// called again and again runs V8's optimised code.
__attribute__((noinline)) int32_t DotStream1(const v128_t* v, const v128_t* a) {
  return qwasm_bench::DotStream1<DotI16>(v, a);
}

__attribute__((noinline)) int32_t DotStream2(const v128_t* v, const v128_t* a) {
  return qwasm_bench::DotStream2<DotI16>(v, a);
}

// Why not the loop behind ../shared/README.md's "≈ 43 GMAC/s": it reads the
// same 256 bytes with the same A in every repetition, so all 64 of its dot
// products are loop-invariant. clang hoists 48 of them out of the loop here
// (all 64 in a standalone build: the loop is then nothing but adds), so it
// counts MACs it never computes. Its figure is printed next to the real one
// for comparison only.
__attribute__((noinline)) int32_t DotHoisted(const v128_t* v, const v128_t* a) {
  v128_t acc[8];
  for (v128_t& x : acc) x = wasm_i32x4_const_splat(0);
  const v128_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  for (int r = 0; r < kReps; ++r) {
#pragma clang loop unroll(full)
    for (int u = 0; u < kGroups; ++u) qwasm_bench::DotGroup<DotI16>(acc, a0, a1, a2, a3, v + 2 * u);
  }
  return qwasm_bench::DotSum(acc);
}

// The relaxed-dot ceiling's loops: slots of the function table, replaced by
// the ceiling module's exports (never run unreplaced). Different bodies, so
// no optimiser merges them into one slot; volatile pointers, so calls go
// through the table.
using CeilingFn = int32_t (*)(const v128_t* v, const v128_t* a);
extern "C" int32_t qwasm_bench_relaxed_stream1_slot(const v128_t*, const v128_t*) {
  g_sink = 1;
  std::abort();
}
extern "C" int32_t qwasm_bench_relaxed_stream2_slot(const v128_t*, const v128_t*) {
  g_sink = 2;
  std::abort();
}
CeilingFn volatile g_relaxed_stream1 = qwasm_bench_relaxed_stream1_slot;
CeilingFn volatile g_relaxed_stream2 = qwasm_bench_relaxed_stream2_slot;

// Instantiates the ceiling module on this module's memory and puts its
// loops into the slots; returns 0, or -1 where WebAssembly.validate refuses
// it (no relaxed SIMD), -2 on an error.
EM_JS(int, qwasm_bench_instantiate_ceiling, (const unsigned char* bytes, unsigned int size, CeilingFn slot1,
                                              CeilingFn slot2), {
  try {
    var b = HEAPU8.slice(bytes, bytes + size);
    if (!WebAssembly.validate(b)) return -1;
    var side = new WebAssembly.Instance(new WebAssembly.Module(b), { env: { memory: wasmMemory } });
    wasmTable.set(slot1, side.exports.qwasm_bench_relaxed_stream1);
    wasmTable.set(slot2, side.exports.qwasm_bench_relaxed_stream2);
    return 0;
  } catch (e) {
    console.warn('gemm-bench: the relaxed-dot ceiling module did not start: ' + e);
    return -2;
  }
});

int RelaxedCeilingReady() {
  static const int state = qwasm_bench_instantiate_ceiling(qwasm_bench_ceiling_module, qwasm_bench_ceiling_module_size,
                                                           g_relaxed_stream1, g_relaxed_stream2);
  return state;
}

}  // namespace

// GMAC/s of a ceiling: kind 0 the dot_i16x8 one (the better of the two
// streaming loops, 8 MACs per dot), 1 the README's hoisted loop, 2 the
// relaxed-dot one (the better of the same two loops, 16 MACs per dot;
// -1 where the engine has no relaxed SIMD, -2 if its module did not start).
extern "C" EMSCRIPTEN_KEEPALIVE double qwasm_bench_dot_ceiling(double seconds, int kind) {
  using qwasm_bench::kRingBytes;
  std::mt19937 rng(5678);
  if (kind == 2) {
    if (const int state = RelaxedCeilingReady()) return state;
    // The kernel's operands: int8 W, A with all 8 bits (flipped or not).
    const std::vector<int8_t> w = Random<int8_t>(kRingBytes, -127, 127, rng);
    const std::vector<int8_t> a = Random<int8_t>(4 * 16, -128, 127, rng);
    const v128_t* vw = reinterpret_cast<const v128_t*>(w.data());
    const v128_t* va = reinterpret_cast<const v128_t*>(a.data());
    const double per_second = std::max(CallsPerSecond(seconds / 2, [&] { g_sink = g_relaxed_stream1(vw, va); }),
                                       CallsPerSecond(seconds / 2, [&] { g_sink = g_relaxed_stream2(vw, va); }));
    return per_second * kDotsPerCall * 16 / 1e9;
  }
  const std::vector<int16_t> w = Random<int16_t>(kRingBytes / 2, -255, 255, rng);
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
  return per_second * kDotsPerCall * 8 / 1e9;
}
