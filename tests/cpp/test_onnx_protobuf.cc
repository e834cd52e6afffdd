// The protobuf wire-format reader and the ONNX message decoder on malformed
// input: truncated and overlong varints, lengths past the end, wrong wire
// types, nesting and counts beyond the limits.
#include <doctest/doctest.h>

#include "import/onnx/onnx_model.h"
#include "import/onnx/protobuf.h"
#include "onnx_builder.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing::onnxb;

namespace {

pb::Span Span(const std::vector<uint8_t>& b) { return {b.data(), b.size()}; }

// Reads every field; returns the reader's final status.
Status ReadAll(const std::vector<uint8_t>& b, std::vector<pb::Field>* fields = nullptr) {
  pb::Reader r(Span(b));
  pb::Field f;
  while (r.Next(&f)) {
    if (fields) fields->push_back(f);
  }
  return r.status();
}

}  // namespace

TEST_CASE("protobuf: reads varint, fixed and length-delimited fields") {
  Msg m;
  m.Varint(1, 300).Float(2, 1.5f).Str(3, "abc").Varint(4, ~uint64_t{0});
  std::vector<pb::Field> f;
  REQUIRE(ReadAll(m.b, &f).ok());
  REQUIRE(f.size() == 4);
  CHECK(f[0].number == 1);
  CHECK(f[0].varint == 300);
  CHECK(f[1].as_float() == 1.5f);
  CHECK(f[2].bytes.str() == "abc");
  CHECK(f[3].as_int64() == -1);  // negative int64: ten bytes
}

TEST_CASE("protobuf: truncated and overlong varints are errors") {
  CHECK_FALSE(ReadAll({0x08}).ok());              // key without value
  CHECK_FALSE(ReadAll({0x08, 0x80}).ok());        // continuation bit, then the end
  CHECK_FALSE(ReadAll({0x80}).ok());              // truncated key
  std::vector<uint8_t> eleven = {0x08};
  for (int i = 0; i < 10; ++i) eleven.push_back(0xFF);
  eleven.push_back(0x01);
  CHECK_FALSE(ReadAll(eleven).ok());               // 11-byte varint
  std::vector<uint8_t> overflow = {0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  const Status s = ReadAll(overflow);             // 10th byte > 1: more than 64 bits
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("varint") != std::string::npos);
}

TEST_CASE("protobuf: lengths past the end, bad wire types, field 0") {
  const Status past = ReadAll({0x1A, 0x05, 'a', 'b'});  // field 3, length 5, 2 bytes left
  CHECK_FALSE(past.ok());
  CHECK(past.message().find("runs past the end") != std::string::npos);
  // A length near 2^64 must not wrap around the end pointer.
  CHECK_FALSE(ReadAll({0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 'a'}).ok());
  CHECK_FALSE(ReadAll({0x0B}).ok());  // wire type 3 (group)
  CHECK_FALSE(ReadAll({0x0E, 0}).ok());  // wire type 6
  CHECK_FALSE(ReadAll({0x00, 0x01}).ok());  // field number 0
  CHECK_FALSE(ReadAll({0x0D, 1, 2, 3}).ok());  // fixed32 with 3 bytes
  CHECK_FALSE(ReadAll({0x09, 1, 2, 3, 4, 5, 6, 7}).ok());  // fixed64 with 7 bytes
}

TEST_CASE("protobuf: packed repeated values are counted before allocation") {
  Msg packed;
  for (int i = 0; i < 20; ++i) packed.Raw(i * 1000);
  Msg m;
  m.Sub(1, packed);
  std::vector<pb::Field> f;
  REQUIRE(ReadAll(m.b, &f).ok());
  std::vector<int64_t> v;
  REQUIRE(pb::AppendVarints(f[0], 100, &v).ok());
  CHECK(v.size() == 20);
  CHECK(v[19] == 19000);
  std::vector<int64_t> small;
  CHECK_FALSE(pb::AppendVarints(f[0], 19, &small).ok());  // over the limit: refused up front
  CHECK(small.empty());
  // Packed fixed32 whose length is not a multiple of 4.
  pb::Field odd;
  const std::vector<uint8_t> five = {1, 2, 3, 4, 5};
  odd.number = 4;
  odd.wire = pb::kLengthDelimited;
  odd.bytes = Span(five);
  std::vector<uint32_t> u;
  CHECK_FALSE(pb::AppendFixed32(odd, 100, &u).ok());
  // A truncated varint inside a packed run.
  pb::Field bad = odd;
  const std::vector<uint8_t> cut = {0x01, 0x80};
  bad.bytes = Span(cut);
  std::vector<int64_t> w;
  CHECK_FALSE(pb::AppendVarints(bad, 100, &w).ok());
}

TEST_CASE("onnx decoder: tensor dims, counts and sizes are checked") {
  // Too many dims.
  Msg many;
  for (int i = 0; i < 9; ++i) many.Varint(1, 1);
  CHECK_FALSE(onnx::DecodeTensor(Span(many.b), 1).ok());
  // Dims whose product overflows, and negative dims.
  Msg huge;
  huge.Varint(1, int64_t{1} << 40).Varint(1, int64_t{1} << 40).Varint(2, 1);
  Result<onnx::TensorProto> h = onnx::DecodeTensor(Span(huge.b), 1);
  CHECK_FALSE(h.ok());
  CHECK(h.status().message().find("elements") != std::string::npos);
  Msg negative;
  negative.Varint(1, static_cast<uint64_t>(-3)).Varint(2, 1);
  CHECK_FALSE(onnx::DecodeTensor(Span(negative.b), 1).ok());
  // raw_data size must match dims x element size.
  const std::vector<float> three = {1, 2, 3};
  Result<onnx::TensorProto> wrong = onnx::DecodeTensor(Span(TensorOf("w", kFloat, {4}, three).b), 1);
  CHECK_FALSE(wrong.ok());
  CHECK(wrong.status().message().find("raw_data holds 12 bytes") != std::string::npos);
  Result<onnx::TensorProto> right = onnx::DecodeTensor(Span(TensorOf("w", kFloat, {3}, three).b), 1);
  REQUIRE(right.ok());
  CHECK(right.value().raw_data.size == 12);
  // Nesting beyond the limit.
  const std::vector<uint8_t> nested = TensorOf("w", kFloat, {3}, three).b;
  CHECK_FALSE(onnx::DecodeTensor(Span(nested), pb::kMaxDepth + 1).ok());
  // A string field with a varint wire type.
  Msg bad_name;
  bad_name.Varint(8, 5);
  CHECK_FALSE(onnx::DecodeTensor(Span(bad_name.b), 1).ok());
}

TEST_CASE("onnx decoder: a model decodes, errors name the message path") {
  GraphSpec g;
  g.inputs.push_back(ValueInfo("x", kFloat, {1, 4}));
  g.outputs.push_back(ValueInfo("y", kFloat, {1, 4}));
  g.nodes.push_back(OpNode("Relu", {"x"}, {"y"}, {AttrInts("k", {1, 2, 3})}));
  std::vector<uint8_t> bytes = Model(g);
  Result<onnx::ModelProto> m = onnx::DecodeModel(Span(bytes));
  REQUIRE(m.ok());
  CHECK(m.value().ir_version == 8);
  CHECK(m.value().producer_name == "qwasm-test");
  REQUIRE(m.value().opset_import.size() == 1);
  CHECK(m.value().opset_import[0].version == 13);
  REQUIRE(m.value().graph.node.size() == 1);
  CHECK(m.value().graph.node[0].op_type == "Relu");
  CHECK(m.value().graph.node[0].attribute[0].ints == std::vector<int64_t>{1, 2, 3});
  CHECK(m.value().graph.input[0].dims == std::vector<int64_t>{1, 4});
  bytes.pop_back();
  Result<onnx::ModelProto> cut = onnx::DecodeModel(Span(bytes));
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.status().message().find("onnx: model") == 0);
}

// Fuzzing (tests/fuzz/fuzz_onnx.cc) found: an empty packed fixed32 field (an
// attribute's `floats` of length 0) reached memcpy with a null destination,
// undefined behaviour that UBSan reports. The ASan + UBSan suite runs these.
TEST_CASE("protobuf: an empty packed fixed32 field appends nothing (fuzz regression)") {
  pb::Field empty;
  empty.number = 7;
  empty.wire = pb::kLengthDelimited;
  std::vector<uint32_t> u;
  CHECK(pb::AppendFixed32(empty, 100, &u).ok());
  CHECK(u.empty());
  // The minimized fuzz input: a model whose attribute has an empty packed float list.
  const std::vector<uint8_t> bytes = testing::ReadFile(testing::SourcePath("tests/data/fuzz/onnx-empty-packed-floats.onnx"));
  REQUIRE(bytes.size() == 654);
  auto model = onnx::DecodeModel(pb::Span{bytes.data(), bytes.size()});
  (void)model;  // error or not: no undefined behaviour
}
