// The GEMM families (qs8_gemm, f32_gemm) on every kernel table: named edge
// cases around each variant's tile (mr x nr) and K unroll, then random
// shapes. Each case packs with the variant's own pack function.
#include "kernels/gemm-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// K values below, at and above the unrolls every variant has (pairs of K,
// 8-element widening, 16 / 32 / 64 element blocks).
const size_t kDepths[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65};

// The largest |bias| the operators accept for K terms: K * 255 * 255 +
// |bias| < 2^31 (params.h).
int64_t MaxBias(size_t k) { return (int64_t{1} << 31) - 1 - static_cast<int64_t>(k) * 65025; }

}  // namespace

QWASM_KERNEL_TEST("qs8_gemm: k below, at and above the unroll") {
  const size_t mr = config.qs8_gemm.mr, nr = config.qs8_gemm.nr;
  for (size_t k : kDepths) {
    for (size_t m : {size_t{1}, mr}) QGemmTester().m(m).n(nr).k(k).seed(k).Test(config);
  }
  QGemmTester().m(mr).n(nr).k(1000).Test(config);
}

QWASM_KERNEL_TEST("qs8_gemm: n not a multiple of nr") {
  const size_t mr = config.qs8_gemm.mr, nr = config.qs8_gemm.nr;
  for (size_t n = 1; n <= 3 * nr + 1; ++n) {
    for (size_t m : {size_t{1}, mr, mr + 1}) QGemmTester().m(m).n(n).k(9).seed(n).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_gemm: m not a multiple of mr") {
  const size_t mr = config.qs8_gemm.mr, nr = config.qs8_gemm.nr;
  for (size_t m = 1; m <= 3 * mr + 1; ++m) {
    for (size_t n : {nr, nr + 3}) QGemmTester().m(m).n(n).k(17).seed(m).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_gemm: m == 1, the single-row path (fully connected on one image)") {
  for (size_t n : {1, 7, 8, 9, 31, 32, 33, 64, 65, 100}) {
    for (size_t k : {1, 8, 70, 257}) QGemmTester().m(1).n(n).k(k).seed(n + k).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_gemm: channel sub-ranges as threads split them (n_begin a multiple of nr)") {
  const size_t nr = config.qs8_gemm.nr, n = 5 * nr + 3;
  for (size_t begin = 0; begin < n; begin += nr) {
    for (size_t end = begin; end <= n; end = std::min(n, end + nr)) {
      for (size_t m : {1, 6}) QGemmTester().m(m).n(n).k(11).channel_split(AxisSplit(begin, end)).Test(config);
      if (end == n) break;
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: strided A, C and W (strides larger than k and n)") {
  for (size_t k : {1, 7, 8, 19}) {
    for (size_t extra : {1, 7, 8, 13}) {
      for (size_t m : {1, 6}) {
        QGemmTester().m(m).n(11).k(k).a_stride(k + extra).Test(config);
        QGemmTester().m(m).n(11).k(k).c_stride(11 + extra).Test(config);
        QGemmTester().m(m).n(11).k(k).w_stride(k + extra).Test(config);
        QGemmTester().m(m).n(11).k(k).a_stride(2 * k + extra).c_stride(16 + extra).w_stride(k + 1).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: extreme input and weight zero points, data at the far end") {
  for (int32_t za : {-128, 127}) {
    for (int32_t zw : {-128, 0, 127}) {
      for (int fill : {-128, 127, kRandom}) {
        for (size_t m : {1, 5}) {
          QGemmTester().m(m).n(13).k(21).a_zero_point(za).w_zero_point(zw).a_fill(fill).w_fill(-zw - 1)
              .scale_exp_min(-20).scale_exp_max(-14).Test(config);
          QGemmTester().m(m).n(13).k(21).a_zero_point(za).w_zero_point(zw).a_fill(fill).Test(config);
        }
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: per-tensor weight zero points (uint8 models)") {
  for (int32_t zw : {-128, -1, 1, 3, 127}) {
    for (size_t m : {1, 4, 7}) {
      QGemmTester().m(m).n(19).k(33).w_zero_point(zw).a_zero_point(5).seed(zw + 200).iterations(2).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: saturating narrow clamps") {
  struct Stage {
    int32_t zp, min, max;
  };
  const Stage stages[] = {{0, -128, 127}, {-128, -128, 127}, {127, -128, 127}, {-128, -128, -128},
                          {127, 127, 127}, {-5, -5, 127},    {3, -4, 6},       {-128, -128, -122},
                          {0, 0, 0}};
  for (const Stage& s : stages) {
    for (int exp : {-16, -8, 0}) {  // from mostly inside the clamp to all saturated
      for (size_t m : {1, 5}) {
        QGemmTester().m(m).n(17).k(24).output_zero_point(s.zp).output_min(s.min).output_max(s.max)
            .scale_exp_min(exp - 2).scale_exp_max(exp).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: accumulators at the int32 bound the operators allow") {
  for (size_t k : {1, 2, 3, 8, 9, 64, 255, 1024}) {
    const int64_t bias = MaxBias(k);
    for (size_t m : {1, 5}) {
      // Every product +-255 * 255 and the bias of the same sign: |acc| =
      // 2^31 - 1. The input zero-point term folded into the packed bias
      // leaves int32 on the way (it wraps back).
      QGemmTester().m(m).n(9).k(k).a_zero_point(-128).a_fill(127).w_zero_point(-128).w_fill(127)
          .bias_value(bias).scale_exp_min(-25).scale_exp_max(-25).Test(config);
      QGemmTester().m(m).n(9).k(k).a_zero_point(127).a_fill(-128).w_zero_point(-128).w_fill(127)
          .bias_value(-bias).scale_exp_min(-25).scale_exp_max(-25).Test(config);
      QGemmTester().m(m).n(9).k(k).a_zero_point(127).a_fill(-128).w_zero_point(127).w_fill(-128)
          .bias_value(bias).scale_exp_min(-26).scale_exp_max(-24).Test(config);
      // Random data under the largest bias of either sign.
      for (int64_t b : {bias, -bias}) {
        QGemmTester().m(m).n(9).k(k).a_zero_point(-128).w_zero_point(127).bias_value(b)
            .scale_exp_min(-27).scale_exp_max(-23).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: bias null vs present, with and without an input zero point") {
  for (bool has_bias : {false, true}) {
    for (int32_t za : {0, -128, 37}) {
      for (size_t m : {1, 3, 4}) {
        QGemmTester().m(m).n(12).k(10).has_bias(has_bias).a_zero_point(za).w_zero_point(za == 37 ? 2 : 0)
            .Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_gemm: random shapes, zero points, clamps, channel splits") {
  Rng rng(12345);
  const size_t nr = config.qs8_gemm.nr;
  for (int i = 0; i < 400; ++i) {
    const size_t m = rng.Index(1, 13), n = rng.Index(1, 41), k = rng.Index(1, 70);
    const size_t begin = rng.Index(0, (n - 1) / nr) * nr;
    const size_t end = std::min(n, begin + rng.Index(0, 2) * nr);
    const QOutput out = RandomClamp(rng);
    // Scales from tiny to large enough that most outputs saturate.
    const int exp = rng.OneIn(6) ? -8 : -14;
    QGemmTester()
        .m(m).n(n).k(k).channel_split(AxisSplit(begin, end))
        .a_zero_point(rng.Int8Extreme()).w_zero_point(rng.OneIn(3) ? rng.Int8Extreme() : 0)
        .has_bias(!rng.OneIn(5)).scale_exp_min(exp - 4).scale_exp_max(exp)
        .output(out).seed(static_cast<uint32_t>(i)).Test(config);
  }
}

TEST_CASE("qs8_gemm: hand-computed fully connected layer, batch 2, per-row scale") {
  // rows [1,2,3] and [-1,0,1]; w = [[1,1,1],[2,0,-1]], bias [0, 5]:
  // b0 = [6, 4], b1 = [0, 2]; * [0.5, 1] = [3, 4], [0, 2]; + zo 1.
  const std::vector<int8_t> x = {1, 2, 3, -1, 0, 1}, w = {1, 1, 1, 2, 0, -1}, want = {4, 5, 1, 3};
  const int32_t bias[] = {0, 5};
  const float scale[] = {0.5f, 1.0f};
  QFullyConnectedParams p;
  p.batch = 2;
  p.input_size = 3;
  p.output_size = 2;
  p.filter = w.data();
  p.bias = bias;
  p.scale = scale;
  p.output.zero_point = 1;
  std::vector<int8_t> y(4);
  qs8_fully_connected__oracle(p, x.data(), y.data());
  CHECK(y == want);
  ForEachConfig([&](const KernelConfig& config) {
    const QGemmKernel& g = config.qs8_gemm;
    const QGemmWeights packed = g.pack(2, 3, w.data(), 3, 0, bias, scale, 0);
    std::vector<int8_t> a(3 + packed.k_read);  // row 2 may be read k_read bytes
    std::copy(x.begin(), x.end(), a.begin());
    AlignedBuffer scratch(g.scratch_bytes(packed));
    std::vector<int8_t> c(4);
    g.run(packed, p.output, 2, a.data(), 3, c.data(), 2, 0, 2, scratch.data());
    CHECK_MESSAGE(c == want, config.name);
  });
}

QWASM_KERNEL_TEST("f32_gemm: k below, at and above the unroll") {
  const size_t mr = config.f32_gemm.mr, nr = config.f32_gemm.nr;
  for (size_t k : kDepths) {
    for (size_t m : {size_t{1}, mr}) F32GemmTester().m(m).n(nr).k(k).seed(k).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_gemm: n not a multiple of nr, and the one-row path's 32-channel blocks") {
  const size_t mr = config.f32_gemm.mr, nr = config.f32_gemm.nr;
  for (size_t n = 1; n <= 3 * nr + 1; ++n) {
    for (size_t m : {size_t{1}, mr, mr + 1}) F32GemmTester().m(m).n(n).k(9).seed(n).Test(config);
  }
  for (size_t n : {31, 32, 33, 39, 40, 41, 63, 64, 65, 70, 96, 97}) F32GemmTester().m(1).n(n).k(13).Test(config);
}

QWASM_KERNEL_TEST("f32_gemm: m not a multiple of mr") {
  const size_t mr = config.f32_gemm.mr, nr = config.f32_gemm.nr;
  for (size_t m = 1; m <= 3 * mr + 1; ++m) {
    for (size_t n : {nr, nr + 3}) F32GemmTester().m(m).n(n).k(17).seed(m).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_gemm: channel sub-ranges as threads split them (n_begin a multiple of nr)") {
  const size_t nr = config.f32_gemm.nr, n = 9 * nr + 5;
  for (size_t begin = 0; begin < n; begin += nr) {
    for (size_t end : {begin + nr, begin + 4 * nr, n}) {
      for (size_t m : {1, 6}) {
        F32GemmTester().m(m).n(n).k(7).channel_split(AxisSplit(begin, std::min(end, n))).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("f32_gemm: strided A, C and W") {
  for (size_t k : {1, 4, 9}) {
    for (size_t extra : {1, 3, 4}) {
      for (size_t m : {1, 5}) {
        F32GemmTester().m(m).n(35).k(k).a_stride(k + extra).Test(config);
        F32GemmTester().m(m).n(35).k(k).c_stride(35 + extra).Test(config);
        F32GemmTester().m(m).n(35).k(k).w_stride(k + extra).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("f32_gemm: clamps, bias null vs present") {
  const float inf = std::numeric_limits<float>::infinity();
  const FOutput clamps[] = {{-inf, inf}, {0.0f, inf}, {0.0f, 6.0f}, {-0.1f, 0.1f}, {0.25f, 0.25f}, {-inf, -0.5f}};
  for (const FOutput& o : clamps) {
    for (bool has_bias : {false, true}) {
      for (size_t m : {1, 4, 6}) F32GemmTester().m(m).n(21).k(12).has_bias(has_bias).output(o).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("f32_gemm: NaN, infinities, huge and denormal values") {
  for (int one_in : {3, 20}) {
    for (size_t m : {1, 4, 5}) {
      for (size_t n : {8, 37}) {
        F32GemmTester().m(m).n(n).k(19).specials(one_in).iterations(3).Test(config);
        F32GemmTester().m(m).n(n).k(19).specials(one_in).output_min(-1.0f).output_max(1.0f).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("f32_gemm: random shapes, clamps and channel splits") {
  Rng rng(2024);
  for (int i = 0; i < 300; ++i) {
    F32GemmTester()
        .m(rng.Index(1, 13)).n(rng.Index(1, 70)).k(rng.Index(1, 70)).channel_split(AxisSplit::Random(rng.Int(0, 2)))
        .has_bias(!rng.OneIn(4)).output(RandomFloatClamp(rng)).seed(static_cast<uint32_t>(i)).Test(config);
  }
}
