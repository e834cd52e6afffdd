// Elementwise add, WebAssembly SIMD128, 16 elements per step.
// Fixed point: the reference's int32 dot product am * (a - za) + bm * (b - zb)
// is regrouped as (-am * za - bm * zb) + am * a + bm * b: integer arithmetic,
// so the sum is the same int32 (wrapping intermediates cancel), and one
// Requantize follows.
// float_rescale: the reference's float32 operations in the same order (no
// regrouping: float addition is not associative), lane by lane.
#include "kernels/kernels.h"
#include "kernels/simd128.h"
#include "kernels/requantize-simd.h"

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
};

// ONNX Runtime's QLinearAdd arithmetic (QAddParams::float_rescale).
struct AddFloatSimd {
  v128_t za, zb, sa, sb, sc, lo, hi, rzp, magic, magic_offset;

  explicit AddFloatSimd(const QAddParams& p)
      : za(wasm_i32x4_splat(p.a_zero_point)),
        zb(wasm_i32x4_splat(p.b_zero_point)),
        sa(wasm_f32x4_splat(p.a_scale)),
        sb(wasm_f32x4_splat(p.b_scale)),
        sc(wasm_f32x4_splat(p.output_scale)),
        lo(wasm_f32x4_splat(static_cast<float>(p.output.min - p.output.zero_point))),
        hi(wasm_f32x4_splat(static_cast<float>(p.output.max - p.output.zero_point))),
        rzp(wasm_f32x4_splat(static_cast<float>(p.rounding_zero_point))),
        magic(wasm_f32x4_splat(12582912.0f)),
        // bits(x + rzp + magic) - magic_offset = rne(x + rzp) - rzp + zp
        magic_offset(wasm_i32x4_splat(INT32_C(0x4B400000) + p.rounding_zero_point - p.output.zero_point)) {}

  inline v128_t Quarter(v128_t a, v128_t b) const {
    const v128_t va = wasm_f32x4_mul(sa, wasm_f32x4_convert_i32x4(wasm_i32x4_sub(a, za)));
    const v128_t vb = wasm_f32x4_mul(sb, wasm_f32x4_convert_i32x4(wasm_i32x4_sub(b, zb)));
    v128_t x = wasm_f32x4_div(wasm_f32x4_add(va, vb), sc);
    x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);  // |x| <= 255: the magic is exact
    return wasm_i32x4_sub(wasm_f32x4_add(wasm_f32x4_add(x, rzp), magic), magic_offset);
  }
};

// 16 int8 of a and b -> 16 int8 sums: widened to four quarters of int32,
// each through the kernel's Quarter.
template <typename Kernel>
inline v128_t AddBlock(const Kernel& k, v128_t va, v128_t vb) {
  const v128_t a_lo = wasm_i16x8_extend_low_i8x16(va), a_hi = wasm_i16x8_extend_high_i8x16(va);
  const v128_t b_lo = wasm_i16x8_extend_low_i8x16(vb), b_hi = wasm_i16x8_extend_high_i8x16(vb);
  return PackI32x4x4ToI8x16(
      k.Quarter(wasm_i32x4_extend_low_i16x8(a_lo), wasm_i32x4_extend_low_i16x8(b_lo)),
      k.Quarter(wasm_i32x4_extend_high_i16x8(a_lo), wasm_i32x4_extend_high_i16x8(b_lo)),
      k.Quarter(wasm_i32x4_extend_low_i16x8(a_hi), wasm_i32x4_extend_low_i16x8(b_hi)),
      k.Quarter(wasm_i32x4_extend_high_i16x8(a_hi), wasm_i32x4_extend_high_i16x8(b_hi)));
}

template <typename Kernel>
void AddRange(const Kernel& k, size_t begin, size_t end, const int8_t* a, const int8_t* b,
              int8_t* output) {
  size_t i = begin;
  for (; i + 16 <= end; i += 16) {
    wasm_v128_store(output + i, AddBlock(k, wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  if (i < end) {
    const size_t n = end - i;
    StoreI8x16Prefix(output + i, AddBlock(k, LoadI8x16Upto(a + i, n), LoadI8x16Upto(b + i, n)), n);
  }
}

}  // namespace

void qs8_add__wasmsimd(const QAddParams& p, size_t begin, size_t end, const int8_t* a,
                       const int8_t* b, int8_t* output) {
  if (p.float_rescale) return AddRange(AddFloatSimd(p), begin, end, a, b, output);
  AddRange(AddSimd(p), begin, end, a, b, output);
}

}  // namespace qwasm
