// Low-bit weights (issue 5): int4 and codebook (lut4 / lut8) quantization
// (ptq/int4.h, ptq/codebook.h), their SIMD expansion against the scalar
// reference (kernels/weight-expand), and CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED running such weights exactly like the int8 layer with the
// expanded weights.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "graph/ops/packed_weights.h"
#include "graph/validate.h"
#include "graph_builder.h"
#include "kernels/weight-expand/weight-expand.h"
#include "ptq/codebook.h"
#include "quant/float16.h"
#include "ptq/int4.h"

using namespace qwasm;
using namespace qwasm::testing;

TEST_CASE("codebook k-means: obvious clusters, uneven clusters, few distinct values, ties") {
  const float three[] = {41, -50, 0, -49, 1, 40, -51, -1, 39};
  CHECK(KMeans1D(three, 9, 3) == std::vector<float>{-50, 0, 40});
  // Quantile init puts two centres on the six zeros; Lloyd moves one to 10.
  const float uneven[] = {0, 0, 100, 0, 10, 0, 101, 0, 0};
  CHECK(KMeans1D(uneven, 9, 3) == std::vector<float>{0, 10, 100.5f});
  // At most k distinct values: exactly those, the largest repeated.
  const float few[] = {3, -2, 3, 3};
  CHECK(KMeans1D(few, 4, 4) == std::vector<float>{-2, 3, 3, 3});
  CHECK(KMeans1D(few, 0, 2) == std::vector<float>{0, 0});
  // Deterministic: the same input gives the same centres.
  std::mt19937 rng(5);
  const std::vector<float> x = RandomFloats(rng, 5000, -127, 127);
  CHECK(KMeans1D(x.data(), x.size(), 16) == KMeans1D(x.data(), x.size(), 16));
  // Nearest entry: ties go to the lower index, duplicates to the first.
  const int8_t e[] = {-10, 0, 0, 10};
  CHECK(NearestEntry(e, 4, -5.0f) == 0);
  CHECK(NearestEntry(e, 4, -4.9f) == 1);
  CHECK(NearestEntry(e, 4, 0.0f) == 1);
  CHECK(NearestEntry(e, 4, 5.0f) == 1);
  CHECK(NearestEntry(e, 4, 5.1f) == 3);
  CHECK(NearestEntry(e, 4, 200.0f) == 3);
  CHECK(NearestEntry(e, 4, -200.0f) == 0);
}

TEST_CASE("int4: a known channel gives known values and nibbles") {
  // Channel 0: max 1.4 -> scale 0.2, rounded up to the float16 0.2000732:
  // 7, -3, 1, 0. Channel 1 all zero: scale 1.
  const float w[] = {1.4f, -0.6f, 0.2f, 0.0f, 0, 0, 0, 0};
  const Int4Weights q = QuantizeInt4(w, 8, 2, 4);
  CHECK(q.scale == std::vector<float>{0.20007324f, 1.0f});
  CHECK(Fp16ToFp32(Fp32ToFp16(q.scale[0])) == q.scale[0]);
  CHECK(q.values == std::vector<int8_t>{7, -3, 1, 0, 0, 0, 0, 0});
  CHECK(q.packed == std::vector<uint8_t>{0xD7, 0x01, 0x00, 0x00});
  // Clamped to [-7, 7]; per-element channels along the last axis (inner 1).
  const float v[] = {-1.0f, 0.6f, 0.99f, -0.6f, 0.3f};  // x 7: -7, 4.2, 6.93, -4.2, 2.1
  const Int4Weights r = QuantizeInt4(v, 5, 1, 5);
  CHECK(r.values == std::vector<int8_t>{-7, 4, 7, -4, 2});
  CHECK(r.packed.size() == 3);
  CHECK(r.packed[2] == 0x02);  // the odd last element leaves the high nibble 0
  const uint8_t nib[] = {1, 2, 3};
  CHECK(PackNibbles(nib, 3) == std::vector<uint8_t>{0x21, 0x03});
}

TEST_CASE("int4: a heavy-tailed channel clips its largest weight for a finer grid, with less error than max/7") {
  // 63 weights spread over [-0.3, 0.3] and one outlier 0.6: max/7 leaves
  // the bulk 3.5 levels each side; a smaller scale (0.88 max/7) clips the
  // outlier (7.96 -> 7) for 13% less squared error.
  std::vector<float> w(64);
  for (size_t i = 0; i < 63; ++i) w[i] = -0.3f + 0.6f * static_cast<float>(i) / 62.0f;
  w[63] = 0.6f;
  const Int4Weights q = QuantizeInt4(w.data(), w.size(), 1, w.size());
  auto error = [&](float s) {
    double e = 0;
    for (float x : w) {
      const double d = std::clamp(std::nearbyint(x / s), -7.0f, 7.0f) * s - x;
      e += d * d;
    }
    return e;
  };
  const float max_scale = RoundUpToFloat16(0.6f / 7.0f);
  CHECK(q.scale[0] < 0.95f * max_scale);
  CHECK(error(q.scale[0]) < 0.9 * error(max_scale));
  for (int a = 50; a <= 100; ++a) CHECK(error(q.scale[0]) <= error(RoundUpToFloat16(0.6f * a / 700.0f)));
  CHECK(q.values[63] == 7);  // clipped
}

TEST_CASE("codebook weights: 256 entries of int8-representable weights are exact; 16 of 16 levels too") {
  std::mt19937 rng(11);
  const size_t channels = 3, inner = 200;
  for (int entries : {256, 16}) {
    CAPTURE(entries);
    const float step[] = {0.01f, 0.5f, 0.003f};
    std::vector<int8_t> q(channels * inner);
    std::vector<float> w(q.size());
    std::uniform_int_distribution<int> level(-127, 127);
    const int levels16[16] = {-127, -100, -80, -60, -40, -20, -5, 0, 5, 20, 40, 60, 80, 100, 120, 127};
    for (size_t i = 0; i < q.size(); ++i) {
      const size_t c = i / inner;
      int v = entries == 16 ? levels16[level(rng) & 15] : level(rng);
      if (i % inner == 0) v = 127;  // max|w| = 127 steps: the grid is the step
      q[i] = static_cast<int8_t>(v);
      w[i] = v * step[c];
    }
    for (bool per_channel_book : {false, true}) {
      const CodebookWeights cb = QuantizeCodebook(w.data(), w.size(), channels, inner, entries, per_channel_book);
      CHECK(cb.codebook.size() == (per_channel_book ? channels : 1) * entries);
      CHECK(cb.stored.size() == (entries == 16 ? q.size() / 2 : q.size()));
      size_t wrong = 0;
      for (size_t i = 0; i < q.size(); ++i) {
        const int8_t got = cb.Value(i, per_channel_book ? i / inner : 0);
        if (got != q[i]) ++wrong;
        // The scale is max|w| / 127 rounded up to a float16 value: within
        // 2^-10 of the step, never below it (so no level moves).
        const float real = got * cb.scale[i / inner];
        if (std::fabs(real - w[i]) > 1e-3f * std::fabs(w[i]) + 1e-7f || cb.scale[i / inner] < step[i / inner]) ++wrong;
      }
      CHECK(wrong == 0);
      for (size_t g = 0; g + 1 < cb.codebook.size(); ++g) {
        if ((g + 1) % entries) CHECK(cb.codebook[g] <= cb.codebook[g + 1]);
      }
    }
  }
  // 16 entries on uniform weights: each weight goes to its nearest entry,
  // and the error is close to 16 uniform levels' (254 / 16 / sqrt(12) = 4.6
  // grid steps RMS; 1.2 x that allowed).
  const std::vector<float> x = RandomFloats(rng, 4000, -1.0f, 1.0f);
  const CodebookWeights cb = QuantizeCodebook(x.data(), x.size(), 4, 1000, 16, true);
  double sq = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t c = i / 1000;
    const float grid = x[i] / cb.scale[c];
    const int8_t* book = cb.codebook.data() + c * 16;
    REQUIRE(cb.indices[i] == NearestEntry(book, 16, grid));
    sq += (grid - cb.Value(i, c)) * (grid - cb.Value(i, c));
  }
  CHECK(std::sqrt(sq / x.size()) < 1.2 * 254 / 16 / std::sqrt(12.0));
}

namespace {

// A low-bit filter: its stored tensor and the int8 values it stands for
// (computed here from the codebook and indices, independently of
// ExpandWeights).
struct LowBit {
  DType dtype;
  std::vector<uint8_t> stored;
  std::vector<int8_t> codebook;
  std::vector<int8_t> values;
};

LowBit MakeLowBit(std::mt19937& rng, DType dtype, size_t n, size_t groups, size_t inner) {
  std::uniform_int_distribution<int> byte(0, 255);
  LowBit w{dtype, {}, {}, std::vector<int8_t>(n)};
  const int entries = CodebookEntries(dtype);
  for (size_t i = 0; i < groups * entries; ++i) w.codebook.push_back(static_cast<int8_t>((byte(rng) - 128) | 1));
  std::vector<uint8_t> idx(n);
  for (size_t i = 0; i < n; ++i) {
    idx[i] = static_cast<uint8_t>(byte(rng) & (dtype == DType::kLut8 ? 0xFF : 0x0F));
    if (dtype == DType::kInt4) w.values[i] = static_cast<int8_t>(idx[i] >= 8 ? idx[i] - 16 : idx[i]);
    else w.values[i] = w.codebook[(groups > 1 ? (i / inner) % groups : 0) * entries + idx[i]];
  }
  w.stored = dtype == DType::kLut8 ? idx : PackNibbles(idx.data(), n);
  return w;
}

enum class Layer { kConv3x3, kConv1x1, kDepthwise, kFullyConnected };

// One layer with filter `w` (dtype as given, or int8 with w.values); returns
// its output on a fixed input.
std::vector<int8_t> RunLayer(Layer layer, const LowBit& w, bool as_int8, bool reference, int channels) {
  GraphBuilder b;
  const bool fc = layer == Layer::kFullyConnected;
  const int32_t in = fc ? b.Q8("in", {2, 20}, 0.05f, 3) : b.Q8("in", {1, 5, 6, channels}, 0.05f, 3);
  std::vector<int32_t> shape;
  int axis = 0;
  switch (layer) {
    case Layer::kConv3x3: shape = {7, 3, 3, channels}; break;
    case Layer::kConv1x1: shape = {7, 1, 1, channels}; break;
    case Layer::kDepthwise: shape = {1, 3, 3, channels}, axis = 3; break;
    case Layer::kFullyConnected: shape = {7, 20}; break;
  }
  const int32_t out_c = shape[axis];
  const int32_t filter = as_int8 ? b.Tensor("w", DType::kInt8, shape, AsBytes(w.values))
                                 : b.Tensor("w", w.dtype, shape, w.stored);
  Tensor& f = b.g->tensors[filter];
  f.quant.axis = axis;
  for (int c = 0; c < out_c; ++c) {
    f.quant.scale.push_back(0.01f + 0.001f * c);
    f.quant.zero_point.push_back(0);
  }
  if (!as_int8) f.codebook = w.codebook;
  std::vector<int32_t> bias(out_c);
  for (int c = 0; c < out_c; ++c) bias[c] = 50 * c - 100;
  const int32_t bt = b.I32Const("b", {out_c}, bias);
  const int32_t out = fc ? b.Q8("out", {2, 7}, 0.2f, -4) : b.Q8("out", {1, 5, 6, out_c}, 0.2f, -4);
  OpAttrs a;
  a.padding = Padding::kSame;
  b.Node(layer == Layer::kDepthwise ? OpType::kDepthwiseConv2D
         : fc                      ? OpType::kFullyConnected
                                   : OpType::kConv2D,
         {in, filter, bt}, {out}, a);
  b.g->inputs = {in};
  b.g->outputs = {out};
  Result<std::unique_ptr<Interpreter>> it = b.Build(reference);
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<int8_t> x(it.value()->input_bytes(0));
  for (int8_t& v : x) v = static_cast<int8_t>(byte(rng));
  return RunOnce<int8_t>(*it.value(), {x});
}

}  // namespace

TEST_CASE("int4 / lut4 / lut8 weights: conv, depthwise and fully connected compute exactly the int8 layer") {
  std::mt19937 rng(21);
  for (Layer layer : {Layer::kConv3x3, Layer::kConv1x1, Layer::kDepthwise, Layer::kFullyConnected}) {
    for (DType dtype : {DType::kInt4, DType::kLut4, DType::kLut8}) {
      for (bool per_channel_book : {false, true}) {
        if (dtype == DType::kInt4 && per_channel_book) continue;
        const int channels = 5;  // odd: nibble runs start mid-byte
        const size_t n = layer == Layer::kConv3x3         ? 7 * 9 * channels
                         : layer == Layer::kConv1x1       ? 7 * channels
                         : layer == Layer::kDepthwise     ? 9 * channels
                                                          : 7 * 20;
        const size_t out_c = layer == Layer::kDepthwise ? channels : 7;
        const size_t inner = layer == Layer::kDepthwise ? 1 : n / out_c;
        const size_t groups = dtype == DType::kInt4 ? 0 : per_channel_book ? out_c : 1;
        CAPTURE(static_cast<int>(layer));
        CAPTURE(DTypeName(dtype));
        CAPTURE(per_channel_book);
        const LowBit w = MakeLowBit(rng, dtype, n, groups, inner);
        const std::vector<int8_t> expected = RunLayer(layer, w, true, true, channels);
        CHECK(RunLayer(layer, w, false, true, channels) == expected);
        CHECK(RunLayer(layer, w, false, false, channels) == expected);
        CHECK(RunLayer(layer, w, true, false, channels) == expected);
      }
    }
  }
}

TEST_CASE("lut weights: storage rules are checked before any kernel runs") {
  std::mt19937 rng(4);
  LowBit w = MakeLowBit(rng, DType::kLut4, 7 * 20, 1, 20);
  Tensor t;
  t.name = "w";
  t.dtype = DType::kLut4;
  t.shape = {7, 20};
  t.quant.scale = {0.1f};
  t.quant.zero_point = {0};
  t.data = w.stored.data();
  t.data_bytes = w.stored.size();
  t.codebook = w.codebook;
  CHECK(CheckPackedWeights(t).ok());
  for (const KernelConfig* k : AllKernelConfigs()) CHECK(ExpandWeights(t, *k) == w.values);
  t.codebook.resize(15);
  CHECK(CheckPackedWeights(t).message() ==
        "has a codebook of 15 entries; lut4 needs 16 per group, one group or one per slice of axis 0 of shape [7, 20]");
  t.codebook.resize(16 * 3);  // 3 groups for 7 channels
  CHECK(!CheckPackedWeights(t).ok());
  t.codebook.resize(16 * 7);
  CHECK(CheckPackedWeights(t).ok());
  t.shape = {7, 3};  // 21 nibbles in 11 bytes: the last high nibble must be 0
  std::vector<uint8_t> odd(11, 0x11);
  t.data = odd.data();
  t.data_bytes = odd.size();
  CHECK(CheckPackedWeights(t).message() ==
        "has 21 lut4 values, but the unused high nibble of its last byte is not 0");
  odd[10] = 0x01;
  CHECK(CheckPackedWeights(t).ok());
  t.quant = QuantInfo();
  CHECK(CheckPackedWeights(t).message() == "is lut4 without quantization parameters");
  Tensor i8;
  i8.dtype = DType::kInt8;
  i8.codebook = {1};
  CHECK(CheckPackedWeights(i8).message() == "is int8 but has a codebook");
}
