// gemm-tester.h — testers of the GEMM families (gemm/gemm.h): qs8_gemm and
// f32_gemm, pack + run, against the fully connected oracles.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// What both GEMM testers vary: C[m][n] from A[m][k] and W[n][k]; the
// elements between rows of A, C and W (0: dense k, n, k); how channels are
// split into pieces (at multiples of the variant's nr); seed and draws.
template <typename Derived>
class GemmKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeKnobs, (size_t, m, 1), (size_t, n, 1), (size_t, k, 1), (size_t, a_stride, 0),
                      (size_t, c_stride, 0), (size_t, w_stride, 0), (AxisSplit, channel_split, AxisSplit()),
                      (uint32_t, seed, 1), (int, iterations, 1));

 protected:
  size_t lda() const { return a_stride_ ? a_stride_ : k_; }
  size_t ldc() const { return c_stride_ ? c_stride_ : n_; }
  size_t ldw() const { return w_stride_ ? w_stride_ : k_; }

  // Rows of A (or W): `rows` of k elements at stride `ld` gathered dense.
  template <typename T>
  static std::vector<T> Dense(const std::vector<T>& v, size_t rows, size_t k, size_t ld) {
    std::vector<T> dense(rows * k);
    for (size_t r = 0; r < rows; ++r) std::copy_n(&v[r * ld], k, &dense[r * k]);
    return dense;
  }

  // run(c, n_begin, n_end) over channel pieces into a C of rows ldc()
  // apart; want: the oracle's dense m x n at that stride, Sentinel values
  // between rows.
  template <typename T, typename Run>
  void ExpectChannelPieces(Rng& rng, size_t nr, const std::vector<T>& dense, Run run, const std::string& what) const {
    std::vector<T> want = Sentinel<T>((m_ - 1) * ldc() + n_);
    for (size_t r = 0; r < m_; ++r) std::copy_n(&dense[r * n_], n_, &want[r * ldc()]);
    const std::vector<size_t> cuts = channel_split_.Cuts(rng, n_, nr);
    const size_t probe = channel_split_.Probe(rng, cuts.size() - 1);
    ExpectPieces(
        want, cuts.size() - 1, probe, [&](T* c, size_t p) { run(c, cuts[p], cuts[p + 1]); },
        [&](size_t i, size_t p) { return i / ldc() < m_ && InPiece(cuts, p, i % ldc()); },
        what + " channel_cuts=" + CutsText(cuts) + " probe=" + std::to_string(probe));
  }
};

// qs8_gemm: C = Requantize(bias + sum_k (A - za)(W - zw), scale[n]). Bias:
// none, random in [-bias_limit, bias_limit], or bias_value everywhere;
// per-channel scales m * 2^e, e in [scale_exp_min, scale_exp_max]; A and W
// random or constant (a_fill, w_fill).
class QGemmTester : public GemmKnobs<QGemmTester>, public QOutputKnobs<QGemmTester> {
  QWASM_TESTER_PARAMS(QGemmTester, DescribeParams, (int32_t, a_zero_point, 0), (int32_t, w_zero_point, 0),
                      (bool, has_bias, true), (int32_t, bias_limit, 100000), (int64_t, bias_value, kRandom),
                      (int, scale_exp_min, -17), (int, scale_exp_max, -10), (int, a_fill, kRandom),
                      (int, w_fill, kRandom));

 public:
  void Test(const KernelConfig& config) const {
    const QGemmKernel& kernel = config.qs8_gemm;
    ForEachDraw(*this, DescribeTester(*this, "qs8_gemm", config, kernel.name), [&](Rng& rng, const std::string& what) {
      const std::vector<int8_t> w = Int8Fill(rng, (n() - 1) * ldw() + k(), w_fill_);
      std::vector<int32_t> bias(n());
      std::vector<float> scale(n());
      for (size_t c = 0; c < n(); ++c) {
        bias[c] = static_cast<int32_t>(bias_value_ == kRandom ? rng.Int(-bias_limit_, bias_limit_) : bias_value_);
        scale[c] = rng.Scale(scale_exp_min_, scale_exp_max_);
      }
      const int32_t* b = has_bias_ ? bias.data() : nullptr;
      const QGemmWeights packed = kernel.pack(static_cast<int>(n()), static_cast<int>(k()), w.data(), ldw(),
                                              w_zero_point_, b, scale.data(), a_zero_point_);
      // Each A row may be read k_read bytes from its start; bytes past k
      // are random: they meet zero weights and must not matter.
      std::vector<int8_t> a = rng.Int8Data((m() - 1) * lda() + static_cast<size_t>(packed.k_read));
      for (size_t r = 0; r < m() && a_fill_ != kRandom; ++r) std::fill_n(&a[r * lda()], k(), a_fill_);
      const std::vector<int8_t> dense_a = Dense(a, m(), k(), lda()), dense_w = Dense(w, n(), k(), ldw());
      QFullyConnectedParams p;
      p.batch = static_cast<int>(m());
      p.input_size = static_cast<int>(k());
      p.output_size = static_cast<int>(n());
      p.input_zero_point = a_zero_point_, p.filter_zero_point = w_zero_point_;
      p.filter = dense_w.data(), p.bias = b, p.scale = scale.data();
      p.output = output();
      std::vector<int8_t> dense(m() * n());
      qs8_fully_connected__oracle(p, dense_a.data(), dense.data());
      AlignedBuffer scratch(kernel.scratch_bytes(packed));
      ExpectChannelPieces(
          rng, static_cast<size_t>(kernel.nr), dense,
          [&](int8_t* c, size_t n_begin, size_t n_end) {
            kernel.run(packed, output(), m(), a.data(), lda(), c, ldc(), n_begin, n_end, scratch.data());
          },
          what);
    });
  }
};

// f32_gemm: C = clamp(bias + A[0] W[0] + A[1] W[1] + ...), in k order; about
// one value in `specials` of A, W and the bias a float special (0: none).
class F32GemmTester : public GemmKnobs<F32GemmTester>, public FOutputKnobs<F32GemmTester> {
  QWASM_TESTER_PARAMS(F32GemmTester, DescribeParams, (bool, has_bias, true), (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    const FGemmKernel& kernel = config.f32_gemm;
    ForEachDraw(*this, DescribeTester(*this, "f32_gemm", config, kernel.name), [&](Rng& rng, const std::string& what) {
      std::vector<float> w = rng.Floats((n() - 1) * ldw() + k());
      std::vector<float> a = rng.Floats((m() - 1) * lda() + k());  // exactly k floats of the last row
      std::vector<float> bias = rng.Floats(n(), -2.0f, 2.0f);
      for (std::vector<float>* v : {&w, &a, &bias}) SprinkleSpecials(rng, v, specials_);
      const std::vector<float> dense_a = Dense(a, m(), k(), lda()), dense_w = Dense(w, n(), k(), ldw());
      const float* b = has_bias_ ? bias.data() : nullptr;
      FFullyConnectedParams p;
      p.batch = static_cast<int>(m());
      p.input_size = static_cast<int>(k());
      p.output_size = static_cast<int>(n());
      p.filter = dense_w.data(), p.bias = b, p.output = output();
      std::vector<float> dense(m() * n());
      f32_fully_connected__oracle(p, dense_a.data(), dense.data());
      const FGemmWeights packed = kernel.pack(static_cast<int>(n()), static_cast<int>(k()), w.data(), ldw(), b);
      ExpectChannelPieces(
          rng, static_cast<size_t>(kernel.nr), dense,
          [&](float* c, size_t n_begin, size_t n_end) {
            kernel.run(packed, output(), m(), a.data(), lda(), c, ldc(), n_begin, n_end);
          },
          what);
    });
  }
};

}  // namespace qwasm::testing
