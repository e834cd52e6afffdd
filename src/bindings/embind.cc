// embind.cc — the wasm boundary. Glue only: no logic lives here.
//
// Ownership: JS creates a WasmModel with `new`, must call .delete() (the JS
// API's dispose() does). Errors come back as strings ("" = success) because
// the core is built without C++ exceptions; web/ turns them into JS errors.
// Views returned by *View() alias wasm memory and are invalidated by the next
// allocation that grows memory: JS copies them immediately.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <vector>

#include "api/model.h"

using emscripten::val;

namespace qwasm {

class WasmModel {
 public:
  // Bytes from JS (the model file, an image's pixels) arrive through this
  // staging buffer: JS writes the returned view with one TypedArray.set
  // (a memcpy). An std::string argument would make Embind copy them with a
  // JS loop per byte, which in the pthreads build (shared, growable memory)
  // costs milliseconds per image. The view is valid until the next
  // allocation in wasm: fill it at once.
  val staging(int bytes) {
    staging_.assign(static_cast<size_t>(bytes > 0 ? bytes : 0), 0);
    return val(emscripten::typed_memory_view(staging_.size(), staging_.data()));
  }

  // Loads the model file from the staging buffer (which it takes over).
  // threads: counts the calling thread; 1 in the single-threaded build.
  std::string load(int threads) {
    Result<std::unique_ptr<Model>> m = Model::Load(std::move(staging_), InterpreterOptions{threads});
    staging_.clear();
    if (!m.ok()) return m.status().message();
    model_ = m.take();
    return "";
  }

  val inputInfo() const {
    const InputInfo& in = model_->input();
    val o = val::object();
    o.set("batch", in.batch);
    o.set("height", in.height);
    o.set("width", in.width);
    o.set("channels", in.channels);
    o.set("dtype", std::string(DTypeName(in.dtype)));
    o.set("scale", in.scale);
    o.set("zeroPoint", in.zero_point);
    return o;
  }

  val metadata() const {
    const ModelMetadata& m = model_->metadata();
    val o = val::object();
    o.set("name", m.name);
    o.set("description", m.description);
    o.set("version", m.version);
    o.set("author", m.author);
    o.set("license", m.license);
    o.set("producer", m.producer);
    val labels = val::array();
    for (size_t i = 0; i < m.labels.size(); ++i) labels.set(i, m.labels[i]);
    o.set("labels", labels);
    val notes = val::array();
    for (size_t i = 0; i < m.notes.size(); ++i) notes.set(i, m.notes[i]);
    o.set("notes", notes);
    if (m.crop_fraction > 0.0f) o.set("cropFraction", m.crop_fraction);
    static const char* const kColor[] = {"", "RGB", "BGR", "gray"};
    if (m.color != ColorOrder::kUnknown) o.set("colorOrder", std::string(kColor[static_cast<int>(m.color)]));
    if (!m.mean.empty()) {
      val mean = val::array(), stdev = val::array();
      for (size_t i = 0; i < m.mean.size(); ++i) mean.set(i, m.mean[i]);
      for (size_t i = 0; i < m.std.size(); ++i) stdev.set(i, m.std[i]);
      o.set("mean", mean);
      o.set("std", stdev);
    }
    return o;
  }

  int outputSize() const { return static_cast<int>(model_->output_size()); }
  std::string outputType() const {
    return DTypeName(Interpreter::ExternalDType(model_->interpreter().output_tensor(0)));
  }
  // Peak activation memory (the planned arena) and what one buffer per
  // tensor would take.
  int arenaBytes() const { return static_cast<int>(model_->interpreter().arena_bytes()); }
  int unplannedBytes() const { return static_cast<int>(model_->interpreter().unplanned_bytes()); }
  int threads() const { return model_->interpreter().threads(); }
  // Runs `runs` times timing every node; returns [{op, name, ms}] with the
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
  int nodeCount() const { return static_cast<int>(model_->interpreter().graph().nodes.size()); }

  // Pixels in the staging buffer: width x height x channels bytes, rows
  // `stride` bytes apart.
  std::string setImage(int width, int height, int channels, int stride, float crop_fraction,
                       val mean, val std) {
    const std::vector<uint8_t>& pixels = staging_;
    if (stride <= 0 || height <= 0 || pixels.size() < static_cast<size_t>(stride) * height) {
      return "pixel buffer holds " + std::to_string(pixels.size()) + " bytes, too few for " +
             std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels);
    }
    ImageView view;
    view.pixels = reinterpret_cast<const uint8_t*>(pixels.data());
    view.width = width;
    view.height = height;
    view.channels = channels;
    view.stride = static_cast<size_t>(stride);
    // mean / std: 3 numbers from the caller, or empty for the model's own.
    PixelNorm norm = model_->default_norm();
    if (mean["length"].as<int>() == 3 && std["length"].as<int>() == 3) {
      norm.known = true;
      for (int c = 0; c < 3; ++c) {
        norm.mean[c] = mean[c].as<float>();
        norm.std[c] = std[c].as<float>();
      }
    }
    return model_->SetImage(view, crop_fraction, norm).message();
  }

  // The raw input tensor (model-facing dtype), written by JS in place.
  val inputView() { return val(emscripten::typed_memory_view(model_->input_bytes(), model_->input_data())); }

  void run() { model_->Run(); }

  val outputView() const {
    return val(emscripten::typed_memory_view(model_->output_bytes(), model_->output_data()));
  }
  val scores() const {
    scores_ = model_->OutputScores();
    return val(emscripten::typed_memory_view(scores_.size(), scores_.data()));
  }

 private:
  std::unique_ptr<Model> model_;
  std::vector<uint8_t> staging_;
  mutable std::vector<float> scores_;
};

}  // namespace qwasm

EMSCRIPTEN_BINDINGS(qwasm) {
  emscripten::class_<qwasm::WasmModel>("WasmModel")
      .constructor<>()
      .function("load", &qwasm::WasmModel::load)
      .function("inputInfo", &qwasm::WasmModel::inputInfo)
      .function("metadata", &qwasm::WasmModel::metadata)
      .function("outputSize", &qwasm::WasmModel::outputSize)
      .function("outputType", &qwasm::WasmModel::outputType)
      .function("arenaBytes", &qwasm::WasmModel::arenaBytes)
      .function("unplannedBytes", &qwasm::WasmModel::unplannedBytes)
      .function("threads", &qwasm::WasmModel::threads)
      .function("nodeCount", &qwasm::WasmModel::nodeCount)
      .function("profile", &qwasm::WasmModel::profile)
      .function("setImage", &qwasm::WasmModel::setImage)
      .function("staging", &qwasm::WasmModel::staging)
      .function("inputView", &qwasm::WasmModel::inputView)
      .function("run", &qwasm::WasmModel::run)
      .function("outputView", &qwasm::WasmModel::outputView)
      .function("scores", &qwasm::WasmModel::scores);
}
