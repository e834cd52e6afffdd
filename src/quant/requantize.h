// requantize.h — THE single definition of rounding in qwasm's integer path.
//
// Every quantized kernel (conv, depthwise, fully connected, add, pooling,
// mean, softmax, quantize) produces its output through RoundToQuant(), and
// every kernel that turns an int32 accumulator into an 8-bit value does so
// through Requantize():
//
//   out = clamp(zero_point + round_half_even(float(acc) * scale), qmin, qmax)
//
// with all arithmetic in IEEE float32 (no FMA contraction: the build passes
// -ffp-contract=off) and `scale` itself a float32, computed by RequantScale.
//
// Why float32 scale + round-half-to-even (XNNPACK's "fp32" requantization)
// rather than TFLite's fixed-point multiplier + shift:
//  * WebAssembly SIMD128 has no 32x32->64-bit high multiply, which the
//    fixed-point form needs per lane; the float form is three cheap lane ops
//    (f32x4.convert_i32x4_s, f32x4.mul, f32x4.nearest) and bit-exact between
//    the scalar reference and SIMD kernels.
//  * TFLite's WebAssembly build runs quantized models through XNNPACK, which
//    uses this same fp32 form; with the multiplier computed the same way
//    (RequantScale) qwasm's outputs are bit-identical to TFLite-WASM's on the
//    MobileNets (docs/quantization.md has the measurements).
//  * Round-half-to-even is unbiased and is what the hardware instruction does.
// The exceptions are imported models that keep their source runtime's
// arithmetic: ONNX QDQ ADD and SOFTMAX (OpAttrs::onnx_numerics) and TFLite
// average pools (TflitePoolAverage below).
// Precision: float(acc) is exact for |acc| < 2^24; larger accumulators round
// to the nearest float (24-bit mantissa), i.e. a relative error below 6e-8,
// far under the half-step an 8-bit output can show.
#pragma once

#include <cmath>
#include <cstdint>

namespace qwasm {

// Rounds a scaled real value to the quantized grid: zp + rne(x), clamped to
// [qmin, qmax]. NaN maps to the zero point.
//
// Clamping happens before rounding (in float) so nearbyint never sees a value
// outside int32 range; because the bounds are integers, clamp-then-round equals
// round-then-clamp.
inline int32_t RoundToQuant(float x, int32_t zero_point, int32_t qmin, int32_t qmax) {
  if (x != x) return zero_point < qmin ? qmin : (zero_point > qmax ? qmax : zero_point);
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  x = x < lo ? lo : (x > hi ? hi : x);
  // nearbyint uses the current rounding mode, which is round-to-nearest-even
  // (the default; WebAssembly has no other).
  return static_cast<int32_t>(std::nearbyint(x)) + zero_point;
}

// int32 accumulator (already in units of scale_in * scale_w) -> 8-bit value.
inline int32_t Requantize(int32_t acc, float scale, int32_t zero_point, int32_t qmin,
                          int32_t qmax) {
  return RoundToQuant(static_cast<float>(acc) * scale, zero_point, qmin, qmax);
}

// The float32 multiplier used by Requantize for an accumulator whose unit is
// input_scale * weight_scale, producing output_scale units:
//   fl(fl(input_scale * weight_scale) / output_scale)
// in float32, exactly as XNNPACK (and so TFLite's WebAssembly build) computes
// it. It can differ from the correctly rounded ratio by an ulp; matching the
// reference runtime bit for bit is worth more than that last ulp.
inline float RequantScale(float input_scale, float weight_scale, float output_scale) {
  return input_scale * weight_scale / output_scale;
}

// TFLite's builtin average pool (OpAttrs::tflite_numerics): the raw int8
// sum of `cells` values divided with TFLite's rounding, half up (uint8
// models: (S_u8 + c/2) / c in the uint8 domain is floor((S + c/2) / c) in
// int8) or half away from zero (int8: (S +- c/2) / c truncated), clamped.
inline int32_t TflitePoolAverage(bool half_up, int32_t sum, int32_t cells, int32_t qmin, int32_t qmax) {
  int32_t q;
  if (half_up) {
    const int32_t t = sum + cells / 2;
    q = t / cells - (t % cells < 0 ? 1 : 0);  // floor division
  } else {
    q = (sum > 0 ? sum + cells / 2 : sum - cells / 2) / cells;  // C++ truncates, as TFLite
  }
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

}  // namespace qwasm
