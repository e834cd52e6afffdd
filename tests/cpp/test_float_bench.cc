// Float path speed, skipped in the suite; run natively with
//   build/native/qwasm_tests -tc="bench*" --no-skip
// 1) the 4x8 float GEMM microkernel on MobileNetV2's 1x1 shapes (GFLOP/s,
//    2 flops per multiply-add); 2) a MobileNetV2 1.0 224 FP32 graph built in
//    code (random weights, the real layer shapes, 300 M multiply-adds) through
//    the Interpreter, 1 and 2 threads.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>

#include "graph_builder.h"
#include "kernels/config.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// Wall seconds per call, and process CPU seconds per call (the machine is
// shared: CPU time shows what the code costs when it does get a core).
struct Timing {
  double wall, cpu;
};
Timing Seconds(const std::function<void()>& f, int reps) {
  f();  // warm
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  for (int i = 0; i < reps; ++i) f();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC / reps;
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps, cpu};
}

struct MobileNetV2 {
  GraphBuilder b;
  std::mt19937 rng{1};
  int32_t x;
  int h = 224, c = 3;
  double macs = 0;
  int n = 0;
  std::string Name() { return "t" + std::to_string(n++); }
  int32_t Conv(int32_t in, int out_c, int k, int stride, Activation act, bool depthwise) {
    const int oh = (h + stride - 1) / stride;
    const int32_t out = b.F32(Name(), {1, oh, oh, out_c});
    const size_t wn = depthwise ? static_cast<size_t>(k) * k * out_c : static_cast<size_t>(out_c) * k * k * c;
    const std::vector<int32_t> ws = depthwise ? std::vector<int32_t>{1, k, k, out_c} : std::vector<int32_t>{out_c, k, k, c};
    const float range = 1.0f / std::sqrt(static_cast<float>(depthwise ? k * k : k * k * c));
    const int32_t w = b.F32Const(Name(), ws, RandomFloats(rng, wn, -range, range));
    const int32_t bias = b.F32Const(Name(), {out_c}, RandomFloats(rng, out_c, -0.1f, 0.1f));
    OpAttrs a;
    a.padding = Padding::kSame;
    a.stride_h = a.stride_w = stride;
    a.activation = act;
    b.Node(depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D, {in, w, bias}, {out}, a);
    macs += static_cast<double>(oh) * oh * out_c * k * k * (depthwise ? 1 : c);
    h = oh;
    c = out_c;
    return out;
  }
  MobileNetV2() {
    x = b.F32("image", {1, 224, 224, 3});
    int32_t t = Conv(x, 32, 3, 2, Activation::kRelu6, false);
    const int blocks[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    for (const auto& bl : blocks) {
      for (int i = 0; i < bl[2]; ++i) {
        const int32_t in = t;
        const int in_c = c;
        const int stride = i == 0 ? bl[3] : 1;
        if (bl[0] != 1) t = Conv(t, in_c * bl[0], 1, 1, Activation::kRelu6, false);
        t = Conv(t, c, 3, stride, Activation::kRelu6, true);
        t = Conv(t, bl[1], 1, 1, Activation::kNone, false);
        if (stride == 1 && in_c == bl[1]) {
          const int32_t sum = b.F32(Name(), {1, h, h, c});
          b.Node(OpType::kAdd, {in, t}, {sum});
          t = sum;
        }
      }
    }
    t = Conv(t, 1280, 1, 1, Activation::kRelu6, false);
    const int32_t pooled = b.F32(Name(), {1, 1280});
    b.Node(OpType::kMean, {t, b.I32Const(Name(), {2}, {1, 2})}, {pooled});
    const int32_t logits = b.F32(Name(), {1, 1001});
    b.Node(OpType::kFullyConnected, {pooled, b.F32Const(Name(), {1001, 1280}, RandomFloats(rng, 1001 * 1280, -0.03f, 0.03f))},
           {logits});
    macs += 1001.0 * 1280;
    const int32_t probs = b.F32(Name(), {1, 1001});
    b.Node(OpType::kSoftmax, {logits}, {probs});
    b.g->inputs = {x};
    b.g->outputs = {probs};
  }
};

}  // namespace

TEST_CASE("bench: float GEMM microkernel and MobileNetV2 FP32" * doctest::skip()) {
  std::mt19937 rng(3);
  const int shapes[][3] = {{3136, 144, 24}, {784, 192, 32}, {196, 384, 64}, {196, 576, 96}, {49, 960, 320}, {1, 1280, 1001}};
  for (const auto& s : shapes) {
    const int m = s[0], k = s[1], n = s[2];
    const std::vector<float> a = RandomFloats(rng, static_cast<size_t>(m) * k), w = RandomFloats(rng, static_cast<size_t>(n) * k);
    std::vector<float> c(static_cast<size_t>(m) * n);
    const FGemmWeights packed = f32_gemm_4x8_pack(n, k, w.data(), k, nullptr);
    const double flops = 2.0 * m * n * k;
    const Timing t = Seconds([&] { DefaultKernels().f32_gemm.run(packed, FOutput(), m, a.data(), k, c.data(), n, 0, n); },
                             std::max(3, static_cast<int>(2e9 / flops)));
    std::printf("f32 gemm 4x8  M=%4d K=%4d N=%4d: %6.2f GFLOP/s wall, %6.2f per CPU second\n", m, k, n,
                flops / t.wall * 1e-9, flops / t.cpu * 1e-9);
  }
  for (int threads = 1; threads <= 2; ++threads) {
    MobileNetV2 net;
    const double macs = net.macs;
    Result<std::unique_ptr<Interpreter>> it = net.b.Build(false, threads);
    REQUIRE_MESSAGE(it.ok(), it.status().message());
    const std::vector<float> img = RandomFloats(rng, 224 * 224 * 3);
    std::memcpy(it.value()->input_buffer(0), img.data(), img.size() * 4);
    const Timing t = Seconds([&] { it.value()->Invoke(); }, 10);
    std::printf("MobileNetV2 1.0 224 FP32 (%.0f M MACs), %d thread(s): %.1f ms wall (%.2f GFLOP/s), %.1f ms CPU\n",
                macs * 1e-6, threads, t.wall * 1e3, 2 * macs / t.wall * 1e-9, t.cpu * 1e3);
  }
}
