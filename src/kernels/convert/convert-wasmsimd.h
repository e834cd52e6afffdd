// convert-wasmsimd.h — what the SIMD dequantize and requantize kernels
// share: 16 int8 lanes minus a zero point, as four int32 vectors.
#pragma once

#include "kernels/simd128.h"

namespace qwasm {

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

}  // namespace qwasm
