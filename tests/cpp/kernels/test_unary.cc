// The f32_unary family on every kernel table: each function at sizes
// around the 4-lane vector, pointer-offset splits, NaN / infinities /
// signed zeros, inputs where the clamps bend.
#include "kernels/unary-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

const UnaryOp kOps[] = {UnaryOp::kClamp, UnaryOp::kHardSwish, UnaryOp::kHardSigmoid, UnaryOp::kLogistic};

}  // namespace

QWASM_KERNEL_TEST("f32_unary: every function, sizes 0..40 and large, splits") {
  for (UnaryOp op : kOps) {
    for (size_t n = 0; n <= 40; ++n) {
      F32UnaryTester().op(op).size(n).split(AxisSplit::Random(2)).seed(static_cast<uint32_t>(n)).Test(config);
    }
    F32UnaryTester().op(op).size(4099).split(AxisSplit(1, 4003)).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_unary: NaN, infinities, huge values, around the bends of the clamps") {
  for (UnaryOp op : kOps) {
    for (int one_in : {2, 10}) F32UnaryTester().op(op).size(67).specials(one_in).iterations(3).Test(config);
    F32UnaryTester().op(op).size(67).range(3.5f).iterations(3).Test(config);  // hard swish / sigmoid bends at +-3, +-2.5
    F32UnaryTester().op(op).size(67).range(100.0f).Test(config);             // logistic saturates
    F32UnaryTester().op(op).size(67).clamp_min(0.0f).clamp_max(0.0f).alpha(1.0f / 6).beta(0.5f).Test(config);
  }
  Rng rng(9);
  for (int i = 0; i < 300; ++i) {
    const size_t b = rng.Index(1, 23);
    F32UnaryTester().op(kOps[rng.Int(0, 3)]).size(b * rng.Index(1, 9)).specials(rng.OneIn(4) ? 10 : 0)
        .seed(static_cast<uint32_t>(i)).Test(config);
  }
}
