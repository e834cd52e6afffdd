// float_common.h — preparation shared by the float32 operators: float
// weights (float32, or float16 storage converted once here), fused
// activations as clamps.
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

// The tensors every float 2-D convolution shares: float32 rank-4 input and
// output, a rank-4 filter.
Status CheckFloatConvTensors(const OpContext& c);

// What CONV_2D and DEPTHWISE_CONV_2D share once their filter shapes are
// checked: output channels, window, weights and bias as float32, activation.
Status PrepareFloatConv(const OpContext& c, int32_t out_c, FConvParams* p, std::vector<float>* weights,
                        std::vector<float>* bias);

}  // namespace qwasm
