// Operators prepared with each kernel table (kernels/config.h): what the
// kernel testers (tests/cpp/kernels) cannot see, the operators' own work
// around the kernels (im2col rows, indirection buffers, tiles split over
// threads, weight conversion), against the oracles or the reference table:
// random convolutions through GemmOp, every depthwise layer of two real
// MobileNets, one-node graphs of odd sizes on 1 to 3 threads, float
// convolutions with float16 weights.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "graph/op.h"
#include "graph/ops/gemm_op.h"
#include "graph_builder.h"
#include "import/tflite_reader.h"
#include "oracle/oracle.h"
#include "runtime/threadpool.h"
#include "test_random.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

// An output stage: full range or a narrow clamp, zero points at the
// extremes now and then.
QOutput RandomOutputStage(Rng& r) {
  QOutput o;
  o.zero_point = r.Int8Extreme();
  if (r.Int(0, 1)) {
    o.min = r.Int(-128, 0);
    o.max = r.Int(o.min, 127);
  }
  return o;
}

// The same one-node graph built twice, prepared with the reference table
// and with `kernels` on `threads` threads, run on the same random inputs:
// equal outputs.
template <typename Make>
void CheckAgainstReference(Rng& rng, const KernelConfig& kernels, int threads, Make make) {
  std::unique_ptr<Interpreter> it[2];
  for (int i = 0; i < 2; ++i) {
    GraphBuilder b = make();
    InterpreterOptions o;
    o.kernels = i == 0 ? &ReferenceKernels() : &kernels;
    o.threads = i == 0 ? 1 : threads;
    auto created = Interpreter::Create(std::move(b.g), o);
    REQUIRE_MESSAGE(created.ok(), created.status().message());
    it[i] = created.take();
  }
  for (size_t i = 0; i < it[0]->num_inputs(); ++i) {
    const size_t bytes = it[0]->input_bytes(i);
    std::vector<uint8_t> data(bytes);
    if (it[0]->input_tensor(i).dtype == DType::kFloat32) {
      for (size_t k = 0; k < bytes / 4; ++k) {
        const float v = rng.Real(-2.0f, 2.0f);
        std::memcpy(&data[k * 4], &v, 4);
      }
    } else {
      for (uint8_t& b : data) b = static_cast<uint8_t>(rng.Bits());
    }
    for (auto& interpreter : it) std::memcpy(interpreter->input_buffer(i), data.data(), bytes);
  }
  for (auto& interpreter : it) interpreter->Invoke();
  const size_t bytes = it[0]->output_bytes(0);
  if (it[0]->output_tensor(0).dtype == DType::kFloat32) {
    // Floats compare equal (the sign of a zero may differ where im2col adds
    // 0 * w for a padding cell).
    std::vector<float> want(bytes / 4), got(bytes / 4);
    std::memcpy(want.data(), it[0]->output_buffer(0), bytes);
    std::memcpy(got.data(), it[1]->output_buffer(0), bytes);
    for (size_t k = 0; k < want.size(); ++k) {
      if (!(want[k] == got[k] || (want[k] != want[k] && got[k] != got[k]))) {
        FAIL_CHECK("element " << k << ": " << got[k] << " (" << kernels.name << ") vs " << want[k] << " (ref)");
        break;
      }
    }
  } else {
    CHECK(std::memcmp(it[0]->output_buffer(0), it[1]->output_buffer(0), bytes) == 0);
  }
}

// A float CONV_2D or DEPTHWISE_CONV_2D graph (weights float16 when `half`,
// bias optional) on every table, 1 or 2 threads, against the reference.
void CheckFloatConv(Rng& r, OpType op, std::vector<int32_t> in_shape, const std::vector<float>& w,
                    std::vector<int32_t> w_shape, bool half, const std::vector<float>* bias,
                    std::vector<int32_t> out_shape, const OpAttrs& attrs) {
  const int threads = r.Int(1, 2);
  for (const KernelConfig* config : AllKernelConfigs()) {
    CAPTURE(config->name);
    CheckAgainstReference(r, *config, threads, [&] {
      GraphBuilder b;
      std::vector<int32_t> inputs = {b.F32("in", in_shape), half ? b.F16Const("w", w_shape, w) : b.F32Const("w", w_shape, w)};
      if (bias) inputs.push_back(b.F32Const("b", {out_shape.back()}, *bias));
      const int32_t out = b.F32("out", out_shape);
      b.Node(op, inputs, {out}, attrs);
      b.g->inputs = {inputs[0]};
      b.g->outputs = {out};
      return b;
    });
  }
}

}  // namespace

TEST_CASE("CONV_2D through GemmOp (im2col and direct 1x1) equals qs8_conv2d__oracle on every table, 1 and 3 threads") {
  Rng r(12345);
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
    if (r.OneIn(6)) s = WindowShape{s.batch, s.in_h, s.in_w, s.in_c, 0, 0, s.out_c};  // 1x1: A is the input
    const int eff_h = (s.kernel_h - 1) * s.dilation_h + 1, eff_w = (s.kernel_w - 1) * s.dilation_w + 1;
    s.out_h = (s.in_h + 2 * s.pad_top - eff_h) / s.stride_h + 1;
    s.out_w = (s.in_w + 2 * s.pad_left - eff_w) / s.stride_w + 1;
    if (s.out_h < 1 || s.out_w < 1) continue;
    CAPTURE(iter);
    const int k = s.kernel_h * s.kernel_w * s.in_c;
    // The direct path reads k_read bytes of the last input row.
    std::vector<int8_t> in = r.Int8s(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.in_c + 64);
    const std::vector<int8_t> w = r.Int8s(static_cast<size_t>(s.out_c) * k);
    std::vector<int32_t> bias(s.out_c);
    std::vector<float> scale(s.out_c);
    for (int i = 0; i < s.out_c; ++i) {
      bias[i] = r.Int(-5000, 5000);
      scale[i] = r.Real(1e-4f, 3e-3f);
    }
    QConvParams p;
    p.shape = s;
    p.input_zero_point = r.Int8Extreme();
    p.filter_zero_point = r.Int(0, 1) ? 0 : r.Int8Extreme();
    p.filter = w.data();
    p.bias = bias.data();
    p.scale = scale.data();
    p.output = RandomOutputStage(r);
    const size_t out_bytes = static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c;
    std::vector<int8_t> want(out_bytes);
    qs8_conv2d__oracle(p, in.data(), want.data());
    for (const KernelConfig* config : AllKernelConfigs()) {
      for (ThreadPool* pool : {&pool1, &pool3}) {
        CAPTURE(config->name);
        CAPTURE(pool->threads());
        const QGemmKernel& g = config->qs8_gemm;
        GemmOp op(g, OneGroup(g.pack(s.out_c, k, w.data(), k, p.filter_zero_point, bias.data(), scale.data(),
                                     p.input_zero_point)),
                  p.output, ConvGemmRows(s), p.input_zero_point, 0, 1);
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
}

TEST_CASE("grouped CONV_2D through GemmOp equals qs8_conv2d__oracle run group by group, on every table") {
  Rng r(777);
  ThreadPool pool1(1), pool3(3);
  for (int iter = 0; iter < 60; ++iter) {
    const int groups = r.Int(2, 5), cg = r.Int(1, 6), ng = r.Int(1, 9);
    WindowShape s;
    s.batch = r.Int(1, 2);
    s.in_h = r.Int(1, 8);
    s.in_w = r.Int(1, 8);
    s.in_c = groups * cg;
    s.out_c = groups * ng;
    s.kernel_h = r.Int(1, 3);
    s.kernel_w = r.Int(1, 3);
    s.stride_h = r.Int(1, 2);
    s.stride_w = r.Int(1, 2);
    s.dilation_h = s.dilation_w = 1;
    s.pad_top = r.Int(0, s.kernel_h - 1);
    s.pad_left = r.Int(0, s.kernel_w - 1);
    s.out_h = (s.in_h + 2 * s.pad_top - s.kernel_h) / s.stride_h + 1;
    s.out_w = (s.in_w + 2 * s.pad_left - s.kernel_w) / s.stride_w + 1;
    if (s.out_h < 1 || s.out_w < 1) continue;
    CAPTURE(iter);
    const int k = s.kernel_h * s.kernel_w * cg;
    const size_t pixels_in = static_cast<size_t>(s.batch) * s.in_h * s.in_w;
    const size_t pixels_out = static_cast<size_t>(s.batch) * s.out_h * s.out_w;
    const std::vector<int8_t> in = r.Int8s(pixels_in * s.in_c);
    const std::vector<int8_t> w = r.Int8s(static_cast<size_t>(s.out_c) * k);  // [O, kh, kw, cg]
    std::vector<int32_t> bias(s.out_c);
    std::vector<float> scale(s.out_c);
    for (int i = 0; i < s.out_c; ++i) {
      bias[i] = r.Int(-5000, 5000);
      scale[i] = r.Real(1e-4f, 3e-3f);
    }
    const int32_t a_zp = r.Int8Extreme(), w_zp = r.Int(0, 1) ? 0 : r.Int8Extreme();
    const QOutput stage = RandomOutputStage(r);
    // The oracle, one group at a time on that group's channels.
    std::vector<int8_t> want(pixels_out * s.out_c);
    for (int g = 0; g < groups; ++g) {
      std::vector<int8_t> part(pixels_in * cg), got(pixels_out * ng);
      for (size_t px = 0; px < pixels_in; ++px) {
        for (int c = 0; c < cg; ++c) part[px * cg + c] = in[px * s.in_c + g * cg + c];
      }
      QConvParams p;
      p.shape = s;
      p.shape.in_c = cg;
      p.shape.out_c = ng;
      p.input_zero_point = a_zp;
      p.filter_zero_point = w_zp;
      p.filter = w.data() + static_cast<size_t>(g) * ng * k;
      p.bias = bias.data() + g * ng;
      p.scale = scale.data() + g * ng;
      p.output = stage;
      qs8_conv2d__oracle(p, part.data(), got.data());
      for (size_t px = 0; px < pixels_out; ++px) {
        for (int c = 0; c < ng; ++c) want[px * s.out_c + g * ng + c] = got[px * ng + c];
      }
    }
    for (const KernelConfig* config : AllKernelConfigs()) {
      for (ThreadPool* pool : {&pool1, &pool3}) {
        CAPTURE(config->name);
        CAPTURE(pool->threads());
        const QGemmKernel& gk = config->qs8_gemm;
        std::vector<QGemmWeights> packed;
        for (int g = 0; g < groups; ++g) {
          packed.push_back(gk.pack(ng, k, w.data() + static_cast<size_t>(g) * ng * k, k, w_zp, bias.data() + g * ng,
                                   scale.data() + g * ng, a_zp));
        }
        std::vector<int8_t> in_copy = in;
        GemmOp op(gk, std::move(packed), stage, ConvGemmRows(s, groups), a_zp, 0, 1);
        std::vector<int8_t> got(want.size(), 0x55);
        RunContext rc;
        rc.ptr = {reinterpret_cast<uint8_t*>(in_copy.data()), reinterpret_cast<uint8_t*>(got.data())};
        rc.pool = pool;
        op.Attach(rc);
        op.Run(rc);
        REQUIRE(got == want);
      }
    }
  }
}

TEST_CASE("every DEPTHWISE_CONV_2D layer of real MobileNets: each table equals the reference table") {
  // uint8 per-tensor weights (zw != 0) and int8 per-channel weights.
  for (const char* name : {"mobilenet_v1_0.25_128_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite"}) {
    CAPTURE(name);
    auto bytes = std::make_shared<const std::vector<uint8_t>>(ReadFile(SharedPath(std::string("models/") + name)));
    Result<std::unique_ptr<Graph>> g = tflite::ReadModel(bytes);
    REQUIRE_MESSAGE(g.ok(), g.status().message());
    const Graph& graph = *g.value();
    ThreadPool pool(2);
    Rng rng(5);
    int layers = 0;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const Node& n = graph.nodes[i];
      if (n.op != OpType::kDepthwiseConv2D) continue;
      CAPTURE(i);
      const Tensor& in = graph.tensors[n.inputs[0]];
      const Tensor& out = graph.tensors[n.outputs[0]];
      // The packed kernels may read 7 bytes past the input (arena tail padding).
      std::vector<int8_t> x = rng.Int8Data(in.num_bytes() + 7);
      RunContext rc;
      rc.pool = &pool;
      rc.ptr.assign(graph.tensors.size(), nullptr);
      for (size_t t = 0; t < graph.tensors.size(); ++t) {
        if (graph.tensors[t].is_constant()) rc.ptr[t] = const_cast<uint8_t*>(graph.tensors[t].data);
      }
      rc.ptr[n.inputs[0]] = reinterpret_cast<uint8_t*>(x.data());
      std::vector<int8_t> want(out.num_bytes(), 1);
      for (const KernelConfig* config : AllKernelConfigs()) {
        CAPTURE(config->name);
        PrepareResult op = PrepareNode(graph, i, *config);
        REQUIRE(op.ok());
        std::vector<int8_t> y(out.num_bytes(), 2);
        rc.ptr[n.outputs[0]] = reinterpret_cast<uint8_t*>(y.data());
        op.value()->Attach(rc);
        op.value()->Run(rc);
        if (config == &ReferenceKernels()) want = y;
        CHECK(y == want);
      }
      ++layers;
    }
    CHECK(layers == 13 + 4 * (std::string(name).find("v2") != std::string::npos));
  }
}

TEST_CASE("int8 operators split over threads give the reference table's bytes") {
  Rng rng(9);
  auto axes12 = [](GraphBuilder& b) { return b.I32Const("axes", {2}, {1, 2}); };
  auto one_node = [](GraphBuilder& b, OpType op, std::vector<int32_t> in, int32_t out, OpAttrs attrs = {}) {
    for (int32_t t : in) {
      if (!b.g->tensors[t].is_constant()) b.g->inputs.push_back(t);
    }
    b.Node(op, std::move(in), {out}, attrs);
    b.g->outputs = {out};
  };
  for (const KernelConfig* config : AllKernelConfigs()) {
    for (int threads : {1, 2, 3}) {
      CAPTURE(config->name);
      CAPTURE(threads);
      CheckAgainstReference(rng, *config, threads, [&] {  // ADD: many ranges, the last with a tail
        GraphBuilder b;
        const std::vector<int32_t> shape = {1, 113, 97, 17};
        OpAttrs relu6;
        relu6.activation = Activation::kRelu6;
        one_node(b, OpType::kAdd, {b.Q8("x", shape, 0.05f, -3), b.Q8("y", shape, 0.11f, 127)},
                 b.Q8("z", shape, 0.07f, -128), relu6);
        return b;
      });
      CheckAgainstReference(rng, *config, threads, [&] {  // a global pool split by channels
        GraphBuilder b;
        OpAttrs pool;
        pool.padding = Padding::kValid;
        pool.filter_h = pool.filter_w = 9;
        one_node(b, OpType::kAveragePool2D, {b.Q8("x", {1, 9, 9, 2000}, 0.02f, 5)},
                 b.Q8("y", {1, 1, 1, 2000}, 0.01f, -1), pool);
        return b;
      });
      CheckAgainstReference(rng, *config, threads, [&] {  // a pool split by rows
        GraphBuilder b;
        OpAttrs pool;
        pool.padding = Padding::kSame;
        pool.stride_h = pool.stride_w = 2;
        pool.filter_h = pool.filter_w = 3;
        one_node(b, OpType::kAveragePool2D, {b.Q8("x", {2, 61, 59, 40}, 0.02f, 5)},
                 b.Q8("y", {2, 31, 30, 40}, 0.02f, 5), pool);
        return b;
      });
      CheckAgainstReference(rng, *config, threads, [&] {  // mean: channel ranges, 2011 channels
        GraphBuilder b;
        one_node(b, OpType::kMean, {b.Q8("x", {1, 8, 8, 2011}, 0.03f, -128), axes12(b)},
                 b.Q8("y", {1, 2011}, 0.01f, 0));
        return b;
      });
      for (bool onnx : {false, true}) {
        CheckAgainstReference(rng, *config, threads, [&] {  // softmax: row ranges, TFLite's and ORT's
          GraphBuilder b;
          OpAttrs softmax;
          softmax.beta = 1.0f;
          softmax.onnx_numerics = onnx;
          one_node(b, OpType::kSoftmax, {b.Q8("x", {200, 1001}, 0.1f, 3)}, b.Q8("y", {200, 1001}, 1.0f / 256, -128),
                   softmax);
          return b;
        });
      }
      CheckAgainstReference(rng, *config, threads, [&] {  // ONNX Runtime's add
        GraphBuilder b;
        OpAttrs add;
        add.onnx_numerics = true;
        const std::vector<int32_t> shape = {1, 28, 28, 32};
        one_node(b, OpType::kAdd, {b.Q8("x", shape, 0.05f, -3), b.Q8("y", shape, 0.07f, 9)},
                 b.Q8("z", shape, 0.09f, -1), add);
        return b;
      });
      CheckAgainstReference(rng, *config, threads, [&] {  // float -> int8
        GraphBuilder b;
        one_node(b, OpType::kQuantize, {b.F32("x", {1, 223, 227, 3})}, b.Q8("y", {1, 223, 227, 3}, 0.01f, 7));
        return b;
      });
      CheckAgainstReference(rng, *config, threads, [&] {  // int8 -> int8
        GraphBuilder b;
        one_node(b, OpType::kQuantize, {b.Q8("x", {1, 223, 227, 3}, 0.02f, 0)},
                 b.Q8("y", {1, 223, 227, 3}, 0.015f, -128));
        return b;
      });
      CheckAgainstReference(rng, *config, threads, [&] {  // int8 -> float
        GraphBuilder b;
        one_node(b, OpType::kDequantize, {b.Q8("x", {1, 150001}, 0.02f, 100)}, b.F32("y", {1, 150001}));
        return b;
      });
    }
  }
}

TEST_CASE("AVERAGE_POOL_2D rejects windows whose sum could overflow int32") {
  GraphBuilder b;
  OpAttrs pool;
  pool.padding = Padding::kValid;
  pool.filter_h = pool.filter_w = 3000;
  const int32_t x = b.Q8("x", {1, 3000, 3000, 1}, 1.0f, 0), y = b.Q8("y", {1, 1, 1, 1}, 1.0f, 0);
  b.Node(OpType::kAveragePool2D, {x}, {y}, pool);
  b.g->inputs = {x};
  b.g->outputs = {y};
  auto it = b.Build();
  REQUIRE_FALSE(it.ok());
  CHECK(it.status().message().find("could overflow the int32 sum") != std::string::npos);
}

TEST_CASE("float CONV_2D (1x1 direct and im2col) on every table gives the reference table's values") {
  Rng r(2024);
  for (int iter = 0; iter < 150; ++iter) {
    const int batch = r.Int(1, 2), in_h = r.Int(1, 9), in_w = r.Int(1, 9), in_c = r.Int(1, 9);
    const int out_c = r.Int(1, 19);
    int kh = r.Int(1, 3), kw = r.Int(1, 3);
    OpAttrs a;
    const int pick = r.Int(0, 3);
    a.padding = pick == 0 ? Padding::kValid : pick == 1 ? Padding::kSame : Padding::kExplicit;
    a.stride_h = r.Int(1, 2);
    a.stride_w = r.Int(1, 2);
    a.dilation_h = r.OneIn(4) ? 2 : 1;
    a.dilation_w = r.OneIn(4) ? 2 : 1;
    if (pick == 3) {  // the direct 1x1 path: A is the input itself
      a.padding = Padding::kValid;
      a.stride_h = a.stride_w = a.dilation_h = a.dilation_w = 1;
      kh = kw = 1;
    }
    for (int i = 0; i < 4; ++i) a.pads[i] = r.Int(0, (i % 2 ? kw : kh) - 1);
    a.activation = static_cast<Activation>(r.Int(0, 3));
    const int oh = WindowOutputSize(a.padding, in_h + (a.padding == Padding::kExplicit ? a.pads[0] + a.pads[2] : 0),
                                    kh, a.stride_h, a.dilation_h);
    const int ow = WindowOutputSize(a.padding, in_w + (a.padding == Padding::kExplicit ? a.pads[1] + a.pads[3] : 0),
                                    kw, a.stride_w, a.dilation_w);
    if (oh < 1 || ow < 1) continue;
    CAPTURE(iter);
    const std::vector<float> w = r.Floats(static_cast<size_t>(out_c) * kh * kw * in_c);
    const std::vector<float> bias = r.Floats(static_cast<size_t>(out_c));
    const bool with_bias = r.Int(0, 1) == 1;
    CheckFloatConv(r, OpType::kConv2D, {batch, in_h, in_w, in_c}, w, {out_c, kh, kw, in_c}, false,
                   with_bias ? &bias : nullptr, {batch, oh, ow, out_c}, a);
  }
}

TEST_CASE("float DEPTHWISE_CONV_2D (float16 weights, multipliers) on every table gives the reference table's values") {
  Rng r(2025);
  // Odd counts and multiples of 4 / 16 exercise the scalar, 4- and 16-lane paths.
  const int channels[] = {1, 3, 4, 7, 16, 19, 33, 36};
  for (int iter = 0; iter < 150; ++iter) {
    const int batch = r.Int(1, 2), in_h = r.Int(1, 10), in_w = r.Int(1, 10);
    const int c = channels[r.Int(0, 7)];
    const int mult = r.OneIn(5) ? 2 : 1;
    const int kh = r.Int(1, 5), kw = r.Int(1, 5);
    OpAttrs a;
    a.depth_multiplier = mult;
    a.padding = r.Int(0, 1) ? Padding::kSame : Padding::kExplicit;
    a.stride_h = r.Int(1, 2);
    a.stride_w = r.Int(1, 2);
    a.dilation_h = r.OneIn(4) ? 2 : 1;
    a.dilation_w = r.OneIn(4) ? 2 : 1;
    for (int i = 0; i < 4; ++i) a.pads[i] = r.Int(0, (i % 2 ? kw : kh) - 1);
    a.activation = static_cast<Activation>(r.Int(0, 3));
    const bool same = a.padding == Padding::kSame;
    const int oh = WindowOutputSize(a.padding, in_h + (same ? 0 : a.pads[0] + a.pads[2]), kh, a.stride_h, a.dilation_h);
    const int ow = WindowOutputSize(a.padding, in_w + (same ? 0 : a.pads[1] + a.pads[3]), kw, a.stride_w, a.dilation_w);
    if (oh < 1 || ow < 1) continue;
    CAPTURE(iter);
    const int out_c = c * mult;
    const std::vector<float> w = r.Floats(static_cast<size_t>(kh) * kw * out_c);
    const std::vector<float> bias = r.Floats(static_cast<size_t>(out_c));
    const bool with_bias = r.Int(0, 1) == 1, half = r.OneIn(4);
    CheckFloatConv(r, OpType::kDepthwiseConv2D, {batch, in_h, in_w, c}, w, {1, kh, kw, out_c}, half,
                   with_bias ? &bias : nullptr, {batch, oh, ow, out_c}, a);
  }
}
