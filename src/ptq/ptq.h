// ptq.h — post-training quantization of a float graph to int8.
//
// Input: a float32 graph (from the ONNX importer) and the real-value range
// each of its tensors took over calibration runs (quant/calibration.h).
// Output: a graph in which every operator that has an int8 kernel runs in
// int8, the rest in float, joined by QUANTIZE / DEQUANTIZE nodes:
//   - weights (conv, depthwise, fully connected): symmetric int8, one scale
//     per output channel (or per tensor), zero point 0; or, by
//     PtqOptions::weights / layer_weights, int4 or codebook (lut4, lut8);
//   - bias: int32 on the grid input scale x weight scale (optionally
//     corrected for the weights' quantization error, PtqOptions);
//   - activations: asymmetric int8 from the observed [min, max] widened to
//     contain 0 (so zero padding and ReLU's 0 are exact);
//   - max pool, reshape, transpose and pad reuse their input's grid; softmax
//     outputs use TFLite's fixed 1/256 grid; a per-channel CLAMP
//     (ptq/equalize.h) gives its own grid to the layer it clamps.
// An operator whose int8 preparation fails (e.g. an accumulator that could
// overflow) stays in float and the report says why. Constants no operator
// uses any more are dropped; PtqResult::tensor_map says where each tensor
// of the float graph went.
#pragma once

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "graph/op_registry.h"
#include "ptq/learned_rounding.h"

namespace qwasm {

// Range of real values a tensor took over calibration.
struct TensorRange {
  TensorRange() = default;
  TensorRange(float lo, float hi) : min(lo), max(hi) {}
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  // Mean of each channel (last axis) over calibration, for the inputs of
  // weighted layers (bias correction); empty when not recorded.
  std::vector<float> channel_mean;
  bool seen() const { return min <= max; }
  void Update(const float* x, size_t n);
};

// How the weights of a quantized CONV_2D, DEPTHWISE_CONV_2D or
// FULLY_CONNECTED are stored (core/dtype.h). All run through the int8
// kernels: the operator expands them to int8 when it packs its weights.
enum class WeightFormat : uint8_t {
  kInt8,  // symmetric int8, scale max|w| / 127
  kInt4,  // symmetric int4 in [-7, 7], scale per channel up to max|w| / 7 (ptq/int4.h; float16-exact), two per byte
  kLut4,  // 16-entry int8 codebook (k-means, ptq/codebook.h), 4-bit indices
  kLut8,  // 256-entry int8 codebook, 8-bit indices
  // The layer stays in float (float32 arithmetic, activations dequantized
  // around it) with its weights stored as:
  kFloat16,  // IEEE half (bias stays float32)
  kFloat32,
};
struct WeightEncoding {
  WeightFormat format = WeightFormat::kInt8;
  bool per_channel_codebook = false;  // lut4 / lut8: a codebook per output channel, else per layer
};
// "int8", "int4", "lut4/layer", "lut4/channel", "lut8/layer", "lut8/channel",
// "float16", "float32".
std::string WeightEncodingName(const WeightEncoding& e);
// The inverse, also accepting "lut4" and "lut8" (= per-channel codebooks);
// an unknown name is an error listing the known ones.
Result<WeightEncoding> ParseWeightEncoding(const std::string& name);

// Learned rounding (ptq/learned_rounding.h) of quantized weights (int8,
// int4, lut4, lut8; per channel or per tensor).
// Layers learned so far, by node of the float graph: kept across
// QuantizeGraph calls with the same options (the sequential form quantizes
// once per layer), with the time budget's clock.
struct LearnedLayers {
  Graph owner;                     // the weights' bytes
  std::map<size_t, Tensor> weights;  // quantized filters
  std::map<size_t, LayerRounding> report;
  // Per output channel, E[w_q . x~] - E[w . x] where the moments had means
  // (the sequential form): what bias correction subtracts instead of
  // (W_q - W) E[x], so that it also removes the mean error the layers
  // before leave.
  std::map<size_t, std::vector<double>> mean_shift;
  bool started = false;
  std::chrono::steady_clock::time_point start;
  double seconds_per_cost = 0;  // measured on the layers learned so far
};

struct LearnedRoundingOptions {
  // The layers' input moments. Null, or a node it has not: nearest rounding.
  const LayerMomentsSource* moments = nullptr;
  // Where learned layers are kept and looked up first (null: one call's).
  LearnedLayers* learned = nullptr;
  AdaRoundOptions adaround;
  // Seconds for all layers together (0: no limit). Each layer gets a share
  // by its size and, once the speed is known, as many iterations as fit;
  // the result then depends on the machine's speed.
  double time_budget = 0;
  // After each layer: (layers done, layers to do).
  std::function<void(size_t, size_t)> progress;
};

struct PtqOptions {
  bool per_channel = true;              // weight scales per output channel
  std::vector<std::string> keep_float;  // node names to leave in float
  WeightEncoding weights;               // for every weighted layer...
  std::map<std::string, WeightEncoding> layer_weights;  // ...except these, by node name
  // Weights of weighted layers that stay in float for another reason (kept
  // on request, no int8 kernel, int8 rejected): kFloat32 or kFloat16.
  WeightFormat float_weights = WeightFormat::kFloat32;
  // Bias correction (Nagel et al. 2019, empirical form): a quantized layer's
  // bias absorbs the mean shift its weight error causes, b -= (W_q - W) E[x],
  // with E[x] per input channel from TensorRange::channel_mean (a layer
  // whose input has none is left as it is); for a layer learned
  // sequentially, b -= E[w_q . x~] - E[w . x] (LearnedLayers::mean_shift).
  bool bias_correction = false;
  LearnedRoundingOptions learned_rounding;
};

struct PtqLayer {
  size_t node = 0;        // index in the input (float) graph
  std::string name, op;   // node name, operator
  std::string precision;  // "int8", "float32", or "removed" (a DEQUANTIZE made redundant)
  std::string weight_format;  // weighted layers: WeightEncodingName, else ""
  size_t weight_bytes = 0;    // constant inputs' bytes, codebooks included
  std::string reason;     // why a layer stayed in float
  LayerRounding rounding;  // learned rounding: what it did
};

// How the quantizer treats an operator: its OpDef's rule (graph/op_registry.h).
const QuantRule& RuleOf(OpType op);
// Operators with a weight input (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED):
// the ones weight formats apply to.
inline bool IsWeighted(OpType op) { return RuleOf(op).weight_axis >= 0; }
// The channel axis of such an op's filter (depthwise: 3, else 0).
inline int FilterChannelAxis(OpType op) { return RuleOf(op).weight_axis; }

// The int8 grid for an observed range: scale (hi - lo) / 255 over the range
// widened to contain 0, zero point rounding -128 - lo / scale.
QuantInfo ActivationQuant(const TensorRange& r);

struct PtqResult {
  std::unique_ptr<Graph> graph;
  // tensor_map[t]: the tensor of `graph` holding float tensor t's values
  // (int8 or float), or -1 when it has none (a dropped constant).
  std::vector<int32_t> tensor_map;
  std::vector<PtqLayer> layers;  // one per node of the float graph
};

// `ranges` is indexed like fg.tensors (entries of constants are ignored).
Result<PtqResult> QuantizeGraph(const Graph& fg, const std::vector<TensorRange>& ranges,
                                const PtqOptions& options);

}  // namespace qwasm
