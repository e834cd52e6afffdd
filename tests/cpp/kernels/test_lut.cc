// The int8 table families on every kernel table: qs8_lut at every size and
// split with random, identity and reversed tables; qs8_lut_init_unary (the
// table of every int8 elementwise function) against the oracle on
// asymmetric grids.
#include "kernels/lut-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

QWASM_KERNEL_TEST("qs8_lut: every size, splits, random / identity / reversed tables") {
  Rng rng(6);
  for (size_t n : ElementwiseSizes(rng)) {
    QLutTester().size(n).split(AxisSplit::Random(rng.Int(0, 3))).seed(static_cast<uint32_t>(n)).Test(config);
  }
  for (LutTable t : {LutTable::kIdentity, LutTable::kReversed}) {
    for (size_t n : {1, 15, 16, 17, 256, 300}) QLutTester().size(n).table(t).split(AxisSplit(1, n - 1)).Test(config);
  }
}

TEST_CASE("qs8_lut_init_unary: every unary function on asymmetric and extreme grids") {
  Rng rng(8);
  for (UnaryOp op : {UnaryOp::kClamp, UnaryOp::kHardSwish, UnaryOp::kHardSigmoid, UnaryOp::kLogistic}) {
    for (int i = 0; i < 25; ++i) {
      LutInitUnaryTester().op(op).clamp_min(rng.Real(-3.0f, 0.0f)).clamp_max(rng.Real(0.0f, 6.0f))
          .alpha(rng.Real(0.1f, 0.3f)).beta(rng.Real(0.3f, 0.7f)).input_scale(rng.Scale(-8, 0))
          .input_zero_point(rng.Int8Extreme()).output_scale(rng.Scale(-9, -1)).output_zero_point(rng.Int8Extreme())
          .Test();
    }
    // Half-step grids (out_scale = 2 in_scale, not powers of two): every
    // other entry is a tie up to the last ulp of the division.
    for (float in_scale : {0.05f, 0.15f, 0.0123f, 0.7f}) {
      for (int32_t zp : {-128, -3, 0, 127}) {
        LutInitUnaryTester().op(op).input_scale(in_scale).input_zero_point(zp).output_scale(2 * in_scale)
            .output_zero_point(-zp / 2).Test();
      }
    }
    // Output grids so coarse or fine that most entries saturate.
    LutInitUnaryTester().op(op).input_scale(0.5f).output_scale(0x1p-12f).Test();
    LutInitUnaryTester().op(op).input_scale(0x1p-12f).input_zero_point(-128).output_scale(64.0f).Test();
  }
}
