// embind_tools.cc — the converter and the quantizer for JavaScript
// (web/convert.js). Glue only: each options object is read into its C++
// struct in one function here, and the work (and every decision) is
// src/api's and src/ptq's.
//
//   WasmConverter  staging(n), convert(metadata) -> error, result()
//   WasmQuantizer  staging(n), start(options) -> error, outputSize(),
//                  add(sample) -> error, finish(onProgress, onRoundingProgress, onRangeProgress) -> error,
//                  result(), report()
// Bytes come in through staging(n) (js::Staged, boundary.h), as in embind.cc.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "api/model.h"
#include "bindings/boundary.h"
#include "format/qwm_writer.h"
#include "ptq/quantizer.h"

using emscripten::val;

namespace qwasm {
namespace {

using emscripten::vecFromJSArray;

// The metadata overrides web/convert.js validated: {name?, description?,
// version?, author?, license?, labels?, mean?, std?, cropFraction?,
// colorOrder?}.
Status MetadataFromJs(const val& m, MetadataOverrides* o) {
  auto str = [&](const char* key, std::optional<std::string>* field) {
    if (m.hasOwnProperty(key)) *field = m[key].as<std::string>();
  };
  str("name", &o->name);
  str("description", &o->description);
  str("version", &o->version);
  str("author", &o->author);
  str("license", &o->license);
  if (m.hasOwnProperty("labels")) o->labels = vecFromJSArray<std::string>(m["labels"]);
  if (m.hasOwnProperty("mean")) o->mean = vecFromJSArray<float>(m["mean"]);
  if (m.hasOwnProperty("std")) o->std = vecFromJSArray<float>(m["std"]);
  if (m.hasOwnProperty("cropFraction")) o->crop_fraction = m["cropFraction"].as<float>();
  if (m.hasOwnProperty("colorOrder")) {
    Result<ColorOrder> c = ParseColorOrder(m["colorOrder"].as<std::string>());
    if (!c.ok()) return c.status();
    o->color = c.value();
  }
  return Status::Ok();
}

// quantize()'s options as web/convert.js sends them: every field of
// QuantizeOptions under its JS name, metadata as MetadataFromJs reads it.
Status QuantizeOptionsFromJs(const val& o, QuantizeOptions* out) {
  QuantizeOptions& q = *out;
  q.threads = o["threads"].as<int>();
  q.calibration = o["calibration"].as<std::string>();
  q.percentile = o["percentile"].as<double>();
  q.equalize = o["equalize"].as<bool>();
  q.per_channel = o["perChannel"].as<bool>();
  q.bias_correction = o["biasCorrection"].as<bool>();
  q.keep_float = vecFromJSArray<std::string>(o["keepFloat"]);
  q.weights = o["weights"].as<std::string>();
  const val layers = o["layerWeights"];
  for (const std::string& name : vecFromJSArray<std::string>(val::global("Object").call<val>("keys", layers))) {
    q.layer_weights.emplace_back(name, layers[name].as<std::string>());
  }
  q.float_weights = o["floatWeights"].as<std::string>();
  q.max_drop = o["maxDrop"].as<double>();
  q.min_sqnr_db = o["minSqnrDb"].as<double>();
  q.confidence = o["confidence"].as<double>();
  q.rounding = o["rounding"].as<std::string>();
  q.rounding_iterations = o["roundingIterations"].as<int>();
  q.rounding_time_budget = o["roundingTimeBudget"].as<double>();
  return MetadataFromJs(o["metadata"], &q.metadata);
}

// null for +-infinity (no noise / no signal): JSON and JS numbers alike.
val Db(double db) { return std::isfinite(db) ? val(db) : val::null(); }

val ReportToJs(const QuantizeOutput& out, size_t budget_items) {
  const QuantizeReport& r = out.report;
  val o = val::object();
  o.set("samples", static_cast<double>(r.samples));
  o.set("calibration", r.calibration);
  o.set("sqnrSamples", static_cast<double>(r.sqnr_samples));
  o.set("outputSqnrDb", Db(r.output_sqnr_db));
  o.set("floatWeightBytes", static_cast<double>(r.float_weight_bytes));
  o.set("quantWeightBytes", static_cast<double>(r.quant_weight_bytes));
  o.set("biasCorrection", r.bias_corrected);
  o.set("rounding", r.rounding);
  if (r.equalized) {
    const EqualizeReport& e = r.equalization;
    val eq = val::object();
    eq.set("pairs", static_cast<double>(e.pairs));
    eq.set("sweeps", static_cast<double>(e.sweeps));
    eq.set("channelClamps", static_cast<double>(e.channel_clamps));
    eq.set("spreadBefore", e.spread_before);
    eq.set("spreadAfter", e.spread_after);
    o.set("equalization", eq);
  }
  val layers = val::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerReport& l = r.layers[i];
    val x = val::object();
    x.set("name", l.layer.name);
    x.set("op", l.layer.op);
    x.set("precision", l.layer.precision);
    x.set("weightFormat", l.layer.weight_format);
    x.set("weightBytes", static_cast<double>(l.layer.weight_bytes));
    x.set("sqnrDb", Db(l.sqnr_db));
    x.set("reason", l.layer.reason);
    if (!l.choice.empty()) x.set("choice", l.choice);
    const LayerRounding& lr = l.layer.rounding;
    if (lr.learned) {
      val rounding = val::object();
      rounding.set("nearestSqnrDb", Db(lr.nearest_sqnr_db));
      rounding.set("learnedSqnrDb", Db(lr.learned_sqnr_db));
      rounding.set("changed", static_cast<double>(lr.changed));
      rounding.set("weights", static_cast<double>(lr.weights));
      rounding.set("iterations", lr.iterations);
      rounding.set("seconds", lr.seconds);
      x.set("rounding", rounding);
    }
    if (!lr.note.empty()) x.set("roundingNote", lr.note);
    layers.set(i, x);
  }
  o.set("layers", layers);
  const MixedResult& mixed = out.mixed;
  if (mixed.evaluations > 0) {
    val m = val::object();
    m.set("evaluations", static_cast<double>(mixed.evaluations));
    m.set("agreement", mixed.quality.agreement);
    m.set("drop", mixed.quality.drop);
    m.set("dropBound", mixed.quality.drop_bound);
    m.set("confidence", mixed.confidence);
    m.set("samples", static_cast<double>(mixed.quality.samples));
    m.set("lost", static_cast<double>(mixed.quality.lost));
    m.set("gained", static_cast<double>(mixed.quality.gained));
    m.set("changed", static_cast<double>(mixed.quality.changed));
    m.set("heldOut", mixed.quality.held_out);
    m.set("budgetItems", static_cast<double>(budget_items));
    m.set("labelled", mixed.quality.labelled);
    m.set("outputSqnrDb", Db(mixed.quality.output_sqnr_db));
    o.set("mixed", m);
  }
  return o;
}

}  // namespace

class WasmConverter : public js::Staged {
 public:
  // The model file in staging (TFLite, ONNX or .qwm) as .qwm bytes, with the
  // metadata overrides (MetadataFromJs) written in.
  std::string convert(val metadata) {
    Result<std::unique_ptr<Graph>> g = ReadAnyModel(std::make_shared<const std::vector<uint8_t>>(TakeStaged()));
    if (!g.ok()) return g.status().message();
    MetadataOverrides meta;
    Status read = MetadataFromJs(metadata, &meta);
    if (!read.ok()) return read.message();
    ApplyMetadata(meta, &g.value()->metadata);
    Result<std::vector<uint8_t>> out = WriteQwm(*g.value());
    if (!out.ok()) return out.status().message();
    result_ = out.take();
    return "";
  }
  val result() const { return js::View(result_); }

 private:
  std::vector<uint8_t> result_;
};

class WasmQuantizer : public js::Staged {
 public:
  // The float model file in staging, and the options of the whole job
  // (QuantizeOptionsFromJs); calibration starts.
  std::string start(val options) {
    Status read = QuantizeOptionsFromJs(options, &options_);
    if (!read.ok()) return read.message();
    Result<std::unique_ptr<Quantizer>> q =
        Quantizer::Start(std::make_shared<const std::vector<uint8_t>>(TakeStaged()), options_);
    if (!q.ok()) return q.status().message();
    quantizer_ = q.take();
    return "";
  }
  int outputSize() const {
    return static_cast<int>(quantizer_->model().interpreter().output_tensor(0).num_elements());
  }
  // A sample in staging: {image?, label, budget}, image as js::ImageFromJs
  // reads it; without one the bytes are a float32 input tensor.
  // The staged bytes are released after it (the quantizer keeps copies).
  std::string add(val sample) {
    std::string error = AddStaged(sample);
    ReleaseStaged();
    return error;
  }
  // Quantizes; onProgress(done, total) after each evaluation of the
  // mixed-precision search, onRoundingProgress(done, total) after each
  // layer of learned rounding, onRangeProgress(done, total) after each
  // sample calibration "output" judges.
  std::string finish(val on_progress, val on_rounding_progress, val on_range_progress) {
    auto call = [](const val& f) {
      return [&f](size_t done, size_t total) {
        if (!f.isUndefined() && !f.isNull()) f(static_cast<double>(done), static_cast<double>(total));
      };
    };
    Result<QuantizeOutput> out =
        quantizer_->Quantize(options_, call(on_progress), call(on_rounding_progress), call(on_range_progress));
    if (!out.ok()) return out.status().message();
    output_ = out.take();
    return "";
  }
  val result() const { return js::View(output_.qwm); }
  val report() const { return ReportToJs(output_, quantizer_->budget_given()); }

 private:
  // add() without the release.
  std::string AddStaged(val sample) {
    QuantizeSample s;
    s.label = sample["label"].as<int>();
    s.budget = sample["budget"].as<bool>();
    if (sample["image"].isUndefined()) {
      s.tensor = reinterpret_cast<const float*>(staged().data());
      s.tensor_elements = staged().size() / sizeof(float);
    } else {
      Result<ImageInput> in = js::ImageFromJs(sample["image"], staged());
      if (!in.ok()) return in.status().message();
      s.image = in.value();
    }
    return quantizer_->Add(s).message();
  }

  QuantizeOptions options_;
  std::unique_ptr<Quantizer> quantizer_;
  QuantizeOutput output_;
};

}  // namespace qwasm

EMSCRIPTEN_BINDINGS(qwasm_tools) {
  qwasm::js::Handle<qwasm::WasmConverter>("WasmConverter")
      .function("convert", &qwasm::WasmConverter::convert)
      .function("result", &qwasm::WasmConverter::result);
  qwasm::js::Handle<qwasm::WasmQuantizer>("WasmQuantizer")
      .function("start", &qwasm::WasmQuantizer::start)
      .function("outputSize", &qwasm::WasmQuantizer::outputSize)
      .function("add", &qwasm::WasmQuantizer::add)
      .function("finish", &qwasm::WasmQuantizer::finish)
      .function("result", &qwasm::WasmQuantizer::result)
      .function("report", &qwasm::WasmQuantizer::report);
}
