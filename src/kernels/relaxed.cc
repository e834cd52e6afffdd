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

std::atomic<QGemmRelaxedFn> g_installed_gemm{nullptr};
std::atomic<QDwconvRelaxedFn> g_installed_dwconv{nullptr};
std::atomic<const KernelConfig*> g_installed_table{nullptr};

// The microkernels a table calls: the installed ones, or natively those
// compiled into this binary with the emulated instruction.
QGemmRelaxedFn GemmMicrokernel() {
  QGemmRelaxedFn fn = g_installed_gemm.load(std::memory_order_acquire);
#if defined(QWASM_SIMDE)
  if (!fn) fn = qs8_gemm_4x8c4__wasmrelaxed;
#endif
  return fn;
}

QDwconvRelaxedFn DwconvMicrokernel() {
  QDwconvRelaxedFn fn = g_installed_dwconv.load(std::memory_order_acquire);
#if defined(QWASM_SIMDE)
  if (!fn) fn = qs8_dwconv_16c4__wasmrelaxed;
#endif
  return fn;
}

// Natively: the emulated engine reads the operand as the table expects,
// unless a test installed microkernels of its own (which set their own).
template <RelaxedDotReading kReading>
void EmulateReading() {
#if defined(QWASM_SIMDE)
  if (!g_installed_gemm.load(std::memory_order_acquire)) {
    g_relaxed_dot_semantics =
        kReading == RelaxedDotReading::kSigned ? RelaxedDotSemantics::kSigned : RelaxedDotSemantics::kUnsigned;
  }
#endif
}

// The requantized output's zero point and clamp, as both calls carry them.
template <typename Call>
void SetOutput(Call* call, const QOutput& out) {
  call->out_zero_point = out.zero_point;
  call->out_min = out.min;
  call->out_max = out.max;
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
  call.k_padded = static_cast<uint32_t>(w.k_padded);
  call.k_read = static_cast<uint32_t>(w.k_read);
  call.m = static_cast<uint32_t>(m);
  call.a_stride = static_cast<uint32_t>(a_stride);
  call.c_stride = static_cast<uint32_t>(c_stride);
  call.n_begin = static_cast<uint32_t>(n_begin);
  call.n_end = static_cast<uint32_t>(n_end);
  call.w_zero_point = w.w_zero_point;
  call.a_offset = w.a_offset;
  SetOutput(&call, out);
  EmulateReading<kReading>();
  GemmMicrokernel()(&call);
}

// Weights packed 16c2 (a filter zero point) run on the SIMD128 kernel.
template <RelaxedDotReading kReading>
void RunDwconv(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
               const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end, size_t c_begin,
               size_t c_end) {
  if (!w.c4) {
    const KernelConfig* simd = SimdKernels();
    (simd ? simd : &ReferenceKernels())->qs8_dwconv.run(w, out, s, indirection, output, row_begin, row_end,
                                                         c_begin, c_end);
    return;
  }
  QDwconvRelaxedCall call;
  call.packed = w.packed.data();
  call.indirection = indirection;
  call.output = output;
  call.taps = static_cast<uint32_t>(w.taps);
  call.taps_per_quad = static_cast<uint32_t>(w.taps_per_quad);
  // The column-sharing path: 3x3 windows, dilation 1 along the row.
  const bool columns = w.taps_per_quad == 3 && s.kernel_w == 3 && s.dilation_w == 1 && s.stride_w < 3;
  call.shared_columns = columns ? static_cast<uint32_t>(3 - s.stride_w) : 0;
  call.channels = static_cast<uint32_t>(s.out_c);
  call.out_w = static_cast<uint32_t>(s.out_w);
  call.row_step = static_cast<uint32_t>(dwconv_row_step(s));
  call.pixel_step = static_cast<uint32_t>(dwconv_pixel_step(s));
  call.row_begin = static_cast<uint32_t>(row_begin);
  call.row_end = static_cast<uint32_t>(row_end);
  call.c_begin = static_cast<uint32_t>(c_begin);
  call.c_end = static_cast<uint32_t>(c_end);
  call.a_offset = w.a_offset;
  SetOutput(&call, out);
  EmulateReading<kReading>();
  DwconvMicrokernel()(&call);
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


// Depthwise self-test: a 3x3 SAME convolution over 24 channels (a 16 and
// an 8 block; 9 taps, a partial quad) of extreme or random bytes, against
// the reference table.
bool SameDwconvBytes(const KernelConfig& table, int x_fill, int w_fill, int32_t input_zero_point) {
  constexpr int kRandom = 999;
  Bits bits;
  WindowShape s;
  s.in_h = s.out_h = 5, s.in_w = s.out_w = 6, s.in_c = s.out_c = 24;
  s.kernel_h = s.kernel_w = 3, s.pad_top = s.pad_left = 1;
  const int c = s.in_c, taps = 9;
  std::vector<int8_t> x(static_cast<size_t>(s.in_h) * s.in_w * c + 16), w(static_cast<size_t>(taps) * c);
  for (int8_t& v : x) v = static_cast<int8_t>(x_fill == kRandom ? bits.Int(-128, 127) : x_fill);
  for (int8_t& v : w) v = static_cast<int8_t>(w_fill == kRandom ? bits.Int(-128, 127) : w_fill);
  std::vector<int32_t> bias(c);
  for (int32_t& b : bias) b = bits.Int(-20000, 20000);
  // Results spread over about [-100, 100]: |acc| <= 20000 + 9 * 256 * 128.
  const std::vector<float> scale(c, 100.0f / (20000 + 9 * 256 * 128));
  const std::vector<int8_t> zero(dwconv_zero_bytes(c), static_cast<int8_t>(input_zero_point));
  std::vector<const int8_t*> indirection(static_cast<size_t>(s.out_h) * dwconv_row_step(s));
  dwconv_indirection_init(s, x.data(), zero.data(), indirection.data());
  const QOutput out;
  std::vector<int8_t> want(static_cast<size_t>(s.out_h) * s.out_w * c), got(want.size());
  for (const KernelConfig* k : {&ReferenceKernels(), &table}) {
    const QDwconvKernel& dw = k->qs8_dwconv;
    const QDepthwiseWeights packed =
        dw.pack(c, s.kernel_h, s.kernel_w, w.data(), 0, bias.data(), scale.data(), input_zero_point);
    dw.run(packed, out, s, indirection.data(), (k == &table ? got : want).data(), 0, static_cast<size_t>(s.out_h),
           0, static_cast<size_t>(c));
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
    k.qs8_dwconv = {"qs8_dwconv_16c4__wasmrelaxed", 16, qs8_dwconv_16c4_pack_signed,
                    RunDwconv<RelaxedDotReading::kSigned>};
  } else {
    k.name = "wasmrelaxed";
    k.qs8_gemm = {"qs8_gemm_4x8c4__wasmrelaxed", 4, 8, qs8_gemm_4x8c4_pack_unsigned,
                  Run<RelaxedDotReading::kUnsigned>, qs8_gemm_4x8c4_scratch_bytes};
    k.qs8_dwconv = {"qs8_dwconv_16c4__wasmrelaxed", 16, qs8_dwconv_16c4_pack_unsigned,
                    RunDwconv<RelaxedDotReading::kUnsigned>};
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
  return SameDwconvBytes(table, 127, -128, 0) && SameDwconvBytes(table, -128, -128, -128) &&
         SameDwconvBytes(table, 127, 127, 5) && SameDwconvBytes(table, kRandom, kRandom, -3);
}

bool InstallRelaxedKernels(RelaxedEntryPoints fns, RelaxedDotReading reading) {
  const auto forget = [] {
    g_installed_gemm.store(nullptr, std::memory_order_release);
    g_installed_dwconv.store(nullptr, std::memory_order_release);
  };
  g_installed_table.store(nullptr, std::memory_order_release);
  if (!fns.gemm || !fns.dwconv || reading == RelaxedDotReading::kUnsupported) {
    forget();
    return false;
  }
  g_installed_gemm.store(fns.gemm, std::memory_order_release);
  g_installed_dwconv.store(fns.dwconv, std::memory_order_release);
  static KernelConfig tables[2];
  KernelConfig& table = tables[reading == RelaxedDotReading::kSigned ? 1 : 0];
  table = MakeRelaxedKernels(reading);
  if (!RelaxedSelfTest(table)) {
    forget();
    return false;
  }
  g_installed_table.store(&table, std::memory_order_release);
  return true;
}

const KernelConfig* RelaxedKernels() { return g_installed_table.load(std::memory_order_acquire); }

}  // namespace qwasm
