// quantizer.h — the `quantize` job behind tools/quantize.mjs and the page:
// a float classifier plus calibration samples in, an int8 (mixed where it
// must be) graph and a per-layer report out.
//
// Calibration samples go through the same preprocessing as inference
// (Model::SetImage), or come as raw float input tensors. Each sample runs
// the float graph once and feeds every float activation to its observer
// (ptq/observers.h: min-max by default, or a histogram method), which
// gives the range its int8 grid covers; the
// first kSqnrSamples are kept to measure, after quantization, how far each
// layer's int8 output lies from its float output (SQNR).
//
// QuantizeOptions is the job as the JS API's quantize() states it (options
// by name; src/bindings/embind_tools.cc only translates them): Start,
// Add(QuantizeSample) and Quantize run it from a model file to .qwm bytes.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/model.h"
#include "ptq/equalize.h"
#include "ptq/mixed_precision.h"
#include "ptq/observers.h"
#include "ptq/layer_moments.h"
#include "ptq/ptq.h"

namespace qwasm {

struct LayerReport {
  PtqLayer layer;
  double sqnr_db = 0.0;  // of the node's output vs float; +inf when exact
  std::string choice;    // FinishMixed: why the layer got its weight format (MixedChoice::why)
};

struct QuantizeReport {
  std::string calibration;         // method name (CalibrationMethodName)
  bool equalized = false;          // CalibrationOptions::equalize
  EqualizeReport equalization;     // what it did
  bool bias_corrected = false;     // PtqOptions::bias_correction
  std::string rounding = "nearest";  // or "learned" (LayerReport::layer.rounding says what it did)
  size_t samples = 0;              // calibration samples seen
  size_t sqnr_samples = 0;         // of which used for the SQNR figures
  std::vector<LayerReport> layers;
  double output_sqnr_db = 0.0;     // graph output 0
  size_t float_weight_bytes = 0;   // constants of the float graph
  size_t quant_weight_bytes = 0;   // constants of the result
};

// quantize()'s options by name (web/convert.js checks their types; the
// names are checked here, with errors that list the valid ones).
struct QuantizeOptions {
  int threads = 1;
  // Calibration (CalibrationOptions).
  std::string calibration = "minmax";  // ParseCalibrationMethod
  double percentile = 99.99;           // "percentile" only
  bool equalize = false;
  // Quantization (PtqOptions).
  bool per_channel = true;
  bool bias_correction = false;
  std::vector<std::string> keep_float;                // node names
  std::string weights = "int8";                       // ParseWeightEncoding
  std::vector<std::pair<std::string, std::string>> layer_weights;  // node name, weight format name
  std::string float_weights = "float32";              // "float32" or "float16"
  // Weight rounding: "nearest", or "learned" (ptq/learned_rounding.h: the
  // calibration collects each weighted layer's input moments); its Adam
  // iterations per layer and time budget for all layers (seconds, 0: none).
  std::string rounding = "nearest";
  int rounding_iterations = 1000;
  double rounding_time_budget = 0;
  // Automatic mixed precision, for the layers layer_weights leaves open, when
  // max_drop >= 0 (points) or min_sqnr_db is finite; `weights` then names the
  // small format the search may use (lut4 when "int8"), and the drop is
  // judged by its upper bound at `confidence` (0: the measured drop).
  double max_drop = -1.0;
  double min_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  double confidence = 0.95;
  MetadataOverrides metadata;  // written into the quantized model
};

// The calibration settings `o` names.
Result<CalibrationOptions> CalibrationFrom(const QuantizeOptions& o);

// What Finish (no `mixed`) or FinishMixed take for `o`.
struct QuantizePlan {
  PtqOptions ptq;
  std::optional<MixedPrecisionOptions> mixed;
};
Result<QuantizePlan> PlanFrom(const QuantizeOptions& o);

// One calibration or budget sample as the JS API hands it over: an image, or
// else a float input tensor.
struct QuantizeSample {
  std::optional<ImageInput> image;
  const float* tensor = nullptr;
  size_t tensor_elements = 0;
  int32_t label = -1;   // the class as an output index; < 0: unknown
  bool budget = false;  // judges mixed precision only (AddBudgetImage / AddBudgetTensor)
};

struct QuantizeOutput {
  std::vector<uint8_t> qwm;  // the quantized model file
  QuantizeReport report;
  MixedResult mixed;  // evaluations == 0 without automatic mixed precision
};

class Quantizer {
 public:
  static constexpr size_t kSqnrSamples = 16;
  // Inputs kept for judging mixed precision (at least kSqnrSamples).
  static constexpr size_t kKeptBytes = size_t{64} << 20;
  // Learned rounding's input moments are shrunk towards their diagonals
  // with this weight (LayerMomentsCollector::Moments): on MobileNetV2 int4
  // it lifts held-out agreement with FP32 from 87.25% to 90.00%.
  static constexpr double kMomentShrinkWeight = 4;

  static Result<std::unique_ptr<Quantizer>> Create(std::unique_ptr<Graph> float_graph, int threads = 1,
                                                   const CalibrationOptions& calibration = {});

  // Reads a float model file (ReadAnyModel) and starts calibrating it with
  // o.threads and CalibrationFrom(o).
  static Result<std::unique_ptr<Quantizer>> Start(std::shared_ptr<const std::vector<uint8_t>> file,
                                                  const QuantizeOptions& o);

  const Model& model() const { return *model_; }
  // label: the sample's class as an output index (< 0: unknown). Labels let
  // mixed precision measure its accuracy drop instead of bounding it.
  Status AddImage(const ImageView& image, float crop_fraction, const PixelNorm& norm, int32_t label = -1);
  // A raw input tensor in the float graph's input layout (NHWC).
  Status AddTensor(const float* data, size_t elements, int32_t label = -1);

  // A sample that only judges mixed precision's budget (it is not observed,
  // so it does not move any range). Once any are given, the full-sample
  // evaluations (Evaluate(o, true), FinishMixed) use them instead of the kept
  // calibration samples, which are then released beyond the first
  // kSqnrSamples; together they stay within kKeptBytes (later ones are
  // counted in budget_given() but not kept).
  Status AddBudgetImage(const ImageView& image, float crop_fraction, const PixelNorm& norm, int32_t label = -1);
  Status AddBudgetTensor(const float* data, size_t elements, int32_t label = -1);
  size_t budget_given() const { return budget_given_; }

  // AddImage, AddTensor or their budget forms, as the sample says; an image
  // without its own crop or normalisation gets the model's.
  Status Add(const QuantizeSample& sample);

  // The range each tensor's observer gives now (indexed like the float
  // graph's tensors; unseen for constants and non-float tensors); with
  // calibration "output", the ranges chosen once Finish, FinishMixed,
  // Evaluate or Quantize has chosen them for the samples given so far.
  std::vector<TensorRange> Ranges() const;

  // Quantizes with the ranges seen so far (needs at least one sample); with
  // learned rounding (LearnSequentially, on the kept samples) when the
  // calibration asked for it (CalibrationOptions::input_moments) and
  // options.learned_rounding gives no moments of its own. The mixed-precision
  // search judges its candidates with nearest rounding; its final choice
  // is rounded as learned.
  Result<PtqResult> Finish(const PtqOptions& options, QuantizeReport* report) const;

  // Output SQNR and top-1 agreement of a quantization against the float
  // model, on the kept samples (all, or the first kSqnrSamples).
  Result<MixedEvaluation> Evaluate(const PtqOptions& options, bool all_samples) const;
  // Finish with weight formats chosen per layer (ptq/mixed_precision.h)
  // for layers `base` leaves open; the choice and reasons go to `choice`.
  Result<PtqResult> FinishMixed(const PtqOptions& base, const MixedPrecisionOptions& mixed, QuantizeReport* report,
                                MixedResult* choice, const std::function<void(size_t, size_t)>& progress = {}) const;

  // Finish or FinishMixed as PlanFrom(o) says (progress: FinishMixed's;
  // rounding_progress: learned rounding's, LearnedRoundingOptions::progress;
  // range_progress: calibration "output"'s, per sample judged),
  // then o.metadata written over the model's, its producer marked
  // "+ qwasm quantize", and the .qwm file.
  Result<QuantizeOutput> Quantize(const QuantizeOptions& o, const std::function<void(size_t, size_t)>& progress = {},
                                  const std::function<void(size_t, size_t)>& rounding_progress = {},
                                  const std::function<void(size_t, size_t)>& range_progress = {}) const;

 private:
  void Observe(int32_t label);
  // Copies a raw float input tensor into the model after checking its size;
  // `what` names it in messages ("calibration", "budget").
  Status SetInputTensor(const float* data, size_t elements, const char* what);
  Result<MixedEvaluation> EvaluateWith(const std::vector<TensorRange>& ranges, const PtqOptions& options,
                                       bool all_samples) const;
  void KeepBudget(int32_t label);  // the model's input data as a budget sample
  // Learned rounding's sequential form (AdaRound as usually run): layer by
  // layer in graph order, the layer's input measured on the kept samples in
  // the graph quantized with the layers before it learned (x~, int8
  // activations included) beside the float graph's (x); its rounding then
  // minimises E[(w_q . x~ - w . x)^2], so it also offsets the error the
  // layers before it leave. Layers it cannot learn go to `notes`.
  Result<PtqResult> LearnSequentially(const PtqOptions& options, std::map<size_t, std::string>* notes) const;
  // With bias correction, a learned layer whose fused activation clamps
  // (ReLU, ReLU6, a fused clamp) has its mean shift, measured before the
  // activation, corrected after it: the pre-activation shift does not zero
  // the mean error after the activation, which a global average pool then
  // passes on whole. Per output channel of node's output in `step` (the
  // quantized graph with it learned), on the kept samples: the mean error
  // against the float graph and the share of float outputs strictly inside
  // the activation's range (the ones the bias moves). Empty for a node with
  // no clamping activation.
  struct ActivatedError {
    std::vector<double> error, active;
  };
  Result<ActivatedError> ActivatedMeanError(size_t node, const PtqResult& step) const;
  // Calibration "output" (ptq/output_ranges.h): the ranges chosen by the
  // model's output error on the first kSqnrSamples kept samples, once per
  // set of samples (Ranges() then gives them). The tensors judged are those
  // the first call's options quantize with a grid of their own.
  Status ChooseOutputRanges(const PtqOptions& options, const std::function<void(size_t, size_t)>& progress = {}) const;

  std::unique_ptr<Model> model_;  // the float graph (equalized if asked), every tensor kept
  CalibrationOptions calibration_;
  EqualizeReport equalization_;
  // Per-channel sums of the inputs of weighted layers (bias correction);
  // empty for other tensors.
  std::vector<std::vector<double>> channel_sums_;
  std::vector<uint64_t> channel_rows_;
  std::vector<std::unique_ptr<Observer>> observers_;  // null for constants and non-float tensors
  std::vector<std::vector<uint8_t>> kept_inputs_;
  std::vector<int32_t> kept_labels_;  // one per kept input, -1 when unknown
  mutable std::vector<std::vector<float>> float_outputs_;  // output 0 of the float model per kept input
  std::vector<std::vector<uint8_t>> budget_inputs_;  // AddBudget*: judged on, never observed
  std::vector<int32_t> budget_labels_;
  mutable std::vector<std::vector<float>> budget_float_outputs_;
  size_t budget_given_ = 0;
  size_t samples_ = 0;
  // calibration.input_moments: the weighted nodes whose rounding Finish
  // learns, in graph order.
  std::vector<size_t> rounding_nodes_;
  mutable std::vector<TensorRange> output_ranges_;  // ChooseOutputRanges: per tensor (unseen: the observer's)
  mutable size_t output_ranges_samples_ = 0;        // samples_ when chosen (0: not yet)
};

}  // namespace qwasm
