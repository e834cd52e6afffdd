// How the engine reads the relaxed dot's second operand (kernels/relaxed.h),
// exported by the relaxed side module as relaxed_probe__wasmrelaxed():
//   bit 0  bytes >= 0x80 read unsigned (x86: vpdpbusd, pmaddubsw)
//   bit 1  read signed (Arm: sdot)
//   bit 2  a pair of products past int16 is exact (no pmaddubsw saturation)
// The self-test then checks the kernels' bytes; this only says which
// packing to try. The caller passes -128: a value the compiler cannot fold
// (a volatile local would need a stack, which the side module must not use).
#include "kernels/gemm/gemm-relaxed-call.h"
#include "kernels/relaxed-simd.h"

int32_t relaxed_probe__wasmrelaxed(int32_t minus128) {
  using namespace qwasm;
  const int8_t low = static_cast<int8_t>(minus128);
  const v128_t one = wasm_i8x16_splat(1), hi = wasm_i8x16_splat(low);
  const int32_t r = wasm_i32x4_extract_lane(RelaxedDotAdd(one, hi, wasm_i32x4_splat(0)), 0);
  // -127 x 0xff: each pair of products is -64770 read unsigned (254 signed).
  const v128_t big = wasm_i8x16_splat(static_cast<int8_t>(low + 1)), ff = wasm_i8x16_splat(static_cast<int8_t>(-1));
  const int32_t s = wasm_i32x4_extract_lane(RelaxedDotAdd(big, ff, wasm_i32x4_splat(0)), 0);
  int32_t bits = 0;
  if (r == 4 * 128) bits |= 1;
  if (r == 4 * -128) bits |= 2;
  if (((bits & 1) && s == 4 * -127 * 255) || ((bits & 2) && s == 4 * 127)) bits |= 4;
  return bits;
}
