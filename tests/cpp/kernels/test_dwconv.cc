// The depthwise families (qs8_dwconv packed + qs8_dwconv_any, f32_dwconv +
// f32_dwconv_any) on every kernel table: named edge cases of the window
// (kernel sizes, strides, dilation, padding), the channel blocks of the
// packed kernel (16, 8 and their tails), row and channel sub-ranges, the
// x256 accumulator layout, zero points and accumulator bounds; then random
// convolutions.
#include "kernels/dwconv-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

using Bias = DwconvBias;

struct Kernel {
  int h, w;
};
// Odd and even tap counts (the packed kernel takes taps in pairs).
const Kernel kKernels[] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 3}, {3, 1}, {2, 3}, {3, 3}, {5, 5}, {7, 7}};

// A hand-computed depthwise convolution: the oracle, qs8_dwconv_any and
// (multiplier 1) the packed qs8_dwconv of `config` give `want`.
void CheckHandDwconv(const KernelConfig& config, const QConvParams& p, std::vector<int8_t> x,
                     const std::vector<int8_t>& want) {
  const WindowShape& s = p.shape;
  std::vector<int8_t> y(want.size());
  qs8_depthwise_conv2d__oracle(p, x.data(), y.data());
  CHECK(y == want);
  config.qs8_dwconv_any(p, 0, static_cast<size_t>(s.out_h), x.data(), y.data());
  CHECK(y == want);
  if (s.out_c != s.in_c) return;
  x.resize(x.size() + 7);  // the packed kernel may read 7 bytes past the last pixel
  const QDwconvKernel& k = config.qs8_dwconv;
  const QDepthwiseWeights packed =
      k.pack(s.out_c, s.kernel_h, s.kernel_w, p.filter, p.filter_zero_point, p.bias, p.scale, p.input_zero_point);
  const std::vector<int8_t> zero(dwconv_zero_bytes(s.in_c), static_cast<int8_t>(p.input_zero_point));
  std::vector<const int8_t*> indirection(static_cast<size_t>(s.out_h) * dwconv_row_step(s));
  dwconv_indirection_init(s, x.data(), zero.data(), indirection.data());
  std::fill(y.begin(), y.end(), 0);
  k.run(packed, p.output, s, indirection.data(), y.data(), 0, static_cast<size_t>(s.out_h), 0,
        static_cast<size_t>(s.out_c));
  CHECK_MESSAGE(y == want, k.name);
}

}  // namespace

QWASM_KERNEL_TEST("qs8_dwconv: kernel sizes 1x1 to 7x7, SAME and VALID") {
  for (const Kernel& k : kKernels) {
    for (int c : {16, 24}) {
      QDwconvTester().input_size(9, 8).channels(c).kernel_size(k.h, k.w).padding_same().Test(config);
      QDwconvTester().input_size(9, 8).channels(c).kernel_size(k.h, k.w).padding_valid().Test(config);
    }
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: strides 1 to 4, below, at and above the kernel size") {
  for (int k : {1, 2, 3, 5}) {
    for (int sh = 1; sh <= 4; ++sh) {
      for (int sw : {1, 2, 4}) {
        QDwconvTester().input_size(11, 10).channels(17).kernel_size(k, k).stride(sh, sw).padding_same()
            .Test(config);
        QDwconvTester().input_size(11, 10).channels(8).kernel_size(k, k).stride(sh, sw).padding_valid()
            .Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: dilation (taps no longer shared between neighbours)") {
  for (int dh : {1, 2, 3}) {
    for (int dw : {1, 2, 3}) {
      for (int stride : {1, 2}) {
        QDwconvTester().input_size(12, 13).channels(16).kernel_size(3, 3).dilation(dh, dw).stride(stride, stride)
            .padding_same().Test(config);
        QDwconvTester().input_size(12, 13).channels(9).kernel_size(2, 3).dilation(dh, dw).stride(stride, 1)
            .padding(2, 1, 0, 3).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: explicit and asymmetric padding, windows larger than the image") {
  for (int top = 0; top <= 2; ++top) {
    for (int left = 0; left <= 2; ++left) {
      for (int bottom : {0, 2}) {
        QDwconvTester().input_size(5, 6).channels(20).kernel_size(3, 3).padding(top, left, bottom, 2 - left)
            .Test(config);
      }
    }
  }
  for (int in : {1, 2, 3}) {
    for (int k : {5, 7}) {
      QDwconvTester().input_size(in, in).channels(16).kernel_size(k, k).padding_same().Test(config);
      QDwconvTester().input_size(in, in + 1).channels(3).kernel_size(k, k).stride(2, 2).padding_same().Test(config);
    }
  }
}

TEST_CASE("qs8_dwconv: padded taps read the input zero point at both extremes") {
  // A 1x1 input padded to 3x3: 8 of 9 taps are padding. With za at -128 and
  // 127 and weights at the other extreme, any padding tap that contributed
  // would move the result.
  ForEachConfig([](const KernelConfig& config) {
    for (int32_t za : {-128, 127}) {
      for (int32_t zw : {-128, 127}) {
        const QDwconvTester::Seen seen = QDwconvTester()
                                             .input_size(1, 1).channels(24).kernel_size(3, 3).padding(1, 1, 1, 1)
                                             .input_zero_point(za).filter_zero_point(zw).input_fill(-za - 1)
                                             .filter_fill(-zw - 1).bias(Bias::kNone).scale(1.0f / 4096)
                                             .Test(config);
        // (x - za) * (w - zw) = +-255 * +-255 / 4096 -> +-16: not the zero point.
        CHECK(seen.output[0] != 0);
      }
    }
  });
}

QWASM_KERNEL_TEST("qs8_dwconv: channel counts around 8 and 16 (the 16- and 8-channel blocks and their tails)") {
  for (int c = 1; c <= 49; ++c) {
    QDwconvTester().input_size(4, 5).channels(c).kernel_size(3, 3).padding_same().seed(c).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: row and channel sub-ranges as threads split them") {
  const size_t tile = static_cast<size_t>(config.qs8_dwconv.channel_tile);
  for (int c : {40, 41, 47, 48}) {
    for (size_t c0 = 0; c0 < static_cast<size_t>(c); c0 += tile) {
      for (size_t c1 : {c0 + tile, static_cast<size_t>(c)}) {
        QDwconvTester().batch(2).input_size(5, 4).channels(c).kernel_size(3, 3).padding_same()
            .channel_split(AxisSplit(c0, c1)).row_split(AxisSplit(3, 7)).Test(config);
      }
    }
  }
  for (int i = 0; i < 20; ++i) {
    QDwconvTester().batch(2).input_size(6, 5).channels(57).kernel_size(3, 3).stride(2, 1).padding_same()
        .row_split(AxisSplit::Random(3)).channel_split(AxisSplit::Random(2)).seed(i).Test(config);
  }
}

TEST_CASE("qs8_dwconv: the x256 even lanes end exactly where 256 * acc would overflow") {
  // 1x1 kernel, 16 channels, x = -128, w - zw = -255: acc = bias + 32640,
  // the largest |acc| the packing must allow for: |bias| + 128 * 255.
  struct Case {
    int32_t bias;
    bool x256;
  };
  const Case cases[] = {{(1 << 23) - 1 - 32640, true}, {(1 << 23) - 32640, false}, {1 << 24, false}};
  ForEachConfig([&](const KernelConfig& config) {
    for (const Case& k : cases) {
      CAPTURE(k.bias);
      // acc * scale: 64 for the first two, ~128 (saturating) for the last.
      const QDwconvTester::Seen seen = QDwconvTester()
                                           .channels(16).filter_zero_point(127).input_fill(-128).filter_fill(-128)
                                           .bias(Bias::kValue).bias_value(k.bias).scale(1.0f / (1 << 17))
                                           .Test(config);
      CHECK(seen.even_x256 == k.x256);  // a filter zero point: 16c2 on every table
    }
    // Scales below 2^-118 turn the x256 lanes off too (scale / 256 would be
    // denormal); both layouts on every channel block. (The relaxed tables
    // pack these int8-style weights 16c4, which has no x256 lanes.)
    for (int c : {8, 16, 24, 40}) {
      const QDwconvTester t = QDwconvTester().channels(c).kernel_size(3, 3).input_size(3, 3).padding_same();
      const QDwconvTester::Seen below = QDwconvTester(t).scale(0x1p-119f).Test(config);
      const QDwconvTester::Seen at = QDwconvTester(t).scale(0x1p-118f).Test(config);
      const QDwconvTester::Seen large = QDwconvTester(t).bias(Bias::kAround2Pow23).Test(config);
      CHECK(below.even_x256 == false);
      CHECK(at.even_x256 == !at.c4);
      CHECK(large.even_x256 == false);
    }
  });
}

QWASM_KERNEL_TEST("qs8_dwconv: extreme input zero points, per-tensor filter zero points") {
  for (int32_t za : {-128, 0, 127}) {
    for (int32_t zw : {-128, -1, 0, 1, 127}) {
      QDwconvTester().input_size(6, 6).channels(18).kernel_size(3, 3).padding_same().input_zero_point(za)
          .filter_zero_point(zw).per_channel(false).iterations(2).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: accumulators at the int32 bound, saturating clamps") {
  for (const Kernel& k : {Kernel{1, 1}, Kernel{3, 3}, Kernel{7, 7}}) {
    for (int32_t za : {-128, 127}) {
      QDwconvTester().input_size(8, 8).channels(24).kernel_size(k.h, k.w).padding_same().input_zero_point(za)
          .filter_zero_point(-za - 1).input_fill(-za - 1).filter_fill(za).bias(Bias::kMax)
          .scale_exp_min(-25).scale_exp_max(-24).Test(config);
      QDwconvTester().input_size(8, 8).channels(24).kernel_size(k.h, k.w).padding_same().input_zero_point(za)
          .bias(Bias::kMax).scale_exp_min(-26).scale_exp_max(-23).iterations(3).Test(config);
    }
  }
  const int32_t stages[][3] = {{0, -128, -128}, {127, 127, 127}, {-128, -128, -120}, {5, 5, 127}, {-3, -4, 6}};
  for (const auto& st : stages) {
    for (int exp : {-12, -4, 0}) {
      QDwconvTester().input_size(5, 5).channels(20).kernel_size(3, 3).padding_same().output_zero_point(st[0])
          .output_min(st[1]).output_max(st[2]).scale_exp_min(exp).scale_exp_max(exp).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("qs8_dwconv_any: depth multipliers above 1") {
  for (int multiplier : {2, 3, 4}) {
    for (int c : {1, 3, 8}) {
      QDwconvTester().batch(2).input_size(6, 7).channels(c).multiplier(multiplier).kernel_size(3, 3)
          .padding_same().row_split(AxisSplit::Random(2)).Test(config);
      QDwconvTester().input_size(6, 9).channels(c).multiplier(multiplier).kernel_size(2, 5).stride(2, 1)
          .dilation(1, 2).padding_valid().Test(config);
    }
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: random convolutions (the generator covers what it claims)") {
  Rng rng(20240611);
  int k3 = 0, saturated = 0, x256 = 0, c4 = 0;
  const int cases = 3000;
  for (int i = 0; i < cases; ++i) {
    QDwconvTester t;
    t.batch(rng.OneIn(5) ? 2 : 1).input_size(rng.Int(1, 17), rng.Int(1, 17));
    t.channels(rng.OneIn(4) ? rng.Int(1, 40) : 8 * rng.Int(1, 5));
    const bool is3 = rng.Int(0, 1) == 0;  // 3x3 half the time, else 1x1 to 5x5
    const int kh = is3 ? 3 : rng.Int(1, 5), kw = is3 ? 3 : rng.Int(1, 5);
    const int sh = rng.Int(1, 3);
    t.kernel_size(kh, kw).stride(sh, rng.OneIn(4) ? rng.Int(1, 3) : sh);
    if (rng.OneIn(5)) t.dilation(rng.Int(1, 3), rng.Int(1, 3));
    if (rng.Int(0, 1)) t.padding_same();
    else t.padding_valid();
    if (t.Shape().out_h < 1 || t.Shape().out_w < 1) t.padding_same();  // always fits
    const bool per_channel = rng.Int(0, 1) == 0;
    t.per_channel(per_channel).input_zero_point(rng.Int8Extreme());
    t.filter_zero_point(per_channel ? 0 : rng.Int8Extreme());
    t.bias(static_cast<Bias>(rng.Int(0, 3)));
    // From tiny (everything rounds to the zero point) to large (everything saturates).
    const int exp = rng.Int(-20, 0);
    t.scale_exp_min(exp).scale_exp_max(exp).output(RandomClamp(rng));
    t.row_split(AxisSplit::Random(rng.Int(0, 3))).channel_split(AxisSplit::Random(rng.Int(0, 2)));
    const QDwconvTester::Seen seen = t.seed(static_cast<uint32_t>(i)).Test(config);
    k3 += is3;
    saturated += seen.saturated;
    x256 += seen.even_x256;
    c4 += seen.c4;
  }
  CHECK(k3 > cases / 3);
  CHECK(saturated > cases / 6);
  if (c4 == 0) {
    CHECK(x256 > cases * 2 / 5);  // both accumulator layouts
    CHECK(cases - x256 > cases / 6);
  } else {
    CHECK(c4 > cases / 3);  // relaxed tables: 16c4 with int8 weights, 16c2 with a filter zero point
    CHECK(cases - c4 > cases / 6);
  }
}

QWASM_KERNEL_TEST("qs8_dwconv: hand-computed, multiplier 2 and a 3x3 SAME border") {
  {
    // x = [[1,2],[3,4]] (one channel), multiplier 2, 2x2 VALID.
    // oc0 w = ones -> 10; oc1 w = [[1,-1],[0,2]] -> 1 - 2 + 0 + 8 = 7.
    // bias [0, 1] -> 10, 8; scale [1, 0.5] -> 10, 4.
    const std::vector<int8_t> x = {1, 2, 3, 4}, w = {1, 1, 1, -1, 1, 0, 1, 2};
    const int32_t bias[] = {0, 1};
    const float scale[] = {1.0f, 0.5f};
    QConvParams p;
    p.shape.in_h = p.shape.in_w = p.shape.kernel_h = p.shape.kernel_w = 2;
    p.shape.in_c = 1, p.shape.out_c = 2;
    p.shape.out_h = p.shape.out_w = 1;
    p.filter = w.data(), p.bias = bias, p.scale = scale;
    CheckHandDwconv(config, p, x, {10, 4});
  }
  // Channel 0 real ones, channel 1 real twos; kernel of ones; pad 1 each
  // side. Tap counts [[4,6,4],[6,9,6],[4,6,4]]; channel 1 doubles them;
  // filter zero point -1 makes stored 0 mean weight 1.
  std::vector<int8_t> x;
  for (int i = 0; i < 9; ++i) x.insert(x.end(), {1, 2});
  const std::vector<int8_t> w(18, 0);
  const float scale[] = {1.0f, 1.0f};
  QConvParams p;
  WindowShape& s = p.shape;
  s.in_h = s.in_w = s.out_h = s.out_w = s.kernel_h = s.kernel_w = 3;
  s.in_c = s.out_c = 2;
  s.pad_top = s.pad_left = 1;
  p.filter_zero_point = -1;
  p.filter = w.data(), p.scale = scale;
  CheckHandDwconv(config, p, x, {4, 8, 6, 12, 4, 8, 6, 12, 9, 18, 6, 12, 4, 8, 6, 12, 4, 8});
}

QWASM_KERNEL_TEST("f32_dwconv: kernel sizes, strides, dilation and padding") {
  for (const Kernel& k : kKernels) {
    for (int stride : {1, 2, 3}) {
      F32DwconvTester().input_size(7, 9).channels(20).kernel_size(k.h, k.w).stride(stride, stride).padding_same()
          .Test(config);
      F32DwconvTester().input_size(7, 9).channels(5).kernel_size(k.h, k.w).stride(stride, 1).padding_valid()
          .Test(config);
      F32DwconvTester().input_size(7, 9).channels(16).kernel_size(k.h, k.w).dilation(2, stride == 3 ? 1 : stride)
          .padding(1, 0, k.h - 1, k.w - 1).Test(config);
    }
  }
  for (int in : {1, 2}) F32DwconvTester().input_size(in, in).channels(33).kernel_size(7, 7).padding_same().Test(config);
}

QWASM_KERNEL_TEST("f32_dwconv: channel counts around 4 and 16 (vector, 4-lane and scalar tails)") {
  for (int c = 1; c <= 37; ++c) {
    F32DwconvTester().input_size(4, 3).channels(c).kernel_size(3, 3).padding_same().seed(c).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_dwconv: row sub-ranges, batches, depth multipliers") {
  for (int i = 0; i < 10; ++i) {
    F32DwconvTester().batch(2).input_size(6, 5).channels(19).kernel_size(3, 3).padding_same()
        .row_split(AxisSplit::Random(3)).seed(i).Test(config);
  }
  F32DwconvTester().batch(3).input_size(4, 4).channels(8).kernel_size(3, 3).row_split(AxisSplit(2, 5))
      .padding_same().Test(config);
  for (int multiplier : {2, 3}) {
    for (int c : {1, 4, 7}) {
      F32DwconvTester().input_size(5, 6).channels(c).multiplier(multiplier).kernel_size(3, 2).stride(1, 2)
          .padding_same().row_split(AxisSplit::Random(1)).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("f32_dwconv: clamps, bias null vs present, NaN and infinities") {
  const float inf = std::numeric_limits<float>::infinity();
  for (const FOutput& o : {FOutput{-inf, inf}, FOutput{0.0f, 6.0f}, FOutput{-0.1f, 0.1f}, FOutput{0.5f, 0.5f}}) {
    for (bool has_bias : {false, true}) {
      F32DwconvTester().input_size(5, 5).channels(21).kernel_size(3, 3).padding_same().has_bias(has_bias)
          .output(o).Test(config);
    }
  }
  for (int one_in : {4, 30}) {
    F32DwconvTester().input_size(6, 6).channels(23).kernel_size(3, 3).padding_same().specials(one_in)
        .iterations(3).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_dwconv: random convolutions") {
  Rng rng(77);
  const int channel_counts[] = {1, 3, 4, 7, 16, 19, 33, 36};
  for (int i = 0; i < 150; ++i) {
    F32DwconvTester t;
    t.batch(rng.Int(1, 2)).input_size(rng.Int(1, 10), rng.Int(1, 10)).channels(channel_counts[rng.Int(0, 7)]);
    t.multiplier(rng.OneIn(5) ? 2 : 1).kernel_size(rng.Int(1, 5), rng.Int(1, 5)).stride(rng.Int(1, 2), rng.Int(1, 2));
    t.dilation(rng.OneIn(4) ? 2 : 1, rng.OneIn(4) ? 2 : 1).padding_same();
    t.has_bias(rng.Int(0, 1)).output(RandomFloatClamp(rng)).row_split(AxisSplit::Random(rng.Int(0, 2)));
    t.seed(static_cast<uint32_t>(i)).Test(config);
  }
}
