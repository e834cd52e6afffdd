// The packed SIMD depthwise convolution against qs8_depthwise_conv2d__ref,
// byte for byte: random shapes, strides, dilations, paddings, zero points at
// the extremes, per-tensor and per-channel scales, saturating clamps, random
// tilings; then every DEPTHWISE_CONV_2D layer of two real MobileNets.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <random>

#include "graph/op.h"
#include "import/tflite_reader.h"
#include "kernels/depthwise-conv2d/depthwise-conv2d.h"
#include "kernels/kernels.h"
#include "runtime/threadpool.h"
#include "test_util.h"

using namespace qwasm;

namespace {

int Uniform(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// A zero point or data value: often an extreme of int8, else anything.
int32_t Int8Value(std::mt19937& rng) {
  switch (Uniform(rng, 0, 3)) {
    case 0: return -128;
    case 1: return 127;
    default: return Uniform(rng, -128, 127);
  }
}

std::vector<int8_t> RandomBytes(std::mt19937& rng, size_t n, size_t slack) {
  std::vector<int8_t> v(n + slack);
  // Sometimes a constant extreme (sums at their largest), else uniform.
  const int mode = Uniform(rng, 0, 5);
  for (int8_t& b : v) {
    b = static_cast<int8_t>(mode == 0 ? -128 : mode == 1 ? 127 : Uniform(rng, -128, 127));
  }
  return v;
}

struct RandomConv {
  QConvParams p;
  std::vector<int8_t> input, filter;
  std::vector<int32_t> bias;
  std::vector<float> scale;
};

RandomConv MakeRandomConv(std::mt19937& rng) {
  RandomConv r;
  WindowShape& s = r.p.shape;
  s.batch = Uniform(rng, 0, 4) == 0 ? 2 : 1;
  s.in_c = s.out_c = Uniform(rng, 0, 3) == 0 ? Uniform(rng, 1, 40) : 8 * Uniform(rng, 1, 5);
  s.in_h = Uniform(rng, 1, 17);
  s.in_w = Uniform(rng, 1, 17);
  // 3x3 half the time (the fast path), else anything from 1x1 to 5x5.
  const bool k3 = Uniform(rng, 0, 1) == 0;
  s.kernel_h = k3 ? 3 : Uniform(rng, 1, 5);
  s.kernel_w = k3 ? 3 : Uniform(rng, 1, 5);
  s.stride_h = Uniform(rng, 1, 3);
  s.stride_w = Uniform(rng, 0, 3) == 0 ? Uniform(rng, 1, 3) : s.stride_h;
  const bool dilate = Uniform(rng, 0, 4) == 0;
  s.dilation_h = dilate ? Uniform(rng, 1, 3) : 1;
  s.dilation_w = dilate ? Uniform(rng, 1, 3) : 1;
  Padding padding = Uniform(rng, 0, 1) ? Padding::kSame : Padding::kValid;
  if (WindowOutputSize(padding, s.in_h, s.kernel_h, s.stride_h, s.dilation_h) < 1 ||
      WindowOutputSize(padding, s.in_w, s.kernel_w, s.stride_w, s.dilation_w) < 1) {
    padding = Padding::kSame;  // always fits
  }
  s.out_h = WindowOutputSize(padding, s.in_h, s.kernel_h, s.stride_h, s.dilation_h);
  s.out_w = WindowOutputSize(padding, s.in_w, s.kernel_w, s.stride_w, s.dilation_w);
  s.pad_top = WindowPadBefore(padding, s.in_h, s.out_h, s.kernel_h, s.stride_h, s.dilation_h);
  s.pad_left = WindowPadBefore(padding, s.in_w, s.out_w, s.kernel_w, s.stride_w, s.dilation_w);

  const int c = s.out_c;
  const bool per_channel = Uniform(rng, 0, 1) == 0;
  r.p.input_zero_point = Int8Value(rng);
  r.p.filter_zero_point = per_channel ? 0 : Int8Value(rng);
  // The SIMD kernel may read 7 bytes past the last input pixel.
  r.input = RandomBytes(rng, static_cast<size_t>(s.batch) * s.in_h * s.in_w * c, 7);
  r.filter = RandomBytes(rng, static_cast<size_t>(s.kernel_h) * s.kernel_w * c, 0);
  // Bias: none, small, around 2^23 (where the x256 lanes stop fitting), or
  // as large as the int32 accumulator bound allows.
  const int taps = s.kernel_h * s.kernel_w;
  const int64_t max_bias = (int64_t{1} << 31) - 1 - int64_t{taps} * 65025;
  const int bias_mode = Uniform(rng, 0, 3);
  for (int i = 0; i < c && bias_mode != 0; ++i) {
    const int sign = Uniform(rng, 0, 1) ? 1 : -1;
    switch (bias_mode) {
      case 1: r.bias.push_back(Uniform(rng, -100000, 100000)); break;
      case 2: r.bias.push_back(sign * Uniform(rng, (1 << 23) - taps * 65025, (1 << 23) + (1 << 20))); break;
      default: r.bias.push_back(static_cast<int32_t>(sign * max_bias));
    }
  }
  // Scales: from tiny (everything rounds to the zero point) to large
  // (everything saturates); per-tensor or per-channel.
  const float base = std::ldexp(1.0f, Uniform(rng, -20, 0));
  for (int i = 0; i < c; ++i) {
    const float jitter = std::uniform_real_distribution<float>(0.5f, 2.0f)(rng);
    r.scale.push_back(per_channel || i == 0 ? base * jitter : r.scale[0]);
  }
  // Output clamps: full range, a fused-ReLU-like [zp, 127], or narrow.
  QOutput& o = r.p.output;
  o.zero_point = Int8Value(rng);
  switch (Uniform(rng, 0, 2)) {
    case 0: o.min = -128, o.max = 127; break;
    case 1: o.min = o.zero_point, o.max = 127; break;
    default:
      o.min = Uniform(rng, -128, 127);
      o.max = Uniform(rng, o.min, 127);
  }
  r.p.filter = r.filter.data();
  r.p.bias = r.bias.empty() ? nullptr : r.bias.data();
  r.p.scale = r.scale.data();
  return r;
}

// Runs the SIMD kernel over the whole output in random row x channel tiles;
// tells whether the packing chose the x256 even lanes.
std::vector<int8_t> RunSimd(const RandomConv& r, std::mt19937& rng, bool* even_x256 = nullptr) {
  const QConvParams& p = r.p;
  const WindowShape& s = p.shape;
  const QDepthwiseWeights w = PackQDepthwiseWeights(s.out_c, s.kernel_h, s.kernel_w, p.filter,
                                                    p.filter_zero_point, p.bias, p.scale,
                                                    p.input_zero_point);
  const std::vector<int8_t> zero(DepthwiseZeroBytes(s.in_c), static_cast<int8_t>(p.input_zero_point));
  const size_t rows = static_cast<size_t>(s.batch) * s.out_h;
  if (even_x256) *even_x256 = w.even_x256;
  std::vector<const int8_t*> indirection(rows * DepthwiseRowStep(s));
  BuildDepthwiseIndirection(s, r.input.data(), zero.data(), indirection.data());
  std::vector<int8_t> out(rows * s.out_w * s.out_c);
  const size_t blocks = (static_cast<size_t>(s.out_c) + 15) / 16;
  const size_t row_tiles = Uniform(rng, 1, static_cast<int>(rows));
  const size_t channel_tiles = Uniform(rng, 1, static_cast<int>(blocks));
  for (size_t i = 0; i < row_tiles; ++i) {
    for (size_t j = 0; j < channel_tiles; ++j) {
      size_t r0, r1, b0, b1;
      TileRange(rows, row_tiles, i, &r0, &r1);
      TileRange(blocks, channel_tiles, j, &b0, &b1);
      qs8_depthwise_conv2d__wasmsimd(w, p.output, s, indirection.data(), out.data(), r0, r1,
                                     b0 * 16, std::min<size_t>(b1 * 16, s.out_c));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("depthwise SIMD kernel equals the reference on random convolutions") {
  std::mt19937 rng(20240611);
  int cases = 0, k3 = 0, saturated = 0, x256 = 0;
  for (int i = 0; i < 3000; ++i) {
    const RandomConv r = MakeRandomConv(rng);
    const WindowShape& s = r.p.shape;
    std::vector<int8_t> ref(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c);
    qs8_depthwise_conv2d__ref(r.p, r.input.data(), ref.data());
    bool even_x256 = false;
    const std::vector<int8_t> simd = RunSimd(r, rng, &even_x256);
    CAPTURE(i);
    CAPTURE(s.batch);
    CAPTURE(s.in_h);
    CAPTURE(s.in_w);
    CAPTURE(s.in_c);
    CAPTURE(s.kernel_h);
    CAPTURE(s.kernel_w);
    CAPTURE(s.stride_h);
    CAPTURE(s.stride_w);
    CAPTURE(s.dilation_h);
    CAPTURE(s.dilation_w);
    CAPTURE(s.pad_top);
    CAPTURE(s.pad_left);
    CAPTURE(r.p.input_zero_point);
    CAPTURE(r.p.filter_zero_point);
    CAPTURE(r.p.output.zero_point);
    CAPTURE(r.p.output.min);
    CAPTURE(r.p.output.max);
    REQUIRE(simd == ref);
    ++cases;
    x256 += even_x256;
    k3 += s.kernel_h == 3 && s.kernel_w == 3;
    saturated += std::count(ref.begin(), ref.end(), r.p.output.min) > 0 &&
                 std::count(ref.begin(), ref.end(), r.p.output.max) > 0;
  }
  // The generator covers what it claims.
  CHECK(k3 > 1000);
  CHECK(saturated > 500);
  CHECK(x256 > 1200);  // both accumulator layouts
  CHECK(cases - x256 > 500);
  CHECK(cases == 3000);
}

TEST_CASE("depthwise SIMD: padded taps read the input zero point at both extremes") {
  // A 1x1 input padded to 3x3 SAME: 8 of 9 taps are padding. With za at
  // -128 and 127 and weights at the other extreme, any padding tap that
  // contributed would move the result.
  for (int32_t za : {-128, 127}) {
    for (int32_t zw : {-128, 127}) {
      CAPTURE(za);
      CAPTURE(zw);
      RandomConv r;
      WindowShape& s = r.p.shape;
      s.in_h = s.in_w = s.out_h = s.out_w = 1;
      s.in_c = s.out_c = 24;
      s.kernel_h = s.kernel_w = 3;
      s.pad_top = s.pad_left = 1;
      r.p.input_zero_point = za;
      r.p.filter_zero_point = zw;
      r.input.assign(24 + 7, static_cast<int8_t>(-za - 1));  // the far end from za
      r.filter.assign(9 * 24, static_cast<int8_t>(-zw - 1));
      r.scale.assign(24, 1.0f / 4096);
      r.p.filter = r.filter.data();
      r.p.scale = r.scale.data();
      std::vector<int8_t> ref(24);
      qs8_depthwise_conv2d__ref(r.p, r.input.data(), ref.data());
      std::mt19937 rng(1);
      CHECK(RunSimd(r, rng) == ref);
      // (x - za) * (w - zw) = +-255 * +-255 / 4096 -> +-16: not the zero point.
      CHECK(ref[0] != 0);
    }
  }
}

TEST_CASE("depthwise SIMD: the x256 even lanes end exactly where 256 * acc would overflow") {
  // 1x1 kernel, 16 channels, x = -128, w - zw = -255: acc = bias + 32640,
  // the largest |acc| the packing must allow for: |bias| + 128 * 255.
  struct Case {
    int32_t bias;
    bool x256;
  };
  const Case cases[] = {{(1 << 23) - 1 - 32640, true}, {(1 << 23) - 32640, false}, {1 << 24, false}};
  for (const Case& k : cases) {
    CAPTURE(k.bias);
    RandomConv r;
    WindowShape& s = r.p.shape;
    s.in_h = s.in_w = s.out_h = s.out_w = 1;
    s.in_c = s.out_c = 16;
    r.p.filter_zero_point = 127;
    r.input.assign(16 + 7, -128);
    r.filter.assign(16, -128);
    r.bias.assign(16, k.bias);
    // acc * scale: 64 for the first two, ~128 (saturating) for the last.
    r.scale.assign(16, 1.0f / (1 << 17));
    r.p.filter = r.filter.data();
    r.p.bias = r.bias.data();
    r.p.scale = r.scale.data();
    std::vector<int8_t> ref(16);
    qs8_depthwise_conv2d__ref(r.p, r.input.data(), ref.data());
    std::mt19937 rng(1);
    bool x256 = false;
    CHECK(RunSimd(r, rng, &x256) == ref);
    CHECK(x256 == k.x256);
  }
}

TEST_CASE("depthwise SIMD: every DEPTHWISE_CONV_2D layer of real MobileNets") {
  using qwasm::testing::ReadFile;
  using qwasm::testing::SharedPath;
  // uint8 per-tensor weights (zw != 0) and int8 per-channel weights.
  for (const char* name : {"mobilenet_v1_0.25_128_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite"}) {
    CAPTURE(name);
    auto bytes = std::make_shared<const std::vector<uint8_t>>(ReadFile(SharedPath(std::string("models/") + name)));
    Result<std::unique_ptr<Graph>> g = tflite::ReadModel(bytes);
    REQUIRE_MESSAGE(g.ok(), g.status().message());
    const Graph& graph = *g.value();
    ThreadPool pool(2);
    std::mt19937 rng(5);
    int layers = 0;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const Node& n = graph.nodes[i];
      if (n.op != OpType::kDepthwiseConv2D) continue;
      CAPTURE(i);
      PrepareResult fast = PrepareNode(graph, i, false);
      PrepareResult ref = PrepareNode(graph, i, true);
      REQUIRE(fast.ok());
      REQUIRE(ref.ok());
      const Tensor& in = graph.tensors[n.inputs[0]];
      const Tensor& out = graph.tensors[n.outputs[0]];
      // The fast kernel may read 7 bytes past the input (arena tail padding).
      std::vector<int8_t> x = RandomBytes(rng, in.num_bytes(), 7);
      std::vector<int8_t> y_fast(out.num_bytes()), y_ref(out.num_bytes(), 1);
      RunContext rc;
      rc.pool = &pool;
      rc.ptr.assign(graph.tensors.size(), nullptr);
      for (size_t t = 0; t < graph.tensors.size(); ++t) {
        if (graph.tensors[t].is_constant()) rc.ptr[t] = const_cast<uint8_t*>(graph.tensors[t].data);
      }
      rc.ptr[n.inputs[0]] = reinterpret_cast<uint8_t*>(x.data());
      rc.ptr[n.outputs[0]] = reinterpret_cast<uint8_t*>(y_fast.data());
      fast.value()->Attach(rc);
      fast.value()->Run(rc);
      rc.ptr[n.outputs[0]] = reinterpret_cast<uint8_t*>(y_ref.data());
      ref.value()->Attach(rc);
      ref.value()->Run(rc);
      CHECK(y_fast == y_ref);
      ++layers;
    }
    CHECK(layers == 13 + 4 * (std::string(name).find("v2") != std::string::npos));
  }
}
