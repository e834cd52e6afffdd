// conv_common.h — preparation shared by CONV_2D and DEPTHWISE_CONV_2D:
// the quantization side (filter zero point, per-channel requantization
// multipliers, bias) and the window geometry.
#pragma once

#include <vector>

#include "graph/op.h"

namespace qwasm {

struct ConvQuant {
  int32_t filter_zero_point = 0;
  std::vector<float> scale;   // [out_c]
  std::vector<int32_t> bias;  // [out_c], zeros when the model has none
  int64_t max_abs_bias = 0;
  // Low-bit filters (kInt4, kLut4, kLut8) expanded to int8; empty for int8.
  std::vector<int8_t> expanded;
};

// The filter's int8 values: the tensor's own bytes, or q.expanded.
inline const int8_t* FilterInt8(const ConvQuant& q, const Tensor& filter) {
  return q.expanded.empty() ? reinterpret_cast<const int8_t*>(filter.data) : q.expanded.data();
}

// int8, or a low-bit weight dtype the operator expands (packed_weights.h).
// Test hook: the depthwise indirection buffer is kept (built once at load)
// up to this many pointers per op; larger ops build theirs a few rows at a
// time as they run (depthwise_conv2d.cc). Both give the same bytes.
size_t& DepthwiseKeptIndirectionLimit();

Status CheckFilterDType(const OpContext& c, const Tensor& filter);

// `channel_axis` is the filter axis holding output channels (0 for conv,
// 3 for depthwise).
Result<ConvQuant> PrepareConvQuant(const OpContext& c, const Tensor& input,
                                   const Tensor& filter, const Tensor& output,
                                   int channel_axis, int32_t out_c);

// What int8 CONV_2D (filter [O, kh, kw, I]) and DEPTHWISE_CONV_2D (filter
// [1, kh, kw, O]) share: CheckConvTensors, the operator's own rule for its
// output channels, the output's channels, the window, the quantization, the
// accumulator bound, and the output stage.
struct QuantConv {
  int32_t out_c = 0;
  int64_t terms = 0;  // products per output: kh * kw * I, or kh * kw for depthwise
  WindowShape shape;
  ConvQuant quant;
  QOutput output;
};
Result<QuantConv> PrepareQuantConv(const OpContext& c, Result<int32_t> (*output_channels)(const OpContext& c),
                                   bool depthwise);

// Fills spatial geometry (stride, dilation, padding, output size check)
// from a node's attributes; the errors do not name the node (PrepareWindow's
// add it). For code that walks a node's windows outside Prepare, such as the
// quantizer's input moments (ptq/layer_moments.h).
Status ComputeWindow(const OpAttrs& a, const Tensor& input, const Tensor& output, int kernel_h, int kernel_w,
                     bool use_dilation, WindowShape* s);
// ComputeWindow for node `c`, its errors naming it.
Status PrepareWindow(const OpContext& c, const Tensor& input, const Tensor& output,
                     int kernel_h, int kernel_w, bool use_dilation, WindowShape* s);

// The window of a pooling node (AVERAGE_POOL_2D, MAX_POOL_2D): rank-4 input
// and output with the same channels, a window of 1..4096 cells per side;
// fills the geometry (no dilation). Padding is smaller than the window
// (PrepareWindow), so every window holds at least one image cell.
Status PreparePoolWindow(const OpContext& c, WindowShape* s);

// Checks the tensors every 2-D convolution shares: int8 NHWC input and
// output with one scale each, a constant rank-4 int8 (or low-bit) filter.
Status CheckConvTensors(const OpContext& c);

}  // namespace qwasm
