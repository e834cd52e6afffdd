// softmax-tester.h — testers of the softmax families (qs8_softmax with its
// TFLite and ONNX Runtime tables, f32_softmax), computed in row ranges.
#pragma once

#include "kernels/kernels.h"
#include "kernels/tester.h"

namespace qwasm::testing {

// What both softmax testers vary; Check draws, runs row pieces, compares.
template <typename Derived>
class SoftmaxKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeKnobs, (int, rows, 1), (int, cols, 1), (float, beta, 1.0f),
                      (AxisSplit, row_split, AxisSplit()), (uint32_t, seed, 1), (int, iterations, 1));

 protected:
  // draw(rng, n) -> input; oracle(input, want); run(input, out, r0, r1).
  template <typename T, typename Draw, typename Oracle, typename Run>
  void Check(const std::string& description, Draw draw, Oracle oracle, Run run) const {
    ForEachDraw(static_cast<const Derived&>(*this), description, [&](Rng& rng, const std::string& what) {
      const std::vector<T> x = draw(rng, static_cast<size_t>(rows_) * cols_);
      std::vector<T> want(x.size());
      oracle(x.data(), want.data());
      ExpectRowChannelPieces(
          rng, want, static_cast<size_t>(rows_), 1, static_cast<size_t>(cols_), row_split_, nullptr, 0,
          [&](T* out, size_t r0, size_t r1, size_t, size_t) { run(x.data(), out, r0, r1); }, what);
    });
  }
};

// qs8_softmax from a 256-entry exponential table: qs8_softmax_init(beta,
// input_scale), or qs8_softmax_init_onnx with onnx_numerics. Inputs:
// random int8 data clamped to [input_min, input_max].
class QSoftmaxTester : public SoftmaxKnobs<QSoftmaxTester>, public QOutputKnobs<QSoftmaxTester> {
  QWASM_TESTER_PARAMS(QSoftmaxTester, DescribeParams, (bool, onnx_numerics, false), (float, input_scale, 0.1f),
                      (float, output_scale, 1.0f / 256), (int, input_min, -128), (int, input_max, 127));

 public:
  void Test(const KernelConfig& config) const {
    float table[256];
    if (onnx_numerics_) {
      qs8_softmax_init_onnx(input_scale_, cols(), table);
    } else {
      qs8_softmax_init(beta(), input_scale_, table);
    }
    const QSoftmaxParams p{rows(), cols(), table, output_scale_, onnx_numerics_, output()};
    Check<int8_t>(
        DescribeTester(*this, "qs8_softmax", config),
        [&](Rng& rng, size_t n) {
          std::vector<int8_t> x = rng.Int8Data(n);
          for (int8_t& v : x) v = static_cast<int8_t>(std::clamp<int>(v, input_min_, input_max_));
          return x;
        },
        [&](const int8_t* x, int8_t* want) { qs8_softmax__oracle(p, x, want); },
        [&](const int8_t* x, int8_t* out, size_t r0, size_t r1) { config.qs8_softmax(p, r0, r1, x, out); });
  }
};

// f32_softmax: exp(beta (x - max)) / sum, summed in index order; inputs
// uniform in [-range, range], about one in `specials` a float special.
class F32SoftmaxTester : public SoftmaxKnobs<F32SoftmaxTester> {
  QWASM_TESTER_PARAMS(F32SoftmaxTester, DescribeParams, (float, range, 4.0f), (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    const FSoftmaxParams p{rows(), cols(), beta()};
    Check<float>(
        DescribeTester(*this, "f32_softmax", config),
        [&](Rng& rng, size_t n) {
          std::vector<float> x = rng.Floats(n, -range_, range_);
          SprinkleSpecials(rng, &x, specials_);
          return x;
        },
        [&](const float* x, float* want) { f32_softmax__oracle(p, x, want); },
        [&](const float* x, float* out, size_t r0, size_t r1) { config.f32_softmax(p, r0, r1, x, out); });
  }
};

}  // namespace qwasm::testing
