// kernels-wasmsimd.h — WebAssembly SIMD128 variants of the elementwise,
// pooling and softmax kernels (same naming grammar as kernels.h). Each is
// byte-identical to its __ref twin for all inputs. They take ranges so that
// operators can split the work over threads; the ranges of one call never
// write outside themselves. None of them reads or writes past its tensors (no
// reliance on the arena's tail padding, so constant inputs are fine too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/params.h"
#include "kernels/simd128.h"

namespace qwasm {

// Elements [begin, end) of qs8_add__ref.
void qs8_add__wasmsimd(const QAddParams& p, size_t begin, size_t end, const int8_t* a,
                       const int8_t* b, int8_t* output);

// Output rows [row_begin, row_end) (row = n * out_h + oy) and channels
// [c_begin, c_end) of qs8_average_pool__ref. Any range is exact; ranges of
// at least 16 channels compute whole vectors only (a narrower one computes a
// vector and stores part of it), so split channels in multiples of 16, the
// last range taking the remainder.
void qs8_average_pool__wasmsimd(const QPoolParams& p, size_t row_begin, size_t row_end,
                                size_t c_begin, size_t c_end, const int8_t* input,
                                int8_t* output);

// Channels [c_begin, c_end) of qs8_mean_hw__ref, every batch; split channels
// as for qs8_average_pool__wasmsimd.
void qs8_mean_hw__wasmsimd(const QMeanParams& p, size_t c_begin, size_t c_end,
                           const int8_t* input, int8_t* output);

// Rows [row_begin, row_end) of qs8_softmax__ref. The normaliser stays a
// scalar sum: float addition is not associative, and the reference's index
// order is the definition.
void qs8_softmax__wasmsimd(const QSoftmaxParams& p, size_t row_begin, size_t row_end,
                           const int8_t* input, int8_t* output);

// The conversions of kernels.h over n elements; callers split work by
// offsetting the pointers.
void f32_qs8_quantize__wasmsimd(const QuantizeParams& p, size_t n, const float* input,
                                int8_t* output);
void qs8_f32_dequantize__wasmsimd(const DequantizeParams& p, size_t n, const int8_t* input,
                                  float* output);
void qs8_requantize__wasmsimd(const RequantizeParams& p, size_t n, const int8_t* input,
                              int8_t* output);

// ---- float32 (each equals its __ref twin exactly for finite data: same
// operations in the same order, lane by lane) ----

// Output rows [row_begin, row_end) (row = n * out_h + oy) of
// f32_depthwise_conv2d__ref with multiplier 1 (filter [kh][kw][c]).
void f32_depthwise_conv2d__wasmsimd(const FConvParams& p, size_t row_begin, size_t row_end,
                                    const float* input, float* output);
// Elements [begin, end) of f32_add__ref / f32_mul__ref.
void f32_add__wasmsimd(const FBinaryParams& p, size_t begin, size_t end, const float* a,
                       const float* b, float* output);
void f32_mul__wasmsimd(const FBinaryParams& p, size_t begin, size_t end, const float* a,
                       const float* b, float* output);
// Rows of f32_channel_clamp__ref / qs8_channel_clamp__ref.
void f32_channel_clamp__wasmsimd(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                                 float* output);
void qs8_channel_clamp__wasmsimd(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                                 int8_t* output);
// f32_unary__ref over n elements (LOGISTIC calls exp lane by lane).
void f32_unary__wasmsimd(const FUnaryParams& p, size_t n, const float* input, float* output);

#if QWASM_HAVE_SIMD128
// Vector edges shared by these kernels: a row or range rarely ends on a
// multiple of 16 bytes, and they never touch bytes outside their tensors.

// 16 bytes from p, of which only the first `readable` may be read (the rest
// of the vector is zero when readable < 16).
inline v128_t LoadI8x16Upto(const int8_t* p, size_t readable) {
  if (readable >= 16) return wasm_v128_load(p);
  alignas(16) int8_t tmp[16] = {};
  std::memcpy(tmp, p, readable);
  return wasm_v128_load(tmp);
}

// Stores the first n < 16 bytes of v.
inline void StoreI8x16Prefix(int8_t* p, v128_t v, size_t n) {
  if (n & 8) {
    wasm_v128_store64_lane(p, v, 0);
    v = wasm_i64x2_shuffle(v, v, 1, 1);
    p += 8;
  }
  if (n & 4) {
    wasm_v128_store32_lane(p, v, 0);
    v = wasm_u64x2_shr(v, 32);
    p += 4;
  }
  if (n & 2) {
    wasm_v128_store16_lane(p, v, 0);
    v = wasm_u32x4_shr(v, 16);
    p += 2;
  }
  if (n & 1) wasm_v128_store8_lane(p, v, 0);
}
#endif

}  // namespace qwasm
