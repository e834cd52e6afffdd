// Each float32 operator on small hand-computed cases (explicit padding,
// count_include_pad, broadcasting, transposes of rank 3-5, concatenation on
// every axis, pad), float16 weights, and the errors that name the node.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "graph_builder.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// One node, float in / out; returns output 0 for `inputs` (reference
// kernels and fast kernels must agree exactly; both are checked).
template <typename Make>
std::vector<float> RunF32(Make make, const std::vector<std::vector<float>>& inputs) {
  std::vector<float> results[2];
  for (int ref = 0; ref < 2; ++ref) {
    GraphBuilder b = make();
    Result<std::unique_ptr<Interpreter>> it = b.Build(ref == 1);
    REQUIRE_MESSAGE(it.ok(), it.status().message());
    results[ref] = RunOnce<float>(*it.value(), inputs);
  }
  REQUIRE(results[0] == results[1]);
  return results[0];
}

std::string PrepareError(GraphBuilder& b) {
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  return it.ok() ? "" : it.status().message();
}

std::vector<float> Iota(size_t n, float start = 1.0f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

void CheckNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-6f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    if (tol == 0.0f) {
      CHECK(got[i] == want[i]);
    } else {
      CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol));
    }
  }
}

}  // namespace

TEST_CASE("float CONV_2D: explicit padding, bias, fused ReLU6, float16 weights") {
  for (int half = 0; half < 2; ++half) {
    auto make = [half]() {
      GraphBuilder b;
      const int32_t in = b.F32("in", {1, 3, 3, 1});
      const std::vector<float> ones(9, 1.0f);
      const int32_t w = half ? b.F16Const("w", {1, 3, 3, 1}, ones) : b.F32Const("w", {1, 3, 3, 1}, ones);
      const int32_t bias = b.F32Const("b", {1}, {0.5f});
      const int32_t out = b.F32("out", {1, 3, 3, 1});
      OpAttrs a;
      a.padding = Padding::kExplicit;
      a.pads[0] = a.pads[1] = a.pads[2] = a.pads[3] = 1;
      b.Node(OpType::kConv2D, {in, w, bias}, {out}, a);
      b.g->inputs = {in};
      b.g->outputs = {out};
      return b;
    };
    // 3x3 box sums of 1..9 with zero padding, + 0.5.
    CheckNear(RunF32(make, {Iota(9)}), {12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f});
  }
  auto relu6 = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {1, 2, 2, 2});
    // Two output channels: sum of channel 0, minus channel 1; 1x1, stride 1.
    const int32_t w = b.F32Const("w", {2, 1, 1, 2}, {1, 1, 0, -1});
    const int32_t out = b.F32("out", {1, 2, 2, 2});
    OpAttrs a;
    a.activation = Activation::kRelu6;
    b.Node(OpType::kConv2D, {in, w}, {out}, a);
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  CheckNear(RunF32(relu6, {{1, 2, 3, 4, 0.5f, 0.25f, -3, -2}}), {3, 0, 6, 0, 0.75f, 0, 0, 2});
}

TEST_CASE("float DEPTHWISE_CONV_2D and FULLY_CONNECTED") {
  auto dw = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {1, 2, 2, 2});
    const int32_t w = b.F32Const("w", {1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
    const int32_t bias = b.F32Const("b", {2}, {100, 200});
    const int32_t out = b.F32("out", {1, 1, 1, 2});
    b.Node(OpType::kDepthwiseConv2D, {in, w, bias}, {out});
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  // channel 0: 1*1 + 2*2 + 3*3 + 4*4 + 100; channel 1: 10 * (1 + 4 + 9 + 16) + 200.
  CheckNear(RunF32(dw, {{1, 1, 2, 2, 3, 3, 4, 4}}), {130, 500});
  auto fc = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {2, 3});
    const int32_t w = b.F16Const("w", {2, 3}, {1, 2, 3, -1, 0, 0.5f});
    const int32_t out = b.F32("out", {2, 2});
    OpAttrs a;
    a.activation = Activation::kRelu;
    b.Node(OpType::kFullyConnected, {in, w}, {out}, a);
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  CheckNear(RunF32(fc, {{1, 1, 1, 2, 0, 4}}), {6, 0, 14, 0});
}

TEST_CASE("float AVERAGE_POOL_2D honours count_include_pad; MAX_POOL_2D ignores padding") {
  for (int include = 0; include < 2; ++include) {
    auto make = [include]() {
      GraphBuilder b;
      const int32_t in = b.F32("in", {1, 2, 2, 1});
      const int32_t out = b.F32("out", {1, 2, 2, 1});
      OpAttrs a;
      a.padding = Padding::kExplicit;
      a.pads[0] = a.pads[1] = 1;  // top, left
      a.filter_h = a.filter_w = 2;
      a.count_include_pad = include == 1;
      b.Node(OpType::kAveragePool2D, {in}, {out}, a);
      b.g->inputs = {in};
      b.g->outputs = {out};
      return b;
    };
    const std::vector<float> want = include ? std::vector<float>{0.25f, 0.75f, 1.0f, 2.5f}
                                            : std::vector<float>{1.0f, 1.5f, 2.0f, 2.5f};
    CheckNear(RunF32(make, {{1, 2, 3, 4}}), want);
  }
  auto max = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {1, 2, 2, 1});
    const int32_t out = b.F32("out", {1, 2, 2, 1});
    OpAttrs a;
    a.padding = Padding::kSame;
    a.filter_h = a.filter_w = 2;
    b.Node(OpType::kMaxPool2D, {in}, {out}, a);
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  // SAME pads bottom / right: windows see only image cells (all negative).
  CheckNear(RunF32(max, {{-4, -3, -2, -1}}), {-1, -1, -1, -1});
}

TEST_CASE("float ADD and MUL broadcast along trailing dims, either operand") {
  struct Case {
    std::vector<int32_t> a, b;
    bool mul;
  };
  const Case cases[] = {{{1, 2, 2, 3}, {3}, false}, {{1, 2, 2, 3}, {1, 1, 1, 3}, true},
                        {{1, 2, 2, 3}, {1}, true},  {{1}, {1, 2, 2, 3}, false},
                        {{1, 2, 2, 3}, {2, 3}, true}, {{1, 2, 2, 3}, {1, 2, 2, 3}, false}};
  for (const Case& k : cases) {
    CAPTURE(ShapeString(k.a));
    CAPTURE(ShapeString(k.b));
    const std::vector<int32_t> full = {1, 2, 2, 3};
    auto make = [&]() {
      GraphBuilder b;
      const int32_t x = b.F32("a", k.a), y = b.F32("b", k.b), out = b.F32("out", full);
      b.Node(k.mul ? OpType::kMul : OpType::kAdd, {x, y}, {out});
      b.g->inputs = {x, y};
      b.g->outputs = {out};
      return b;
    };
    int64_t na = 1, nb = 1;
    for (int32_t d : k.a) na *= d;
    for (int32_t d : k.b) nb *= d;
    const std::vector<float> a = Iota(static_cast<size_t>(na)), bv = Iota(static_cast<size_t>(nb), 10.0f);
    std::vector<float> want(12);
    for (size_t i = 0; i < 12; ++i) {
      const float x = a[i % a.size()], y = bv[i % bv.size()];
      want[i] = k.mul ? x * y : x + y;
    }
    CheckNear(RunF32(make, {a, bv}), want, 0.0f);
  }
  GraphBuilder bad;
  const int32_t x = bad.F32("a", {1, 2, 2, 3}), y = bad.F32("b", {2, 1}), out = bad.F32("out", {1, 2, 2, 3});
  bad.Node(OpType::kMul, {x, y}, {out});
  bad.g->inputs = {x, y};
  bad.g->outputs = {out};
  CHECK(PrepareError(bad).find("node 0 'out' (MUL): inputs [1, 2, 2, 3] and [2, 1]") != std::string::npos);
}

TEST_CASE("float MEAN, SOFTMAX, RESHAPE and the elementwise functions") {
  auto mean = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {1, 2, 2, 2});
    const int32_t axes = b.I32Const("axes", {2}, {1, 2});
    const int32_t out = b.F32("out", {1, 2});
    b.Node(OpType::kMean, {in, axes}, {out});
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  CheckNear(RunF32(mean, {Iota(8)}), {4, 5});
  auto softmax = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {2, 3});
    const int32_t out = b.F32("out", {2, 3});
    b.Node(OpType::kSoftmax, {in}, {out});
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), s = 1 + e1 + e2;
  CheckNear(RunF32(softmax, {{0, 1, 2, 1000, 1000, 1000}}),
            {static_cast<float>(1 / s), static_cast<float>(e1 / s), static_cast<float>(e2 / s), 1 / 3.f, 1 / 3.f, 1 / 3.f});
  auto reshape = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {1, 2, 3});
    const int32_t out = b.F32("out", {6});
    b.Node(OpType::kReshape, {in}, {out});
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  CheckNear(RunF32(reshape, {Iota(6)}), Iota(6), 0.0f);
  const std::vector<float> x = {-5, -3, -1, -0.5f, 0, 0.5f, 1, 2.5f, 3, 7};
  for (OpType op : {OpType::kClamp, OpType::kHardSwish, OpType::kHardSigmoid, OpType::kLogistic}) {
    CAPTURE(OpTypeName(op));
    auto make = [op]() {
      GraphBuilder b;
      const int32_t in = b.F32("in", {10});
      const int32_t out = b.F32("out", {10});
      OpAttrs a;
      a.clamp_min = -1.0f;
      a.clamp_max = 2.0f;
      a.hard_alpha = 1.0f / 6;
      a.hard_beta = 0.5f;
      b.Node(op, {in}, {out}, a);
      b.g->inputs = {in};
      b.g->outputs = {out};
      return b;
    };
    std::vector<float> want;
    for (float v : x) {
      const double d = v;
      double y = 0;
      switch (op) {
        case OpType::kClamp: y = std::min(std::max(d, -1.0), 2.0); break;
        case OpType::kHardSwish: y = d * std::min(std::max(d + 3, 0.0), 6.0) / 6; break;
        case OpType::kHardSigmoid: y = std::min(std::max(d / 6 + 0.5, 0.0), 1.0); break;
        default: y = 1 / (1 + std::exp(-d)); break;
      }
      want.push_back(static_cast<float>(y));
    }
    CheckNear(RunF32(make, {x}), want, 1e-6f);
  }
}

namespace {

// Naive transpose of a float tensor by index arithmetic.
std::vector<float> NaiveTranspose(const std::vector<float>& x, const std::vector<int32_t>& shape,
                                  const std::vector<int32_t>& perm) {
  const size_t r = shape.size();
  std::vector<int32_t> out_shape(r);
  for (size_t i = 0; i < r; ++i) out_shape[i] = shape[perm[i]];
  std::vector<float> y(x.size());
  std::vector<int32_t> idx(r, 0);
  for (size_t o = 0; o < y.size(); ++o) {
    size_t rem = o;
    for (size_t i = r; i-- > 0;) {
      idx[perm[i]] = static_cast<int32_t>(rem % out_shape[i]);
      rem /= out_shape[i];
    }
    size_t in = 0;
    for (size_t a = 0; a < r; ++a) in = in * shape[a] + idx[a];
    y[o] = x[in];
  }
  return y;
}

}  // namespace

TEST_CASE("TRANSPOSE of rank 3 to 5, float and int8 with requantization") {
  // Hand case: [2, 3] -> [3, 2].
  auto t2 = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {2, 3});
    const int32_t out = b.F32("out", {3, 2});
    OpAttrs a;
    a.perm = {1, 0};
    b.Node(OpType::kTranspose, {in}, {out}, a);
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  CHECK(RunF32(t2, {Iota(6)}) == std::vector<float>{1, 4, 2, 5, 3, 6});
  const std::vector<std::vector<int32_t>> shapes = {{2, 3, 4}, {2, 3, 4, 5}, {2, 3, 1, 4, 3}};
  std::mt19937 rng(7);
  for (const auto& shape : shapes) {
    std::vector<int32_t> perm(shape.size());
    std::iota(perm.begin(), perm.end(), 0);
    int tried = 0;
    do {
      if (++tried % 3 != 1 && shape.size() > 3) continue;  // a sample of the 24 / 120 perms
      CAPTURE(ShapeString(shape));
      CAPTURE(ShapeString(perm));
      std::vector<int32_t> out_shape(shape.size());
      for (size_t i = 0; i < shape.size(); ++i) out_shape[i] = shape[perm[i]];
      auto make = [&]() {
        GraphBuilder b;
        const int32_t in = b.F32("in", shape);
        const int32_t out = b.F32("out", out_shape);
        OpAttrs a;
        a.perm = perm;
        b.Node(OpType::kTranspose, {in}, {out}, a);
        b.g->inputs = {in};
        b.g->outputs = {out};
        return b;
      };
      int64_t n = 1;
      for (int32_t d : shape) n *= d;
      const std::vector<float> x = RandomFloats(rng, static_cast<size_t>(n));
      CHECK(RunF32(make, {x}) == NaiveTranspose(x, shape, perm));
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  // int8, output grid twice as coarse with another zero point: transposed,
  // then each value requantized (q - 3) / 2 + 5 rounded half to even.
  GraphBuilder b;
  const int32_t in = b.Q8("in", {2, 2}, 0.5f, 3);
  const int32_t out = b.Q8("out", {2, 2}, 1.0f, 5);
  const int32_t perm = b.I32Const("perm", {2}, {1, 0});  // TFLite form: perm as input 1
  b.Node(OpType::kTranspose, {in, perm}, {out});
  b.g->inputs = {in};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  REQUIRE(it.ok());
  CHECK(RunOnce<int8_t>(*it.value(), {{7, 9, 10, 127}}) == std::vector<int8_t>{7, 9, 8, 67});
}

TEST_CASE("CONCATENATION on every axis, float and int8 (requantizing only what differs)") {
  const std::vector<int32_t> sa = {2, 3, 4};
  for (int axis = -1; axis < 3; ++axis) {
    CAPTURE(axis);
    const int ax = axis < 0 ? axis + 3 : axis;
    std::vector<int32_t> sb = sa, so = sa;
    sb[ax] = 2;
    so[ax] = sa[ax] + 2;
    auto make = [&]() {
      GraphBuilder b;
      const int32_t x = b.F32("a", sa), y = b.F32("b", sb), out = b.F32("out", so);
      OpAttrs a;
      a.axis = axis;
      b.Node(OpType::kConcatenation, {x, y}, {out}, a);
      b.g->inputs = {x, y};
      b.g->outputs = {out};
      return b;
    };
    const std::vector<float> x = Iota(24), y = Iota(static_cast<size_t>(sb[0]) * sb[1] * sb[2], 100.0f);
    std::vector<float> want;
    for (int i = 0; i < so[0]; ++i) {
      for (int j = 0; j < so[1]; ++j) {
        for (int k = 0; k < so[2]; ++k) {
          const int idx[3] = {i, j, k};
          if (idx[ax] < sa[ax]) {
            want.push_back(x[(static_cast<size_t>(i) * sa[1] + j) * sa[2] + k]);
          } else {
            int jj[3] = {i, j, k};
            jj[ax] -= sa[ax];
            want.push_back(y[(static_cast<size_t>(jj[0]) * sb[1] + jj[1]) * sb[2] + jj[2]]);
          }
        }
      }
    }
    CHECK(RunF32(make, {x, y}) == want);
  }
  GraphBuilder b;
  const int32_t x = b.Q8("a", {1, 2}, 0.5f, 0);    // requantized: q / 2
  const int32_t y = b.Q8("b", {1, 2}, 0.25f, -10);  // same grid as the output: copied
  const int32_t out = b.Q8("out", {1, 4}, 0.25f, -10);
  OpAttrs a;
  a.axis = 1;
  b.Node(OpType::kConcatenation, {x, y}, {out}, a);
  b.g->inputs = {x, y};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  REQUIRE(it.ok());
  // a: real 0.5 q -> output q = 2 q - 10, clamped.
  CHECK(RunOnce<int8_t>(*it.value(), {{3, 100}, {-128, 127}}) == std::vector<int8_t>{-4, 127, -128, 127});
}

TEST_CASE("PAD with a constant, float and int8") {
  auto make = []() {
    GraphBuilder b;
    const int32_t in = b.F32("in", {2, 2});
    const int32_t out = b.F32("out", {3, 5});
    OpAttrs a;
    a.paddings = {1, 0, 2, 1};
    a.pad_value = 7.0f;
    b.Node(OpType::kPad, {in}, {out}, a);
    b.g->inputs = {in};
    b.g->outputs = {out};
    return b;
  };
  CHECK(RunF32(make, {{1, 2, 3, 4}}) == std::vector<float>{7, 7, 7, 7, 7, 7, 7, 1, 2, 7, 7, 7, 3, 4, 7});
  GraphBuilder b;
  const int32_t in = b.Q8("in", {1, 2}, 1.0f, 0);
  const int32_t out = b.Q8("out", {1, 4}, 0.5f, 1);
  OpAttrs a;
  a.paddings = {0, 0, 1, 1};
  a.pad_value = 0.0f;  // real 0 = the output zero point
  b.Node(OpType::kPad, {in}, {out}, a);
  b.g->inputs = {in};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build();
  REQUIRE(it.ok());
  CHECK(RunOnce<int8_t>(*it.value(), {{3, -5}}) == std::vector<int8_t>{1, 7, -9, 1});
  GraphBuilder neg;
  const int32_t i2 = neg.F32("in", {2, 2}), o2 = neg.F32("out", {2, 1});
  OpAttrs na;
  na.paddings = {0, 0, 0, -1};
  neg.Node(OpType::kPad, {i2}, {o2}, na);
  neg.g->inputs = {i2};
  neg.g->outputs = {o2};
  CHECK(PrepareError(neg).find("(PAD): padding 0, -1 of axis 1 is out of range") != std::string::npos);
}

TEST_CASE("float operator errors name the node") {
  GraphBuilder b;
  const int32_t in = b.F32("in", {1, 2, 3});
  const int32_t out = b.F32("out", {3, 2, 1});
  OpAttrs a;
  a.perm = {0, 0, 1};
  b.Node(OpType::kTranspose, {in}, {out}, a);
  b.g->inputs = {in};
  b.g->outputs = {out};
  CHECK(PrepareError(b) == "node 0 'out' (TRANSPOSE): permutation [0, 0, 1] is not a permutation of the axes");
  GraphBuilder c;
  const int32_t x = c.F32("x", {1, 4, 4, 2});
  const int32_t w = c.Tensor("w", DType::kInt32, {3, 1, 1, 2}, AsBytes(std::vector<int32_t>(6, 1)));
  const int32_t y = c.F32("y", {1, 4, 4, 3});
  c.Node(OpType::kConv2D, {x, w}, {y});
  c.g->inputs = {x};
  c.g->outputs = {y};
  CHECK(PrepareError(c) == "node 0 'y' (CONV_2D): filter 'w' is int32, expected float32 or float16");
}
