// The mean-over-H-and-W families (qs8_mean_hw, f32_mean_hw) on every kernel
// table: the MobileNet global pools, images over 256 pixels (int16 partial
// sums), single pixels, random shapes and channel pieces; hand-computed.
#include "kernels/mean-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

struct Shape4 {
  int batch, height, width, channels;
};

std::vector<Shape4> MeanShapes(Rng& rng) {
  std::vector<Shape4> shapes = {{1, 7, 7, 1280}, {2, 17, 17, 20}, {1, 20, 20, 3}, {1, 1, 1, 1}, {3, 1, 5, 16}};
  for (int i = 0; i < 60; ++i) shapes.push_back({rng.Int(1, 3), rng.Int(1, 20), rng.Int(1, 20), rng.Int(1, 70)});
  return shapes;
}

}  // namespace

QWASM_KERNEL_TEST("qs8_mean_hw: global pools, over 256 pixels, random shapes and channel pieces") {
  Rng rng(7);
  for (const Shape4& s : MeanShapes(rng)) {
    const float out_scale = rng.Scale(-8, 0);
    QMeanTester().batch(s.batch).height(s.height).width(s.width).channels(s.channels)
        .input_zero_point(rng.Int8Extreme()).input_over_output_scale(static_cast<double>(rng.Scale(-8, 0)) / out_scale)
        .output(RandomActivation(rng, out_scale)).channel_split(AxisSplit::Random(rng.Int(0, 3)))
        .seed(static_cast<uint32_t>(s.channels)).Test(config);
  }
  for (size_t c0 : {0, 15, 16, 17}) {
    QMeanTester().batch(2).height(3).width(3).channels(50).channel_split(AxisSplit(c0, c0 + 17)).Test(config);
  }
}

TEST_CASE("qs8_mean_hw: hand-computed, ties and rescale") {
  // channel 0: 1,2,3,4 -> 2.5 -> 2 (tie); channel 1: 1,1,1,2 -> 1.25 -> 1.
  // With scale ratio 2: 5 and 2.5 -> 2 (tie); with zx = 1 the sums are 6
  // and 1: 6*2/4 = 3, 1*2/4 = 0.5 -> 0.
  const std::vector<int8_t> x = {1, 1, 2, 1, 3, 1, 4, 2};
  QMeanParams p;
  p.height = p.width = p.channels = 2;
  auto check = [&](const std::vector<int8_t>& want) {
    std::vector<int8_t> y(2);
    qs8_mean_hw__oracle(p, x.data(), y.data());
    CHECK(y == want);
    ForEachConfig([&](const KernelConfig& config) {
      config.qs8_mean_hw(p, 0, 2, x.data(), y.data());
      CHECK_MESSAGE(y == want, config.name);
    });
  };
  check({2, 1});
  p.input_over_output_scale = 2.0;
  check({5, 2});
  p.input_zero_point = 1;
  check({3, 0});
}

QWASM_KERNEL_TEST("f32_mean_hw: shapes, channel pieces, NaN and infinities") {
  Rng rng(8);
  for (const Shape4& s : MeanShapes(rng)) {
    F32MeanTester().batch(s.batch).height(s.height).width(s.width).channels(s.channels)
        .channel_split(AxisSplit::Random(rng.Int(0, 2))).specials(rng.OneIn(4) ? 20 : 0)
        .seed(static_cast<uint32_t>(s.channels)).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_mean_hw: every channel count 1..33 (vector tails), channel pieces, NaN, +-0.0, infinities") {
  Rng rng(9);
  for (int c = 1; c <= 33; ++c) {
    F32MeanTester().batch(rng.Int(1, 3)).height(rng.Int(1, 6)).width(rng.Int(1, 6)).channels(c)
        .channel_split(AxisSplit::Random(rng.Int(0, 2))).specials(rng.OneIn(2) ? rng.Int(1, 4) : 0)
        .seed(static_cast<uint32_t>(c)).Test(config);
  }
}

QWASM_KERNEL_TEST("f32_mean_hw: the reference's bits (zero signs, NaNs), channels 1..33, channel ranges") {
  Rng rng(10);
  for (int c = 1; c <= 33; ++c) {
    for (int rep = 0; rep < 4; ++rep) {
      const int side = rep == 3 ? 20 : 0;  // 400 pixels
      const FMeanParams p{rng.Int(1, 3), side ? side : rng.Int(1, 7), side ? side : rng.Int(1, 7), c};
      const std::vector<float> x = ReferenceBitsData(rng, static_cast<size_t>(p.batch) * p.height * p.width * c);
      const size_t c0 = rng.Index(0, c), c1 = rng.Index(c0, c);
      std::vector<float> want = Sentinel<float>(static_cast<size_t>(p.batch) * c), got = want;
      ReferenceKernels().f32_mean_hw(p, 0, static_cast<size_t>(c), x.data(), want.data());
      config.f32_mean_hw(p, 0, c0, x.data(), got.data());
      config.f32_mean_hw(p, c0, c1, x.data(), got.data());
      config.f32_mean_hw(p, c1, static_cast<size_t>(c), x.data(), got.data());
      ExpectReferenceBits(got, want, /*any_nan=*/true,
                          Description("f32_mean_hw", config)("batch", p.batch)("height", p.height)("width", p.width)(
                              "channels", c)("c0", c0)("c1", c1)
                              .str());
    }
  }
}
