// pool-tester.h — testers of the pooling families: qs8_average_pool (rows x
// channels pieces), qs8_max_pool (rows), f32_average_pool and f32_max_pool
// (rows). Windows always overlap the image (padding below the kernel
// size), as prepare guarantees.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// Pools draw their input for a window and compare row (and channel)
// pieces of the kernel with the oracle.
template <typename Derived>
class PoolKnobs : public WindowKnobs<Derived> {
 protected:
  // draw(rng) -> input; oracle(input, want); run(input, out, r0, r1, c0, c1).
  template <typename T, typename Draw, typename Oracle, typename Run>
  void Check(const std::string& description, bool channel_pieces, Draw draw, Oracle oracle, Run run) const {
    const WindowShape s = this->CheckedShape(description);
    ForEachDraw(static_cast<const Derived&>(*this), description, [&](Rng& rng, const std::string& what) {
      const std::vector<T> x = draw(rng, static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.in_c);
      std::vector<T> want(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c);
      oracle(s, x.data(), want.data());
      this->ExpectWindowPieces(
          rng, s, want, channel_pieces ? 1 : 0,
          [&](T* out, size_t r0, size_t r1, size_t c0, size_t c1) { run(s, x.data(), out, r0, r1, c0, c1); }, what);
    });
  }
};

// qs8_average_pool: Requantize(sum over in-image cells of (x - zx),
// fl(scale_in / (scale_out * cells))), or with `rounding` (a PoolRounding)
// TFLite's rounding of the raw mean.
class QAveragePoolTester : public PoolKnobs<QAveragePoolTester>, public QOutputKnobs<QAveragePoolTester> {
  QWASM_TESTER_PARAMS(QAveragePoolTester, DescribeParams, (int32_t, input_zero_point, 0),
                      (double, input_over_output_scale, 1.0), (int, rounding, 0));

 public:
  void Test(const KernelConfig& config) const {
    auto params = [&](const WindowShape& s) {
      return QPoolParams{s, input_zero_point_, input_over_output_scale_, output(),
                         static_cast<PoolRounding>(rounding_)};
    };
    Check<int8_t>(
        DescribeTester(*this, "qs8_average_pool", config), true, [](Rng& rng, size_t n) { return rng.Int8Data(n); },
        [&](const WindowShape& s, const int8_t* x, int8_t* want) { qs8_average_pool__oracle(params(s), x, want); },
        [&](const WindowShape& s, const int8_t* x, int8_t* out, size_t r0, size_t r1, size_t c0, size_t c1) {
          config.qs8_average_pool(params(s), r0, r1, c0, c1, x, out);
        });
  }
};

// qs8_max_pool: the window max (padding ignored), clamped.
class QMaxPoolTester : public PoolKnobs<QMaxPoolTester>, public QOutputKnobs<QMaxPoolTester> {
  QWASM_TESTER_PARAMS(QMaxPoolTester, DescribeParams, (bool, random_data, true));

 public:
  void Test(const KernelConfig& config) const {
    Check<int8_t>(
        DescribeTester(*this, "qs8_max_pool", config), false,
        [&](Rng& rng, size_t n) { return random_data_ ? rng.Int8Data(n) : std::vector<int8_t>(n, -128); },
        [&](const WindowShape& s, const int8_t* x, int8_t* want) { qs8_max_pool__oracle({s, output()}, x, want); },
        [&](const WindowShape& s, const int8_t* x, int8_t* out, size_t r0, size_t r1, size_t, size_t) {
          config.qs8_max_pool({s, output()}, r0, r1, x, out);
        });
  }
};

// f32_average_pool / f32_max_pool; about one input in `specials` a float
// special (0: none).
class F32PoolTester : public PoolKnobs<F32PoolTester>, public FOutputKnobs<F32PoolTester> {
  QWASM_TESTER_PARAMS(F32PoolTester, DescribeParams, (bool, max, false), (bool, count_include_pad, false),
                      (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    const FPoolFn fn = max_ ? config.f32_max_pool : config.f32_average_pool;
    Check<float>(
        DescribeTester(*this, max_ ? "f32_max_pool" : "f32_average_pool", config), false,
        [&](Rng& rng, size_t n) {
          std::vector<float> x = rng.Floats(n, -4.0f, 4.0f);
          SprinkleSpecials(rng, &x, specials_);
          return x;
        },
        [&](const WindowShape& s, const float* x, float* want) {
          (max_ ? f32_max_pool__oracle : f32_average_pool__oracle)({s, count_include_pad_, output()}, x, want);
        },
        [&](const WindowShape& s, const float* x, float* out, size_t r0, size_t r1, size_t, size_t) {
          fn({s, count_include_pad_, output()}, r0, r1, x, out);
        });
  }
};

}  // namespace qwasm::testing
