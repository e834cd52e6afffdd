// The .qwm model format (src/format): exact round trips of the real TFLite
// MobileNets and of a graph using every op, dtype and attribute; identical
// outputs on real photos; pinned ids and bytes (docs/model-format.md);
// precise errors; files of format 1.x refused; truncated and bit-flipped
// files (rejected or still a working model, never a crash).
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "api/model.h"
#include "core/crc32.h"
#include "format/qwm_format.h"
#include "format/qwm_reader.h"
#include "format/qwm_writer.h"
#include "graph/ops/packed_weights.h"
#include "import/tflite_reader.h"
#include "quant/float16.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

using Bytes = std::vector<uint8_t>;
using SharedBytes = std::shared_ptr<const Bytes>;

const char* const kTFLiteModels[] = {
    "mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.5_160_quant.tflite",
    "mobilenet_v1_0.75_192_quant.tflite", "mobilenet_v2_1.0_224_quant.tflite",
    "tf2_mobilenet_v2_1.0_224_ptq.tflite"};
const char* const kPhotos[] = {"bird.bmp", "cat.bmp", "checker224X224.bmp", "dragonfly.bmp",
                               "grace_hopper.bmp", "missvickie_potato_chips.bmp", "sunflower.bmp"};

double Ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

template <typename F>
double BestMs(F f) {
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto t = std::chrono::steady_clock::now();
    f();
    best = std::min(best, Ms(t));
  }
  return best;
}

SharedBytes Share(Bytes b) { return std::make_shared<const Bytes>(std::move(b)); }

uint64_t Get(const Bytes& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | b[at + i];
  return v;
}
void Put(Bytes& b, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Recomputes every CRC a (possibly corrupted) file declares, so that
// corruption reaches the field checks behind them. Written from
// docs/model-format.md, independently of the reader.
void RepairChecksums(Bytes& b) {
  if (b.size() < 64) return;
  const uint64_t header = Get(b, 16, 4), count = Get(b, 20, 4), table = Get(b, 32, 8), entry = Get(b, 40, 4);
  if (header < 64 || header > b.size()) return;
  if (count <= 64 && entry >= 32 && entry <= 1024 && table <= b.size() && count * entry <= b.size() - table) {
    for (uint64_t i = 0; i < count; ++i) {
      const size_t e = table + i * entry;
      const uint64_t offset = Get(b, e + 8, 8), size = Get(b, e + 16, 8);
      if (offset <= b.size() && size <= b.size() - offset) Put(b, e + 24, Crc32(b.data() + offset, size), 4);
    }
    Put(b, 44, Crc32(b.data() + table, count * entry), 4);
  }
  Put(b, 60, 0, 4);
  Put(b, 60, Crc32(b.data(), header), 4);
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
std::vector<uint32_t> Bits(const std::vector<float>& v) {
  std::vector<uint32_t> out;
  for (float f : v) out.push_back(Bits(f));
  return out;
}

// Everything a graph holds, compared exactly (floats by bit pattern).
void CheckSameGraph(const Graph& a, const Graph& b) {
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const Tensor &x = a.tensors[i], &y = b.tensors[i];
    CAPTURE(i);
    CHECK(x.name == y.name);
    CHECK(x.dtype == y.dtype);
    CHECK(x.shape == y.shape);
    CHECK(Bits(x.quant.scale) == Bits(y.quant.scale));
    CHECK(x.quant.zero_point == y.quant.zero_point);
    CHECK(x.quant.axis == y.quant.axis);
    CHECK(x.was_uint8 == y.was_uint8);
    CHECK(x.codebook == y.codebook);
    REQUIRE(x.is_constant() == y.is_constant());
    REQUIRE(x.data_bytes == y.data_bytes);
    if (x.is_constant()) CHECK(std::memcmp(x.data, y.data, x.data_bytes) == 0);
  }
  REQUIRE(a.nodes.size() == b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node &x = a.nodes[i], &y = b.nodes[i];
    const OpAttrs &p = x.attrs, &q = y.attrs;
    CAPTURE(i);
    CHECK(x.op == y.op);
    CHECK(x.name == y.name);
    CHECK(x.inputs == y.inputs);
    CHECK(x.outputs == y.outputs);
    CHECK(p.padding == q.padding);
    CHECK(std::equal(p.pads, p.pads + 4, q.pads));
    CHECK(std::vector<int>{p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.filter_h, p.filter_w,
                           p.depth_multiplier, p.axis} ==
          std::vector<int>{q.stride_h, q.stride_w, q.dilation_h, q.dilation_w, q.filter_h, q.filter_w,
                           q.depth_multiplier, q.axis});
    CHECK(p.activation == q.activation);
    CHECK(Bits({p.beta, p.pad_value, p.clamp_min, p.clamp_max, p.hard_alpha, p.hard_beta}) ==
          Bits({q.beta, q.pad_value, q.clamp_min, q.clamp_max, q.hard_alpha, q.hard_beta}));
    CHECK(p.keep_dims == q.keep_dims);
    CHECK(p.count_include_pad == q.count_include_pad);
    CHECK(p.onnx_numerics == q.onnx_numerics);
    CHECK(p.tflite_numerics == q.tflite_numerics);
    CHECK(p.perm == q.perm);
    CHECK(p.paddings == q.paddings);
  }
  CHECK(a.inputs == b.inputs);
  CHECK(a.outputs == b.outputs);
  const ModelMetadata &m = a.metadata, &n = b.metadata;
  CHECK(std::vector<std::string>{m.name, m.description, m.version, m.author, m.license, m.producer} ==
        std::vector<std::string>{n.name, n.description, n.version, n.author, n.license, n.producer});
  CHECK(m.labels == n.labels);
  CHECK(m.layout == n.layout);
  CHECK(m.color == n.color);
  CHECK(std::vector<int32_t>{m.input_height, m.input_width, m.input_channels} ==
        std::vector<int32_t>{n.input_height, n.input_width, n.input_channels});
  CHECK(Bits(m.crop_fraction) == Bits(n.crop_fraction));
  CHECK(Bits(m.mean) == Bits(n.mean));
  CHECK(Bits(m.std) == Bits(n.std));
  CHECK(m.pixels_are_input == n.pixels_are_input);
  CHECK(m.notes == n.notes);
}

// docs/model-format.md, "Worked example": the file, 16 bytes a line.
const char* const kWorkedExample =
    "89 51 57 4D 0D 0A 1A 0A 02 00 00 00 00 00 00 00\n"
    "40 00 00 00 05 00 00 00 82 01 00 00 00 00 00 00\n"
    "40 00 00 00 00 00 00 00 20 00 00 00 F1 D7 F1 CB\n"
    "00 00 00 00 00 00 00 00 00 00 00 00 EE 8B 3E 52\n"
    "4D 45 54 41 01 00 00 00 E0 00 00 00 00 00 00 00\n"
    "43 00 00 00 00 00 00 00 59 08 B8 CC 00 00 00 00\n"
    "54 45 4E 53 00 00 00 00 23 01 00 00 00 00 00 00\n"
    "2C 00 00 00 00 00 00 00 55 37 F2 D3 00 00 00 00\n"
    "4E 4F 44 45 00 00 00 00 4F 01 00 00 00 00 00 00\n"
    "0B 00 00 00 00 00 00 00 91 A3 38 7F 00 00 00 00\n"
    "47 52 50 48 00 00 00 00 5A 01 00 00 00 00 00 00\n"
    "10 00 00 00 00 00 00 00 D1 12 70 24 00 00 00 00\n"
    "44 41 54 41 00 00 00 00 80 01 00 00 00 00 00 00\n"
    "02 00 00 00 00 00 00 00 92 42 CC B6 00 00 00 00\n"
    "04 00 00 00 74 69 6E 79 00 00 00 00 00 00 00 00\n"
    "00 00 00 00 00 00 00 00 03 00 00 00 64 6F 63 00\n"
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "00 00 00 03 0D 00 02 69 6E 05 21 02 01 02 01 00\n"
    "00 38 0D 00 01 62 05 22 02 01 02 01 00 00 38 00\n"
    "0E 00 03 6F 75 74 05 21 02 01 02 01 00 00 38 01\n"
    "09 04 02 00 00 02 01 02 01 02 01 00 00 00 00 00\n"
    "00 00 01 00 00 00 02 00 00 00 00 00 00 00 00 00\n"
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "01 02\n";

Bytes MustWrite(const Graph& g) {
  Result<Bytes> bytes = WriteQwm(g);
  REQUIRE_MESSAGE(bytes.ok(), bytes.status().message());
  return bytes.take();
}

Graph MustRead(const Bytes& bytes) {
  Result<Graph> g = ReadQwm(Share(bytes));
  REQUIRE_MESSAGE(g.ok(), g.status().message());
  return g.take();
}

// Small deterministic pseudo-random bytes for weights.
Bytes Noise(size_t n, uint32_t seed) {
  Bytes b(n);
  for (uint8_t& v : b) {
    seed = seed * 1664525u + 1013904223u;
    v = static_cast<uint8_t>(seed >> 24);
  }
  return b;
}
Bytes Int32s(std::initializer_list<int32_t> v) {
  Bytes b(v.size() * 4);
  std::memcpy(b.data(), std::data(v), b.size());
  return b;
}

struct Builder {
  Graph g;
  int32_t Add(const std::string& name, DType dtype, std::vector<int32_t> shape, std::vector<float> scales = {},
              std::vector<int32_t> zps = {}, int axis = 0, Bytes data = {}) {
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.quant.scale = std::move(scales);
    t.quant.zero_point = std::move(zps);
    t.quant.axis = axis;
    if (!data.empty()) {
      t.data_bytes = data.size();
      t.data = g.Own(std::move(data));
    }
    g.tensors.push_back(std::move(t));
    return static_cast<int32_t>(g.tensors.size() - 1);
  }
  void Node(OpType op, std::vector<int32_t> in, std::vector<int32_t> out, OpAttrs attrs = {}) {
    qwasm::Node n;
    n.op = op;
    n.name = g.tensors[out[0]].name;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.attrs = std::move(attrs);
    g.nodes.push_back(std::move(n));
  }
};

// A small int8 classifier that the interpreter runs: uint8 image 4x4x2 ->
// conv 3x3 (per-channel) -> depthwise 3x3 -> add -> average pool -> mean
// -> reshape -> fully connected -> softmax (uint8) and dequantize (float).
Graph TinyModel() {
  Builder b;
  const int32_t in = b.Add("image", DType::kInt8, {1, 4, 4, 2}, {0.02f}, {0});
  b.g.tensors[in].was_uint8 = true;
  const std::vector<float> cw = {0.01f, 0.02f, 0.015f}, dw = {0.03f, 0.01f, 0.02f};
  const int32_t conv_w = b.Add("conv/w", DType::kInt8, {3, 3, 3, 2}, cw, {0, 0, 0}, 0, Noise(54, 1));
  const int32_t conv_b = b.Add("conv/b", DType::kInt32, {3}, {0.02f * cw[0], 0.02f * cw[1], 0.02f * cw[2]},
                               {0, 0, 0}, 0, Int32s({100, -200, 300}));
  const int32_t conv = b.Add("conv", DType::kInt8, {1, 4, 4, 3}, {0.05f}, {-10});
  const int32_t dw_w = b.Add("dw/w", DType::kInt8, {1, 3, 3, 3}, dw, {0, 0, 0}, 3, Noise(27, 2));
  const int32_t dw_b = b.Add("dw/b", DType::kInt32, {3}, {0.05f * dw[0], 0.05f * dw[1], 0.05f * dw[2]},
                             {0, 0, 0}, 0, Int32s({-50, 60, 70}));
  const int32_t dwo = b.Add("dw", DType::kInt8, {1, 4, 4, 3}, {0.04f}, {-5});
  const int32_t sum = b.Add("add", DType::kInt8, {1, 4, 4, 3}, {0.08f}, {0});
  const int32_t pool = b.Add("pool", DType::kInt8, {1, 2, 2, 3}, {0.08f}, {0});
  const int32_t axes = b.Add("mean/axes", DType::kInt32, {2}, {}, {}, 0, Int32s({1, 2}));
  const int32_t mean = b.Add("mean", DType::kInt8, {1, 1, 1, 3}, {0.08f}, {0});
  const int32_t flat = b.Add("flat", DType::kInt8, {1, 3}, {0.08f}, {0});
  const int32_t fc_w = b.Add("fc/w", DType::kInt8, {4, 3}, {0.02f}, {0}, 0, Noise(12, 3));
  const int32_t fc_b = b.Add("fc/b", DType::kInt32, {4}, {0.08f * 0.02f}, {0}, 0, Int32s({10, -20, 30, -40}));
  const int32_t logits = b.Add("logits", DType::kInt8, {1, 4}, {0.1f}, {3});
  const int32_t probs = b.Add("probs", DType::kInt8, {1, 4}, {1.0f / 256}, {-128});
  b.g.tensors[probs].was_uint8 = true;
  const int32_t real = b.Add("logits_f", DType::kFloat32, {1, 4});
  OpAttrs conv_a;
  conv_a.padding = Padding::kSame;
  conv_a.activation = Activation::kRelu6;
  b.Node(OpType::kConv2D, {in, conv_w, conv_b}, {conv}, conv_a);
  OpAttrs dw_a;
  dw_a.padding = Padding::kSame;
  dw_a.activation = Activation::kRelu;
  b.Node(OpType::kDepthwiseConv2D, {conv, dw_w, dw_b}, {dwo}, dw_a);
  b.Node(OpType::kAdd, {conv, dwo}, {sum});
  OpAttrs pool_a;
  pool_a.filter_h = pool_a.filter_w = pool_a.stride_h = pool_a.stride_w = 2;
  b.Node(OpType::kAveragePool2D, {sum}, {pool}, pool_a);
  OpAttrs mean_a;
  mean_a.keep_dims = true;
  b.Node(OpType::kMean, {pool, axes}, {mean}, mean_a);
  b.Node(OpType::kReshape, {mean}, {flat});
  b.Node(OpType::kFullyConnected, {flat, fc_w, fc_b}, {logits});
  b.Node(OpType::kSoftmax, {logits}, {probs});
  b.Node(OpType::kDequantize, {logits}, {real});
  b.g.inputs = {in};
  b.g.outputs = {probs, real};
  b.g.metadata.name = "tiny";
  b.g.metadata.labels = {"a", "b", "c", "d"};
  return std::move(b.g);
}

// Runs a graph on a fixed input pattern; returns the output bytes, or the
// preparation error.
Result<std::vector<Bytes>> Run(Graph g) {
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::make_unique<Graph>(std::move(g)));
  if (!it.ok()) return it.status();
  Interpreter& i = *it.value();
  for (size_t k = 0; k < i.num_inputs(); ++k) {
    const Bytes pattern = Noise(i.input_bytes(k), 7 + static_cast<uint32_t>(k));
    std::memcpy(i.input_buffer(k), pattern.data(), pattern.size());
  }
  i.Invoke();
  std::vector<Bytes> out;
  for (size_t k = 0; k < i.num_outputs(); ++k) {
    out.emplace_back(i.output_buffer(k), i.output_buffer(k) + i.output_bytes(k));
  }
  return out;
}

// Where section `type` starts in a file the writer produced.
size_t SectionOffset(const Bytes& b, uint32_t type) {
  for (uint64_t i = 0; i < Get(b, 20, 4); ++i) {
    const size_t e = Get(b, 32, 8) + i * 32;
    if (Get(b, e, 4) == type) return Get(b, e + 8, 8);
  }
  FAIL("no section " << qwm::SectionName(type));
  return 0;
}

std::string ReadError(Bytes b) {
  Result<Graph> g = ReadQwm(Share(std::move(b)));
  return g.ok() ? "" : g.status().message();
}


// TinyModel with its conv filter as lut4 (a codebook per output channel),
// its depthwise filter as int4 and its fully connected filter as lut8 (one
// codebook).
Graph TinyLowBitModel() {
  Graph g = TinyModel();
  auto set = [&g](const char* name, DType dtype, Bytes data, std::vector<int8_t> codebook) {
    for (Tensor& t : g.tensors) {
      if (t.name != name) continue;
      t.dtype = dtype;
      t.data_bytes = data.size();
      t.data = g.Own(std::move(data));
      t.codebook = std::move(codebook);
    }
  };
  auto book = [](size_t n, uint32_t seed) {
    const Bytes b = Noise(n, seed);
    return std::vector<int8_t>(b.begin(), b.end());
  };
  Bytes conv = Noise(27, 21);  // 54 nibbles
  set("conv/w", DType::kLut4, conv, book(3 * 16, 22));
  Bytes dw = Noise(14, 23);  // 27 nibbles: the last high nibble stays 0
  dw[13] &= 0x0F;
  set("dw/w", DType::kInt4, dw, {});
  set("fc/w", DType::kLut8, Noise(12, 24), book(256, 25));
  return g;
}

// Tensor records located from docs/model-format.md, independently of the
// reader: for each tensor, the file offsets of its flags byte, its rank
// byte and its end (the fields in these tests are single-byte varints
// except where read with ReadV).
struct TensorRecord {
  std::string name;
  size_t flags_at = 0, rank_at = 0, end = 0;
};
uint64_t ReadV(const Bytes& b, size_t* at) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t x = b[(*at)++];
    v |= uint64_t{x & 0x7Fu} << shift;
    if (!(x & 0x80)) return v;
  }
}
std::vector<TensorRecord> TensorRecords(const Bytes& b) {
  size_t at = SectionOffset(b, qwm::kSectionTensors);
  const uint64_t count = ReadV(b, &at);
  std::vector<TensorRecord> records;
  std::string previous;
  for (uint64_t i = 0; i < count; ++i) {
    TensorRecord r;
    const uint64_t size = ReadV(b, &at);
    r.end = at + size;
    const size_t shared = b[at++];
    const uint64_t suffix = ReadV(b, &at);
    r.name = previous.substr(0, shared) + std::string(b.begin() + at, b.begin() + at + suffix);
    at += suffix + 1;  // the name, the dtype
    r.flags_at = at;
    r.rank_at = at + 1;
    previous = r.name;
    records.push_back(r);
    at = r.end;
  }
  return records;
}
// Node records: [begin, end) of each record's fields (after its size).
std::vector<std::pair<size_t, size_t>> NodeRecords(const Bytes& b) {
  size_t at = SectionOffset(b, qwm::kSectionNodes);
  const uint64_t count = ReadV(b, &at);
  std::vector<std::pair<size_t, size_t>> records;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t size = ReadV(b, &at);
    records.emplace_back(at, at + size);
    at += size;
  }
  return records;
}
// The flags byte of each tensor record, by tensor name.
std::map<std::string, uint8_t> RecordFlags(const Graph& g, const Bytes& bytes) {
  const std::vector<TensorRecord> records = TensorRecords(bytes);
  REQUIRE(records.size() == g.tensors.size());
  std::map<std::string, uint8_t> flags;
  for (size_t i = 0; i < records.size(); ++i) {
    CHECK(records[i].name == g.tensors[i].name);
    flags[records[i].name] = bytes[records[i].flags_at];
  }
  return flags;
}
std::string Hex(const Bytes& b, size_t begin, size_t end) {
  std::string hex;
  for (size_t i = begin; i < end; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02X ", b[i]);
    hex += buf;
  }
  return hex;
}
// The message of reading `b` with the bytes `v` written at `at` and the
// CRCs recomputed ("" when it reads).
std::string Patched(const Bytes& b, size_t at, const Bytes& v) {
  Bytes x = b;
  std::copy(v.begin(), v.end(), x.begin() + at);
  RepairChecksums(x);
  return ReadError(std::move(x));
}

// Byte `pos` of a file flipped (XOR 0xFF, then XOR 0x01), the CRCs as
// written or recomputed: every result is an error that says it is about a
// .qwm file, or a graph, which is then prepared and, if valid, run.
struct Flips {
  size_t flips = 0, rejected = 0, valid = 0, ran = 0;
};
void Flip(const Bytes& good, size_t pos, bool repair, Flips* f) {
  for (uint8_t mask : {uint8_t{0xFF}, uint8_t{0x01}}) {
    ++f->flips;
    Bytes bad = good;
    bad[pos] ^= mask;
    if (repair) RepairChecksums(bad);
    Result<Graph> g = ReadQwm(Share(std::move(bad)));
    if (!g.ok()) {
      ++f->rejected;
      const std::string& e = g.status().message();
      if (e.rfind("qwm: ", 0) != 0) FAIL("unclear error at byte " << pos << ": " << e);
      continue;
    }
    ++f->valid;
    if (Run(g.take()).ok()) ++f->ran;
  }
}
// Every byte of a small model flipped: once with the CRCs as written (they
// must catch it) and once recomputed (the field checks must).
void FlipEveryByte(const Bytes& good, const char* what) {
  for (bool repair : {false, true}) {
    Flips f;
    for (size_t pos = 0; pos < good.size(); ++pos) Flip(good, pos, repair, &f);
    MESSAGE(std::string(what) << ", " << (repair ? "CRCs recomputed" : "CRCs as written") << ": " << f.flips
                              << " flips of a " << good.size() << "-byte model: " << f.rejected << " rejected, "
                              << f.valid << " still valid (" << f.ran << " prepared and ran)");
    CHECK(f.rejected + f.valid == 2 * good.size());
    if (!repair) {
      // Only the zero padding before DATA lies outside every CRC.
      const size_t data = SectionOffset(good, qwm::kSectionData);
      size_t uncovered = 0;
      for (size_t p = data - 1; p > 0 && good[p] == 0; --p) ++uncovered;
      CHECK(f.valid <= 2 * uncovered);
    } else {
      CHECK(f.ran > 0);  // weight bytes and codebook entries are plain numbers
    }
  }
}

}  // namespace

TEST_CASE("qwm: the real TFLite MobileNets round-trip exactly and compute the same bytes") {
  for (const char* model : kTFLiteModels) {
    const std::string name = model;
    CAPTURE(name);
    const SharedBytes tflite = Share(ReadFile(SharedPath("models/" + name)));
    REQUIRE(tflite->size() > 100000);
    Result<std::unique_ptr<Graph>> source = tflite::ReadModel(tflite);
    REQUIRE_MESSAGE(source.ok(), source.status().message());
    const Bytes qwm = MustWrite(*source.value());
    CHECK(MustWrite(*source.value()) == qwm);  // deterministic

    const SharedBytes shared = Share(qwm);
    Result<Graph> read = ReadQwm(shared);
    REQUIRE_MESSAGE(read.ok(), read.status().message());
    const Graph& g = read.value();
    CheckSameGraph(*source.value(), g);
    CHECK(MustWrite(g) == qwm);  // write -> read -> write is byte-identical

    // Constants are read in place: inside the file bytes, 16-byte aligned
    // from its start, nothing copied; except the int32 constants (biases)
    // stored in their records as varints, which the reader widens into
    // storage the graph owns.
    CHECK(g.source == shared);
    size_t constants = 0, in_file = 0;
    for (const Tensor& t : g.tensors) {
      if (!t.is_constant()) continue;
      ++constants;
      if (t.data < shared->data() || t.data >= shared->data() + shared->size()) {
        CHECK(t.dtype == DType::kInt32);
        continue;
      }
      ++in_file;
      CHECK(t.data + t.data_bytes <= shared->data() + shared->size());
      CHECK((t.data - shared->data()) % 16 == 0);
    }
    CHECK(g.owned.size() == constants - in_file);
    CHECK(in_file > 10);
    // TFLite's conventions reach the metadata and survive the round trip.
    const Tensor& in = g.tensors[g.inputs[0]];
    CHECK(g.metadata.producer == "tflite");
    CHECK(g.metadata.layout == InputLayout::kNHWC);
    CHECK(g.metadata.input_height == in.shape[1]);
    CHECK(g.metadata.input_channels == 3);
    CHECK(g.metadata.pixels_are_input == in.was_uint8);
    CHECK(g.metadata.labels.size() == 1001);
    CHECK(g.metadata.color == ColorOrder::kRGB);  // ImageProperties in the TFLite metadata
    // Reading time, best of 5: both readers check their input; .qwm also
    // runs CRC-32 over every byte.
    const double tflite_ms = BestMs([&] { CHECK(tflite::ReadModel(tflite).ok()); });
    const double qwm_ms = BestMs([&] { CHECK(ReadQwm(shared).ok()); });
    MESSAGE(name << ": .tflite " << tflite->size() << " bytes, .qwm " << qwm.size() << " bytes (DATA from byte "
                 << SectionOffset(qwm, qwm::kSectionData) << "); read: tflite " << tflite_ms << " ms, qwm " << qwm_ms
                 << " ms");

    // Same output bytes as the TFLite file on every photo.
    Result<std::unique_ptr<Model>> a = Model::Load(*tflite);
    Result<std::unique_ptr<Model>> b = Model::Load(qwm);
    REQUIRE_MESSAGE(a.ok(), a.status().message());
    REQUIRE_MESSAGE(b.ok(), b.status().message());
    CHECK(b.value()->metadata().labels == a.value()->metadata().labels);
    for (const char* photo : kPhotos) {
      CAPTURE(photo);
      Image img;
      REQUIRE(DecodeBmp(ReadFile(SharedPath(std::string("images/") + photo)), &img));
      const ImageView v{img.rgb.data(), img.width, img.height, 3, static_cast<size_t>(img.width) * 3};
      for (Model* m : {a.value().get(), b.value().get()}) {
        REQUIRE(m->SetImage(v, 0.875f, PixelNorm()).ok());
        m->Run();
      }
      REQUIRE(a.value()->output_bytes() == b.value()->output_bytes());
      CHECK(std::memcmp(a.value()->output_data(), b.value()->output_data(), a.value()->output_bytes()) == 0);
    }
  }
}

TEST_CASE("qwm: every op type, dtype and attribute round-trips exactly") {
  Builder b;
  // float32, float16, int32, int64, int8 per-channel, uint8 and a converted
  // uint8 (was_uint8) tensor; constants of several sizes exercise alignment.
  b.Add("x", DType::kFloat32, {1, 4, 4, 3});
  b.Add("half", DType::kFloat16, {2, 3}, {}, {}, 0, Noise(12, 11));
  b.Add("ints", DType::kInt32, {3}, {}, {}, 0, Int32s({1, -2, 3}));
  b.Add("longs", DType::kInt64, {2}, {}, {}, 0, Noise(16, 12));
  b.Add("w", DType::kInt8, {3, 1, 1, 2}, {0.5f, 0.25f, 0.125f}, {1, -2, 3}, 0, Noise(6, 13));
  b.Add("u", DType::kUInt8, {1, 2}, {0.1f}, {200}, 0, Noise(2, 14));
  const int32_t q = b.Add("q", DType::kInt8, {1, 4, 4, 3}, {0.05f}, {-7}, 0);
  b.g.tensors[q].was_uint8 = true;
  const int32_t first_out = static_cast<int32_t>(b.g.tensors.size());
  int count = 0;
  for (int op = 0; op <= static_cast<int>(OpType::kLogistic); ++op, ++count) {
    const int32_t out = b.Add("out_" + std::to_string(op), DType::kFloat32, {1, 4, 4, 3});
    OpAttrs a;
    a.padding = qwm::kPaddingIds[op % 3].value;
    a.pads[0] = 1, a.pads[1] = 2, a.pads[2] = 3, a.pads[3] = -4;
    a.stride_h = 2, a.stride_w = 3, a.dilation_h = 4, a.dilation_w = 5;
    a.filter_h = 6, a.filter_w = 7, a.depth_multiplier = 8;
    a.activation = qwm::kActivationIds[op % 4].value;
    a.beta = 0.75f;
    a.keep_dims = op % 2 == 0;
    a.count_include_pad = op % 3 == 0;
    a.onnx_numerics = op % 4 == 1;
    a.tflite_numerics = op % 5 == 2;
    a.axis = -1 - op;
    a.perm = {0, 3, 1, 2};
    a.paddings = {0, 0, 1, 1, 2, 2, 0, op};
    a.pad_value = -1.5f;
    a.clamp_min = -2.0f, a.clamp_max = 6.0f;
    a.hard_alpha = 1.0f / 6, a.hard_beta = 0.25f;
    b.Node(static_cast<OpType>(op), {0, -1, 4, op > 0 ? out - 1 : 0}, {out}, a);
  }
  CHECK(count == 19);
  b.g.inputs = {0, q};
  b.g.outputs = {first_out + count - 1};
  ModelMetadata& m = b.g.metadata;
  m.name = "every op";
  m.description = "Modèle de test — 模型 🙂";
  m.version = "1.2.3";
  m.author = "qwasm";
  m.license = "Apache-2.0";
  m.producer = "test_qwm";
  m.labels = {"background", "", "chat"};
  m.layout = InputLayout::kNCHW;
  m.color = ColorOrder::kBGR;
  m.input_height = 4, m.input_width = 5, m.input_channels = 3;
  m.crop_fraction = 0.875f;
  m.mean = {123.675f, 116.28f, 103.53f};
  m.std = {58.395f, 57.12f, 57.375f};
  m.pixels_are_input = true;
  m.notes = {"a note"};

  const Bytes bytes = MustWrite(b.g);
  CHECK(MustWrite(b.g) == bytes);
  const Graph g = MustRead(bytes);
  CheckSameGraph(b.g, g);
  CHECK(MustWrite(g) == bytes);
  // Header: magic, version 2.2 (tflite_numerics; without it 2.0, below),
  // 64-byte header, 5 sections after it.
  CHECK(std::memcmp(bytes.data(), qwm::kMagic, 8) == 0);
  CHECK(Get(bytes, 8, 2) == 2);
  CHECK(Get(bytes, 10, 2) == 2);
  {
    std::vector<bool> flags;
    for (Node& n : b.g.nodes) flags.push_back(n.attrs.tflite_numerics), n.attrs.tflite_numerics = false;
    CHECK(Get(MustWrite(b.g), 10, 2) == 0);
    for (size_t i = 0; i < flags.size(); ++i) b.g.nodes[i].attrs.tflite_numerics = flags[i];
  }
  CHECK(Get(bytes, 16, 4) == 64);
  CHECK(Get(bytes, 20, 4) == 5);
  CHECK(Get(bytes, 24, 8) == bytes.size());
  CHECK(SectionOffset(bytes, qwm::kSectionData) % 64 == 0);
}

TEST_CASE("qwm: ids are explicit, complete, unique and frozen") {
  // Every operator has an OpDef at its own index (graph/op_registry.h),
  // with a file id that finds it back.
  for (size_t v = 0; v < kOpTypeCount; ++v) {
    const OpDef* e = FindOpDef(static_cast<OpType>(v));
    REQUIRE(e);
    CHECK(e->type == static_cast<OpType>(v));
    CHECK(std::string(e->name) == OpTypeName(static_cast<OpType>(v)));
    CHECK(FindOpDefByFileId(e->file_id) == e);
    CHECK(e->file_since_minor == (e->type == OpType::kSlice ? 1 : 0));  // SLICE came with 2.1
    CHECK(static_cast<bool>(e->prepare));
  }
  CHECK(FindOpDef(static_cast<OpType>(kOpTypeCount)) == nullptr);
  CHECK(FindOpDefByFileId(0) == nullptr);
  for (int v = 0; v <= static_cast<int>(DType::kLut8); ++v) {
    const auto* e = qwm::FindByValue(qwm::kDTypeIds, static_cast<DType>(v));
    REQUIRE(e);
    CHECK(std::string(e->name) == DTypeName(static_cast<DType>(v)));
  }
  // The numbers in files never change (docs/model-format.md, id tables).
  const std::pair<OpType, int> ops[] = {
      {OpType::kConv2D, 1},     {OpType::kDepthwiseConv2D, 2}, {OpType::kFullyConnected, 3},
      {OpType::kAdd, 4},        {OpType::kAveragePool2D, 5},   {OpType::kMean, 6},
      {OpType::kReshape, 7},    {OpType::kSoftmax, 8},         {OpType::kQuantize, 9},
      {OpType::kDequantize, 10}, {OpType::kMul, 11},           {OpType::kMaxPool2D, 12},
      {OpType::kConcatenation, 13}, {OpType::kPad, 14},        {OpType::kTranspose, 15},
      {OpType::kClamp, 16},     {OpType::kHardSwish, 17},      {OpType::kHardSigmoid, 18},
      {OpType::kLogistic, 19}};
  for (const auto& [op, id] : ops) CHECK(FindOpDef(op)->file_id == id);
  const std::pair<DType, int> dtypes[] = {{DType::kFloat32, 1}, {DType::kFloat16, 2}, {DType::kInt32, 3},
                                          {DType::kInt64, 4},   {DType::kInt8, 5},    {DType::kUInt8, 6},
                                          {DType::kInt4, 7},    {DType::kLut4, 8},    {DType::kLut8, 9}};
  for (const auto& [t, id] : dtypes) CHECK(qwm::FindByValue(qwm::kDTypeIds, t)->id == id);
  // Every id is in format 2.0.
  for (const auto& e : qwm::kDTypeIds) CHECK(e.since_minor == 0);
  for (const auto& e : qwm::kDTypeIds) CHECK(qwm::FindById(qwm::kDTypeIds, e.id) == &e);
  CHECK(qwm::kSectionMetadata == 0x4154454Du);  // "META" little-endian
  // CRC-32 check value of the standard.
  const char* check = "123456789";
  CHECK(Crc32(reinterpret_cast<const uint8_t*>(check), 9) == 0xCBF43926u);
  CHECK(Crc32(reinterpret_cast<const uint8_t*>(check) + 4, 5, Crc32(reinterpret_cast<const uint8_t*>(check), 4)) ==
        0xCBF43926u);
}

TEST_CASE("qwm: a tiny model runs the same after the round trip") {
  Graph g = TinyModel();
  const Bytes bytes = MustWrite(g);
  Result<std::vector<Bytes>> before = Run(std::move(g));
  REQUIRE_MESSAGE(before.ok(), before.status().message());
  Result<std::vector<Bytes>> after = Run(MustRead(bytes));
  REQUIRE_MESSAGE(after.ok(), after.status().message());
  CHECK(before.value() == after.value());
  MESSAGE("tiny model: " << bytes.size() << " bytes");
}

// docs/model-format.md, "Worked example": every byte of the file.
TEST_CASE("qwm: the worked example of the format documentation, byte for byte") {
  Builder b;
  const int32_t in = b.Add("in", DType::kInt8, {1, 2}, {0.5f}, {0});
  const int32_t c = b.Add("b", DType::kInt8, {1, 2}, {0.5f}, {0}, 0, Bytes{1, 2});
  const int32_t out = b.Add("out", DType::kInt8, {1, 2}, {0.5f}, {0});
  b.g.tensors[in].was_uint8 = b.g.tensors[out].was_uint8 = true;
  b.Node(OpType::kAdd, {in, c}, {out});
  b.g.inputs = {in};
  b.g.outputs = {out};
  b.g.metadata.name = "tiny";
  b.g.metadata.producer = "doc";
  const Bytes bytes = MustWrite(b.g);
  std::string dump;
  for (size_t row = 0; row < bytes.size(); row += 16) {
    dump += Hex(bytes, row, std::min(row + 16, bytes.size()));
    dump.back() = '\n';
  }
  CHECK(dump == kWorkedExample);
  // Read back and run: int8 {0, 2} (uint8 {128, 130}) + {1, 2} on the 0.5
  // grid gives {1, 4} (uint8 {129, 132}).
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::make_unique<Graph>(MustRead(bytes)));
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  const int8_t x[2] = {0, 2};
  std::memcpy(it.value()->input_buffer(0), x, 2);
  it.value()->Invoke();
  const int8_t* y = reinterpret_cast<const int8_t*>(it.value()->output_buffer(0));
  CHECK(std::vector<int>{y[0], y[1]} == std::vector<int>{1, 4});
}

TEST_CASE("qwm: errors say what is wrong and where") {
  const Bytes good = MustWrite(TinyModel());
  const std::vector<TensorRecord> tensors = TensorRecords(good);
  const std::vector<std::pair<size_t, size_t>> nodes = NodeRecords(good);
  // Node 0 'conv': op 1, SAME, RELU6, field mask 0, 3 inputs 0, 1, 2 (each
  // stored + 1), 1 output 3.
  const size_t node0 = nodes[0].first, node0_input0 = node0 + 5;
  REQUIRE(Hex(good, node0, nodes[0].second) == "01 01 03 00 03 01 02 03 01 03 ");
  auto patched = [&](size_t at, uint64_t v, int n, bool repair = true) {
    Bytes b = good;
    Put(b, at, v, n);
    if (repair) RepairChecksums(b);
    return ReadError(std::move(b));
  };
  CHECK(patched(node0_input0, 100, 1) ==
        "qwm: section NODE, node 0 'conv' (CONV_2D): input index 99 out of range (17 tensors)");
  CHECK(patched(node0_input0, 100, 1, false) == "qwm: section NODE (table entry 2): CRC-32 mismatch (damaged file)");
  CHECK(patched(node0, 122, 1) == "qwm: section NODE, node 0: op id 122: not defined in format 2.2 (the newest this "
                                  "reader knows); the file says it is format 2.0, so it is damaged");
  {  // A file from a newer minor version using a new op: say what it needs.
    Bytes b = good;
    Put(b, node0, 122, 1);
    Put(b, 10, 3, 2);
    RepairChecksums(b);
    CHECK(ReadError(b).find("read it with a qwasm release that supports format 2.3") != std::string::npos);
  }
  CHECK(patched(8, 3, 2) == "qwm: format version 3.0 cannot be read: this reader reads format 2.2; the file needs "
                            "a qwasm release that reads format 3.0");
  CHECK(patched(24, good.size() + 1, 8) ==
        "qwm: the header says the file is " + std::to_string(good.size() + 1) + " bytes, but it is " +
            std::to_string(good.size()) + " (truncated)");
  CHECK(patched(61, 0x5A, 1, false) == "qwm: header CRC-32 mismatch (damaged file)");
  // Tensor 1 ('conv/w', int8 [3, 3, 3, 2]): rank, shape, 3 scales, axis.
  const size_t t1_rank = tensors[1].rank_at;
  REQUIRE(Hex(good, t1_rank, t1_rank + 7) == "04 03 03 03 02 03 00 ");
  CHECK(patched(t1_rank + 6, 3, 1) ==
        "qwm: section TENS, tensor 1 'conv/w': quantization has 3 scales for axis 3 of shape [3, 3, 3, 2]");
  CHECK(patched(t1_rank + 1, 127, 1) ==  // first dimension 3 -> 127: 2286 bytes from DATA offset 0
        "qwm: section TENS, tensor 1 'conv/w': data [0, +2286) lies outside the DATA section of " +
            std::to_string(good.size() - SectionOffset(good, qwm::kSectionData)) + " bytes");
  CHECK(patched(t1_rank, 9, 1) == "qwm: section TENS, tensor 1: rank 9 is over the limit of 8");
  const size_t tens = SectionOffset(good, qwm::kSectionTensors);
  CHECK(patched(tens, 127, 1) == "qwm: section TENS: tensor count 127 at section byte 0 needs more than the " +
                                     std::to_string(SectionOffset(good, qwm::kSectionNodes) - tens - 1) +
                                     " bytes left");
  // Section types: an unknown optional section is skipped with a note, an
  // unknown required one is refused, so is a section of format 1.x.
  const size_t meta_entry = 64, tens_entry = 64 + 32;
  REQUIRE(Get(good, meta_entry, 4) == qwm::kSectionMetadata);
  REQUIRE(Get(good, tens_entry, 4) == qwm::kSectionTensors);
  {
    Bytes b = good;
    Put(b, meta_entry, qwm::FourCC("XTRA"), 4);
    RepairChecksums(b);
    const Graph g = MustRead(b);
    CHECK(g.metadata.labels.empty());
    CHECK(g.metadata.notes == std::vector<std::string>{"skipped unknown optional .qwm section XTRA"});
    Put(b, meta_entry + 4, 0, 4);
    RepairChecksums(b);
    CHECK(ReadError(b).find("qwm: required section type XTRA: not defined in format 2.2") == 0);
  }
  CHECK(patched(tens_entry, qwm::FourCC("TEN3"), 4) ==
        "qwm: required section type TEN3: not defined in format 2.2 (the newest this reader knows); the file says it "
        "is format 2.0, so it is damaged");
  CHECK(patched(meta_entry, qwm::kSectionTensors, 4) == "qwm: section TENS (table entry 1): appears twice");
  {  // Versioning: bytes after the last known field of a section are fields
     // of a newer minor version (skipped) or, in a file of our version, damage.
    const size_t entry = 64 + 3 * 32;  // GRPH, followed by zero padding before DATA
    REQUIRE(Get(good, entry, 4) == qwm::kSectionGraph);
    const uint64_t end = Get(good, entry + 8, 8) + Get(good, entry + 16, 8);
    const uint64_t padding = SectionOffset(good, qwm::kSectionData) - end;
    REQUIRE(padding >= 1);
    Bytes b = good;
    Put(b, entry + 16, Get(good, entry + 16, 8) + padding, 8);
    RepairChecksums(b);
    CHECK(ReadError(b) == "qwm: section GRPH: " + std::to_string(padding) +
                              " unexpected bytes after the last field, at section byte " +
                              std::to_string(Get(good, entry + 16, 8)));
    Put(b, 10, 3, 2);  // format 2.3
    RepairChecksums(b);
    CHECK(ReadError(b).empty());
  }
  // Model::Load picks the reader by the first bytes.
  const std::string hello = "hello, world";
  CHECK(Model::Load(Bytes(hello.begin(), hello.end())).status().message() ==
        "unrecognised model format: not a qwasm (.qwm), TFLite or ONNX model (first bytes: 68 65 6c 6c 6f 2c 20 77)");
  CHECK(Model::Load(Bytes(good.begin(), good.begin() + 40)).status().message().find("qwm: the file is 40 bytes") == 0);
  CHECK(DetectModelFormat(good.data(), good.size()) == ModelFormat::kQwm);
  CHECK(ReadModelGraph(Share(good)).ok());
}

// Format 2.0 keeps one encoding of each record; files of format 1.x (TENS
// or TEN2 or TEN3 tensors, NODE or NOD2 nodes) are refused before anything
// else is read, saying what the file is and how to make a current one.
TEST_CASE("qwm: files of format 1.x are refused, naming their version and sections") {
  const Bytes good = MustWrite(TinyModel());
  const std::string remedy =
      ", whose encodings this reader no longer reads: it reads format 2.2. Make a current file from the source "
      "model: qwasm-convert (convert() in JavaScript) for TFLite and ONNX models, qwasm-quantize (quantize()) for an "
      "FP32 ONNX model";
  // The header and table of 1.x files are laid out as today's: a 2.0 file
  // relabelled as each minor of 1.x as its writers made them.
  const std::pair<int, std::string> versions[] = {
      {0, "TENS NODE"}, {1, "TENS NODE"}, {2, "TEN2 NODE"}, {3, "TEN3 NOD2"}};
  for (const auto& version : versions) {
    const int minor = version.first;
    const std::string& names = version.second;
    CAPTURE(minor);
    Bytes b = good;
    Put(b, 8, 1, 2);
    Put(b, 10, minor, 2);
    Put(b, 64 + 32, Get(Bytes(names.begin(), names.begin() + 4), 0, 4), 4);      // the tensor section's type
    Put(b, 64 + 64, Get(Bytes(names.begin() + 5, names.begin() + 9), 0, 4), 4);  // the node section's type
    RepairChecksums(b);
    const std::string expected = "qwm: the file is format 1." + std::to_string(minor) + " (sections META, " +
                                 names.substr(0, 4) + ", " + names.substr(5) + ", GRPH, DATA)" + remedy;
    CHECK(ReadError(b) == expected);
    CHECK(Model::Load(b).status().message() == expected);
    // Damage does not change the answer: it comes before any check of the
    // file's size, CRCs or sections.
    CHECK(ReadError(Bytes(b.begin(), b.begin() + 64 + 5 * 32)) == expected);
    Put(b, 20, 65, 4);  // a section count a 1.x file cannot have: the version alone
    CHECK(ReadError(b) == "qwm: the file is format 1." + std::to_string(minor) + remedy);
  }
}

TEST_CASE("qwm: writer refuses what the reader would refuse") {
  Graph g = TinyModel();
  g.nodes[2].inputs[0] = 40;
  CHECK(WriteQwm(g).status().message() == "qwm writer: node 2 'add': input index 40 out of range (17 tensors)");
  g = TinyModel();
  g.tensors[3].name = "bad\xC3";
  CHECK(WriteQwm(g).status().message() == "qwm writer: tensor 3: name: string is not valid UTF-8 at byte 3");
  g = TinyModel();
  g.metadata.mean = {127.5f};
  CHECK(WriteQwm(g).status().message().find("qwm writer: metadata: input normalisation has 1 means and 0") == 0);
  g = TinyModel();
  g.nodes[0].attrs.beta = std::nanf("");
  CHECK(WriteQwm(g).status().message() == "qwm writer: node 0 'conv': beta is NaN");
}

TEST_CASE("qwm: a model truncated at every length gives a clear error") {
  for (const Bytes& good : {MustWrite(TinyModel()), MustWrite(TinyLowBitModel())}) {
    for (size_t n = 1; n < good.size(); ++n) {
      CAPTURE(n);
      const std::string e = ReadError(Bytes(good.begin(), good.begin() + n));
      REQUIRE(e.rfind("qwm: ", 0) == 0);
      if (n >= 64) CHECK(e.find("(truncated)") != std::string::npos);
    }
  }
  CHECK(ReadError({}) == "qwm: the file is 0 bytes, shorter than the 64-byte header (truncated)");
}

// Every byte of the small models flipped (XOR 0xFF and XOR 0x01): once as is
// (the CRCs must catch it) and once with the CRCs recomputed (the field
// checks must). A file that still reads is prepared and, if valid, run.
TEST_CASE("qwm: every byte flipped: an error or a working model") {
  FlipEveryByte(MustWrite(TinyModel()), "tiny model");
  FlipEveryByte(MustWrite(TinyLowBitModel()), "low-bit model");
}

// The same on a real model: bytes of its TENS, NODE and GRPH sections (every
// `stride`-th, QWASM_QWM_FLIP_STRIDE overrides 31; the weights in DATA are
// plain numbers), CRCs recomputed so the field checks are what stands
// between the flip and the kernels.
TEST_CASE("qwm: structural bytes of a real model flipped: an error or a working model") {
  const SharedBytes tflite = Share(ReadFile(SharedPath("models/mobilenet_v1_0.25_128_quant.tflite")));
  Result<std::unique_ptr<Graph>> source = tflite::ReadModel(tflite);
  REQUIRE(source.ok());
  const Bytes good = MustWrite(*source.value());
  const size_t begin = SectionOffset(good, qwm::kSectionTensors);
  const size_t end = SectionOffset(good, qwm::kSectionData);
  const char* env = std::getenv("QWASM_QWM_FLIP_STRIDE");
  const size_t stride = env && std::atoi(env) > 0 ? static_cast<size_t>(std::atoi(env)) : 31;
  Flips f;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t pos = begin; pos < end; pos += stride) Flip(good, pos, /*repair=*/true, &f);
  MESSAGE("mobilenet_v1_0.25_128 .qwm, bytes " << begin << ".." << end << " step " << stride << ": " << f.flips
                                               << " flips, " << f.rejected << " rejected, " << f.valid
                                               << " still valid (" << f.ran << " prepared and ran), " << Ms(t0)
                                               << " ms");
  CHECK(f.rejected + f.valid == f.flips);
}

TEST_CASE("qwm: int4, lut4 and lut8 weights round-trip exactly and run the same") {
  const Graph g = TinyLowBitModel();
  const Bytes bytes = MustWrite(g);
  CHECK(Get(bytes, 10, 2) == 0);  // format 2.0
  const Graph back = MustRead(bytes);
  CheckSameGraph(g, back);
  CHECK(MustWrite(back) == bytes);
  CHECK(back.tensors[1].dtype == DType::kLut4);
  CHECK(back.tensors[1].codebook_groups() == 3);
  CHECK(back.tensors[1].data_bytes == 27);
  Result<std::vector<Bytes>> before = Run(TinyLowBitModel());
  REQUIRE_MESSAGE(before.ok(), before.status().message());
  Result<std::vector<Bytes>> after = Run(MustRead(bytes));
  REQUIRE_MESSAGE(after.ok(), after.status().message());
  CHECK(before.value() == after.value());
  // Tensor 1 ('conv/w', lut4): the record ends with the codebook group count
  // (a varint) and 3 x 16 entries (docs/model-format.md, TENS).
  const std::vector<TensorRecord> records = TensorRecords(bytes);
  const size_t tens = SectionOffset(bytes, qwm::kSectionTensors);
  const size_t groups_at = records[1].end - 48 - 1;
  CHECK(bytes[groups_at] == 3);
  CHECK(static_cast<int8_t>(bytes[groups_at + 1]) == g.tensors[1].codebook[0]);
  CHECK(bytes[records[1].flags_at - 1] == 8);  // dtype id 8 = lut4
  CHECK(Patched(bytes, groups_at, {2}).find("qwm: section TENS, tensor 1: 16 unexpected bytes after the last field") ==
        0);
  {
    Graph two = TinyLowBitModel();
    two.tensors[1].codebook.resize(32);
    CHECK(WriteQwm(two).status().message() ==
          "qwm writer: tensor 1 'conv/w': has a codebook of 32 entries; lut4 needs 16 per group, one group or "
          "one per slice of axis 0 of shape [3, 3, 3, 2]");
  }
  CHECK(Patched(bytes, groups_at, {4}) == "qwm: section TENS, tensor 1: codebook group count 4 at section byte " +
                                              std::to_string(groups_at - tens) + " needs more than the 48 bytes left");
  CHECK(Patched(bytes, groups_at, {0x81, 0x80, 0x40}) ==
        "qwm: section TENS, tensor 1: codebook group count 1048577 at section byte " +
            std::to_string(groups_at - tens) + " is over the limit of 1048576");
  CHECK(Patched(bytes, records[1].flags_at - 1, {10}).find("dtype id 10: not defined in format 2.2") !=
        std::string::npos);
  // The depthwise int4 filter holds 27 values: the last high nibble must be 0.
  const size_t data = SectionOffset(bytes, qwm::kSectionData);
  size_t dw_offset = 0;
  {
    const Graph again = MustRead(bytes);
    REQUIRE(again.tensors[4].dtype == DType::kInt4);
    dw_offset = static_cast<size_t>(again.tensors[4].data - again.source->data());
  }
  CHECK(dw_offset >= data);
  CHECK(Patched(bytes, dw_offset + 13, {static_cast<uint8_t>(bytes[dw_offset + 13] | 0x10)}) ==
        "qwm: section TENS, tensor 4 'dw/w': has 27 int4 values, but the unused high nibble of its last byte is not 0");
}

// docs/model-format.md, TENS: the lut4 example.
TEST_CASE("qwm: a lut4 tensor's record and data, byte for byte") {
  Builder b;
  const int32_t w = b.Add("w", DType::kLut4, {3}, {0.5f}, {0}, 0, Bytes{0x21, 0x0F});
  b.g.tensors[w].codebook = {-7, 0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 100};
  const Bytes bytes = MustWrite(b.g);
  const size_t tens = SectionOffset(bytes, qwm::kSectionTensors);
  REQUIRE(bytes[tens] == 1);  // one record
  CHECK(Hex(bytes, tens + 1, TensorRecords(bytes)[0].end) ==
        "1D 00 01 77 08 22 01 03 01 00 00 38 00 01 F9 00 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 64 ");
  const size_t data = SectionOffset(bytes, qwm::kSectionData);
  CHECK(Hex(bytes, data, bytes.size()) == "21 0F ");
  const Graph g = MustRead(bytes);
  CHECK(ExpandWeights(g.tensors[0], ReferenceKernels()) == std::vector<int8_t>{0, 5, 100});
}

TEST_CASE("qwm: TENS stores zero points, derivable bias scales, float16-exact scales and int constants compactly") {
  {  // The small low-bit model: what its records say (docs/model-format.md, TENS flags).
    const Graph g = TinyLowBitModel();
    std::map<std::string, uint8_t> flags = RecordFlags(g, MustWrite(g));
    for (const char* bias : {"conv/b", "dw/b", "fc/b"}) {
      CHECK(flags[bias] == (qwm::kTensorConstant | qwm::kTensorScalesDerived | qwm::kTensorDataInline));
    }
    CHECK(flags["conv/w"] == qwm::kTensorConstant);  // zero points all 0: not stored
    CHECK(flags["conv"] == qwm::kZeroPointsShared << qwm::kTensorZeroPointShift);
    CHECK(flags["image"] == qwm::kTensorWasUint8);   // 0.02 is not exact in float16
    CHECK(flags["mean/axes"] == (qwm::kTensorConstant | qwm::kTensorDataInline));  // not quantized
  }
  // A bias scale one ulp away from input x weight is listed, not derived,
  // and comes back bit for bit; so do zero points that differ.
  {
    Graph h = TinyModel();
    h.tensors[2].quant.scale[1] = std::nextafter(h.tensors[2].quant.scale[1], 1.0f);
    h.tensors[1].quant.zero_point = {0, 1, -2};
    const Bytes bytes = MustWrite(h);
    CheckSameGraph(h, MustRead(bytes));
    const std::vector<TensorRecord> r = TensorRecords(bytes);
    CHECK(bytes[r[2].flags_at] == (qwm::kTensorConstant | qwm::kTensorDataInline));
    CHECK(bytes[r[1].flags_at] == (qwm::kTensorConstant | qwm::kZeroPointsListed << qwm::kTensorZeroPointShift));
  }

  Graph g = TinyLowBitModel();
  g.nodes[2].name = "adder";  // not its output's name: stored
  g.nodes[6].attrs.pad_value = -0.0f;  // not the default 0.0 bit for bit: stored
  // Extremes of the zigzag varints: all three are stored in their records.
  const int32_t ints = static_cast<int32_t>(g.tensors.size());
  g.tensors.push_back(Tensor{});
  g.tensors.back().name = "ints";
  g.tensors.back().dtype = DType::kInt32;
  g.tensors.back().shape = {4};
  {
    const int32_t v[4] = {INT32_MIN, INT32_MAX, -1, 0};
    g.tensors.back().data_bytes = 16;
    g.tensors.back().data = g.Own(Bytes(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 16));
  }
  g.tensors.push_back(g.tensors.back());
  g.tensors.back().name = "longs";
  g.tensors.back().dtype = DType::kInt64;
  g.tensors.back().shape = {2};
  {
    const int64_t v[2] = {INT64_MIN, 0};
    g.tensors.back().data = g.Own(Bytes(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 16));
  }
  // An int32 constant whose varints would be larger than its data stays in DATA.
  g.tensors.push_back(g.tensors[ints]);
  g.tensors.back().name = "big";
  {
    const int32_t v[4] = {INT32_MIN, INT32_MAX, INT32_MIN, INT32_MAX};
    g.tensors.back().data = g.Own(Bytes(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 16));
  }
  // Scales exact in float16 (0.5, 2^-14, the smallest normal half) are
  // stored as float16; 2^-20 is a float16 subnormal, which stays float32.
  g.tensors[1].quant.scale = {0.5f, 0.25f, std::ldexp(1.0f, -14)};
  g.tensors[4].quant.scale = {0.5f, std::ldexp(1.0f, -20), 0.125f};
  const Bytes bytes = MustWrite(g);
  const Graph back = MustRead(bytes);
  CheckSameGraph(g, back);
  CHECK(MustWrite(back) == bytes);
  std::map<std::string, uint8_t> flags = RecordFlags(g, bytes);
  const uint8_t kConst = qwm::kTensorConstant, kInline = qwm::kTensorDataInline, kFp16 = qwm::kTensorScalesFp16;
  CHECK(flags["fc/b"] == (kConst | qwm::kTensorScalesDerived | kInline));
  for (const char* bias : {"conv/b", "dw/b"}) CHECK(flags[bias] == (kConst | kInline));  // new weight scales: listed
  CHECK(flags["mean/axes"] == (kConst | kInline));
  CHECK(flags["ints"] == (kConst | kInline));
  CHECK(flags["longs"] == (kConst | kInline));
  CHECK(flags["big"] == kConst);
  CHECK(flags["conv/w"] == (kConst | kFp16));
  CHECK(flags["dw/w"] == kConst);  // 2^-20 is not a normal half
  CHECK(flags["probs"] == (qwm::kTensorWasUint8 | qwm::kZeroPointsShared << qwm::kTensorZeroPointShift | kFp16));
  CHECK(flags["image"] == qwm::kTensorWasUint8);  // 0.02 is not exact in float16

  {  // docs/model-format.md's TENS and NODE examples (TinyModel).
    const Bytes tiny = MustWrite(TinyModel());
    const std::vector<TensorRecord> r = TensorRecords(tiny);
    CHECK(Hex(tiny, r[1].end, r[2].end) == "11 05 01 62 03 52 01 03 03 00 00 01 C8 01 8F 03 D8 04 ");
    CHECK(Hex(tiny, r[14].end, r[15].end) == "12 00 05 70 72 6F 62 73 05 25 02 01 04 01 00 00 1C FF 01 ");
    const std::vector<std::pair<size_t, size_t>> n = NodeRecords(tiny);
    CHECK(Hex(tiny, n[0].first - 1, n[0].second) == "0A 01 01 03 00 03 01 02 03 01 03 ");
    CHECK(Hex(tiny, n[3].first - 1, n[3].second) == "0D 05 02 00 CC 01 01 08 01 08 04 04 04 04 ");
  }
}

TEST_CASE("qwm: hostile edits of tensor records are refused with a precise message") {
  const Graph g = TinyLowBitModel();
  const Bytes bytes = MustWrite(g);
  const std::vector<TensorRecord> records = TensorRecords(bytes);
  const size_t tens = SectionOffset(bytes, qwm::kSectionTensors);
  auto patched = [&](size_t at, Bytes v) { return Patched(bytes, at, v); };
  const uint8_t kConst = qwm::kTensorConstant, kInline = qwm::kTensorDataInline, kFp16 = qwm::kTensorScalesFp16;
  // Derived scales: conv/b (rank 1, shape [3], 3 scales, axis 0), then the two sources.
  const size_t bias = 2;
  REQUIRE(g.tensors[bias].name == "conv/b");
  const size_t sources = records[bias].rank_at + 1 + 1 + 1 + 1;
  REQUIRE(bytes[sources] == 0);      // the input 'image'
  REQUIRE(bytes[sources + 1] == 1);  // the weights 'conv/w'
  CHECK(patched(sources, {2}) == "qwm: section TENS, tensor 2 'conv/b': scales derived from tensor 2, which is not "
                                 "another tensor with listed scales");
  CHECK(patched(sources, {5}) == "qwm: section TENS, tensor 2 'conv/b': scales derived from tensor 5, which is not "
                                 "another tensor with listed scales");  // dw/b, itself derived
  CHECK(patched(sources, {120}) == "qwm: section TENS, tensor 2 'conv/b': scales derived from tensor 120, which is "
                                   "not another tensor with listed scales");
  CHECK(patched(sources + 1, {0x80}) == "qwm: section TENS, tensor 2: ends inside value at section byte " +
                                            std::to_string(records[bias].end - tens) +
                                            " (needs 1 bytes, 0 left)");  // a 3-byte varint eats the first value
  CHECK(patched(records[1].flags_at, {static_cast<uint8_t>(kConst | 3 << qwm::kTensorZeroPointShift)}) ==
        "qwm: section TENS, tensor 1: zero-point form 3 is not defined");
  CHECK(patched(records[1].flags_at, {kConst | 128}) ==
        "qwm: section TENS, tensor 1: tensor flag bits 0x80: not defined in format 2.2 (the newest this reader "
        "knows); the file says it is format 2.0, so it is damaged");
  // The shared-prefix byte of 'conv/w' (before its length, 6 name bytes and the dtype).
  CHECK(patched(records[1].flags_at - 1 - 6 - 1 - 1, {9}) ==
        "qwm: section TENS, tensor 1: shared name prefix 9 is longer than the previous name (5 bytes)");
  // 'pool' marked derived: its scale's bytes read as sources, then too few bytes.
  CHECK(patched(records[8].flags_at, {qwm::kTensorScalesDerived}).rfind("qwm: section TENS, tensor 8", 0) == 0);
  const uint8_t shared_zero_point = qwm::kZeroPointsShared << qwm::kTensorZeroPointShift;
  CHECK(patched(records[9].flags_at, {static_cast<uint8_t>(kConst | shared_zero_point)})
            .find("a tensor without quantization has derived or float16 scales or zero points") != std::string::npos);
  CHECK(patched(records[2].flags_at, {kConst | qwm::kTensorScalesDerived | kInline | kFp16}) ==
        "qwm: section TENS, tensor 2: scales both derived and float16");
  CHECK(patched(records[4].flags_at, {kConst | kInline}) ==
        "qwm: section TENS, tensor 4: only int32 and int64 constants can hold their values in the record");
  CHECK(patched(records[0].flags_at, {qwm::kTensorWasUint8 | kInline}) ==
        "qwm: section TENS, tensor 0: only int32 and int64 constants can hold their values in the record");
  CHECK(patched(records[9].flags_at, {kConst | kInline | kFp16})
            .find("a tensor without quantization has derived or float16 scales or zero points") != std::string::npos);
  // A constant's data offset (fc/w's, before its codebook: 1 group of 256
  // entries) must be a multiple of 16 (DATA is at a multiple of 64); another
  // aligned place in DATA is accepted (the bytes are read-only).
  {
    REQUIRE(g.tensors[12].name == "fc/w");
    const size_t at = records[12].end - 256 - 1 - 1;
    REQUIRE(bytes[at + 1] == 1);
    const uint8_t offset = bytes[at];
    REQUIRE(offset % 16 == 0);
    REQUIRE(offset != 0);
    CHECK(patched(at, {static_cast<uint8_t>(offset - 4)}) ==
          "qwm: section TENS, tensor 12 'fc/w': data at file offset " +
              std::to_string(SectionOffset(bytes, qwm::kSectionData) + offset - 4) + " is not aligned to 16 bytes");
    CHECK(patched(at, {0}).empty());
  }
  // conv/b's values 100, -200, 300: zigzag varints C8 01 8F 03 D8 04 end its record.
  const size_t values = records[2].end - 6;
  REQUIRE(Hex(bytes, values, records[2].end) == "C8 01 8F 03 D8 04 ");
  CHECK(patched(values, {0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x00}) ==
        "qwm: section TENS, tensor 2: value 8589934591 at section byte " + std::to_string(values - tens) +
            " is over 4294967295");
  CHECK(patched(values + 4, {0xD8, 0x84}).find("qwm: section TENS, tensor 2: ends inside value") == 0);
  CHECK(patched(records[2].rank_at + 1, {0x7F}) ==
        "qwm: section TENS, tensor 2: shape [127] needs more values than the 6 bytes left");
  CHECK(patched(values, {0x00, 0x00}).find("qwm: section TENS, tensor 2: 2 unexpected bytes after the last field") == 0);
  // Float16 scales: probs' 1/256 = 0x1C00 after rank, shape 1, 4, count and axis.
  const size_t probs = 15;
  REQUIRE(g.tensors[probs].name == "probs");
  const size_t half = records[probs].rank_at + 1 + 2 + 1 + 1;
  REQUIRE(Get(bytes, half, 2) == 0x1C00);
  for (uint16_t h : {uint16_t{0x9C00}, uint16_t{0x0000}, uint16_t{0x0200}, uint16_t{0x7C00}, uint16_t{0x7E00}}) {
    CAPTURE(h);
    char expected[128];
    std::snprintf(expected, sizeof expected,
                  "qwm: section TENS, tensor 15: float16 scale 0x%X is not a positive normal number", h);
    CHECK(patched(half, {static_cast<uint8_t>(h), static_cast<uint8_t>(h >> 8)}) == expected);
  }
  CHECK(patched(half, {0xFF, 0x7B}).empty());  // 65504, the largest half: a valid scale
}

TEST_CASE("qwm: NODE stores only what differs from the defaults; hostile edits are refused precisely") {
  Graph g = TinyLowBitModel();
  g.nodes[2].name = "adder";  // not its output's name: stored
  const Bytes bytes = MustWrite(g);
  CheckSameGraph(g, MustRead(bytes));
  auto patched = [&](size_t at, Bytes v) { return Patched(bytes, at, v); };
  // Node 0 'conv': op 1, SAME, RELU6, mask 0, inputs 0, 1, 2 (+1 each), output 3.
  const std::vector<std::pair<size_t, size_t>> nodes = NodeRecords(bytes);
  REQUIRE(nodes.size() == g.nodes.size());
  const size_t n0 = nodes[0].first;
  REQUIRE(Hex(bytes, n0, nodes[0].second) == "01 01 03 00 03 01 02 03 01 03 ");
  CHECK(patched(n0 + 5, {0x7F}) == "qwm: section NODE, node 0 'conv' (CONV_2D): input index 126 out of range (17 tensors)");
  CHECK(patched(n0 + 5, {0x00}).empty());  // input 0 absent: a format-valid node (the interpreter refuses it)
  CHECK(MustRead([&] { Bytes x = bytes; x[n0 + 5] = 0; RepairChecksums(x); return x; }()).nodes[0].inputs[0] == -1);
  CHECK(patched(n0, {0x7F}).find("qwm: section NODE, node 0: op id 127: not defined in format 2.2") == 0);
  CHECK(patched(n0 + 1, {0x09}).find("qwm: section NODE, node 0: padding id 9: not defined") == 0);
  CHECK(patched(n0 + 8, {0x00}) ==
        "qwm: section NODE, node 0: the name is not stored, and there is no output to take it from");
  CHECK(patched(n0 + 9, {0x7F}) == "qwm: section NODE, node 0 '' (CONV_2D): output index 127 out of range (17 tensors)");
  CHECK(patched(n0 + 3, {0x04}).find("qwm: section NODE, node 0: ends inside attribute") == 0);  // stride_h, no bytes
  // Node 2 'adder' stores its name: mask 01, length 5, "adder". Rewritten in
  // the same 7 bytes as mask bits 0 and 22 (not defined), length 2, "er".
  const size_t n2 = nodes[2].first;
  REQUIRE(Hex(bytes, n2 + 3, n2 + 10) == "01 05 61 64 64 65 72 ");
  CHECK(patched(n2 + 3, {0x81, 0x80, 0x80, 0x02, 0x02}) ==
        "qwm: section NODE, node 2: node field flag bits 0x400000: not defined in format 2.2 (the newest this "
        "reader knows); the file says it is format 2.0, so it is damaged");
  {  // From a newer minor, the unknown field bit is ignored (its field would follow the known ones).
    Bytes x = bytes;
    std::copy_n(Bytes{0x81, 0x80, 0x80, 0x02, 0x02}.begin(), 5, x.begin() + n2 + 3);
    Put(x, 10, 3, 2);
    RepairChecksums(x);
    CHECK(MustRead(x).nodes[2].name == "er");
  }
  CHECK(patched(n2 + 4, {0x7F}).find("qwm: section NODE, node 2: name length 127 at section byte") == 0);
  // The same record as mask bits 0 and 16 (name, perm), an empty name, the
  // inputs and output, then a perm count over the rank limit.
  REQUIRE(Hex(bytes, n2, nodes[2].second) == "04 02 00 01 05 61 64 64 65 72 02 04 07 01 07 ");
  CHECK(patched(n2 + 3, {0x81, 0x80, 0x04, 0x00, 0x02, 0x04, 0x07, 0x01, 0x07, 0x09, 0x00, 0x00}) ==
        "qwm: section NODE, node 2: perm count 9 at section byte " +
            std::to_string(n2 + 12 - SectionOffset(bytes, qwm::kSectionNodes)) + " is over the limit of 8");
  // Node 4 'mean': keep_dims is mask bit 18 (80 80 10).
  const size_t n4 = nodes[4].first;
  REQUIRE(Hex(bytes, n4, nodes[4].second) == "06 02 00 80 80 10 02 09 0A 01 0A ");
  CHECK(patched(n4 + 5, {0x14}).find("qwm: section NODE, node 4: ends inside perm count") == 0);  // + bit 16
  CHECK(patched(n4 + 5, {0x01}).find("qwm: section NODE, node 4: ends inside attribute") == 0);  // bit 14
  // The node count against the bytes left (7 at least per record).
  const size_t node_section = SectionOffset(bytes, qwm::kSectionNodes);
  CHECK(patched(node_section, {0x7F}).find("qwm: section NODE: node count 127 at section byte 0 needs more than") == 0);
}

// Measurements for docs/model-format.md (skipped unless QWASM_QWM_MEASURE
// names .qwm files, comma-separated).
TEST_CASE("qwm: measure int constants and scales of real models") {
  const char* env = std::getenv("QWASM_QWM_MEASURE");
  if (!env) return;
  std::string list = env;
  for (size_t start = 0; start < list.size();) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const std::string path = list.substr(start, end - start);
    start = end + 1;
    const Graph g = MustRead(ReadFile(path));
    size_t n_int = 0, full = 0, fixed = 0, zv = 0, best = 0, n_scales = 0, fp16_exact = 0, n_tensors_int = 0;
    for (const Tensor& t : g.tensors) {
      for (float s : t.quant.scale) {
        ++n_scales;
        const uint16_t h = Fp32ToFp16(s);
        if (Bits(Fp16ToFp32(h)) == Bits(s) && (h & 0x7C00) != 0) ++fp16_exact;
      }
      if (!t.is_constant() || (t.dtype != DType::kInt32 && t.dtype != DType::kInt64)) continue;
      ++n_tensors_int;
      const size_t n = static_cast<size_t>(t.num_elements());
      n_int += n;
      full += t.data_bytes;
      int64_t lo = 0, hi = 0;
      const size_t zv_before = zv;
      for (size_t i = 0; i < n; ++i) {
        int64_t v;
        if (t.dtype == DType::kInt32) {
          int32_t x;
          std::memcpy(&x, t.data + 4 * i, 4);
          v = x;
        } else {
          std::memcpy(&v, t.data + 8 * i, 8);
        }
        lo = std::min(lo, v), hi = std::max(hi, v);
        uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
        do { ++zv; z >>= 7; } while (z);
      }
      const size_t w = lo >= -128 && hi <= 127 ? 1 : lo >= -32768 && hi <= 32767 ? 2 : lo >= INT32_MIN && hi <= INT32_MAX ? 4 : 8;
      fixed += n * w;
      best += std::min(n * w, zv - zv_before);
    }
    const Bytes b = MustWrite(g);
    CheckSameGraph(g, MustRead(b));
    std::map<std::string, uint64_t> size;
    uint64_t sum = 0;
    for (uint64_t k = 0; k < Get(b, 20, 4); ++k) {
      const size_t at = 64 + 32 * k;
      size[qwm::SectionName(static_cast<uint32_t>(Get(b, at, 4)))] = Get(b, at + 16, 8);
      sum += Get(b, at + 16, 8);
    }
    const uint64_t head = 64 + 32 * Get(b, 20, 4);
    char line[2][256];
    std::snprintf(line[0], sizeof line[0], "  %8s %12s %6s %7s %6s %5s %7s %8s", "total", "header+table", "META",
                  "TENS", "NODE", "GRPH", "padding", "DATA");
    std::snprintf(line[1], sizeof line[1], "  %8zu %12llu %6llu %7llu %6llu %5llu %7llu %8llu", b.size(),
                  (unsigned long long)head, (unsigned long long)size["META"], (unsigned long long)size["TENS"],
                  (unsigned long long)size["NODE"], (unsigned long long)size["GRPH"],
                  (unsigned long long)(b.size() - head - sum), (unsigned long long)size["DATA"]);
    MESSAGE(path << "\n" << line[0] << "\n" << line[1]);
    MESSAGE(path << ": " << n_tensors_int << " int32/int64 constants, " << n_int << " values: " << full
                 << " bytes full, " << fixed << " narrowed to int8/int16, " << zv << " as zigzag varints (" << best << " the smaller per tensor); " << n_scales
                 << " scales, " << fp16_exact << " exact in float16");
  }
}

// Fuzzing (tests/fuzz/fuzz_qwm.cc) found: an int constant stored in its record
// whose shape has a dimension below 1 (or a product past the limit) followed by
// more dimensions multiplied the INT64_MAX marker on: signed overflow (UB).
TEST_CASE("qwm: an in-record constant's shape 0 x 2 is refused without overflow (fuzz regression)") {
  const Graph g = TinyLowBitModel();
  const Bytes bytes = MustWrite(g);
  const std::vector<TensorRecord> records = TensorRecords(bytes);
  size_t axes = 0;
  while (axes < records.size() && records[axes].name != "mean/axes") ++axes;
  REQUIRE(axes < records.size());
  REQUIRE(bytes[records[axes].rank_at] == 1);      // rank 1
  REQUIRE(bytes[records[axes].rank_at + 1] == 2);  // shape [2]
  // Rank 2, shape [0, 2] (the first value's byte becomes the second dimension).
  const std::string msg = Patched(bytes, records[axes].rank_at, {2, 0, 2});
  CHECK(msg == "qwm: section TENS, tensor " + std::to_string(axes) +
                   ": shape [0, 2] needs more values than the 1 bytes left");
}

TEST_CASE("qwm: per-channel parameters only on constants, so no count is unbacked by the file (fuzz regression)") {
  // fuzz_qwm's timeout (a 59,904-byte mutated file, 4.8 s
  // under ASan): derived scales and a shared zero point take no bytes per
  // parameter, so a record could declare 2^24 of them and the refused count
  // still sized the vectors and loops that parse the record to its end.
  Graph g = TinyModel();
  Tensor* activation = nullptr;
  for (Tensor& t : g.tensors) {
    if (!t.is_constant() && t.quant.quantized() && t.shape.size() == 4 && t.shape[3] > 1 && !activation) activation = &t;
  }
  REQUIRE(activation != nullptr);
  const size_t channels = static_cast<size_t>(activation->shape[3]);
  activation->quant.axis = 3;
  activation->quant.scale.assign(channels, activation->quant.scale[0]);
  activation->quant.zero_point.assign(channels, activation->quant.zero_point[0]);
  Result<Bytes> written = WriteQwm(g);
  REQUIRE_MESSAGE(written.ok(), written.status().message());
  const std::string msg = ReadError(written.take());
  CHECK_MESSAGE(msg.find(std::to_string(channels) + " quantization parameters on a tensor that is not a constant") !=
                    std::string::npos, msg);
}
