// The relaxed-SIMD kernel table (relaxed.h).
#include "kernels/relaxed.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <vector>

#if defined(QWASM_SIMDE)
#include "kernels/relaxed-simd.h"
#endif

namespace qwasm {
namespace {

std::atomic<QGemmRelaxedFn> g_installed_fn{nullptr};
std::atomic<const KernelConfig*> g_installed_table{nullptr};

// The microkernel a table calls: the installed one, or natively the one
// compiled into this binary with the emulated instruction.
QGemmRelaxedFn Microkernel() {
  QGemmRelaxedFn fn = g_installed_fn.load(std::memory_order_acquire);
#if defined(QWASM_SIMDE)
  if (!fn) fn = qwasm_qs8_gemm_4x8c4_relaxed;
#endif
  return fn;
}

template <RelaxedDotReading kReading>
void Run(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a, size_t a_stride, int8_t* c,
         size_t c_stride, size_t n_begin, size_t n_end, void* scratch) {
  QGemmRelaxedCall call;
  call.packed = reinterpret_cast<const int8_t*>(w.packed.data());
  call.bias = w.bias.data();
  call.scale = w.scale.data();
  call.a = a;
  call.c = c;
  call.scratch = scratch;
  call.k = static_cast<uint32_t>(w.k);
  call.k_read = static_cast<uint32_t>(w.k_read);
  call.m = static_cast<uint32_t>(m);
  call.a_stride = static_cast<uint32_t>(a_stride);
  call.c_stride = static_cast<uint32_t>(c_stride);
  call.n_begin = static_cast<uint32_t>(n_begin);
  call.n_end = static_cast<uint32_t>(n_end);
  call.w_zero_point = w.w_zero_point;
  call.a_offset = w.a_offset;
  call.out_zero_point = out.zero_point;
  call.out_min = out.min;
  call.out_max = out.max;
  const QGemmRelaxedFn fn = Microkernel();
#if defined(QWASM_SIMDE)
  // The emulated engine reads the operand as this table expects, unless a
  // test installed a microkernel of its own (which sets its own reading).
  if (!g_installed_fn.load(std::memory_order_acquire)) {
    g_relaxed_dot_semantics =
        kReading == RelaxedDotReading::kSigned ? RelaxedDotSemantics::kSigned : RelaxedDotSemantics::kUnsigned;
  }
#endif
  fn(&call);
}

// Self-test data: xorshift, so the cases are the same on every engine.
struct Bits {
  uint32_t s = 2463534242u;
  int Int(int lo, int hi) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    return lo + static_cast<int>(s % static_cast<uint32_t>(hi - lo + 1));
  }
};

struct SelfTestCase {
  int m, n, k;
  int32_t a_zero_point, w_zero_point;
  int a_fill, w_fill;  // 999: random over the whole byte range
};

bool SameBytes(const KernelConfig& table, const SelfTestCase& t) {
  constexpr int kRandom = 999;
  Bits bits;
  std::vector<int8_t> w(static_cast<size_t>(t.n) * t.k), a(static_cast<size_t>(t.m) * t.k + 64);
  for (int8_t& v : w) v = static_cast<int8_t>(t.w_fill == kRandom ? bits.Int(-128, 127) : t.w_fill);
  for (int8_t& v : a) v = static_cast<int8_t>(t.a_fill == kRandom ? bits.Int(-128, 127) : t.a_fill);
  std::vector<int32_t> bias(t.n);
  for (int32_t& b : bias) b = bits.Int(-20000, 20000);
  // Scales that spread each channel's exact results over [-100, 100], so an
  // engine that saturates or misreads a byte shows in the output bytes.
  std::vector<float> scale(t.n);
  for (int oc = 0; oc < t.n; ++oc) {
    int64_t largest = 1;
    for (int r = 0; r < t.m; ++r) {
      int64_t acc = bias[oc];
      for (int kk = 0; kk < t.k; ++kk) {
        acc += static_cast<int64_t>(a[static_cast<size_t>(r) * t.k + kk] - t.a_zero_point) *
               (w[static_cast<size_t>(oc) * t.k + kk] - t.w_zero_point);
      }
      largest = std::max<int64_t>(largest, std::llabs(acc));
    }
    scale[oc] = 100.0f / static_cast<float>(largest);
  }
  const QOutput out;
  std::vector<int8_t> want(static_cast<size_t>(t.m) * t.n), got(want.size());
  for (const KernelConfig* k : {&ReferenceKernels(), &table}) {
    const QGemmKernel& gemm = k->qs8_gemm;
    const QGemmWeights packed = gemm.pack(t.n, t.k, w.data(), t.k, t.w_zero_point, bias.data(), scale.data(), t.a_zero_point);
    std::vector<int8_t> scratch(gemm.scratch_bytes(packed) + 16);
    void* aligned = scratch.data() + (16 - reinterpret_cast<uintptr_t>(scratch.data()) % 16) % 16;
    gemm.run(packed, out, t.m, a.data(), t.k, (k == &table ? got : want).data(), t.n, 0, t.n, aligned);
  }
  return want == got;
}

}  // namespace

KernelConfig MakeRelaxedKernels(RelaxedDotReading reading) {
  const KernelConfig* simd = SimdKernels();
  KernelConfig k = simd ? *simd : ReferenceKernels();
  if (reading == RelaxedDotReading::kSigned) {
    k.name = "wasmrelaxed-signed";
    k.qs8_gemm = {"qs8_gemm_4x8c4__wasmrelaxed", 4, 8, qs8_gemm_4x8c4_pack_signed,
                  Run<RelaxedDotReading::kSigned>, qs8_gemm_4x8c4_scratch_bytes};
  } else {
    k.name = "wasmrelaxed";
    k.qs8_gemm = {"qs8_gemm_4x8c4__wasmrelaxed", 4, 8, qs8_gemm_4x8c4_pack_unsigned,
                  Run<RelaxedDotReading::kUnsigned>, qs8_gemm_4x8c4_scratch_bytes};
  }
  return k;
}

bool RelaxedSelfTest(const KernelConfig& table) {
  constexpr int kRandom = 999;
  static const SelfTestCase kCases[] = {
      {5, 19, 37, -3, 0, kRandom, kRandom},     // int8 per-channel style, k % 16 != 0
      {6, 24, 70, 5, 77, kRandom, kRandom},     // a uint8 model's zero points
      {4, 8, 64, 0, 0, 127, -128},              // the largest products: a saturating engine fails here
      {4, 8, 64, 0, 0, -128, -128},
      {4, 16, 48, 0, -128, 127, 127},
      {1, 40, 300, 2, 0, kRandom, kRandom},     // one row (fully connected)
      {1, 8, 64, 0, 0, 127, -128},
  };
  for (const SelfTestCase& t : kCases) {
    if (!SameBytes(table, t)) return false;
  }
  return true;
}

bool InstallRelaxedGemm(QGemmRelaxedFn fn, RelaxedDotReading reading) {
  g_installed_table.store(nullptr, std::memory_order_release);
  g_installed_fn.store(fn, std::memory_order_release);
  if (!fn || reading == RelaxedDotReading::kUnsupported) {
    g_installed_fn.store(nullptr, std::memory_order_release);
    return false;
  }
  static KernelConfig tables[2];
  KernelConfig& table = tables[reading == RelaxedDotReading::kSigned ? 1 : 0];
  table = MakeRelaxedKernels(reading);
  if (!RelaxedSelfTest(table)) {
    g_installed_fn.store(nullptr, std::memory_order_release);
    return false;
  }
  g_installed_table.store(&table, std::memory_order_release);
  return true;
}

const KernelConfig* RelaxedKernels() { return g_installed_table.load(std::memory_order_acquire); }

}  // namespace qwasm
