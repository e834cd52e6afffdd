// Reference kernels against hand-computed cases. Every expected value below
// was worked out by hand from the kernel definitions (see the comments); ties
// are chosen on purpose to pin round-half-to-even.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/kernels.h"

using namespace qwasm;

namespace {

std::vector<int8_t> I8(std::initializer_list<int> v) { return std::vector<int8_t>(v.begin(), v.end()); }

WindowShape Shape(int in_h, int in_w, int in_c, int out_h, int out_w, int out_c, int kh, int kw) {
  WindowShape s;
  s.in_h = in_h, s.in_w = in_w, s.in_c = in_c;
  s.out_h = out_h, s.out_w = out_w, s.out_c = out_c;
  s.kernel_h = kh, s.kernel_w = kw;
  return s;
}

}  // namespace

TEST_CASE("conv2d: 2x2 VALID, zero points, ties to even") {
  // x - zx = [[1,2,3],[4,5,6],[7,8,9]] (zx = 1), w = [[1,2],[3,4]], bias 10:
  // acc = 10+1+4+12+20 = 47, 57, 77, 87; * 0.5 = 23.5, 28.5, 38.5, 43.5
  // -> rne 24, 28, 38, 44; + zo (-3) = 21, 25, 35, 41.
  const auto x = I8({2, 3, 4, 5, 6, 7, 8, 9, 10});
  const auto w = I8({1, 2, 3, 4});
  const int32_t bias[] = {10};
  const float scale[] = {0.5f};
  QConvParams p;
  p.shape = Shape(3, 3, 1, 2, 2, 1, 2, 2);
  p.input_zero_point = 1;
  p.filter = w.data();
  p.bias = bias;
  p.scale = scale;
  p.output.zero_point = -3;
  std::vector<int8_t> y(4);
  qs8_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({21, 25, 35, 41}));
}

TEST_CASE("conv2d: SAME padding with stride 2 skips padded taps") {
  // 4x4 input of real ones, 3x3 kernel of ones, stride 2, SAME: output 2x2,
  // pad_top = pad_left = 0 (total 1, all after). Counts of in-image taps:
  // 9, 6, 6, 4.
  std::vector<int8_t> x(16, 5);  // zx = 4 -> real 1
  std::vector<int8_t> w(9, 1);
  const float scale[] = {1.0f};
  QConvParams p;
  p.shape = Shape(4, 4, 1, 2, 2, 1, 3, 3);
  p.shape.stride_h = p.shape.stride_w = 2;
  p.input_zero_point = 4;
  p.filter = w.data();
  p.scale = scale;
  std::vector<int8_t> y(4);
  qs8_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({9, 6, 6, 4}));
  // Padding before: pad_top = pad_left = 1 shifts the windows up-left.
  p.shape.pad_top = p.shape.pad_left = 1;
  qs8_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({4, 6, 6, 9}));
}

TEST_CASE("conv2d: channels, filter zero point, per-channel scale, clamp") {
  // 1x1 conv, x = [3, -2], zx = -1 -> [4, -1]; filter zero point 1 (a
  // shifted uint8 model): oc0 w = [1, 2] -> [0, 1], oc1 w = [3, -1] -> [2, -2].
  // acc0 = 5 + 4*0 + (-1)*1 = 4, acc1 = -3 + 4*2 + (-1)(-2) = 7.
  // * [2, 0.25] = 8, 1.75 -> 8, 2; clamp to [0, 6] (ReLU6 on scale 1) -> 6, 2.
  const auto x = I8({3, -2});
  const auto w = I8({1, 2, 3, -1});
  const int32_t bias[] = {5, -3};
  const float scale[] = {2.0f, 0.25f};
  QConvParams p;
  p.shape = Shape(1, 1, 2, 1, 1, 2, 1, 1);
  p.input_zero_point = -1;
  p.filter_zero_point = 1;
  p.filter = w.data();
  p.bias = bias;
  p.scale = scale;
  p.output = {0, 0, 6};
  std::vector<int8_t> y(2);
  qs8_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({6, 2}));
}

TEST_CASE("conv2d: dilation") {
  // Row [1..5], kernel [1, 1] with dilation 2: out[i] = x[i] + x[i+2].
  const auto x = I8({1, 2, 3, 4, 5});
  const auto w = I8({1, 1});
  const float scale[] = {1.0f};
  QConvParams p;
  p.shape = Shape(1, 5, 1, 1, 3, 1, 1, 2);
  p.shape.dilation_w = 2;
  p.filter = w.data();
  p.scale = scale;
  std::vector<int8_t> y(3);
  qs8_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({4, 6, 8}));
}

TEST_CASE("depthwise: depth multiplier 2, per-channel bias and scale") {
  // x = [[1,2],[3,4]] (one channel), multiplier 2, 2x2 VALID.
  // oc0 w = ones -> 10; oc1 w = [[1,-1],[0,2]] -> 1 - 2 + 0 + 8 = 7.
  // bias [0, 1] -> 10, 8; scale [1, 0.5] -> 10, 4.
  const auto x = I8({1, 2, 3, 4});
  const auto w = I8({1, 1, 1, -1, 1, 0, 1, 2});  // [kh][kw][out_c]
  const int32_t bias[] = {0, 1};
  const float scale[] = {1.0f, 0.5f};
  QConvParams p;
  p.shape = Shape(2, 2, 1, 1, 1, 2, 2, 2);
  p.filter = w.data();
  p.bias = bias;
  p.scale = scale;
  std::vector<int8_t> y(2);
  qs8_depthwise_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({10, 4}));
}

TEST_CASE("depthwise: 3x3 SAME, two channels, borders") {
  // Channel 0 real ones, channel 1 real twos; kernel of ones; pad 1 each side.
  // Tap counts [[4,6,4],[6,9,6],[4,6,4]]; channel 1 doubles them; filter
  // zero point -1 makes stored 0 mean weight 1.
  std::vector<int8_t> x;
  for (int i = 0; i < 9; ++i) x.insert(x.end(), {1, 2});
  std::vector<int8_t> w(18, 0);
  const float scale[] = {1.0f, 1.0f};
  QConvParams p;
  p.shape = Shape(3, 3, 2, 3, 3, 2, 3, 3);
  p.shape.pad_top = p.shape.pad_left = 1;
  p.filter_zero_point = -1;
  p.filter = w.data();
  p.scale = scale;
  std::vector<int8_t> y(18);
  qs8_depthwise_conv2d__ref(p, x.data(), y.data());
  CHECK(y == I8({4, 8, 6, 12, 4, 8, 6, 12, 9, 18, 6, 12, 4, 8, 6, 12, 4, 8}));
}

TEST_CASE("fully connected: batch 2, per-row scale") {
  // rows [1,2,3] and [-1,0,1]; w = [[1,1,1],[2,0,-1]], bias [0, 5]:
  // b0 = [6, 4], b1 = [0, 2]; * [0.5, 1] = [3, 4], [0, 2]; + zo 1.
  const auto x = I8({1, 2, 3, -1, 0, 1});
  const auto w = I8({1, 1, 1, 2, 0, -1});
  const int32_t bias[] = {0, 5};
  const float scale[] = {0.5f, 1.0f};
  QFullyConnectedParams p;
  p.batch = 2;
  p.input_size = 3;
  p.output_size = 2;
  p.filter = w.data();
  p.bias = bias;
  p.scale = scale;
  p.output.zero_point = 1;
  std::vector<int8_t> y(4);
  qs8_fully_connected__ref(p, x.data(), y.data());
  CHECK(y == I8({4, 5, 1, 3}));
}

TEST_CASE("add: integer multipliers, one requantize, ties and saturation") {
  // a' = a - 2, b' = b + 3; acc = 2 a' + 1 b'; out = rne(acc * 0.25):
  // a' = [8, -22, 125, 3, 125], b' = [8, 8, -125, 4, 130]
  // acc = [24, -36, 125, 10, 380] -> 6, -9, 31.25 -> 31, 2.5 -> 2 (tie to even), 95.
  const auto a = I8({10, -20, 127, 5, 127});
  const auto b = I8({5, 5, -128, 1, 127});
  QAddParams p;
  p.size = 5;
  p.a_zero_point = 2;
  p.b_zero_point = -3;
  p.a_multiplier = 2;
  p.b_multiplier = 1;
  p.scale = 0.25f;
  std::vector<int8_t> y(5);
  qs8_add__ref(p, a.data(), b.data(), y.data());
  CHECK(y == I8({6, -9, 31, 2, 95}));
  p.output = {10, -128, 100};  // zero point 10 and a clamp at 100
  qs8_add__ref(p, a.data(), b.data(), y.data());
  CHECK(y == I8({16, 1, 41, 12, 100}));
  // Extreme multipliers stay exact in int32: 2^21 * 255 * 2 < 2^31.
  p.a_multiplier = p.b_multiplier = (1 << 21) - 1;
  p.scale = 1.0f / (1 << 21);
  p.output = {0, -128, 127};
  const auto big_a = I8({127, -128});
  const auto big_b = I8({127, -128});
  p.size = 2;
  p.a_zero_point = p.b_zero_point = -128;
  qs8_add__ref(p, big_a.data(), big_b.data(), y.data());
  CHECK(y[0] == 127);  // 510 (saturated)
  CHECK(y[1] == 0);
}

TEST_CASE("add with float rescaling: ONNX Runtime's QLinearAdd, rounding after the zero point") {
  // x = (sa (a - za) + sb (b - zb)) / sc, clamped, then rne(x + rzp) - rzp + zp.
  // sa = 0.5, sb = 0.25, sc = 0.5: x = (a - za) + (b - zb) / 2.
  QAddParams p;
  p.float_rescale = true;
  p.a_scale = 0.5f, p.b_scale = 0.25f, p.output_scale = 0.5f;
  p.a_zero_point = 2, p.b_zero_point = -3;
  p.output = {0, -128, 127};
  p.rounding_zero_point = 0;
  // a' = [8, -22, 125, 3], b' = [8, 7, -125, 3] -> x = 12, -18.5, 62.5, 4.5
  // -> 12, -18 (tie to even), 62 (tie to even), 4; a' + b'/2 = 125 + 127.5 saturates.
  const auto a = I8({10, -20, 127, 5, 127});
  const auto b = I8({5, 4, -128, 0, 127});
  p.size = 5;
  std::vector<int8_t> y(5);
  qs8_add__ref(p, a.data(), b.data(), y.data());
  CHECK(y == I8({12, -18, 62, 4, 127}));
  // The fixed-point arithmetic with the same ratios (1 and 0.5 as 2 and 1 at
  // scale 0.5) gives the same on these exact ratios.
  QAddParams f;
  f.size = 5, f.a_zero_point = 2, f.b_zero_point = -3;
  f.a_multiplier = 2, f.b_multiplier = 1, f.scale = 0.5f;
  std::vector<int8_t> z(5);
  qs8_add__ref(f, a.data(), b.data(), z.data());
  CHECK(z == y);

  // Where the order matters: x = 0.5 + 2^-24 rounds to 1 on its own, but
  // ONNX Runtime adds the uint8 zero point first: 100.50000006 is not a float,
  // the sum rounds to 100.5, which rounds (to even) to 100.
  p.a_scale = 0.5f, p.b_scale = std::ldexp(1.0f, -24), p.output_scale = 1.0f;
  p.a_zero_point = p.b_zero_point = 0;
  p.output = {100 - 128, -128, 127};  // a uint8 tensor with zero point 100
  p.rounding_zero_point = 100;
  p.size = 1;
  const auto one = I8({1});
  qs8_add__ref(p, one.data(), one.data(), y.data());
  CHECK(y[0] == 100 - 128);  // real value 0, not 1 step
  p.rounding_zero_point = p.output.zero_point;  // an int8 model: -27.49999994 -> -27.5 -> -28
  qs8_add__ref(p, one.data(), one.data(), y.data());
  CHECK(y[0] == -28);
  p.output = {0, -128, 127};  // zero point 0: x itself is rounded, to 1
  p.rounding_zero_point = 0;
  qs8_add__ref(p, one.data(), one.data(), y.data());
  CHECK(y[0] == 1);
}

TEST_CASE("average pool: VALID and SAME, padding excluded from the count") {
  // x' = 1..9 (3x3); 2x2 stride 1 VALID: (1+2+4+5)/4 = 3, 4, 6, 7.
  std::vector<int8_t> x;
  for (int i = 1; i <= 9; ++i) x.push_back(static_cast<int8_t>(i + 10));  // zx = 10
  QPoolParams p;
  p.shape = Shape(3, 3, 1, 2, 2, 1, 2, 2);
  p.input_zero_point = 10;
  std::vector<int8_t> y(4);
  qs8_average_pool__ref(p, x.data(), y.data());
  CHECK(y == I8({3, 4, 6, 7}));
  // 3x3 SAME stride 1 (pad 1), sums / counts:
  //   12/4 21/6 16/4      3  3.5  4
  //   27/6 45/9 33/6  =  4.5  5  5.5
  //   24/4 39/6 28/4      6  6.5  7
  // The divisor is a float multiply by fl(1/count); fl(1/6) lies 4.5e-9
  // above 1/6, but each product rounds back onto the exact .5, so ties go
  // to even: 3.5 -> 4, 4.5 -> 4, 5.5 -> 6, 6.5 -> 6.
  p.shape = Shape(3, 3, 1, 3, 3, 1, 3, 3);
  p.shape.pad_top = p.shape.pad_left = 1;
  std::vector<int8_t> z(9);
  qs8_average_pool__ref(p, x.data(), z.data());
  CHECK(z == I8({3, 4, 4, 4, 5, 6, 6, 6, 7}));
  // Rescaled by 2: 12 * 0.5 = 6, 21 * fl(2/6) = 7, 45 * fl(2/9) = 10.
  p.input_over_output_scale = 2.0;
  qs8_average_pool__ref(p, x.data(), z.data());
  CHECK(z[0] == 6);
  CHECK(z[1] == 7);
  CHECK(z[4] == 10);
}

TEST_CASE("mean over H, W with rescale") {
  // channel 0: 1,2,3,4 -> 2.5 -> 2 (tie); channel 1: 1,1,1,2 -> 1.25 -> 1.
  // With scale ratio 2: 5 and 2.5 -> 2 (tie).
  const auto x = I8({1, 1, 2, 1, 3, 1, 4, 2});
  QMeanParams p;
  p.height = 2;
  p.width = 2;
  p.channels = 2;
  std::vector<int8_t> y(2);
  qs8_mean_hw__ref(p, x.data(), y.data());
  CHECK(y == I8({2, 1}));
  p.input_over_output_scale = 2.0;
  qs8_mean_hw__ref(p, x.data(), y.data());
  CHECK(y == I8({5, 2}));
  p.input_zero_point = 1;  // sums become 6 and 1: 6*2/4 = 3, 1*2/4 = 0.5 -> 0
  qs8_mean_hw__ref(p, x.data(), y.data());
  CHECK(y == I8({3, 0}));
}

TEST_CASE("softmax: equal logits, thirds, saturation") {
  float table[256];
  BuildSoftmaxExpTable(1.0f, 0.1f, table);
  CHECK(table[0] == 1.0f);
  CHECK(table[10] == doctest::Approx(std::exp(-1.0)));
  QSoftmaxParams p;
  p.exp_table = table;
  p.output_scale = 1.0f / 256;
  p.output = {-128, -128, 127};
  // Two equal logits: 0.5 * 256 = 128 -> 0 after zo -128.
  p.rows = 1;
  p.cols = 2;
  auto x = I8({7, 7});
  std::vector<int8_t> y(2);
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({0, 0}));
  // Three equal: 256 / 3 = 85.33 -> 85 -> -43.
  p.cols = 3;
  x = I8({-5, -5, -5});
  y.resize(3);
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({-43, -43, -43}));
  // Distance 255 at scale 1: exp(-255) ~ 0, so the winner saturates at 256 -> 127.
  BuildSoftmaxExpTable(1.0f, 1.0f, table);
  p.cols = 2;
  x = I8({127, -128});
  y.resize(2);
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({127, -128}));
  // Two rows are independent; a row [d=0, d=1] at scale ln 3 gives 3/4 and 1/4.
  BuildSoftmaxExpTable(1.0f, std::log(3.0f), table);
  p.rows = 2;
  x = I8({1, 0, 0, 1});
  y.resize(4);
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({64, -64, -64, 64}));  // 192 - 128, 64 - 128
}

TEST_CASE("softmax with ONNX Runtime's numerics: its table, floor(1 / output scale), division last") {
  // ORT's table is exp(-scale * d) times one factor that puts a row's sum
  // just under FLT_MAX / e^5: for 2 columns, entry 0 = e^(ln(FLT_MAX / 2) - 5).
  float table[256];
  BuildSoftmaxExpTableOnnx(std::log(3.0f), 2, table);
  CHECK(table[0] == doctest::Approx(std::numeric_limits<float>::max() / 2 / std::exp(5.0)).epsilon(1e-5));
  CHECK(table[1] / table[0] == doctest::Approx(1.0 / 3).epsilon(1e-6));
  CHECK(std::isfinite(table[0] + table[1]));
  QSoftmaxParams p;
  p.onnx_numerics = true;
  p.exp_table = table;
  p.rows = 2, p.cols = 2;
  p.output_scale = 1.0f / 256;
  p.output = {-128, -128, 127};
  // [d = 0, d = 1] -> 3/4 and 1/4 of 256, as with TFLite's arithmetic.
  auto x = I8({1, 0, 0, 1});
  std::vector<int8_t> y(4);
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({64, -64, -64, 64}));
  // Output scale 0.0041: ORT multiplies by floor(1 / 0.0041) = 243, so a
  // probability of 1 - 1.4e-6 (logits 13.5 apart) becomes 243, where
  // dividing by the scale (TFLite) gives rne(243.9) = 244.
  BuildSoftmaxExpTableOnnx(0.1f, 2, table);
  p.rows = 1;
  p.output_scale = 0.0041f;
  x = I8({7, -128});
  y.resize(2);
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({243 - 128, -128}));
  float tflite_table[256];
  BuildSoftmaxExpTable(1.0f, 0.1f, tflite_table);
  p.exp_table = tflite_table;
  p.onnx_numerics = false;
  qs8_softmax__ref(p, x.data(), y.data());
  CHECK(y == I8({244 - 128, -128}));
}

TEST_CASE("quantize, dequantize, requantize elementwise") {
  QuantizeParams q;
  q.scale = 0.5f;
  q.output = {1, -128, 127};
  // 0.5/0.5 = 1 -> 2; -0.26/0.5 = -0.52 -> -1 -> 0; 1e9 -> 127; NaN -> zp; 0.25/0.5 = 0.5 -> 0 -> 1.
  const float in[] = {0.5f, -0.26f, 1e9f, NAN, 0.25f, -1e9f};
  std::vector<int8_t> y(6);
  f32_qs8_quantize__ref(q, 6, in, y.data());
  CHECK(y == I8({2, 0, 127, 1, 1, -128}));

  DequantizeParams d;
  d.scale = 0.1f;
  d.zero_point = -1;
  const auto x = I8({-128, 0, 127});
  float f[3];
  qs8_f32_dequantize__ref(d, 3, x.data(), f);
  CHECK(f[0] == doctest::Approx(-12.7f));
  CHECK(f[1] == doctest::Approx(0.1f));
  CHECK(f[2] == doctest::Approx(12.8f));

  RequantizeParams r;
  r.input_zero_point = 0;
  r.scale = 1.5f;
  r.output = {-5, -128, 127};
  const auto z = I8({0, 10, 1, 127, -128});
  std::vector<int8_t> out(5);
  qs8_requantize__ref(r, 5, z.data(), out.data());
  // 0 -> -5; 15 -> 10; 1.5 -> 2 -> -3; 190.5 -> 127; -192 -> -128
  CHECK(out == I8({-5, 10, -3, 127, -128}));
}
