// Elementwise conversions, WebAssembly SIMD128, 16 elements per step. Every
// lane does the reference's IEEE operations in the same order (f32x4.div is
// the scalar division, convert + mul the scalar ones), so results match bit
// for bit. A tail shorter than 16 runs the same vector code on a copy.
#include "kernels/kernels.h"
#include "kernels/requantize-simd.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

// RoundToQuant on four floats. NaN lanes become 0 first: RoundToQuant maps
// NaN to the clamped zero point, which is exactly what 0 rounds to.
inline v128_t RoundToQuantX4(v128_t x, const RequantSimd& rq) {
  return rq.Round(wasm_v128_and(x, wasm_f32x4_eq(x, x)));
}

inline v128_t Quantize16(const float* x, v128_t scale, const RequantSimd& rq) {
  v128_t q[4];
  for (int k = 0; k < 4; ++k) {
    q[k] = RoundToQuantX4(wasm_f32x4_div(wasm_v128_load(x + 4 * k), scale), rq);
  }
  return PackI32x4x4ToI8x16(q[0], q[1], q[2], q[3]);
}

}  // namespace

void f32_qs8_quantize__wasmsimd(const QuantizeParams& p, size_t n, const float* input,
                                int8_t* output) {
  const RequantSimd rq(p.output);
  const v128_t scale = wasm_f32x4_splat(p.scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) wasm_v128_store(output + i, Quantize16(input + i, scale, rq));
  if (i < n) {
    alignas(16) float tmp[16] = {};
    std::memcpy(tmp, input + i, (n - i) * sizeof(float));
    StoreI8x16Prefix(output + i, Quantize16(tmp, scale, rq), n - i);
  }
}

}  // namespace qwasm
