// The softmax families on every kernel table: qs8_softmax with TFLite's
// and ONNX Runtime's numerics, rows around 16 and the 256-column table
// path, output scales down to the smallest denormal, the summation order;
// f32_softmax; the exponential tables.
#include "kernels/softmax-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// A hand-computed softmax: the oracle and every table give `want`.
void CheckSoftmax(const QSoftmaxParams& p, const std::vector<int8_t>& x, const std::vector<int8_t>& want) {
  std::vector<int8_t> y(want.size());
  qs8_softmax__oracle(p, x.data(), y.data());
  CHECK(y == want);
  ForEachConfig([&](const KernelConfig& config) {
    config.qs8_softmax(p, 0, static_cast<size_t>(p.rows), x.data(), y.data());
    CHECK(y == want);
  });
}

}  // namespace

QWASM_KERNEL_TEST("qs8_softmax: short rows and table-driven long rows, TFLite and ONNX numerics") {
  Rng rng(8);
  std::vector<int> widths = {1, 2, 15, 16, 17, 255, 256, 257, 1000, 1001};
  for (int i = 0; i < 40; ++i) widths.push_back(rng.Int(1, 700));
  for (int cols : widths) {
    QSoftmaxTester t;
    t.cols(cols).rows(rng.Int(1, 4)).onnx_numerics(rng.Int(0, 1) == 1).input_scale(rng.Scale(-7, 1));
    t.beta(rng.Scale(-1, 1));
    // 1/256 (the usual grid), a random one, and one so fine that 1 / (sum *
    // scale) overflows to infinity (0 * inf = NaN lanes).
    float scale = 1.0f / 256;
    if (rng.OneIn(3)) scale = rng.Scale(-12, -2);
    else if (rng.OneIn(2)) scale = std::numeric_limits<float>::denorm_min();
    t.output_scale(scale).output(RandomActivation(rng, scale)).row_split(AxisSplit::Random(rng.Int(0, 3)));
    t.seed(static_cast<uint32_t>(cols)).Test(config);
  }
}

QWASM_KERNEL_TEST("qs8_softmax: equal logits, the largest distances, narrow bands") {
  for (bool onnx : {false, true}) {
    for (int cols : {1, 3, 16, 300}) {
      QSoftmaxTester().cols(cols).rows(3).onnx_numerics(onnx).input_min(7).input_max(7).output_zero_point(-128)
          .Test(config);
      QSoftmaxTester().cols(cols).rows(3).onnx_numerics(onnx).input_scale(1.0f).iterations(4).Test(config);
      QSoftmaxTester().cols(cols).rows(3).onnx_numerics(onnx).input_min(-2).input_max(2).input_scale(0.5f)
          .Test(config);
      QSoftmaxTester().cols(cols).rows(2).onnx_numerics(onnx).output_scale(0.0041f).output_zero_point(-128)
          .Test(config);
    }
  }
}

TEST_CASE("qs8_softmax: the normaliser is summed in index order") {
  // exp(-17.5) = 2.5e-8 is under half an ulp of 1, so adding it to a running
  // sum of 1 changes nothing: in index order (max first) the sum stays exactly
  // 1, while any other order (pairwise, reversed) first gathers the 1000 small
  // terms into 2.5e-5 and ends at 1.000025. The output grid puts the max
  // element's probability, 1 / (sum * scale), just above a tie: 100.501 -> 101
  // with sum 1, 100.4985 -> 100 with the other sum.
  float table[256];
  qs8_softmax_init(1.0f, 17.5f, table);
  REQUIRE(table[1] < 0x1.0p-25f);
  QSoftmaxParams p;
  p.rows = 1;
  p.cols = 1001;
  p.exp_table = table;
  p.output_scale = 1.0f / 100.501f;
  p.output.zero_point = -128;
  std::vector<int8_t> x(1001, 9), want(1001, -128), y(1001);
  x[0] = 10;  // the max; every other element is at distance 1
  want[0] = -128 + 101;
  qs8_softmax__oracle(p, x.data(), y.data());
  CHECK(y == want);
  ForEachConfig([&](const KernelConfig& config) {
    config.qs8_softmax(p, 0, 1, x.data(), y.data());
    CHECK_MESSAGE(y == want, config.name);
  });
}

TEST_CASE("qs8_softmax: hand-computed, TFLite numerics: equal logits, thirds, saturation") {
  float table[256];
  qs8_softmax_init(1.0f, 0.1f, table);
  CHECK(table[0] == 1.0f);
  CHECK(table[10] == doctest::Approx(std::exp(-1.0)));
  QSoftmaxParams p;
  p.exp_table = table;
  p.output_scale = 1.0f / 256;
  p.output = {-128, -128, 127};
  auto check = [&](const std::vector<int8_t>& x, const std::vector<int8_t>& want) { CheckSoftmax(p, x, want); };
  // Two equal logits: 0.5 * 256 = 128 -> 0 after zo -128.
  p.rows = 1, p.cols = 2;
  check({7, 7}, {0, 0});
  // Three equal: 256 / 3 = 85.33 -> 85 -> -43.
  p.cols = 3;
  check({-5, -5, -5}, {-43, -43, -43});
  // Distance 255 at scale 1: exp(-255) ~ 0, so the winner saturates at 256 -> 127.
  qs8_softmax_init(1.0f, 1.0f, table);
  p.cols = 2;
  check({127, -128}, {127, -128});
  // Two rows are independent; a row [d=0, d=1] at scale ln 3 gives 3/4 and 1/4.
  qs8_softmax_init(1.0f, std::log(3.0f), table);
  p.rows = 2;
  check({1, 0, 0, 1}, {64, -64, -64, 64});  // 192 - 128, 64 - 128
}

TEST_CASE("qs8_softmax: hand-computed, ONNX Runtime's table, floor(1 / output scale), division last") {
  // ORT's table is exp(-scale * d) times one factor that puts a row's sum
  // just under FLT_MAX / e^5: for 2 columns, entry 0 = e^(ln(FLT_MAX / 2) - 5).
  float table[256];
  qs8_softmax_init_onnx(std::log(3.0f), 2, table);
  CHECK(table[0] == doctest::Approx(std::numeric_limits<float>::max() / 2 / std::exp(5.0)).epsilon(1e-5));
  CHECK(table[1] / table[0] == doctest::Approx(1.0 / 3).epsilon(1e-6));
  CHECK(std::isfinite(table[0] + table[1]));
  QSoftmaxParams p;
  p.onnx_numerics = true;
  p.exp_table = table;
  p.rows = 2, p.cols = 2;
  p.output_scale = 1.0f / 256;
  p.output = {-128, -128, 127};
  auto check = [&](const std::vector<int8_t>& x, const std::vector<int8_t>& want) { CheckSoftmax(p, x, want); };
  // [d = 0, d = 1] -> 3/4 and 1/4 of 256, as with TFLite's arithmetic.
  check({1, 0, 0, 1}, {64, -64, -64, 64});
  // Output scale 0.0041: ORT multiplies by floor(1 / 0.0041) = 243, so a
  // probability of 1 - 1.4e-6 (logits 13.5 apart) becomes 243, where
  // dividing by the scale (TFLite) gives rne(243.9) = 244.
  qs8_softmax_init_onnx(0.1f, 2, table);
  p.rows = 1;
  p.output_scale = 0.0041f;
  check({7, -128}, {243 - 128, -128});
  float tflite_table[256];
  qs8_softmax_init(1.0f, 0.1f, tflite_table);
  p.exp_table = tflite_table;
  p.onnx_numerics = false;
  check({7, -128}, {244 - 128, -128});
}

TEST_CASE("qs8_softmax_init / qs8_softmax_init_onnx: the exponentials, in double, rounded once") {
  Rng rng(14);
  for (int i = 0; i < 20; ++i) {
    const float beta = rng.Scale(-2, 1), scale = rng.Scale(-8, 1);
    const int cols = rng.Int(1, 5000);
    float table[256], onnx[256];
    qs8_softmax_init(beta, scale, table);
    qs8_softmax_init_onnx(scale, cols, onnx);
    for (int d = 0; d < 256; ++d) {
      CAPTURE(d);
      const double e = std::exp(-static_cast<double>(beta) * scale * d);
      CHECK(table[d] == doctest::Approx(e).epsilon(1e-6));
      CHECK(onnx[d] / onnx[0] == doctest::Approx(std::exp(-static_cast<double>(scale) * d)).epsilon(1e-5));
      if (d > 0) CHECK(table[d] <= table[d - 1]);
    }
    CHECK(table[0] == 1.0f);
    // A row of `cols` entries of the largest term stays finite with room for e^5.
    CHECK(static_cast<double>(onnx[0]) * cols <= std::numeric_limits<float>::max() / std::exp(4.9));
  }
}

QWASM_KERNEL_TEST("f32_softmax: widths, beta, row pieces, large and infinite logits") {
  Rng rng(15);
  for (int cols : {1, 2, 3, 4, 5, 15, 16, 17, 100, 1001}) {
    F32SoftmaxTester().cols(cols).rows(rng.Int(1, 5)).beta(rng.Real(0.5f, 2.0f)).row_split(AxisSplit::Random(2))
        .seed(static_cast<uint32_t>(cols)).Test(config);
    F32SoftmaxTester().cols(cols).rows(3).range(80.0f).Test(config);
  }
  F32SoftmaxTester().cols(33).rows(4).specials(6).iterations(3).Test(config);
}

QWASM_KERNEL_TEST("f32_softmax: the reference's bits, rows of 1..40 columns, large and small values, ties, -0.0") {
  Rng rng(16);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (int cols = 1; cols <= 40; ++cols) {
    for (int kind = 0; kind < 8; ++kind) {
      FSoftmaxParams p{rng.Int(1, 4), cols, kind == 7 ? -rng.Real(0.5f, 2.0f) : rng.Real(0.25f, 4.0f)};
      const size_t n = static_cast<size_t>(p.rows) * cols;
      std::vector<float> x;
      switch (kind) {
        case 0: x = rng.Floats(n, -4.0f, 4.0f); break;
        case 1: x = rng.Floats(n, -3e4f, 3e4f); break;   // most terms underflow to 0
        case 2: x = rng.Floats(n, -1e-38f, 1e-38f); break;  // denormal differences
        case 3:  // ties: a few distinct values, the max repeated
          x.resize(n);
          for (float& v : x) v = static_cast<float>(rng.Int(-2, 2)) * 0.75f;
          break;
        case 4:  // zeros of both signs only (the max's sign differs by order)
          x.resize(n);
          for (float& v : x) v = rng.OneIn(2) ? -0.0f : 0.0f;
          break;
        case 5:  // -0.0 first, +0.0 later as the max, negative values elsewhere
          x = rng.Floats(n, -8.0f, -1.0f);
          for (int r = 0; r < p.rows; ++r) {
            x[static_cast<size_t>(r) * cols] = -0.0f;
            x[static_cast<size_t>(r) * cols + rng.Index(0, cols - 1)] = 0.0f;
          }
          break;
        case 6:  // specials: NaN (the reference ignores it except first), infinities
          x = ReferenceBitsData(rng, n);
          if (rng.OneIn(2)) x[rng.Index(0, n - 1)] = rng.OneIn(2) ? nan : inf;
          break;
        default: x = rng.Floats(n, -80.0f, 80.0f); break;  // negative beta
      }
      const size_t rows = static_cast<size_t>(p.rows), split = rng.Index(0, rows);
      std::vector<float> want = Sentinel<float>(n), got = want;
      ReferenceKernels().f32_softmax(p, 0, rows, x.data(), want.data());
      config.f32_softmax(p, 0, split, x.data(), got.data());
      config.f32_softmax(p, split, rows, x.data(), got.data());
      ExpectReferenceBits(got, want, /*any_nan=*/true,
                          Description("f32_softmax", config)("rows", p.rows)("cols", cols)("beta", p.beta)(
                              "kind", kind)("split", split)
                              .str());
    }
  }
}
