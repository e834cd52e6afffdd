// The shared ONNX MobileNets (../shared/models/onnx): structure of the
// imported graphs, weights against the TFLite models they were converted
// from, the QDQ int8 graphs run against the TFLite models on real photos,
// and hostile input (truncated files, flipped bytes).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "graph/interpreter.h"
#include "image/preprocess.h"
#include "import/onnx/onnx_reader.h"
#include "import/tflite_reader.h"
#include "onnx_builder.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

std::shared_ptr<const std::vector<uint8_t>> Load(const std::string& rel) {
  return std::make_shared<const std::vector<uint8_t>>(ReadFile(SharedPath(rel)));
}

std::unique_ptr<Graph> ReadOnnxFile(const std::string& name) {
  auto bytes = Load("models/onnx/" + name);
  REQUIRE(bytes->size() > 1000);
  Result<std::unique_ptr<Graph>> g = onnx::ReadOnnx(bytes);
  REQUIRE_MESSAGE(g.ok(), g.status().message());
  return g.take();
}

std::unique_ptr<Graph> ReadTfliteFile(const std::string& name) {
  Result<std::unique_ptr<Graph>> g = tflite::ReadModel(Load("models/" + name));
  REQUIRE_MESSAGE(g.ok(), g.status().message());
  return g.take();
}

size_t Count(const Graph& g, OpType op) {
  size_t n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

std::vector<const Node*> WeightedNodes(const Graph& g) {
  std::vector<const Node*> v;
  for (const Node& n : g.nodes) {
    if (n.op == OpType::kConv2D || n.op == OpType::kDepthwiseConv2D || n.op == OpType::kFullyConnected) v.push_back(&n);
  }
  return v;
}

float Dequantized(const Tensor& t, size_t i) {
  // Per-channel scales lie on the filter's axis (0 for conv, 3 for depthwise).
  size_t inner = 1;
  for (size_t d = t.quant.axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const size_t c = t.quant.scale.size() == 1 ? 0 : (i / inner) % t.quant.scale.size();
  return (static_cast<int8_t>(t.data[i]) - t.quant.zero_point[c]) * t.quant.scale[c];
}

struct Pair {
  const char* name;  // <name>.tflite and onnx/<name>.{qdq,fp32}.onnx
  int size;
  bool fp32;
};
const Pair kPairs[] = {{"mobilenet_v1_0.25_128_quant", 128, true},
                       {"mobilenet_v2_1.0_224_quant", 224, false},
                       {"tf2_mobilenet_v2_1.0_224_ptq", 224, true}};

}  // namespace

TEST_CASE("shared ONNX models: imported structure and weights match the TFLite originals") {
  for (const Pair& p : kPairs) {
    for (const char* form : {"qdq", "fp32"}) {
      if (std::string(form) == "fp32" && !p.fp32) continue;
      const std::string file = std::string(p.name) + "." + form + ".onnx";
      CAPTURE(file);
      std::unique_ptr<Graph> g = ReadOnnxFile(file);
      std::unique_ptr<Graph> t = ReadTfliteFile(std::string(p.name) + ".tflite");
      const bool q = std::string(form) == "qdq";
      // The uint8 NHWC input stays the model's input, with its quantization;
      // the ONNX Transpose to NCHW leaves no trace.
      REQUIRE(g->inputs.size() == 1);
      const Tensor& in = g->tensors[g->inputs[0]];
      CHECK(in.shape == std::vector<int32_t>{1, p.size, p.size, 3});
      CHECK(in.was_uint8);
      CHECK(in.quant.scale.size() == 1);
      CHECK(Count(*g, OpType::kTranspose) == 0);
      REQUIRE(g->outputs.size() == 1);
      CHECK(g->tensors[g->outputs[0]].shape == std::vector<int32_t>{1, 1001});
      CHECK(g->tensors[g->outputs[0]].dtype == DType::kFloat32);
      CHECK(Count(*g, OpType::kMean) == 1);
      CHECK(Count(*g, OpType::kSoftmax) == 1);
      CHECK(Count(*g, OpType::kAdd) == Count(*t, OpType::kAdd));
      // Float graphs start with one DEQUANTIZE of the input; int8 ones end with one.
      CHECK(Count(*g, OpType::kDequantize) == 1);
      CHECK(g->nodes[q ? g->nodes.size() - 1 : 0].op == OpType::kDequantize);
      CHECK(Count(*g, OpType::kQuantize) == 0);
      // Same convolutions, in order, with the same weights: int8 bytes for
      // QDQ, the dequantized TFLite values for FP32 (OIHW transposed back).
      const std::vector<const Node*> a = WeightedNodes(*g), b = WeightedNodes(*t);
      REQUIRE(a.size() == b.size());
      size_t mismatches = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i]->op == b[i]->op);
        CHECK(a[i]->attrs.stride_h == b[i]->attrs.stride_h);
        const Tensor& wa = g->tensors[a[i]->inputs[1]];
        const Tensor& wb = t->tensors[b[i]->inputs[1]];
        REQUIRE(wa.shape == wb.shape);
        // ONNX pads 0 around a 1x1 window reads as VALID, TFLite says SAME: the same.
        if (wb.shape.size() == 4 && wb.shape[1] * wb.shape[2] > 1) CHECK(a[i]->attrs.padding == b[i]->attrs.padding);
        const Tensor& oa = g->tensors[a[i]->outputs[0]];
        const Tensor& ob = t->tensors[b[i]->outputs[0]];
        CHECK(oa.shape == ob.shape);
        if (q) {
          CHECK(oa.quant.scale == ob.quant.scale);
          CHECK(oa.quant.zero_point == ob.quant.zero_point);
        }
        if (q) {
          CHECK(wa.dtype == DType::kInt8);
          CHECK(wa.quant.zero_point == wb.quant.zero_point);
          mismatches += std::memcmp(wa.data, wb.data, wb.data_bytes) != 0;
          const Tensor& ba = g->tensors[a[i]->inputs[2]];
          const Tensor& bb = t->tensors[b[i]->inputs[2]];
          mismatches += std::memcmp(ba.data, bb.data, bb.data_bytes) != 0;
        } else {
          CHECK(wa.dtype == DType::kFloat32);
          const size_t n = static_cast<size_t>(wb.num_elements());
          for (size_t k = 0; k < n; ++k) {
            float v;
            std::memcpy(&v, wa.data + 4 * k, 4);
            mismatches += std::fabs(v - Dequantized(wb, k)) > 1e-6f + 1e-5f * std::fabs(v);
          }
        }
      }
      CHECK(mismatches == 0);
    }
  }
}

// Runs a graph on uint8 NHWC pixels; returns the 1001 scores as uint8 (the
// QDQ graph's float output is DequantizeLinear(q, 1/256, 0): exact) and the
// int8 logits that enter the softmax.
struct Run {
  std::vector<uint8_t> scores;
  std::vector<uint8_t> logits;
};

Run RunModel(Interpreter& m, const std::vector<uint8_t>& pixels) {
  std::memcpy(m.input_buffer(0), pixels.data(), pixels.size());
  m.Invoke();
  Run r;
  const Tensor& out = m.output_tensor(0);
  const uint8_t* o = m.output_buffer(0);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    if (out.dtype == DType::kFloat32) {
      float f;
      std::memcpy(&f, o + 4 * i, 4);
      r.scores.push_back(static_cast<uint8_t>(std::lround(f * 256.0f)));
    } else {
      r.scores.push_back(o[i]);
    }
  }
  for (const Node& n : m.graph().nodes) {
    if (n.op != OpType::kSoftmax) continue;
    const uint8_t* l = m.tensor_data(n.inputs[0]);
    r.logits.assign(l, l + m.graph().tensors[n.inputs[0]].num_bytes());
  }
  return r;
}

int Top1(const std::vector<uint8_t>& s) {
  return static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
}

// The QDQ files were made from the TFLite models, so their import holds the
// same int8 weights, scales and zero points. Imported ADD and SOFTMAX nodes
// carry onnx_numerics (ONNX Runtime's arithmetic), the TFLite import's
// AVERAGE_POOL_2D tflite_numerics (TFLite's builtin rounding of ties); with
// both cleared, the two graphs must compute the same bytes exactly. (That
// they compute ONNX Runtime's and TFLite's bytes with the flags set is
// checked against onnxruntime-web in tests/node/convert.test.mjs and
// against TFLite-WASM by tools/oracle.)
TEST_CASE("shared QDQ models import the TFLite models' int8 graph exactly") {
  const char* const kPhotos[] = {"bird.bmp", "cat.bmp", "checker224X224.bmp", "dragonfly.bmp",
                                 "grace_hopper.bmp", "missvickie_potato_chips.bmp", "sunflower.bmp"};
  InterpreterOptions options;
  options.share_memory = false;  // read the logits after Invoke
  for (const Pair& p : kPairs) {
    const std::string name = p.name;
    CAPTURE(name);
    std::unique_ptr<Graph> imported = ReadOnnxFile(name + ".qdq.onnx");
    size_t onnx_nodes = 0;
    for (Node& n : imported->nodes) {
      if (n.op == OpType::kAdd || n.op == OpType::kSoftmax) {
        CHECK(n.attrs.onnx_numerics);
        onnx_nodes += n.attrs.onnx_numerics;
        n.attrs.onnx_numerics = false;
      }
    }
    CHECK(onnx_nodes >= 1);
    auto onnx_model = Interpreter::Create(std::move(imported), options);
    REQUIRE_MESSAGE(onnx_model.ok(), onnx_model.status().message());
    std::unique_ptr<Graph> tfl_graph = ReadTfliteFile(name + ".tflite");
    size_t pools = 0;  // the global pool (tf2's is a MEAN)
    for (Node& n : tfl_graph->nodes) {
      pools += n.op == OpType::kAveragePool2D;
      CHECK(n.attrs.tflite_numerics == (n.op == OpType::kAveragePool2D));
      n.attrs.tflite_numerics = false;
    }
    CHECK(pools == (name.rfind("tf2", 0) == 0 ? 0u : 1u));
    auto tfl_model = Interpreter::Create(std::move(tfl_graph), options);
    REQUIRE(tfl_model.ok());
    std::vector<std::vector<uint8_t>> inputs;
    for (const char* photo : kPhotos) {
      Image img;
      REQUIRE(DecodeBmp(ReadFile(SharedPath(std::string("images/") + photo)), &img));
      std::vector<uint8_t> px(static_cast<size_t>(p.size) * p.size * 3);
      ImageView v{img.rgb.data(), img.width, img.height, 3, static_cast<size_t>(img.width) * 3};
      REQUIRE(CropResizeBilinear(v, {p.size, p.size, 3, 0.875f}, px.data()).ok());
      inputs.push_back(std::move(px));
    }
    std::mt19937 rng(7);  // and noise, which drives every layer off its usual range
    for (int k = 0; k < 8; ++k) {
      std::vector<uint8_t> px(static_cast<size_t>(p.size) * p.size * 3);
      for (uint8_t& b : px) b = static_cast<uint8_t>(rng());
      inputs.push_back(std::move(px));
    }
    size_t same_top1 = 0, same_scores = 0, same_logits = 0;
    for (const std::vector<uint8_t>& px : inputs) {
      const Run a = RunModel(*onnx_model.value(), px);
      const Run b = RunModel(*tfl_model.value(), px);
      REQUIRE(a.scores.size() == 1001);
      REQUIRE(a.logits.size() == b.logits.size());
      same_top1 += Top1(a.scores) == Top1(b.scores);
      same_scores += a.scores == b.scores;
      same_logits += a.logits == b.logits;
    }
    MESSAGE(name << ": " << inputs.size() << " inputs (7 photos, 8 noise): top-1 agrees on " << same_top1
                 << ", scores byte-identical on " << same_scores << ", logits on " << same_logits);
    CHECK(same_top1 == inputs.size());
    CHECK(same_scores == inputs.size());
    CHECK(same_logits == inputs.size());
  }
}

TEST_CASE("hostile ONNX input: truncated shared models are errors, never crashes") {
  const char* const kFiles[] = {"mobilenet_v1_0.25_128_quant.qdq.onnx", "mobilenet_v1_0.25_128_quant.fp32.onnx",
                                "mobilenet_v2_1.0_224_quant.qdq.onnx", "tf2_mobilenet_v2_1.0_224_ptq.qdq.onnx",
                                "tf2_mobilenet_v2_1.0_224_ptq.fp32.onnx"};
  size_t tried = 0, errors = 0;
  for (const char* file : kFiles) {
    const std::vector<uint8_t> bytes = ReadFile(SharedPath(std::string("models/onnx/") + file));
    REQUIRE(bytes.size() > 100000);
    // Every length in the header, then 120 spread over the file (each cuts
    // a different message: initializers, nodes, the graph's tail).
    std::vector<size_t> lengths;
    for (size_t n = 0; n < 96; ++n) lengths.push_back(n);
    for (size_t k = 1; k <= 120; ++k) lengths.push_back(bytes.size() * k / 121 + k);
    lengths.push_back(bytes.size() - 1);
    for (size_t n : lengths) {
      CAPTURE(file);
      CAPTURE(n);
      auto cut = std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.begin() + n);
      Result<std::unique_ptr<Graph>> g = onnx::ReadOnnx(cut);
      ++tried;
      if (!g.ok()) {
        ++errors;
        CHECK_FALSE(g.status().message().empty());
      }
    }
  }
  MESSAGE(tried << " truncated files: " << errors << " rejected");
  CHECK(errors == tried);  // opset_import comes last in these files: no prefix is a model
}

// A float model touching the float paths: Conv + BatchNormalization + Clip
// folding, GlobalAveragePool, Flatten, Gemm, Softmax.
std::vector<uint8_t> FloatModel() {
  using namespace qwasm::testing::onnxb;
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 2, 4, 4}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 3}));
  g.initializers.push_back(Floats("W", {2, 2, 3, 3}, std::vector<float>(36, 0.5f)));
  for (const char* n : {"s", "b", "mean", "var"}) g.initializers.push_back(Floats(n, {2}, {1.0f, 2.0f}));
  g.initializers.push_back(Scalar("lo", 0.0f));
  g.initializers.push_back(Scalar("hi", 6.0f));
  g.initializers.push_back(Floats("G", {3, 2}, {1, 2, 3, 4, 5, 6}));
  g.nodes.push_back(OpNode("Conv", {"x", "W"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}));
  g.nodes.push_back(OpNode("BatchNormalization", {"c", "s", "b", "mean", "var"}, {"n"}));
  g.nodes.push_back(OpNode("Clip", {"n", "lo", "hi"}, {"r"}));
  g.nodes.push_back(OpNode("GlobalAveragePool", {"r"}, {"p"}));
  g.nodes.push_back(OpNode("Flatten", {"p"}, {"f"}));
  g.nodes.push_back(OpNode("Gemm", {"f", "G"}, {"l"}, {AttrInt("transB", 1)}));
  g.nodes.push_back(OpNode("Softmax", {"l"}, {"y"}));
  return Model(g);
}

TEST_CASE("hostile ONNX input: every byte of small models flipped: an error or a working graph") {
  const std::vector<uint8_t> models[] = {qwasm::testing::onnxb::Model(qwasm::testing::onnxb::QdqConvGraph()), FloatModel()};
  for (const std::vector<uint8_t>& bytes : models) {
    REQUIRE(onnx::ReadOnnx(std::make_shared<const std::vector<uint8_t>>(bytes)).ok());
    size_t errors = 0, valid = 0, ran = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t mask : {uint8_t{0xFF}, uint8_t{0x01}, uint8_t{0x80}}) {
        auto bad = std::make_shared<std::vector<uint8_t>>(bytes);
        (*bad)[i] ^= mask;
        Result<std::unique_ptr<Graph>> g = onnx::ReadOnnx(bad);
        if (!g.ok()) {
          ++errors;
          if (g.status().message().empty()) FAIL("empty error for byte " << i);
          continue;
        }
        ++valid;
        // A graph that imports must prepare or fail cleanly, and run (ASan / UBSan check every access).
        Result<std::unique_ptr<Interpreter>> m = Interpreter::Create(g.take());
        if (!m.ok()) continue;
        std::fill(m.value()->input_buffer(0), m.value()->input_buffer(0) + m.value()->input_bytes(0), uint8_t{77});
        m.value()->Invoke();
        ++ran;
      }
    }
    MESSAGE(bytes.size() << " bytes x 3 flips: " << errors << " rejected, " << valid << " imported, " << ran << " ran");
    CHECK(errors + valid == bytes.size() * 3);
  }
}
