#include "ptq/quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "format/qwm_writer.h"
#include "graph/ops/float_common.h"
#include "ptq/output_ranges.h"
#include "quant/requantize.h"

namespace qwasm {

namespace {

double Sqnr(double signal, double noise) {
  if (noise <= 0.0) return std::numeric_limits<double>::infinity();
  if (signal <= 0.0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

// Real value of element i of tensor t as stored internally.
float RealAt(const Tensor& t, const uint8_t* data, size_t i) {
  if (t.dtype == DType::kFloat32) {
    float v;
    std::memcpy(&v, data + 4 * i, 4);
    return v;
  }
  const int32_t q = static_cast<int8_t>(data[i]);
  return t.quant.scale[0] * static_cast<float>(q - t.quant.zero_point[0]);
}

// A kept float-graph input (bytes of tensor fin) into q's input 0: as they
// are, or quantized onto q's int8 input grid.
Status FeedInput(const Tensor& fin, const std::vector<uint8_t>& sample, Interpreter* q) {
  const Tensor& qin = q->input_tensor(0);
  uint8_t* dst = q->input_buffer(0);
  const DType qext = Interpreter::ExternalDType(qin);
  if (qext == Interpreter::ExternalDType(fin)) {
    std::memcpy(dst, sample.data(), sample.size());
  } else if (fin.dtype == DType::kFloat32 && qext == DType::kInt8) {
    const float* x = reinterpret_cast<const float*>(sample.data());
    for (int64_t i = 0; i < qin.num_elements(); ++i) {
      dst[i] = static_cast<uint8_t>(RoundToQuant(x[i] / qin.quant.scale[0], qin.quant.zero_point[0], -128, 127));
    }
  } else {
    return Status::Error("quantize: cannot feed the quantized graph's input");
  }
  return Status::Ok();
}

// Output 0's real values.
std::vector<float> OutputValues(const Interpreter& it) {
  const int32_t t = it.graph().outputs[0];
  const Tensor& out = it.graph().tensors[t];
  std::vector<float> v(static_cast<size_t>(out.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = RealAt(out, it.tensor_data(t), i);
  return v;
}

size_t ArgMax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

size_t ConstantBytes(const Graph& g) {
  size_t bytes = 0;
  for (const Tensor& t : g.tensors) bytes += t.is_constant() ? t.data_bytes : 0;
  return bytes;
}

// Learned rounding's sequential form: the layers to learn, and the one
// whose input was measured last (the only one ready).
class SequentialMoments : public LayerMomentsSource {
 public:
  explicit SequentialMoments(const std::vector<size_t>& nodes) : nodes_(nodes.begin(), nodes.end()) {}
  bool Has(size_t node) const override { return nodes_.count(node) != 0; }
  bool Ready(size_t node) const override { return node == ready_ && !moments_.empty(); }
  std::vector<LayerMoments> Get(size_t node) const override {
    return node == ready_ ? moments_ : std::vector<LayerMoments>{};
  }
  void Set(size_t node, std::vector<LayerMoments> m) { ready_ = node, moments_ = std::move(m); }
  void Drop(size_t node) { nodes_.erase(node); }  // rounds to nearest

 private:
  std::set<size_t> nodes_;
  size_t ready_ = 0;
  std::vector<LayerMoments> moments_;
};

// The number of operators to run for tensor t to hold its value: up to its
// writer (0 for a graph input).
size_t OpsUntil(const Graph& g, int32_t t) {
  const size_t writer = ProducerOf(g, t);
  return writer < g.nodes.size() ? writer + 1 : 0;
}

}  // namespace

Result<CalibrationOptions> CalibrationFrom(const QuantizeOptions& o) {
  Result<CalibrationMethod> method = ParseCalibrationMethod(o.calibration);
  if (!method.ok()) return method.status();
  CalibrationOptions c;
  c.method = method.value();
  c.percentile = o.percentile;
  c.equalize = o.equalize;
  if (o.rounding != "nearest" && o.rounding != "learned") {
    return Status::Error("unknown rounding '" + o.rounding + "' (known: nearest, learned)");
  }
  c.input_moments = o.rounding == "learned";
  return c;
}

Result<QuantizePlan> PlanFrom(const QuantizeOptions& o) {
  QuantizePlan plan;
  PtqOptions& p = plan.ptq;
  p.per_channel = o.per_channel;
  p.bias_correction = o.bias_correction;
  p.keep_float = o.keep_float;
  Result<WeightEncoding> w = ParseWeightEncoding(o.weights);
  if (!w.ok()) return w.status();
  p.weights = w.value();
  for (const auto& [name, format] : o.layer_weights) {
    Result<WeightEncoding> e = ParseWeightEncoding(format);
    if (!e.ok()) return Status::Error("layer '" + name + "': " + e.status().message());
    p.layer_weights[name] = e.value();
  }
  Result<WeightEncoding> f = ParseWeightEncoding(o.float_weights);
  if (!f.ok() || (f.value().format != WeightFormat::kFloat16 && f.value().format != WeightFormat::kFloat32)) {
    return Status::Error("floatWeights must be float32 or float16, not '" + o.float_weights + "'");
  }
  p.float_weights = f.value().format;
  if (o.rounding_iterations < 1 || o.rounding_iterations > 100000) {
    return Status::Error("roundingIterations must lie in [1, 100000], not " + std::to_string(o.rounding_iterations));
  }
  if (!(o.rounding_time_budget >= 0) || !std::isfinite(o.rounding_time_budget)) {
    return Status::Error("roundingTimeBudget must be a finite number of seconds >= 0 (0: no limit)");
  }
  p.learned_rounding.adaround.iterations = o.rounding_iterations;
  p.learned_rounding.time_budget = o.rounding_time_budget;
  if (o.max_drop >= 0.0 || std::isfinite(o.min_sqnr_db)) {
    // `weights` names the small format the search may use (lut4 unless
    // given); the search starts from int8.
    MixedPrecisionOptions m;
    m.max_drop = o.max_drop;
    m.confidence = o.confidence;
    if (std::isfinite(o.min_sqnr_db)) m.min_sqnr_db = o.min_sqnr_db;
    if (p.weights.format != WeightFormat::kInt8) m.small = p.weights;
    p.weights = WeightEncoding{};
    plan.mixed = m;
  }
  return plan;
}

Result<std::unique_ptr<Quantizer>> Quantizer::Start(std::shared_ptr<const std::vector<uint8_t>> file,
                                                    const QuantizeOptions& o) {
  Result<CalibrationOptions> calibration = CalibrationFrom(o);
  if (!calibration.ok()) return calibration.status();
  Result<std::unique_ptr<Graph>> g = ReadAnyModel(std::move(file));
  if (!g.ok()) return g.status();
  return Create(g.take(), o.threads, calibration.value());
}

Result<std::unique_ptr<Quantizer>> Quantizer::Create(std::unique_ptr<Graph> float_graph, int threads,
                                                     const CalibrationOptions& calibration) {
  if (calibration.method == CalibrationMethod::kPercentile &&
      !(calibration.percentile > 0.0 && calibration.percentile <= 100.0)) {
    return Status::Error("quantize: the calibration percentile must lie in (0, 100], not " +
                         std::to_string(calibration.percentile));
  }
  if (calibration.method == CalibrationMethod::kMovingAverage &&
      !(calibration.averaging_constant > 0.0 && calibration.averaging_constant <= 1.0)) {
    return Status::Error("quantize: the moving-average constant must lie in (0, 1]");
  }
  if (calibration.bins < 16) return Status::Error("quantize: a calibration histogram needs at least 16 bins");
  if (!float_graph) return Status::Error("quantize: no model");
  std::unique_ptr<Quantizer> q(new Quantizer());
  if (calibration.equalize) {
    Result<std::unique_ptr<Graph>> eg = EqualizeGraph(*float_graph, &q->equalization_);
    if (!eg.ok()) return Status::Error("quantize: equalization: " + eg.status().message());
    float_graph = eg.take();
  }
  InterpreterOptions o;
  o.threads = threads;
  o.share_memory = false;  // every activation is read after each run
  o.fuse = false;          // ... and every node quantized as the model has it
  Result<std::unique_ptr<Model>> m = Model::FromGraph(std::move(float_graph), o);
  if (!m.ok()) return m.status();
  q->model_ = m.take();
  q->calibration_ = calibration;
  const Graph& g = q->model_->interpreter().graph();
  q->observers_.resize(g.tensors.size());
  q->channel_sums_.resize(g.tensors.size());
  q->channel_rows_.assign(g.tensors.size(), 0);
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!g.tensors[t].is_constant() && g.tensors[t].dtype == DType::kFloat32) q->observers_[t] = MakeObserver(calibration);
  }
  for (const Node& n : g.nodes) {
    const int32_t in = n.inputs.empty() ? -1 : n.inputs[0];
    if (IsWeighted(n.op) && in >= 0 && q->observers_[in] && !g.tensors[in].shape.empty()) {
      q->channel_sums_[in].assign(static_cast<size_t>(std::max(1, g.tensors[in].shape.back())), 0.0);
      if (calibration.input_moments) q->rounding_nodes_.push_back(static_cast<size_t>(&n - g.nodes.data()));
    }
  }
  return q;
}

Status Quantizer::AddImage(const ImageView& image, float crop_fraction, const PixelNorm& norm, int32_t label) {
  QW_RETURN_IF_ERROR(model_->SetImage(image, crop_fraction, norm));
  Observe(label);
  return Status::Ok();
}

Status Quantizer::Add(const QuantizeSample& s) {
  if (s.image) {
    const float crop = s.image->crop_fraction.value_or(model_->default_crop());
    const PixelNorm norm = s.image->norm.value_or(model_->default_norm());
    return s.budget ? AddBudgetImage(s.image->image, crop, norm, s.label) : AddImage(s.image->image, crop, norm, s.label);
  }
  return s.budget ? AddBudgetTensor(s.tensor, s.tensor_elements, s.label)
                  : AddTensor(s.tensor, s.tensor_elements, s.label);
}

Status Quantizer::SetInputTensor(const float* data, size_t elements, const char* what) {
  const Tensor& in = model_->interpreter().input_tensor(0);
  if (Interpreter::ExternalDType(in) != DType::kFloat32) {
    return Status::Error(std::string("quantize: the model's input is ") +
                         DTypeName(Interpreter::ExternalDType(in)) + ", not float32: give images");
  }
  if (elements != static_cast<size_t>(in.num_elements())) {
    return Status::Error(std::string("quantize: a ") + what + " tensor has " + std::to_string(elements) +
                         " values, the input " + ShapeString(in.shape) + " takes " +
                         std::to_string(in.num_elements()));
  }
  std::memcpy(model_->input_data(), data, elements * sizeof(float));
  return Status::Ok();
}

Status Quantizer::AddTensor(const float* data, size_t elements, int32_t label) {
  QW_RETURN_IF_ERROR(SetInputTensor(data, elements, "calibration"));
  Observe(label);
  return Status::Ok();
}

void Quantizer::Observe(int32_t label) {
  model_->Run();
  const Interpreter& it = model_->interpreter();
  const Graph& g = it.graph();
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!observers_[t]) continue;
    const float* x = reinterpret_cast<const float*>(it.tensor_data(static_cast<int32_t>(t)));
    const size_t n = static_cast<size_t>(g.tensors[t].num_elements());
    observers_[t]->Observe(x, n);
    std::vector<double>& sums = channel_sums_[t];
    if (sums.empty()) continue;
    const size_t channels = sums.size();  // rows of `channels` values: no division per element
    for (size_t r = 0; r + channels <= n; r += channels) {
      for (size_t ch = 0; ch < channels; ++ch) sums[ch] += x[r + ch];
    }
    channel_rows_[t] += n / channels;
  }
  // The first kSqnrSamples feed the SQNR report; up to kKeptBytes of them
  // (at least kSqnrSamples) are the samples mixed precision is judged on.
  const size_t bytes = model_->input_bytes();
  if (kept_inputs_.size() < kSqnrSamples || (kept_inputs_.size() + 1) * bytes <= kKeptBytes) {
    kept_inputs_.emplace_back(model_->input_data(), model_->input_data() + bytes);
    kept_labels_.push_back(label);
  }
  ++samples_;
}

Status Quantizer::AddBudgetImage(const ImageView& image, float crop_fraction, const PixelNorm& norm, int32_t label) {
  QW_RETURN_IF_ERROR(model_->SetImage(image, crop_fraction, norm));
  KeepBudget(label);
  return Status::Ok();
}

Status Quantizer::AddBudgetTensor(const float* data, size_t elements, int32_t label) {
  QW_RETURN_IF_ERROR(SetInputTensor(data, elements, "budget"));
  KeepBudget(label);
  return Status::Ok();
}

void Quantizer::KeepBudget(int32_t label) {
  ++budget_given_;
  // The calibration samples no longer judge the budget: keep the SQNR ones.
  if (kept_inputs_.size() > kSqnrSamples) {
    kept_inputs_.resize(kSqnrSamples);
    kept_inputs_.shrink_to_fit();
    kept_labels_.resize(kSqnrSamples);
    if (float_outputs_.size() > kSqnrSamples) float_outputs_.resize(kSqnrSamples);
  }
  const size_t bytes = model_->input_bytes();
  if ((kept_inputs_.size() + budget_inputs_.size() + 1) * bytes > kKeptBytes) return;
  budget_inputs_.emplace_back(model_->input_data(), model_->input_data() + bytes);
  budget_labels_.push_back(label);
}

std::vector<TensorRange> Quantizer::Ranges() const {
  std::vector<TensorRange> ranges(observers_.size());
  const bool chosen = output_ranges_samples_ == samples_ && output_ranges_.size() == observers_.size();
  for (size_t t = 0; t < observers_.size(); ++t) {
    if (observers_[t]) ranges[t] = chosen && output_ranges_[t].seen() ? output_ranges_[t] : observers_[t]->Range();
    if (channel_rows_[t] == 0) continue;
    for (double sum : channel_sums_[t]) ranges[t].channel_mean.push_back(static_cast<float>(sum / channel_rows_[t]));
  }
  return ranges;
}

Status Quantizer::ChooseOutputRanges(const PtqOptions& given, const std::function<void(size_t, size_t)>& progress) const {
  if (calibration_.method != CalibrationMethod::kOutput || samples_ == 0 || output_ranges_samples_ == samples_) {
    return Status::Ok();
  }
  const Graph& fg = model_->interpreter().graph();
  // Only tensors that get their own grid from their range are judged (not a
  // reshape's, which takes its input's, nor a softmax's fixed one): the
  // nearest-rounded quantization shows which.
  PtqOptions options = given;
  options.learned_rounding = {};
  output_ranges_.clear();
  const std::vector<TensorRange> start = Ranges();
  Result<PtqResult> q = QuantizeGraph(fg, start, options);
  if (!q.ok()) return q.status();
  std::vector<std::vector<TensorRange>> candidates(fg.tensors.size());
  for (size_t t = 0; t < fg.tensors.size(); ++t) {
    const int32_t m = q.value().tensor_map[t];
    if (!observers_[t] || !observers_[t]->histogram() || m < 0 || fg.tensors[t].is_constant()) continue;
    const QuantInfo& got = q.value().graph->tensors[m].quant;
    const QuantInfo own = ActivationQuant(start[t]);
    if (q.value().graph->tensors[m].dtype != DType::kInt8 || got.scale != own.scale || got.zero_point != own.zero_point) {
      continue;
    }
    candidates[t] = OutputRangeCandidates(*observers_[t]->histogram());
  }
  // Judged on output 0 as the model gives it (softmax probabilities, say:
  // on MobileNetV2 that measured better held out than judging the logits,
  // 28.74 against 28.14 dB) over the first kSqnrSamples kept samples (48
  // measured no better: 28.34 dB on the logits, and with learned rounding
  // 28.42 against 28.97 dB on the probabilities).
  const int32_t judged = fg.outputs[0];
  Interpreter& fi = model_->interpreter_mut();
  const size_t samples = std::min(kept_inputs_.size(), kSqnrSamples);
  Result<OutputRangeChoice> c = ChooseRangesByOutputError(
      fi,
      [&](size_t s) {
        std::memcpy(model_->input_data(), kept_inputs_[s].data(), kept_inputs_[s].size());
        model_->Run();
      },
      samples, candidates, judged, progress);
  if (!c.ok()) return c.status();
  output_ranges_.assign(fg.tensors.size(), TensorRange{});
  for (size_t t = 0; t < fg.tensors.size(); ++t) {
    if (candidates[t].empty()) continue;
    output_ranges_[t] = candidates[t][c.value().chosen[t]];
  }
  output_ranges_samples_ = samples_;
  return Status::Ok();
}

Result<PtqResult> Quantizer::Finish(const PtqOptions& given, QuantizeReport* report) const {
  if (samples_ == 0) return Status::Error("quantize: no calibration samples");
  QW_RETURN_IF_ERROR(ChooseOutputRanges(given));
  const Graph& fg = model_->interpreter().graph();
  PtqOptions options = given;
  std::map<size_t, std::string> notes;  // layers learned rounding left at nearest: why
  Result<PtqResult> r = Status::Error("quantize: not run");
  const bool learned = !rounding_nodes_.empty() || options.learned_rounding.moments;
  if (!rounding_nodes_.empty() && !options.learned_rounding.moments) {
    r = LearnSequentially(options, &notes);
  } else {
    r = QuantizeGraph(fg, Ranges(), options);
  }
  if (!r.ok()) return r.status();
  PtqResult& res = r.value();

  // Run the int8 graph beside the float one on the kept samples.
  InterpreterOptions o;
  o.share_memory = false;
  o.fuse = false;  // every tensor of the graph is compared, a clamp's input too
  Result<std::unique_ptr<Interpreter>> qi = Interpreter::Create(CloneGraph(*res.graph), o);
  if (!qi.ok()) return Status::Error("quantize: the quantized graph does not run: " + qi.status().message());
  Interpreter& q = *qi.value();
  const Tensor& fin = fg.tensors[fg.inputs[0]];
  std::vector<double> signal(fg.tensors.size(), 0.0), noise(fg.tensors.size(), 0.0);
  const size_t sqnr_samples = std::min(kept_inputs_.size(), kSqnrSamples);
  for (size_t s = 0; s < sqnr_samples; ++s) {
    const std::vector<uint8_t>& sample = kept_inputs_[s];
    std::memcpy(model_->input_data(), sample.data(), sample.size());
    model_->Run();
    QW_RETURN_IF_ERROR(FeedInput(fin, sample, &q));
    q.Invoke();
    for (size_t t = 0; t < fg.tensors.size(); ++t) {
      const int32_t m = res.tensor_map[t];
      const Tensor& ft = fg.tensors[t];
      if (m < 0 || ft.is_constant() || ft.dtype != DType::kFloat32) continue;
      const Tensor& qt = q.graph().tensors[m];
      const uint8_t* fd = model_->interpreter().tensor_data(static_cast<int32_t>(t));
      const uint8_t* qd = q.tensor_data(m);
      for (int64_t i = 0; i < ft.num_elements(); ++i) {
        const double x = RealAt(ft, fd, i), y = RealAt(qt, qd, i);
        signal[t] += x * x;
        noise[t] += (x - y) * (x - y);
      }
    }
  }
  if (report) {
    report->calibration = CalibrationMethodName(calibration_.method);
    report->equalized = calibration_.equalize;
    report->equalization = equalization_;
    report->bias_corrected = options.bias_correction;
    report->rounding = learned ? "learned" : "nearest";
    report->samples = samples_;
    report->sqnr_samples = sqnr_samples;
    report->layers.clear();
    for (const PtqLayer& l : res.layers) {
      const int32_t out = fg.nodes[l.node].outputs[0];
      report->layers.push_back({l, Sqnr(signal[out], noise[out]), ""});
      const auto note = notes.find(l.node);
      if (note != notes.end() && l.precision == "int8") {
        report->layers.back().layer.rounding.note = note->second;
      }
    }
    const int32_t out = fg.outputs[0];
    report->output_sqnr_db = Sqnr(signal[out], noise[out]);
    report->float_weight_bytes = ConstantBytes(fg);
    report->quant_weight_bytes = ConstantBytes(*res.graph);
  }
  return r;
}

Result<PtqResult> Quantizer::LearnSequentially(const PtqOptions& given, std::map<size_t, std::string>* notes) const {
  const Graph& fg = model_->interpreter().graph();
  const std::vector<TensorRange> ranges = Ranges();
  SequentialMoments source(rounding_nodes_);
  LearnedLayers learned;
  PtqOptions options = given;
  options.learned_rounding.moments = &source;
  options.learned_rounding.learned = &learned;
  const Tensor& fin = fg.tensors[fg.inputs[0]];
  Interpreter& fi = model_->interpreter_mut();
  std::vector<float> x;
  // The graph with the layers measured so far learned; when the last of
  // them (learned by this call) clamps its output, again with its mean
  // after the activation corrected.
  size_t measured = fg.nodes.size();
  auto quantize = [&]() -> Result<PtqResult> {
    Result<PtqResult> r = QuantizeGraph(fg, ranges, options);
    if (!r.ok() || !options.bias_correction || measured == fg.nodes.size()) return r;
    const auto shift = learned.mean_shift.find(measured);
    if (shift == learned.mean_shift.end()) return r;
    Result<ActivatedError> before = ActivatedMeanError(measured, r.value());
    if (!before.ok() || before.value().error.empty()) return before.ok() ? std::move(r) : before.status();
    // A Newton step, kept per channel where it lowers the measured error:
    // the bias moves only the outputs inside the range, and which are
    // inside moves with it (a coarse output grid can overshoot).
    const std::vector<double> base = shift->second;
    const std::vector<double>& e0 = before.value().error;
    for (size_t c = 0; c < base.size(); ++c) {
      if (before.value().active[c] >= 0.01) shift->second[c] = base[c] + e0[c] / before.value().active[c];
    }
    r = QuantizeGraph(fg, ranges, options);
    if (!r.ok()) return r;
    Result<ActivatedError> after = ActivatedMeanError(measured, r.value());
    if (!after.ok()) return after.status();
    bool kept_all = true;
    for (size_t c = 0; c < base.size(); ++c) {
      if (std::fabs(after.value().error[c]) > std::fabs(e0[c])) shift->second[c] = base[c], kept_all = false;
    }
    if (kept_all) return r;
    return QuantizeGraph(fg, ranges, options);
  };
  for (size_t node : rounding_nodes_) {
    // The graph with the layers before `node` as learned (the last of them
    // learned now, from the moments measured for it last time round).
    Result<PtqResult> step = quantize();
    if (!step.ok()) return step.status();
    const Node& n = fg.nodes[node];
    if (step.value().layers[node].precision != "int8") {  // runs in float: nothing to round
      source.Drop(node);
      continue;
    }
    Result<LayerMomentsCollector> c = LayerMomentsCollector::For(fg, n, 256, LayerMomentsCollector::kMaxBytes, true);
    if (!c.ok()) {
      (*notes)[node] = "rounded to nearest: " + c.status().message();
      source.Drop(node);
      continue;
    }
    InterpreterOptions o;
    o.share_memory = false;
    o.fuse = false;  // the float graph's tensors keep their place (tensor_map)
    Result<std::unique_ptr<Interpreter>> qi = Interpreter::Create(CloneGraph(*step.value().graph), o);
    if (!qi.ok()) return Status::Error("quantize: the quantized graph does not run: " + qi.status().message());
    Interpreter& q = *qi.value();
    const int32_t t = n.inputs[0], m = step.value().tensor_map[t];
    const size_t float_ops = OpsUntil(fg, t), quant_ops = m >= 0 ? OpsUntil(q.graph(), m) : 0;
    for (const std::vector<uint8_t>& sample : kept_inputs_) {
      std::memcpy(model_->input_data(), sample.data(), sample.size());
      fi.InvokePrefix(float_ops);
      const float* reference = reinterpret_cast<const float*>(fi.tensor_data(t));
      if (m < 0) {
        c.value().Add(reference, reference);
        continue;
      }
      QW_RETURN_IF_ERROR(FeedInput(fin, sample, &q));
      q.InvokePrefix(quant_ops);
      const Tensor& qt = q.graph().tensors[m];
      x.resize(static_cast<size_t>(qt.num_elements()));
      for (size_t i = 0; i < x.size(); ++i) x[i] = RealAt(qt, q.tensor_data(m), i);
      c.value().Add(x.data(), reference);
    }
    std::vector<LayerMoments> moments;
    for (size_t group = 0; group < c.value().groups(); ++group) {
      moments.push_back(c.value().Moments(group, kMomentShrinkWeight));
    }
    source.Set(node, std::move(moments));
    measured = node;
  }
  return quantize();  // learns the last layer
}

Result<Quantizer::ActivatedError> Quantizer::ActivatedMeanError(size_t node, const PtqResult& step) const {
  const Graph& fg = model_->interpreter().graph();
  const Node& n = fg.nodes[node];
  const int32_t t = n.outputs.empty() ? -1 : n.outputs[0];
  const int32_t m = t >= 0 ? step.tensor_map[t] : -1;
  if (m < 0 || fg.tensors[t].shape.empty()) return ActivatedError{};
  // The activation's open range: outputs strictly inside it move with the bias.
  const FOutput range = FloatActivation(n.attrs.activation);
  double lo = range.min, hi = range.max;
  const std::vector<float>& fused_max = n.attrs.fused_max;
  if (!fused_max.empty()) lo = std::max(lo, double{n.attrs.fused_min});
  if (std::isinf(lo) && std::isinf(hi) && fused_max.empty()) return ActivatedError{};  // linear: the shift is exact
  const size_t channels = static_cast<size_t>(fg.tensors[t].shape.back());
  if (!fused_max.empty() && fused_max.size() != channels) return ActivatedError{};

  InterpreterOptions o;
  o.share_memory = false;
  o.fuse = false;  // the float graph's tensors keep their place (tensor_map)
  Result<std::unique_ptr<Interpreter>> qi = Interpreter::Create(CloneGraph(*step.graph), o);
  if (!qi.ok()) return Status::Error("quantize: the quantized graph does not run: " + qi.status().message());
  Interpreter& q = *qi.value();
  Interpreter& fi = model_->interpreter_mut();
  const Tensor& fin = fg.tensors[fg.inputs[0]];
  const size_t float_ops = OpsUntil(fg, t), quant_ops = OpsUntil(q.graph(), m);
  std::vector<double> error(channels, 0.0);
  std::vector<size_t> active(channels, 0);
  size_t rows = 0;
  for (const std::vector<uint8_t>& sample : kept_inputs_) {
    std::memcpy(model_->input_data(), sample.data(), sample.size());
    fi.InvokePrefix(float_ops);
    const float* reference = reinterpret_cast<const float*>(fi.tensor_data(t));
    QW_RETURN_IF_ERROR(FeedInput(fin, sample, &q));
    q.InvokePrefix(quant_ops);
    const Tensor& qt = q.graph().tensors[m];
    const uint8_t* qd = q.tensor_data(m);
    const size_t count = static_cast<size_t>(qt.num_elements());
    for (size_t i = 0; i < count; ++i) {
      const size_t c = i % channels;
      const double top = fused_max.empty() ? hi : std::min(hi, double{fused_max[c]});
      error[c] += RealAt(qt, qd, i) - reference[i];
      active[c] += reference[i] > lo && reference[i] < top;
    }
    rows += count / channels;
  }
  ActivatedError e;
  if (rows == 0) return e;
  e.error.resize(channels), e.active.resize(channels);
  for (size_t c = 0; c < channels; ++c) {
    e.error[c] = error[c] / static_cast<double>(rows);
    e.active[c] = static_cast<double>(active[c]) / static_cast<double>(rows);
  }
  return e;
}

Result<MixedEvaluation> Quantizer::Evaluate(const PtqOptions& options, bool all_samples) const {
  QW_RETURN_IF_ERROR(ChooseOutputRanges(options));
  return EvaluateWith(Ranges(), options, all_samples);
}

Result<MixedEvaluation> Quantizer::EvaluateWith(const std::vector<TensorRange>& ranges, const PtqOptions& options,
                                                bool all_samples) const {
  if (samples_ == 0) return Status::Error("quantize: no calibration samples");
  const Graph& fg = model_->interpreter().graph();
  // All samples: the budget set when given, else the kept calibration ones.
  const bool held = all_samples && !budget_inputs_.empty();
  const std::vector<std::vector<uint8_t>>& inputs = held ? budget_inputs_ : kept_inputs_;
  const std::vector<int32_t>& labels = held ? budget_labels_ : kept_labels_;
  std::vector<std::vector<float>>& float_outputs = held ? budget_float_outputs_ : float_outputs_;
  if (float_outputs.size() < inputs.size()) {  // the float model's answers, once
    for (size_t s = float_outputs.size(); s < inputs.size(); ++s) {
      std::memcpy(model_->input_data(), inputs[s].data(), inputs[s].size());
      model_->Run();
      float_outputs.push_back(OutputValues(model_->interpreter()));
    }
  }
  Result<PtqResult> r = QuantizeGraph(fg, ranges, options);
  if (!r.ok()) return r.status();
  Result<std::unique_ptr<Interpreter>> qi = Interpreter::Create(std::move(r.value().graph));
  if (!qi.ok()) return Status::Error("quantize: the quantized graph does not run: " + qi.status().message());
  Interpreter& q = *qi.value();
  const size_t n = all_samples ? inputs.size() : std::min(inputs.size(), kSqnrSamples);
  double signal = 0.0, noise = 0.0;
  size_t agree = 0, lost = 0, gained = 0;
  bool labelled = true;
  for (size_t s = 0; s < n; ++s) {
    QW_RETURN_IF_ERROR(FeedInput(fg.tensors[fg.inputs[0]], inputs[s], &q));
    q.Invoke();
    const std::vector<float> y = OutputValues(q);
    const std::vector<float>& x = float_outputs[s];
    for (size_t i = 0; i < x.size(); ++i) {
      signal += static_cast<double>(x[i]) * x[i];
      noise += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    }
    const size_t fx = ArgMax(x), qy = ArgMax(y);
    agree += fx == qy;
    const int32_t label = labels[s];
    labelled = labelled && label >= 0 && static_cast<size_t>(label) < x.size();
    lost += fx == static_cast<size_t>(label) && qy != fx;  // paired: float right, quantized wrong
    gained += qy == static_cast<size_t>(label) && qy != fx;
  }
  MixedEvaluation e;
  e.output_sqnr_db = Sqnr(signal, noise);
  e.agreement = static_cast<double>(agree) / static_cast<double>(n);
  e.labelled = labelled;
  e.samples = n;
  e.changed = n - agree;
  e.lost = labelled ? lost : e.changed;  // unlabelled: every change may be a loss
  e.gained = labelled ? gained : 0;
  e.held_out = held;
  e.drop = 100.0 * (static_cast<double>(e.lost) - static_cast<double>(e.gained)) / static_cast<double>(n);
  return e;
}

Result<PtqResult> Quantizer::FinishMixed(const PtqOptions& base, const MixedPrecisionOptions& mixed,
                                         QuantizeReport* report, MixedResult* choice,
                                         const std::function<void(size_t, size_t)>& progress) const {
  if (samples_ == 0) return Status::Error("quantize: no calibration samples");
  const Graph& fg = model_->interpreter().graph();
  const std::set<std::string> keep(base.keep_float.begin(), base.keep_float.end());
  std::vector<LayerWeights> layers;
  for (const Node& n : fg.nodes) {
    if (!IsWeighted(n.op) || keep.count(n.name) || base.layer_weights.count(n.name) || n.inputs.size() < 2) continue;
    const Tensor& w = fg.tensors[n.inputs[1]];
    const size_t axis = static_cast<size_t>(FilterChannelAxis(n.op));
    layers.push_back({n.name, static_cast<size_t>(w.num_elements()),
                      w.shape.size() > axis ? static_cast<size_t>(w.shape[axis]) : 1});
  }
  QW_RETURN_IF_ERROR(ChooseOutputRanges(base));
  const std::vector<TensorRange> ranges = Ranges();  // fixed during the search
  Result<MixedResult> m = ChooseMixedPrecision(
      layers, base, mixed, [&](const PtqOptions& o, bool all) { return EvaluateWith(ranges, o, all); }, progress);
  if (!m.ok()) return m.status();
  Result<PtqResult> r = Finish(m.value().options, report);
  if (r.ok() && report) {
    for (LayerReport& l : report->layers) {
      for (const MixedChoice& c : m.value().choices) {
        if (c.layer == l.layer.name) l.choice = c.why;
      }
    }
  }
  if (r.ok() && choice) *choice = m.take();
  return r;
}

Result<QuantizeOutput> Quantizer::Quantize(const QuantizeOptions& o,
                                           const std::function<void(size_t, size_t)>& progress,
                                           const std::function<void(size_t, size_t)>& rounding_progress,
                                           const std::function<void(size_t, size_t)>& range_progress) const {
  Result<QuantizePlan> plan = PlanFrom(o);
  if (!plan.ok()) return plan.status();
  QuantizePlan& p = plan.value();
  QW_RETURN_IF_ERROR(ChooseOutputRanges(p.ptq, range_progress));
  p.ptq.learned_rounding.progress = rounding_progress;
  QuantizeOutput out;
  Result<PtqResult> r = p.mixed ? FinishMixed(p.ptq, *p.mixed, &out.report, &out.mixed, progress)
                                : Finish(p.ptq, &out.report);
  if (!r.ok()) return r.status();
  Graph& g = *r.value().graph;
  ApplyMetadata(o.metadata, &g.metadata);
  if (g.metadata.producer.find("qwasm") == std::string::npos) g.metadata.producer += " + qwasm quantize";
  Result<std::vector<uint8_t>> file = WriteQwm(g);
  if (!file.ok()) return file.status();
  out.qwm = file.take();
  return out;
}

}  // namespace qwasm
