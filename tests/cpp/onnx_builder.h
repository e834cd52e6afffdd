// onnx_builder.h — writes small ONNX models (protobuf wire format) for the
// ONNX import tests. Field numbers as in onnx/onnx.proto3.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace qwasm::testing::onnxb {

struct Msg {
  std::vector<uint8_t> b;

  Msg& Raw(uint64_t v) {  // one varint
    do {
      uint8_t byte = v & 0x7F;
      v >>= 7;
      if (v) byte |= 0x80;
      b.push_back(byte);
    } while (v);
    return *this;
  }
  Msg& Varint(uint32_t field, uint64_t v) { return Raw(uint64_t{field} << 3).Raw(v); }
  Msg& Bytes(uint32_t field, const void* data, size_t n) {
    Raw((uint64_t{field} << 3) | 2).Raw(n);
    const uint8_t* p = static_cast<const uint8_t*>(data);
    b.insert(b.end(), p, p + n);
    return *this;
  }
  Msg& Str(uint32_t field, const std::string& s) { return Bytes(field, s.data(), s.size()); }
  Msg& Sub(uint32_t field, const Msg& m) { return Bytes(field, m.b.data(), m.b.size()); }
  Msg& Float(uint32_t field, float f) {
    Raw((uint64_t{field} << 3) | 5);
    uint8_t x[4];
    std::memcpy(x, &f, 4);
    for (uint8_t c : x) b.push_back(c);  // (insert() trips a g++ 12 false warning)
    return *this;
  }
};

enum Type { kFloat = 1, kUInt8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kFloat16 = 10 };

inline Msg RawTensor(const std::string& name, int type, const std::vector<int64_t>& dims, const void* raw, size_t bytes) {
  Msg t;
  for (int64_t d : dims) t.Varint(1, static_cast<uint64_t>(d));
  t.Varint(2, type).Str(8, name).Bytes(9, raw, bytes);
  return t;
}
template <typename T>
Msg TensorOf(const std::string& name, int type, const std::vector<int64_t>& dims, const std::vector<T>& v) {
  return RawTensor(name, type, dims, v.data(), v.size() * sizeof(T));
}
inline Msg Floats(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  return TensorOf(name, kFloat, dims, v);
}
inline Msg Scalar(const std::string& name, float v) { return Floats(name, {}, {v}); }

inline Msg ValueInfo(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  Msg shape;
  for (int64_t d : dims) shape.Sub(1, Msg().Varint(1, static_cast<uint64_t>(d)));
  Msg tensor_type;
  tensor_type.Varint(1, elem_type).Sub(2, shape);
  Msg type;
  type.Sub(1, tensor_type);
  Msg v;
  v.Str(1, name).Sub(2, type);
  return v;
}

inline Msg AttrInt(const std::string& name, int64_t i) { return Msg().Str(1, name).Varint(20, 2).Varint(3, static_cast<uint64_t>(i)); }
inline Msg AttrFloat(const std::string& name, float f) { return Msg().Str(1, name).Varint(20, 1).Float(2, f); }
inline Msg AttrString(const std::string& name, const std::string& s) { return Msg().Str(1, name).Varint(20, 3).Str(4, s); }
inline Msg AttrInts(const std::string& name, const std::vector<int64_t>& v) {
  Msg packed;
  for (int64_t x : v) packed.Raw(static_cast<uint64_t>(x));
  return Msg().Str(1, name).Varint(20, 7).Sub(8, packed);
}

inline Msg OpNode(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                const std::vector<Msg>& attrs = {}, const std::string& name = "") {
  Msg n;
  for (const std::string& s : in) n.Str(1, s);
  for (const std::string& s : out) n.Str(2, s);
  n.Str(3, name.empty() ? out[0] : name).Str(4, op);
  for (const Msg& a : attrs) n.Sub(5, a);
  return n;
}

struct GraphSpec {
  std::vector<Msg> nodes, initializers, inputs, outputs;
};

inline std::vector<uint8_t> Model(const GraphSpec& g, int64_t opset = 13) {
  Msg graph;
  for (const Msg& n : g.nodes) graph.Sub(1, n);
  graph.Str(2, "test");
  for (const Msg& t : g.initializers) graph.Sub(5, t);
  for (const Msg& v : g.inputs) graph.Sub(11, v);
  for (const Msg& v : g.outputs) graph.Sub(12, v);
  Msg m;
  m.Varint(1, 8).Str(2, "qwasm-test").Sub(7, graph).Sub(8, Msg().Str(1, "").Varint(2, static_cast<uint64_t>(opset)));
  return m.b;
}

// A QDQ model: uint8 x [1, 2, 4, 4] -> DequantizeLinear -> Conv (uint8
// weights 100.., zero point 120, scale 0.01; int32 bias, scale 0.005) ->
// Relu -> QuantizeLinear (0.25, 10) -> DequantizeLinear -> float y.
// Initializer 4 is the bias scale.
inline GraphSpec QdqConvGraph() {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kUInt8, {1, 2, 4, 4}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 3, 4, 4}));
  std::vector<uint8_t> w(3 * 2 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(100 + i);
  g.initializers.push_back(TensorOf("wq", kUInt8, {3, 2, 3, 3}, w));
  g.initializers.push_back(Scalar("ws", 0.01f));
  g.initializers.push_back(TensorOf<uint8_t>("wz", kUInt8, {}, {120}));
  g.initializers.push_back(TensorOf<int32_t>("bq", kInt32, {3}, {10, -20, 30}));
  g.initializers.push_back(Scalar("bs", 0.5f * 0.01f));
  g.initializers.push_back(TensorOf<int32_t>("bz", kInt32, {}, {0}));
  g.initializers.push_back(Scalar("xs", 0.5f));
  g.initializers.push_back(TensorOf<uint8_t>("xz", kUInt8, {}, {128}));
  g.initializers.push_back(Scalar("ys", 0.25f));
  g.initializers.push_back(TensorOf<uint8_t>("yz", kUInt8, {}, {10}));
  g.nodes.push_back(OpNode("DequantizeLinear", {"x", "xs", "xz"}, {"xd"}));
  g.nodes.push_back(OpNode("DequantizeLinear", {"wq", "ws", "wz"}, {"wd"}));
  g.nodes.push_back(OpNode("DequantizeLinear", {"bq", "bs", "bz"}, {"bd"}));
  g.nodes.push_back(OpNode("Conv", {"xd", "wd", "bd"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}));
  g.nodes.push_back(OpNode("Relu", {"c"}, {"r"}));
  g.nodes.push_back(OpNode("QuantizeLinear", {"r", "ys", "yz"}, {"q"}));
  g.nodes.push_back(OpNode("DequantizeLinear", {"q", "ys", "yz"}, {"y"}));
  return g;
}

}  // namespace qwasm::testing::onnxb
