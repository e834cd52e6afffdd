// Quantization math: parameter choice, quantize / dequantize, requantize,
// rounding ties, per-channel, and exhaustive round-trip bounds for 2..8 bits.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "quant/quantize.h"
#include "quant/requantize.h"

using namespace qwasm;
using namespace qwasm::quant;

TEST_CASE("the tutorial example done right: 8 bits over [-1, 1]") {
  // Uniform quantizer over [lo, hi]: step = 2/255, 0.5 -> rne(1.5 / step) =
  // rne(191.25) = 191 -> -1 + 191 * step = 0.49804 (the tutorial's 2048 is wrong).
  UniformRange r{-1.0f, 1.0f, 8};
  CHECK(r.step() == doctest::Approx(2.0 / 255).epsilon(1e-7));
  CHECK(r.step() == doctest::Approx(0.007843).epsilon(1e-4));
  CHECK(QuantizeUniform(0.5f, r) == 191);
  CHECK(DequantizeUniform(191, r) == doctest::Approx(0.49804).epsilon(1e-5));
  CHECK(QuantizeUniform(-1.0f, r) == 0);
  CHECK(QuantizeUniform(1.0f, r) == 255);
  CHECK(DequantizeUniform(255, r) == doctest::Approx(1.0f).epsilon(1e-6));

  // The same range with an integer zero point (what kernels use): zero must be
  // exact, so the zero point 127.5 is nudged half-to-even to 128 and 0.5 lands
  // on 128 + rne(63.75) = 192, i.e. 0.50196.
  AffineParams p = ChooseAffine(-1.0f, 1.0f, 8, /*is_signed=*/false).value();
  CHECK(p.scale == doctest::Approx(2.0 / 255).epsilon(1e-7));
  CHECK(p.zero_point == 128);
  CHECK(Quantize(0.5f, p) == 192);
  CHECK(Dequantize(192, p) == doctest::Approx(0.50196).epsilon(1e-5));
  CHECK(Dequantize(Quantize(0.0f, p), p) == 0.0f);
}

TEST_CASE("grids for 2..8 bits") {
  CHECK(AffineRange(8, false).qmin == 0);
  CHECK(AffineRange(8, false).qmax == 255);
  CHECK(AffineRange(8, true).qmin == -128);
  CHECK(AffineRange(8, true).qmax == 127);
  CHECK(AffineRange(2, false).qmax == 3);
  CHECK(AffineRange(4, true).qmin == -8);
  CHECK(SymmetricRange(8).qmin == -127);
  CHECK(SymmetricRange(8).qmax == 127);
  CHECK(SymmetricRange(2).qmin == -1);
  CHECK(SymmetricRange(2).qmax == 1);
  CHECK_FALSE(ChooseAffine(0, 1, 1, false).ok());
  CHECK_FALSE(ChooseAffine(0, 1, 9, false).ok());
  CHECK_FALSE(ChooseAffine(1, 0, 8, false).ok());
  CHECK_FALSE(ChooseAffine(0, INFINITY, 8, false).ok());
  CHECK_FALSE(ChooseSymmetric(-1, 8).ok());
}

TEST_CASE("rounding ties go to even, everywhere") {
  // RoundToQuant is the single rounding step of every kernel.
  CHECK(RoundToQuant(0.5f, 0, -128, 127) == 0);
  CHECK(RoundToQuant(1.5f, 0, -128, 127) == 2);
  CHECK(RoundToQuant(2.5f, 0, -128, 127) == 2);
  CHECK(RoundToQuant(-0.5f, 0, -128, 127) == 0);
  CHECK(RoundToQuant(-1.5f, 0, -128, 127) == -2);
  CHECK(RoundToQuant(-2.5f, 0, -128, 127) == -2);
  CHECK(RoundToQuant(2.5f, 10, -128, 127) == 12);
  // Just off a tie rounds to nearest.
  CHECK(RoundToQuant(std::nextafter(2.5f, 3.0f), 0, -128, 127) == 3);
  CHECK(RoundToQuant(std::nextafter(2.5f, 0.0f), 0, -128, 127) == 2);
  // Saturation, huge values and NaN are safe.
  CHECK(RoundToQuant(1e30f, 0, -128, 127) == 127);
  CHECK(RoundToQuant(-1e30f, 5, -128, 127) == -128);
  CHECK(RoundToQuant(INFINITY, 0, 0, 255) == 255);
  CHECK(RoundToQuant(NAN, 3, -128, 127) == 3);
  // Activation clamps narrower than the type.
  CHECK(RoundToQuant(-7.0f, -10, -10, 40) == -10);
  CHECK(RoundToQuant(100.0f, -10, -10, 40) == 40);
}

TEST_CASE("Requantize: fp32 scale, hand-computed") {
  // acc 1000 * 0.0123 = 12.3 -> 12, + zp 3 = 15
  CHECK(Requantize(1000, 0.0123f, 3, -128, 127) == 15);
  // acc -250 * 0.01 = -2.5 -> tie -> -2; + zp -128 = -130 -> clamp -128
  CHECK(Requantize(-250, 0.01f, -128, -128, 127) == -128);
  CHECK(Requantize(-250, 0.01f, 0, -128, 127) == -2);
  // float(acc) rounds to nearest even above 2^24: 16777217 -> 16777216
  CHECK(Requantize(16777217, 1.0f / 16777216.0f, 0, -128, 127) == 1);
  // RequantScale is computed in float32 as XNNPACK does: fl(fl(a * b) / c).
  CHECK(RequantScale(0.5f, 0.25f, 2.0f) == 0.0625f);
  volatile float a = 0.1f, b = 0.2f, c = 0.3f;  // volatile: no constant folding in double
  const float ab = a * b;
  CHECK(RequantScale(0.1f, 0.2f, 0.3f) == ab / c);
}

TEST_CASE("Requantize between two 8-bit grids") {
  AffineParams in{0.5f, 10, -128, 127};
  AffineParams out{0.25f, -5, -128, 127};
  // q = 13 -> real 1.5 -> 6 steps of 0.25 -> -5 + 6 = 1
  CHECK(quant::Requantize(13, in, out) == 1);
  // uint8 128 (zp 128, scale s) to int8 (zp 0, same s) is q - 128.
  AffineParams u8{0.1f, 128, 0, 255};
  AffineParams s8{0.1f, 0, -128, 127};
  for (int q = 0; q < 256; ++q) CHECK(quant::Requantize(q, u8, s8) == q - 128);
}

TEST_CASE("ChooseAffine covers the range, keeps zero exact") {
  AffineParams p = ChooseAffine(0.5f, 3.0f, 8, false).value();  // widened to [0, 3]
  CHECK(p.zero_point == 0);
  CHECK(p.scale == doctest::Approx(3.0 / 255).epsilon(1e-7));
  AffineParams n = ChooseAffine(-4.0f, -1.0f, 8, true).value();  // widened to [-4, 0]
  CHECK(n.zero_point == 127);
  CHECK(Dequantize(Quantize(0.0f, n), n) == 0.0f);
  AffineParams z = ChooseAffine(0.0f, 0.0f, 8, true).value();
  CHECK(Quantize(0.0f, z) == z.zero_point);
  AffineParams s = ChooseSymmetric(2.54f, 8).value();
  CHECK(s.zero_point == 0);
  CHECK(s.scale == doctest::Approx(0.02f));
  CHECK(Quantize(2.54f, s) == 127);
  CHECK(Quantize(-2.54f, s) == -127);
  CHECK(Quantize(-3.0f, s) == -127);  // narrow range: -128 is never used
}

// Checks |x - dequantize(quantize(x))| <= step / 2 for every x in the
// representable interval, sampled exhaustively over the grid: every level,
// every midpoint and its float neighbours, and 61 points inside each cell.
// Float arithmetic adds at most a couple of ulps of |x| on top of step / 2.
static void CheckRoundTrip(const AffineParams& p) {
  const double lo = static_cast<double>(p.scale) * (p.qmin - p.zero_point);
  const double hi = static_cast<double>(p.scale) * (p.qmax - p.zero_point);
  auto check = [&](float x) {
    if (x < lo || x > hi) return;
    const int32_t q = Quantize(x, p);
    REQUIRE(q >= p.qmin);
    REQUIRE(q <= p.qmax);
    const double err = std::fabs(static_cast<double>(x) - Dequantize(q, p));
    // Two float32 ulps of the operands (x / scale and the dequantizing product).
    const double slack = 2 * std::ldexp(1.0, std::ilogb(std::fabs(x) + p.scale) - 23);
    if (err > p.scale / 2.0 + slack) {
      FAIL("round trip error " << err << " > step/2 " << p.scale / 2.0 << " at x=" << x
                               << " scale=" << p.scale << " zp=" << p.zero_point);
    }
  };
  for (int32_t q = p.qmin; q <= p.qmax; ++q) {
    const double level = static_cast<double>(p.scale) * (q - p.zero_point);
    check(static_cast<float>(level));
    const float mid = static_cast<float>(level + p.scale / 2.0);
    check(mid);
    check(std::nextafter(mid, -INFINITY));
    check(std::nextafter(mid, INFINITY));
    for (int k = 1; k < 62; ++k) check(static_cast<float>(level + p.scale * k / 62.0));
  }
}

TEST_CASE("round trip error <= step/2 for 2..8 bits, affine and symmetric") {
  const float ranges[][2] = {{-1, 1}, {0, 6}, {-3.7f, 0.2f}, {-0.01f, 0.05f}, {-100, 37}};
  for (int bits = 2; bits <= 8; ++bits) {
    CAPTURE(bits);
    for (const auto& r : ranges) {
      CheckRoundTrip(ChooseAffine(r[0], r[1], bits, false).value());
      CheckRoundTrip(ChooseAffine(r[0], r[1], bits, true).value());
      CheckRoundTrip(ChooseSymmetric(std::max(std::fabs(r[0]), std::fabs(r[1])), bits).value());
    }
  }
}

TEST_CASE("uniform quantizer round trip error <= step/2 for 2..8 bits") {
  for (int bits = 2; bits <= 8; ++bits) {
    UniformRange r{-1.3f, 2.9f, bits};
    const int levels = (1 << bits) - 1;
    for (int i = 0; i <= levels * 64; ++i) {
      const float x = r.lo + (r.hi - r.lo) * static_cast<float>(i) / (levels * 64);
      const float back = DequantizeUniform(QuantizeUniform(x, r), r);
      CHECK(std::fabs(x - back) <= r.step() / 2 + 1e-6f);
    }
  }
}

TEST_CASE("per-channel symmetric quantization along any axis") {
  // Shape [2, 3] with channels on axis 1: absmax per column = {4, 0.5, 0}.
  const std::vector<float> w = {4.0f, -0.25f, 0.0f, -2.0f, 0.5f, 0.0f};
  PerChannelParams p = ChoosePerChannelSymmetric(w.data(), {2, 3}, 1, 8).value();
  REQUIRE(p.scale.size() == 3);
  CHECK(p.scale[0] == doctest::Approx(4.0 / 127));
  CHECK(p.scale[1] == doctest::Approx(0.5 / 127));
  CHECK(p.scale[2] == 1.0f);  // all-zero channel
  std::vector<int32_t> q(6);
  REQUIRE(QuantizePerChannel(w.data(), {2, 3}, p, q.data()).ok());
  CHECK(q == std::vector<int32_t>{127, -64, 0, -64, 127, 0});  // -0.25/(0.5/127) = -63.5 -> -64
  std::vector<float> back(6);
  REQUIRE(DequantizePerChannel(q.data(), {2, 3}, p, back.data()).ok());
  for (int i = 0; i < 6; ++i) CHECK(std::fabs(back[i] - w[i]) <= p.scale[i % 3] / 2 + 1e-7f);
  // Axis 0: absmax per row = {4, 2}.
  PerChannelParams rows = ChoosePerChannelSymmetric(w.data(), {2, 3}, 0, 4).value();
  CHECK(rows.scale[0] == doctest::Approx(4.0 / 7));
  CHECK(rows.scale[1] == doctest::Approx(2.0 / 7));
  CHECK_FALSE(ChoosePerChannelSymmetric(w.data(), {2, 3}, 2, 8).ok());
  PerChannelParams bad = p;
  bad.scale.pop_back();
  CHECK_FALSE(QuantizePerChannel(w.data(), {2, 3}, bad, q.data()).ok());
}
