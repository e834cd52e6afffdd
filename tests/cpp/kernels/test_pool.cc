// The pooling families (qs8_average_pool, qs8_max_pool, f32_average_pool,
// f32_max_pool) on every kernel table: every window 1x1..7x7 with strides
// 1..3 and SAME / VALID / explicit padding, windows over 256 cells (the
// int16 partial sums), global windows and windows larger than the image,
// row and channel pieces, clamps, float specials; hand-computed cases.
#include "kernels/pool-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// A random average pool on this window: zero point, rescale and fused
// activation as prepare makes them, random row and channel pieces; a third
// each rounded as Requantize, TFLite uint8 and TFLite int8 (which keep the
// input's grid, as prepare requires).
QAveragePoolTester RandomAveragePool(Rng& rng) {
  const float out_scale = rng.Scale(-8, 0);
  QAveragePoolTester t;
  const int rounding = rng.Int(0, 2);
  t.batch(rng.Int(1, 2)).input_zero_point(rng.Int8Extreme()).rounding(rounding);
  t.input_over_output_scale(rounding ? 1.0 : static_cast<double>(rng.Scale(-8, 0)) / out_scale);
  t.output(RandomActivation(rng, out_scale)).row_split(AxisSplit::Random(rng.Int(0, 3)));
  t.channel_split(AxisSplit::Random(rng.Int(0, 3)));
  return t;
}

}  // namespace

TEST_CASE("qs8_average_pool: windows 1x1..7x7, strides 1..3, SAME and VALID, random pieces") {
  const int channel_counts[] = {1, 3, 8, 15, 16, 17, 24, 32, 33, 40, 64};
  ForEachConfig([&](const KernelConfig& config) {
    Rng rng(5);
    for (int kh = 1; kh <= 7; ++kh) {
      for (int kw = 1; kw <= 7; ++kw) {
        for (int stride = 1; stride <= 3; ++stride) {
          for (bool same : {true, false}) {
            QAveragePoolTester t = RandomAveragePool(rng);
            t.input_size(rng.Int(kh, 12), rng.Int(kw, 12)).channels(channel_counts[rng.Int(0, 10)]);
            t.kernel_size(kh, kw).stride(stride, rng.Int(0, 1) ? stride : rng.Int(1, 3));
            if (same) t.padding_same();
            t.seed(static_cast<uint32_t>(kh * 100 + kw * 10 + stride)).Test(config);
          }
        }
      }
    }
  });
}

TEST_CASE("qs8_average_pool: windows over 256 cells, global pools, windows larger than the image") {
  struct Case {
    int in_h, in_w, c, kh, kw, stride;
    bool same;
  };
  const Case cases[] = {
      {20, 20, 20, 20, 20, 1, false},  // 400 cells: int16 partial sums flushed
      {17, 17, 35, 17, 17, 1, true},   // 289 cells at the centre, fewer at edges
      {64, 64, 3, 64, 64, 1, false},   // 4096 cells
      {7, 7, 1280, 7, 7, 1, false},    // MobileNetV2's global pool
      {4, 4, 256, 4, 4, 1, false},     // MobileNetV1 0.25's
      {5, 5, 19, 7, 7, 2, true},       // the window exceeds the image
      {3, 9, 16, 9, 2, 3, true},
  };
  ForEachConfig([&](const KernelConfig& config) {
    Rng rng(6);
    for (const Case& k : cases) {
      for (int rep = 0; rep < 4; ++rep) {
        QAveragePoolTester t = RandomAveragePool(rng);
        t.input_size(k.in_h, k.in_w).channels(k.c).kernel_size(k.kh, k.kw).stride(k.stride, k.stride);
        if (k.same) t.padding_same();
        t.seed(static_cast<uint32_t>(rep)).Test(config);
      }
    }
  });
}

QWASM_KERNEL_TEST("qs8_average_pool: explicit padding, channel ranges around 16, extreme zero points") {
  for (int top = 0; top <= 2; ++top) {
    for (int left = 0; left <= 2; ++left) {
      QAveragePoolTester().input_size(6, 5).channels(21).kernel_size(3, 3).padding(top, left, 2 - top, 1)
          .input_zero_point(-128).Test(config);
    }
  }
  for (size_t c0 : {0, 1, 15, 16, 17}) {
    for (size_t c1 : {c0, c0 + 1, c0 + 15, c0 + 16, c0 + 17, size_t{40}}) {
      QAveragePoolTester().batch(2).input_size(5, 5).channels(40).kernel_size(2, 2).stride(2, 2).padding_same()
          .channel_split(AxisSplit(c0, c1)).row_split(AxisSplit(1, 4)).input_zero_point(127).Test(config);
    }
  }
  for (int32_t zp : {-128, 127}) {
    for (double ratio : {0.25, 1.0, 3.0}) {
      QAveragePoolTester().input_size(9, 9).channels(18).kernel_size(3, 3).padding_same().input_zero_point(zp)
          .input_over_output_scale(ratio).output_zero_point(-zp - 1).iterations(3).Test(config);
    }
  }
}

TEST_CASE("qs8_average_pool: hand-computed, padding excluded from the count, ties (Requantize and TFLite)") {
  // x' = 1..9 (3x3), zx = 10; 2x2 stride 1 VALID: (1+2+4+5)/4 = 3, 4, 6, 7.
  std::vector<int8_t> x;
  for (int i = 1; i <= 9; ++i) x.push_back(static_cast<int8_t>(i + 10));
  QPoolParams p;
  WindowShape& s = p.shape;
  s.in_h = s.in_w = 3, s.in_c = s.out_c = 1;
  s.out_h = s.out_w = s.kernel_h = s.kernel_w = 2;
  p.input_zero_point = 10;
  auto check = [&](const std::vector<int8_t>& want) {
    std::vector<int8_t> y(want.size());
    qs8_average_pool__oracle(p, x.data(), y.data());
    CHECK(y == want);
    ForEachConfig([&](const KernelConfig& config) {
      config.qs8_average_pool(p, 0, static_cast<size_t>(s.out_h), 0, 1, x.data(), y.data());
      CHECK_MESSAGE(y == want, config.name);
    });
  };
  check({3, 4, 6, 7});
  // 3x3 SAME stride 1 (pad 1), sums / counts:
  //   12/4 21/6 16/4      3  3.5  4
  //   27/6 45/9 33/6  =  4.5  5  5.5
  //   24/4 39/6 28/4      6  6.5  7
  // The divisor is a float multiply by fl(1/count); fl(1/6) lies 4.5e-9
  // above 1/6, but each product rounds back onto the exact .5, so ties go
  // to even: 3.5 -> 4, 4.5 -> 4, 5.5 -> 6, 6.5 -> 6.
  s.out_h = s.out_w = s.kernel_h = s.kernel_w = 3;
  s.pad_top = s.pad_left = 1;
  check({3, 4, 4, 4, 5, 6, 6, 6, 7});
  // Rescaled by 2: 12 * 0.5 = 6, 21 * fl(2/6) = 7, 45 * fl(2/9) = 10 ...
  p.input_over_output_scale = 2.0;
  check({6, 7, 8, 9, 10, 11, 12, 13, 14});
  // Negative raw values, x = x' - 20 with zx = zo = -20, one grid: the raw
  // means are -17, -16.5, -16, -15.5, -15, -14.5, -14, -13.5, -13.
  for (int8_t& v : x) v = static_cast<int8_t>(v - 30);
  p.input_zero_point = p.output.zero_point = -20;
  p.input_over_output_scale = 1.0;
  check({-17, -16, -16, -16, -15, -14, -14, -14, -13});  // Requantize: ties to even
  p.rounding = PoolRounding::kTfliteUint8;                // TFLite uint8: half up
  check({-17, -16, -16, -15, -15, -14, -14, -13, -13});
  p.rounding = PoolRounding::kTfliteInt8;  // TFLite int8: half away from zero
  check({-17, -17, -16, -16, -15, -15, -14, -14, -13});
  // The clamp comes after the division: [-16, -14].
  p.output.min = -16, p.output.max = -14;
  check({-16, -16, -16, -16, -15, -15, -14, -14, -14});
  // Positive raw values: half up and half away agree (13.5 -> 14).
  for (int8_t& v : x) v = static_cast<int8_t>(v + 30);
  p.output.min = -128, p.output.max = 127;
  for (PoolRounding r : {PoolRounding::kTfliteUint8, PoolRounding::kTfliteInt8}) {
    p.rounding = r;
    check({13, 14, 14, 15, 15, 16, 16, 17, 17});
  }
}

QWASM_KERNEL_TEST("qs8_max_pool: windows, strides, padding, clamps, row pieces") {
  Rng rng(12);
  for (int k = 1; k <= 4; ++k) {
    for (int stride = 1; stride <= 3; ++stride) {
      for (bool same : {true, false}) {
        QMaxPoolTester t;
        t.batch(rng.Int(1, 2)).input_size(rng.Int(k, 9), rng.Int(k, 9)).channels(rng.Int(1, 33));
        t.kernel_size(k, rng.Int(1, 4)).stride(stride, stride).output(RandomClamp(rng));
        if (same) t.padding_same();
        t.row_split(AxisSplit::Random(2)).seed(static_cast<uint32_t>(k * 10 + stride)).Test(config);
      }
    }
  }
  QMaxPoolTester().input_size(2, 3).channels(5).kernel_size(5, 5).padding_same().Test(config);
  QMaxPoolTester().input_size(6, 6).channels(7).kernel_size(3, 3).padding(2, 1, 0, 2).stride(2, 1)
      .output_min(-5).output_max(5).Test(config);
  QMaxPoolTester().input_size(4, 4).channels(3).kernel_size(2, 2).output_min(7).output_max(7).Test(config);
}

QWASM_KERNEL_TEST("qs8_max_pool: every channel count 1..33 (vector tails), the last pixel at the tensor's end") {
  Rng rng(14);
  for (int c = 1; c <= 33; ++c) {
    QMaxPoolTester().batch(rng.Int(1, 2)).input_size(rng.Int(2, 5), rng.Int(2, 5)).channels(c)
        .kernel_size(rng.Int(1, 3), rng.Int(1, 3)).stride(rng.Int(1, 2), rng.Int(1, 2)).padding_same()
        .output(RandomClamp(rng)).row_split(AxisSplit::Random(2)).seed(static_cast<uint32_t>(c)).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_average_pool / f32_max_pool: every channel count 1..33, NaN, +-0.0 and infinities") {
  Rng rng(15);
  for (bool max : {false, true}) {
    for (int c = 1; c <= 33; ++c) {
      F32PoolTester t;
      t.max(max).batch(rng.Int(1, 2)).input_size(rng.Int(2, 5), rng.Int(2, 5)).channels(c);
      t.kernel_size(rng.Int(1, 3), rng.Int(1, 3)).stride(rng.Int(1, 2), rng.Int(1, 2)).padding_same();
      t.count_include_pad(rng.Int(0, 1)).output(RandomFloatClamp(rng)).specials(rng.Int(1, 3));
      t.row_split(AxisSplit::Random(2)).seed(static_cast<uint32_t>(c)).iterations(3).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("f32_average_pool / f32_max_pool: windows, padding, count_include_pad, clamps, NaN") {
  Rng rng(13);
  for (bool max : {false, true}) {
    for (int k = 1; k <= 4; ++k) {
      for (int stride = 1; stride <= 3; ++stride) {
        for (int pad = 0; pad < 3; ++pad) {
          F32PoolTester t;
          t.max(max).batch(rng.Int(1, 2)).input_size(rng.Int(k, 9), rng.Int(k, 9)).channels(rng.Int(1, 19));
          t.kernel_size(k, k).stride(stride, stride).output(RandomFloatClamp(rng));
          if (pad == 1) t.padding_same();
          if (pad == 2) t.padding(k - 1, 0, 0, k - 1).count_include_pad(rng.Int(0, 1));
          t.row_split(AxisSplit::Random(2)).seed(static_cast<uint32_t>(k * 10 + stride)).Test(config);
        }
      }
    }
    F32PoolTester().max(max).input_size(7, 7).channels(9).kernel_size(3, 3).padding_same().specials(4)
        .iterations(4).Test(config);
    F32PoolTester().max(max).input_size(2, 2).channels(4).kernel_size(5, 5).padding_same().Test(config);
  }
}

QWASM_KERNEL_TEST("f32_average_pool / f32_max_pool: the reference's bits (zero signs, NaNs), channels 1..33, large windows") {
  struct Case {
    int in_h, in_w, kh, kw, stride;
    bool same;
  };
  const Case large[] = {{9, 9, 9, 9, 1, false}, {20, 20, 20, 20, 1, false}, {17, 17, 17, 17, 1, true},
                        {3, 4, 9, 9, 2, true}};
  Rng rng(16);
  for (int c = 1; c <= 33; ++c) {
    for (int rep = 0; rep < 5; ++rep) {
      Case k = {rng.Int(1, 6), rng.Int(1, 6), rng.Int(1, 4), rng.Int(1, 4), rng.Int(1, 3), true};
      if (rep == 4) k = large[c % 4];
      FPoolParams p;
      WindowShape& s = p.shape;
      s.batch = rng.Int(1, 2), s.in_h = k.in_h, s.in_w = k.in_w, s.in_c = s.out_c = c;
      s.kernel_h = k.kh, s.kernel_w = k.kw, s.stride_h = s.stride_w = k.stride;
      auto axis = [&](int in, int kernel, int* out, int* pad) {
        *out = k.same ? (in + k.stride - 1) / k.stride : (in - kernel) / k.stride + 1;
        *pad = k.same ? std::max(0, (*out - 1) * k.stride + kernel - in) / 2 : 0;
      };
      axis(s.in_h, s.kernel_h, &s.out_h, &s.pad_top);
      axis(s.in_w, s.kernel_w, &s.out_w, &s.pad_left);
      p.count_include_pad = rng.OneIn(2);
      p.output = RandomFloatClamp(rng);
      const std::vector<float> x = ReferenceBitsData(rng, static_cast<size_t>(s.batch) * s.in_h * s.in_w * c);
      const size_t rows = static_cast<size_t>(s.batch) * s.out_h, split = rng.Index(0, rows);
      for (bool max : {false, true}) {
        const FPoolFn ref = max ? ReferenceKernels().f32_max_pool : ReferenceKernels().f32_average_pool;
        const FPoolFn fn = max ? config.f32_max_pool : config.f32_average_pool;
        std::vector<float> want = Sentinel<float>(rows * s.out_w * c), got = want;
        ref(p, 0, rows, x.data(), want.data());
        fn(p, 0, split, x.data(), got.data());
        fn(p, split, rows, x.data(), got.data());
        ExpectReferenceBits(got, want, /*any_nan=*/!max,
                            Description(max ? "f32_max_pool" : "f32_average_pool", config)("shape", s)(
                                "count_include_pad", p.count_include_pad)("output", p.output)("split", split)
                                .str());
      }
    }
  }
}
