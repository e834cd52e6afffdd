// float_common.h — preparation shared by the float32 operators: float
// weights (float32, or float16 storage converted once here), fused
// activations as clamps, and the prepared-op shells around kernels.
#pragma once

#include <vector>

#include "graph/op.h"

namespace qwasm {

// float32 tensor, unquantized, of the given role.
Status RequireF32(const OpContext& c, const Tensor& t, const char* role);

// A constant float32 or float16 tensor as float32 values (float16 is
// converted exactly, graph/../quant/float16.h).
Result<std::vector<float>> ReadFloatConstant(const OpContext& c, const Tensor& t, const char* role);

// Input 2 (bias) of conv / depthwise / fully connected when present: a
// constant float32 / float16 [n]; empty when absent.
Result<std::vector<float>> ReadFloatBias(const OpContext& c, int32_t n);

// The clamp of a fused activation.
FOutput FloatActivation(Activation a);

// What CONV_2D and DEPTHWISE_CONV_2D share once their filter shapes are
// checked: output channels, window, weights and bias as float32, activation.
Status PrepareFloatConv(const OpContext& c, int32_t out_c, FConvParams* p, std::vector<float>* weights,
                        std::vector<float>* bias);

// Output bytes of a float weighted layer come from its kernel; this shell
// owns the converted weights and bias the kernel params point at.
template <typename Params, void (*Kernel)(const Params&, const float*, float*)>
class FloatWeightedOp final : public PreparedOp {
 public:
  FloatWeightedOp(std::vector<float> filter, std::vector<float> bias, Params p, int32_t in, int32_t out)
      : filter_(std::move(filter)), bias_(std::move(bias)), p_(p), in_(in), out_(out) {
    p_.filter = filter_.data();
    p_.bias = bias_.empty() ? nullptr : bias_.data();
  }
  void Run(const RunContext& t) override { Kernel(p_, t.at<float>(in_), t.at<float>(out_)); }

 private:
  std::vector<float> filter_, bias_;
  Params p_;
  int32_t in_, out_;
};

// One input, one output, one kernel call on the whole tensor (operators
// with small tensors: pooling, mean, softmax).
template <typename Params, typename In, typename Out, void (*Kernel)(const Params&, const In*, Out*)>
class KernelOp final : public PreparedOp {
 public:
  KernelOp(Params p, int32_t in, int32_t out) : p_(p), in_(in), out_(out) {}
  void Run(const RunContext& t) override { Kernel(p_, t.at<In>(in_), t.at<Out>(out_)); }

 private:
  Params p_;
  int32_t in_, out_;
};

}  // namespace qwasm
