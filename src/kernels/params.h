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

// Elementwise add as a two-term integer dot product, then Requantize:
//   acc = a_multiplier * (a - za) + b_multiplier * (b - zb)      (int32)
//   out = Requantize(acc, scale)
// The multipliers are scale_a / scale_out and scale_b / scale_out in fixed
// point with 21 significant bits (scale = 2^-shift); see PrepareAdd.
// |acc| <= 255 * 2^21 * 2 < 2^31.
struct QAddParams {
  size_t size = 0;
  int32_t a_zero_point = 0, b_zero_point = 0;
  int32_t a_multiplier = 1, b_multiplier = 1;
  float scale = 1.0f;
  QOutput output;
};

// Average pooling; padding cells are excluded from the average (TFLite).
struct QPoolParams {
  WindowShape shape;  // in_c == out_c; dilation unused
  int32_t input_zero_point = 0;
  double input_over_output_scale = 1.0;  // scale_in / scale_out, exact
  QOutput output;
};

// Mean over the H and W axes of an NHWC tensor: [n][h][w][c] -> [n][c].
struct QMeanParams {
  int batch = 1, height = 0, width = 0, channels = 0;
  int32_t input_zero_point = 0;
  double input_over_output_scale = 1.0;  // scale_in / scale_out, exact
  QOutput output;
};

// Softmax over the last axis, table-driven: exp_table[d] = exp(-beta *
// scale_in * d) for the distance d = max(row) - x in 0..255.
struct QSoftmaxParams {
  int rows = 0, cols = 0;
  const float* exp_table = nullptr;  // 256 entries
  float output_scale = 1.0f / 256;
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

}  // namespace qwasm
