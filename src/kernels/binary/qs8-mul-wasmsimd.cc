// Elementwise int8 multiply, WebAssembly SIMD128, 16 elements per step:
// (a - za) and (b - zb) exactly in int16 (|x| <= 255), their exact int32
// product (i32x4.extmul), then the reference's one Requantize in its SIMD
// form (requantize-simd.h). A broadcast b (b_size < size, repeating) is
// walked in stretches where both operands are contiguous.
#include <algorithm>

#include "kernels/kernels.h"
#include "kernels/requantize-simd.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

struct MulSimd {
  v128_t za, zb, scale;
  RequantSimd rq;

  explicit MulSimd(const QMulParams& p)
      : za(wasm_i16x8_splat(static_cast<int16_t>(p.a_zero_point))),
        zb(wasm_i16x8_splat(static_cast<int16_t>(p.b_zero_point))),
        scale(wasm_f32x4_splat(p.scale)),
        rq(p.output) {}

  inline v128_t Block(v128_t va, v128_t vb) const {
    const v128_t a_lo = wasm_i16x8_sub(wasm_i16x8_extend_low_i8x16(va), za);
    const v128_t a_hi = wasm_i16x8_sub(wasm_i16x8_extend_high_i8x16(va), za);
    const v128_t b_lo = wasm_i16x8_sub(wasm_i16x8_extend_low_i8x16(vb), zb);
    const v128_t b_hi = wasm_i16x8_sub(wasm_i16x8_extend_high_i8x16(vb), zb);
    return PackI32x4x4ToI8x16(rq.Apply(wasm_i32x4_extmul_low_i16x8(a_lo, b_lo), scale),
                              rq.Apply(wasm_i32x4_extmul_high_i16x8(a_lo, b_lo), scale),
                              rq.Apply(wasm_i32x4_extmul_low_i16x8(a_hi, b_hi), scale),
                              rq.Apply(wasm_i32x4_extmul_high_i16x8(a_hi, b_hi), scale));
  }
};

// n elements of contiguous a and b.
void MulRun(const MulSimd& k, size_t n, const int8_t* a, const int8_t* b, int8_t* output) {
  size_t i = 0;
  QWASM_LOOP_NO_UNROLL
  for (; i + 16 <= n; i += 16) {
    wasm_v128_store(output + i, k.Block(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  if (i < n) {
    const size_t rest = n - i;
    StoreI8x16Prefix(output + i, k.Block(LoadI8x16Upto(a + i, rest), LoadI8x16Upto(b + i, rest)), rest);
  }
}

}  // namespace

void qs8_mul__wasmsimd(const QMulParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                       int8_t* output) {
  const MulSimd k(p);
  if (p.b_size == p.size) return MulRun(k, end - begin, a + begin, b + begin, output + begin);
  for (size_t i = begin; i < end;) {
    const size_t offset = i % p.b_size, n = std::min(end - i, p.b_size - offset);
    MulRun(k, n, a + i, b + offset, output + i);
    i += n;
  }
}

}  // namespace qwasm
