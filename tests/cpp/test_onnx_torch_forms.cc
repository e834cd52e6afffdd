// ONNX import of the forms torch.onnx.export writes for torchvision
// networks, on small hand-built graphs run through the interpreter and
// checked against values computed here: shape arithmetic folded to
// constants (ShuffleNet's channel shuffle), squeeze-and-excitation
// broadcasting, Split / Slice, ReduceMean, GlobalMaxPool, Sub / Div,
// Squeeze / Unsqueeze, Gemm transA, grouped Conv, and opset 18's inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph/interpreter.h"
#include "graph_builder.h"
#include "import/onnx/onnx_reader.h"
#include "onnx_builder.h"

using namespace qwasm;
using namespace qwasm::testing;
using namespace qwasm::testing::onnxb;

namespace {

std::unique_ptr<Graph> ImportOk(const std::vector<uint8_t>& bytes) {
  Result<std::unique_ptr<Graph>> g = onnx::ReadOnnx(std::make_shared<const std::vector<uint8_t>>(bytes));
  REQUIRE_MESSAGE(g.ok(), g.status().message());
  return g.take();
}

std::vector<OpType> Ops(const Graph& g) {
  std::vector<OpType> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op);
  return ops;
}

size_t Count(const Graph& g, OpType op) {
  size_t n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

Msg Int64s(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
  return TensorOf(name, kInt64, dims, v);
}

// Runs the graph on float inputs (storage order) and returns output k.
std::vector<float> Run(std::unique_ptr<Graph> g, const std::vector<std::vector<float>>& inputs, size_t k = 0) {
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(g));
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  return RunOnce<float>(*it.value(), inputs, k);
}

std::vector<float> Iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

}  // namespace

TEST_CASE("onnx torch forms: ShuffleNet's channel shuffle through folded shape arithmetic is one TRANSPOSE") {
  // x [1, 4, 2, 2] -> view(1, 2, 2, 2, 2) (sizes from Shape / Gather / Div)
  // -> transpose(1, 2) -> view(1, -1, 2, 2)
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 4, 2, 2}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 4, 2, 2}));
  g.initializers.push_back(Int64s("one", {}, {1}));
  g.initializers.push_back(Int64s("groups", {1}, {2}));
  g.initializers.push_back(Int64s("two", {}, {2}));
  g.initializers.push_back(Int64s("tail", {2}, {2, 2}));
  g.initializers.push_back(Int64s("flat", {4}, {1, -1, 2, 2}));
  g.nodes.push_back(OpNode("Shape", {"x"}, {"shape"}));
  g.nodes.push_back(OpNode("Gather", {"shape", "one"}, {"c"}, {AttrInt("axis", 0)}));
  g.nodes.push_back(OpNode("Div", {"c", "two"}, {"per_group"}));
  g.nodes.push_back(OpNode("Unsqueeze", {"per_group", "zero_axes"}, {"pg1"}));
  g.initializers.push_back(Int64s("zero_axes", {1}, {0}));
  g.nodes.push_back(OpNode("Slice", {"shape", "s0", "s1"}, {"batch"}));  // shape[0:1]
  g.initializers.push_back(Int64s("s0", {1}, {0}));
  g.initializers.push_back(Int64s("s1", {1}, {1}));
  g.nodes.push_back(OpNode("Concat", {"batch", "groups", "pg1", "tail"}, {"view"}, {AttrInt("axis", 0)}));
  g.nodes.push_back(OpNode("Reshape", {"x", "view"}, {"v"}));
  g.nodes.push_back(OpNode("Transpose", {"v"}, {"t"}, {AttrInts("perm", {0, 2, 1, 3, 4})}));
  g.nodes.push_back(OpNode("Reshape", {"t", "flat"}, {"y"}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  CHECK(Count(*ir, OpType::kTranspose) == 1);
  // Storage NHWC: pixel p, channel c holds x[c][p] = 4 c + p; shuffled
  // output channel 2 i + j is input channel 2 j + i.
  std::vector<float> x(16), want(16);
  for (int p = 0; p < 4; ++p) {
    for (int c = 0; c < 4; ++c) x[p * 4 + c] = static_cast<float>(4 * c + p);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) want[p * 4 + 2 * i + j] = static_cast<float>(4 * (2 * j + i) + p);
  }
  CHECK(Run(std::move(ir), {x}) == want);
}

TEST_CASE("onnx torch forms: squeeze-and-excitation multiplies [N, C, 1, 1] into [N, C, H, W]; SiLU; Sub and Div") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 3, 2, 2}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 3, 2, 2}));
  g.initializers.push_back(Floats("half", {}, {0.5f}));
  g.initializers.push_back(Floats("shift", {1, 3, 1, 1}, {1.0f, 2.0f, 3.0f}));
  g.nodes.push_back(OpNode("GlobalAveragePool", {"x"}, {"m"}));
  g.nodes.push_back(OpNode("Sigmoid", {"m"}, {"s"}));
  g.nodes.push_back(OpNode("Mul", {"s", "x"}, {"se"}));  // the broadcast operand first
  g.nodes.push_back(OpNode("Sigmoid", {"se"}, {"sig"}));
  g.nodes.push_back(OpNode("Mul", {"se", "sig"}, {"silu"}));
  g.nodes.push_back(OpNode("Sub", {"silu", "shift"}, {"d"}));
  g.nodes.push_back(OpNode("Div", {"d", "half"}, {"e"}));
  g.nodes.push_back(OpNode("Sub", {"e", "x"}, {"y"}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  CHECK(Count(*ir, OpType::kTranspose) == 0);
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[i] = 0.25f * static_cast<float>(i) - 1.0f;  // NHWC: pixel i / 3, channel i % 3
  const std::vector<float> got = Run(std::move(ir), {x});
  for (int i = 0; i < 12; ++i) {
    const int c = i % 3;
    float mean = 0.0f;
    for (int p = 0; p < 4; ++p) mean += x[p * 3 + c];
    mean /= 4.0f;
    const float se = x[i] / (1.0f + std::exp(-mean));
    const float silu = se / (1.0f + std::exp(-se));
    const float want = (silu - static_cast<float>(c + 1)) * 2.0f - x[i];
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(want).epsilon(1e-5));
  }
}

TEST_CASE("onnx torch forms: Split and Slice of channels are SLICE nodes; Concat puts them back") {
  for (int64_t opset : {11, 13, 18}) {
    CAPTURE(opset);
    GraphSpec g;
    g.inputs.push_back(ValueInfo("x", kFloat, {1, 4, 2, 3}));
    g.outputs.push_back(ValueInfo("y", kFloat, {1, 4, 2, 3}));
    if (opset >= 13) {
      g.initializers.push_back(Int64s("sizes", {2}, {1, 3}));
      g.nodes.push_back(OpNode("Split", {"x", "sizes"}, {"a", "b"}, {AttrInt("axis", 1)}));
    } else {
      g.nodes.push_back(OpNode("Split", {"x"}, {"a", "b"}, {AttrInt("axis", 1), AttrInts("split", {1, 3})}));
    }
    g.initializers.push_back(Int64s("starts", {1}, {1}));
    g.initializers.push_back(Int64s("ends", {1}, {INT64_MAX}));
    g.initializers.push_back(Int64s("axes", {1}, {1}));
    g.nodes.push_back(OpNode("Slice", {"b", "starts", "ends", "axes"}, {"b2"}));  // channels 2..3 of x
    g.nodes.push_back(OpNode("Slice", {"b", "s0", "e0", "axes"}, {"b1"}));
    g.initializers.push_back(Int64s("s0", {1}, {0}));
    g.initializers.push_back(Int64s("e0", {1}, {-2}));  // channel 1 of x
    g.nodes.push_back(OpNode("Concat", {"b2", "a", "b1"}, {"y"}, {AttrInt("axis", 1)}));
    std::unique_ptr<Graph> ir = ImportOk(Model(g, opset));
    CHECK(Count(*ir, OpType::kSlice) == 4);
    CHECK(Count(*ir, OpType::kTranspose) == 0);
    const std::vector<float> x = Iota(24);  // NHWC: pixel i / 4, channel i % 4
    std::vector<float> want(24);
    const int order[4] = {2, 3, 0, 1};
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 4; ++c) want[p * 4 + c] = x[p * 4 + order[c]];
    CHECK(Run(std::move(ir), {x}) == want);
  }
  {  // opset 18: num_outputs, the last part smaller
    GraphSpec g;
    g.inputs.push_back(ValueInfo("x", kFloat, {1, 5}));
    g.outputs.push_back(ValueInfo("c", kFloat, {1, 1}));
    g.nodes.push_back(OpNode("Split", {"x"}, {"a", "b", "c"}, {AttrInt("axis", 1), AttrInt("num_outputs", 3)}));
    CHECK(Run(ImportOk(Model(g, 18)), {Iota(5)}) == std::vector<float>{4.0f});
  }
}

TEST_CASE("onnx torch forms: ReduceMean over H, W either keepdims, opset 18 axes input; GlobalMaxPool; ReduceMax") {
  const std::vector<float> x = Iota(12);  // [1, 3, 2, 2] stored NHWC: pixel i / 3, channel i % 3
  for (int64_t keep : {0, 1}) {
    for (int64_t opset : {13, 18}) {
      CAPTURE(keep);
      CAPTURE(opset);
      GraphSpec g;
      g.inputs.push_back(ValueInfo("x", kFloat, {1, 3, 2, 2}));
      g.outputs.push_back(ValueInfo("y", kFloat, keep ? std::vector<int64_t>{1, 3, 1, 1} : std::vector<int64_t>{1, 3}));
      if (opset >= 18) {
        g.initializers.push_back(Int64s("axes", {2}, {-1, 2}));
        g.nodes.push_back(OpNode("ReduceMean", {"x", "axes"}, {"y"}, {AttrInt("keepdims", keep)}));
      } else {
        g.nodes.push_back(OpNode("ReduceMean", {"x"}, {"y"}, {AttrInts("axes", {2, 3}), AttrInt("keepdims", keep)}));
      }
      std::unique_ptr<Graph> ir = ImportOk(Model(g, opset));
      CHECK(Ops(*ir) == std::vector<OpType>{OpType::kMean});
      CHECK(Run(std::move(ir), {x}) == std::vector<float>{4.5f, 5.5f, 6.5f});
    }
  }
  for (const char* op : {"GlobalMaxPool", "ReduceMax"}) {
    CAPTURE(op);
    GraphSpec g;
    g.inputs.push_back(ValueInfo("x", kFloat, {1, 3, 2, 2}));
    const bool global = std::string(op) == "GlobalMaxPool";
    g.outputs.push_back(ValueInfo("y", kFloat, global ? std::vector<int64_t>{1, 3, 1, 1} : std::vector<int64_t>{1, 3}));
    if (global) {
      g.nodes.push_back(OpNode(op, {"x"}, {"y"}));
    } else {
      g.nodes.push_back(OpNode(op, {"x"}, {"y"}, {AttrInts("axes", {2, 3}), AttrInt("keepdims", 0)}));
    }
    CHECK(Run(ImportOk(Model(g)), {x}) == std::vector<float>{9.0f, 10.0f, 11.0f});
  }
  GraphSpec channels;
  channels.inputs.push_back(ValueInfo("x", kFloat, {1, 3, 2, 2}));
  channels.outputs.push_back(ValueInfo("y", kFloat, {1, 1, 2, 2}));
  channels.nodes.push_back(OpNode("ReduceMean", {"x"}, {"y"}, {AttrInts("axes", {1})}, "rm"));
  Result<std::unique_ptr<Graph>> bad = onnx::ReadOnnx(std::make_shared<const std::vector<uint8_t>>(Model(channels)));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("ReduceMean over axes [1] of a rank-4 tensor is not supported") != std::string::npos);
}

TEST_CASE("onnx torch forms: Squeeze / Unsqueeze (attribute and input forms) and Gemm transA are reshapes") {
  for (int64_t opset : {11, 13}) {
    CAPTURE(opset);
    GraphSpec g;
    g.inputs.push_back(ValueInfo("x", kFloat, {1, 3, 1, 1}));
    g.outputs.push_back(ValueInfo("y", kFloat, {1, 2}));
    g.initializers.push_back(Floats("W", {3, 2}, {1, 2, 3, 4, 5, 6}));
    if (opset >= 13) {
      g.initializers.push_back(Int64s("sq", {2}, {2, 3}));
      g.initializers.push_back(Int64s("un", {1}, {0}));
      g.nodes.push_back(OpNode("Squeeze", {"x", "sq"}, {"a"}));         // [1, 3]
      g.nodes.push_back(OpNode("Squeeze", {"a", "un"}, {"b"}));         // [3]
      g.nodes.push_back(OpNode("Unsqueeze", {"b", "one"}, {"c"}));      // [3, 1]
      g.initializers.push_back(Int64s("one", {1}, {1}));
    } else {
      g.nodes.push_back(OpNode("Squeeze", {"x"}, {"a"}, {AttrInts("axes", {2, 3})}));
      g.nodes.push_back(OpNode("Squeeze", {"a"}, {"b"}, {AttrInts("axes", {0})}));
      g.nodes.push_back(OpNode("Unsqueeze", {"b"}, {"c"}, {AttrInts("axes", {1})}));
    }
    g.nodes.push_back(OpNode("Gemm", {"c", "W"}, {"y"}, {AttrInt("transA", 1), AttrFloat("alpha", -1.0f)}));
    std::unique_ptr<Graph> ir = ImportOk(Model(g, opset));
    CHECK(Count(*ir, OpType::kTranspose) == 0);
    // y = -x^T W = -[1 2 3] [[1 2] [3 4] [5 6]] = -[22 28]
    CHECK(Run(std::move(ir), {{1.0f, 2.0f, 3.0f}}) == std::vector<float>{-22.0f, -28.0f});
  }
}

TEST_CASE("onnx torch forms: grouped Conv equals the per-group convolutions computed here") {
  // x [1, 4, 3, 3], W [6, 2, 3, 3], group 2, pad 1: output channels 0..2
  // read input channels 0..1, 3..5 read 2..3.
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 4, 3, 3}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 6, 3, 3}));
  std::vector<float> w(6 * 2 * 9);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i * 7 % 11) - 5) * 0.125f;
  g.initializers.push_back(Floats("W", {6, 2, 3, 3}, w));
  g.initializers.push_back(Floats("B", {6}, {0.5f, -1.0f, 0.0f, 1.0f, 2.0f, -0.5f}));
  g.nodes.push_back(OpNode("Conv", {"x", "W", "B"}, {"y"}, {AttrInt("group", 2), AttrInts("pads", {1, 1, 1, 1})}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kConv2D});
  std::vector<float> x(36);  // NHWC
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i * 5 % 13) - 6) * 0.25f;
  const std::vector<float> got = Run(std::move(ir), {x});
  const float bias[6] = {0.5f, -1.0f, 0.0f, 1.0f, 2.0f, -0.5f};
  for (int oy = 0; oy < 3; ++oy) {
    for (int ox = 0; ox < 3; ++ox) {
      for (int m = 0; m < 6; ++m) {
        const int group = m / 3;
        double acc = bias[m];
        for (int ci = 0; ci < 2; ++ci)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy + ky - 1, ix = ox + kx - 1;
              if (iy < 0 || iy > 2 || ix < 0 || ix > 2) continue;
              acc += x[(iy * 3 + ix) * 4 + group * 2 + ci] * w[((m * 2 + ci) * 3 + ky) * 3 + kx];
            }
        CAPTURE(m);
        CHECK(got[(oy * 3 + ox) * 6 + m] == doctest::Approx(acc).epsilon(1e-5));
      }
    }
  }
}
