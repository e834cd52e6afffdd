// embind.cc — the wasm boundary of the runtime. Glue only: JS values in and
// out, no logic.
//
// Ownership: JS creates a WasmModel with `new`, must call .delete() (the JS
// API's dispose() does). Errors come back as strings ("" = success) because
// the core is built without C++ exceptions; web/ turns them into JS errors.
// Views returned by staging() and *View() alias wasm memory and are
// invalidated by the next allocation that grows memory: JS fills or copies
// them immediately.
//
//   staging(n)        a view of n bytes to fill (boundary.h), or an error string
//   load(threads)     the model file from staging
//   info()            {input: {batch, height, width, channels, dtype, scale,
//                     zeroPoint}, outputSize, outputType, outputShape,
//                     outputScale, outputZeroPoint, outputOps, threads,
//                     kernels, arenaBytes, metadata}
//   setImage(image)   pixels from staging: {width, height, channels,
//                     cropFraction, mean?, std?} (js::ImageFromJs)
//   inputView() run() outputView() scores() profile(runs)
//   threadStats()     the process's thread pool counters (ThreadPool::Stats):
//                     {sharedJobs, soloJobs, callerTiles, workerTiles,
//                     waitMs, stalls, soloStarts}
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "api/model.h"
#include "bindings/boundary.h"
#include "runtime/threadpool.h"

using emscripten::val;

namespace qwasm {
namespace {

template <typename T>
val Array(const std::vector<T>& v) {
  val a = val::array();
  for (size_t i = 0; i < v.size(); ++i) a.set(i, v[i]);
  return a;
}

val MetadataToJs(const ModelMetadata& m) {
  val o = val::object();
  o.set("name", m.name);
  o.set("description", m.description);
  o.set("version", m.version);
  o.set("author", m.author);
  o.set("license", m.license);
  o.set("producer", m.producer);
  o.set("labels", Array(m.labels));
  o.set("notes", Array(m.notes));
  if (m.crop_fraction > 0.0f) o.set("cropFraction", m.crop_fraction);
  if (m.color != ColorOrder::kUnknown) o.set("colorOrder", std::string(ColorOrderName(m.color)));
  if (!m.mean.empty()) {
    o.set("mean", Array(m.mean));
    o.set("std", Array(m.std));
  }
  return o;
}

// The operators that compute graph output 0, last first: its producer, the
// producer of that node's first input, and so on (at most `max`; fewer when
// a graph input or a constant is reached). web/vectors.js reads what the
// output is from them (e.g. a SOFTMAX behind a RESHAPE).
val OutputOps(const Graph& g, size_t max) {
  val out = val::array();
  int32_t t = g.outputs.empty() ? -1 : g.outputs[0];
  for (size_t k = 0; k < max && t >= 0; ++k) {
    const Node* producer = nullptr;
    for (const Node& n : g.nodes) {
      if (std::find(n.outputs.begin(), n.outputs.end(), t) != n.outputs.end()) producer = &n;
    }
    if (producer == nullptr) break;
    out.set(k, std::string(OpTypeName(producer->op)));
    t = producer->inputs.empty() ? -1 : producer->inputs[0];
  }
  return out;
}

}  // namespace

class WasmModel : public js::Staged {
 public:
  // Loads the model file from the staging buffer (which it takes over).
  // threads: counts the calling thread; 1 in the single-threaded build.
  std::string load(int threads) {
    Result<std::unique_ptr<Model>> m = Model::Load(TakeStaged(), InterpreterOptions{threads});
    if (!m.ok()) return m.status().message();
    model_ = m.take();
    return "";
  }

  val info() const {
    const InputInfo& in = model_->input();
    val input = val::object();
    input.set("batch", in.batch);
    input.set("height", in.height);
    input.set("width", in.width);
    input.set("channels", in.channels);
    input.set("dtype", std::string(DTypeName(in.dtype)));
    input.set("scale", in.scale);
    input.set("zeroPoint", in.zero_point);
    const Interpreter& it = model_->interpreter();
    val o = val::object();
    o.set("input", input);
    o.set("outputSize", static_cast<double>(model_->output_size()));
    const Tensor& out = it.output_tensor(0);
    o.set("outputType", std::string(DTypeName(Interpreter::ExternalDType(out))));
    o.set("outputShape", Array(out.shape));
    // Model::OutputScores dequantizes with these (0 / 0: not quantized).
    o.set("outputScale", out.quant.quantized() ? out.quant.scale[0] : 0.0f);
    o.set("outputZeroPoint", out.quant.quantized() ? Interpreter::ExternalZeroPoint(out) : 0);
    o.set("outputOps", OutputOps(it.graph(), 4));
    o.set("threads", it.threads());
    o.set("kernels", std::string(it.kernels_name()));
    // Peak activation memory: the planned arena.
    o.set("arenaBytes", static_cast<double>(it.arena_bytes()));
    o.set("metadata", MetadataToJs(model_->metadata()));
    return o;
  }

  // Runs `runs` times timing every node; returns [{op, output, ms}] with the
  // mean milliseconds per run (for benchmarks and profiling).
  val profile(int runs) {
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) model_->interpreter_mut().InvokeProfiled(&ms);
    const Graph& g = model_->interpreter().graph();
    val out = val::array();
    for (size_t i = 0; i < ms.size(); ++i) {
      val o = val::object();
      o.set("op", std::string(OpTypeName(g.nodes[i].op)));
      o.set("output", g.tensors[g.nodes[i].outputs[0]].name);
      o.set("ms", ms[i] / (runs > 0 ? runs : 1));
      out.set(i, o);
    }
    return out;
  }

  // The image is read from staging, which is released after it (succeeded
  // or not): a large image's bytes do not stay in wasm memory.
  std::string setImage(val image) {
    Result<ImageInput> in = js::ImageFromJs(image, staged());
    const std::string error = in.ok() ? model_->SetImage(in.value()).message() : in.status().message();
    ReleaseStaged();
    return error;
  }

  // The raw input tensor (model-facing dtype), written by JS in place.
  val inputView() { return val(emscripten::typed_memory_view(model_->input_bytes(), model_->input_data())); }

  void run() { model_->Run(); }

  val outputView() const {
    return val(emscripten::typed_memory_view(model_->output_bytes(), model_->output_data()));
  }
  val scores() const {
    scores_ = model_->OutputScores();
    return js::View(scores_);
  }

  val threadStats() const {
    const ThreadPool::Stats s = ThreadPool::GetStats();
    val o = val::object();
    o.set("sharedJobs", static_cast<double>(s.shared_jobs));
    o.set("soloJobs", static_cast<double>(s.solo_jobs));
    o.set("callerTiles", static_cast<double>(s.caller_tiles));
    o.set("workerTiles", static_cast<double>(s.worker_tiles));
    o.set("waitMs", s.wait_ms);
    o.set("stalls", s.stalls);
    o.set("soloStarts", s.solo_starts);
    return o;
  }

 private:
  std::unique_ptr<Model> model_;
  mutable std::vector<float> scores_;
};

}  // namespace qwasm

EMSCRIPTEN_BINDINGS(qwasm) {
  qwasm::js::Handle<qwasm::WasmModel>("WasmModel")
      .function("load", &qwasm::WasmModel::load)
      .function("info", &qwasm::WasmModel::info)
      .function("setImage", &qwasm::WasmModel::setImage)
      .function("inputView", &qwasm::WasmModel::inputView)
      .function("run", &qwasm::WasmModel::run)
      .function("outputView", &qwasm::WasmModel::outputView)
      .function("scores", &qwasm::WasmModel::scores)
      .function("profile", &qwasm::WasmModel::profile)
      .function("threadStats", &qwasm::WasmModel::threadStats);
}
