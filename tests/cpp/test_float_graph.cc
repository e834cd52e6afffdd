// End to end through the Interpreter: a float graph built in code (conv ->
// depthwise -> add -> mean -> fully connected -> softmax, float32 and float16
// weights, 1 and 2 threads) against a straightforward double-precision
// computation, and a mixed graph (QUANTIZE -> int8 conv -> DEQUANTIZE ->
// float fully connected).
#include <doctest/doctest.h>

#include <cmath>

#include "graph_builder.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// NHWC convolution in double; depthwise when `depthwise` (filter [kh][kw][c],
// multiplier 1), else OHWI. pad_top / pad_left given; out size given.
std::vector<double> ConvD(const std::vector<double>& x, int h, int w, int c, const std::vector<double>& f,
                          const std::vector<double>& bias, int oc, int k, int stride, int pad, int oh, int ow,
                          bool depthwise, double lo, double hi) {
  std::vector<double> y(static_cast<size_t>(oh) * ow * oc);
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int o = 0; o < oc; ++o) {
        double acc = bias[o];
        for (int ky = 0; ky < k; ++ky) {
          for (int kx = 0; kx < k; ++kx) {
            const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const double* px = &x[(static_cast<size_t>(iy) * w + ix) * c];
            if (depthwise) {
              acc += px[o] * f[(static_cast<size_t>(ky) * k + kx) * oc + o];
            } else {
              for (int i = 0; i < c; ++i) acc += px[i] * f[((static_cast<size_t>(o) * k + ky) * k + kx) * c + i];
            }
          }
        }
        y[(static_cast<size_t>(oy) * ow + ox) * oc + o] = std::min(std::max(acc, lo), hi);
      }
    }
  }
  return y;
}

std::vector<double> ToDouble(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// Weights as the graph stores them (float16 rounds them).
std::vector<float> Stored(const std::vector<float>& v, bool half) {
  std::vector<float> s(v);
  if (half) for (float& x : s) x = Fp16ToFp32(Fp32ToFp16(x));
  return s;
}

}  // namespace

TEST_CASE("float graph conv -> depthwise -> add -> mean -> fully connected -> softmax matches double") {
  std::mt19937 rng(99);
  const int H = 9, W = 7, C = 3, F = 12, N = 5;  // SAME pads 1 before on both axes
  const std::vector<float> cw = RandomFloats(rng, static_cast<size_t>(F) * 3 * 3 * C, -0.5f, 0.5f);
  const std::vector<float> cb = RandomFloats(rng, F, -0.2f, 0.2f);
  const std::vector<float> dw = RandomFloats(rng, static_cast<size_t>(3) * 3 * F, -0.5f, 0.5f);
  const std::vector<float> db = RandomFloats(rng, F, -0.2f, 0.2f);
  const std::vector<float> fw = RandomFloats(rng, static_cast<size_t>(N) * F, -2.0f, 2.0f);
  const std::vector<float> fb = RandomFloats(rng, N, -0.5f, 0.5f);
  const std::vector<float> x = RandomFloats(rng, static_cast<size_t>(H) * W * C, -1.0f, 1.0f);
  const int oh = (H + 1) / 2, ow = (W + 1) / 2;  // 3x3 stride 2 SAME: pad 1 before (H, W odd / even)
  for (int half = 0; half < 2; ++half) {
    for (int threads = 1; threads <= 2; ++threads) {
      CAPTURE(half);
      CAPTURE(threads);
      GraphBuilder b;
      auto weights = [&](const char* name, std::vector<int32_t> shape, const std::vector<float>& v) {
        return half ? b.F16Const(name, shape, v) : b.F32Const(name, shape, v);
      };
      const int32_t in = b.F32("in", {1, H, W, C});
      const int32_t t1 = b.F32("conv", {1, oh, ow, F});
      const int32_t t2 = b.F32("dw", {1, oh, ow, F});
      const int32_t t3 = b.F32("sum", {1, oh, ow, F});
      const int32_t t4 = b.F32("mean", {1, F});
      const int32_t t5 = b.F32("logits", {1, N});
      const int32_t out = b.F32("probs", {1, N});
      OpAttrs conv;
      conv.padding = Padding::kSame;
      conv.stride_h = conv.stride_w = 2;
      conv.activation = Activation::kRelu6;
      b.Node(OpType::kConv2D, {in, weights("cw", {F, 3, 3, C}, cw), b.F32Const("cb", {F}, cb)}, {t1}, conv);
      OpAttrs dwa;
      dwa.padding = Padding::kExplicit;
      dwa.pads[0] = dwa.pads[1] = dwa.pads[2] = dwa.pads[3] = 1;
      dwa.activation = Activation::kRelu;
      b.Node(OpType::kDepthwiseConv2D, {t1, weights("dw", {1, 3, 3, F}, dw), b.F32Const("db", {F}, db)}, {t2}, dwa);
      b.Node(OpType::kAdd, {t1, t2}, {t3});
      b.Node(OpType::kMean, {t3, b.I32Const("axes", {2}, {1, 2})}, {t4});
      b.Node(OpType::kFullyConnected, {t4, weights("fw", {N, F}, fw), b.F32Const("fb", {N}, fb)}, {t5});
      b.Node(OpType::kSoftmax, {t5}, {out});
      b.g->inputs = {in};
      b.g->outputs = {out};
      Result<std::unique_ptr<Interpreter>> it = b.Build(false, threads);
      REQUIRE_MESSAGE(it.ok(), it.status().message());
      const std::vector<float> got = RunOnce<float>(*it.value(), {x});

      const std::vector<double> c1 = ConvD(ToDouble(x), H, W, C, ToDouble(Stored(cw, half)), ToDouble(cb), F, 3, 2,
                                           (oh - 1) * 2 + 3 - H > 0 ? ((oh - 1) * 2 + 3 - H) / 2 : 0, oh, ow, false, 0, 6);
      const std::vector<double> c2 = ConvD(c1, oh, ow, F, ToDouble(Stored(dw, half)), ToDouble(db), F, 3, 1, 1, oh,
                                           ow, true, 0, INFINITY);
      std::vector<double> mean(F, 0.0);
      for (size_t i = 0; i < c1.size(); ++i) mean[i % F] += (c1[i] + c2[i]) / (oh * ow);
      std::vector<double> logits(N);
      const std::vector<float> fws = Stored(fw, half);
      double mx = -INFINITY;
      for (int n = 0; n < N; ++n) {
        logits[n] = fb[n];
        for (int k = 0; k < F; ++k) logits[n] += mean[k] * fws[static_cast<size_t>(n) * F + k];
        mx = std::max(mx, logits[n]);
      }
      double sum = 0;
      for (double& l : logits) sum += (l = std::exp(l - mx));
      for (int n = 0; n < N; ++n) {
        CAPTURE(n);
        CHECK(std::abs(got[n] - logits[n] / sum) <= 2e-6);
      }
    }
  }
}

TEST_CASE("mixed graph: QUANTIZE -> int8 conv -> DEQUANTIZE -> float fully connected") {
  std::mt19937 rng(5);
  const int HW = 4, C = 3, F = 4, N = 3;
  const float in_scale = 1.0f / 64, w_scale = 0.01f, mid_scale = 0.02f;
  const int32_t mid_zp = -5;
  std::vector<int8_t> w(static_cast<size_t>(F) * C);
  for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
  const std::vector<int32_t> bias = {100, -200, 0, 50};
  const std::vector<float> fw = RandomFloats(rng, static_cast<size_t>(N) * HW * HW * F, -1, 1);
  const std::vector<float> x = RandomFloats(rng, static_cast<size_t>(HW) * HW * C, -1.5f, 1.5f);
  GraphBuilder b;
  const int32_t in = b.F32("in", {1, HW, HW, C});
  const int32_t q = b.Q8("q", {1, HW, HW, C}, in_scale, 0);
  const int32_t wt = b.Tensor("w", DType::kInt8, {F, 1, 1, C}, AsBytes(w), w_scale, 0);
  const int32_t bt = b.Tensor("bias", DType::kInt32, {F}, AsBytes(bias), in_scale * w_scale, 0);
  const int32_t conv = b.Q8("conv", {1, HW, HW, F}, mid_scale, mid_zp);
  const int32_t deq = b.F32("deq", {1, HW, HW, F});
  const int32_t out = b.F32("out", {1, N});
  b.Node(OpType::kQuantize, {in}, {q});
  b.Node(OpType::kConv2D, {q, wt, bt}, {conv});
  b.Node(OpType::kDequantize, {conv}, {deq});
  b.Node(OpType::kFullyConnected, {deq, b.F32Const("fw", {N, HW * HW * F}, fw)}, {out});
  b.g->inputs = {in};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build(false, 1, /*share_memory=*/false);
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  const std::vector<float> got = RunOnce<float>(*it.value(), {x});
  const int8_t* mid = reinterpret_cast<const int8_t*>(it.value()->tensor_data(conv));
  // The int8 layer in double: quantize, exact integer conv, requantize.
  int exact = 0;
  std::vector<double> deq_want(static_cast<size_t>(HW) * HW * F);
  for (int p = 0; p < HW * HW; ++p) {
    for (int f = 0; f < F; ++f) {
      int64_t acc = bias[f];
      for (int c = 0; c < C; ++c) {
        const double qx = std::min(127.0, std::max(-128.0, static_cast<double>(std::nearbyint(x[p * C + c] / in_scale))));
        acc += static_cast<int64_t>(qx) * w[f * C + c];
      }
      const double r = static_cast<double>(acc) * in_scale * w_scale / mid_scale;
      const double qm = std::min(127.0, std::max(-128.0, std::nearbyint(r) + mid_zp));
      const int got_q = mid[p * F + f];
      CHECK(std::abs(got_q - qm) <= 1.0);  // float32 requantization may differ at ties
      exact += got_q == qm;
      deq_want[p * F + f] = (got_q - mid_zp) * static_cast<double>(mid_scale);
    }
  }
  CHECK(exact >= HW * HW * F - 2);
  // The float layer sees exactly the dequantized int8 values.
  for (int n = 0; n < N; ++n) {
    double acc = 0;
    for (int k = 0; k < HW * HW * F; ++k) acc += deq_want[k] * fw[static_cast<size_t>(n) * HW * HW * F + k];
    CAPTURE(n);
    CHECK(std::abs(got[n] - acc) <= 1e-5 * (1 + std::abs(acc)));
  }
}
