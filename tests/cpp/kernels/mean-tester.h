// mean-tester.h — testers of the mean-over-H-and-W families (qs8_mean_hw,
// f32_mean_hw): [n][h][w][c] -> [n][c], computed in channel ranges (every
// batch each).
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// What both mean testers vary; Check draws, runs channel pieces, compares.
template <typename Derived>
class MeanKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeKnobs, (int, batch, 1), (int, height, 1), (int, width, 1), (int, channels, 1),
                      (AxisSplit, channel_split, AxisSplit()), (uint32_t, seed, 1), (int, iterations, 1));

 protected:
  // draw(rng, n) -> input; oracle(input, want); run(input, out, c0, c1).
  template <typename T, typename Draw, typename Oracle, typename Run>
  void Check(const std::string& description, Draw draw, Oracle oracle, Run run) const {
    ForEachDraw(static_cast<const Derived&>(*this), description, [&](Rng& rng, const std::string& what) {
      const std::vector<T> x = draw(rng, static_cast<size_t>(batch_) * height_ * width_ * channels_);
      std::vector<T> want(static_cast<size_t>(batch_) * channels_);
      oracle(x.data(), want.data());
      ExpectRowChannelPieces(
          rng, want, 1, static_cast<size_t>(batch_), static_cast<size_t>(channels_), AxisSplit(), &channel_split_, 1,
          [&](T* out, size_t r0, size_t r1, size_t c0, size_t c1) {
            if (r0 < r1) run(x.data(), out, c0, c1);
          },
          what);
    });
  }
};

// qs8_mean_hw: Requantize(sum (x - zx), fl(scale_in / (scale_out * H * W))).
class QMeanTester : public MeanKnobs<QMeanTester>, public QOutputKnobs<QMeanTester> {
  QWASM_TESTER_PARAMS(QMeanTester, DescribeParams, (int32_t, input_zero_point, 0),
                      (double, input_over_output_scale, 1.0));

 public:
  void Test(const KernelConfig& config) const {
    const QMeanParams p{batch(), height(), width(), channels(), input_zero_point_, input_over_output_scale_, output()};
    Check<int8_t>(
        DescribeTester(*this, "qs8_mean_hw", config), [](Rng& rng, size_t n) { return rng.Int8Data(n); },
        [&](const int8_t* x, int8_t* want) { qs8_mean_hw__oracle(p, x, want); },
        [&](const int8_t* x, int8_t* out, size_t c0, size_t c1) { config.qs8_mean_hw(p, c0, c1, x, out); });
  }
};

// f32_mean_hw: the sum in (h, w) order divided by H * W; about one input in
// `specials` a float special (0: none).
class F32MeanTester : public MeanKnobs<F32MeanTester> {
  QWASM_TESTER_PARAMS(F32MeanTester, DescribeParams, (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    const FMeanParams p{batch(), height(), width(), channels()};
    Check<float>(
        DescribeTester(*this, "f32_mean_hw", config),
        [&](Rng& rng, size_t n) {
          std::vector<float> x = rng.Floats(n);
          SprinkleSpecials(rng, &x, specials_);
          return x;
        },
        [&](const float* x, float* want) { f32_mean_hw__oracle(p, x, want); },
        [&](const float* x, float* out, size_t c0, size_t c1) { config.f32_mean_hw(p, c0, c1, x, out); });
  }
};

}  // namespace qwasm::testing
