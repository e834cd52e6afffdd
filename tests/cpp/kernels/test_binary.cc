// The binary elementwise families (qs8_add in both arithmetics, qs8_mul,
// f32_add, f32_mul) on every kernel table: sizes around the vector widths,
// range splits, broadcast sizes, extreme zero points and multipliers, ties,
// saturation, float specials; hand-computed cases.
#include "kernels/binary-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// Fixed-point multipliers as PrepareAdd makes them: the larger input /
// output scale ratio gets 21 significant bits, the shared shift sets the
// scale.
QAddTester FixedPointAdd(Rng& rng) {
  const float a_ratio = rng.Scale(-9, 9), b_ratio = rng.Scale(-9, 9);
  const int shift = 20 - std::ilogb(std::max(a_ratio, b_ratio));
  QAddTester t;
  t.a_multiplier(static_cast<int32_t>(std::nearbyint(std::ldexp(double{a_ratio}, shift))));
  t.b_multiplier(static_cast<int32_t>(std::nearbyint(std::ldexp(double{b_ratio}, shift))));
  t.scale(std::ldexp(1.0f, -shift));
  return t;
}

// ONNX Runtime's arithmetic; uint8 models round around the uint8 zero
// point (zero_point + 128).
QAddTester OnnxAdd(Rng& rng, const QOutput& out) {
  QAddTester t;
  t.float_rescale(true).a_scale(rng.Scale(-12, 2)).b_scale(rng.Scale(-12, 2)).output_scale(rng.Scale(-12, 2));
  t.rounding_zero_point(out.zero_point + (rng.Int(0, 1) ? 128 : 0));
  return t;
}

// A hand-computed add: the oracle and every table give `want`.
void CheckAdd(const QAddParams& p, const std::vector<int8_t>& a, const std::vector<int8_t>& b,
              const std::vector<int8_t>& want) {
  std::vector<int8_t> out(want.size());
  qs8_add__oracle(p, a.data(), b.data(), out.data());
  CHECK(out == want);
  ForEachConfig([&](const KernelConfig& config) {
    config.qs8_add(p, 0, p.size, a.data(), b.data(), out.data());
    CHECK(out == want);
  });
}

}  // namespace

QWASM_KERNEL_TEST("qs8_add: fixed point, sizes 0..100, around the vector width and large, random splits") {
  Rng rng(1);
  for (size_t n : ElementwiseSizes(rng)) {
    FixedPointAdd(rng).size(n).a_zero_point(rng.Int8Extreme()).b_zero_point(rng.Int8Extreme())
        .output(RandomActivation(rng, rng.Scale(-8, 0))).split(AxisSplit::Random(rng.Int(0, 3)))
        .seed(static_cast<uint32_t>(n)).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_add: ONNX float rescaling, rounding after the uint8 zero point, every size") {
  Rng rng(11);
  for (size_t n : ElementwiseSizes(rng)) {
    const QOutput out = RandomActivation(rng, rng.Scale(-8, 0));
    OnnxAdd(rng, out).size(n).a_zero_point(rng.Int8Extreme()).b_zero_point(rng.Int8Extreme()).output(out)
        .split(AxisSplit::Random(rng.Int(0, 3))).seed(static_cast<uint32_t>(n)).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_add: ranges starting and ending around the vector width") {
  for (size_t begin : {0, 1, 15, 16, 17, 31, 32, 33}) {
    for (size_t end : {begin, begin + 1, begin + 15, begin + 16, begin + 17, size_t{70}}) {
      for (bool onnx : {false, true}) {
        QAddTester().size(70).split(AxisSplit(begin, end)).float_rescale(onnx).a_scale(0.25f).b_scale(0.5f)
            .a_zero_point(-3).b_zero_point(9).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_add: extreme multipliers and zero points, accumulators at their largest, saturation") {
  const int32_t big = (1 << 21) - 1;  // 2^21 * 255 * 2 < 2^31
  for (int32_t za : {-128, 127}) {
    for (int32_t zb : {-128, 127}) {
      for (int fill : {-128, 127, kRandom}) {
        QAddTester().size(37).a_multiplier(big).b_multiplier(big).scale(0x1p-21f).a_zero_point(za)
            .b_zero_point(zb).a_fill(fill).b_fill(-zb - 1).Test(config);
        QAddTester().size(37).a_multiplier(big).b_multiplier(1).scale(0x1p-23f).a_zero_point(za).b_zero_point(zb)
            .a_fill(-za - 1).b_fill(fill).output_zero_point(za).output_min(-100).output_max(100).Test(config);
        QAddTester().size(37).float_rescale(true).a_scale(8.0f).b_scale(0x1p-10f).output_scale(0x1p-3f)
            .a_zero_point(za).b_zero_point(zb).a_fill(fill).output_zero_point(zb).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_add: exact ties round half to even in both arithmetics") {
  for (int32_t zo : {-128, -1, 0, 1, 127}) {
    // acc * 0.5 and (a + b) / 2: every odd sum is a tie.
    QAddTester().size(67).a_multiplier(1).b_multiplier(1).scale(0.5f).output_zero_point(zo).iterations(3)
        .Test(config);
    QAddTester().size(67).float_rescale(true).a_scale(0.5f).b_scale(0.5f).output_scale(1.0f)
        .output_zero_point(zo).rounding_zero_point(zo + 128).iterations(3).Test(config);
    QAddTester().size(67).float_rescale(true).a_scale(0.5f).b_scale(0.25f).output_scale(0.5f)
        .output_zero_point(zo).rounding_zero_point(zo).iterations(3).Test(config);
  }
}

TEST_CASE("qs8_add: hand-computed, integer multipliers, ties and saturation") {
  // a' = a - 2, b' = b + 3; acc = 2 a' + 1 b'; out = rne(acc * 0.25):
  // a' = [8, -22, 125, 3, 125], b' = [8, 8, -125, 4, 130]
  // acc = [24, -36, 125, 10, 380] -> 6, -9, 31.25 -> 31, 2.5 -> 2 (tie to even), 95.
  const std::vector<int8_t> a = {10, -20, 127, 5, 127}, b = {5, 5, -128, 1, 127};
  QAddParams p;
  p.size = 5;
  p.a_zero_point = 2;
  p.b_zero_point = -3;
  p.a_multiplier = 2;
  p.b_multiplier = 1;
  p.scale = 0.25f;
  CheckAdd(p, a, b, {6, -9, 31, 2, 95});
  p.output = {10, -128, 100};  // zero point 10 and a clamp at 100
  CheckAdd(p, a, b, {16, 1, 41, 12, 100});
  // Extreme multipliers stay exact in int32: 2^21 * 255 * 2 < 2^31.
  p.a_multiplier = p.b_multiplier = (1 << 21) - 1;
  p.scale = 1.0f / (1 << 21);
  p.output = {0, -128, 127};
  p.size = 2;
  p.a_zero_point = p.b_zero_point = -128;
  CheckAdd(p, {127, -128}, {127, -128}, {127, 0});  // 510 (saturated), 0
}

TEST_CASE("qs8_add: hand-computed ONNX float rescaling, rounding after the zero point") {
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
  const std::vector<int8_t> a = {10, -20, 127, 5, 127}, b = {5, 4, -128, 0, 127};
  p.size = 5;
  CheckAdd(p, a, b, {12, -18, 62, 4, 127});
  // The fixed-point arithmetic with the same ratios (1 and 0.5 as 2 and 1 at
  // scale 0.5) gives the same on these exact ratios.
  QAddParams f;
  f.size = 5, f.a_zero_point = 2, f.b_zero_point = -3;
  f.a_multiplier = 2, f.b_multiplier = 1, f.scale = 0.5f;
  CheckAdd(f, a, b, {12, -18, 62, 4, 127});
  // Where the order matters: x = 0.5 + 2^-24 rounds to 1 on its own, but
  // ONNX Runtime adds the uint8 zero point first: 100.50000006 is not a
  // float, the sum rounds to 100.5, which rounds (to even) to 100.
  p.a_scale = 0.5f, p.b_scale = std::ldexp(1.0f, -24), p.output_scale = 1.0f;
  p.a_zero_point = p.b_zero_point = 0;
  p.output = {100 - 128, -128, 127};  // a uint8 tensor with zero point 100
  p.rounding_zero_point = 100;
  p.size = 1;
  CheckAdd(p, {1}, {1}, {100 - 128});  // real value 0, not 1 step
  p.rounding_zero_point = p.output.zero_point;  // an int8 model: -27.49999994 -> -27.5 -> -28
  CheckAdd(p, {1}, {1}, {-28});
  p.output = {0, -128, 127};  // zero point 0: x itself is rounded, to 1
  p.rounding_zero_point = 0;
  CheckAdd(p, {1}, {1}, {1});
}

QWASM_KERNEL_TEST("qs8_mul: sizes, broadcast sizes, zero points, saturation, range splits") {
  Rng rng(3);
  for (size_t n = 0; n <= 70; ++n) {
    QMulTester().size(n).a_zero_point(rng.Int8Extreme()).b_zero_point(rng.Int8Extreme())
        .scale(rng.Scale(-16, -4)).output(RandomActivation(rng, 0.05f)).split(AxisSplit::Random(2))
        .seed(static_cast<uint32_t>(n)).Test(config);
  }
  for (size_t b_size : {1, 2, 3, 16, 17}) {
    for (size_t repeat : {1, 2, 7}) {
      QMulTester().size(b_size * repeat).b_size(b_size).a_zero_point(-128).b_zero_point(127).scale(0x1p-9f)
          .split(AxisSplit(1, b_size * repeat - 1)).Test(config);
      QMulTester().size(b_size * repeat).b_size(b_size).scale(rng.Scale(-8, 0)).output_min(-7).output_max(7)
          .split(AxisSplit::Random(3)).Test(config);
    }
  }
  QMulTester().size(4099).b_size(4099).scale(0x1p-15f).Test(config);
}

QWASM_KERNEL_TEST("f32_add / f32_mul: sizes around the 4-lane vector and range splits") {
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul}) {
    for (size_t n = 0; n <= 70; ++n) {
      F32BinaryTester().op(op).size(n).split(AxisSplit::Random(2)).seed(static_cast<uint32_t>(n)).Test(config);
    }
    for (size_t begin : {0, 1, 3, 4, 5}) {
      for (size_t end : {begin, begin + 1, begin + 4, begin + 7, size_t{20}}) {
        F32BinaryTester().op(op).size(20).split(AxisSplit(begin, end)).Test(config);
      }
    }
    F32BinaryTester().op(op).size(10007).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_add / f32_mul: broadcast sizes, ranges that start inside a broadcast period") {
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul}) {
    for (size_t b_size : {1, 2, 3, 4, 5, 8, 9, 17, 23}) {
      for (size_t repeat : {1, 2, 5, 9}) {
        const size_t n = b_size * repeat;
        F32BinaryTester().op(op).size(n).b_size(b_size).split(AxisSplit(b_size / 2 + 1, n - 1)).Test(config);
        F32BinaryTester().op(op).size(n).b_size(b_size).split(AxisSplit::Random(3)).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("f32_add / f32_mul: NaN, infinities, huge and denormal values; clamps") {
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul}) {
    for (size_t b_size : {0, 1, 6}) {
      F32BinaryTester().op(op).size(66).b_size(b_size).specials(3).iterations(4).Test(config);
      F32BinaryTester().op(op).size(66).b_size(b_size).specials(5).output_min(0.0f).output_max(6.0f).Test(config);
    }
    Rng rng(5);
    for (int i = 0; i < 300; ++i) {
      const size_t b_size = rng.Index(1, 23);
      F32BinaryTester().op(op).size(b_size * rng.Index(1, 9)).b_size(rng.OneIn(5) ? 1 : b_size)
          .specials(rng.OneIn(4) ? 20 : 0).output(RandomFloatClamp(rng)).split(AxisSplit::Random(1))
          .seed(static_cast<uint32_t>(i)).Test(config);
    }
  }
}
