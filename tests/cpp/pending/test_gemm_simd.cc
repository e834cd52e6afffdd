// The packed 4x8c2 GEMM (and the conv / FC operators built on it) against
// the scalar reference kernels, byte for byte, on random shapes: every row
// tail (m mod 4), channel tail (n mod 8), K padding (k mod 8), extreme zero
// points, narrow clamps that saturate, and im2col windows with padding,
// strides and dilation.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "graph/ops/gemm_op.h"
#include "kernels/kernels.h"
#include "runtime/threadpool.h"

using namespace qwasm;

namespace {

struct Rng {
  std::mt19937 g{12345};
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
  float Real(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(g); }
  void Fill(std::vector<int8_t>* v) {
    for (int8_t& x : *v) x = static_cast<int8_t>(Int(-128, 127));
  }
};

// A random output stage: sometimes the full range, sometimes a narrow
// (ReLU6-like) clamp; zero points at the extremes now and then.
QOutput RandomOutput(Rng& r) {
  QOutput o;
  const int pick = r.Int(0, 3);
  o.zero_point = pick == 0 ? -128 : pick == 1 ? 127 : r.Int(-128, 127);
  if (r.Int(0, 1)) {
    o.min = r.Int(-128, 0);
    o.max = r.Int(o.min, 127);
  }
  return o;
}

int32_t RandomZeroPoint(Rng& r) {
  const int pick = r.Int(0, 3);
  return pick == 0 ? -128 : pick == 1 ? 127 : r.Int(-128, 127);
}

}  // namespace

TEST_CASE("gemm 4x8c2 equals the reference fully connected kernel") {
  Rng r;
  for (int iter = 0; iter < 400; ++iter) {
    const int m = r.Int(1, 13), n = r.Int(1, 41), k = r.Int(1, 70);
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    std::vector<int8_t> a(static_cast<size_t>(m) * k + 64), w(static_cast<size_t>(n) * k);
    r.Fill(&a);
    r.Fill(&w);
    std::vector<int32_t> bias(n);
    std::vector<float> scale(n);
    for (int i = 0; i < n; ++i) {
      bias[i] = r.Int(-100000, 100000);
      // Scales from tiny to large enough that most outputs saturate.
      scale[i] = r.Real(1e-5f, 1e-3f) * (r.Int(0, 5) == 0 ? 100.0f : 1.0f);
    }
    QFullyConnectedParams p;
    p.batch = m;
    p.input_size = k;
    p.output_size = n;
    p.input_zero_point = RandomZeroPoint(r);
    p.filter_zero_point = r.Int(0, 2) == 0 ? 0 : RandomZeroPoint(r);
    p.filter = w.data();
    p.bias = r.Int(0, 4) == 0 ? nullptr : bias.data();
    p.scale = scale.data();
    p.output = RandomOutput(r);
    std::vector<int8_t> want(static_cast<size_t>(m) * n), got(want.size(), 0x55);
    qs8_fully_connected__ref(p, a.data(), want.data());

    const QGemmWeights packed = PackQGemmWeights(n, k, w.data(), k, p.filter_zero_point, p.bias,
                                                 scale.data(), p.input_zero_point);
    // Channel blocks computed in two calls, as threads split them.
    const size_t split = static_cast<size_t>(r.Int(0, (n - 1) / 8)) * 8;
    std::vector<int16_t> scratch(GemmScratchSize(packed));
    qs8_gemm_4x8c2__wasmsimd(packed, p.output, m, a.data(), k, got.data(), n, 0, split, scratch.data());
    qs8_gemm_4x8c2__wasmsimd(packed, p.output, m, a.data(), k, got.data(), n, split, n, scratch.data());
    REQUIRE(got == want);
  }
}

TEST_CASE("conv through im2col + gemm equals the reference conv, 1 and 3 threads") {
  Rng r;
  ThreadPool pool1(1), pool3(3);
  for (int iter = 0; iter < 150; ++iter) {
    WindowShape s;
    s.batch = r.Int(1, 2);
    s.in_h = r.Int(1, 9);
    s.in_w = r.Int(1, 9);
    s.in_c = r.Int(1, 11);
    s.out_c = r.Int(1, 19);
    s.kernel_h = r.Int(1, 4);
    s.kernel_w = r.Int(1, 4);
    s.stride_h = r.Int(1, 3);
    s.stride_w = r.Int(1, 3);
    s.dilation_h = r.Int(1, 2);
    s.dilation_w = r.Int(1, 2);
    s.pad_top = r.Int(0, s.kernel_h - 1);
    s.pad_left = r.Int(0, s.kernel_w - 1);
    const int eff_h = (s.kernel_h - 1) * s.dilation_h + 1, eff_w = (s.kernel_w - 1) * s.dilation_w + 1;
    s.out_h = (s.in_h + 2 * s.pad_top - eff_h) / s.stride_h + 1;
    s.out_w = (s.in_w + 2 * s.pad_left - eff_w) / s.stride_w + 1;
    if (s.out_h < 1 || s.out_w < 1) continue;
    const int k = s.kernel_h * s.kernel_w * s.in_c;
    std::vector<int8_t> in(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.in_c + 64);
    std::vector<int8_t> w(static_cast<size_t>(s.out_c) * k);
    r.Fill(&in);
    r.Fill(&w);
    std::vector<int32_t> bias(s.out_c);
    std::vector<float> scale(s.out_c);
    for (int i = 0; i < s.out_c; ++i) {
      bias[i] = r.Int(-5000, 5000);
      scale[i] = r.Real(1e-4f, 3e-3f);
    }
    QConvParams p;
    p.shape = s;
    p.input_zero_point = RandomZeroPoint(r);
    p.filter_zero_point = r.Int(0, 1) ? 0 : RandomZeroPoint(r);
    p.filter = w.data();
    p.bias = bias.data();
    p.scale = scale.data();
    p.output = RandomOutput(r);
    const size_t out_bytes = static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c;
    std::vector<int8_t> want(out_bytes);
    qs8_conv2d__ref(p, in.data(), want.data());
    for (ThreadPool* pool : {&pool1, &pool3}) {
      GemmOp op(PackQGemmWeights(s.out_c, k, w.data(), k, p.filter_zero_point, bias.data(),
                                 scale.data(), p.input_zero_point),
                p.output, s, p.input_zero_point, 0, 1);
      std::vector<int8_t> got(out_bytes, 0x55);
      RunContext rc;
      rc.ptr = {reinterpret_cast<uint8_t*>(in.data()), reinterpret_cast<uint8_t*>(got.data())};
      rc.pool = pool;
      op.Attach(rc);
      op.Run(rc);
      REQUIRE(got == want);
    }
  }
}
