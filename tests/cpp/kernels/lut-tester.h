// lut-tester.h — testers of the int8 table families: qs8_lut (every int8
// elementwise function: output[i] = table[input[i] + 128]) and its table
// builder qs8_lut_init_unary (not a table row: one definition for every
// build, checked against the oracle all the same).
#pragma once

#include "kernels/kernels.h"
#include "kernels/tester.h"

namespace qwasm::testing {

// The table of a QLutTester: random bytes, the identity, or reversed (-1 - q).
enum class LutTable { kRandom, kIdentity, kReversed };

// Inputs hold every byte value first when there is room, then random ones.
class QLutTester : public ElementwiseKnobs<QLutTester> {
  QWASM_TESTER_PARAMS(QLutTester, DescribeParams, (LutTable, table, LutTable::kRandom));

 public:
  void Test(const KernelConfig& config) const {
    ForEachDraw(*this, DescribeTester(*this, "qs8_lut", config), [&](Rng& rng, const std::string& what) {
      int8_t t[256];
      for (int i = 0; i < 256; ++i) {
        const int random = rng.Int(-128, 127);
        t[i] = static_cast<int8_t>(table_ == LutTable::kRandom ? random : table_ == LutTable::kIdentity ? i - 128 : 127 - i);
      }
      std::vector<int8_t> x = rng.Int8s(size());
      for (size_t i = 0; i < x.size() && i < 256; ++i) x[i] = static_cast<int8_t>(i);
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { qs8_lut__oracle(t, size(), x.data(), want); },
          [&](int8_t* out, size_t begin, size_t end) { config.qs8_lut(t, end - begin, x.data() + begin, out + begin); });
    });
  }
};

// qs8_lut_init_unary: table[q + 128] = RoundToQuant(f(input_scale (q -
// input_zero_point)) / output_scale) on the full int8 range; f is op with
// clamp_min / clamp_max (CLAMP) and alpha / beta (HARD_SIGMOID).
class LutInitUnaryTester {
  QWASM_TESTER_PARAMS(LutInitUnaryTester, DescribeParams, (UnaryOp, op, UnaryOp::kClamp),
                      (float, clamp_min, -std::numeric_limits<float>::infinity()),
                      (float, clamp_max, std::numeric_limits<float>::infinity()), (float, alpha, 0.2f),
                      (float, beta, 0.5f), (float, input_scale, 1.0f), (int32_t, input_zero_point, 0),
                      (float, output_scale, 1.0f), (int32_t, output_zero_point, 0));

 public:
  void Test() const {
    FUnaryParams f;
    f.op = op_, f.min = clamp_min_, f.max = clamp_max_, f.alpha = alpha_, f.beta = beta_;
    std::vector<int8_t> got(256), want(256);
    qs8_lut_init_unary(f, input_scale_, input_zero_point_, output_scale_, output_zero_point_, got.data());
    qs8_lut_init_unary__oracle(f, input_scale_, input_zero_point_, output_scale_, output_zero_point_, want.data());
    ExpectSame(got, want, DescribeTester(*this, "qs8_lut_init_unary", ReferenceKernels()));
  }
};

}  // namespace qwasm::testing
