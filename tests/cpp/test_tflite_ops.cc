// The TFLite builtins mapped onto existing graph operators (MUL, MAX_POOL_2D,
// CONCATENATION, PAD / PADV2, TRANSPOSE, the RELUs as CLAMP, HARD_SWISH,
// LOGISTIC, SQUEEZE / EXPAND_DIMS as RESHAPE, MEAN, QUANTIZE / DEQUANTIZE),
// each in a small TFLite file built here, float32 and int8, against hand
// results or the oracles. Every model also runs on the reference kernels and
// after a round trip through .qwm, with the same output bytes.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "format/qwm_reader.h"
#include "format/qwm_writer.h"
#include "graph_builder.h"
#include "import/tflite_reader.h"
#include "oracle/oracle.h"
#include "quant/requantize.h"
#include "test_util.h"
#include "tflite_builder.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

using Bytes = std::vector<uint8_t>;

Result<std::unique_ptr<Graph>> ReadTflite(const Bytes& file) {
  return tflite::ReadModel(std::make_shared<const Bytes>(file));
}

// The reader's or Prepare's error; "" when the model loads.
std::string LoadError(const Bytes& file) {
  Result<std::unique_ptr<Graph>> g = ReadTflite(file);
  if (!g.ok()) return g.status().message();
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(g.take());
  return it.ok() ? "" : it.status().message();
}

// Runs the model on the default and the reference kernels, and as the .qwm
// it converts to; all three must give the same bytes. Returns output 0.
template <typename Out, typename In = Out>
std::vector<Out> Run(const Bytes& file, const std::vector<std::vector<In>>& inputs) {
  std::vector<Out> results[3];
  for (int k = 0; k < 3; ++k) {
    Result<std::unique_ptr<Graph>> g = ReadTflite(file);
    REQUIRE_MESSAGE(g.ok(), g.status().message());
    std::unique_ptr<Graph> graph = g.take();
    if (k == 2) {
      Result<Bytes> qwm = WriteQwm(*graph);
      REQUIRE_MESSAGE(qwm.ok(), qwm.status().message());
      Result<Graph> back = ReadQwm(std::make_shared<const Bytes>(qwm.take()));
      REQUIRE_MESSAGE(back.ok(), back.status().message());
      graph = std::make_unique<Graph>(back.take());
    }
    InterpreterOptions o;
    o.kernels = k == 1 ? &ReferenceKernels() : nullptr;
    Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(graph), o);
    REQUIRE_MESSAGE(it.ok(), it.status().message());
    results[k] = RunOnce<In, Out>(*it.value(), inputs);
  }
  CHECK(results[1] == results[0]);
  CHECK(results[2] == results[0]);
  return results[0];
}

// Options tables (schema.fbs field ids).
fbw::Table ActivationOptions(int8_t act) { return fbw::Table().Scalar<int8_t>(0, act); }  // Add / Mul
fbw::Table PoolOptions(int8_t pad, int stride, int filter, int8_t act = tfl::kNone) {
  return fbw::Table().Scalar<int8_t>(0, pad).Scalar<int32_t>(1, stride).Scalar<int32_t>(2, stride)
      .Scalar<int32_t>(3, filter).Scalar<int32_t>(4, filter).Scalar<int8_t>(5, act);
}
fbw::Table ConcatOptions(int32_t axis, int8_t act = tfl::kNone) {
  return fbw::Table().Scalar<int32_t>(0, axis).Scalar<int8_t>(1, act);
}
fbw::Table ReducerOptions(bool keep) { return fbw::Table().Scalar<uint8_t>(0, keep ? 1 : 0); }
fbw::Table SqueezeOptions(const std::vector<int32_t>& dims) { return fbw::Table().Vector(0, dims); }

// One node from graph input(s) to one output: builds the file.
Bytes OneOp(TfliteBuilder& b, int32_t builtin, const std::vector<int32_t>& ins, int32_t out,
            const std::vector<int32_t>& graph_inputs, uint8_t options_type = 0, fbw::Table options = {}) {
  b.Op(builtin, ins, {out}, options_type, std::move(options));
  return b.Build(graph_inputs, {out});
}

std::vector<int8_t> AllInt8() {
  std::vector<int8_t> v(256);
  std::iota(v.begin(), v.end(), int8_t{-128});
  return v;
}

// The int8 table lookup an elementwise function's oracle defines, over every input.
std::vector<int8_t> LutOracle(const FUnaryParams& f, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  int8_t table[256];
  qs8_lut_init_unary__oracle(f, in_scale, in_zp, out_scale, out_zp, table);
  const std::vector<int8_t> in = AllInt8();
  std::vector<int8_t> out(256);
  qs8_lut__oracle(table, in.size(), in.data(), out.data());
  return out;
}

std::vector<float> FloatOracle(const FUnaryParams& f, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  f32_unary__oracle(f, x.size(), x.data(), y.data());
  return y;
}

}  // namespace

TEST_CASE("tflite MUL: broadcast of a constant or a computed operand, fused activation, float32 and int8") {
  const std::vector<float> x = {1, -2, 3, 4, 5, -6, -7, 8, 9, 10, -11, 12};
  {  // x * constant [3], fused RELU
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 3});
    const int32_t c = b.Const<float>("c", tfl::kFloat32, {3}, {0.5f, 2.0f, -1.0f});
    const int32_t out = b.F32("out", {1, 2, 2, 3});
    const Bytes file = OneOp(b, tfl::kMul, {in, c}, out, {in}, tfl::kMulOptions, ActivationOptions(tfl::kActRelu));
    CHECK(Run<float>(file, {x}) == std::vector<float>{0.5f, 0, 0, 2, 10, 6, 0, 16, 0, 5, 0, 0});
  }
  {  // squeeze-and-excitation form: [1, 1, 1, 3] computed scale first, x second
    TfliteBuilder b;
    const int32_t s = b.F32("s", {1, 1, 1, 3});
    const int32_t in = b.F32("x", {1, 2, 2, 3});
    const int32_t out = b.F32("out", {1, 2, 2, 3});
    const Bytes file = OneOp(b, tfl::kMul, {s, in}, out, {s, in}, tfl::kMulOptions, ActivationOptions(tfl::kNone));
    CHECK(Run<float>(file, {{2, 0.5f, -1}, x}) == std::vector<float>{2, -1, -3, 8, 2.5f, 6, -14, 4, -9, 20, -5.5f, -12});
  }
  {  // int8, the same form, fused RELU: the oracle's product requantized once
    TfliteBuilder b;
    const int32_t s = b.Q8("s", {1, 1, 1, 3}, 0.25f, -2);
    const int32_t in = b.Q8("x", {1, 2, 2, 3}, 0.5f, 1);
    const int32_t out = b.Q8("out", {1, 2, 2, 3}, 0.75f, -3);
    const Bytes file = OneOp(b, tfl::kMul, {s, in}, out, {s, in}, tfl::kMulOptions, ActivationOptions(tfl::kActRelu));
    const std::vector<int8_t> qs = {10, -30, 127}, qx = {1, -2, 3, 40, 50, -60, -70, 80, 90, 100, -110, 120};
    QMulParams p;
    p.size = qx.size();
    p.b_size = qs.size();
    p.a_zero_point = 1;
    p.b_zero_point = -2;
    p.scale = RequantScale(0.5f, 0.25f, 0.75f);
    p.output = {-3, -3, 127};  // RELU: nothing below the zero point
    std::vector<int8_t> want(qx.size());
    qs8_mul__oracle(p, qx.data(), qs.data(), want.data());
    CHECK(Run<int8_t>(file, {qs, qx}) == want);
  }
}

TEST_CASE("tflite MAX_POOL_2D: VALID and SAME windows, fused activation, int8 on one grid") {
  std::vector<float> x(16);
  std::iota(x.begin(), x.end(), 1.0f);
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 4, 4, 1});
    const int32_t out = b.F32("out", {1, 2, 2, 1});
    const Bytes file = OneOp(b, tfl::kMaxPool2D, {in}, out, {in}, tfl::kPool2DOptions, PoolOptions(tfl::kValid, 2, 2));
    CHECK(Run<float>(file, {x}) == std::vector<float>{6, 8, 14, 16});
  }
  {  // 3x3, stride 2, SAME: one row / column of padding after; RELU_N1_TO_1
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 4, 4, 1});
    const int32_t out = b.F32("out", {1, 2, 2, 1});
    const Bytes file =
        OneOp(b, tfl::kMaxPool2D, {in}, out, {in}, tfl::kPool2DOptions, PoolOptions(tfl::kSame, 2, 3, tfl::kActReluN1To1));
    std::vector<float> neg(16);
    for (size_t i = 0; i < 16; ++i) neg[i] = -x[i] / 4;  // the largest of a window is its top-left
    CHECK(Run<float>(file, {neg}) == std::vector<float>{-0.25f, -0.75f, -1, -1});
  }
  {
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {1, 4, 4, 1}, 0.1f, 5);
    const int32_t out = b.Q8("out", {1, 2, 2, 1}, 0.1f, 5);
    const Bytes file = OneOp(b, tfl::kMaxPool2D, {in}, out, {in}, tfl::kPool2DOptions, PoolOptions(tfl::kValid, 2, 2));
    const std::vector<int8_t> q = {-128, 3, 9, -7, 4, 127, 2, 1, 0, 0, -1, -2, 0, -5, -3, -4};
    CHECK(Run<int8_t>(file, {q}) == std::vector<int8_t>{127, 9, 0, -1});
  }
  {  // TFLite's int8 max pool keeps the grid; qwasm says so by name
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {1, 4, 4, 1}, 0.1f, 5);
    const int32_t out = b.Q8("out", {1, 2, 2, 1}, 0.2f, 5);
    const Bytes file = OneOp(b, tfl::kMaxPool2D, {in}, out, {in}, tfl::kPool2DOptions, PoolOptions(tfl::kValid, 2, 2));
    CHECK(LoadError(file) ==
          "node 0 'out' (MAX_POOL_2D): int8 MAX_POOL_2D needs the same scale and zero point on input and output");
  }
}

// TFLite runs quantized AVERAGE_POOL_2D on its builtin kernels (also where
// XNNPACK runs the rest), which divide the raw sum: uint8 rounds half up,
// int8 half away from zero. The importer marks such pools tflite_numerics
// so the model gives TFLite's bytes; on different grids (no TFLite kernel
// rescales) qwasm's half-to-even Requantize stays.
TEST_CASE("tflite AVERAGE_POOL_2D: ties round as TFLite's builtin kernels (uint8 half up, int8 away from zero)") {
  // One 2x2 VALID window over a 2x2 image of 4 channels: raw sums 2, 6, -2,
  // -6 (+ 4 x an offset), means 0.5, 1.5, -0.5, -1.5 (+ the offset).
  const std::vector<int> cells = {1, 0, 1, -2,  0, 3, -1, -1,  1, 1, 0, -2,  0, 2, -2, -1};
  auto model = [&](int8_t type, float out_scale, int64_t zp) {
    TfliteBuilder b;
    const int32_t in = b.Tensor("x", type, {1, 2, 2, 4}, 0.5f, zp);
    const int32_t out = b.Tensor("out", type, {1, 1, 1, 4}, out_scale, zp);
    return OneOp(b, tfl::kAveragePool2D, {in}, out, {in}, tfl::kPool2DOptions, PoolOptions(tfl::kValid, 2, 2));
  };
  auto flag = [](const Bytes& file) {
    Result<std::unique_ptr<Graph>> g = ReadTflite(file);
    REQUIRE(g.ok());
    return g.value()->nodes.at(0).attrs.tflite_numerics;
  };
  {  // uint8 around 128 (int8 raw 0): 128.5 -> 129, 129.5 -> 130, 127.5 -> 128, 126.5 -> 127
    const Bytes file = model(tfl::kUInt8, 0.5f, 128);
    CHECK(flag(file));
    std::vector<uint8_t> x;
    for (int v : cells) x.push_back(static_cast<uint8_t>(128 + v));
    CHECK(Run<uint8_t>(file, {x}) == std::vector<uint8_t>{129, 130, 128, 127});
  }
  {  // int8 around 0: 0.5 -> 1, 1.5 -> 2, -0.5 -> -1, -1.5 -> -2
    const Bytes file = model(tfl::kInt8, 0.5f, 0);
    CHECK(flag(file));
    std::vector<int8_t> x;
    for (int v : cells) x.push_back(static_cast<int8_t>(v));
    CHECK(Run<int8_t>(file, {x}) == std::vector<int8_t>{1, 2, -1, -2});
  }
  {  // int8 around -100 (a zero point plays no part): -99.5 -> -100, -98.5 -> -99, -100.5 -> -101, -101.5 -> -102
    const Bytes file = model(tfl::kInt8, 0.5f, 7);
    std::vector<int8_t> x;
    for (int v : cells) x.push_back(static_cast<int8_t>(v - 100));
    CHECK(Run<int8_t>(file, {x}) == std::vector<int8_t>{-100, -99, -101, -102});
  }
  {  // Another output scale: not TFLite's kernel, qwasm's Requantize (ties to even after the rescale)
    const Bytes file = model(tfl::kUInt8, 1.0f, 128);
    CHECK_FALSE(flag(file));
    std::vector<uint8_t> x;
    for (int v : cells) x.push_back(static_cast<uint8_t>(128 + v));
    // (x - 128) sums 2, 6, -2, -6 over 4 cells, times 0.5: 0.25, 0.75, -0.25, -0.75 -> 0, 1, 0, -1
    CHECK(Run<uint8_t>(file, {x}) == std::vector<uint8_t>{128, 129, 128, 127});
  }
  {  // A graph (say a hostile .qwm) asking for TFLite's rounding across grids, or over too many cells
    Result<std::unique_ptr<Graph>> g = ReadTflite(model(tfl::kUInt8, 0.5f, 128));
    REQUIRE(g.ok());
    std::unique_ptr<Graph> graph = g.take();
    graph->tensors[graph->nodes[0].outputs[0]].quant.scale[0] = 1.0f;
    Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(graph));
    REQUIRE_FALSE(it.ok());
    CHECK(it.status().message() == "node 0 'out' (AVERAGE_POOL_2D): tflite_numerics needs the input and output on "
                                   "the same quantization (scale and zero point)");
    TfliteBuilder b;  // a 300x300 window: the importer leaves qwasm's rounding
    const int32_t in = b.Tensor("x", tfl::kUInt8, {1, 300, 300, 1}, 0.5f, 128);
    const int32_t out = b.Tensor("out", tfl::kUInt8, {1, 1, 1, 1}, 0.5f, 128);
    g = ReadTflite(OneOp(b, tfl::kAveragePool2D, {in}, out, {in}, tfl::kPool2DOptions, PoolOptions(tfl::kValid, 1, 300)));
    REQUIRE(g.ok());
    graph = g.take();
    CHECK_FALSE(graph->nodes[0].attrs.tflite_numerics);
    graph->nodes[0].attrs.tflite_numerics = true;
    it = Interpreter::Create(std::move(graph));
    REQUIRE_FALSE(it.ok());
    CHECK(it.status().message() ==
          "node 0 'out' (AVERAGE_POOL_2D): tflite_numerics allows at most 65536 cells in the pooling window, got 90000");
  }
}

TEST_CASE("tflite CONCATENATION: last and middle axis, int8 inputs on another grid requantized") {
  {
    TfliteBuilder b;
    const int32_t a = b.F32("a", {1, 2, 2, 1});
    const int32_t c = b.F32("c", {1, 2, 2, 2});
    const int32_t out = b.F32("out", {1, 2, 2, 3});
    const Bytes file = OneOp(b, tfl::kConcatenation, {a, c}, out, {a, c}, tfl::kConcatenationOptions, ConcatOptions(-1));
    CHECK(Run<float>(file, {{1, 2, 3, 4}, {10, 11, 20, 21, 30, 31, 40, 41}}) ==
          std::vector<float>{1, 10, 11, 2, 20, 21, 3, 30, 31, 4, 40, 41});
  }
  {  // axis 1, a constant second input
    TfliteBuilder b;
    const int32_t a = b.F32("a", {1, 1, 2, 1});
    const int32_t c = b.Const<float>("c", tfl::kFloat32, {1, 2, 2, 1}, {5, 6, 7, 8});
    const int32_t out = b.F32("out", {1, 3, 2, 1});
    const Bytes file = OneOp(b, tfl::kConcatenation, {a, c}, out, {a}, tfl::kConcatenationOptions, ConcatOptions(1));
    CHECK(Run<float>(file, {{1, 2}}) == std::vector<float>{1, 2, 5, 6, 7, 8});
  }
  {
    TfliteBuilder b;
    const int32_t a = b.Q8("a", {1, 2, 1}, 0.5f, 0);
    const int32_t c = b.Q8("c", {1, 2, 2}, 0.25f, 10);
    const int32_t out = b.Q8("out", {1, 2, 3}, 0.5f, 0);
    const Bytes file = OneOp(b, tfl::kConcatenation, {a, c}, out, {a, c}, tfl::kConcatenationOptions, ConcatOptions(2));
    const std::vector<int8_t> qa = {-100, 100}, qc = {11, 13, -128, 127};
    std::vector<int8_t> want;
    for (int row = 0; row < 2; ++row) {
      want.push_back(qa[row]);  // same grid: copied
      for (int k = 0; k < 2; ++k) {  // 0.25 (q - 10) on the 0.5 grid
        want.push_back(static_cast<int8_t>(RoundToQuant(static_cast<float>(qc[2 * row + k] - 10) * 0.5f, 0, -128, 127)));
      }
    }
    CHECK(want == std::vector<int8_t>{-100, 0, 2, 100, -69, 58});  // 0.5 and -69 round to even
    CHECK(Run<int8_t>(file, {qa, qc}) == want);
  }
  {
    TfliteBuilder b;
    const int32_t a = b.F32("a", {1, 2});
    const int32_t out = b.F32("out", {1, 4});
    const Bytes file =
        OneOp(b, tfl::kConcatenation, {a, a}, out, {a}, tfl::kConcatenationOptions, ConcatOptions(1, tfl::kActRelu));
    CHECK(LoadError(file) == "tflite: node 0 'out' (CONCATENATION): fused activation RELU is not supported");
  }
}

TEST_CASE("tflite PAD and PADV2: int32 / int64 paddings, the pad value in float32 and on the int8 grid") {
  const std::vector<int32_t> pads = {0, 0, 1, 1, 1, 0, 0, 0};  // H: 1 before, 1 after; W: 1 before
  auto padded = [](float v) { return std::vector<float>{v, v, v, v, 1, 2, v, 3, 4, v, v, v}; };
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 1});
    const int32_t p = b.Const<int32_t>("pads", tfl::kInt32, {4, 2}, pads);
    const int32_t out = b.F32("out", {1, 4, 3, 1});
    CHECK(Run<float>(OneOp(b, tfl::kPad, {in, p}, out, {in}), {{1, 2, 3, 4}}) == padded(0));
  }
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 1});
    const int32_t p = b.Const<int64_t>("pads", tfl::kInt64, {4, 2}, std::vector<int64_t>(pads.begin(), pads.end()));
    const int32_t v = b.Const<float>("value", tfl::kFloat32, {}, {-1.5f});
    const int32_t out = b.F32("out", {1, 4, 3, 1});
    CHECK(Run<float>(OneOp(b, tfl::kPadV2, {in, p, v}, out, {in}), {{1, 2, 3, 4}}) == padded(-1.5f));
  }
  const std::vector<int8_t> q = {1, 2, 3, 4};
  auto padded_q = [](int8_t v) { return std::vector<int8_t>{v, v, v, v, 1, 2, v, 3, 4, v, v, v}; };
  {  // int8 PAD pads a real 0: the zero point
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {1, 2, 2, 1}, 0.5f, -3);
    const int32_t p = b.Const<int32_t>("pads", tfl::kInt32, {4, 2}, pads);
    const int32_t out = b.Q8("out", {1, 4, 3, 1}, 0.5f, -3);
    CHECK(Run<int8_t>(OneOp(b, tfl::kPad, {in, p}, out, {in}), {q}) == padded_q(-3));
  }
  {  // int8 PADV2: the constant on the output grid (as TFLite requires) keeps its byte
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {1, 2, 2, 1}, 0.5f, -3);
    const int32_t p = b.Const<int32_t>("pads", tfl::kInt32, {4, 2}, pads);
    const int32_t v = b.Const<int8_t>("value", tfl::kInt8, {1}, {7}, 0.5f, -3);
    const int32_t out = b.Q8("out", {1, 4, 3, 1}, 0.5f, -3);
    CHECK(Run<int8_t>(OneOp(b, tfl::kPadV2, {in, p, v}, out, {in}), {q}) == padded_q(7));
  }
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 1});
    const int32_t p = b.Const<int32_t>("pads", tfl::kInt32, {4, 2}, pads);
    const int32_t v = b.Const<float>("value", tfl::kFloat32, {2}, {1, 2});
    const int32_t out = b.F32("out", {1, 4, 3, 1});
    CHECK(LoadError(OneOp(b, tfl::kPadV2, {in, p, v}, out, {in})) ==
          "tflite: node 0 'out' (PADV2): constant_values 'value' must be a constant holding one value");
  }
}

TEST_CASE("tflite TRANSPOSE: a constant permutation, float32 and int8") {
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 3});
    const int32_t perm = b.Const<int32_t>("perm", tfl::kInt32, {3}, {0, 2, 1});
    const int32_t out = b.F32("out", {1, 3, 2});
    CHECK(Run<float>(OneOp(b, tfl::kTranspose, {in, perm}, out, {in}), {{1, 2, 3, 4, 5, 6}}) ==
          std::vector<float>{1, 4, 2, 5, 3, 6});
  }
  {
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {2, 1, 3}, 0.3f, 7);
    const int32_t perm = b.Const<int32_t>("perm", tfl::kInt32, {3}, {2, 1, 0});
    const int32_t out = b.Q8("out", {3, 1, 2}, 0.3f, 7);
    CHECK(Run<int8_t>(OneOp(b, tfl::kTranspose, {in, perm}, out, {in}), {{-1, -2, -3, 4, 5, 6}}) ==
          std::vector<int8_t>{-1, 4, -2, 5, -3, 6});
  }
}

TEST_CASE("tflite RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 run as CLAMP, int8 across grids") {
  struct Case {
    int32_t builtin;
    float lo, hi;
    std::vector<float> want;
  };
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-3, -1.5f, -0.5f, 0, 0.25f, 0.9f, 1.5f, 7};
  const Case cases[] = {{tfl::kRelu, 0, inf, {0, 0, 0, 0, 0.25f, 0.9f, 1.5f, 7}},
                        {tfl::kRelu6, 0, 6, {0, 0, 0, 0, 0.25f, 0.9f, 1.5f, 6}},
                        {tfl::kReluN1To1, -1, 1, {-1, -1, -0.5f, 0, 0.25f, 0.9f, 1, 1}},
                        {tfl::kRelu0To1, 0, 1, {0, 0, 0, 0, 0.25f, 0.9f, 1, 1}}};
  for (const Case& c : cases) {
    const std::string op = tflite::BuiltinName(c.builtin);
    CAPTURE(op);
    {
      TfliteBuilder b;
      const int32_t in = b.F32("x", {1, 8});
      const int32_t out = b.F32("out", {1, 8});
      CHECK(Run<float>(OneOp(b, c.builtin, {in}, out, {in}), {x}) == c.want);
    }
    {  // every int8 input, the output on another grid (TFLite's int8 RELUs requantize)
      TfliteBuilder b;
      const int32_t in = b.Q8("x", {1, 256}, 0.05f, 10);
      const int32_t out = b.Q8("out", {1, 256}, 0.03f, -100);
      FUnaryParams f;
      f.op = UnaryOp::kClamp;
      f.min = c.lo;
      f.max = c.hi;
      CHECK(Run<int8_t>(OneOp(b, c.builtin, {in}, out, {in}), {AllInt8()}) == LutOracle(f, 0.05f, 10, 0.03f, -100));
    }
  }
}

TEST_CASE("tflite HARD_SWISH and LOGISTIC: float32, int8 and uint8 (LOGISTIC's fixed 1/256 output grid)") {
  std::vector<float> x(41);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -5.0f + 0.25f * static_cast<float>(i);
  for (int32_t builtin : {tfl::kHardSwish, tfl::kLogistic}) {
    const std::string op = tflite::BuiltinName(builtin);
    CAPTURE(op);
    FUnaryParams f;
    f.op = builtin == tfl::kHardSwish ? UnaryOp::kHardSwish : UnaryOp::kLogistic;
    {
      TfliteBuilder b;
      const int32_t in = b.F32("x", {1, 41});
      const int32_t out = b.F32("out", {1, 41});
      CHECK(Run<float>(OneOp(b, builtin, {in}, out, {in}), {x}) == FloatOracle(f, x));
    }
    {  // TFLite's int8 LOGISTIC output: scale 1/256, zero point -128
      const float out_scale = builtin == tfl::kLogistic ? 1.0f / 256 : 0.04f;
      const int32_t out_zp = builtin == tfl::kLogistic ? -128 : -20;
      TfliteBuilder b;
      const int32_t in = b.Q8("x", {1, 256}, 0.05f, 3);
      const int32_t out = b.Q8("out", {1, 256}, out_scale, out_zp);
      CHECK(Run<int8_t>(OneOp(b, builtin, {in}, out, {in}), {AllInt8()}) == LutOracle(f, 0.05f, 3, out_scale, out_zp));
    }
  }
  {  // uint8 LOGISTIC (zero point 0 on the 1/256 grid): the int8 table shifted by 128
    TfliteBuilder b;
    const int32_t in = b.Tensor("x", tfl::kUInt8, {1, 256}, 0.05f, 131);
    const int32_t out = b.Tensor("out", tfl::kUInt8, {1, 256}, 1.0f / 256, 0);
    std::vector<uint8_t> all(256);
    std::iota(all.begin(), all.end(), uint8_t{0});
    FUnaryParams f;
    f.op = UnaryOp::kLogistic;
    const std::vector<int8_t> table = LutOracle(f, 0.05f, 3, 1.0f / 256, -128);
    std::vector<uint8_t> want(256);
    for (size_t i = 0; i < 256; ++i) want[i] = static_cast<uint8_t>(table[i] + 128);
    CHECK(Run<uint8_t>(OneOp(b, tfl::kLogistic, {in}, out, {in}), {all}) == want);
  }
}

TEST_CASE("tflite SQUEEZE and EXPAND_DIMS run as RESHAPE; their output shapes are checked") {
  const std::vector<float> x = {1, 2, 3, 4};
  struct Squeeze {
    std::vector<int32_t> dims, out_shape;
  };
  for (const Squeeze& s : {Squeeze{{1, 2}, {1, 4}}, Squeeze{{}, {4}}, Squeeze{{-3, -2}, {1, 4}}}) {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 1, 1, 4});
    const int32_t out = b.F32("out", s.out_shape);
    CHECK(Run<float>(OneOp(b, tfl::kSqueeze, {in}, out, {in}, tfl::kSqueezeOptions, SqueezeOptions(s.dims)), {x}) == x);
  }
  {
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {1, 1, 1, 4}, 0.5f, 2);
    const int32_t out = b.Q8("out", {1, 4}, 0.5f, 2);
    CHECK(Run<int8_t>(OneOp(b, tfl::kSqueeze, {in}, out, {in}, tfl::kSqueezeOptions, SqueezeOptions({1, 2})),
                      {{-5, 0, 5, 127}}) == std::vector<int8_t>{-5, 0, 5, 127});
  }
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 1, 1, 4});
    const int32_t out = b.F32("out", {1, 4});
    CHECK(LoadError(OneOp(b, tfl::kSqueeze, {in}, out, {in}, tfl::kSqueezeOptions, SqueezeOptions({1}))) ==
          "tflite: node 0 'out' (SQUEEZE): output 'out' has shape [1, 4], expected [1, 1, 4]");
  }
  struct Expand {
    int32_t axis;
    std::vector<int32_t> out_shape;
  };
  for (const Expand& e : {Expand{-1, {1, 4, 1}}, Expand{0, {1, 1, 4}}, Expand{2, {1, 4, 1}}}) {
    CAPTURE(e.axis);
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 4});
    const int32_t axis = b.Const<int32_t>("axis", tfl::kInt32, {}, {e.axis});
    const int32_t out = b.F32("out", e.out_shape);
    CHECK(Run<float>(OneOp(b, tfl::kExpandDims, {in, axis}, out, {in}), {x}) == x);
  }
  {
    TfliteBuilder b;
    const int32_t in = b.Q8("x", {1, 4}, 0.5f, 2);
    const int32_t axis = b.Const<int64_t>("axis", tfl::kInt64, {1}, {1});
    const int32_t out = b.Q8("out", {1, 1, 4}, 0.5f, 2);
    CHECK(Run<int8_t>(OneOp(b, tfl::kExpandDims, {in, axis}, out, {in}), {{9, 8, 7, 6}}) ==
          std::vector<int8_t>{9, 8, 7, 6});
  }
  {
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 4});
    const int32_t axis = b.Const<int32_t>("axis", tfl::kInt32, {}, {3});
    const int32_t out = b.F32("out", {1, 4, 1});
    CHECK(LoadError(OneOp(b, tfl::kExpandDims, {in, axis}, out, {in})) ==
          "tflite: node 0 'out' (EXPAND_DIMS): axis 3 is out of range for an input of rank 2");
  }
}

TEST_CASE("tflite MEAN over H and W: keep_dims either way, and a keep_dims its output contradicts") {
  std::vector<float> x(12);
  std::iota(x.begin(), x.end(), 1.0f);
  const std::vector<int8_t> q = {1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9};
  for (bool keep : {true, false}) {
    CAPTURE(keep);
    const std::vector<int32_t> shape = keep ? std::vector<int32_t>{1, 1, 1, 3} : std::vector<int32_t>{1, 3};
    {
      TfliteBuilder b;
      const int32_t in = b.F32("x", {1, 2, 2, 3});
      const int32_t axes = b.Const<int32_t>("axes", tfl::kInt32, {2}, {1, 2});
      const int32_t out = b.F32("out", shape);
      CHECK(Run<float>(OneOp(b, tfl::kMean, {in, axes}, out, {in}, tfl::kReducerOptions, ReducerOptions(keep)), {x}) ==
            std::vector<float>{5.5f, 6.5f, 7.5f});
    }
    {
      TfliteBuilder b;
      const int32_t in = b.Q8("x", {1, 2, 2, 3}, 0.5f, 0);
      const int32_t axes = b.Const<int32_t>("axes", tfl::kInt32, {2}, {1, 2});
      const int32_t out = b.Q8("out", shape, 0.5f, 0);
      CHECK(Run<int8_t>(OneOp(b, tfl::kMean, {in, axes}, out, {in}, tfl::kReducerOptions, ReducerOptions(keep)), {q}) ==
            std::vector<int8_t>{4, 5, 6});
    }
  }
  TfliteBuilder b;
  const int32_t in = b.F32("x", {1, 2, 2, 3});
  const int32_t axes = b.Const<int32_t>("axes", tfl::kInt32, {2}, {1, 2});
  const int32_t out = b.F32("out", {1, 3});
  CHECK(LoadError(OneOp(b, tfl::kMean, {in, axes}, out, {in}, tfl::kReducerOptions, ReducerOptions(true))) ==
        "tflite: node 0 'out' (MEAN): keep_dims is true but output 'out' [1, 3] has fewer axes than input [1, 2, 2, 3]");
}

TEST_CASE("tflite QUANTIZE then DEQUANTIZE: float32 through the int8 grid") {
  TfliteBuilder b;
  const int32_t in = b.F32("x", {1, 4});
  const int32_t mid = b.Q8("q", {1, 4}, 0.5f, 1);
  const int32_t out = b.F32("out", {1, 4});
  b.Op(tfl::kQuantize, {in}, {mid});
  b.Op(tfl::kDequantize, {mid}, {out});
  // 0.3 -> 0.6 rounds to 1 step; 100 saturates at 127 = 63.0.
  CHECK(Run<float>(b.Build({in}, {out}), {{-1.0f, 0.3f, 2.2f, 100.0f}}) == std::vector<float>{-1.0f, 0.5f, 2.0f, 63.0f});
}

TEST_CASE("tflite squeeze-and-excitation block: MEAN, LOGISTIC, MUL by the computed channel scales") {
  std::vector<float> x(12);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) - 2.0f;
  TfliteBuilder b;
  const int32_t in = b.F32("x", {1, 2, 2, 3});
  const int32_t axes = b.Const<int32_t>("axes", tfl::kInt32, {2}, {1, 2});
  const int32_t mean = b.F32("se/mean", {1, 1, 1, 3});
  const int32_t gate = b.F32("se/gate", {1, 1, 1, 3});
  const int32_t out = b.F32("se/out", {1, 2, 2, 3});
  b.Op(tfl::kMean, {in, axes}, {mean}, tfl::kReducerOptions, ReducerOptions(true));
  b.Op(tfl::kLogistic, {mean}, {gate});
  b.Op(tfl::kMul, {in, gate}, {out}, tfl::kMulOptions, ActivationOptions(tfl::kNone));
  std::vector<float> want(12);
  for (size_t c = 0; c < 3; ++c) {
    const float m = (x[c] + x[c + 3] + x[c + 6] + x[c + 9]) / 4;  // sums of small integers: exact
    const float s = 1.0f / (1.0f + std::exp(-m));                   // the oracle's logistic
    for (size_t p = 0; p < 4; ++p) want[3 * p + c] = x[3 * p + c] * s;
  }
  CHECK(Run<float>(b.Build({in}, {out}), {x}) == want);
}

TEST_CASE("tflite SLICE, STRIDED_SLICE (masks, shrunk axes), SPLIT and SPLIT_V run as SLICE nodes") {
  const std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};  // [1, 2, 2, 3]
  {  // SLICE: begin [0, 1, 0, 1], size [-1, 1, 2, -1]
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 3});
    const int32_t begin = b.Const<int32_t>("begin", tfl::kInt32, {4}, {0, 1, 0, 1});
    const int32_t size = b.Const<int32_t>("size", tfl::kInt32, {4}, {-1, 1, 2, -1});
    const int32_t out = b.F32("out", {1, 1, 2, 2});
    CHECK(Run<float>(OneOp(b, tfl::kSlice, {in, begin, size}, out, {in}), {x}) == std::vector<float>{7, 8, 10, 11});
  }
  {  // STRIDED_SLICE x[:, 1, :, -2:] (begin / end masks on axes 0 and 2, axis 1 shrunk)
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 3});
    const int32_t begin = b.Const<int32_t>("begin", tfl::kInt32, {4}, {7, 1, 7, -2});
    const int32_t end = b.Const<int32_t>("end", tfl::kInt32, {4}, {0, 2, 0, 3});
    const int32_t strides = b.Const<int32_t>("strides", tfl::kInt32, {4}, {1, 1, 1, 1});
    const int32_t out = b.F32("out", {1, 2, 2});
    fbw::Table o;
    o.Scalar<int32_t>(0, 0b0101).Scalar<int32_t>(1, 0b0101).Scalar<int32_t>(4, 0b0010);
    const Bytes file = OneOp(b, tfl::kStridedSlice, {in, begin, end, strides}, out, {in}, tfl::kStridedSliceOptions, o);
    CHECK(Run<float>(file, {x}) == std::vector<float>{7, 8, 10, 11});
    TfliteBuilder s;
    const int32_t in2 = s.F32("x", {1, 2, 2, 3});
    const int32_t b2 = s.Const<int32_t>("begin", tfl::kInt32, {4}, {0, 0, 0, 0});
    const int32_t e2 = s.Const<int32_t>("end", tfl::kInt32, {4}, {1, 2, 2, 3});
    const int32_t st2 = s.Const<int32_t>("strides", tfl::kInt32, {4}, {1, 1, 2, 1});
    const int32_t o2 = s.F32("out", {1, 2, 1, 3});
    CHECK(LoadError(OneOp(s, tfl::kStridedSlice, {in2, b2, e2, st2}, o2, {in2})) ==
          "tflite: node 0 'out' (STRIDED_SLICE): strides other than 1 are not supported");
  }
  {  // SPLIT along channels into 3, int8 with the outputs on other grids
    TfliteBuilder b;
    const int32_t axis = b.Const<int32_t>("axis", tfl::kInt32, {}, {-1});
    const int32_t in = b.Q8("x", {1, 2, 2, 3}, 0.5f, 0);
    const int32_t o0 = b.Q8("o0", {1, 2, 2, 1}, 0.5f, 0), o1 = b.Q8("o1", {1, 2, 2, 1}, 0.25f, 1),
                  o2 = b.Q8("o2", {1, 2, 2, 1}, 0.5f, 0);
    b.Op(tfl::kSplit, {axis, in}, {o0, o1, o2}, 35, fbw::Table().Scalar<int32_t>(0, 3));  // SplitOptions
    const Bytes file = b.Build({in}, {o1});
    CHECK(Run<int8_t>(file, {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}) == std::vector<int8_t>{3, 9, 15, 21});
  }
  {  // SPLIT_V with an inferred size
    TfliteBuilder b;
    const int32_t in = b.F32("x", {1, 2, 2, 3});
    const int32_t sizes = b.Const<int32_t>("sizes", tfl::kInt32, {2}, {1, -1});
    const int32_t axis = b.Const<int32_t>("axis", tfl::kInt32, {}, {1});
    const int32_t a = b.F32("a", {1, 1, 2, 3}), c = b.F32("c", {1, 1, 2, 3});
    b.Op(tfl::kSplitV, {in, sizes, axis}, {a, c}, 77, fbw::Table().Scalar<int32_t>(0, 2));  // SplitVOptions
    CHECK(Run<float>(b.Build({in}, {c}), {x}) == std::vector<float>{6, 7, 8, 9, 10, 11});
  }
}

TEST_CASE("tflite SPLIT: an axis of 2.2e12 is out of range, not undefined behaviour (fuzz regression)") {
  const std::vector<uint8_t> bytes = ReadFile(SourcePath("tests/data/fuzz/tflite-split-axis-2e12.tflite"));
  REQUIRE(bytes.size() == 1490);
  Result<std::unique_ptr<Graph>> g = ReadTflite(bytes);
  REQUIRE_FALSE(g.ok());
  CHECK_MESSAGE(g.status().message().find("is out of range") != std::string::npos, g.status().message());
}
