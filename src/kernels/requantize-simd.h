// requantize-simd.h — the SIMD form of Requantize (quant/requantize.h), bit
// for bit:
//   scalar:  x = float(acc) * scale; clamp x to [qmin - zp, qmax - zp];
//            out = nearbyint(x) + zp
//   SIMD:    f32x4.convert_i32x4_s, f32x4.mul, pmax / pmin (the clamp),
//            then round-to-nearest-even by adding the "magic" 1.5 * 2^23:
//            for |x| <= 2^22 the float sum's low mantissa bits are exactly
//            rne(x) (the addition itself rounds half to even), so
//            bits(x + magic) - (bits(magic) - zp) == rne(x) + zp.
// The clamp runs first, so |x| <= 255 and the magic is exact; conversion and
// multiplication are the same IEEE operations as the scalar code. This is
// XNNPACK's "fp32 magic" requantization (two integer ops instead of
// f32x4.nearest + the costly i32x4.trunc_sat_f32x4_s).
#pragma once

#include <cstdint>

#include "kernels/params.h"
#include "kernels/simd128.h"

namespace qwasm {

struct RequantSimd {
  v128_t lo, hi;        // f32: qmin - zp, qmax - zp
  v128_t magic;         // f32: 12582912.0f
  v128_t magic_minus_zp;  // i32: bits(magic) - zp

  explicit RequantSimd(const QOutput& o)
      : lo(wasm_f32x4_splat(static_cast<float>(o.min - o.zero_point))),
        hi(wasm_f32x4_splat(static_cast<float>(o.max - o.zero_point))),
        magic(wasm_f32x4_splat(12582912.0f)),
        magic_minus_zp(wasm_i32x4_splat(INT32_C(0x4B400000) - o.zero_point)) {}

  // Four int32 accumulators -> four int32 quantized values in [qmin, qmax].
  inline v128_t Apply(v128_t acc, v128_t scale) const {
    return Round(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale));
  }

  // Four already scaled (non-NaN) floats -> RoundToQuant of each.
  inline v128_t Round(v128_t x) const {
    x = wasm_f32x4_pmax(x, lo);  // pmax(a, b) = a < b ? b : a
    x = wasm_f32x4_pmin(x, hi);  // pmin(a, b) = b < a ? b : a
    return wasm_i32x4_sub(wasm_f32x4_add(x, magic), magic_minus_zp);
  }
};

// The same result with the clamp split around the rounding (XNNPACK's
// order): the lower bound as an int32 max on the magic sum's bits (they
// grow with the float once it is positive, and any sum below the bound's
// is clamped, however inexact), the upper one as an int8 min after the
// saturating narrowings. Both bounds are integers, so clamping before or
// after rounding gives the same value; one vector op per 4 outputs fewer.
struct RequantSimdSplitClamp {
  v128_t magic;           // f32: 12582912.0f
  v128_t magic_min;       // i32: bits(magic + (qmin - zp))
  v128_t magic_minus_zp;  // i32: bits(magic) - zp
  v128_t max8;            // i8: qmax

  explicit RequantSimdSplitClamp(const QOutput& o)
      : magic(wasm_f32x4_splat(12582912.0f)),
        magic_min(wasm_i32x4_splat(INT32_C(0x4B400000) + (o.min - o.zero_point))),
        magic_minus_zp(wasm_i32x4_splat(INT32_C(0x4B400000) - o.zero_point)),
        max8(wasm_i8x16_splat(static_cast<int8_t>(o.max))) {}

  // Four int32 accumulators -> four int32 >= qmin (not yet <= qmax).
  inline v128_t Apply(v128_t acc, v128_t scale) const {
    const v128_t x = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale), magic);
    return wasm_i32x4_sub(wasm_i32x4_max(x, magic_min), magic_minus_zp);
  }

  // Four Apply results -> 16 int8 in [qmin, qmax].
  inline v128_t Pack(v128_t a, v128_t b, v128_t c, v128_t d) const {
    return wasm_i8x16_min(
        wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d)), max8);
  }
};

// 16 int32 values already in [-128, 127] -> 16 int8 (the narrowing
// saturates, but nothing is out of range by then).
inline v128_t PackI32x4x4ToI8x16(v128_t a, v128_t b, v128_t c, v128_t d) {
  return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
}

}  // namespace qwasm
