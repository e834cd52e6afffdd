// The SIMD elementwise, pooling, mean, softmax and conversion kernels
// (kernels-wasmsimd.h) against their scalar references, byte for byte: random
// and odd sizes, extreme zero points, saturating scales, every fused-activation
// clamp, arbitrary work ranges (which must write nothing outside themselves).
// Buffers are sized exactly, so ASan also proves the kernels never read or
// write past their tensors. Then the operators, split over threads, against
// the reference kernels on graphs of odd sizes.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "graph/interpreter.h"
#include "graph/op.h"
#include "kernels/kernels-wasmsimd.h"
#include "kernels/kernels.h"

using namespace qwasm;

namespace {

using Rng = std::mt19937;

int Uniform(Rng& g, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }

// m * 2^e with e in [lo, hi] and m uniform in [1, 2), or m = 1 one time in
// three: power-of-two scales make exact ties (k + 1/2) common, which pins
// round-half-to-even and any one-ulp error in a multiplier.
float RandomScale(Rng& g, int lo, int hi) {
  const float m = Uniform(g, 0, 2) ? std::uniform_real_distribution<float>(1.0f, 2.0f)(g) : 1.0f;
  return std::ldexp(m, Uniform(g, lo, hi));
}

int32_t RandomZeroPoint(Rng& g) {
  switch (Uniform(g, 0, 3)) {
    case 0: return -128;
    case 1: return 127;
    default: return Uniform(g, -128, 127);
  }
}

// int8 data: uniform, constant extremes, alternating extremes, or a narrow
// band (so that ties and small sums occur).
std::vector<int8_t> RandomI8(Rng& g, size_t n) {
  std::vector<int8_t> v(n);
  const int kind = Uniform(g, 0, 5);
  const int center = Uniform(g, -120, 120);
  for (size_t i = 0; i < n; ++i) {
    switch (kind) {
      case 0: v[i] = -128; break;
      case 1: v[i] = 127; break;
      case 2: v[i] = i % 2 ? 127 : -128; break;
      case 3: v[i] = static_cast<int8_t>(center + Uniform(g, -3, 3)); break;
      default: v[i] = static_cast<int8_t>(Uniform(g, -128, 127)); break;
    }
  }
  return v;
}

// The clamps OpContext::OutputStage derives for each fused activation on an
// output grid (scale, zero point), plus a single-value range.
QOutput RandomOutput(Rng& g, float out_scale) {
  QOutput o;
  o.zero_point = RandomZeroPoint(g);
  auto grid = [&](double v) {
    const double q = o.zero_point + std::nearbyint(std::clamp(v / out_scale, -512.0, 512.0));
    return static_cast<int32_t>(std::clamp(q, -128.0, 127.0));
  };
  switch (Uniform(g, 0, 4)) {
    case 0: break;                                                       // none
    case 1: o.min = o.zero_point; break;                                 // RELU
    case 2: o.min = o.zero_point, o.max = grid(6.0); break;              // RELU6
    case 3: o.min = grid(-1.0), o.max = grid(1.0); break;                // RELU_N1_TO_1
    default: o.min = o.max = Uniform(g, -128, 127); break;
  }
  if (o.min > o.max) o.max = o.min;  // an empty range is rejected at prepare
  return o;
}

// Sizes 0..100, then odd and large ones.
std::vector<size_t> TestSizes(Rng& g) {
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 100; ++n) sizes.push_back(n);
  for (size_t n : {127, 128, 129, 255, 1001, 4096, 65537, 75264}) sizes.push_back(n);
  for (int i = 0; i < 8; ++i) sizes.push_back(static_cast<size_t>(Uniform(g, 101, 20000)));
  return sizes;
}

// A random cut of [0, n) into 1..4 ranges at arbitrary points.
std::vector<size_t> RandomCuts(Rng& g, size_t n) {
  std::vector<size_t> cuts = {0, n};
  const int extra = n ? Uniform(g, 0, 3) : 0;
  for (int i = 0; i < extra; ++i) cuts.push_back(static_cast<size_t>(Uniform(g, 0, static_cast<int>(n))));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// Runs `range(begin, end)` over a random cut of [0, n) into an output that
// starts as random bytes, and checks one random range alone leaves every
// element outside it untouched.
template <typename T, typename Range>
std::vector<T> RunInRanges(Rng& g, size_t n, Range range) {
  std::vector<T> out(n);
  for (T& v : out) v = static_cast<T>(Uniform(g, -128, 127));
  const std::vector<T> before = out;
  const std::vector<size_t> cuts = RandomCuts(g, n);
  const size_t k = static_cast<size_t>(Uniform(g, 0, static_cast<int>(cuts.size()) - 2));
  range(out.data(), cuts[k], cuts[k + 1]);
  CHECK(std::equal(out.begin(), out.begin() + cuts[k], before.begin()));
  CHECK(std::equal(out.begin() + cuts[k + 1], out.end(), before.begin() + cuts[k + 1]));
  for (size_t i = 0; i + 1 < cuts.size(); ++i) range(out.data(), cuts[i], cuts[i + 1]);
  return out;
}

}  // namespace

TEST_CASE("SIMD add equals the reference") {
  Rng g(1);
  for (size_t n : TestSizes(g)) {
    CAPTURE(n);
    // Multipliers as PrepareAdd makes them: the larger input / output scale
    // ratio gets 21 significant bits, the shared shift sets the scale.
    const float a_ratio = RandomScale(g, -9, 9), b_ratio = RandomScale(g, -9, 9);
    const int shift = 20 - std::ilogb(std::max(a_ratio, b_ratio));
    QAddParams p;
    p.size = n;
    p.a_zero_point = RandomZeroPoint(g);
    p.b_zero_point = RandomZeroPoint(g);
    p.a_multiplier = static_cast<int32_t>(std::nearbyint(std::ldexp(double{a_ratio}, shift)));
    p.b_multiplier = static_cast<int32_t>(std::nearbyint(std::ldexp(double{b_ratio}, shift)));
    p.scale = std::ldexp(1.0f, -shift);
    p.output = RandomOutput(g, RandomScale(g, -8, 0));
    CAPTURE(p.a_multiplier);
    CAPTURE(p.b_multiplier);
    const std::vector<int8_t> a = RandomI8(g, n), b = RandomI8(g, n);
    std::vector<int8_t> want(n);
    qs8_add__ref(p, a.data(), b.data(), want.data());
    const std::vector<int8_t> got = RunInRanges<int8_t>(g, n, [&](int8_t* out, size_t b0, size_t b1) {
      qs8_add__wasmsimd(p, b0, b1, a.data(), b.data(), out);
    });
    CHECK(got == want);
  }
}

TEST_CASE("SIMD add with ONNX float rescaling equals the reference") {
  Rng g(11);
  for (size_t n : TestSizes(g)) {
    CAPTURE(n);
    QAddParams p;
    p.size = n;
    p.float_rescale = true;
    p.a_zero_point = RandomZeroPoint(g);
    p.b_zero_point = RandomZeroPoint(g);
    p.a_scale = RandomScale(g, -12, 2);
    p.b_scale = RandomScale(g, -12, 2);
    p.output_scale = RandomScale(g, -12, 2);
    p.output = RandomOutput(g, RandomScale(g, -8, 0));
    // uint8 models round around the uint8 zero point (zero_point + 128).
    p.rounding_zero_point = p.output.zero_point + (Uniform(g, 0, 1) ? 128 : 0);
    CAPTURE(p.a_scale);
    CAPTURE(p.b_scale);
    CAPTURE(p.output_scale);
    const std::vector<int8_t> a = RandomI8(g, n), b = RandomI8(g, n);
    std::vector<int8_t> want(n);
    qs8_add__ref(p, a.data(), b.data(), want.data());
    const std::vector<int8_t> got = RunInRanges<int8_t>(g, n, [&](int8_t* out, size_t b0, size_t b1) {
      qs8_add__wasmsimd(p, b0, b1, a.data(), b.data(), out);
    });
    CHECK(got == want);
  }
}

TEST_CASE("SIMD requantize equals the reference") {
  Rng g(2);
  for (size_t n : TestSizes(g)) {
    CAPTURE(n);
    RequantizeParams p;
    p.input_zero_point = RandomZeroPoint(g);
    p.scale = RandomScale(g, -8, 8);
    p.output = RandomOutput(g, RandomScale(g, -8, 0));
    const std::vector<int8_t> x = RandomI8(g, n);
    std::vector<int8_t> want(n);
    qs8_requantize__ref(p, n, x.data(), want.data());
    const std::vector<int8_t> got = RunInRanges<int8_t>(g, n, [&](int8_t* out, size_t b0, size_t b1) {
      qs8_requantize__wasmsimd(p, b1 - b0, x.data() + b0, out + b0);
    });
    CHECK(got == want);
  }
}

TEST_CASE("SIMD dequantize equals the reference bit for bit") {
  Rng g(3);
  for (size_t n : TestSizes(g)) {
    CAPTURE(n);
    DequantizeParams p;
    p.scale = Uniform(g, 0, 9) ? RandomScale(g, -20, 20) : std::numeric_limits<float>::denorm_min();
    p.zero_point = RandomZeroPoint(g);
    const std::vector<int8_t> x = RandomI8(g, n);
    std::vector<float> want(n);
    qs8_f32_dequantize__ref(p, n, x.data(), want.data());
    const std::vector<float> got = RunInRanges<float>(g, n, [&](float* out, size_t b0, size_t b1) {
      qs8_f32_dequantize__wasmsimd(p, b1 - b0, x.data() + b0, out + b0);
    });
    CHECK((n == 0 || std::memcmp(got.data(), want.data(), n * sizeof(float)) == 0));
  }
}

TEST_CASE("SIMD quantize equals the reference, NaN, infinities and ties included") {
  Rng g(4);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            -std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::denorm_min(),
                            -0.0f,
                            0.0f};
  for (size_t n : TestSizes(g)) {
    CAPTURE(n);
    QuantizeParams p;
    // With power-of-two scales (k + 1/2) * scale is an exact tie after the division.
    p.scale = RandomScale(g, -10, 4);
    p.output = RandomOutput(g, p.scale);
    std::vector<float> x(n);
    for (float& v : x) {
      switch (Uniform(g, 0, 9)) {
        case 0: v = specials[Uniform(g, 0, 8)]; break;
        case 1: case 2: v = (Uniform(g, -300, 300) + 0.5f) * p.scale; break;
        default: v = std::uniform_real_distribution<float>(-300.0f, 300.0f)(g) * p.scale; break;
      }
    }
    std::vector<int8_t> want(n);
    f32_qs8_quantize__ref(p, n, x.data(), want.data());
    const std::vector<int8_t> got = RunInRanges<int8_t>(g, n, [&](int8_t* out, size_t b0, size_t b1) {
      f32_qs8_quantize__wasmsimd(p, b1 - b0, x.data() + b0, out + b0);
    });
    CHECK(got == want);
  }
}

namespace {

// Random rows x channels ranges of an average pool (or mean) output, each
// range written into an output of random bytes; one range alone must leave
// everything outside it untouched.
template <typename Range>
std::vector<int8_t> PoolInRanges(Rng& g, size_t rows, size_t pixels_per_row, size_t channels,
                                 Range range) {
  const size_t n = rows * pixels_per_row * channels;
  std::vector<int8_t> out(n);
  for (int8_t& v : out) v = static_cast<int8_t>(Uniform(g, -128, 127));
  const std::vector<int8_t> before = out;
  const std::vector<size_t> row_cuts = RandomCuts(g, rows), c_cuts = RandomCuts(g, channels);
  const size_t rk = static_cast<size_t>(Uniform(g, 0, static_cast<int>(row_cuts.size()) - 2));
  const size_t ck = static_cast<size_t>(Uniform(g, 0, static_cast<int>(c_cuts.size()) - 2));
  range(out.data(), row_cuts[rk], row_cuts[rk + 1], c_cuts[ck], c_cuts[ck + 1]);
  for (size_t i = 0; i < n; ++i) {
    const size_t row = i / (pixels_per_row * channels), c = i % channels;
    const bool inside = row >= row_cuts[rk] && row < row_cuts[rk + 1] && c >= c_cuts[ck] && c < c_cuts[ck + 1];
    if (!inside && out[i] != before[i]) {
      FAIL_CHECK("byte " << i << " outside the range was written");
      break;
    }
  }
  for (size_t r = 0; r + 1 < row_cuts.size(); ++r) {
    for (size_t c = 0; c + 1 < c_cuts.size(); ++c) {
      range(out.data(), row_cuts[r], row_cuts[r + 1], c_cuts[c], c_cuts[c + 1]);
    }
  }
  return out;
}

void CheckAveragePool(Rng& g, const QPoolParams& p) {
  const WindowShape& s = p.shape;
  const std::vector<int8_t> x = RandomI8(g, static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.in_c);
  std::vector<int8_t> want(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c);
  qs8_average_pool__ref(p, x.data(), want.data());
  const std::vector<int8_t> got = PoolInRanges(
      g, static_cast<size_t>(s.batch) * s.out_h, s.out_w, s.out_c,
      [&](int8_t* out, size_t r0, size_t r1, size_t c0, size_t c1) {
        qs8_average_pool__wasmsimd(p, r0, r1, c0, c1, x.data(), out);
      });
  CHECK(got == want);
}

QPoolParams RandomPool(Rng& g, int in_h, int in_w, int channels, int kh, int kw, int stride_h,
                       int stride_w, Padding padding) {
  QPoolParams p;
  WindowShape& s = p.shape;
  s.batch = Uniform(g, 1, 2);
  s.in_h = in_h, s.in_w = in_w, s.in_c = s.out_c = channels;
  s.kernel_h = kh, s.kernel_w = kw;
  s.stride_h = stride_h, s.stride_w = stride_w;
  s.out_h = WindowOutputSize(padding, in_h, kh, stride_h, 1);
  s.out_w = WindowOutputSize(padding, in_w, kw, stride_w, 1);
  s.pad_top = WindowPadBefore(padding, in_h, s.out_h, kh, stride_h, 1);
  s.pad_left = WindowPadBefore(padding, in_w, s.out_w, kw, stride_w, 1);
  p.input_zero_point = RandomZeroPoint(g);
  const float out_scale = RandomScale(g, -8, 0);
  p.input_over_output_scale = static_cast<double>(RandomScale(g, -8, 0)) / out_scale;
  p.output = RandomOutput(g, out_scale);
  return p;
}

}  // namespace

TEST_CASE("SIMD average pool equals the reference: windows 1x1..7x7, strides 1..3, SAME and VALID") {
  Rng g(5);
  const int channel_counts[] = {1, 3, 8, 15, 16, 17, 24, 32, 33, 40, 64};
  for (int kh = 1; kh <= 7; ++kh) {
    for (int kw = 1; kw <= 7; ++kw) {
      for (int stride = 1; stride <= 3; ++stride) {
        for (Padding padding : {Padding::kSame, Padding::kValid}) {
          CAPTURE(kh);
          CAPTURE(kw);
          CAPTURE(stride);
          CAPTURE(padding == Padding::kSame);
          const int channels = channel_counts[Uniform(g, 0, 10)];
          CAPTURE(channels);
          const int stride_w = Uniform(g, 0, 1) ? stride : Uniform(g, 1, 3);
          CheckAveragePool(g, RandomPool(g, Uniform(g, kh, 12), Uniform(g, kw, 12), channels, kh, kw,
                                         stride, stride_w, padding));
        }
      }
    }
  }
}

TEST_CASE("SIMD average pool: windows over 256 cells, global pools, windows larger than the image") {
  Rng g(6);
  struct Case { int in_h, in_w, c, kh, kw, stride; Padding padding; };
  const Case cases[] = {
      {20, 20, 20, 20, 20, 1, Padding::kValid},  // 400 cells: int16 partial sums flushed
      {17, 17, 35, 17, 17, 1, Padding::kSame},   // 289 cells at the centre, fewer at edges
      {64, 64, 3, 64, 64, 1, Padding::kValid},   // 4096 cells
      {7, 7, 1280, 7, 7, 1, Padding::kValid},    // MobileNetV2's global pool
      {4, 4, 256, 4, 4, 1, Padding::kValid},     // MobileNetV1 0.25's
      {5, 5, 19, 7, 7, 2, Padding::kSame},       // the window exceeds the image
      {3, 9, 16, 9, 2, 3, Padding::kSame},
  };
  for (const Case& k : cases) {
    CAPTURE(k.in_h);
    CAPTURE(k.kh);
    CAPTURE(k.c);
    for (int rep = 0; rep < 4; ++rep) {
      CheckAveragePool(g, RandomPool(g, k.in_h, k.in_w, k.c, k.kh, k.kw, k.stride, k.stride, k.padding));
    }
  }
}

TEST_CASE("SIMD mean over H and W equals the reference") {
  Rng g(7);
  std::vector<std::array<int, 4>> shapes = {{1, 7, 7, 1280}, {2, 17, 17, 20}, {1, 1, 1, 1}, {3, 1, 5, 16}};
  for (int i = 0; i < 60; ++i) shapes.push_back({Uniform(g, 1, 3), Uniform(g, 1, 20), Uniform(g, 1, 20), Uniform(g, 1, 70)});
  for (const auto& sh : shapes) {
    CAPTURE(sh[1]);
    CAPTURE(sh[2]);
    CAPTURE(sh[3]);
    QMeanParams p;
    p.batch = sh[0], p.height = sh[1], p.width = sh[2], p.channels = sh[3];
    p.input_zero_point = RandomZeroPoint(g);
    const float out_scale = RandomScale(g, -8, 0);
    p.input_over_output_scale = static_cast<double>(RandomScale(g, -8, 0)) / out_scale;
    p.output = RandomOutput(g, out_scale);
    const std::vector<int8_t> x = RandomI8(g, static_cast<size_t>(p.batch) * p.height * p.width * p.channels);
    std::vector<int8_t> want(static_cast<size_t>(p.batch) * p.channels);
    qs8_mean_hw__ref(p, x.data(), want.data());
    // Channel ranges only: every range covers all batches.
    const std::vector<int8_t> got =
        PoolInRanges(g, 1, p.batch, p.channels, [&](int8_t* out, size_t r0, size_t r1, size_t c0, size_t c1) {
          if (r0 < r1) qs8_mean_hw__wasmsimd(p, c0, c1, x.data(), out);
        });
    CHECK(got == want);
  }
}

TEST_CASE("SIMD softmax equals the reference, short rows and table-driven long rows") {
  Rng g(8);
  std::vector<int> widths = {1, 2, 15, 16, 17, 255, 256, 257, 1000, 1001};
  for (int i = 0; i < 40; ++i) widths.push_back(Uniform(g, 1, 700));
  for (int cols : widths) {
    CAPTURE(cols);
    float table[256];
    QSoftmaxParams p;
    p.onnx_numerics = Uniform(g, 0, 1) == 1;
    CAPTURE(p.onnx_numerics);
    if (p.onnx_numerics) {
      BuildSoftmaxExpTableOnnx(RandomScale(g, -7, 1), cols, table);
    } else {
      BuildSoftmaxExpTable(RandomScale(g, -1, 1), RandomScale(g, -7, 1), table);
    }
    p.rows = Uniform(g, 1, 4);
    p.cols = cols;
    p.exp_table = table;
    // 1/256 (the usual grid), a random one, and one so fine that 1 / (sum *
    // scale) overflows to infinity (0 * inf = NaN lanes).
    switch (Uniform(g, 0, 2)) {
      case 0: p.output_scale = 1.0f / 256; break;
      case 1: p.output_scale = RandomScale(g, -12, -2); break;
      default: p.output_scale = std::numeric_limits<float>::denorm_min(); break;
    }
    p.output = RandomOutput(g, p.output_scale);
    const size_t n = static_cast<size_t>(p.rows) * cols;
    const std::vector<int8_t> x = RandomI8(g, n);
    std::vector<int8_t> want(n);
    qs8_softmax__ref(p, x.data(), want.data());
    const std::vector<int8_t> got = PoolInRanges(
        g, static_cast<size_t>(p.rows), static_cast<size_t>(cols), 1,
        [&](int8_t* out, size_t r0, size_t r1, size_t c0, size_t c1) {
          if (c0 < c1) qs8_softmax__wasmsimd(p, r0, r1, x.data(), out);
        });
    CHECK(got == want);
  }
}

TEST_CASE("SIMD softmax sums the normaliser in the reference's index order") {
  // exp(-17.5) = 2.5e-8 is under half an ulp of 1, so adding it to a running
  // sum of 1 changes nothing: in index order (max first) the sum stays exactly
  // 1, while any other order (pairwise, reversed) first gathers the 1000 small
  // terms into 2.5e-5 and ends at 1.000025. The output grid puts the max
  // element's probability, 1 / (sum * scale), just above a tie: 100.501 -> 101
  // with sum 1, 100.4985 -> 100 with the other sum.
  float table[256];
  BuildSoftmaxExpTable(1.0f, 17.5f, table);
  REQUIRE(table[1] < 0x1.0p-25f);
  QSoftmaxParams p;
  p.rows = 1;
  p.cols = 1001;
  p.exp_table = table;
  p.output_scale = 1.0f / 100.501f;
  p.output.zero_point = -128;
  std::vector<int8_t> x(1001, 9);
  x[0] = 10;  // the max; every other element is at distance 1
  std::vector<int8_t> want(1001, -128), ref(1001), got(1001);
  want[0] = -128 + 101;
  qs8_softmax__ref(p, x.data(), ref.data());
  qs8_softmax__wasmsimd(p, 0, 1, x.data(), got.data());
  CHECK(ref == want);
  CHECK(got == want);
}

namespace {

// Builds one-node graphs: tensors, then the node, whose non-constant inputs
// become the graph inputs.
struct OneNode {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();
  int32_t Tensor(DType dtype, std::vector<int32_t> shape, float scale, int32_t zp) {
    qwasm::Tensor t;
    t.name = "t" + std::to_string(g->tensors.size());
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (scale > 0) {
      t.quant.scale = {scale};
      t.quant.zero_point = {zp};
    }
    g->tensors.push_back(t);
    return static_cast<int32_t>(g->tensors.size() - 1);
  }
  int32_t Axes12() {
    const int32_t t = Tensor(DType::kInt32, {2}, 0, 0);
    const int32_t axes[] = {1, 2};
    std::vector<uint8_t> bytes(sizeof axes);
    std::memcpy(bytes.data(), axes, sizeof axes);
    g->tensors[t].data_bytes = bytes.size();
    g->tensors[t].data = g->Own(std::move(bytes));
    return t;
  }
  void Node(OpType op, std::vector<int32_t> in, int32_t out, OpAttrs attrs = {}) {
    qwasm::Node n;
    n.op = op;
    n.name = "node";
    n.inputs = in;
    n.outputs = {out};
    n.attrs = attrs;
    g->nodes.push_back(n);
    for (int32_t t : in) {
      if (!g->tensors[t].is_constant()) g->inputs.push_back(t);
    }
    g->outputs = {out};
  }
};

// The graph `make` builds, run with the reference kernels and with the SIMD
// ones on `threads` threads, on the same random inputs: equal outputs.
template <typename Make>
void CheckOpAgainstReference(Rng& rng, int threads, Make make) {
  OneNode ref_graph, fast_graph;
  make(ref_graph);
  make(fast_graph);
  InterpreterOptions ref_options, fast_options;
  ref_options.reference_kernels = true;
  fast_options.threads = threads;
  auto ref = Interpreter::Create(std::move(ref_graph.g), ref_options);
  auto fast = Interpreter::Create(std::move(fast_graph.g), fast_options);
  REQUIRE_MESSAGE(ref.ok(), ref.status().message());
  REQUIRE(fast.ok());
  for (size_t i = 0; i < ref.value()->num_inputs(); ++i) {
    const size_t bytes = ref.value()->input_bytes(i);
    std::vector<uint8_t> data(bytes);
    if (ref.value()->input_tensor(i).dtype == DType::kFloat32) {
      for (size_t k = 0; k < bytes / 4; ++k) {
        const float v = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
        std::memcpy(&data[k * 4], &v, 4);
      }
    } else {
      for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    }
    std::memcpy(ref.value()->input_buffer(i), data.data(), bytes);
    std::memcpy(fast.value()->input_buffer(i), data.data(), bytes);
  }
  ref.value()->Invoke();
  fast.value()->Invoke();
  const uint8_t* want = ref.value()->output_buffer(0);
  CHECK(std::equal(want, want + ref.value()->output_bytes(0), fast.value()->output_buffer(0)));
}

}  // namespace

TEST_CASE("operators split over threads give the reference's bytes") {
  Rng rng(9);
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // ADD: many ranges, the last with a tail
      const std::vector<int32_t> shape = {1, 113, 97, 17};
      const int32_t x = b.Tensor(DType::kInt8, shape, 0.05f, -3);
      const int32_t y = b.Tensor(DType::kInt8, shape, 0.11f, 127);
      OpAttrs relu6;
      relu6.activation = Activation::kRelu6;
      b.Node(OpType::kAdd, {x, y}, b.Tensor(DType::kInt8, shape, 0.07f, -128), relu6);
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // a global pool split by channels
      OpAttrs pool;
      pool.padding = Padding::kValid;
      pool.filter_h = pool.filter_w = 9;
      const int32_t x = b.Tensor(DType::kInt8, {1, 9, 9, 2000}, 0.02f, 5);
      b.Node(OpType::kAveragePool2D, {x}, b.Tensor(DType::kInt8, {1, 1, 1, 2000}, 0.01f, -1), pool);
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // a pool split by rows
      OpAttrs pool;
      pool.padding = Padding::kSame;
      pool.stride_h = pool.stride_w = 2;
      pool.filter_h = pool.filter_w = 3;
      const int32_t x = b.Tensor(DType::kInt8, {2, 61, 59, 40}, 0.02f, 5);
      b.Node(OpType::kAveragePool2D, {x}, b.Tensor(DType::kInt8, {2, 31, 30, 40}, 0.02f, 5), pool);
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // mean: channel ranges, 2011 channels
      const int32_t x = b.Tensor(DType::kInt8, {1, 8, 8, 2011}, 0.03f, -128);
      b.Node(OpType::kMean, {x, b.Axes12()}, b.Tensor(DType::kInt8, {1, 2011}, 0.01f, 0));
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // softmax: row ranges
      OpAttrs softmax;
      softmax.beta = 1.0f;
      const int32_t x = b.Tensor(DType::kInt8, {200, 1001}, 0.1f, 3);
      b.Node(OpType::kSoftmax, {x}, b.Tensor(DType::kInt8, {200, 1001}, 1.0f / 256, -128), softmax);
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // ONNX Runtime's softmax
      OpAttrs softmax;
      softmax.beta = 1.0f;
      softmax.onnx_numerics = true;
      const int32_t x = b.Tensor(DType::kInt8, {200, 1001}, 0.1f, 3);
      b.Node(OpType::kSoftmax, {x}, b.Tensor(DType::kInt8, {200, 1001}, 1.0f / 256, -128), softmax);
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // ONNX Runtime's add
      OpAttrs add;
      add.onnx_numerics = true;
      const int32_t x = b.Tensor(DType::kInt8, {1, 28, 28, 32}, 0.05f, -3);
      const int32_t y = b.Tensor(DType::kInt8, {1, 28, 28, 32}, 0.07f, 9);
      b.Node(OpType::kAdd, {x, y}, b.Tensor(DType::kInt8, {1, 28, 28, 32}, 0.09f, -1), add);
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // float -> int8
      const int32_t x = b.Tensor(DType::kFloat32, {1, 223, 227, 3}, 0, 0);
      b.Node(OpType::kQuantize, {x}, b.Tensor(DType::kInt8, {1, 223, 227, 3}, 0.01f, 7));
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // int8 -> int8
      const int32_t x = b.Tensor(DType::kInt8, {1, 223, 227, 3}, 0.02f, 0);
      b.Node(OpType::kQuantize, {x}, b.Tensor(DType::kInt8, {1, 223, 227, 3}, 0.015f, -128));
    });
    CheckOpAgainstReference(rng, threads, [](OneNode& b) {  // int8 -> float
      const int32_t x = b.Tensor(DType::kInt8, {1, 150001}, 0.02f, 100);
      b.Node(OpType::kDequantize, {x}, b.Tensor(DType::kFloat32, {1, 150001}, 0, 0));
    });
  }
}

TEST_CASE("average pool rejects windows whose sum could overflow int32") {
  OneNode b;
  OpAttrs pool;
  pool.padding = Padding::kValid;
  pool.filter_h = pool.filter_w = 3000;
  const int32_t x = b.Tensor(DType::kInt8, {1, 3000, 3000, 1}, 1.0f, 0);
  b.Node(OpType::kAveragePool2D, {x}, b.Tensor(DType::kInt8, {1, 1, 1, 1}, 1.0f, 0), pool);
  auto it = Interpreter::Create(std::move(b.g));
  REQUIRE_FALSE(it.ok());
  CHECK(it.status().message().find("could overflow the int32 sum") != std::string::npos);
}
