// equalize.h — cross-layer equalization (Nagel et al. 2019, "Data-Free
// Quantization Through Weight Equalization and Bias Correction") of a float
// graph, done before calibration.
//
// Two weighted layers in a row, y = W2 f(W1 x + b1), compute the same thing
// with output channel c of layer 1 divided by s_c and input channel c of
// layer 2 multiplied by s_c, whenever f commutes with the scaling. Choosing
// s_c = sqrt(r1_c / r2_c) (r = the channel's largest |weight|) gives both
// layers the range sqrt(r1_c r2_c) in that channel, so one scale per tensor
// fits all channels far better: this is what rescues per-tensor int8 on
// depthwise networks. Chains (expand -> depthwise -> project) are swept
// until the scales settle.
//
// ReLU commutes with positive scales; ReLU6 does not: min(x / s, 6) is not
// min(x, 6) / s. Rather than turn ReLU6 into ReLU (changing the network, as
// the paper does), the layer keeps ReLU and a CLAMP node with one bound per
// channel, 6 / s_c, follows it (graph/ops/channel_clamp.cc), so the float
// outputs are those of the original graph up to rounding.
//
// Pairs: CONV_2D or DEPTHWISE_CONV_2D (multiplier 1) with no activation,
// ReLU or ReLU6, whose output is read only by a CONV_2D or a multiplier-1
// DEPTHWISE_CONV_2D, weights float32 constants used by no other node.
#pragma once

#include <memory>

#include "core/status.h"
#include "graph/graph.h"

namespace qwasm {

struct EqualizeOptions {
  int max_sweeps = 100;
  double tolerance = 1e-6;  // stop when every scale of a sweep is within 1 +- tolerance
};

struct EqualizeReport {
  size_t pairs = 0;           // layer pairs equalized
  size_t sweeps = 0;          // passes over all pairs
  size_t channel_clamps = 0;  // ReLU6 layers that now clamp per channel
  // Over the first layers of pairs: the largest ratio of a layer's widest
  // output channel range to its mean one, before and after (1 = flat).
  double spread_before = 0.0, spread_after = 0.0;
};

Result<std::unique_ptr<Graph>> EqualizeGraph(const Graph& g, EqualizeReport* report = nullptr,
                                             const EqualizeOptions& options = {});

}  // namespace qwasm
