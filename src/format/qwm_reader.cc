#include "format/qwm_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "core/crc32.h"
#include "format/qwm_format.h"
#include "graph/op.h"
#include "graph/validate.h"
#include "quant/float16.h"

namespace qwasm {
namespace {

// The fuzz build (CMake QWASM_FUZZ, tests/fuzz) skips the CRC comparisons so
// that mutated files reach the section parsers; every other check stays.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kCheckCrc = false;
#else
constexpr bool kCheckCrc = true;
#endif

using namespace qwm;

uint64_t Le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

std::string Version(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

// Reads little-endian fields in order from [data, data + size). The first
// failure sticks: later reads return zeros and empty values, which are safe
// to use, so a record is parsed straight through and checked once at the end.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, const uint8_t* section) : p_(data), end_(data + size), section_(section) {}

  bool ok() const { return error_.empty(); }
  Status status() const { return ok() ? Status::Ok() : Status::Error(error_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  void Fail(const std::string& message) {
    if (ok()) error_ = message;
  }

  uint8_t U8(const char* what) { return static_cast<uint8_t>(Read(1, what)); }
  uint16_t U16(const char* what) { return static_cast<uint16_t>(Read(2, what)); }
  uint32_t U32(const char* what) { return static_cast<uint32_t>(Read(4, what)); }
  int32_t I32(const char* what) { return static_cast<int32_t>(U32(what)); }
  float F32(const char* what) {
    const uint32_t bits = U32(what);
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }

  // A count of items of at least `item_bytes` each, which must not exceed
  // `limit` nor what the remaining bytes can hold (checked before any
  // allocation the count would size).
  uint32_t Count(const char* what, size_t item_bytes, uint32_t limit) {
    const size_t at = Offset();
    const uint32_t n = U32(what);
    if (n > limit || uint64_t{n} * item_bytes > remaining()) {
      Fail(std::string(what) + " " + std::to_string(n) + " at section byte " + std::to_string(at) +
           (n > limit ? " is over the limit of " + std::to_string(limit)
                      : " needs more than the " + std::to_string(remaining()) + " bytes left"));
      return 0;
    }
    return n;
  }

  // Unsigned LEB128 (docs/model-format.md) of at most 10 bytes whose value
  // is at most `max`.
  uint64_t V(const char* what, uint64_t max = UINT32_MAX) {
    const size_t at = Offset();
    uint64_t v = 0;
    for (int shift = 0; ok(); shift += 7) {
      const uint8_t b = U8(what);
      if (shift == 63 && b > 1) break;
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) {
        if (v <= max) return v;
        Fail(std::string(what) + " " + std::to_string(v) + " at section byte " + std::to_string(at) +
             " is over " + std::to_string(max));
        return 0;
      }
      if (shift == 63) break;
    }
    Fail(std::string(what) + " at section byte " + std::to_string(at) + " is not a valid varint");
    return 0;
  }
  uint32_t V32(const char* what) { return static_cast<uint32_t>(V(what)); }
  // Zigzag-signed varint of an int32.
  int32_t Z(const char* what) {
    const uint32_t v = V32(what);
    return static_cast<int32_t>((v >> 1) ^ (0u - (v & 1)));
  }
  // As Count, the count a varint.
  uint32_t VCount(const char* what, size_t item_bytes, uint32_t limit) {
    const size_t at = Offset();
    const uint32_t n = V32(what);
    if (ok() && (n > limit || uint64_t{n} * item_bytes > remaining())) {
      Fail(std::string(what) + " " + std::to_string(n) + " at section byte " + std::to_string(at) +
           (n > limit ? " is over the limit of " + std::to_string(limit)
                      : " needs more than the " + std::to_string(remaining()) + " bytes left"));
      return 0;
    }
    return n;
  }
  // A string of a varint length (tensor and node records).
  std::string VStr(const char* what) {
    const uint32_t n = VCount((std::string(what) + " length").c_str(), 1, kMaxStringBytes);
    const uint8_t* p = Take(n, what);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }
  // `n` bytes, or nullptr after a failure.
  const uint8_t* Bytes(size_t n, const char* what) { return Take(n, what); }

  std::string Str(const char* what) {
    const uint32_t n = Count(what, 1, kMaxStringBytes);
    const uint8_t* p = Take(n, what);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }
  std::vector<std::string> Strs(const char* what, uint32_t limit) {
    std::vector<std::string> v(Count(what, 4, limit));
    for (std::string& s : v) s = Str(what);
    return v;
  }
  std::vector<int32_t> I32s(const char* what, uint32_t limit) {
    std::vector<int32_t> v(Count(what, 4, limit));
    for (int32_t& x : v) x = I32(what);
    return v;
  }
  std::vector<float> F32s(const char* what, uint32_t limit) {
    std::vector<float> v(Count(what, 4, limit));
    for (float& x : v) x = F32(what);
    return v;
  }

  // A record: its byte size (varint), then that many bytes, read by the
  // returned cursor.
  Cursor Record(const char* what) {
    const uint32_t n = V32(what);
    const uint8_t* p = Take(n, what);
    return p ? Cursor(p, n, section_) : Cursor(end_, 0, section_);
  }

  // After the last known field of a record or section: more bytes are fields
  // appended by a newer minor version (skipped) or else damage.
  void Finish(bool newer_minor) {
    if (ok() && remaining() != 0 && !newer_minor) {
      Fail(std::to_string(remaining()) + " unexpected bytes after the last field, at section byte " +
           std::to_string(Offset()));
    }
  }

 private:
  size_t Offset() const { return static_cast<size_t>(p_ - section_); }
  const uint8_t* Take(size_t n, const char* what) {
    if (!ok()) return nullptr;
    if (remaining() < n) {
      Fail(std::string("ends inside ") + what + " at section byte " + std::to_string(Offset()) + " (needs " +
           std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left)");
      return nullptr;
    }
    const uint8_t* p = p_;
    p_ += n;
    return p;
  }
  uint64_t Read(int n, const char* what) {
    const uint8_t* p = Take(n, what);
    return p ? Le(p, n) : 0;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* section_;  // for offsets in messages
  std::string error_;
};

// Smallest records, for counts checked against the bytes left: a tensor
// record is a size byte, name prefix and length, dtype, flags, rank, quant
// count and axis; a node record a size byte, op, padding, activation, field
// mask, input and output counts.
constexpr size_t kMinTensorRecord = 1 + 2 + 3 + 2;
constexpr size_t kMinNodeRecord = 7;

class Reader {
 public:
  explicit Reader(std::shared_ptr<const std::vector<uint8_t>> bytes)
      : bytes_(std::move(bytes)), file_(bytes_->data()), size_(bytes_->size()) {}

  Result<Graph> Read() {
    QW_RETURN_IF_ERROR(ReadHeader());
    QW_RETURN_IF_ERROR(ReadSectionTable());
    if (meta_.present) QW_RETURN_IF_ERROR(ReadMetadata());
    QW_RETURN_IF_ERROR(ReadTensors());
    QW_RETURN_IF_ERROR(ReadNodes());
    QW_RETURN_IF_ERROR(ReadGraphIO());
    graph_.source = bytes_;
    return std::move(graph_);
  }

 private:
  struct Section {
    bool present = false;
    uint64_t offset = 0, size = 0;
  };

  Status ReadHeader();
  // A file of an earlier major version: what it is, and how to get a current one.
  Status OldFormat(uint32_t major) const;
  Status ReadSectionTable();
  Status ReadMetadata();
  Status ReadTensors();
  // The data reference and final checks of tensor t.
  Status FinishTensor(const std::string& ctx, uint32_t flags, uint64_t offset, uint64_t size, Tensor* t);
  Status ReadNodes();
  Status ReadGraphIO();

  Cursor Open(const Section& s) const {
    return Cursor(file_ + s.offset, static_cast<size_t>(s.size), file_ + s.offset);
  }
  // Something this reader's format version does not define: either the file
  // is newer (say which version it needs) or it is damaged.
  std::string Undefined(const std::string& what) const {
    std::string s = what + ": not defined in format " + Version(kVersionMajor, kVersionMinor) +
                    " (the newest this reader knows)";
    const std::string file = Version(kVersionMajor, minor_);
    if (newer_) {
      return s + "; the file is format " + file + ": read it with a qwasm release that supports format " + file;
    }
    return s + "; the file says it is format " + file + ", so it is damaged";
  }
  OpType OpFromId(uint32_t id, Cursor* c) const {
    if (const OpDef* d = FindOpDefByFileId(id)) return d->type;
    c->Fail(Undefined("op id " + std::to_string(id)));
    return OpType::kConv2D;
  }
  template <typename E, size_t N>
  E FromId(const IdEntry<E> (&table)[N], uint32_t id, const char* what, Cursor* c) const {
    const IdEntry<E>* e = FindById(table, id);
    if (e) return e->value;
    c->Fail(Undefined(std::string(what) + " id " + std::to_string(id)));
    return table[0].value;
  }
  // Flag bits a newer minor version defines must be safe to ignore; in a
  // file of our own version they are damage. "" when acceptable.
  std::string UnknownFlags(uint32_t flags, uint32_t known, const char* what) const {
    if ((flags & ~known) == 0 || newer_) return "";
    return Undefined(std::string(what) + " flag bits 0x" + Hex(flags & ~known));
  }
  uint32_t Flags(uint32_t flags, uint32_t known, const char* what, Cursor* c) const {
    const std::string unknown = UnknownFlags(flags, known, what);
    if (!unknown.empty()) c->Fail(unknown);
    return flags & known;
  }
  static std::string Hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%X", static_cast<unsigned>(v));
    return buf;
  }

  std::shared_ptr<const std::vector<uint8_t>> bytes_;
  const uint8_t* file_;
  size_t size_;
  uint16_t minor_ = 0;
  bool newer_ = false;  // the file's minor version is newer than ours
  Section meta_, tensors_, nodes_, io_, data_;
  Graph graph_;
};

Status Reader::ReadHeader() {
  if (size_ < kHeaderSize) {
    return Status::Error("qwm: the file is " + std::to_string(size_) + " bytes, shorter than the " +
                         std::to_string(kHeaderSize) + "-byte header (truncated)");
  }
  if (std::memcmp(file_, kMagic, sizeof kMagic) != 0) return Status::Error("qwm: not a .qwm file (wrong magic bytes)");
  const uint32_t major = static_cast<uint32_t>(Le(file_ + hdr::kVersionMajor, 2));
  minor_ = static_cast<uint16_t>(Le(file_ + hdr::kVersionMinor, 2));
  if (major < kVersionMajor) return OldFormat(major);
  if (major != kVersionMajor) {
    return Status::Error("qwm: format version " + Version(major, minor_) +
                         " cannot be read: this reader reads format " + Version(kVersionMajor, kVersionMinor) +
                         "; the file needs a qwasm release that reads format " + Version(major, minor_));
  }
  newer_ = minor_ > kVersionMinor;
  const uint64_t file_size = Le(file_ + hdr::kFileSize, 8);
  if (file_size != size_) {
    return Status::Error("qwm: the header says the file is " + std::to_string(file_size) + " bytes, but it is " +
                         std::to_string(size_) + (file_size > size_ ? " (truncated)" : " (bytes appended?)"));
  }
  const uint32_t header_size = static_cast<uint32_t>(Le(file_ + hdr::kHeaderSize, 4));
  if (header_size < kHeaderSize || header_size > size_) {
    return Status::Error("qwm: header size " + std::to_string(header_size) + " is invalid (at least " +
                         std::to_string(kHeaderSize) + ", within the file)");
  }
  // The CRC covers the header with its own field read as zero.
  const uint8_t zero[4] = {0, 0, 0, 0};
  uint32_t crc = Crc32(file_, hdr::kHeaderCrc);
  crc = Crc32(zero, 4, crc);
  crc = Crc32(file_ + hdr::kHeaderCrc + 4, header_size - hdr::kHeaderCrc - 4, crc);
  if (kCheckCrc && crc != Le(file_ + hdr::kHeaderCrc, 4)) return Status::Error("qwm: header CRC-32 mismatch (damaged file)");
  const uint32_t flags = static_cast<uint32_t>(Le(file_ + hdr::kFlags, 4));
  const std::string unknown = UnknownFlags(flags, 0, "header");
  if (!unknown.empty()) return Status::Error("qwm: " + unknown);
  return Status::Ok();
}

Status Reader::OldFormat(uint32_t major) const {
  // The header and section table had today's layout in format 1.x: list the
  // sections when the table lies inside the file (nothing else is checked).
  std::string sections;
  const uint32_t count = static_cast<uint32_t>(Le(file_ + hdr::kSectionCount, 4));
  const uint64_t table = Le(file_ + hdr::kSectionTableOffset, 8);
  const uint32_t entry_size = static_cast<uint32_t>(Le(file_ + hdr::kSectionEntrySize, 4));
  if (count >= 1 && count <= kMaxSections && entry_size >= kSectionEntrySize && entry_size <= 1024 &&
      table >= kHeaderSize && table <= size_ && uint64_t{count} * entry_size <= size_ - table) {
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t type = static_cast<uint32_t>(Le(file_ + table + i * entry_size + entry::kType, 4));
      sections += (i ? ", " : " (sections ") + SectionName(type);
    }
    sections += ")";
  }
  return Status::Error("qwm: the file is format " + Version(major, minor_) + sections +
                       ", whose encodings this reader no longer reads: it reads format " +
                       Version(kVersionMajor, kVersionMinor) +
                       ". Make a current file from the source model: qwasm-convert (convert() in JavaScript) "
                       "for TFLite and ONNX models, qwasm-quantize (quantize()) for an FP32 ONNX model");
}

Status Reader::ReadSectionTable() {
  const uint32_t header_size = static_cast<uint32_t>(Le(file_ + hdr::kHeaderSize, 4));
  const uint32_t count = static_cast<uint32_t>(Le(file_ + hdr::kSectionCount, 4));
  const uint64_t table = Le(file_ + hdr::kSectionTableOffset, 8);
  const uint32_t entry_size = static_cast<uint32_t>(Le(file_ + hdr::kSectionEntrySize, 4));
  if (count < 1 || count > kMaxSections) {
    return Status::Error("qwm: section count " + std::to_string(count) + " is outside 1.." +
                         std::to_string(kMaxSections));
  }
  if (entry_size < kSectionEntrySize || entry_size > 1024) {
    return Status::Error("qwm: section entry size " + std::to_string(entry_size) + " is outside " +
                         std::to_string(kSectionEntrySize) + "..1024");
  }
  const uint64_t table_bytes = uint64_t{count} * entry_size;
  if (table < header_size || table > size_ || table_bytes > size_ - table) {
    return Status::Error("qwm: section table [" + std::to_string(table) + ", +" + std::to_string(table_bytes) +
                         ") lies outside the file or inside the header");
  }
  const uint8_t* t = file_ + table;
  if (kCheckCrc && Crc32(t, static_cast<size_t>(table_bytes)) != Le(file_ + hdr::kSectionTableCrc, 4)) {
    return Status::Error("qwm: section table CRC-32 mismatch (damaged file)");
  }
  // Byte ranges in use, to reject overlaps: header, table, then sections.
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {{0, header_size}, {table, table + table_bytes}};
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = t + uint64_t{i} * entry_size;
    const uint32_t type = static_cast<uint32_t>(Le(e + entry::kType, 4));
    const uint64_t offset = Le(e + entry::kOffset, 8), size = Le(e + entry::kSize, 8);
    const std::string ctx = "qwm: section " + SectionName(type) + " (table entry " + std::to_string(i) + ")";
    const uint32_t flags = static_cast<uint32_t>(Le(e + entry::kFlags, 4));
    const std::string unknown = UnknownFlags(flags, kSectionOptional, "section");
    if (!unknown.empty()) return Status::Error(ctx + ": " + unknown);
    if (offset > size_ || size > size_ - offset) {
      return Status::Error(ctx + ": [" + std::to_string(offset) + ", +" + std::to_string(size) +
                           ") lies outside the file of " + std::to_string(size_) + " bytes");
    }
    if (kCheckCrc && Crc32(file_ + offset, static_cast<size_t>(size)) != Le(e + entry::kCrc, 4)) {
      return Status::Error(ctx + ": CRC-32 mismatch (damaged file)");
    }
    ranges.emplace_back(offset, offset + size);
    Section* known = type == kSectionMetadata  ? &meta_
                     : type == kSectionTensors ? &tensors_
                     : type == kSectionNodes   ? &nodes_
                     : type == kSectionGraph   ? &io_
                     : type == kSectionData    ? &data_
                                               : nullptr;
    if (!known) {
      if (flags & kSectionOptional) {
        graph_.metadata.notes.push_back("skipped unknown optional .qwm section " + SectionName(type));
        continue;
      }
      return Status::Error("qwm: " + Undefined("required section type " + SectionName(type)));
    }
    if (known->present) return Status::Error(ctx + ": appears twice");
    if (type == kSectionData && offset % kDataAlignment != 0) {
      return Status::Error(ctx + ": offset " + std::to_string(offset) + " is not a multiple of " +
                           std::to_string(kDataAlignment));
    }
    *known = {true, offset, size};
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second && ranges[i].first != ranges[i].second) {
      return Status::Error("qwm: sections overlap at byte " + std::to_string(ranges[i].first));
    }
  }
  const std::pair<const Section*, uint32_t> required[] = {
      {&tensors_, kSectionTensors}, {&nodes_, kSectionNodes}, {&io_, kSectionGraph}, {&data_, kSectionData}};
  for (const auto& [section, name] : required) {
    if (!section->present) return Status::Error("qwm: required section " + SectionName(name) + " is missing");
  }
  return Status::Ok();
}

Status Reader::ReadMetadata() {
  Cursor c = Open(meta_);
  ModelMetadata& m = graph_.metadata;
  m.name = c.Str("name");
  m.description = c.Str("description");
  m.version = c.Str("version");
  m.author = c.Str("author");
  m.license = c.Str("license");
  m.producer = c.Str("producer");
  m.labels = c.Strs("labels", kMaxLabels);
  m.layout = FromId(kLayoutIds, c.U8("layout"), "input layout", &c);
  m.color = FromId(kColorIds, c.U8("colour order"), "colour order", &c);
  m.pixels_are_input = Flags(c.U8("input flags"), kInputPixelsAreInput, "input", &c) & kInputPixelsAreInput;
  c.U8("reserved");
  m.input_height = c.I32("input height");
  m.input_width = c.I32("input width");
  m.input_channels = c.I32("input channels");
  m.crop_fraction = c.F32("crop fraction");
  m.mean = c.F32s("mean", kMaxNormChannels);
  m.std = c.F32s("std", kMaxNormChannels);
  // Notes from reading this file (skipped sections) come after the stored ones.
  std::vector<std::string> notes = c.Strs("notes", kMaxNotes);
  notes.insert(notes.end(), m.notes.begin(), m.notes.end());
  m.notes = std::move(notes);
  c.Finish(newer_);
  QW_RETURN_IF_ERROR(c.status().With("qwm: section META"));
  return CheckMetadata(m).With("qwm: section META");
}

Status Reader::FinishTensor(const std::string& ctx, uint32_t flags, uint64_t offset, uint64_t size, Tensor* t) {
  t->was_uint8 = flags & kTensorWasUint8;
  if (flags & kTensorConstant) {
    if (offset > data_.size || size > data_.size - offset) {
      return Status::Error(ctx + ": data [" + std::to_string(offset) + ", +" + std::to_string(size) +
                           ") lies outside the DATA section of " + std::to_string(data_.size) + " bytes");
    }
    if ((data_.offset + offset) % kConstantAlignment != 0) {
      return Status::Error(ctx + ": data at file offset " + std::to_string(data_.offset + offset) +
                           " is not aligned to " + std::to_string(kConstantAlignment) + " bytes");
    }
    t->data = file_ + data_.offset + offset;
    t->data_bytes = static_cast<size_t>(size);
  } else if (offset != 0 || size != 0) {
    return Status::Error(ctx + ": a tensor without data has a data reference");
  }
  return CheckTensor(*t).With(ctx);
}

// TENS (docs/model-format.md): records whose names share a prefix with the
// previous record's, varint integers, zero points stored only when not all
// zero, scales listed (float32 or float16) or derived from two other
// tensors' (resolved once every record is read), the data size implied by
// the shape, int32 / int64 constants possibly in the record.
Status Reader::ReadTensors() {
  const std::string where = "qwm: section TENS";
  Cursor c = Open(tensors_);
  const uint32_t count = c.VCount("tensor count", kMinTensorRecord, kMaxTensors);
  QW_RETURN_IF_ERROR(c.status().With(where));
  graph_.tensors.resize(count);
  std::vector<std::pair<uint32_t, uint32_t>> derived(count, {UINT32_MAX, UINT32_MAX});
  std::vector<uint32_t> flags_of(count, 0);
  std::vector<uint64_t> offset_of(count, 0), size_of(count, 0);
  uint32_t quant_params = 0;  // over all tensors, at most kMaxQuantParams
  for (uint32_t i = 0; i < count; ++i) {
    std::string ctx = where + ", tensor " + std::to_string(i);
    Cursor r = c.Record("tensor record");
    QW_RETURN_IF_ERROR(c.status().With(ctx));
    Tensor& t = graph_.tensors[i];
    const std::string previous = i > 0 ? graph_.tensors[i - 1].name : std::string();
    const uint8_t shared = r.U8("shared name prefix");
    if (shared > previous.size()) {
      r.Fail("shared name prefix " + std::to_string(shared) + " is longer than the previous name (" +
             std::to_string(previous.size()) + " bytes)");
    }
    const std::string suffix = r.VStr("name");
    if (r.ok()) t.name = previous.substr(0, shared) + suffix;
    t.dtype = FromId(kDTypeIds, r.U8("dtype"), "dtype", &r);
    const uint32_t flags = Flags(r.U8("flags"),
                                 kTensorWasUint8 | kTensorConstant | kTensorZeroPointMask | kTensorScalesDerived |
                                     kTensorScalesFp16 | kTensorDataInline,
                                 "tensor", &r);
    const bool fp16 = flags & kTensorScalesFp16, in_record = flags & kTensorDataInline;
    const uint32_t zero_points = (flags & kTensorZeroPointMask) >> kTensorZeroPointShift;
    if (zero_points > kZeroPointsListed) r.Fail("zero-point form " + std::to_string(zero_points) + " is not defined");
    const uint8_t rank = r.U8("rank");
    if (rank > kMaxRank) r.Fail("rank " + std::to_string(rank) + " is over the limit of " + std::to_string(kMaxRank));
    t.shape.resize(r.ok() ? rank : 0);
    for (int32_t& d : t.shape) d = static_cast<int32_t>(r.V32("shape"));
    const bool is_derived = flags & kTensorScalesDerived;
    // Scales: 4 bytes each when listed; zero points: at least one byte each when listed.
    if (fp16 && is_derived) r.Fail("scales both derived and float16");
    // Derived scales and shared zero points take no bytes per parameter, so
    // the bytes left do not bound them: per-channel parameters belong to
    // constants (one per channel of data that is in the file), and the file
    // as a whole holds at most kMaxQuantParams.
    uint32_t nq = r.VCount("quantization parameter count",
                           (is_derived ? 0 : fp16 ? 2 : 4) + (zero_points == kZeroPointsListed ? 1 : 0),
                           kMaxQuantParams - quant_params);
    if (nq > 1 && !(flags & kTensorConstant)) {
      r.Fail(std::to_string(nq) + " quantization parameters on a tensor that is not a constant (one is allowed)");
      nq = 0;  // the record is parsed on to its end: nothing may be sized by a refused count
    } else if (nq > 1 && nq / 2 > size_) {
      r.Fail(std::to_string(nq) + " quantization parameters, more channels than the file has bytes");
      nq = 0;
    }
    quant_params += nq;
    t.quant.axis = static_cast<int32_t>(r.V32("quantization axis"));
    if (nq == 0 && (is_derived || fp16 || zero_points != kZeroPointsZero)) {
      r.Fail("a tensor without quantization has derived or float16 scales or zero points");
    }
    t.quant.scale.assign(nq, 1.0f);  // derived: placeholders until resolved
    if (is_derived) {
      derived[i].first = r.V32("scale source");
      derived[i].second = r.V32("scale source");
    } else if (fp16) {
      // Positive normal halves only: the writer stores a scale as float16
      // only when it is one exactly, so anything else is damage.
      for (float& s : t.quant.scale) {
        const uint16_t h = r.U16("scale");
        const uint16_t exponent = (h >> 10) & 0x1F;
        if (r.ok() && ((h & 0x8000) || exponent == 0 || exponent == 0x1F)) {
          r.Fail("float16 scale 0x" + Hex(h) + " is not a positive normal number");
        }
        s = Fp16ToFp32(h);
      }
    } else {
      for (float& s : t.quant.scale) s = r.F32("scale");
    }
    t.quant.zero_point.assign(nq, 0);
    if (zero_points == kZeroPointsShared) {
      const int32_t z = r.Z("zero point");
      for (int32_t& x : t.quant.zero_point) x = z;
    } else if (zero_points == kZeroPointsListed) {
      for (int32_t& x : t.quant.zero_point) x = r.Z("zero point");
    }
    if (in_record && (!(flags & kTensorConstant) || (t.dtype != DType::kInt32 && t.dtype != DType::kInt64))) {
      r.Fail("only int32 and int64 constants can hold their values in the record");
    }
    // The constant's values in the record: one zigzag varint each (an int32's
    // at most 2^32 - 1), widened into storage the graph owns.
    if (in_record && r.ok()) {
      int64_t elements = 1;
      for (int32_t d : t.shape) {
        // Stop at the first bad dimension: multiplying on would overflow.
        if (d < 1 || (elements *= d) > kMaxTensorElements) { elements = INT64_MAX; break; }
      }
      if (elements == INT64_MAX || static_cast<uint64_t>(elements) > r.remaining()) {
        r.Fail("shape " + ShapeString(t.shape) + " needs more values than the " + std::to_string(r.remaining()) +
               " bytes left");
      } else {
        const bool wide = t.dtype == DType::kInt64;
        std::vector<uint8_t> values(static_cast<size_t>(elements) * (wide ? 8 : 4));
        for (size_t k = 0; k < static_cast<size_t>(elements) && r.ok(); ++k) {
          const uint64_t z = r.V("value", wide ? UINT64_MAX : UINT32_MAX);
          const uint64_t v = (z >> 1) ^ (0 - (z & 1));
          for (int b = 0; b < (wide ? 8 : 4); ++b) values[k * (wide ? 8 : 4) + b] = static_cast<uint8_t>(v >> (8 * b));
        }
        if (r.ok()) {
          t.data_bytes = values.size();
          t.data = graph_.Own(std::move(values));
        }
      }
    }
    const uint64_t offset = flags & kTensorConstant && !in_record ? r.V("data offset", UINT64_MAX) : 0;
    if (const int entries = CodebookEntries(t.dtype)) {
      const uint32_t groups = r.VCount("codebook group count", entries, kMaxCodebookGroups);
      const uint8_t* book = r.Bytes(static_cast<size_t>(groups) * entries, "codebook");
      if (book) t.codebook.assign(book, book + static_cast<size_t>(groups) * entries);
    }
    r.Finish(newer_);
    if (r.ok()) ctx += QuotedName(t.name);
    QW_RETURN_IF_ERROR(r.status().With(ctx));
    // A constant held in the record has its data already: from here on it
    // is checked as a tensor without a data reference in DATA.
    flags_of[i] = in_record ? flags & ~kTensorConstant : flags;
    offset_of[i] = offset;
    if (flags_of[i] & kTensorConstant) {
      // The data size follows from the shape (CheckTensor repeats this check).
      int64_t elements = 1;
      for (int32_t d : t.shape) {
        if (d < 1 || (elements *= d) > kMaxTensorElements) {
          return Status::Error(ctx + ": shape " + ShapeString(t.shape) + " has a dimension < 1 or over " +
                               std::to_string(kMaxTensorElements) + " elements");
        }
      }
      size_of[i] = DTypeBytes(t.dtype, static_cast<size_t>(elements));
    }
    if (!is_derived) {
      QW_RETURN_IF_ERROR(FinishTensor(ctx, flags_of[i], offset, size_of[i], &t));
    }
  }
  c.Finish(newer_);
  QW_RETURN_IF_ERROR(c.status().With(where));
  // Derived scales: scale[c] = float(scale_a[c or 0] x scale_b[c or 0]),
  // the product taken in double (exact for two floats), from two other
  // tensors whose scales are listed, each one scale or one per channel.
  for (uint32_t i = 0; i < count; ++i) {
    if (derived[i].first == UINT32_MAX) continue;
    Tensor& t = graph_.tensors[i];
    const std::string ctx = where + ", tensor " + std::to_string(i) + QuotedName(t.name);
    const size_t nq = t.quant.scale.size();
    for (uint32_t src : {derived[i].first, derived[i].second}) {
      if (src >= count || src == i || derived[src].first != UINT32_MAX) {
        return Status::Error(ctx + ": scales derived from tensor " + std::to_string(src) +
                             ", which is not another tensor with listed scales");
      }
      const size_t ns = graph_.tensors[src].quant.scale.size();
      if (ns != 1 && ns != nq) {
        return Status::Error(ctx + ": " + std::to_string(nq) + " scales derived from tensor " + std::to_string(src) +
                             ", which has " + std::to_string(ns));
      }
    }
    const std::vector<float>& sa = graph_.tensors[derived[i].first].quant.scale;
    const std::vector<float>& sb = graph_.tensors[derived[i].second].quant.scale;
    for (size_t k = 0; k < nq; ++k) {
      t.quant.scale[k] = static_cast<float>(double{sa[sa.size() == 1 ? 0 : k]} * sb[sb.size() == 1 ? 0 : k]);
    }
    QW_RETURN_IF_ERROR(FinishTensor(ctx, flags_of[i], offset_of[i], size_of[i], &t));
  }
  return Status::Ok();
}

// NODE (docs/model-format.md): varint ids and indices, and a field mask
// naming the attributes stored (the others keep OpAttrs' defaults) and
// whether the name is stored (else it is the first output's).
Status Reader::ReadNodes() {
  Cursor c = Open(nodes_);
  const uint32_t count = c.VCount("node count", kMinNodeRecord, kMaxNodes);
  QW_RETURN_IF_ERROR(c.status().With("qwm: section NODE"));
  graph_.nodes.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string ctx = "qwm: section NODE, node " + std::to_string(i);
    Cursor r = c.Record("node record");
    QW_RETURN_IF_ERROR(c.status().With(ctx));
    Node& n = graph_.nodes[i];
    OpAttrs& a = n.attrs;
    n.op = OpFromId(r.V32("op"), &r);
    a.padding = FromId(kPaddingIds, r.U8("padding"), "padding", &r);
    a.activation = FromId(kActivationIds, r.U8("activation"), "activation", &r);
    const uint32_t mask = Flags(r.V32("field mask"), nf::kAll, "node field", &r);
    if (mask & nf::kName) n.name = r.VStr("name");
    n.inputs.resize(r.VCount("input count", 1, kMaxNodeTensors));
    for (int32_t& id : n.inputs) id = static_cast<int32_t>(r.V("input", kMaxTensors)) - 1;  // 0: absent
    n.outputs.resize(r.VCount("output count", 1, kMaxNodeTensors));
    for (int32_t& id : n.outputs) id = static_cast<int32_t>(r.V("output", kMaxTensors - 1));
    if (!(mask & nf::kName) && r.ok()) {
      if (n.outputs.empty()) {
        r.Fail("the name is not stored, and there is no output to take it from");
      } else if (static_cast<size_t>(n.outputs[0]) < graph_.tensors.size()) {
        n.name = graph_.tensors[n.outputs[0]].name;
      }  // else CheckNode reports the index
    }
    if (mask & nf::kPads) {
      for (int32_t& p : a.pads) p = r.Z("pads");
    }
    int* const ints[8] = {&a.stride_h, &a.stride_w, &a.dilation_h, &a.dilation_w,
                          &a.filter_h, &a.filter_w, &a.depth_multiplier, &a.axis};
    for (int k = 0; k < 8; ++k) {
      if (mask & 1u << (nf::kFirstInt + k)) *ints[k] = r.Z("attribute");
    }
    float* const floats[6] = {&a.beta, &a.pad_value, &a.clamp_min, &a.clamp_max, &a.hard_alpha, &a.hard_beta};
    for (int k = 0; k < 6; ++k) {
      if (mask & 1u << (nf::kFirstFloat + k)) *floats[k] = r.F32("attribute");
    }
    const std::pair<uint32_t, std::pair<std::vector<int32_t>*, uint32_t>> lists[] = {
        {nf::kPerm, {&a.perm, kMaxRank}}, {nf::kPaddings, {&a.paddings, 2 * kMaxRank}}};
    for (const auto& [bit, list] : lists) {
      if (!(mask & bit)) continue;
      list.first->resize(r.VCount(bit == nf::kPerm ? "perm count" : "paddings count", 1, list.second));
      for (int32_t& v : *list.first) v = r.Z("attribute");
    }
    a.keep_dims = mask & nf::kKeepDims;
    a.count_include_pad = mask & nf::kCountIncludePad;
    a.onnx_numerics = mask & nf::kOnnxNumerics;
    a.tflite_numerics = mask & nf::kTfliteNumerics;
    r.Finish(newer_);
    if (r.ok()) ctx += QuotedName(n.name) + " (" + OpTypeName(n.op) + ")";
    QW_RETURN_IF_ERROR(r.status().With(ctx));
    QW_RETURN_IF_ERROR(CheckNode(n, graph_.tensors.size()).With(ctx));
  }
  c.Finish(newer_);
  return c.status().With("qwm: section NODE");
}

Status Reader::ReadGraphIO() {
  Cursor c = Open(io_);
  graph_.inputs = c.I32s("inputs", kMaxNodeTensors);
  graph_.outputs = c.I32s("outputs", kMaxNodeTensors);
  c.Finish(newer_);
  QW_RETURN_IF_ERROR(c.status().With("qwm: section GRPH"));
  const std::pair<const std::vector<int32_t>*, const char*> lists[] = {{&graph_.inputs, "input"},
                                                                       {&graph_.outputs, "output"}};
  for (const auto& [ids, what] : lists) {
    for (int32_t id : *ids) {
      if (id < 0 || static_cast<size_t>(id) >= graph_.tensors.size()) {
        return Status::Error(std::string("qwm: section GRPH: graph ") + what + " index " + std::to_string(id) +
                             " out of range (" + std::to_string(graph_.tensors.size()) + " tensors)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Graph> ReadQwm(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (!bytes) return Status::Error("qwm: no bytes");
  return Reader(std::move(bytes)).Read();
}

}  // namespace qwasm
