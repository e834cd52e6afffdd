// params.h — parameter blocks shared by the int8 kernels.
//
// Kernels are pure functions of (params, input) -> output. Pointers in params
// are borrowed; nothing here owns memory. All tensors are dense, row-major,
// NHWC for images. The "qs8" kernels take signed 8-bit data: uint8 models are
// shifted to int8 at import (q - 128 with zero_point - 128), which leaves every
// real value, and so every result, unchanged.
//
// Accumulator bound: each product (x - zx)(w - zw) is at most 255 * 255 in
// magnitude, so reductions over K terms stay inside int32 while
// K * 65025 + |bias| < 2^31. Operators check this bound in prepare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace qwasm {

// Output stage shared by kernels producing 8-bit values.
struct QOutput {
  int32_t zero_point = 0;
  int32_t min = -128;  // fused activation already folded in
  int32_t max = 127;
};

// Geometry of a 2-D window operation (convolution, depthwise, pooling).
struct WindowShape {
  int batch = 1;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;  // bottom/right padding is implied by out size
};

struct QConvParams {
  WindowShape shape;
  int32_t input_zero_point = 0;
  // Per-tensor weight zero point (uint8 models); 0 for symmetric int8 weights.
  int32_t filter_zero_point = 0;
  // conv: [out_c][kernel_h][kernel_w][in_c]; depthwise: [kernel_h][kernel_w][out_c].
  const int8_t* filter = nullptr;
  const int32_t* bias = nullptr;  // [out_c], may be null
  const float* scale = nullptr;   // [out_c] requantization multipliers
  QOutput output;
};

struct QFullyConnectedParams {
  int batch = 1, input_size = 0, output_size = 0;
  int32_t input_zero_point = 0;
  int32_t filter_zero_point = 0;
  const int8_t* filter = nullptr;  // [output_size][input_size]
  const int32_t* bias = nullptr;   // [output_size], may be null
  const float* scale = nullptr;    // [output_size]
  QOutput output;
};

// Elementwise add. Two arithmetics, both exact functions of the inputs:
// * fixed point (TFLite / XNNPACK), a two-term integer dot product, then
//   Requantize:
//     acc = a_multiplier * (a - za) + b_multiplier * (b - zb)      (int32)
//     out = Requantize(acc, scale)
//   The multipliers are scale_a / scale_out and scale_b / scale_out in fixed
//   point with 21 significant bits (scale = 2^-shift); see PrepareAdd.
//   |acc| <= 255 * 2^21 * 2 < 2^31.
// * float_rescale (ONNX: ONNX Runtime's QLinearAdd, all float32):
//     x = (a_scale * (a - za) + b_scale * (b - zb)) / output_scale
//     x = clamp(x, qmin - zp, qmax - zp)
//     out = nearbyint(x + rounding_zero_point) - rounding_zero_point + zp
//   ONNX Runtime rounds after adding the zero point of the tensor's own
//   dtype (uint8 for a uint8 model), which can differ from rounding first
//   when x + zp is inexact; rounding_zero_point reproduces that.
struct QAddParams {
  size_t size = 0;
  int32_t a_zero_point = 0, b_zero_point = 0;
  int32_t a_multiplier = 1, b_multiplier = 1;
  float scale = 1.0f;
  bool float_rescale = false;
  float a_scale = 1.0f, b_scale = 1.0f, output_scale = 1.0f;
  int32_t rounding_zero_point = 0;
  QOutput output;
};

// How an int8 average is rounded:
//  kRequantize: qwasm's definition, Requantize(sum of (x - zx),
//    fl(scale_in / (scale_out * cells))): half to even, any rescale.
//  kTfliteUint8, kTfliteInt8: TFLite's builtin kernels (which TFLite runs
//    even where XNNPACK runs the rest), for input and output on the same
//    grid: S = the sum of the raw int8 values, c = cells, then
//    floor((S + c/2) / c) (uint8 models: (S_u8 + c/2) / c, half up, in the
//    uint8 domain) or (S +- c/2) / c truncated (int8: half away from zero);
//    then the clamp (quant/requantize.h TflitePoolAverage). No zero point
//    or scale enters. Cells <= kPoolIntegerMaxCells (the SIMD kernel
//    divides in float32, exact below 2^24).
enum class PoolRounding : uint8_t { kRequantize, kTfliteUint8, kTfliteInt8 };
inline constexpr int kPoolIntegerMaxCells = 65536;

// Average pooling; padding cells are excluded from the average (TFLite).
struct QPoolParams {
  WindowShape shape;  // in_c == out_c; dilation unused
  int32_t input_zero_point = 0;
  double input_over_output_scale = 1.0;  // scale_in / scale_out, exact
  QOutput output;
  PoolRounding rounding = PoolRounding::kRequantize;
};

// Mean over the H and W axes of an NHWC tensor: [n][h][w][c] -> [n][c].
struct QMeanParams {
  int batch = 1, height = 0, width = 0, channels = 0;
  int32_t input_zero_point = 0;
  double input_over_output_scale = 1.0;  // scale_in / scale_out, exact
  QOutput output;
};

// Softmax over the last axis, table-driven: exp_table[d] = exp(-beta *
// scale_in * d) for the distance d = max(row) - x in 0..255 (times a
// constant factor with onnx_numerics), summed in index order. Each output
// then depends only on d (SoftmaxRowQuantizer, softmax/softmax-common.h):
// * default (TFLite): RoundToQuant(exp_table[d] * (1 / (sum * output_scale)))
// * onnx_numerics (ONNX Runtime's QLinearSoftmax):
//   clamp(nearbyint(exp_table[d] * floor(1 / output_scale) / sum) + zp),
//   with ORT's table (qs8_softmax_init_onnx). floor(1 / output_scale) is
//   exact for the usual output scale 1/256.
struct QSoftmaxParams {
  int rows = 0, cols = 0;
  const float* exp_table = nullptr;  // 256 entries
  float output_scale = 1.0f / 256;
  bool onnx_numerics = false;
  QOutput output;
};

// Elementwise conversions.
struct QuantizeParams {  // float -> int8
  float scale = 1.0f;
  QOutput output;
};
struct DequantizeParams {  // int8 -> float
  float scale = 1.0f;
  int32_t zero_point = 0;
};
struct RequantizeParams {  // int8 -> int8 with new scale / zero point
  int32_t input_zero_point = 0;
  float scale = 1.0f;  // scale_in / scale_out
  QOutput output;
};

// ---- float32 kernels ("f32") ----------------------------------------------
// Float kernels accumulate in float32 in one fixed order (documented per
// kernel); the SIMD variants keep that order lane by lane, so they equal the
// references exactly (as floats: +0 and -0 compare equal) for finite data.

// Output stage of float kernels: the fused activation as a clamp. NaN passes
// through (the comparisons are false), in the references and in SIMD
// (f32x4.pmin / pmax are the same comparisons).
struct FOutput {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  float Apply(float v) const {
    v = v < min ? min : v;
    return max < v ? max : v;
  }
};

// conv: filter [out_c][kernel_h][kernel_w][in_c]; depthwise: [kernel_h]
// [kernel_w][out_c], out_c = in_c * multiplier. Accumulation: bias, then
// taps in (ky, kx, ic) order, padding skipped.
struct FConvParams {
  WindowShape shape;
  const float* filter = nullptr;
  const float* bias = nullptr;  // [out_c], may be null
  FOutput output;
};

// Accumulation: bias, then k = 0 .. input_size - 1.
struct FFullyConnectedParams {
  int batch = 1, input_size = 0, output_size = 0;
  const float* filter = nullptr;  // [output_size][input_size]
  const float* bias = nullptr;    // [output_size], may be null
  FOutput output;
};

// Average / max pooling. Average: the window sum in (ky, kx) order divided
// by the number of cells inside the image, or by kernel_h * kernel_w with
// count_include_pad (explicit padding: every window lies inside the padded
// extent). Max ignores padding.
struct FPoolParams {
  WindowShape shape;  // in_c == out_c; dilation unused
  bool count_include_pad = false;
  FOutput output;
};

// Mean over H and W of NHWC: sum in (h, w) order, divided by H * W.
struct FMeanParams {
  int batch = 1, height = 0, width = 0, channels = 0;
};

// Softmax over the last axis: e = exp(beta * (x - max)), summed in index
// order, out = e / sum.
struct FSoftmaxParams {
  int rows = 0, cols = 0;
  float beta = 1.0f;
};

// Elementwise binary op with broadcasting of b: out[i] = a[i] op
// b[i % b_size], i < size (b_size divides size: b covers trailing dims).
struct FBinaryParams {
  size_t size = 0, b_size = 0;
  FOutput output;
};

// Elementwise unary float functions (CLAMP, HARD_SWISH, HARD_SIGMOID,
// LOGISTIC); their int8 forms are 256-entry tables built from these.
enum class UnaryOp : uint8_t { kClamp, kHardSwish, kHardSigmoid, kLogistic };
struct FUnaryParams {
  UnaryOp op = UnaryOp::kClamp;
  float min = -std::numeric_limits<float>::infinity();  // clamp
  float max = std::numeric_limits<float>::infinity();
  float alpha = 0.2f, beta = 0.5f;  // hard sigmoid
};

// ---- int8 forms of the operators added with the float path ------------------

// MUL: out = Requantize((a - za) * (b[i % b_size] - zb), scale_a * scale_b
// / scale_out); |product| <= 255 * 255, exact in int32.
struct QMulParams {
  size_t size = 0, b_size = 0;
  int32_t a_zero_point = 0, b_zero_point = 0;
  float scale = 1.0f;
  QOutput output;
};

// MAX_POOL_2D on one grid (input and output share scale and zero point):
// the window max, padding ignored, clamped to the fused activation.
struct QMaxPoolParams {
  WindowShape shape;
  QOutput output;
};

// ---- data movement (any element type) ---------------------------------------
// How elements are copied: bytes as they are, or int8 requantized to another
// grid (operators whose input and output quantization differ).
struct ElementCopy {
  size_t element_size = 1;
  const RequantizeParams* requant = nullptr;  // int8 only; null = plain copy
};

constexpr int kMaxMoveRank = 8;

// Output axis i is input axis perm[i].
struct TransposeParams {
  int rank = 0;
  int32_t in_shape[kMaxMoveRank] = {};
  int32_t perm[kMaxMoveRank] = {};
  size_t element_size = 1;
};

// Output = input surrounded by `before` / `after` elements equal to
// pad_value (element_size bytes) on every axis.
struct PadParams {
  int rank = 0;
  int32_t in_shape[kMaxMoveRank] = {};
  int32_t before[kMaxMoveRank] = {}, after[kMaxMoveRank] = {};
  const uint8_t* pad_value = nullptr;
  ElementCopy copy;
};

// Output = the box of out_shape starting at `begin` in the input.
struct SliceParams {
  int rank = 0;
  int32_t in_shape[kMaxMoveRank] = {};
  int32_t begin[kMaxMoveRank] = {}, out_shape[kMaxMoveRank] = {};
  ElementCopy copy;
};

// Concatenation, seen as [outer][sum of parts][inner]: input i contributes
// parts[i] * inner contiguous elements per outer index.
struct ConcatParams {
  size_t outer = 1, inner = 1;
  int inputs = 0;
  const int32_t* parts = nullptr;      // [inputs] sizes along the axis
  const ElementCopy* copy = nullptr;   // [inputs]
};

}  // namespace qwasm
