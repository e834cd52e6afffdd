// Elementwise add, WebAssembly SIMD128, 16 elements per step. The reference's
// int32 dot product am * (a - za) + bm * (b - zb) is regrouped as
// (-am * za - bm * zb) + am * a + bm * b: integer arithmetic, so the sum is
// the same int32 (wrapping intermediates cancel), and one Requantize follows.
#include "kernels/kernels-wasmsimd.h"
#include "kernels/requantize-simd.h"

#if QWASM_HAVE_SIMD128
namespace qwasm {
namespace {

struct AddSimd {
  v128_t bias, am, bm, scale;
  RequantSimd rq;

  explicit AddSimd(const QAddParams& p)
      // Unsigned arithmetic: two's-complement wrap without overflow UB.
      : bias(wasm_i32x4_splat(static_cast<int32_t>(
            0u - static_cast<uint32_t>(p.a_multiplier) * static_cast<uint32_t>(p.a_zero_point) -
            static_cast<uint32_t>(p.b_multiplier) * static_cast<uint32_t>(p.b_zero_point)))),
        am(wasm_i32x4_splat(p.a_multiplier)),
        bm(wasm_i32x4_splat(p.b_multiplier)),
        scale(wasm_f32x4_splat(p.scale)),
        rq(p.output) {}

  // Four int16 lanes of a and b (sign-extended) -> four requantized int32.
  inline v128_t Quarter(v128_t a, v128_t b) const {
    const v128_t acc = wasm_i32x4_add(bias, wasm_i32x4_mul(a, am));
    return rq.Apply(wasm_i32x4_add(acc, wasm_i32x4_mul(b, bm)), scale);
  }

  inline v128_t Block(v128_t va, v128_t vb) const {
    const v128_t a_lo = wasm_i16x8_extend_low_i8x16(va), a_hi = wasm_i16x8_extend_high_i8x16(va);
    const v128_t b_lo = wasm_i16x8_extend_low_i8x16(vb), b_hi = wasm_i16x8_extend_high_i8x16(vb);
    return PackI32x4x4ToI8x16(
        Quarter(wasm_i32x4_extend_low_i16x8(a_lo), wasm_i32x4_extend_low_i16x8(b_lo)),
        Quarter(wasm_i32x4_extend_high_i16x8(a_lo), wasm_i32x4_extend_high_i16x8(b_lo)),
        Quarter(wasm_i32x4_extend_low_i16x8(a_hi), wasm_i32x4_extend_low_i16x8(b_hi)),
        Quarter(wasm_i32x4_extend_high_i16x8(a_hi), wasm_i32x4_extend_high_i16x8(b_hi)));
  }
};

}  // namespace

void qs8_add__wasmsimd(const QAddParams& p, size_t begin, size_t end, const int8_t* a,
                       const int8_t* b, int8_t* output) {
  const AddSimd k(p);
  size_t i = begin;
  for (; i + 16 <= end; i += 16) {
    wasm_v128_store(output + i, k.Block(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  if (i < end) {
    const size_t n = end - i;
    StoreI8x16Prefix(output + i, k.Block(LoadI8x16Upto(a + i, n), LoadI8x16Upto(b + i, n)), n);
  }
}

}  // namespace qwasm
#endif
