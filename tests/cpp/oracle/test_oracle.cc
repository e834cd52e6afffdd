// The convolution oracles against hand-computed cases (the GEMM and
// depthwise ones meet theirs in tests/cpp/kernels). Every expected value
// was worked out by hand from the definitions (see the comments); ties are
// chosen on purpose to pin round-half-to-even.
#include <doctest/doctest.h>

#include <vector>

#include "oracle/oracle.h"

using namespace qwasm;

namespace {

WindowShape Shape(int in_h, int in_w, int in_c, int out_h, int out_w, int out_c, int kh, int kw) {
  WindowShape s;
  s.in_h = in_h, s.in_w = in_w, s.in_c = in_c;
  s.out_h = out_h, s.out_w = out_w, s.out_c = out_c;
  s.kernel_h = kh, s.kernel_w = kw;
  return s;
}

}  // namespace

TEST_CASE("qs8_conv2d__oracle: 2x2 VALID, zero points, ties to even") {
  // x - zx = [[1,2,3],[4,5,6],[7,8,9]] (zx = 1), w = [[1,2],[3,4]], bias 10:
  // acc = 10+1+4+12+20 = 47, 57, 77, 87; * 0.5 = 23.5, 28.5, 38.5, 43.5
  // -> rne 24, 28, 38, 44; + zo (-3) = 21, 25, 35, 41.
  const std::vector<int8_t> x = {2, 3, 4, 5, 6, 7, 8, 9, 10}, w = {1, 2, 3, 4};
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
  qs8_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == std::vector<int8_t>{21, 25, 35, 41});
}

TEST_CASE("qs8_conv2d__oracle: SAME padding with stride 2 skips padded taps") {
  // 4x4 input of real ones, 3x3 kernel of ones, stride 2, SAME: output 2x2,
  // pad_top = pad_left = 0 (total 1, all after). Counts of in-image taps:
  // 9, 6, 6, 4.
  const std::vector<int8_t> x(16, 5), w(9, 1);  // zx = 4 -> real 1
  const float scale[] = {1.0f};
  QConvParams p;
  p.shape = Shape(4, 4, 1, 2, 2, 1, 3, 3);
  p.shape.stride_h = p.shape.stride_w = 2;
  p.input_zero_point = 4;
  p.filter = w.data();
  p.scale = scale;
  std::vector<int8_t> y(4);
  qs8_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == std::vector<int8_t>{9, 6, 6, 4});
  // Padding before: pad_top = pad_left = 1 shifts the windows up-left.
  p.shape.pad_top = p.shape.pad_left = 1;
  qs8_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == std::vector<int8_t>{4, 6, 6, 9});
}

TEST_CASE("qs8_conv2d__oracle: channels, filter zero point, per-channel scale, clamp") {
  // 1x1 conv, x = [3, -2], zx = -1 -> [4, -1]; filter zero point 1 (a
  // shifted uint8 model): oc0 w = [1, 2] -> [0, 1], oc1 w = [3, -1] -> [2, -2].
  // acc0 = 5 + 4*0 + (-1)*1 = 4, acc1 = -3 + 4*2 + (-1)(-2) = 7.
  // * [2, 0.25] = 8, 1.75 -> 8, 2; clamp to [0, 6] (ReLU6 on scale 1) -> 6, 2.
  const std::vector<int8_t> x = {3, -2}, w = {1, 2, 3, -1};
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
  qs8_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == std::vector<int8_t>{6, 2});
}

TEST_CASE("qs8_conv2d__oracle: dilation") {
  // Row [1..5], kernel [1, 1] with dilation 2: out[i] = x[i] + x[i+2].
  const std::vector<int8_t> x = {1, 2, 3, 4, 5}, w = {1, 1};
  const float scale[] = {1.0f};
  QConvParams p;
  p.shape = Shape(1, 5, 1, 1, 3, 1, 1, 2);
  p.shape.dilation_w = 2;
  p.filter = w.data();
  p.scale = scale;
  std::vector<int8_t> y(3);
  qs8_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == std::vector<int8_t>{4, 6, 8});
}

TEST_CASE("f32_conv2d__oracle: taps in (ky, kx, ic) order after the bias, padding skipped, clamp") {
  // 2x2 input, 2 channels, 2x2 kernel SAME-padded to 2x2 output (pad after):
  // out(0,0) reads all 4 pixels, out(1,1) only pixel (1,1).
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8}, w = {1, 0, 0, 1, 1, 1, -1, 0};
  const float bias[] = {0.5f};
  FConvParams p;
  p.shape = Shape(2, 2, 2, 2, 2, 1, 2, 2);
  p.filter = w.data();
  p.bias = bias;
  std::vector<float> y(4);
  f32_conv2d__oracle(p, x.data(), y.data());
  // Pixels [1,2] [3,4] / [5,6] [7,8]; taps [1,0] [0,1] / [1,1] [-1,0].
  // (0,0): 0.5 + 1 + 4 + (5 + 6) - 7 = 9.5; (0,1): 0.5 + 3 + (7 + 8) = 18.5;
  // (1,0): 0.5 + 5 + 8 = 13.5; (1,1): 0.5 + 7 = 7.5.
  CHECK(y == std::vector<float>{9.5f, 18.5f, 13.5f, 7.5f});
  p.output = FOutput{0.0f, 10.0f};
  f32_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == std::vector<float>{9.5f, 10.0f, 10.0f, 7.5f});
}
