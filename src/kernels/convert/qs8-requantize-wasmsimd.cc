// int8 -> int8 requantization, WebAssembly SIMD128 (as f32-qs8-quantize-wasmsimd.cc:
// the reference's operations lane by lane).
#include "kernels/convert/convert-wasmsimd.h"
#include "kernels/kernels.h"
#include "kernels/requantize-simd.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

inline v128_t Requantize16(v128_t x, v128_t zp, v128_t scale, const RequantSimd& rq) {
  v128_t c[4];
  Center16(x, zp, c);
  return PackI32x4x4ToI8x16(rq.Apply(c[0], scale), rq.Apply(c[1], scale), rq.Apply(c[2], scale),
                            rq.Apply(c[3], scale));
}

}  // namespace

void qs8_requantize__wasmsimd(const RequantizeParams& p, size_t n, const int8_t* input,
                              int8_t* output) {
  const RequantSimd rq(p.output);
  const v128_t zp = wasm_i32x4_splat(p.input_zero_point);
  const v128_t scale = wasm_f32x4_splat(p.scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    wasm_v128_store(output + i, Requantize16(wasm_v128_load(input + i), zp, scale, rq));
  }
  if (i < n) {
    StoreI8x16Prefix(output + i, Requantize16(LoadI8x16Upto(input + i, n - i), zp, scale, rq),
                     n - i);
  }
}

}  // namespace qwasm
