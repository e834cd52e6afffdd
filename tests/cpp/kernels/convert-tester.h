// convert-tester.h — testers of the conversion families: f32_qs8_quantize,
// qs8_f32_dequantize and qs8_requantize. They take n elements; callers split
// work by offsetting the pointers, which the testers do piece by piece.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// f32_qs8_quantize: RoundToQuant(x / scale). One input in `specials` is a
// float special, one in `ties` an exact (k + 1/2) * scale (a tie for
// power-of-two scales), the rest uniform in [-range, range] * scale.
class QuantizeTester : public ElementwiseKnobs<QuantizeTester>, public QOutputKnobs<QuantizeTester> {
  QWASM_TESTER_PARAMS(QuantizeTester, DescribeParams, (float, scale, 1.0f), (int, specials, 10), (int, ties, 5),
                      (float, range, 300.0f));

 public:
  void Test(const KernelConfig& config) const {
    const QuantizeParams p{scale_, output()};
    ForEachDraw(*this, DescribeTester(*this, "f32_qs8_quantize", config), [&](Rng& rng, const std::string& what) {
      std::vector<float> x(size());
      for (float& v : x) {
        const bool tie = ties_ && rng.OneIn(ties_);
        v = tie ? (static_cast<float>(rng.Int(-300, 300)) + 0.5f) * scale_ : rng.Real(-range_, range_) * scale_;
      }
      SprinkleSpecials(rng, &x, specials_);
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { f32_qs8_quantize__oracle(p, size(), x.data(), want); },
          [&](int8_t* out, size_t begin, size_t end) {
            config.f32_qs8_quantize(p, end - begin, x.data() + begin, out + begin);
          });
    });
  }
};

// qs8_f32_dequantize: scale * (q - zero_point), compared bit for bit.
class DequantizeTester : public ElementwiseKnobs<DequantizeTester> {
  QWASM_TESTER_PARAMS(DequantizeTester, DescribeParams, (float, scale, 1.0f), (int32_t, zero_point, 0));

 public:
  void Test(const KernelConfig& config) const {
    const DequantizeParams p{scale_, zero_point_};
    ForEachDraw(*this, DescribeTester(*this, "qs8_f32_dequantize", config), [&](Rng& rng, const std::string& what) {
      const std::vector<int8_t> q = rng.Int8Data(size());
      auto run = [&](float* out, size_t begin, size_t end) {
        config.qs8_f32_dequantize(p, end - begin, q.data() + begin, out + begin);
      };
      ExpectElements<float>(
          rng, what, [&](float* want) { qs8_f32_dequantize__oracle(p, size(), q.data(), want); }, run, 0,
          /*bits=*/true);
    });
  }
};

// qs8_requantize: Requantize(q - input_zero_point, scale) onto the output grid.
class RequantizeTester : public ElementwiseKnobs<RequantizeTester>, public QOutputKnobs<RequantizeTester> {
  QWASM_TESTER_PARAMS(RequantizeTester, DescribeParams, (int32_t, input_zero_point, 0), (float, scale, 1.0f));

 public:
  void Test(const KernelConfig& config) const {
    const RequantizeParams p{input_zero_point_, scale_, output()};
    ForEachDraw(*this, DescribeTester(*this, "qs8_requantize", config), [&](Rng& rng, const std::string& what) {
      const std::vector<int8_t> x = rng.Int8Data(size());
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { qs8_requantize__oracle(p, size(), x.data(), want); },
          [&](int8_t* out, size_t begin, size_t end) {
            config.qs8_requantize(p, end - begin, x.data() + begin, out + begin);
          });
    });
  }
};

}  // namespace qwasm::testing
