// Model readers: the bounds-checked FlatBuffers reader, the embedded ZIP
// reader, and TFLite import errors that name the operator and node (every
// unsupported operator at once, before any tensor is judged).
#include <doctest/doctest.h>

#include <cstring>

#include "api/model.h"
#include "import/flatbuffer.h"
#include "import/tflite_reader.h"
#include "import/zip_reader.h"
#include "test_util.h"
#include "tflite_builder.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

template <typename T>
void Put(std::vector<uint8_t>& b, size_t at, T v) {
  if (b.size() < at + sizeof(T)) b.resize(at + sizeof(T));
  std::memcpy(&b[at], &v, sizeof(T));
}

// A hand-laid flatbuffer: root table with a u32 scalar (field 0 = 42) and a
// vector of three u32 (field 1 = {7, 8, 9}).
std::vector<uint8_t> TinyBuffer() {
  std::vector<uint8_t> b;
  Put<uint32_t>(b, 0, 16);    // root table at 16
  Put<uint16_t>(b, 8, 8);     // vtable: 8 bytes
  Put<uint16_t>(b, 10, 12);   // table body: 12 bytes
  Put<uint16_t>(b, 12, 4);    // field 0 at +4
  Put<uint16_t>(b, 14, 8);    // field 1 at +8
  Put<int32_t>(b, 16, 8);     // vtable at 16 - 8
  Put<uint32_t>(b, 20, 42);
  Put<uint32_t>(b, 24, 8);    // vector at 24 + 8 = 32
  Put<uint32_t>(b, 32, 3);
  Put<uint32_t>(b, 36, 7);
  Put<uint32_t>(b, 40, 8);
  Put<uint32_t>(b, 44, 9);
  return b;
}

fb::Bytes View(const std::vector<uint8_t>& b) { return {b.data(), b.size()}; }

}  // namespace

TEST_CASE("flatbuffer reader: reads a valid table") {
  const auto b = TinyBuffer();
  Result<fb::Table> t = fb::Table::Root(View(b));
  REQUIRE(t.ok());
  CHECK(t.value().Scalar<uint32_t>(0, 0).value() == 42);
  CHECK(t.value().Scalar<uint32_t>(5, 77).value() == 77);  // absent: fallback
  Result<fb::Vector> v = t.value().VectorField(1, 4);
  REQUIRE(v.ok());
  REQUIRE(v.value().count == 3);
  CHECK(v.value().At<uint32_t>(2) == 9);
  CHECK(t.value().VectorField(4, 4).value().count == 0);  // absent: empty
}

TEST_CASE("flatbuffer reader: every bad offset is an error") {
  auto b = TinyBuffer();
  SUBCASE("root offset past the end") {
    Put<uint32_t>(b, 0, 1000);
    CHECK_FALSE(fb::Table::Root(View(b)).ok());
  }
  SUBCASE("vtable outside the buffer") {
    Put<int32_t>(b, 16, -100000);
    CHECK_FALSE(fb::Table::Root(View(b)).ok());
  }
  SUBCASE("vtable larger than the buffer") {
    Put<uint16_t>(b, 8, 0xFFF0);
    CHECK_FALSE(fb::Table::Root(View(b)).ok());
  }
  SUBCASE("field beyond the table body") {
    Put<uint16_t>(b, 12, 11);  // a u32 at +11 of a 12-byte body
    Result<fb::Table> t = fb::Table::Root(View(b));
    REQUIRE(t.ok());
    CHECK_FALSE(t.value().Scalar<uint32_t>(0, 0).ok());
  }
  SUBCASE("vector count overflowing the buffer") {
    Put<uint32_t>(b, 32, 0x40000000);
    Result<fb::Table> t = fb::Table::Root(View(b));
    REQUIRE(t.ok());
    Result<fb::Vector> v = t.value().VectorField(1, 4);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().message().find("past the end") != std::string::npos);
  }
  SUBCASE("vector offset pointing outside") {
    Put<uint32_t>(b, 24, 0xFFFFFF00);
    CHECK_FALSE(fb::Table::Root(View(b)).value().VectorField(1, 4).ok());
  }
  SUBCASE("truncated") {
    b.resize(40);
    CHECK_FALSE(fb::Table::Root(View(b)).value().VectorField(1, 4).ok());
  }
}

namespace {

// A ZIP archive with stored entries, laid out as Python's zipfile writes it.
std::vector<uint8_t> MakeZip(const std::vector<std::pair<std::string, std::string>>& files, size_t prefix) {
  std::vector<uint8_t> z(prefix, 0xAB);
  std::vector<uint8_t> dir;
  for (const auto& [name, text] : files) {
    const uint32_t crc = zip::Crc32(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    const size_t local = z.size();
    Put<uint32_t>(z, local, 0x04034b50);
    Put<uint16_t>(z, local + 8, 0);  // stored
    Put<uint32_t>(z, local + 14, crc);
    Put<uint32_t>(z, local + 18, static_cast<uint32_t>(text.size()));
    Put<uint32_t>(z, local + 22, static_cast<uint32_t>(text.size()));
    Put<uint16_t>(z, local + 26, static_cast<uint16_t>(name.size()));
    Put<uint16_t>(z, local + 28, 0);
    z.insert(z.end(), name.begin(), name.end());
    z.insert(z.end(), text.begin(), text.end());
    const size_t c = dir.size();
    Put<uint32_t>(dir, c, 0x02014b50);
    Put<uint16_t>(dir, c + 10, 0);
    Put<uint32_t>(dir, c + 16, crc);
    Put<uint32_t>(dir, c + 20, static_cast<uint32_t>(text.size()));
    Put<uint32_t>(dir, c + 24, static_cast<uint32_t>(text.size()));
    Put<uint16_t>(dir, c + 28, static_cast<uint16_t>(name.size()));
    Put<uint16_t>(dir, c + 30, 0);
    Put<uint16_t>(dir, c + 32, 0);
    Put<uint32_t>(dir, c + 42, static_cast<uint32_t>(local));  // offset from the file start
    dir.insert(dir.end(), name.begin(), name.end());
  }
  const size_t dir_pos = z.size();
  z.insert(z.end(), dir.begin(), dir.end());
  const size_t end = z.size();
  Put<uint32_t>(z, end, 0x06054b50);
  Put<uint16_t>(z, end + 8, static_cast<uint16_t>(files.size()));
  Put<uint16_t>(z, end + 10, static_cast<uint16_t>(files.size()));
  Put<uint32_t>(z, end + 12, static_cast<uint32_t>(dir.size()));
  Put<uint32_t>(z, end + 16, static_cast<uint32_t>(dir_pos));
  Put<uint16_t>(z, end + 20, 0);
  return z;
}

}  // namespace

TEST_CASE("zip reader: stored entries, CRC, truncation, relative offsets") {
  CHECK(zip::Crc32(reinterpret_cast<const uint8_t*>("123456789"), 9) == 0xCBF43926u);  // the standard check value
  auto z = MakeZip({{"a.txt", "hello"}, {"labels.txt", "cat\ndog\n"}}, 100);
  Result<std::vector<zip::Entry>> e = zip::ReadArchive(z.data(), z.size());
  REQUIRE(e.ok());
  REQUIRE(e.value().size() == 2);
  CHECK(e.value()[1].name == "labels.txt");
  CHECK(zip::Extract(e.value()[1]).value() == "cat\ndog\n");
  // Corrupt one data byte: the CRC catches it.
  auto bad = z;
  bad[100 + 30 + 5 + 2] ^= 1;  // inside "hello"
  CHECK(zip::Extract(zip::ReadArchive(bad.data(), bad.size()).value()[0]).status().message().find("CRC") != std::string::npos);
  // Truncated: no end record.
  CHECK_FALSE(zip::HasArchive(z.data(), z.size() - 5));
  CHECK_FALSE(zip::ReadArchive(z.data(), z.size() - 5).ok());
  // The same archive with offsets relative to the archive start (prefix
  // stripped from the offsets, as plain concatenation produces).
  auto rel = MakeZip({{"x", "y"}}, 0);
  std::vector<uint8_t> shifted(37, 0);
  shifted.insert(shifted.end(), rel.begin(), rel.end());
  Result<std::vector<zip::Entry>> r = zip::ReadArchive(shifted.data(), shifted.size());
  REQUIRE(r.ok());
  CHECK(zip::Extract(r.value()[0]).value() == "y");
  // A directory that claims more entries than it holds.
  auto lying = z;
  Put<uint16_t>(lying, lying.size() - 22 + 10, 9);
  CHECK_FALSE(zip::ReadArchive(lying.data(), lying.size()).ok());
}

namespace {

// Rewrites the builtin code of every operator code equal to `from`.
void PatchOpcode(std::vector<uint8_t>& bytes, int32_t from, int8_t to) {
  fb::Bytes view{bytes.data(), bytes.size()};
  fb::Table model = fb::Table::Root(view).value();
  fb::Vector codes = model.VectorField(1, 4).value();
  for (uint32_t i = 0; i < codes.count; ++i) {
    fb::Table code = fb::Table::TableAt(codes, i).value();
    if (code.Scalar<int8_t>(0, 0).value() != from) continue;
    bytes[code.FieldPosition(0)] = static_cast<uint8_t>(to);
    if (code.FieldPosition(3)) Put<int32_t>(bytes, code.FieldPosition(3), to);
  }
}

}  // namespace

TEST_CASE("tflite: an unsupported operator is named with its node") {
  auto bytes = ReadFile(SharedPath("models/mobilenet_v1_0.25_128_quant.tflite"));
  REQUIRE(!bytes.empty());
  PatchOpcode(bytes, 25, 28);  // SOFTMAX -> TANH
  Result<std::unique_ptr<Model>> m = Model::Load(bytes);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().message() == "tflite: this model needs 1 operator qwasm does not support: "
                                "TANH (node 30 'MobilenetV1/Predictions/Reshape_1')");  // named by its output

  auto custom = ReadFile(SharedPath("models/mobilenet_v1_0.25_128_quant.tflite"));
  PatchOpcode(custom, 4, 32);  // DEPTHWISE_CONV_2D -> CUSTOM (no custom code): one entry, counted
  const std::string cmsg = Model::Load(custom).status().message();
  CHECK(cmsg.rfind("tflite: this model needs 1 operator qwasm does not support: CUSTOM (13 nodes, first node 1 "
                   "'MobilenetV1/MobilenetV1/Conv2d_1_depthwise/Relu6;", 0) == 0);
}

TEST_CASE("tflite: unsupported operators are all named before tensor types and quantization are judged") {
  SUBCASE("an LSTM with int16 state: the operator, not 'tensor type INT16'") {
    TfliteBuilder b;
    const int32_t in = b.Q8("in", {1, 4, 8}, 0.1f, 0);
    const int32_t flat = b.Q8("flat", {4, 8}, 0.1f, 0);
    const int32_t shape = b.Const<int32_t>("shape", tfl::kInt32, {2}, {4, 8});
    const int32_t act = b.Q8("act", {4, 8}, 0.1f, 0);
    const int32_t back = b.Q8("back", {1, 4, 8}, 0.1f, 0);
    const int32_t cell = b.Tensor("lstm/cell", tfl::kInt16, {1, 8}, 1.0f / 2048, 0);
    const int32_t out = b.Q8("lstm/out", {1, 4, 8}, 0.05f, 0);
    const int32_t result = b.Tensor("result", tfl::kFloat32, {1, 4, 8});
    b.Op(tfl::kReshape, {in, shape}, {flat});
    b.Op(tfl::kRelu, {flat}, {act});
    b.Op(tfl::kReshape, {act}, {back});
    b.Op(tfl::kUnidirectionalSequenceLstm, {back, cell}, {out});
    b.Op(tfl::kDequantize, {out}, {result});
    const std::string msg = tflite::ReadModel(std::make_shared<const std::vector<uint8_t>>(b.Build({in}, {result})))
                                .status().message();
    CHECK(msg == "tflite: this model needs 1 operator qwasm does not support: UNIDIRECTIONAL_SEQUENCE_LSTM "
                 "(node 3 'lstm/out')");
  }
  SUBCASE("a custom op on uint8 tensors without quantization: the op, by its name") {
    TfliteBuilder b;
    const int32_t in = b.Tensor("in", tfl::kUInt8, {1, 4});
    const int32_t out = b.Tensor("", tfl::kUInt8, {1, 4});
    b.Op(tfl::kCustom, {in}, {out}, 0, {}, "throw_error");
    const std::string msg = Model::Load(b.Build({in}, {out})).status().message();
    CHECK(msg == "tflite: this model needs 1 operator qwasm does not support: CUSTOM 'throw_error' (node 0)");
  }
  SUBCASE("several: each once, in order of first use, repeated ones counted") {
    TfliteBuilder b;
    int32_t x = b.Tensor("x", tfl::kInt16, {1, 4});
    const int32_t input = x;
    const int32_t thrown = b.Tensor("", tfl::kInt16, {1, 4});
    b.Op(tfl::kCustom, {x}, {thrown}, 0, {}, "throw_error");
    x = thrown;
    for (int i = 0; i < 40; ++i) {
      const int32_t y = b.Tensor("tanh" + std::to_string(i), tfl::kInt16, {1, 4});
      b.Op(i % 2 ? tfl::kTanh : tfl::kRelu, {x}, {y});  // 20 TANH between supported RELUs
      x = y;
    }
    const int32_t sliced = b.Tensor("sliced", tfl::kInt16, {1, 2});
    b.Op(tfl::kSpaceToDepth, {x}, {sliced});
    const int32_t out = b.Tensor("out", tfl::kInt16, {1, 2});
    b.Op(tfl::kCustom, {sliced}, {out}, 0, {}, "other_op");
    CHECK(tflite::ReadModel(std::make_shared<const std::vector<uint8_t>>(b.Build({input}, {out}))).status().message() ==
          "tflite: this model needs 4 operators qwasm does not support: CUSTOM 'throw_error' (node 0), "
          "TANH (20 nodes, first node 2 'tanh1'), SPACE_TO_DEPTH (node 41 'sliced'), CUSTOM 'other_op' (node 42 'out')");
  }
  SUBCASE("with every operator supported, the tensor type is what fails") {
    TfliteBuilder b;
    const int32_t in = b.Tensor("in", tfl::kInt16, {1, 4});
    const int32_t out = b.Tensor("out", tfl::kInt16, {1, 4});
    b.Op(tfl::kRelu, {in}, {out});
    CHECK(tflite::ReadModel(std::make_shared<const std::vector<uint8_t>>(b.Build({in}, {out}))).status().message() ==
          "tflite: tensor 0 'in': tensor type INT16 is not supported");
  }
}

TEST_CASE("tflite: wrong file kinds") {
  auto bytes = ReadFile(SharedPath("models/mobilenet_v1_0.25_128_quant.tflite"));
  REQUIRE(bytes.size() > 8);  // ../shared is there
  bytes[4] = 'X';
  auto shared = std::make_shared<const std::vector<uint8_t>>(bytes);
  CHECK(tflite::ReadModel(shared).status().message().find("TFL3") != std::string::npos);
  const std::string text = "labels, not a model";
  CHECK(Model::Load(std::vector<uint8_t>(text.begin(), text.end())).status().message().find("unrecognised model format") !=
        std::string::npos);
}
