// The conversion families (f32_qs8_quantize, qs8_f32_dequantize,
// qs8_requantize) on every kernel table: every size 0..100 and large ones,
// pointer-offset splits, extreme zero points, saturating and tiny scales,
// NaN / infinities / ties; hand-computed cases.
#include "kernels/convert-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

QWASM_KERNEL_TEST("f32_qs8_quantize: every size, NaN, infinities and exact ties") {
  Rng rng(4);
  for (size_t n : ElementwiseSizes(rng)) {
    // With power-of-two scales (k + 1/2) * scale is an exact tie after the division.
    const float scale = rng.Scale(-10, 4);
    QuantizeTester().size(n).scale(scale).output(RandomActivation(rng, scale)).split(AxisSplit::Random(rng.Int(0, 3)))
        .seed(static_cast<uint32_t>(n)).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_qs8_quantize: saturation at both ends, clamps, zero points at the extremes") {
  for (int32_t zp : {-128, 0, 127}) {
    for (float range : {1.0f, 200.0f, 1e30f}) {
      QuantizeTester().size(77).scale(0.5f).range(range).output_zero_point(zp).iterations(2).Test(config);
      QuantizeTester().size(77).scale(0x1p-7f).range(range).output_zero_point(zp).output_min(-3).output_max(3)
          .specials(3).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("qs8_f32_dequantize: every size, bit for bit, denormal scales") {
  Rng rng(3);
  for (size_t n : ElementwiseSizes(rng)) {
    const float scale = rng.OneIn(10) ? std::numeric_limits<float>::denorm_min() : rng.Scale(-20, 20);
    DequantizeTester().size(n).scale(scale).zero_point(rng.Int8Extreme()).split(AxisSplit::Random(rng.Int(0, 3)))
        .seed(static_cast<uint32_t>(n)).Test(config);
  }
  for (float scale : {std::numeric_limits<float>::max(), 0x1p-149f, 1.0f}) {
    DequantizeTester().size(33).scale(scale).zero_point(-128).Test(config);
    DequantizeTester().size(33).scale(scale).zero_point(127).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_requantize: every size, zero points, scales from tiny to saturating") {
  Rng rng(2);
  for (size_t n : ElementwiseSizes(rng)) {
    RequantizeTester().size(n).input_zero_point(rng.Int8Extreme()).scale(rng.Scale(-8, 8))
        .output(RandomActivation(rng, rng.Scale(-8, 0))).split(AxisSplit::Random(rng.Int(0, 3)))
        .seed(static_cast<uint32_t>(n)).Test(config);
  }
  for (int32_t zi : {-128, 127}) {
    for (float scale : {0.5f, 1.0f, 1.5f, 256.0f, 0x1p-9f}) {  // ties at 0.5 and 1.5
      RequantizeTester().size(50).input_zero_point(zi).scale(scale).output_zero_point(-zi - 1).Test(config);
    }
  }
}

TEST_CASE("conversions: hand-computed quantize, dequantize, requantize") {
  // 0.5/0.5 = 1 -> 2; -0.26/0.5 = -0.52 -> -1 -> 0; 1e9 -> 127; NaN -> zp;
  // 0.25/0.5 = 0.5 -> 0 (tie to even) -> 1; -1e9 -> -128.
  QuantizeParams q;
  q.scale = 0.5f;
  q.output = {1, -128, 127};
  const float in[] = {0.5f, -0.26f, 1e9f, NAN, 0.25f, -1e9f};
  const std::vector<int8_t> quantized = {2, 0, 127, 1, 1, -128};
  // 0 -> -5; 15 -> 10; 1.5 -> 2 -> -3; 190.5 -> 127; -192 -> -128
  RequantizeParams r;
  r.scale = 1.5f;
  r.output = {-5, -128, 127};
  const std::vector<int8_t> z = {0, 10, 1, 127, -128}, requantized = {-5, 10, -3, 127, -128};
  DequantizeParams d;
  d.scale = 0.1f;
  d.zero_point = -1;
  const std::vector<int8_t> x = {-128, 0, 127};
  std::vector<int8_t> y(6), out(5);
  float f[3];
  f32_qs8_quantize__oracle(q, 6, in, y.data());
  CHECK(y == quantized);
  qs8_requantize__oracle(r, 5, z.data(), out.data());
  CHECK(out == requantized);
  qs8_f32_dequantize__oracle(d, 3, x.data(), f);
  CHECK(f[0] == doctest::Approx(-12.7f));
  ForEachConfig([&](const KernelConfig& config) {
    CAPTURE(config.name);
    config.f32_qs8_quantize(q, 6, in, y.data());
    CHECK(y == quantized);
    config.qs8_requantize(r, 5, z.data(), out.data());
    CHECK(out == requantized);
    config.qs8_f32_dequantize(d, 3, x.data(), f);
    CHECK(f[0] == doctest::Approx(-12.7f));
    CHECK(f[1] == doctest::Approx(0.1f));
    CHECK(f[2] == doctest::Approx(12.8f));
  });
}
