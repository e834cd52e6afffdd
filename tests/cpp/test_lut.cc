// int8 elementwise functions through the one 256-entry table (CLAMP,
// HARD_SWISH, HARD_SIGMOID, LOGISTIC), and the other int8 forms added with
// the float path: MUL with broadcasting and MAX_POOL_2D.
#include <doctest/doctest.h>

#include <cmath>

#include "graph_builder.h"
#include "test_random.h"
#include "kernels/kernels.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// Runs one int8 node over all 256 input values (shape [256]).
std::vector<int8_t> RunAll256(OpType op, const OpAttrs& attrs, float si, int32_t zi, float so, int32_t zo) {
  GraphBuilder b;
  const int32_t in = b.Q8("in", {256}, si, zi);
  const int32_t out = b.Q8("out", {256}, so, zo);
  b.Node(op, {in}, {out}, attrs);
  b.g->inputs = {in};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  std::vector<int8_t> x(256);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<int8_t>(i - 128);
  return RunOnce<int8_t>(*it.value(), {x});
}

}  // namespace

TEST_CASE("int8 LOGISTIC is within 1 LSB of the exact sigmoid for all 256 inputs") {
  // TFLite's int8 logistic output grid: scale 1/256, zero point -128.
  const float grids[][2] = {{0.0625f, 0}, {0.1f, -20}, {0.02f, 30}};
  for (const auto& g : grids) {
    const std::vector<int8_t> y = RunAll256(OpType::kLogistic, {}, g[0], static_cast<int32_t>(g[1]), 1.0f / 256, -128);
    int exact = 0;
    for (int i = 0; i < 256; ++i) {
      const double x = g[0] * (i - 128 - g[1]);
      const double want = std::min(127.0, std::max(-128.0, std::nearbyint(256.0 / (1.0 + std::exp(-x))) - 128));
      CAPTURE(x);
      CHECK(std::abs(y[i] - want) <= 1.0);
      exact += y[i] == want;
    }
    CHECK(exact >= 250);  // off by one only at the rare near-ties
  }
}

TEST_CASE("int8 HARD_SWISH, HARD_SIGMOID and CLAMP tables on asymmetric grids") {
  const float si = 0.05f, so = 0.04f;
  const int32_t zi = -10, zo = 7;
  OpAttrs a;
  a.clamp_min = -1.0f;
  a.clamp_max = 2.0f;
  a.hard_alpha = 0.2f;
  a.hard_beta = 0.5f;
  for (OpType op : {OpType::kHardSwish, OpType::kHardSigmoid, OpType::kClamp}) {
    CAPTURE(OpTypeName(op));
    const std::vector<int8_t> y = RunAll256(op, a, si, zi, so, zo);
    for (int i = 0; i < 256; ++i) {
      const double x = static_cast<double>(si) * (i - 128 - zi);
      double f;
      if (op == OpType::kHardSwish) f = x * std::min(std::max(x + 3, 0.0), 6.0) / 6;
      else if (op == OpType::kHardSigmoid) f = std::min(std::max(0.2 * x + 0.5, 0.0), 1.0);
      else f = std::min(std::max(x, -1.0), 2.0);
      const double want = std::min(127.0, std::max(-128.0, std::nearbyint(f / so) + zo));
      CAPTURE(x);
      CHECK(std::abs(y[i] - want) <= 1.0);
    }
  }
  // The table is built from the float reference function itself.
  FUnaryParams f;
  f.op = UnaryOp::kHardSwish;
  int8_t table[256];
  qs8_lut_init_unary(f, si, zi, so, zo, table);
  CHECK(RunAll256(OpType::kHardSwish, {}, si, zi, so, zo) == std::vector<int8_t>(table, table + 256));
}

TEST_CASE("int8 MUL requantizes the exact product, with broadcasting") {
  GraphBuilder b;
  const int32_t x = b.Q8("a", {1, 2, 3}, 0.1f, 5);
  const int32_t y = b.Q8("b", {3}, 0.05f, -3);
  const int32_t out = b.Q8("out", {1, 2, 3}, 0.02f, 1);
  b.Node(OpType::kMul, {y, x}, {out});  // broadcast operand first: swapped internally
  b.g->inputs = {x, y};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  REQUIRE(it.ok());
  const std::vector<int8_t> av = {15, -5, 127, 5, -128, 40}, bv = {17, -23, 100};
  const std::vector<int8_t> got = RunOnce<int8_t>(*it.value(), {av, bv});
  for (int i = 0; i < 6; ++i) {
    const double real = 0.1 * (av[i] - 5) * 0.05 * (bv[i % 3] + 3);
    const double want = std::min(127.0, std::max(-128.0, std::nearbyint(real / 0.02) + 1));
    CAPTURE(i);
    CHECK(std::abs(got[i] - want) <= 1.0);
  }
  CHECK(got[0] == 51);  // real 1.0 * 1.0 = 1.0 = 50 output steps above the zero point 1
}

TEST_CASE("int8 ADD broadcasts a channel vector exactly as the same ADD of the tiled vector, both arithmetics") {
  Rng r(99);
  for (bool onnx : {false, true}) {
    for (bool swap : {false, true}) {
      CAPTURE(onnx);
      CAPTURE(swap);
      const int channels = 19, pixels = 7;
      const std::vector<int8_t> av = r.Int8s(channels * pixels), cv = r.Int8s(channels);
      std::vector<int8_t> tiled;
      for (int p = 0; p < pixels; ++p) tiled.insert(tiled.end(), cv.begin(), cv.end());
      auto run = [&](bool broadcast) {
        GraphBuilder b;
        const int32_t x = b.Q8("a", {1, 1, pixels, channels}, 0.07f, 3);
        const int32_t y = b.Q8("b", broadcast ? std::vector<int32_t>{1, 1, 1, channels} : std::vector<int32_t>{1, 1, pixels, channels},
                               0.02f, -9);
        const int32_t out = b.Q8("out", {1, 1, pixels, channels}, 0.05f, -2);
        OpAttrs attrs;
        attrs.onnx_numerics = onnx;
        attrs.activation = Activation::kRelu6;
        b.Node(OpType::kAdd, swap ? std::vector<int32_t>{y, x} : std::vector<int32_t>{x, y}, {out}, attrs);
        b.g->inputs = {x, y};
        b.g->outputs = {out};
        Result<std::unique_ptr<Interpreter>> it = b.Build();
        REQUIRE_MESSAGE(it.ok(), it.status().message());
        return RunOnce<int8_t>(*it.value(), {av, broadcast ? cv : tiled});
      };
      CHECK(run(true) == run(false));
    }
  }
}

TEST_CASE("int8 MAX_POOL_2D takes the window max on one grid and clamps to the activation") {
  GraphBuilder b;
  const int32_t in = b.Q8("in", {1, 3, 3, 1}, 0.5f, -10);
  const int32_t out = b.Q8("out", {1, 2, 2, 1}, 0.5f, -10);
  OpAttrs a;
  a.filter_h = a.filter_w = 2;
  a.stride_h = a.stride_w = 2;
  a.padding = Padding::kSame;  // 3 -> 2, padding at the bottom / right
  a.activation = Activation::kRelu;
  b.Node(OpType::kMaxPool2D, {in}, {out}, a);
  b.g->inputs = {in};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  REQUIRE(it.ok());
  // ReLU on this grid clamps at the zero point -10.
  CHECK(RunOnce<int8_t>(*it.value(), {{-50, 3, 7, -20, -30, -1, 100, -128, -11}}) ==
        std::vector<int8_t>{3, 7, 100, -10});
  GraphBuilder mismatch;
  const int32_t i2 = mismatch.Q8("in", {1, 2, 2, 1}, 0.5f, 0);
  const int32_t o2 = mismatch.Q8("out", {1, 1, 1, 1}, 0.25f, 0);
  OpAttrs a2;
  a2.filter_h = a2.filter_w = 2;
  mismatch.Node(OpType::kMaxPool2D, {i2}, {o2}, a2);
  mismatch.g->inputs = {i2};
  mismatch.g->outputs = {o2};
  Result<std::unique_ptr<Interpreter>> bad = mismatch.Build();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("needs the same scale and zero point") != std::string::npos);
}
