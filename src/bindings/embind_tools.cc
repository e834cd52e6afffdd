// embind_tools.cc — the converter and the quantizer for JavaScript
// (web/convert.js): WasmConverter (any model file -> .qwm) and
// WasmQuantizer (float model + calibration images -> int8 .qwm + report).
// Bytes come in through staging(n) views filled by one TypedArray.set, as in
// embind.cc; metadata and options come as plain JS objects.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "api/model.h"
#include "ptq/quantizer.h"
#include "format/qwm_writer.h"

using emscripten::val;

namespace qwasm {
namespace {

std::vector<std::string> Strings(const val& a) {
  std::vector<std::string> out;
  const int n = a["length"].as<int>();
  for (int i = 0; i < n; ++i) out.push_back(a[i].as<std::string>());
  return out;
}

std::vector<float> Floats(const val& a) {
  std::vector<float> out;
  const int n = a["length"].as<int>();
  for (int i = 0; i < n; ++i) out.push_back(a[i].as<float>());
  return out;
}

// Applies the overrides web/convert.js validated (labels, mean/std, crop, names).
void ApplyMetadata(const val& m, ModelMetadata* meta) {
  auto str = [&](const char* key, std::string* field) {
    if (m.hasOwnProperty(key)) *field = m[key].as<std::string>();
  };
  str("name", &meta->name);
  str("description", &meta->description);
  str("version", &meta->version);
  str("author", &meta->author);
  str("license", &meta->license);
  if (m.hasOwnProperty("labels")) meta->labels = Strings(m["labels"]);
  if (m.hasOwnProperty("mean")) meta->mean = Floats(m["mean"]);
  if (m.hasOwnProperty("std")) meta->std = Floats(m["std"]);
  if (m.hasOwnProperty("cropFraction")) meta->crop_fraction = m["cropFraction"].as<float>();
}

val View(const std::vector<uint8_t>& bytes) {
  return val(emscripten::typed_memory_view(bytes.size(), bytes.data()));
}

// null for +-infinity (no noise / no signal): JSON and JS numbers alike.
val Db(double db) { return std::isfinite(db) ? val(db) : val::null(); }

}  // namespace

class WasmConverter {
 public:
  val staging(int bytes) {
    staging_.assign(static_cast<size_t>(bytes > 0 ? bytes : 0), 0);
    return View(staging_);
  }
  std::string read() {
    auto bytes = std::make_shared<const std::vector<uint8_t>>(std::move(staging_));
    staging_.clear();
    Result<std::unique_ptr<Graph>> g = ReadAnyModel(bytes);
    if (!g.ok()) return g.status().message();
    graph_ = g.take();
    return "";
  }
  std::string setMetadata(val m) {
    if (!graph_) return "no model read";
    ApplyMetadata(m, &graph_->metadata);
    return "";
  }
  std::string write() {
    if (!graph_) return "no model read";
    Result<std::vector<uint8_t>> out = WriteQwm(*graph_);
    if (!out.ok()) return out.status().message();
    result_ = out.take();
    return "";
  }
  val result() const { return View(result_); }

 private:
  std::vector<uint8_t> staging_, result_;
  std::unique_ptr<Graph> graph_;
};

class WasmQuantizer {
 public:
  val staging(int bytes) {
    staging_.assign(static_cast<size_t>(bytes > 0 ? bytes : 0), 0);
    return View(staging_);
  }
  // method: a calibration method name (ptq/observers.h); percentile for
  // "percentile" (ignored otherwise); equalize: cross-layer equalization of
  // the float model first (ptq/equalize.h).
  std::string load(int threads, std::string method, double percentile, bool equalize) {
    auto bytes = std::make_shared<const std::vector<uint8_t>>(std::move(staging_));
    staging_.clear();
    CalibrationOptions calibration;
    Result<CalibrationMethod> m = ParseCalibrationMethod(method);
    if (!m.ok()) return m.status().message();
    calibration.method = m.value();
    calibration.percentile = percentile;
    calibration.equalize = equalize;
    Result<std::unique_ptr<Graph>> g = ReadAnyModel(bytes);
    if (!g.ok()) return g.status().message();
    Result<std::unique_ptr<Quantizer>> q = Quantizer::Create(g.take(), threads, calibration);
    if (!q.ok()) return q.status().message();
    quantizer_ = q.take();
    budget_ = false;
    return "";
  }
  int outputSize() const {
    return static_cast<int>(quantizer_->model().interpreter().output_tensor(0).num_elements());
  }
  // Kept until finish(): written into the quantized model's metadata.
  std::string setMetadata(val m) {
    overrides_ = m;
    return "";
  }
  std::string addImage(int width, int height, int channels, int stride, float crop, val mean, val std, int label) {
    if (stride <= 0 || height <= 0 || staging_.size() < static_cast<size_t>(stride) * height) {
      return "pixel buffer holds " + std::to_string(staging_.size()) + " bytes, too few for " +
             std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels);
    }
    ImageView view;
    view.pixels = staging_.data();
    view.width = width;
    view.height = height;
    view.channels = channels;
    view.stride = static_cast<size_t>(stride);
    PixelNorm norm = quantizer_->model().default_norm();
    if (mean["length"].as<int>() == 3 && std["length"].as<int>() == 3) {
      norm.known = true;
      for (int c = 0; c < 3; ++c) {
        norm.mean[c] = mean[c].as<float>();
        norm.std[c] = std[c].as<float>();
      }
    }
    if (!(crop > 0.0f)) crop = quantizer_->model().default_crop();
    return (budget_ ? quantizer_->AddBudgetImage(view, crop, norm, label) : quantizer_->AddImage(view, crop, norm, label))
        .message();
  }
  std::string addTensor(int label) {
    const float* data = reinterpret_cast<const float*>(staging_.data());
    const size_t n = staging_.size() / sizeof(float);
    return (budget_ ? quantizer_->AddBudgetTensor(data, n, label) : quantizer_->AddTensor(data, n, label)).message();
  }
  // After this, addImage / addTensor give samples that only judge the
  // mixed-precision budget (Quantizer::AddBudgetImage).
  void startBudget() { budget_ = true; }
  // perChannel, biasCorrection (PtqOptions), keepFloat: names; weights: a weight format name
  // (ParseWeightEncoding); layerWeights: {node name: format}; floatWeights:
  // "float32" or "float16".
  // maxDrop (points, < 0: none) and minSqnr (dB, NaN: none): automatic
  // mixed precision for layers layerWeights leaves open, the drop judged by
  // its upper bound at `confidence` (0: the measured drop); onProgress(done,
  // total) after each evaluation of its search.
  std::string finish(bool per_channel, bool bias_correction, val keep_float, std::string weights, val layer_weights,
                     std::string float_weights, double max_drop, double min_sqnr, double confidence,
                     val on_progress) {
    PtqOptions o;
    o.per_channel = per_channel;
    o.bias_correction = bias_correction;
    o.keep_float = Strings(keep_float);
    Result<WeightEncoding> w = ParseWeightEncoding(weights);
    if (!w.ok()) return w.status().message();
    o.weights = w.value();
    const std::vector<std::string> names = Strings(val::global("Object").call<val>("keys", layer_weights));
    for (const std::string& name : names) {
      Result<WeightEncoding> e = ParseWeightEncoding(layer_weights[name].as<std::string>());
      if (!e.ok()) return "layer '" + name + "': " + e.status().message();
      o.layer_weights[name] = e.value();
    }
    Result<WeightEncoding> f = ParseWeightEncoding(float_weights);
    if (!f.ok() || (f.value().format != WeightFormat::kFloat16 && f.value().format != WeightFormat::kFloat32)) {
      return "floatWeights must be float32 or float16, not '" + float_weights + "'";
    }
    o.float_weights = f.value().format;
    mixed_ = MixedResult();
    const bool auto_mixed = max_drop >= 0.0 || std::isfinite(min_sqnr);
    auto run = [&]() -> Result<PtqResult> {
      if (!auto_mixed) return quantizer_->Finish(o, &report_);
      // `weights` names the small format the search may use (lut4 unless
      // given); the search starts from int8.
      MixedPrecisionOptions m;
      m.max_drop = max_drop;
      m.confidence = confidence;
      if (std::isfinite(min_sqnr)) m.min_sqnr_db = min_sqnr;
      if (o.weights.format != WeightFormat::kInt8) m.small = o.weights;
      o.weights = WeightEncoding{};
      return quantizer_->FinishMixed(o, m, &report_, &mixed_, [&](size_t done, size_t total) {
        if (!on_progress.isUndefined()) on_progress(static_cast<double>(done), static_cast<double>(total));
      });
    };
    Result<PtqResult> r = run();
    if (!r.ok()) return r.status().message();
    Graph& g = *r.value().graph;
    ApplyMetadata(overrides_, &g.metadata);
    if (g.metadata.producer.find("qwasm") == std::string::npos) g.metadata.producer += " + qwasm quantize";
    Result<std::vector<uint8_t>> out = WriteQwm(g);
    if (!out.ok()) return out.status().message();
    result_ = out.take();
    return "";
  }
  val result() const { return View(result_); }
  val report() const {
    val o = val::object();
    o.set("samples", static_cast<double>(report_.samples));
    o.set("calibration", report_.calibration);
    o.set("sqnrSamples", static_cast<double>(report_.sqnr_samples));
    o.set("outputSqnrDb", Db(report_.output_sqnr_db));
    o.set("floatWeightBytes", static_cast<double>(report_.float_weight_bytes));
    o.set("quantWeightBytes", static_cast<double>(report_.quant_weight_bytes));
    o.set("biasCorrection", report_.bias_corrected);
    if (report_.equalized) {
      const EqualizeReport& e = report_.equalization;
      val eq = val::object();
      eq.set("pairs", static_cast<double>(e.pairs));
      eq.set("sweeps", static_cast<double>(e.sweeps));
      eq.set("channelClamps", static_cast<double>(e.channel_clamps));
      eq.set("spreadBefore", e.spread_before);
      eq.set("spreadAfter", e.spread_after);
      o.set("equalization", eq);
    }
    val layers = val::array();
    for (size_t i = 0; i < report_.layers.size(); ++i) {
      const LayerReport& l = report_.layers[i];
      val x = val::object();
      x.set("name", l.layer.name);
      x.set("op", l.layer.op);
      x.set("precision", l.layer.precision);
      x.set("weightFormat", l.layer.weight_format);
      x.set("weightBytes", static_cast<double>(l.layer.weight_bytes));
      x.set("sqnrDb", Db(l.sqnr_db));
      x.set("reason", l.layer.reason);
      for (const MixedChoice& c : mixed_.choices) {
        if (c.layer == l.layer.name) x.set("choice", c.why);
      }
      layers.set(i, x);
    }
    o.set("layers", layers);
    if (mixed_.evaluations > 0) {
      val m = val::object();
      m.set("evaluations", static_cast<double>(mixed_.evaluations));
      m.set("agreement", mixed_.quality.agreement);
      m.set("drop", mixed_.quality.drop);
      m.set("dropBound", mixed_.quality.drop_bound);
      m.set("confidence", mixed_.confidence);
      m.set("samples", static_cast<double>(mixed_.quality.samples));
      m.set("lost", static_cast<double>(mixed_.quality.lost));
      m.set("gained", static_cast<double>(mixed_.quality.gained));
      m.set("changed", static_cast<double>(mixed_.quality.changed));
      m.set("heldOut", mixed_.quality.held_out);
      m.set("budgetItems", static_cast<double>(quantizer_->budget_given()));
      m.set("labelled", mixed_.quality.labelled);
      m.set("outputSqnrDb", Db(mixed_.quality.output_sqnr_db));
      o.set("mixed", m);
    }
    return o;
  }

 private:
  std::vector<uint8_t> staging_, result_;
  std::unique_ptr<Quantizer> quantizer_;
  val overrides_ = val::object();
  QuantizeReport report_;
  MixedResult mixed_;
  bool budget_ = false;
};

}  // namespace qwasm

EMSCRIPTEN_BINDINGS(qwasm_tools) {
  emscripten::class_<qwasm::WasmConverter>("WasmConverter")
      .constructor<>()
      .function("staging", &qwasm::WasmConverter::staging)
      .function("read", &qwasm::WasmConverter::read)
      .function("setMetadata", &qwasm::WasmConverter::setMetadata)
      .function("write", &qwasm::WasmConverter::write)
      .function("result", &qwasm::WasmConverter::result);
  emscripten::class_<qwasm::WasmQuantizer>("WasmQuantizer")
      .constructor<>()
      .function("staging", &qwasm::WasmQuantizer::staging)
      .function("load", &qwasm::WasmQuantizer::load)
      .function("setMetadata", &qwasm::WasmQuantizer::setMetadata)
      .function("addImage", &qwasm::WasmQuantizer::addImage)
      .function("addTensor", &qwasm::WasmQuantizer::addTensor)
      .function("startBudget", &qwasm::WasmQuantizer::startBudget)
      .function("outputSize", &qwasm::WasmQuantizer::outputSize)
      .function("finish", &qwasm::WasmQuantizer::finish)
      .function("result", &qwasm::WasmQuantizer::result)
      .function("report", &qwasm::WasmQuantizer::report);
}
