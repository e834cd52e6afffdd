// Per-channel CLAMPs fused into the layers that produce their inputs
// (graph/fuse.h): the same bytes as the CLAMP run on its own (fuse = false)
// on every kernel table and thread count, every kept tensor too; no CLAMP
// left in the plan or the profile; what must not fuse stays a node; model
// files keep their clamps.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "api/model.h"
#include "format/qwm_writer.h"
#include "graph/fuse.h"
#include "graph/ops/conv_common.h"
#include "graph_builder.h"
#include "kernels/config.h"
#include "ptq/ptq.h"
#include "ptq/quantizer.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

size_t CountOps(const Graph& g, OpType op) {
  size_t n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

InterpreterOptions Options(const KernelConfig* kernels, int threads, bool fuse) {
  InterpreterOptions o;
  o.kernels = kernels;
  o.threads = threads;
  o.share_memory = false;
  o.fuse = fuse;
  return o;
}

// Runs both interpreters on the same input bytes; every tensor the fused one
// keeps (all but the clamps' inputs) holds the unfused one's bytes.
void ExpectSameTensors(Interpreter& fused, Interpreter& plain, const std::vector<uint8_t>& input) {
  REQUIRE(fused.input_bytes(0) == input.size());
  std::memcpy(fused.input_buffer(0), input.data(), input.size());
  std::memcpy(plain.input_buffer(0), input.data(), input.size());
  fused.Invoke();
  plain.Invoke();
  CHECK(std::memcmp(fused.output_buffer(0), plain.output_buffer(0), plain.output_bytes(0)) == 0);
  const Graph& g = fused.graph();
  size_t compared = 0;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const int32_t id = static_cast<int32_t>(t);
    if (g.tensors[t].is_constant() || !fused.tensor_data(id)) continue;
    CAPTURE(g.tensors[t].name);
    CHECK(std::memcmp(fused.tensor_data(id), plain.tensor_data(id), g.tensors[t].num_bytes()) == 0);
    ++compared;
  }
  CHECK(compared > 0);
}

// A per-channel CLAMP after `raw` writing a new tensor like it: bounds
// spread over [0.05, 2] (the layers' outputs reach a few units, so most
// channels clip), one channel unbounded.
int32_t ChannelClamp(GraphBuilder& b, std::mt19937& rng, int32_t raw, float lo = 0.0f, float hi = 3.4e38f) {
  const Tensor t = b.g->tensors[raw];
  std::vector<float> bound = RandomFloats(rng, t.shape.back(), 0.05f, 2.0f);
  bound[0] = 1e30f;
  const int32_t bt = b.F32Const(t.name + "/bound", {t.shape.back()}, bound);
  const int32_t out = b.F32(t.name + "/clamped", t.shape);
  OpAttrs a;
  a.clamp_min = lo;
  a.clamp_max = hi;
  b.Node(OpType::kClamp, {raw, bt}, {out}, a);
  return out;
}

// A float layer with ReLU and random weights: CONV_2D (groups from the
// filter), DEPTHWISE_CONV_2D or FULLY_CONNECTED.
int32_t Layer(GraphBuilder& b, std::mt19937& rng, OpType op, int32_t in, std::vector<int32_t> filter,
              std::vector<int32_t> out_shape, int stride = 1, Padding padding = Padding::kSame) {
  const std::string name = "layer" + std::to_string(b.g->nodes.size());
  int64_t n = 1;
  for (int32_t d : filter) n *= d;
  const int32_t channels = op == OpType::kDepthwiseConv2D ? filter[3] : filter[0];
  const int32_t w = b.F32Const(name + "/w", filter, RandomFloats(rng, static_cast<size_t>(n), -0.5f, 0.5f));
  const int32_t bias = b.F32Const(name + "/b", {channels}, RandomFloats(rng, channels, -0.2f, 0.5f));
  const int32_t out = b.F32(name, out_shape);
  OpAttrs a;
  a.activation = Activation::kRelu;
  a.stride_h = a.stride_w = stride;
  a.padding = padding;
  a.depth_multiplier = 0;  // from the shapes
  b.Node(op, {in, w, bias}, {out}, a);
  return out;
}

// Every producer and tile shape in one float graph, each followed by a
// per-channel CLAMP: 1x1 direct and 3x3 strided im2col GEMMs, a grouped
// convolution, depthwise multiplier 1 and 2, a fully connected layer over
// 64 rows, channel counts off the kernels' 8 / 16 multiples; 32x32 rows,
// so fused tiles clamp in several chunks.
std::unique_ptr<Graph> Chain(std::mt19937& rng) {
  GraphBuilder b;
  const int32_t x = b.F32("x", {1, 32, 32, 5});
  int32_t t = Layer(b, rng, OpType::kConv2D, x, {20, 1, 1, 5}, {1, 32, 32, 20});
  t = ChannelClamp(b, rng, t);
  t = Layer(b, rng, OpType::kDepthwiseConv2D, t, {1, 3, 3, 20}, {1, 32, 32, 20});
  t = ChannelClamp(b, rng, t, 0.1f, 1.5f);  // a lower bound above ReLU's, clamp_max below some bounds
  t = Layer(b, rng, OpType::kConv2D, t, {36, 3, 3, 20}, {1, 16, 16, 36}, 2);
  t = ChannelClamp(b, rng, t);
  t = Layer(b, rng, OpType::kConv2D, t, {24, 3, 3, 9}, {1, 16, 16, 24});  // 4 groups
  t = ChannelClamp(b, rng, t);
  t = Layer(b, rng, OpType::kDepthwiseConv2D, t, {1, 3, 3, 48}, {1, 8, 8, 48}, 2);  // multiplier 2
  t = ChannelClamp(b, rng, t);
  t = Layer(b, rng, OpType::kFullyConnected, t, {19, 48}, {64, 19});
  t = ChannelClamp(b, rng, t);
  b.g->inputs = {x};
  b.g->outputs = {t};
  return std::move(b.g);
}

// Tiles that split channels: a depthwise layer with one output pixel of
// 4096 channels and a fully connected layer of 4 rows (threads > 1).
std::unique_ptr<Graph> Wide(std::mt19937& rng) {
  GraphBuilder b;
  const int32_t x = b.F32("x", {1, 3, 3, 4096});
  int32_t t = Layer(b, rng, OpType::kDepthwiseConv2D, x, {1, 3, 3, 4096}, {1, 1, 1, 4096}, 1, Padding::kValid);
  t = ChannelClamp(b, rng, t);
  const int32_t r = b.F32("rows", {4, 1024});
  b.Node(OpType::kReshape, {t}, {r});
  t = Layer(b, rng, OpType::kFullyConnected, r, {200, 1024}, {4, 200});
  t = ChannelClamp(b, rng, t);
  b.g->inputs = {x};
  b.g->outputs = {t};
  return std::move(b.g);
}

// The int8 graph of float graph `g`, calibrated on `input`: the quantizer
// gives each clamped layer its clamp's grid, so the clamps can fuse.
std::unique_ptr<Graph> Quantized(const Graph& g, const std::vector<float>& input) {
  auto it = Interpreter::Create(CloneGraph(g), Options(nullptr, 1, false));
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  RunOnce<float>(*it.value(), {input});
  std::vector<TensorRange> ranges(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (g.tensors[t].is_constant()) continue;
    ranges[t].Update(reinterpret_cast<const float*>(it.value()->tensor_data(static_cast<int32_t>(t))),
                     static_cast<size_t>(g.tensors[t].num_elements()));
  }
  auto q = QuantizeGraph(g, ranges, PtqOptions());
  REQUIRE_MESSAGE(q.ok(), q.status().message());
  return std::move(q.value().graph);
}

// Fused against unfused on every table and 1, 2, 4 threads, the fused
// depthwise layers also building their indirection a band of rows at a
// time (as large ones do); returns the clamps fused.
size_t ExpectFusedSame(const Graph& g, const std::vector<uint8_t>& input) {
  size_t fused_clamps = 0;
  size_t& kept_limit = DepthwiseKeptIndirectionLimit();
  const size_t saved = kept_limit;
  for (const KernelConfig* k : AllKernelConfigs()) {
    for (int run = 0; run < 6; ++run) {
      const int threads = run % 3 == 0 ? 1 : run % 3 == 1 ? 2 : 4;
      const bool banded = run >= 3;
      const std::string table = k->name;
      CAPTURE(table);
      CAPTURE(threads);
      CAPTURE(banded);
      kept_limit = banded ? 0 : saved;
      auto fused = Interpreter::Create(CloneGraph(g), Options(k, threads, true));
      kept_limit = saved;
      auto plain = Interpreter::Create(CloneGraph(g), Options(k, threads, false));
      REQUIRE_MESSAGE(fused.ok(), fused.status().message());
      REQUIRE_MESSAGE(plain.ok(), plain.status().message());
      CHECK(CountOps(plain.value()->graph(), OpType::kClamp) == CountOps(g, OpType::kClamp));
      fused_clamps = CountOps(g, OpType::kClamp) - CountOps(fused.value()->graph(), OpType::kClamp);
      ExpectSameTensors(*fused.value(), *plain.value(), input);
    }
  }
  return fused_clamps;
}

}  // namespace

TEST_CASE("fusion: every producer and tile shape, float32 and int8, gives the unfused bytes") {
  std::mt19937 rng(21);
  for (auto make : {Chain, Wide}) {
    std::unique_ptr<Graph> g = make(rng);
    const size_t clamps = CountOps(*g, OpType::kClamp);
    const Tensor& in = g->tensors[g->inputs[0]];
    const std::vector<float> x = RandomFloats(rng, static_cast<size_t>(in.num_elements()), -2.0f, 2.0f);
    CHECK(ExpectFusedSame(*g, AsBytes(x)) == clamps);
    std::unique_ptr<Graph> q = Quantized(*g, x);
    REQUIRE(CountOps(*q, OpType::kClamp) == clamps);
    std::vector<uint8_t> qx = AsBytes(x);  // a float input the graph quantizes, or int8 bytes
    if (q->tensors[q->inputs[0]].dtype != DType::kFloat32) {
      qx.resize(static_cast<size_t>(in.num_elements()));
      for (uint8_t& v : qx) v = static_cast<uint8_t>(rng());
    }
    CHECK(ExpectFusedSame(*q, qx) == clamps);
  }
}

TEST_CASE("fusion: a clamp whose input is read elsewhere, leaves the graph or changes grid stays") {
  std::mt19937 rng(4);
  auto block = [&](GraphBuilder& b) {
    const int32_t x = b.F32("x", {1, 4, 4, 3});
    const int32_t raw = Layer(b, rng, OpType::kConv2D, x, {8, 1, 1, 3}, {1, 4, 4, 8});
    b.g->inputs = {x};
    return raw;
  };
  auto fuses = [](std::unique_ptr<Graph> g) {
    const size_t before = CountOps(*g, OpType::kClamp);
    const size_t n = FuseChannelClamps(g.get());
    CHECK(CountOps(*g, OpType::kClamp) == before - n);
    return n;
  };
  {  // the plain case fuses: the layer writes the clamp's tensor
    GraphBuilder b;
    const int32_t raw = block(b);
    const int32_t y = ChannelClamp(b, rng, raw);
    b.g->outputs = {y};
    std::unique_ptr<Graph> g = CloneGraph(*b.g);
    CHECK(FuseChannelClamps(g.get()) == 1);
    REQUIRE(g->nodes.size() == 1);
    CHECK(g->nodes[0].outputs[0] == y);
    CHECK(g->nodes[0].attrs.fused_max.size() == 8);
    // What the interpreter runs cannot become a model file.
    const Result<std::vector<uint8_t>> file = WriteQwm(*g);
    REQUIRE(!file.ok());
    CHECK(file.status().message().find("fused CLAMP") != std::string::npos);
  }
  {  // another node reads the unclamped tensor
    GraphBuilder b;
    const int32_t raw = block(b);
    const int32_t y = ChannelClamp(b, rng, raw);
    const int32_t z = b.F32("z", {1, 4, 4, 8});
    b.Node(OpType::kAdd, {raw, y}, {z});
    b.g->outputs = {z};
    CHECK(fuses(CloneGraph(*b.g)) == 0);
    ExpectFusedSame(*b.g, AsBytes(RandomFloats(rng, 48)));
  }
  {  // the unclamped tensor is a graph output
    GraphBuilder b;
    const int32_t raw = block(b);
    const int32_t y = ChannelClamp(b, rng, raw);
    b.g->outputs = {y, raw};
    CHECK(fuses(CloneGraph(*b.g)) == 0);
  }
  {  // the producer is no GEMM or depthwise; a second clamp in a row stays
    GraphBuilder b;
    const int32_t raw = block(b);
    const int32_t sum = b.F32("sum", {1, 4, 4, 8});
    b.Node(OpType::kAdd, {raw, raw}, {sum});
    const int32_t y = ChannelClamp(b, rng, ChannelClamp(b, rng, sum));
    const int32_t y2 = ChannelClamp(b, rng, y);
    b.g->outputs = {y2};
    CHECK(fuses(CloneGraph(*b.g)) == 0);
    GraphBuilder c;
    const int32_t raw2 = block(c);
    c.g->outputs = {ChannelClamp(c, rng, ChannelClamp(c, rng, raw2))};
    CHECK(fuses(CloneGraph(*c.g)) == 1);
  }
  {  // an empty range is left to the CLAMP's own error
    GraphBuilder b;
    const int32_t raw = block(b);
    b.g->outputs = {ChannelClamp(b, rng, raw, 5.0f)};
    CHECK(fuses(CloneGraph(*b.g)) == 0);
    auto it = Interpreter::Create(std::move(b.g));
    REQUIRE(!it.ok());
    CHECK(it.status().message().find("(CLAMP): clamp range") != std::string::npos);
  }
  {  // int8 on two grids: not fused, and the CLAMP says why
    GraphBuilder b;
    const int32_t raw = block(b);
    const int32_t y = ChannelClamp(b, rng, raw);
    b.g->outputs = {y};
    std::unique_ptr<Graph> q = Quantized(*b.g, RandomFloats(rng, 48));
    CHECK(fuses(CloneGraph(*q)) == 1);
    for (Tensor& t : q->tensors) {
      if (t.name == b.g->tensors[y].name) t.quant.scale[0] *= 2.0f;
    }
    CHECK(fuses(CloneGraph(*q)) == 0);
    auto it = Interpreter::Create(std::move(q));
    REQUIRE(!it.ok());
    CHECK(it.status().message().find("one grid on input and output") != std::string::npos);
  }
}

// The real case: an equalized MobileNetV1 quantized by qwasm from the
// shared FP32 model, calibrated and run on the shared photos.
TEST_CASE("fusion: qwasm's equalized int8 MobileNetV1 runs its clamps fused, byte for byte (real photos)") {
  const auto fp32 = std::make_shared<const std::vector<uint8_t>>(
      ReadFile(SharedPath("models/onnx/mobilenet_v1_0.25_128_quant.fp32.onnx")));
  REQUIRE(!fp32->empty());
  std::vector<Image> photos;
  for (const char* p : {"bird.bmp", "cat.bmp", "grace_hopper.bmp"}) {
    Image img;
    REQUIRE(DecodeBmp(ReadFile(SharedPath(std::string("images/") + p)), &img));
    photos.push_back(std::move(img));
  }
  auto view = [](const Image& img) {
    return ImageView{img.rgb.data(), img.width, img.height, 3, static_cast<size_t>(img.width) * 3};
  };
  QuantizeOptions o;
  o.equalize = true;
  auto q = Quantizer::Start(fp32, o);
  REQUIRE_MESSAGE(q.ok(), q.status().message());
  // One clamped layer and its clamp stay float: float32 fusion on a real layer.
  std::string kept;
  const Graph& fg = q.value()->model().interpreter().graph();
  for (const Node& n : fg.nodes) {
    if (n.op == OpType::kClamp && n.inputs.size() > 1 && kept.empty()) {
      for (const Node& p : fg.nodes) {
        if (p.outputs[0] == n.inputs[0] && p.op == OpType::kConv2D) kept = p.name;
      }
      if (!kept.empty()) o.keep_float = {kept, n.name};
    }
  }
  REQUIRE(!kept.empty());
  for (const Image& img : photos) REQUIRE(q.value()->AddImage(view(img), 0.875f, q.value()->model().default_norm()).ok());
  auto out = q.value()->Quantize(o);
  REQUIRE_MESSAGE(out.ok(), out.status().message());
  const std::vector<uint8_t>& qwm = out.value().qwm;

  // The file keeps every clamp: fusion happens when a model is run.
  auto g = ReadAnyModel(std::make_shared<const std::vector<uint8_t>>(qwm));
  REQUIRE(g.ok());
  const size_t clamps = CountOps(*g.value(), OpType::kClamp);
  CHECK(clamps == out.value().report.equalization.channel_clamps);
  CHECK(clamps >= 13);

  for (const KernelConfig* k : AllKernelConfigs()) {
    for (int threads : {1, 2}) {
      const std::string table = k->name;
      CAPTURE(table);
      CAPTURE(threads);
      auto fused = Model::Load(qwm, Options(k, threads, true));
      auto plain = Model::Load(qwm, Options(k, threads, false));
      REQUIRE_MESSAGE(fused.ok(), fused.status().message());
      REQUIRE(plain.ok());
      const Graph& run = fused.value()->interpreter().graph();
      CHECK(CountOps(run, OpType::kClamp) == 0);
      CHECK(plain.value()->interpreter().graph().nodes.size() == run.nodes.size() + clamps);
      bool float_fused = false;
      for (const Node& n : run.nodes) {
        float_fused |= !n.attrs.fused_max.empty() && run.tensors[n.outputs[0]].dtype == DType::kFloat32;
      }
      CHECK(float_fused);
      for (const Image& img : photos) {
        REQUIRE(plain.value()->SetImage(view(img), 0.875f, plain.value()->default_norm()).ok());
        const std::vector<uint8_t> input(plain.value()->input_data(),
                                         plain.value()->input_data() + plain.value()->input_bytes());
        ExpectSameTensors(fused.value()->interpreter_mut(), plain.value()->interpreter_mut(), input);
      }
      // The profile times the fused plan: no CLAMP.
      std::vector<double> ms;
      fused.value()->interpreter_mut().InvokeProfiled(&ms);
      CHECK(ms.size() == run.nodes.size());
    }
  }
}
