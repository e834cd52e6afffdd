// int8 -> float conversion, WebAssembly SIMD128 (as f32-qs8-quantize-wasmsimd.cc:
// the reference's operations lane by lane).
#include "kernels/convert/convert-wasmsimd.h"
#include "kernels/kernels.h"
#include "kernels/requantize-simd.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

inline void Dequantize16(v128_t x, v128_t zp, v128_t scale, float* y) {
  v128_t c[4];
  Center16(x, zp, c);
  for (int k = 0; k < 4; ++k) {
    wasm_v128_store(y + 4 * k, wasm_f32x4_mul(scale, wasm_f32x4_convert_i32x4(c[k])));
  }
}

}  // namespace

void qs8_f32_dequantize__wasmsimd(const DequantizeParams& p, size_t n, const int8_t* input,
                                  float* output) {
  const v128_t zp = wasm_i32x4_splat(p.zero_point);
  const v128_t scale = wasm_f32x4_splat(p.scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) Dequantize16(wasm_v128_load(input + i), zp, scale, output + i);
  if (i < n) {
    alignas(16) float tmp[16];
    Dequantize16(LoadI8x16Upto(input + i, n - i), zp, scale, tmp);
    std::memcpy(output + i, tmp, (n - i) * sizeof(float));
  }
}

}  // namespace qwasm
