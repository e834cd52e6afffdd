// ONNX import on small hand-built models: layout (NCHW -> NHWC), weights
// transposed against the raw initializer values, BatchNormalization and
// Clip folding, Gemm, Flatten, QDQ int8 conversion, and clear errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph/interpreter.h"
#include "import/onnx/onnx_reader.h"
#include "onnx_builder.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing::onnxb;

namespace {

Result<std::unique_ptr<Graph>> Import(const std::vector<uint8_t>& bytes) {
  return onnx::ReadOnnx(std::make_shared<const std::vector<uint8_t>>(bytes));
}

std::unique_ptr<Graph> ImportOk(const std::vector<uint8_t>& bytes) {
  Result<std::unique_ptr<Graph>> g = Import(bytes);
  REQUIRE_MESSAGE(g.ok(), g.status().message());
  return g.take();
}

std::string ImportError(const std::vector<uint8_t>& bytes) {
  Result<std::unique_ptr<Graph>> g = Import(bytes);
  REQUIRE_FALSE(g.ok());
  return g.status().message();
}

// A minimized fuzz input kept in tests/data/fuzz/, checked to be the file meant.
std::vector<uint8_t> FuzzInput(const std::string& name, size_t bytes) {
  std::vector<uint8_t> data = testing::ReadFile(testing::SourcePath("tests/data/fuzz/" + name));
  REQUIRE(data.size() == bytes);
  return data;
}

std::vector<OpType> Ops(const Graph& g) {
  std::vector<OpType> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op);
  return ops;
}

template <typename T>
T At(const Tensor& t, size_t i) {
  T v;
  std::memcpy(&v, t.data + i * sizeof(T), sizeof(T));
  return v;
}

std::vector<float> Iota(size_t n, float scale = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * scale;
  return v;
}

// x [1, 2, 5, 5] -> Conv(W [3, 2, 3, 3], B, pads 1) -> y
GraphSpec ConvGraph() {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 2, 5, 5}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 3, 5, 5}));
  g.initializers.push_back(Floats("W", {3, 2, 3, 3}, Iota(54)));
  g.initializers.push_back(Floats("B", {3}, {0.5f, -1.0f, 2.0f}));
  g.nodes.push_back(OpNode("Conv", {"x", "W", "B"}, {"y"}, {AttrInts("pads", {1, 1, 1, 1}), AttrInts("kernel_shape", {3, 3})}));
  return g;
}

}  // namespace

TEST_CASE("onnx import: Conv weights OIHW become OHWI, NCHW input becomes NHWC") {
  std::unique_ptr<Graph> g = ImportOk(Model(ConvGraph()));
  CHECK(g->metadata.producer == "onnx");
  REQUIRE(Ops(*g) == std::vector<OpType>{OpType::kConv2D});
  const Tensor& in = g->tensors[g->inputs[0]];
  CHECK(in.shape == std::vector<int32_t>{1, 5, 5, 2});
  CHECK(in.dtype == DType::kFloat32);
  bool noted = false;
  for (const std::string& n : g->metadata.notes) noted |= n.find("input 'x': ONNX NCHW [1, 2, 5, 5] is NHWC [1, 5, 5, 2]") != std::string::npos;
  CHECK(noted);
  const Node& conv = g->nodes[0];
  CHECK(conv.attrs.padding == Padding::kSame);  // pads 1 around a 3x3 stride-1 window
  const Tensor& w = g->tensors[conv.inputs[1]];
  REQUIRE(w.shape == std::vector<int32_t>{3, 3, 3, 2});
  // IR filter [o][h][w][i] == ONNX W[o][i][h][w] == o*18 + i*9 + h*3 + w.
  for (int o = 0; o < 3; ++o)
    for (int h = 0; h < 3; ++h)
      for (int x = 0; x < 3; ++x)
        for (int i = 0; i < 2; ++i) {
          CAPTURE(o); CAPTURE(h); CAPTURE(x); CAPTURE(i);
          CHECK(At<float>(w, ((o * 3 + h) * 3 + x) * 2 + i) == static_cast<float>(o * 18 + i * 9 + h * 3 + x));
        }
  CHECK(At<float>(g->tensors[conv.inputs[2]], 1) == -1.0f);
  CHECK(g->tensors[conv.outputs[0]].shape == std::vector<int32_t>{1, 5, 5, 3});
}

TEST_CASE("onnx import: depthwise Conv and explicit / SAME_LOWER padding") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 2, 6, 6}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 4, 3, 3}));
  g.initializers.push_back(Floats("W", {4, 1, 3, 3}, Iota(36)));
  g.nodes.push_back(OpNode("Conv", {"x", "W"}, {"y"},
                         {AttrInt("group", 2), AttrInts("strides", {2, 2}), AttrString("auto_pad", "SAME_LOWER")}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kDepthwiseConv2D});
  const Node& dw = ir->nodes[0];
  CHECK(dw.attrs.depth_multiplier == 2);
  // 6 -> 3 with stride 2 needs 1 padding; SAME_LOWER puts it first, unlike TFLite's SAME.
  CHECK(dw.attrs.padding == Padding::kExplicit);
  CHECK(std::vector<int32_t>(dw.attrs.pads, dw.attrs.pads + 4) == std::vector<int32_t>{1, 1, 0, 0});
  const Tensor& w = ir->tensors[dw.inputs[1]];
  REQUIRE(w.shape == std::vector<int32_t>{1, 3, 3, 4});
  for (int m = 0; m < 4; ++m)
    for (int k = 0; k < 9; ++k) CHECK(At<float>(w, k * 4 + m) == static_cast<float>(m * 9 + k));
  // Another group count is a grouped CONV_2D: filter [M, kH, kW, C / group].
  GraphSpec grouped = g;
  grouped.inputs[0] = ValueInfo("x", kFloat, {1, 4, 6, 6});
  grouped.initializers[0] = Floats("W", {4, 2, 3, 3}, Iota(72));
  grouped.outputs[0] = ValueInfo("y", kFloat, {1, 4, 4, 4});
  grouped.nodes[0] = OpNode("Conv", {"x", "W"}, {"y"}, {AttrInt("group", 2)}, "grouped");
  std::unique_ptr<Graph> gir = ImportOk(Model(grouped));
  REQUIRE(Ops(*gir) == std::vector<OpType>{OpType::kConv2D});
  CHECK(gir->tensors[gir->nodes[0].inputs[1]].shape == std::vector<int32_t>{4, 3, 3, 2});
  // A group that does not divide the channels is refused by name.
  GraphSpec bad = grouped;
  bad.nodes[0] = OpNode("Conv", {"x", "W"}, {"y"}, {AttrInt("group", 3)}, "grouped");
  CHECK(ImportError(Model(bad)).find("onnx: node 0 'grouped' (Conv): weights [4, 2, 3, 3] with group 3 do not fit") == 0);
}

TEST_CASE("onnx import: BatchNormalization folds into Conv, Clip(0, 6) becomes RELU6") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 1, 2, 2}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 1, 2, 2}));
  g.initializers.push_back(Floats("W", {1, 1, 1, 1}, {2.0f}));
  g.initializers.push_back(Floats("B", {1}, {1.0f}));
  for (auto [name, v] : {std::pair<const char*, float>{"s", 3.0f}, {"b", 0.5f}, {"mean", 1.0f}, {"var", 3.0f}}) {
    g.initializers.push_back(Floats(name, {1}, {v}));
  }
  g.initializers.push_back(Scalar("lo", 0.0f));
  g.initializers.push_back(Scalar("hi", 6.0f));
  g.nodes.push_back(OpNode("Conv", {"x", "W", "B"}, {"c"}));
  g.nodes.push_back(OpNode("BatchNormalization", {"c", "s", "b", "mean", "var"}, {"n"}, {AttrFloat("epsilon", 1.0f)}));
  g.nodes.push_back(OpNode("Clip", {"n", "lo", "hi"}, {"y"}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kConv2D});
  const Node& conv = ir->nodes[0];
  CHECK(conv.attrs.activation == Activation::kRelu6);
  // k = 3 / sqrt(3 + 1) = 1.5: weight 2 * 1.5 = 3, bias (1 - 1) * 1.5 + 0.5 = 0.5.
  CHECK(At<float>(ir->tensors[conv.inputs[1]], 0) == 3.0f);
  CHECK(At<float>(ir->tensors[conv.inputs[2]], 0) == 0.5f);
  CHECK(ir->tensors[ir->outputs[0]].name == "y");

  // A BatchNormalization whose input has another consumer is not folded:
  // a 1x1 DEPTHWISE_CONV_2D (scale as weights, shift as bias); Clip(0, 4)
  // is no fused activation: CLAMP.
  GraphSpec two = g;
  two.initializers.back() = Scalar("hi", 4.0f);
  two.outputs.push_back(ValueInfo("c", kFloat, {1, 1, 2, 2}));
  std::unique_ptr<Graph> ir2 = ImportOk(Model(two));
  REQUIRE(Ops(*ir2) == std::vector<OpType>{OpType::kConv2D, OpType::kDepthwiseConv2D, OpType::kClamp});
  CHECK(ir2->tensors[ir2->nodes[1].inputs[1]].shape == std::vector<int32_t>{1, 1, 1, 1});
  CHECK(At<float>(ir2->tensors[ir2->nodes[1].inputs[1]], 0) == 1.5f);
  CHECK(At<float>(ir2->tensors[ir2->nodes[1].inputs[2]], 0) == -1.0f);  // 0.5 - 1 * 1.5
  CHECK(ir2->nodes[2].attrs.clamp_min == 0.0f);
  CHECK(ir2->nodes[2].attrs.clamp_max == 4.0f);
}

TEST_CASE("onnx import: Gemm folds alpha and beta, transposes B to [N, K]") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 3}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 2}));
  g.initializers.push_back(Floats("B", {3, 2}, Iota(6)));  // [K, N]
  g.initializers.push_back(Floats("C", {2}, {4.0f, 8.0f}));
  g.nodes.push_back(OpNode("Gemm", {"x", "B", "C"}, {"r"}, {AttrFloat("alpha", 2.0f), AttrFloat("beta", 0.5f)}));
  g.nodes.push_back(OpNode("Relu", {"r"}, {"y"}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kFullyConnected});
  CHECK(ir->nodes[0].attrs.activation == Activation::kRelu);
  const Tensor& w = ir->tensors[ir->nodes[0].inputs[1]];
  REQUIRE(w.shape == std::vector<int32_t>{2, 3});
  // W[n][k] = alpha * B[k][n] = 2 * (2k + n)
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 3; ++k) CHECK(At<float>(w, n * 3 + k) == 2.0f * (2 * k + n));
  CHECK(At<float>(ir->tensors[ir->nodes[0].inputs[2]], 1) == 4.0f);
}

TEST_CASE("onnx import: Flatten is layout-free on [N, C, 1, 1], else transposes to NCHW first") {
  for (int hw : {1, 2}) {
    CAPTURE(hw);
    GraphSpec g;
    g.inputs.push_back(ValueInfo("x", kFloat, {1, 3, 4, 4}));
    g.outputs.push_back(ValueInfo("y", kFloat, {1, 3 * hw * hw}));
    g.nodes.push_back(OpNode("AveragePool", {"x"}, {"p"}, {AttrInts("kernel_shape", {4 / hw, 4 / hw}), AttrInts("strides", {4 / hw, 4 / hw})}));
    g.nodes.push_back(OpNode("Flatten", {"p"}, {"y"}));
    std::unique_ptr<Graph> ir = ImportOk(Model(g));
    if (hw == 1) {
      CHECK(Ops(*ir) == std::vector<OpType>{OpType::kAveragePool2D, OpType::kReshape});
    } else {
      REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kAveragePool2D, OpType::kTranspose, OpType::kReshape});
      CHECK(ir->nodes[1].attrs.perm == std::vector<int32_t>{0, 3, 1, 2});  // NHWC -> NCHW
    }
    CHECK(ir->tensors[ir->outputs[0]].shape == std::vector<int32_t>{1, 3 * hw * hw});
  }
}

TEST_CASE("onnx import: Transpose, Concat and Pad axes follow the layout") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 2, 3, 3}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 4, 5, 5}));
  g.initializers.push_back(TensorOf<int64_t>("pads", kInt64, {8}, {0, 0, 1, 1, 0, 0, 1, 1}));
  g.nodes.push_back(OpNode("Concat", {"x", "x"}, {"c"}, {AttrInt("axis", 1)}));
  g.nodes.push_back(OpNode("Pad", {"c", "pads"}, {"y"}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kConcatenation, OpType::kPad});
  CHECK(ir->nodes[0].attrs.axis == 3);  // channels are the last NHWC axis
  CHECK(ir->nodes[1].attrs.paddings == std::vector<int32_t>{0, 0, 1, 1, 1, 1, 0, 0});
  CHECK(ir->tensors[ir->outputs[0]].shape == std::vector<int32_t>{1, 5, 5, 4});

  // Transpose(0, 2, 3, 1) of x (NCHW, stored N H W C) gives logical
  // [N, H, W, C] = [1, 3, 3, 2], itself stored NHWC: as x's axes N, W, C, H.
  GraphSpec t;
  t.inputs.push_back(ValueInfo("x", kFloat, {1, 2, 3, 3}));
  t.outputs.push_back(ValueInfo("y", kFloat, {1, 3, 3, 2}));
  t.nodes.push_back(OpNode("Transpose", {"x"}, {"y"}, {AttrInts("perm", {0, 2, 3, 1})}));
  std::unique_ptr<Graph> ir2 = ImportOk(Model(t));
  REQUIRE(Ops(*ir2) == std::vector<OpType>{OpType::kTranspose});
  CHECK(ir2->nodes[0].attrs.perm == std::vector<int32_t>{0, 2, 3, 1});
  CHECK(ir2->tensors[ir2->outputs[0]].shape == std::vector<int32_t>{1, 3, 2, 3});
}

TEST_CASE("onnx import: a QDQ Conv becomes an int8 CONV_2D with shifted uint8 weights") {
  const GraphSpec g = QdqConvGraph();
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kConv2D, OpType::kDequantize});
  const Node& conv = ir->nodes[0];
  CHECK(conv.attrs.activation == Activation::kRelu);
  const Tensor& in = ir->tensors[conv.inputs[0]];
  CHECK(in.dtype == DType::kInt8);
  CHECK(in.was_uint8);
  CHECK(in.quant.zero_point == std::vector<int32_t>{0});  // uint8 128 - 128
  const Tensor& f = ir->tensors[conv.inputs[1]];
  CHECK(f.dtype == DType::kInt8);
  CHECK(f.quant.zero_point == std::vector<int32_t>{-8});
  // filter [o][h][w][i] = W[o][i][h][w] - 128
  CHECK(At<int8_t>(f, 0) == static_cast<int8_t>(100 - 128));
  CHECK(At<int8_t>(f, 1) == static_cast<int8_t>(100 + 9 - 128));
  CHECK(At<int32_t>(ir->tensors[conv.inputs[2]], 1) == -20);
  const Tensor& out = ir->tensors[conv.outputs[0]];
  CHECK(out.quant.scale == std::vector<float>{0.25f});
  CHECK(out.quant.zero_point == std::vector<int32_t>{-118});
  // It runs: x = 128 everywhere is real 0, so y = relu(bias) on the 0.25 grid.
  Result<std::unique_ptr<Interpreter>> interp = Interpreter::Create(std::move(ir));
  REQUIRE_MESSAGE(interp.ok(), interp.status().message());
  std::fill(interp.value()->input_buffer(0), interp.value()->input_buffer(0) + 32, uint8_t{128});
  interp.value()->Invoke();
  const float* y = reinterpret_cast<const float*>(interp.value()->output_buffer(0));
  CHECK(y[0] == doctest::Approx(10 * 0.005f).epsilon(0.1));  // 0.05 on the 0.25 grid: 0
  CHECK(y[2] == doctest::Approx(0.25f));                      // 30 * 0.005 = 0.15 -> 0.25

  // A bias whose scale is not input scale x weight scale is refused.
  GraphSpec bad = g;
  bad.initializers[4] = Scalar("bs", 0.001f);
  CHECK(ImportError(Model(bad)).find("bias scale 0.001000 of channel 0 is not input scale x weight scale = 0.005000") !=
        std::string::npos);
}

TEST_CASE("onnx import: clear errors for unsupported operators, shapes and storage") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 4}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 4}));
  g.nodes.push_back(OpNode("Relu", {"x"}, {"r"}));
  g.nodes.push_back(OpNode("LSTM", {"r"}, {"y"}, {}, "foo"));
  CHECK(ImportError(Model(g)) == "onnx: this model needs 1 operator qwasm does not support: LSTM (node 1 'foo')");
  {  // Every unsupported operator at once, before anything else is judged.
    GraphSpec many = g;
    many.nodes.push_back(OpNode("LSTM", {"r"}, {"z"}, {}, "bar"));
    many.nodes.push_back(OpNode("NonMaxSuppression", {"r"}, {"w"}, {}, "nms"));
    CHECK(ImportError(Model(many)) ==
          "onnx: this model needs 2 operators qwasm does not support: LSTM (2 nodes, first node 1 'foo'), "
          "NonMaxSuppression (node 3 'nms')");
  }

  GraphSpec dynamic;
  dynamic.inputs.push_back(ValueInfo("x", kFloat, {1, 4}));
  dynamic.inputs[0].b.clear();
  {
    Msg dim;
    dim.Str(2, "batch");
    Msg shape;
    shape.Sub(1, dim).Sub(1, Msg().Varint(1, 4));
    Msg tt;
    tt.Varint(1, kFloat).Sub(2, shape);
    dynamic.inputs[0].Str(1, "x").Sub(2, Msg().Sub(1, tt));
  }
  dynamic.outputs.push_back(ValueInfo("y", kFloat, {1, 4}));
  dynamic.nodes.push_back(OpNode("Relu", {"x"}, {"y"}));
  {  // A dynamic batch dimension is fixed to 1, and said so.
    std::unique_ptr<Graph> ir = ImportOk(Model(dynamic));
    CHECK(ir->tensors[ir->inputs[0]].shape == std::vector<int32_t>{1, 4});
    CHECK(std::find(ir->metadata.notes.begin(), ir->metadata.notes.end(),
                    "input 'x': dynamic batch dimension 'batch' fixed to 1") != ir->metadata.notes.end());
  }
  GraphSpec symbolic = dynamic;
  symbolic.inputs[0].b.clear();
  {
    Msg dim;
    dim.Str(2, "width");
    Msg shape;
    shape.Sub(1, Msg().Varint(1, 1)).Sub(1, dim);
    Msg tt;
    tt.Varint(1, kFloat).Sub(2, shape);
    symbolic.inputs[0].Str(1, "x").Sub(2, Msg().Sub(1, tt));
  }
  CHECK(ImportError(Model(symbolic)).find("onnx: input 'x': dimension 1 is symbolic ('width')") == 0);

  GraphSpec external = ConvGraph();
  external.initializers[0].Sub(13, Msg().Str(1, "location").Str(2, "weights.bin"));
  CHECK(ImportError(Model(external)).find("external file") != std::string::npos);

  CHECK(ImportError(Model(ConvGraph(), 19)).find("opset 19 is not supported") != std::string::npos);

  GraphSpec domain = g;
  domain.nodes[1] = OpNode("QLinearConv", {"r"}, {"y"}, {}, "q");
  domain.nodes[1].Str(7, "com.microsoft");
  CHECK(ImportError(Model(domain)) ==
        "onnx: this model needs 1 operator qwasm does not support: QLinearConv (domain 'com.microsoft') (node 1 'q')");

  GraphSpec wrong_out = g;
  wrong_out.nodes.pop_back();
  wrong_out.nodes[0] = OpNode("Relu", {"x"}, {"y"});
  wrong_out.outputs[0] = ValueInfo("y", kFloat, {1, 5});
  CHECK(ImportError(Model(wrong_out)).find("declared with shape [1, 5] but computes [1, 4]") != std::string::npos);
}

TEST_CASE("onnx import: MatMul, Reshape 0 / -1, activations, Constant, Dropout, old-opset Clip") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {2, 3, 4}));
  g.outputs.push_back(ValueInfo("y", kFloat, {2, 15}));
  g.initializers.push_back(Floats("W", {4, 5}, Iota(20)));
  g.nodes.push_back(OpNode("MatMul", {"x", "W"}, {"m"}));
  g.nodes.push_back(OpNode("Constant", {}, {"shape"}, {Msg().Str(1, "value_ints").Varint(20, 7).Varint(8, 0).Varint(8, static_cast<uint64_t>(-1))}));
  g.nodes.push_back(OpNode("Reshape", {"m", "shape"}, {"r"}));
  g.nodes.push_back(OpNode("HardSigmoid", {"r"}, {"h"}, {AttrFloat("alpha", 0.25f)}));
  g.nodes.push_back(OpNode("HardSwish", {"h"}, {"s"}));
  g.nodes.push_back(OpNode("Dropout", {"s"}, {"d"}));
  g.nodes.push_back(OpNode("Sigmoid", {"d"}, {"y"}));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kFullyConnected, OpType::kReshape, OpType::kHardSigmoid,
                                          OpType::kHardSwish, OpType::kLogistic});
  const Tensor& w = ir->tensors[ir->nodes[0].inputs[1]];
  REQUIRE(w.shape == std::vector<int32_t>{5, 4});
  CHECK(At<float>(w, 1 * 4 + 2) == 2 * 5 + 1);  // W^T[n=1][k=2] = W[2][1]
  CHECK(ir->tensors[ir->nodes[0].outputs[0]].shape == std::vector<int32_t>{2, 3, 5});
  CHECK(ir->tensors[ir->nodes[1].outputs[0]].shape == std::vector<int32_t>{2, 15});  // [0, -1]
  CHECK(ir->nodes[2].attrs.hard_alpha == 0.25f);
  CHECK(ir->nodes[2].attrs.hard_beta == 0.5f);

  GraphSpec clip10;
  clip10.inputs.push_back(ValueInfo("x", kFloat, {1, 4}));
  clip10.outputs.push_back(ValueInfo("y", kFloat, {1, 4}));
  clip10.nodes.push_back(OpNode("Clip", {"x"}, {"y"}, {AttrFloat("min", -2.0f), AttrFloat("max", 3.0f)}));
  std::unique_ptr<Graph> c = ImportOk(Model(clip10, 10));
  REQUIRE(Ops(*c) == std::vector<OpType>{OpType::kClamp});
  CHECK(c->nodes[0].attrs.clamp_min == -2.0f);
  CHECK(c->nodes[0].attrs.clamp_max == 3.0f);
}

TEST_CASE("onnx import: pooling geometry, ceil_mode and Softmax axis errors") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 2, 7, 7}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 2, 3, 3}));
  g.nodes.push_back(OpNode("MaxPool", {"x"}, {"y"}, {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2})}, "pool"));
  std::unique_ptr<Graph> ir = ImportOk(Model(g));
  REQUIRE(Ops(*ir) == std::vector<OpType>{OpType::kMaxPool2D});
  CHECK(ir->nodes[0].attrs.padding == Padding::kValid);
  CHECK(ir->nodes[0].attrs.filter_h == 3);
  // 8 -> 3 with floor, 4 with ceil: the partial last window reads one cell
  // of extra end padding. 7x7 window 3 stride 2 fits exactly with ceil off.
  GraphSpec ceil = g;
  ceil.inputs[0] = ValueInfo("x", kFloat, {1, 2, 8, 8});
  ceil.outputs[0] = ValueInfo("y", kFloat, {1, 2, 4, 4});
  ceil.nodes[0] = OpNode("MaxPool", {"x"}, {"y"}, {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1)}, "pool");
  {
    std::unique_ptr<Graph> cir = ImportOk(Model(ceil));
    CHECK(std::vector<int32_t>(cir->nodes[0].attrs.pads, cir->nodes[0].attrs.pads + 4) == std::vector<int32_t>{0, 0, 1, 1});
    CHECK(cir->nodes[0].attrs.padding == Padding::kSame);  // here the cells TFLite's SAME pads
    CHECK(cir->tensors[cir->outputs[0]].shape == std::vector<int32_t>{1, 4, 4, 2});
  }
  GraphSpec ceil_avg = ceil;  // counting the extra padding would divide by cells outside the padded input
  ceil_avg.nodes[0] = OpNode("AveragePool", {"x"}, {"y"}, {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1), AttrInt("count_include_pad", 1)}, "pool");
  CHECK(ImportError(Model(ceil_avg)).find("count_include_pad=1 with ceil_mode=1") != std::string::npos);
  GraphSpec ceil_ok = g;
  ceil_ok.nodes[0] = ceil.nodes[0];
  CHECK(Import(Model(ceil_ok)).ok());  // 7x7: no partial window, ceil_mode changes nothing

  GraphSpec avg = g;
  avg.nodes[0] = OpNode("AveragePool", {"x"}, {"y"}, {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {3, 3}),
                                                       AttrInts("pads", {1, 1, 1, 1}), AttrInt("count_include_pad", 1)});
  std::unique_ptr<Graph> a = ImportOk(Model(avg));
  CHECK(a->nodes[0].attrs.padding == Padding::kExplicit);
  CHECK(a->nodes[0].attrs.count_include_pad);

  GraphSpec sm;
  sm.inputs.push_back(ValueInfo("x", kFloat, {2, 5}));
  sm.outputs.push_back(ValueInfo("y", kFloat, {2, 5}));
  sm.nodes.push_back(OpNode("Softmax", {"x"}, {"y"}, {AttrInt("axis", 0)}, "sm"));
  CHECK(ImportError(Model(sm)) == "onnx: node 0 'sm' (Softmax): Softmax over axis 0 of a rank-2 tensor is not supported (only the last axis)");
  sm.nodes[0] = OpNode("Softmax", {"x"}, {"y"});
  CHECK(Ops(*ImportOk(Model(sm))) == std::vector<OpType>{OpType::kSoftmax});
}

TEST_CASE("onnx import: NaN and infinite weights and float attributes are refused by name") {
  GraphSpec nan = ConvGraph();
  std::vector<float> w = Iota(54);
  w[3] = w[40] = std::nanf("");
  nan.initializers[0] = Floats("W", {3, 2, 3, 3}, w);
  CHECK(ImportError(Model(nan)) ==
        "onnx: initializer: tensor 'W' has 2 NaN values among its 54 elements; non-finite weights would make "
        "every result NaN");
  GraphSpec inf = ConvGraph();
  inf.initializers[1] = Floats("B", {3}, {0.5f, -INFINITY, 2.0f});
  CHECK(ImportError(Model(inf)).find("tensor 'B' has 1 infinite value among its 3 elements") != std::string::npos);
  // float16 too: 0x7E00 is a NaN, 0x7C00 +Inf.
  GraphSpec half = ConvGraph();
  half.initializers[1] = TensorOf("B", kFloat16, {3}, std::vector<uint16_t>{0x3C00, 0x7E00, 0x7C00});
  CHECK(ImportError(Model(half)).find("tensor 'B' has 1 NaN and 1 infinite values among its 3 elements") !=
        std::string::npos);
  // A one-element infinity is an open bound, as in Clip(x, 0, inf).
  GraphSpec clip = ConvGraph();
  clip.outputs[0] = ValueInfo("z", kFloat, {1, 3, 5, 5});
  clip.initializers.push_back(Scalar("lo", 0.0f));
  clip.initializers.push_back(Scalar("hi", INFINITY));
  clip.nodes.push_back(OpNode("Clip", {"y", "lo", "hi"}, {"z"}));
  ImportOk(Model(clip));
  GraphSpec alpha = ConvGraph();
  alpha.outputs[0] = ValueInfo("z", kFloat, {1, 3, 5, 5});
  alpha.nodes.push_back(OpNode("HardSigmoid", {"y"}, {"z"}, {AttrFloat("alpha", std::nanf(""))}));
  CHECK(ImportError(Model(alpha)) == "onnx: node 1 'z' (HardSigmoid): attribute 'alpha' is nan, not a finite number");
}

TEST_CASE("onnx import: folding a Reshape whose target shape overflows int64 is an error (fuzz regression)") {
  // fuzz_onnx: a constant Reshape to [8174999059958857734, 435845162357, ...]
  // multiplied the entries in int64 (signed overflow, undefined behaviour).
  const std::vector<uint8_t> bytes = FuzzInput("onnx-fold-reshape-overflow.onnx", 302);
  Result<std::unique_ptr<Graph>> g = Import(bytes);
  REQUIRE_FALSE(g.ok());
  CHECK_MESSAGE(g.status().message().find("cannot reshape the constant") != std::string::npos, g.status().message());
}

TEST_CASE("onnx import: folding an elementwise op broadcasts 1 against 0 to 0 (fuzz regression)") {
  // fuzz_onnx: a constant of shape [0] against one of shape [1] was
  // broadcast to [1], and folding read element 0 of the empty input.
  const std::vector<uint8_t> bytes = FuzzInput("onnx-fold-broadcast-empty.onnx", 535);
  // The fold now gives an empty constant, and the import goes on to the
  // model's real problem.
  CHECK(ImportError(bytes) == "onnx: node 3 'cat' (Concat): input 0 'k' is a constant; qwasm expects a computed tensor");
}

TEST_CASE("onnx import: folding a Gather with float indices is an error (fuzz regression)") {
  // fuzz_onnx: constant float indices were read from the (empty) integer storage.
  const std::vector<uint8_t> bytes = FuzzInput("onnx-fold-gather-float-indices.onnx", 302);
  const std::string error = ImportError(bytes);
  CHECK_MESSAGE(error.find("Gather indices must be integers") != std::string::npos, error);
}

TEST_CASE("onnx import: folding a Concat of inputs that differ off the axis is an error (fuzz regression)") {
  // fuzz_onnx: Concat summed the axis but never compared the other dims, and
  // copied rows of the larger input past the end of the output.
  const std::vector<uint8_t> bytes = FuzzInput("onnx-fold-concat-mismatched-dims.onnx", 302);
  const std::string error = ImportError(bytes);
  CHECK_MESSAGE(error.find("does not concatenate with") != std::string::npos, error);
}

namespace {

// A graph whose only node folds constants into `y` (int64 [n]); the inputs
// are `initializers`. The fold is checked before anything else of the model.
std::string FoldError(const std::vector<Msg>& initializers, const Msg& node) {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 4}));
  g.outputs.push_back(ValueInfo("y", kInt64, {1}));
  g.initializers = initializers;
  g.nodes.push_back(node);
  return ImportError(Model(g));
}

Msg I64(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
  return TensorOf(name, kInt64, dims, v);
}

}  // namespace

TEST_CASE("onnx import: the constant folder checks every shape, index and integer from the file") {
  auto has = [](const std::string& error, const std::string& part) {
    CHECK_MESSAGE(error.find(part) != std::string::npos, error);
  };
  // Concat: [2, 3] and [2, 2] on axis 0 differ in dim 1.
  has(FoldError({I64("a", {2, 3}, {1, 2, 3, 4, 5, 6}), I64("b", {2, 2}, {1, 2, 3, 4})},
                OpNode("Concat", {"a", "b"}, {"y"}, {AttrInt("axis", 0)})),
      "input 1 of shape [2, 2] does not concatenate with [2, 3] on axis 0");
  // Gather: an index past the axis is an error, not clamped to the last row.
  has(FoldError({I64("a", {3}, {10, 20, 30}), I64("i", {1}, {3})}, OpNode("Gather", {"a", "i"}, {"y"})),
      "Gather index 3 is out of range for an axis of 3");
  has(FoldError({I64("a", {3}, {10, 20, 30}), I64("i", {1}, {-4})}, OpNode("Gather", {"a", "i"}, {"y"})),
      "Gather index -4 is out of range");
  // Integer arithmetic that leaves int64.
  has(FoldError({I64("a", {1}, {INT64_MAX}), I64("b", {1}, {2})}, OpNode("Mul", {"a", "b"}, {"y"})),
      "integer Mul of 9223372036854775807 and 2 overflows int64");
  has(FoldError({I64("a", {1}, {INT64_MIN}), I64("b", {1}, {-1})}, OpNode("Div", {"a", "b"}, {"y"})), "overflows int64");
  has(FoldError({I64("a", {1}, {INT64_MIN}), I64("b", {1}, {1})}, OpNode("Sub", {"a", "b"}, {"y"})), "overflows int64");
  has(FoldError({I64("a", {1}, {INT64_MIN})}, OpNode("Neg", {"a"}, {"y"})), "Neg of -9223372036854775808 overflows");
  has(FoldError({Floats("a", {1}, {1e30f})}, OpNode("Cast", {"a"}, {"y"}, {AttrInt("to", kInt64)})),
      "Cast of 1e+30 to an integer is out of range");
  // A broadcast whose result is too large is refused before it is allocated.
  std::vector<int64_t> n(1024);
  for (size_t k = 0; k < n.size(); ++k) n[k] = static_cast<int64_t>(k);
  has(FoldError({I64("a", {1024, 1}, n), I64("b", {1, 2048}, std::vector<int64_t>(2048, 1))},
                OpNode("Add", {"a", "b"}, {"y"})),
      "a folded result of shape [1024, 2048] is too large to fold");
  // Range: mixed types, and an integer range past int64.
  has(FoldError({I64("s", {}, {0}), Floats("l", {}, {5.0f}), I64("d", {}, {1})}, OpNode("Range", {"s", "l", "d"}, {"y"})),
      "Range inputs differ in type");
  // Where: the condition must be bool (or integer), not float.
  has(FoldError({Floats("c", {2}, {1.0f, 0.0f}), I64("a", {2}, {1, 2}), I64("b", {2}, {3, 4})},
                OpNode("Where", {"c", "a", "b"}, {"y"})),
      "Where needs a bool condition");
  // Reshape [0] to [0, -1]: the -1 has no single answer.
  has(FoldError({I64("a", {0}, {}), I64("s", {2}, {0, -1})}, OpNode("Reshape", {"a", "s"}, {"y"}, {AttrInt("allowzero", 1)})),
      "cannot infer the -1 entry");
  // A constant whose dims are out of range, even with a 0 among them.
  has(FoldError({I64("a", {0, int64_t{1} << 40, int64_t{1} << 40}, {}), I64("b", {1}, {1})}, OpNode("Add", {"a", "b"}, {"y"})),
      "a constant of shape [0, 1099511627776, 1099511627776] is too large to fold");
}

TEST_CASE("onnx import: a folded Slice with an extreme step takes one element") {
  // steps of INT64_MIN / INT64_MAX once overflowed the count arithmetic.
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 4}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 4}));
  g.initializers = {I64("a", {5}, {10, 20, 30, 40, 50}), I64("s", {1}, {-1}), I64("e", {1}, {INT64_MIN}),
                    I64("ax", {1}, {0}), I64("st", {1}, {INT64_MIN}), I64("s2", {1}, {1}), I64("e2", {1}, {INT64_MAX}),
                    I64("st2", {1}, {INT64_MAX})};
  g.nodes.push_back(OpNode("Slice", {"a", "s", "e", "ax", "st"}, {"b"}));   // [50]
  g.nodes.push_back(OpNode("Slice", {"a", "s2", "e2", "ax", "st2"}, {"c"}));  // [20]
  g.nodes.push_back(OpNode("Concat", {"b", "c"}, {"shape"}, {AttrInt("axis", 0)}));
  g.nodes.push_back(OpNode("Div", {"shape", "shape"}, {"ones"}));  // [1, 1]
  g.nodes.push_back(OpNode("Sub", {"c", "b"}, {"d"}));            // [-30]
  g.nodes.push_back(OpNode("Div", {"d", "d"}, {"one"}));          // [1]
  g.nodes.push_back(OpNode("Concat", {"one", "ones"}, {"r"}, {AttrInt("axis", 0)}));  // [1, 1, 1]
  g.nodes.push_back(OpNode("Slice", {"r", "s2", "e2"}, {"two"}));  // [1, 1]
  g.nodes.push_back(OpNode("Neg", {"two"}, {"m"}));                 // [-1, -1]
  g.nodes.push_back(OpNode("Mul", {"m", "m"}, {"sh"}));             // [1, 1]
  g.initializers.push_back(I64("four", {1}, {4}));
  g.nodes.push_back(OpNode("Mul", {"sh", "four"}, {"target"}));     // [4, 4]
  g.nodes.push_back(OpNode("Slice", {"target", "s2", "e2"}, {"t1"}));  // [4]
  g.nodes.push_back(OpNode("Concat", {"one", "t1"}, {"t"}, {AttrInt("axis", 0)}));  // [1, 4]
  g.nodes.push_back(OpNode("Reshape", {"x", "t"}, {"y"}));
  std::unique_ptr<Graph> graph = ImportOk(Model(g));
  CHECK(graph->tensors[graph->outputs[0]].shape == std::vector<int32_t>{1, 4});
}
