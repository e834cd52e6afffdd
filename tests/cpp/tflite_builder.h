// tflite_builder.h — writes small TFLite model files in test code.
//
// fbw::Table is a FlatBuffers table under construction: scalar fields, and
// references to child tables, vectors and strings. Finish() lays a tree out
// front to back: each table's vtable just before it, then its children in
// field order, each reference patched to point forward (FlatBuffers offsets
// are unsigned). Vector elements start 16-byte aligned, so constant tensors
// that point into the file are aligned for the kernels.
//
// TfliteBuilder fills TFLite's Model / SubGraph / Tensor / Operator tables
// (field ids from schema.fbs, the ones src/import/tflite_reader.cc reads):
// one subgraph, one buffer per constant tensor, operator codes shared by
// (builtin, custom name).
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace qwasm::testing {
namespace fbw {

class Table {
 public:
  template <typename T>
  Table& Scalar(int field, T v) {
    Field& f = fields_[field];
    f.kind = Field::kScalar;
    f.bytes.resize(sizeof(T));
    std::memcpy(f.bytes.data(), &v, sizeof(T));
    return *this;
  }
  template <typename T>
  Table& Vector(int field, const std::vector<T>& v) {
    Field& f = fields_[field];
    f.kind = Field::kVector;
    f.count = static_cast<uint32_t>(v.size());
    f.bytes.resize(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(f.bytes.data(), v.data(), f.bytes.size());
    return *this;
  }
  Table& String(int field, const std::string& s) {
    Vector(field, std::vector<char>(s.begin(), s.end()));
    fields_[field].bytes.push_back(0);  // FlatBuffers strings end with a NUL the count leaves out
    return *this;
  }
  Table& Child(int field, Table t) {
    Field& f = fields_[field];
    f.kind = Field::kTable;
    f.tables = {std::move(t)};
    return *this;
  }
  Table& Tables(int field, std::vector<Table> list) {
    Field& f = fields_[field];
    f.kind = Field::kTables;
    f.tables = std::move(list);
    return *this;
  }

  // Appends this table (and its children) to `out`; returns its position.
  size_t Write(std::vector<uint8_t>& out) const {
    // Body: the vtable offset, then each field aligned to its size
    // (references are 4-byte offsets).
    std::vector<std::pair<int, size_t>> at;  // field id, offset in the body
    size_t body = 4;
    for (const auto& [id, f] : fields_) {
      const size_t size = f.kind == Field::kScalar ? f.bytes.size() : 4;
      body = (body + size - 1) / size * size;
      at.emplace_back(id, body);
      body += size;
    }
    const int slots = fields_.empty() ? 0 : fields_.rbegin()->first + 1;
    Align(out, 2);
    const size_t vtable = out.size();
    Put<uint16_t>(out, 4 + 2 * slots);
    Put<uint16_t>(out, body);
    std::vector<uint16_t> slot(slots, 0);
    for (const auto& [id, off] : at) slot[id] = static_cast<uint16_t>(off);
    for (uint16_t s : slot) Put<uint16_t>(out, s);
    Align(out, 8);
    const size_t table = out.size();
    out.resize(table + body, 0);
    Set<int32_t>(out, table, static_cast<int32_t>(table - vtable));  // vtable = table - this
    size_t i = 0;
    for (const auto& [id, f] : fields_) {
      const size_t pos = table + at[i++].second;
      if (f.kind == Field::kScalar) {
        std::memcpy(&out[pos], f.bytes.data(), f.bytes.size());
      } else if (f.kind == Field::kTable) {
        Link(out, pos, f.tables[0].Write(out));
      } else if (f.kind == Field::kVector) {
        while ((out.size() + 4) % 16 != 0) out.push_back(0);
        Link(out, pos, out.size());
        Put<uint32_t>(out, f.count);
        out.insert(out.end(), f.bytes.begin(), f.bytes.end());
      } else {  // kTables: a vector of offsets, then the tables
        Align(out, 4);
        Link(out, pos, out.size());
        Put<uint32_t>(out, static_cast<uint32_t>(f.tables.size()));
        const size_t slots_at = out.size();
        out.resize(slots_at + 4 * f.tables.size(), 0);
        for (size_t k = 0; k < f.tables.size(); ++k) Link(out, slots_at + 4 * k, f.tables[k].Write(out));
      }
    }
    return table;
  }

 private:
  struct Field {
    enum Kind { kScalar, kVector, kTable, kTables } kind = kScalar;
    std::vector<uint8_t> bytes;  // the scalar, or the vector's elements
    uint32_t count = 0;          // vector elements
    std::vector<Table> tables;
  };

  template <typename T>
  static void Put(std::vector<uint8_t>& out, size_t v) {
    const T x = static_cast<T>(v);
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(&out[at], &x, sizeof(T));
  }
  template <typename T>
  static void Set(std::vector<uint8_t>& out, size_t at, T v) {
    std::memcpy(&out[at], &v, sizeof(T));
  }
  static void Align(std::vector<uint8_t>& out, size_t a) {
    while (out.size() % a != 0) out.push_back(0);
  }
  // The u32 at `from` points forward to `to`.
  static void Link(std::vector<uint8_t>& out, size_t from, size_t to) {
    Set<uint32_t>(out, from, static_cast<uint32_t>(to - from));
  }

  std::map<int, Field> fields_;
};

// The whole buffer: root offset, 4-byte file identifier, the root table.
inline std::vector<uint8_t> Finish(const Table& root, const char identifier[4]) {
  std::vector<uint8_t> out(8, 0);
  std::memcpy(&out[4], identifier, 4);
  const uint32_t at = static_cast<uint32_t>(root.Write(out));
  std::memcpy(&out[0], &at, 4);
  return out;
}

}  // namespace fbw

namespace tfl {
// BuiltinOperator codes used by the tests.
enum Builtin : int32_t {
  kAdd = 0, kAveragePool2D = 1, kConcatenation = 2, kConv2D = 3, kDequantize = 6, kFullyConnected = 9,
  kLogistic = 14, kMaxPool2D = 17, kMul = 18, kRelu = 19, kReluN1To1 = 20, kRelu6 = 21, kReshape = 22,
  kSoftmax = 25, kTanh = 28, kCustom = 32, kPad = 34, kTranspose = 39, kMean = 40, kSqueeze = 43,
  kSpaceToDepth = 26, kUnidirectionalSequenceLstm = 44, kStridedSlice = 45, kSplit = 49, kPadV2 = 60, kSlice = 65,
  kExpandDims = 70, kSplitV = 102, kQuantize = 114,
  kHardSwish = 117, kRelu0To1 = 152,
};
// BuiltinOptions union tags.
enum Options : uint8_t {
  kPool2DOptions = 5, kFullyConnectedOptions = 8, kConcatenationOptions = 10, kAddOptions = 11,
  kMulOptions = 21, kReducerOptions = 27, kSqueezeOptions = 30, kStridedSliceOptions = 32,
};
// TensorType codes.
enum Type : int8_t { kFloat32 = 0, kInt32 = 2, kUInt8 = 3, kInt64 = 4, kInt16 = 7, kInt8 = 9 };
// ActivationFunctionType and Padding.
enum Act : int8_t { kNone = 0, kActRelu = 1, kActReluN1To1 = 2, kActRelu6 = 3, kActTanh = 4 };
enum Pad : int8_t { kSame = 0, kValid = 1 };
}  // namespace tfl

class TfliteBuilder {
 public:
  // A tensor; quantized when `scale` is nonzero, constant when `data` is set.
  int32_t Tensor(const std::string& name, int8_t type, std::vector<int32_t> shape, float scale = 0.0f,
                 int64_t zero_point = 0, std::vector<uint8_t> data = {}) {
    fbw::Table t;
    t.Vector(0, shape).Scalar<int8_t>(1, type).String(3, name);
    if (scale != 0.0f) {
      // QuantizationParameters: scale 2, zero_point 3.
      t.Child(4, fbw::Table().Vector(2, std::vector<float>{scale}).Vector(3, std::vector<int64_t>{zero_point}));
    }
    if (!data.empty()) {
      buffers_.push_back(fbw::Table().Vector(0, data));
      t.Scalar<uint32_t>(2, static_cast<uint32_t>(buffers_.size() - 1));
    }
    tensors_.push_back(std::move(t));
    return static_cast<int32_t>(tensors_.size() - 1);
  }
  int32_t F32(const std::string& name, std::vector<int32_t> shape) { return Tensor(name, tfl::kFloat32, shape); }
  int32_t Q8(const std::string& name, std::vector<int32_t> shape, float scale, int64_t zp) {
    return Tensor(name, tfl::kInt8, shape, scale, zp);
  }
  template <typename T>
  int32_t Const(const std::string& name, int8_t type, std::vector<int32_t> shape, const std::vector<T>& v,
                float scale = 0.0f, int64_t zp = 0) {
    std::vector<uint8_t> bytes(v.size() * sizeof(T));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return Tensor(name, type, shape, scale, zp, bytes);
  }

  // An operator; `options` is its builtin options table of union tag `options_type`.
  void Op(int32_t builtin, std::vector<int32_t> inputs, std::vector<int32_t> outputs, uint8_t options_type = 0,
          fbw::Table options = {}, const std::string& custom = "") {
    const std::pair<int32_t, std::string> key{builtin, custom};
    uint32_t index = 0;
    while (index < codes_.size() && codes_[index] != key) ++index;
    if (index == codes_.size()) codes_.push_back(key);
    // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4.
    fbw::Table op;
    op.Scalar<uint32_t>(0, index).Vector(1, inputs).Vector(2, outputs);
    if (options_type != 0) op.Scalar<uint8_t>(3, options_type).Child(4, std::move(options));
    operators_.push_back(std::move(op));
  }

  std::vector<uint8_t> Build(const std::vector<int32_t>& inputs, const std::vector<int32_t>& outputs) const {
    // OperatorCode: deprecated_builtin_code 0 (capped at 127), custom_code 1, version 2, builtin_code 3.
    std::vector<fbw::Table> codes;
    for (const auto& [builtin, custom] : codes_) {
      fbw::Table c;
      c.Scalar<int8_t>(0, static_cast<int8_t>(builtin < 127 ? builtin : 127)).Scalar<int32_t>(2, 1);
      c.Scalar<int32_t>(3, builtin);
      if (!custom.empty()) c.String(1, custom);
      codes.push_back(std::move(c));
    }
    // SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4.
    fbw::Table subgraph;
    subgraph.Tables(0, tensors_).Vector(1, inputs).Vector(2, outputs).Tables(3, operators_).String(4, "main");
    // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4.
    fbw::Table model;
    model.Scalar<uint32_t>(0, 3).Tables(1, codes).Tables(2, {subgraph}).String(3, "qwasm test").Tables(4, buffers_);
    return fbw::Finish(model, "TFL3");
  }

 private:
  std::vector<fbw::Table> tensors_;
  std::vector<fbw::Table> operators_;
  std::vector<fbw::Table> buffers_{fbw::Table()};  // buffer 0: empty, for every non-constant tensor
  std::vector<std::pair<int32_t, std::string>> codes_;
};

}  // namespace qwasm::testing
