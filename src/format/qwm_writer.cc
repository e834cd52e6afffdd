#include "format/qwm_writer.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/crc32.h"
#include "format/qwm_format.h"
#include "quant/float16.h"

namespace qwasm {
namespace {

using namespace qwm;

// Little-endian byte sink.
class Out {
 public:
  void U8(uint8_t v) { bytes_.push_back(v); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void F32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    U32(bits);
  }
  void Str(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void Strs(const std::vector<std::string>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (const std::string& s : v) Str(s);
  }
  void I32s(const std::vector<int32_t>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (int32_t x : v) I32(x);
  }
  void F32s(const std::vector<float>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (float x : v) F32(x);
  }
  // Unsigned LEB128: 7 bits a byte, low first, bit 7 = more follow.
  void V(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  // Signed: zigzag (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...), then V.
  void Z(int32_t v) { V((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31)); }
  void Bytes(const uint8_t* p, size_t n) { bytes_.insert(bytes_.end(), p, p + n); }
  void ZerosTo(size_t size) { bytes_.resize(std::max(bytes_.size(), size), 0); }
  void AlignTo(size_t alignment) { ZerosTo((bytes_.size() + alignment - 1) / alignment * alignment); }

  // A record is its byte size as a varint, then its fields: written into a
  // scratch Out, then copied behind the size.
  void Record(const Out& record) {
    V(record.size());
    Bytes(record.bytes_.data(), record.bytes_.size());
  }

  void PatchLe(size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  size_t size() const { return bytes_.size(); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> bytes_;
};

// Checks everything the reader will check, and returns the format minor
// version the graph needs (the highest `since_minor` of the ids it uses).
Result<uint16_t> CheckGraph(const Graph& g) {
  const std::string where = "qwm writer: ";
  if (g.tensors.size() > kMaxTensors || g.nodes.size() > kMaxNodes) {
    return Status::Error(where + "over " + std::to_string(kMaxTensors) + " tensors or nodes");
  }
  uint16_t minor = 0;
  auto need = [&minor](uint16_t since) { minor = std::max(minor, since); };
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const std::string label = where + "tensor " + std::to_string(i) + QuotedName(g.tensors[i].name);
    QW_RETURN_IF_ERROR(CheckTensor(g.tensors[i]).With(label));
    need(FindByValue(kDTypeIds, g.tensors[i].dtype)->since_minor);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    QW_RETURN_IF_ERROR(CheckNode(n, g.tensors.size()).With(where + "node " + std::to_string(i) + QuotedName(n.name)));
    if (!n.attrs.fused_max.empty()) {  // only an interpreter's graph has them (graph/fuse.h)
      return Status::Error(where + "node " + std::to_string(i) + QuotedName(n.name) +
                           " holds a fused CLAMP; write the graph as read, not as run");
    }
    need(FindOpDef(n.op)->file_since_minor);
    need(FindByValue(kPaddingIds, n.attrs.padding)->since_minor);
    need(FindByValue(kActivationIds, n.attrs.activation)->since_minor);
    if (n.attrs.tflite_numerics) need(2);  // nf::kTfliteNumerics
  }
  for (const std::vector<int32_t>* io : {&g.inputs, &g.outputs}) {
    if (io->size() > kMaxNodeTensors) return Status::Error(where + "too many graph inputs or outputs");
    for (int32_t id : *io) {
      if (id < 0 || static_cast<size_t>(id) >= g.tensors.size()) {
        return Status::Error(where + "graph input or output index " + std::to_string(id) + " out of range (" +
                             std::to_string(g.tensors.size()) + " tensors)");
      }
    }
  }
  QW_RETURN_IF_ERROR(CheckMetadata(g.metadata).With(where + "metadata"));
  need(FindByValue(kLayoutIds, g.metadata.layout)->since_minor);
  need(FindByValue(kColorIds, g.metadata.color)->since_minor);
  return minor;
}

void WriteMetadata(const ModelMetadata& m, Out* out) {
  for (const std::string* s : {&m.name, &m.description, &m.version, &m.author, &m.license, &m.producer}) out->Str(*s);
  out->Strs(m.labels);
  out->U8(static_cast<uint8_t>(FindByValue(kLayoutIds, m.layout)->id));
  out->U8(static_cast<uint8_t>(FindByValue(kColorIds, m.color)->id));
  out->U8(m.pixels_are_input ? kInputPixelsAreInput : 0);
  out->U8(0);
  out->I32(m.input_height);
  out->I32(m.input_width);
  out->I32(m.input_channels);
  out->F32(m.crop_fraction);
  out->F32s(m.mean);
  out->F32s(m.std);
  out->Strs(m.notes);
}

// Constants, each at a multiple of kConstantAlignment from the DATA
// section's start (itself at a multiple of kDataAlignment in the file);
// offsets[i] is tensor i's. Constants stored in their records are left out.
void WriteData(const Graph& g, const std::vector<bool>& in_record, Out* out, std::vector<uint64_t>* offsets) {
  offsets->assign(g.tensors.size(), 0);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    if (!t.is_constant() || in_record[i]) continue;
    out->AlignTo(kConstantAlignment);
    (*offsets)[i] = out->size();
    out->Bytes(t.data, t.data_bytes);
  }
}

// The tensors a tensor's scales are derived from (scale[c] =
// float(scale_a[c or 0] x scale_b[c or 0]), computed in double, where the
// product is exact), or {-1, -1}: for each tensor that is input 2 (the bias)
// of a node, that node's inputs 0 and 1 when the product reproduces every
// scale bit for bit. Sources keep their scales listed.
std::vector<std::pair<int32_t, int32_t>> DerivedScales(const Graph& g) {
  std::vector<std::pair<int32_t, int32_t>> from(g.tensors.size(), {-1, -1});
  std::vector<bool> source(g.tensors.size(), false);
  auto listed = [&](int32_t t) { return t >= 0 && from[t].first < 0; };
  for (const Node& n : g.nodes) {
    if (n.inputs.size() < 3) continue;
    const int32_t t = n.inputs[2], a = n.inputs[0], b = n.inputs[1];
    if (t < 0 || a < 0 || b < 0 || t == a || t == b || source[t] || !listed(t) || !listed(a) || !listed(b)) continue;
    const std::vector<float>& s = g.tensors[t].quant.scale;
    const std::vector<float>& sa = g.tensors[a].quant.scale;
    const std::vector<float>& sb = g.tensors[b].quant.scale;
    if (s.empty() || (sa.size() != 1 && sa.size() != s.size()) || (sb.size() != 1 && sb.size() != s.size())) continue;
    bool same = true;
    for (size_t c = 0; c < s.size() && same; ++c) {
      const float p = static_cast<float>(double{sa[sa.size() == 1 ? 0 : c]} * sb[sb.size() == 1 ? 0 : c]);
      same = std::memcmp(&p, &s[c], 4) == 0;
    }
    if (!same) continue;
    from[t] = {a, b};
    source[a] = source[b] = true;
  }
  return from;
}

// Element i of an int32 or int64 constant, widened.
int64_t IntElement(const Tensor& t, size_t i) {
  if (t.dtype == DType::kInt32) {
    int32_t v;
    std::memcpy(&v, t.data + 4 * i, 4);
    return v;
  }
  int64_t v;
  std::memcpy(&v, t.data + 8 * i, 8);
  return v;
}
uint64_t ZigZag64(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

// An int32 / int64 constant goes into its record as zigzag varints
// when they take fewer bytes than its data would (an int32's zigzag is the
// 32-bit one, the same number as the 64-bit one for every int32).
std::vector<bool> IntsInRecord(const Graph& g) {
  std::vector<bool> in_record(g.tensors.size(), false);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    if (!t.is_constant() || (t.dtype != DType::kInt32 && t.dtype != DType::kInt64)) continue;
    size_t bytes = 0;
    const size_t n = static_cast<size_t>(t.num_elements());
    for (size_t k = 0; k < n; ++k) bytes += VarintBytes(ZigZag64(IntElement(t, k)));
    in_record[i] = bytes < t.data_bytes;
  }
  return in_record;
}

// True when every scale is a positive normal float16 exactly (the reader
// refuses other halves: zero, subnormals, infinities, NaN, negatives).
bool ScalesAreFp16(const std::vector<float>& scales) {
  if (scales.empty()) return false;
  for (float s : scales) {
    const uint16_t h = Fp32ToFp16(s);
    const float back = Fp16ToFp32(h);
    const uint16_t exponent = (h >> 10) & 0x1F;
    if (std::memcmp(&back, &s, 4) != 0 || (h & 0x8000) || exponent == 0 || exponent == 0x1F) return false;
  }
  return true;
}

size_t SharedPrefix(const std::string& a, const std::string& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && n < 255 && a[n] == b[n]) ++n;
  return n;
}

void WriteTensors(const Graph& g, const std::vector<uint64_t>& data_offsets, const std::vector<bool>& in_record,
                  Out* out) {
  const std::vector<std::pair<int32_t, int32_t>> derived = DerivedScales(g);
  out->V(g.tensors.size());
  const std::string* previous = nullptr;
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    const QuantInfo& q = t.quant;
    Out r;
    const size_t shared = previous ? SharedPrefix(*previous, t.name) : 0;
    r.U8(static_cast<uint8_t>(shared));
    r.V(t.name.size() - shared);
    r.Bytes(reinterpret_cast<const uint8_t*>(t.name.data()) + shared, t.name.size() - shared);
    previous = &t.name;
    uint8_t zero_points = kZeroPointsZero;
    for (int32_t z : q.zero_point) {
      if (z != q.zero_point[0]) zero_points = kZeroPointsListed;
      else if (z != 0 && zero_points == kZeroPointsZero) zero_points = kZeroPointsShared;
    }
    const bool is_derived = derived[i].first >= 0;
    const bool fp16 = !is_derived && ScalesAreFp16(q.scale);
    const bool inline_ints = in_record[i];
    r.U8(static_cast<uint8_t>(FindByValue(kDTypeIds, t.dtype)->id));
    r.U8(static_cast<uint8_t>((t.was_uint8 ? kTensorWasUint8 : 0) | (t.is_constant() ? kTensorConstant : 0) |
                              zero_points << kTensorZeroPointShift | (is_derived ? kTensorScalesDerived : 0) |
                              (fp16 ? kTensorScalesFp16 : 0) | (inline_ints ? kTensorDataInline : 0)));
    r.U8(static_cast<uint8_t>(t.shape.size()));
    for (int32_t d : t.shape) r.V(static_cast<uint32_t>(d));
    r.V(q.scale.size());
    r.V(static_cast<uint32_t>(q.axis));
    if (is_derived) {
      r.V(static_cast<uint32_t>(derived[i].first));
      r.V(static_cast<uint32_t>(derived[i].second));
    } else if (fp16) {
      for (float s : q.scale) r.U16(Fp32ToFp16(s));
    } else {
      for (float s : q.scale) r.F32(s);
    }
    if (zero_points == kZeroPointsShared) r.Z(q.zero_point[0]);
    if (zero_points == kZeroPointsListed) {
      for (int32_t z : q.zero_point) r.Z(z);
    }
    if (inline_ints) {
      const size_t n = static_cast<size_t>(t.num_elements());
      for (size_t k = 0; k < n; ++k) r.V(ZigZag64(IntElement(t, k)));
    } else if (t.is_constant()) {
      r.V(data_offsets[i]);
    }
    if (CodebookEntries(t.dtype)) {
      r.V(t.codebook_groups());
      r.Bytes(reinterpret_cast<const uint8_t*>(t.codebook.data()), t.codebook.size());
    }
    out->Record(r);
  }
}

// Varints; a field mask says which attributes differ from OpAttrs' defaults
// (only those are stored) and whether the name is stored (else it is the
// first output tensor's name).
void WriteNodes(const Graph& g, Out* out) {
  const OpAttrs d;
  out->V(g.nodes.size());
  for (const Node& n : g.nodes) {
    const OpAttrs& a = n.attrs;
    const int ints[8] = {a.stride_h, a.stride_w, a.dilation_h, a.dilation_w,
                         a.filter_h, a.filter_w, a.depth_multiplier, a.axis};
    const int default_ints[8] = {d.stride_h, d.stride_w, d.dilation_h, d.dilation_w,
                                 d.filter_h, d.filter_w, d.depth_multiplier, d.axis};
    const float floats[6] = {a.beta, a.pad_value, a.clamp_min, a.clamp_max, a.hard_alpha, a.hard_beta};
    const float default_floats[6] = {d.beta, d.pad_value, d.clamp_min, d.clamp_max, d.hard_alpha, d.hard_beta};
    uint32_t mask = 0;
    if (n.outputs.empty() || n.name != g.tensors[n.outputs[0]].name) mask |= nf::kName;
    if (!std::equal(a.pads, a.pads + 4, d.pads)) mask |= nf::kPads;
    for (int k = 0; k < 8; ++k) {
      if (ints[k] != default_ints[k]) mask |= 1u << (nf::kFirstInt + k);
    }
    for (int k = 0; k < 6; ++k) {
      if (std::memcmp(&floats[k], &default_floats[k], 4) != 0) mask |= 1u << (nf::kFirstFloat + k);
    }
    if (!a.perm.empty()) mask |= nf::kPerm;
    if (!a.paddings.empty()) mask |= nf::kPaddings;
    if (a.keep_dims) mask |= nf::kKeepDims;
    if (a.count_include_pad) mask |= nf::kCountIncludePad;
    if (a.onnx_numerics) mask |= nf::kOnnxNumerics;
    if (a.tflite_numerics) mask |= nf::kTfliteNumerics;
    Out r;
    r.V(FindOpDef(n.op)->file_id);
    r.U8(static_cast<uint8_t>(FindByValue(kPaddingIds, a.padding)->id));
    r.U8(static_cast<uint8_t>(FindByValue(kActivationIds, a.activation)->id));
    r.V(mask);
    if (mask & nf::kName) {
      r.V(n.name.size());
      r.Bytes(reinterpret_cast<const uint8_t*>(n.name.data()), n.name.size());
    }
    r.V(n.inputs.size());
    for (int32_t id : n.inputs) r.V(static_cast<uint32_t>(id + 1));  // 0 = absent (-1)
    r.V(n.outputs.size());
    for (int32_t id : n.outputs) r.V(static_cast<uint32_t>(id));
    if (mask & nf::kPads) {
      for (int32_t p : a.pads) r.Z(p);
    }
    for (int k = 0; k < 8; ++k) {
      if (mask & 1u << (nf::kFirstInt + k)) r.Z(ints[k]);
    }
    for (int k = 0; k < 6; ++k) {
      if (mask & 1u << (nf::kFirstFloat + k)) r.F32(floats[k]);
    }
    for (const std::vector<int32_t>* list : {&a.perm, &a.paddings}) {
      if (list->empty()) continue;
      r.V(list->size());
      for (int32_t v : *list) r.Z(v);
    }
    out->Record(r);
  }
}

void WriteGraphIO(const Graph& g, Out* out) {
  out->I32s(g.inputs);
  out->I32s(g.outputs);
}

}  // namespace

Result<std::vector<uint8_t>> WriteQwm(const Graph& g) {
  const Result<uint16_t> minor = CheckGraph(g);
  if (!minor.ok()) return minor.status();

  struct Section {
    uint32_t type;
    uint32_t flags;
    Out body;
  };
  Section sections[5] = {{kSectionMetadata, kSectionOptional, {}},
                         {kSectionTensors, 0, {}},
                         {kSectionNodes, 0, {}},
                         {kSectionGraph, 0, {}},
                         {kSectionData, 0, {}}};
  std::vector<uint64_t> data_offsets;
  WriteMetadata(g.metadata, &sections[0].body);
  const std::vector<bool> in_record = IntsInRecord(g);
  WriteData(g, in_record, &sections[4].body, &data_offsets);
  WriteTensors(g, data_offsets, in_record, &sections[1].body);
  WriteNodes(g, &sections[2].body);
  WriteGraphIO(g, &sections[3].body);

  // Header, section table, the small sections, then DATA aligned.
  const uint32_t count = static_cast<uint32_t>(std::size(sections));
  Out file;
  file.ZerosTo(kHeaderSize + count * kSectionEntrySize);
  std::vector<uint64_t> offsets(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (sections[i].type == kSectionData) file.AlignTo(kDataAlignment);
    offsets[i] = file.size();
    file.Bytes(sections[i].body.bytes().data(), sections[i].body.size());
  }
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = kHeaderSize + i * kSectionEntrySize;
    const std::vector<uint8_t>& body = sections[i].body.bytes();
    file.PatchLe(at + entry::kType, sections[i].type, 4);
    file.PatchLe(at + entry::kFlags, sections[i].flags, 4);
    file.PatchLe(at + entry::kOffset, offsets[i], 8);
    file.PatchLe(at + entry::kSize, body.size(), 8);
    file.PatchLe(at + entry::kCrc, Crc32(body.data(), body.size()), 4);
  }
  std::vector<uint8_t>& b = file.bytes();
  std::memcpy(&b[hdr::kMagic], kMagic, sizeof kMagic);
  file.PatchLe(hdr::kVersionMajor, kVersionMajor, 2);
  file.PatchLe(hdr::kVersionMinor, minor.value(), 2);
  file.PatchLe(hdr::kFlags, 0, 4);
  file.PatchLe(hdr::kHeaderSize, kHeaderSize, 4);
  file.PatchLe(hdr::kSectionCount, count, 4);
  file.PatchLe(hdr::kFileSize, b.size(), 8);
  file.PatchLe(hdr::kSectionTableOffset, kHeaderSize, 8);
  file.PatchLe(hdr::kSectionEntrySize, kSectionEntrySize, 4);
  file.PatchLe(hdr::kSectionTableCrc, Crc32(&b[kHeaderSize], count * kSectionEntrySize), 4);
  // The header CRC covers the header with its own field still zero.
  file.PatchLe(hdr::kHeaderCrc, Crc32(b.data(), kHeaderSize), 4);
  return std::move(b);
}

}  // namespace qwasm
