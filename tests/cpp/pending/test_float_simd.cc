// The float SIMD kernels against their scalar references, on random and edge
// shapes: row tails (m mod 4), channel tails (n mod 8, odd channel counts),
// every padding kind, strides, dilation, broadcasting, thread splits. The
// kernels perform the references' operations in the references' order, so
// the comparison is exact (floats compare equal; only the sign of a zero
// may differ where im2col adds 0 * w for a padding cell).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "graph_builder.h"
#include "kernels/gemm/gemm.h"
#include "kernels/kernels-wasmsimd.h"
#include "kernels/kernels.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

struct Rng {
  std::mt19937 g{2024};
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
};

FOutput RandomClamp(Rng& r) {
  FOutput o;
  switch (r.Int(0, 3)) {
    case 0: break;
    case 1: o.min = 0.0f; break;
    case 2: o.min = 0.0f; o.max = 6.0f; break;
    default: o.min = -0.1f; o.max = 0.1f; break;
  }
  return o;
}

bool SameFloat(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void RequireSame(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (!SameFloat(got[i], want[i])) {
      CAPTURE(i);
      CAPTURE(got[i]);
      CAPTURE(want[i]);
      REQUIRE(false);
    }
  }
}

// Runs a single-node float graph on the fast and the reference kernels.
template <typename Make>
void CompareFastAndReference(Make make, const std::vector<std::vector<float>>& inputs, int threads) {
  std::vector<float> out[2];
  for (int ref = 0; ref < 2; ++ref) {
    GraphBuilder b = make();
    Result<std::unique_ptr<Interpreter>> it = b.Build(ref == 1, ref == 1 ? 1 : threads);
    REQUIRE_MESSAGE(it.ok(), it.status().message());
    out[ref] = RunOnce<float>(*it.value(), inputs);
  }
  RequireSame(out[0], out[1]);
}

}  // namespace

TEST_CASE("f32 gemm 4x8 equals the reference fully connected kernel") {
  Rng r;
  for (int iter = 0; iter < 300; ++iter) {
    const int m = r.Int(1, 13), n = r.Int(1, 70), k = r.Int(1, 70);
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    const std::vector<float> a = RandomFloats(r.g, static_cast<size_t>(m) * k);
    const std::vector<float> w = RandomFloats(r.g, static_cast<size_t>(n) * k);
    const std::vector<float> bias = RandomFloats(r.g, static_cast<size_t>(n), -2, 2);
    FFullyConnectedParams p;
    p.batch = m;
    p.input_size = k;
    p.output_size = n;
    p.filter = w.data();
    p.bias = r.Int(0, 3) == 0 ? nullptr : bias.data();
    p.output = RandomClamp(r);
    std::vector<float> want(static_cast<size_t>(m) * n), got(want.size(), -7.0f);
    f32_fully_connected__ref(p, a.data(), want.data());
    const FGemmWeights packed = PackFGemmWeights(n, k, w.data(), static_cast<size_t>(k), p.bias);
    // Channels in two calls, split at a multiple of 8, as threads split them.
    const size_t split = std::min<size_t>(n, 8 * static_cast<size_t>(r.Int(0, (n + 7) / 8)));
    f32_gemm_4x8__wasmsimd(packed, p.output, m, a.data(), k, got.data(), n, 0, split);
    f32_gemm_4x8__wasmsimd(packed, p.output, m, a.data(), k, got.data(), n, split, n);
    RequireSame(got, want);
  }
}

TEST_CASE("f32 CONV_2D (1x1 direct and im2col) equals f32_conv2d__ref") {
  Rng r;
  for (int iter = 0; iter < 150; ++iter) {
    const int batch = r.Int(1, 2), in_h = r.Int(1, 9), in_w = r.Int(1, 9), in_c = r.Int(1, 9);
    const int out_c = r.Int(1, 19);
    int kh = r.Int(1, 3), kw = r.Int(1, 3);
    OpAttrs a;
    const int pick = r.Int(0, 3);
    a.padding = pick == 0 ? Padding::kValid : pick == 1 ? Padding::kSame : Padding::kExplicit;
    a.stride_h = r.Int(1, 2);
    a.stride_w = r.Int(1, 2);
    a.dilation_h = r.Int(0, 3) == 0 ? 2 : 1;
    a.dilation_w = r.Int(0, 3) == 0 ? 2 : 1;
    if (pick == 3) {  // the direct 1x1 path: A is the input itself
      a.padding = Padding::kValid;
      a.stride_h = a.stride_w = a.dilation_h = a.dilation_w = 1;
      kh = kw = 1;
    }
    for (int i = 0; i < 4; ++i) a.pads[i] = r.Int(0, (i % 2 ? kw : kh) - 1);
    a.activation = static_cast<Activation>(r.Int(0, 3));
    const int eff_h = (kh - 1) * a.dilation_h + 1, eff_w = (kw - 1) * a.dilation_w + 1;
    int oh, ow;
    if (a.padding == Padding::kSame) {
      oh = (in_h + a.stride_h - 1) / a.stride_h;
      ow = (in_w + a.stride_w - 1) / a.stride_w;
    } else {
      const int ph = a.padding == Padding::kExplicit ? a.pads[0] + a.pads[2] : 0;
      const int pw = a.padding == Padding::kExplicit ? a.pads[1] + a.pads[3] : 0;
      if (in_h + ph < eff_h || in_w + pw < eff_w) continue;
      oh = (in_h + ph - eff_h) / a.stride_h + 1;
      ow = (in_w + pw - eff_w) / a.stride_w + 1;
    }
    CAPTURE(iter);
    const std::vector<float> w = RandomFloats(r.g, static_cast<size_t>(out_c) * kh * kw * in_c);
    const std::vector<float> bias = RandomFloats(r.g, static_cast<size_t>(out_c));
    const bool with_bias = r.Int(0, 1) == 1;
    auto make = [&]() {
      GraphBuilder b;
      const int32_t in = b.F32("in", {batch, in_h, in_w, in_c});
      const int32_t wt = b.F32Const("w", {out_c, kh, kw, in_c}, w);
      const int32_t bt = b.F32Const("b", {out_c}, bias);
      const int32_t out = b.F32("out", {batch, oh, ow, out_c});
      b.Node(OpType::kConv2D, with_bias ? std::vector<int32_t>{in, wt, bt} : std::vector<int32_t>{in, wt}, {out}, a);
      b.g->inputs = {in};
      b.g->outputs = {out};
      return b;
    };
    const std::vector<float> x = RandomFloats(r.g, static_cast<size_t>(batch) * in_h * in_w * in_c);
    CompareFastAndReference(make, {x}, r.Int(1, 2));
  }
}

TEST_CASE("f32 DEPTHWISE_CONV_2D equals f32_depthwise_conv2d__ref") {
  Rng r;
  for (int iter = 0; iter < 150; ++iter) {
    const int batch = r.Int(1, 2), in_h = r.Int(1, 10), in_w = r.Int(1, 10);
    // Odd counts and multiples of 4 / 16 exercise the scalar, 4- and 16-lane paths.
    const int channels[] = {1, 3, 4, 7, 16, 19, 33, 36};
    const int c = channels[r.Int(0, 7)];
    const int mult = r.Int(0, 4) == 0 ? 2 : 1;
    const int kh = r.Int(1, 5), kw = r.Int(1, 5);
    OpAttrs a;
    a.depth_multiplier = mult;
    a.padding = r.Int(0, 1) ? Padding::kSame : Padding::kExplicit;
    a.stride_h = r.Int(1, 2);
    a.stride_w = r.Int(1, 2);
    a.dilation_h = r.Int(0, 3) == 0 ? 2 : 1;
    a.dilation_w = r.Int(0, 3) == 0 ? 2 : 1;
    for (int i = 0; i < 4; ++i) a.pads[i] = r.Int(0, (i % 2 ? kw : kh) - 1);
    a.activation = static_cast<Activation>(r.Int(0, 3));
    const int eff_h = (kh - 1) * a.dilation_h + 1, eff_w = (kw - 1) * a.dilation_w + 1;
    int oh, ow;
    if (a.padding == Padding::kSame) {
      oh = (in_h + a.stride_h - 1) / a.stride_h;
      ow = (in_w + a.stride_w - 1) / a.stride_w;
    } else {
      if (in_h + a.pads[0] + a.pads[2] < eff_h || in_w + a.pads[1] + a.pads[3] < eff_w) continue;
      oh = (in_h + a.pads[0] + a.pads[2] - eff_h) / a.stride_h + 1;
      ow = (in_w + a.pads[1] + a.pads[3] - eff_w) / a.stride_w + 1;
    }
    CAPTURE(iter);
    const int out_c = c * mult;
    const std::vector<float> w = RandomFloats(r.g, static_cast<size_t>(kh) * kw * out_c);
    const std::vector<float> bias = RandomFloats(r.g, static_cast<size_t>(out_c));
    const bool with_bias = r.Int(0, 1) == 1, half = r.Int(0, 3) == 0;
    auto make = [&]() {
      GraphBuilder b;
      const int32_t in = b.F32("in", {batch, in_h, in_w, c});
      const int32_t wt = half ? b.F16Const("w", {1, kh, kw, out_c}, w) : b.F32Const("w", {1, kh, kw, out_c}, w);
      const int32_t bt = b.F32Const("b", {out_c}, bias);
      const int32_t out = b.F32("out", {batch, oh, ow, out_c});
      b.Node(OpType::kDepthwiseConv2D, with_bias ? std::vector<int32_t>{in, wt, bt} : std::vector<int32_t>{in, wt}, {out}, a);
      b.g->inputs = {in};
      b.g->outputs = {out};
      return b;
    };
    const std::vector<float> x = RandomFloats(r.g, static_cast<size_t>(batch) * in_h * in_w * c);
    CompareFastAndReference(make, {x}, r.Int(1, 2));
  }
}

TEST_CASE("f32 ADD / MUL / elementwise SIMD kernels equal their references, ranges and specials") {
  Rng r;
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (int iter = 0; iter < 300; ++iter) {
    const size_t b_size = static_cast<size_t>(r.Int(1, 23));
    const size_t size = b_size * static_cast<size_t>(r.Int(1, 9));
    std::vector<float> a = RandomFloats(r.g, size, -8, 8), b = RandomFloats(r.g, b_size, -8, 8);
    if (r.Int(0, 3) == 0) a[r.Int(0, static_cast<int>(size) - 1)] = r.Int(0, 1) ? nan : -inf;
    FBinaryParams p;
    p.size = size;
    p.b_size = r.Int(0, 4) == 0 ? 1 : b_size;
    p.output = RandomClamp(r);
    const size_t mid = static_cast<size_t>(r.Int(0, static_cast<int>(size)));
    for (int mul = 0; mul < 2; ++mul) {
      std::vector<float> want(size), got(size);
      (mul ? f32_mul__ref : f32_add__ref)(p, a.data(), b.data(), want.data());
      (mul ? f32_mul__wasmsimd : f32_add__wasmsimd)(p, 0, mid, a.data(), b.data(), got.data());
      (mul ? f32_mul__wasmsimd : f32_add__wasmsimd)(p, mid, size, a.data(), b.data(), got.data());
      RequireSame(got, want);
    }
    for (UnaryOp op : {UnaryOp::kClamp, UnaryOp::kHardSwish, UnaryOp::kHardSigmoid, UnaryOp::kLogistic}) {
      FUnaryParams u;
      u.op = op;
      u.min = -1.5f;
      u.max = 2.5f;
      u.alpha = 0.2f;
      u.beta = 0.5f;
      std::vector<float> want(size), got(size);
      f32_unary__ref(u, size, a.data(), want.data());
      f32_unary__wasmsimd(u, size, a.data(), got.data());
      RequireSame(got, want);
    }
  }
}
