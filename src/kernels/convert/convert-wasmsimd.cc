// Elementwise conversions, WebAssembly SIMD128, 16 elements per step. Every
// lane does the reference's IEEE operations in the same order (f32x4.div is
// the scalar division, convert + mul the scalar ones), so results match bit
// for bit. A tail shorter than 16 runs the same vector code on a copy.
#include "kernels/kernels-wasmsimd.h"
#include "kernels/requantize-simd.h"

#if QWASM_HAVE_SIMD128
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

// x - zp as four int32 vectors. The subtraction is in int32 on purpose: LLVM
// folds "int16 lanes widened, then converted to float" into one int16 -> float
// conversion, which the wasm backend scalarises (16 extract/convert/replace).
inline void Center16(v128_t x, v128_t zp, v128_t out[4]) {
  const v128_t lo = wasm_i16x8_extend_low_i8x16(x), hi = wasm_i16x8_extend_high_i8x16(x);
  out[0] = wasm_i32x4_sub(wasm_i32x4_extend_low_i16x8(lo), zp);
  out[1] = wasm_i32x4_sub(wasm_i32x4_extend_high_i16x8(lo), zp);
  out[2] = wasm_i32x4_sub(wasm_i32x4_extend_low_i16x8(hi), zp);
  out[3] = wasm_i32x4_sub(wasm_i32x4_extend_high_i16x8(hi), zp);
}

inline void Dequantize16(v128_t x, v128_t zp, v128_t scale, float* y) {
  v128_t c[4];
  Center16(x, zp, c);
  for (int k = 0; k < 4; ++k) {
    wasm_v128_store(y + 4 * k, wasm_f32x4_mul(scale, wasm_f32x4_convert_i32x4(c[k])));
  }
}

inline v128_t Requantize16(v128_t x, v128_t zp, v128_t scale, const RequantSimd& rq) {
  v128_t c[4];
  Center16(x, zp, c);
  return PackI32x4x4ToI8x16(rq.Apply(c[0], scale), rq.Apply(c[1], scale), rq.Apply(c[2], scale),
                            rq.Apply(c[3], scale));
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
#endif
