// unary-tester.h — tester of the f32_unary family (CLAMP, HARD_SWISH,
// HARD_SIGMOID, LOGISTIC over n elements; callers offset the pointers to
// split work, as the tester's pieces do).
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// op with clamp_min / clamp_max (CLAMP) and alpha / beta (HARD_SIGMOID);
// inputs uniform in [-range, range], about one in `specials` a float
// special (0: none).
class F32UnaryTester : public ElementwiseKnobs<F32UnaryTester> {
  QWASM_TESTER_PARAMS(F32UnaryTester, DescribeParams, (UnaryOp, op, UnaryOp::kClamp), (float, clamp_min, -1.5f),
                      (float, clamp_max, 2.5f), (float, alpha, 0.2f), (float, beta, 0.5f), (float, range, 8.0f),
                      (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    FUnaryParams p;
    p.op = op_, p.min = clamp_min_, p.max = clamp_max_, p.alpha = alpha_, p.beta = beta_;
    ForEachDraw(*this, DescribeTester(*this, "f32_unary", config), [&](Rng& rng, const std::string& what) {
      std::vector<float> x = rng.Floats(size(), -range_, range_);
      SprinkleSpecials(rng, &x, specials_);
      ExpectElements<float>(
          rng, what, [&](float* want) { f32_unary__oracle(p, size(), x.data(), want); },
          [&](float* out, size_t begin, size_t end) { config.f32_unary(p, end - begin, x.data() + begin, out + begin); });
    });
  }
};

}  // namespace qwasm::testing
