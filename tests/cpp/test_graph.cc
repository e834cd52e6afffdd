// Graph validation, operator preparation errors, and the interpreter's
// uint8 <-> int8 boundary, on small hand-built graphs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "graph/interpreter.h"

using namespace qwasm;

namespace {

struct Builder {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();

  int32_t Add(const std::string& name, DType dtype, std::vector<int32_t> shape, float scale = 0,
              int32_t zp = 0, std::vector<uint8_t> data = {}) {
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (scale > 0) {
      t.quant.scale = {scale};
      t.quant.zero_point = {zp};
    }
    if (!data.empty()) {
      t.data_bytes = data.size();
      t.data = g->Own(std::move(data));
    }
    g->tensors.push_back(t);
    return static_cast<int32_t>(g->tensors.size() - 1);
  }
  void Node(OpType op, std::vector<int32_t> in, std::vector<int32_t> out, OpAttrs attrs = {}) {
    qwasm::Node n;
    n.op = op;
    n.name = g->tensors[out[0]].name;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.attrs = attrs;
    g->nodes.push_back(n);
  }
  std::string Error() {
    Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(g));
    return it.ok() ? "" : it.status().message();
  }
};

std::vector<uint8_t> Bytes(std::initializer_list<int> v) { return std::vector<uint8_t>(v.begin(), v.end()); }

}  // namespace

TEST_CASE("uint8 graph inputs and outputs are converted at the boundary") {
  // uint8 in (zp 128) -> QUANTIZE to uint8 out with the same scale: identity.
  Builder b;
  const int32_t in = b.Add("in", DType::kInt8, {1, 4}, 0.5f, 0);  // uint8 zp 128 shifted
  const int32_t out = b.Add("out", DType::kInt8, {1, 4}, 0.25f, -28);  // uint8 zp 100 shifted
  b.g->tensors[in].was_uint8 = b.g->tensors[out].was_uint8 = true;
  b.g->inputs = {in};
  b.g->outputs = {out};
  b.Node(OpType::kQuantize, {in}, {out});
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(b.g));
  REQUIRE(it.ok());
  Interpreter& i = *it.value();
  CHECK(Interpreter::ExternalDType(i.input_tensor(0)) == DType::kUInt8);
  CHECK(Interpreter::ExternalZeroPoint(i.output_tensor(0)) == 100);
  // uint8 q -> real 0.5 (q - 128) -> uint8 100 + 2 (q - 128), clamped to 0..255.
  const uint8_t x[] = {128, 129, 100, 255};
  std::memcpy(i.input_buffer(0), x, 4);
  i.Invoke();
  const uint8_t* y = i.output_buffer(0);
  CHECK(y[0] == 100);
  CHECK(y[1] == 102);
  CHECK(y[2] == 44);
  CHECK(y[3] == 255);  // 100 + 254 saturates
  i.Invoke();  // invoking twice gives the same result (inputs are not modified)
  CHECK(i.output_buffer(0)[1] == 102);
}

TEST_CASE("validation names the tensor and the problem") {
  SUBCASE("a tensor read before it is produced") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 4}, 1.0f);
    const int32_t mid = b.Add("mid", DType::kInt8, {1, 4}, 1.0f);
    const int32_t out = b.Add("out", DType::kInt8, {1, 4}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kQuantize, {mid}, {out});
    b.Node(OpType::kQuantize, {in}, {mid});
    CHECK(b.Error().find("reads tensor 1 'mid' before any node produces it") != std::string::npos);
  }
  SUBCASE("a non-positive scale") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 4}, 1.0f);
    const int32_t out = b.Add("out", DType::kInt8, {1, 4}, 1.0f);
    b.g->tensors[out].quant.scale[0] = -1.0f;
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kQuantize, {in}, {out});
    CHECK(b.Error().find("'out' has scale") != std::string::npos);
  }
  SUBCASE("constant data of the wrong size") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 1, 1, 2}, 1.0f);
    const int32_t w = b.Add("w", DType::kInt8, {1, 1, 1, 2}, 1.0f, 0, Bytes({1, 2, 3}));
    const int32_t out = b.Add("out", DType::kInt8, {1, 1, 1, 1}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kConv2D, {in, w}, {out});
    CHECK(b.Error().find("'w' holds 3 bytes") != std::string::npos);
  }
  SUBCASE("NaN or infinite float weights, in any format or made by folding") {
    const float values[2][4] = {{0.5f, NAN, 1.0f, NAN}, {0.5f, INFINITY, -INFINITY, 2.0f}};
    const char* const want[2] = {"tensor 1 'w' has 2 NaN values among its 4 elements",
                                 "tensor 1 'w' has 2 infinite values among its 4 elements"};
    for (int k = 0; k < 2; ++k) {
      Builder b;
      std::vector<uint8_t> bytes(16);
      std::memcpy(bytes.data(), values[k], 16);
      const int32_t in = b.Add("in", DType::kFloat32, {1, 1, 1, 4});
      const int32_t w = b.Add("w", DType::kFloat32, {1, 1, 1, 4}, 0, 0, bytes);
      const int32_t out = b.Add("out", DType::kFloat32, {1, 1, 1, 1});
      b.g->inputs = {in};
      b.g->outputs = {out};
      b.Node(OpType::kConv2D, {in, w}, {out});
      CHECK(b.Error().find(want[k]) != std::string::npos);
    }
  }
  SUBCASE("an absurd shape") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {65536, 65536}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {in};
    CHECK(b.Error().find("over the limit") != std::string::npos);
  }
}

TEST_CASE("operators reject inconsistent nodes by name") {
  OpAttrs conv;
  conv.padding = Padding::kValid;
  SUBCASE("conv output shape") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 4, 4, 2}, 1.0f);
    const int32_t w = b.Add("w", DType::kInt8, {3, 3, 3, 2}, 1.0f, 0, std::vector<uint8_t>(54, 1));
    const int32_t out = b.Add("conv_out", DType::kInt8, {1, 3, 3, 3}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kConv2D, {in, w, -1}, {out}, conv);
    const std::string e = b.Error();
    CHECK(e.find("node 0 'conv_out' (CONV_2D)") != std::string::npos);
    CHECK(e.find("[1, 2, 2, 3]") != std::string::npos);  // what the input gives
  }
  SUBCASE("conv channel mismatch") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 4, 4, 2}, 1.0f);
    const int32_t w = b.Add("w", DType::kInt8, {3, 1, 1, 5}, 1.0f, 0, std::vector<uint8_t>(15, 1));
    const int32_t out = b.Add("out", DType::kInt8, {1, 4, 4, 3}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kConv2D, {in, w}, {out}, conv);
    CHECK(b.Error().find("does not fit an input of 2 channels") != std::string::npos);
  }
  SUBCASE("accumulator overflow") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 1, 1, 40000}, 1.0f);
    const int32_t w = b.Add("w", DType::kInt8, {1, 1, 1, 40000}, 1.0f, 0, std::vector<uint8_t>(40000, 1));
    const int32_t out = b.Add("out", DType::kInt8, {1, 1, 1, 1}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kConv2D, {in, w}, {out}, conv);
    CHECK(b.Error().find("could overflow the int32 accumulator") != std::string::npos);
  }
  SUBCASE("per-channel filter with zero points") {
    Builder b;
    const int32_t in = b.Add("in", DType::kInt8, {1, 1, 1, 1}, 1.0f);
    const int32_t w = b.Add("w", DType::kInt8, {2, 1, 1, 1}, 0, 0, Bytes({1, 2}));
    b.g->tensors[w].quant.scale = {1.0f, 2.0f};
    b.g->tensors[w].quant.zero_point = {0, 3};
    const int32_t out = b.Add("out", DType::kInt8, {1, 1, 1, 2}, 1.0f);
    b.g->inputs = {in};
    b.g->outputs = {out};
    b.Node(OpType::kConv2D, {in, w}, {out}, conv);
    CHECK(b.Error().find("nonzero zero point") != std::string::npos);
  }
  SUBCASE("broadcasting add") {
    Builder b;
    const int32_t x = b.Add("x", DType::kInt8, {1, 4}, 1.0f);
    const int32_t y = b.Add("y", DType::kInt8, {2, 1}, 1.0f);
    const int32_t out = b.Add("sum", DType::kInt8, {1, 4}, 1.0f);
    b.g->inputs = {x, y};
    b.g->outputs = {out};
    b.Node(OpType::kAdd, {x, y}, {out});
    CHECK(b.Error().find("do not broadcast") != std::string::npos);
  }
  SUBCASE("mean over the channel axis") {
    Builder b;
    const int32_t x = b.Add("x", DType::kInt8, {1, 2, 2, 3}, 1.0f);
    const int32_t axes = b.Add("axes", DType::kInt32, {1}, 0, 0, Bytes({3, 0, 0, 0}));
    const int32_t out = b.Add("m", DType::kInt8, {1, 2, 2}, 1.0f);
    b.g->inputs = {x};
    b.g->outputs = {out};
    b.Node(OpType::kMean, {x, axes}, {out});
    CHECK(b.Error().find("MEAN over axes [3] is not supported") != std::string::npos);
  }
}
