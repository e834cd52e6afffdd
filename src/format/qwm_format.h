// qwm_format.h — constants of the qwasm model file (.qwm), shared by the
// writer and the reader. docs/model-format.md documents every byte; keep the
// two in step.
//
// Layout: a 64-byte header, a section table, then the sections META, TENS,
// NODE, GRPH and DATA, each in one encoding. All integers are little-endian
// (fixed-size or LEB128 varints); floats are IEEE-754 bit patterns.
// Enumerations are stored as the explicit ids of the tables below, never as
// C++ enum values, so reordering an enum in the code cannot change what a
// file means.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/status.h"
#include "graph/graph.h"
#include "graph/op_registry.h"

namespace qwasm::qwm {

// PNG-style magic: the high byte catches 7-bit transfers, CR LF / LF catch
// newline translation, 0x1A stops DOS `type`.
inline constexpr uint8_t kMagic[8] = {0x89, 'Q', 'W', 'M', 0x0D, 0x0A, 0x1A, 0x0A};

// Major: incompatible change (readers reject other majors). Minor: additions
// an older reader can skip safely (optional sections, fields appended at the
// end of a record or section) or refuse clearly (new ids).
// Format 2.0 keeps one encoding per record: the compact tensor and node
// records of 1.3 (then called TEN3 and NOD2). Files of format 1.x, with
// their other encodings (TENS and TEN2 tensors, NODE nodes), are refused
// with a message saying how to make a current file.
inline constexpr uint16_t kVersionMajor = 2;
inline constexpr uint16_t kVersionMinor = 2;

inline constexpr uint32_t kHeaderSize = 64;        // bytes written; readers accept larger
inline constexpr uint32_t kSectionEntrySize = 32;  // bytes written; readers accept larger
inline constexpr uint32_t kDataAlignment = 64;     // the DATA section's offset in the file
inline constexpr uint32_t kConstantAlignment = 16;  // each constant's offset in DATA

// Header field offsets.
namespace hdr {
inline constexpr size_t kMagic = 0, kVersionMajor = 8, kVersionMinor = 10, kFlags = 12,
                        kHeaderSize = 16, kSectionCount = 20, kFileSize = 24,
                        kSectionTableOffset = 32, kSectionEntrySize = 40, kSectionTableCrc = 44,
                        kHeaderCrc = 60;
}  // namespace hdr

// Section table entry field offsets.
namespace entry {
inline constexpr size_t kType = 0, kFlags = 4, kOffset = 8, kSize = 16, kCrc = 24;
}  // namespace entry

// Section types: four ASCII characters read as a little-endian uint32, so a
// hex dump shows the name.
constexpr uint32_t FourCC(const char (&s)[5]) {
  return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
         uint32_t(uint8_t(s[3])) << 24;
}
inline constexpr uint32_t kSectionMetadata = FourCC("META");
inline constexpr uint32_t kSectionTensors = FourCC("TENS");
inline constexpr uint32_t kSectionNodes = FourCC("NODE");
inline constexpr uint32_t kSectionGraph = FourCC("GRPH");
inline constexpr uint32_t kSectionData = FourCC("DATA");
// Section flag: a reader that does not know the type may skip the section.
inline constexpr uint32_t kSectionOptional = 1;

// Tensor record flags: was uint8, constant; the zero-point form in bits
// 2..3; scales derived from two other tensors' (bit 4) or listed as float16
// (bit 5, each a positive normal half); an int32 / int64 constant's values
// in the record as zigzag varints (bit 6: no data offset, nothing in DATA).
inline constexpr uint8_t kTensorWasUint8 = 1, kTensorConstant = 2;
inline constexpr uint8_t kTensorZeroPointShift = 2, kTensorZeroPointMask = 3 << 2;
inline constexpr uint8_t kZeroPointsZero = 0, kZeroPointsShared = 1, kZeroPointsListed = 2;
inline constexpr uint8_t kTensorScalesDerived = 16;
inline constexpr uint8_t kTensorScalesFp16 = 32;
inline constexpr uint8_t kTensorDataInline = 64;
// Node record field mask: which fields follow the output list (in bit
// order); an absent field has the OpAttrs default (the name: the first
// output's name).
namespace nf {
inline constexpr uint32_t kName = 1u << 0, kPads = 1u << 1, kStrideH = 1u << 2;  // 2..9: the 8 ints
inline constexpr int kFirstInt = 2, kFirstFloat = 10;                            // 10..15: the 6 floats
inline constexpr uint32_t kPerm = 1u << 16, kPaddings = 1u << 17, kKeepDims = 1u << 18,
                          kCountIncludePad = 1u << 19, kOnnxNumerics = 1u << 20,
                          kTfliteNumerics = 1u << 21;  // since 2.2
inline constexpr uint32_t kAll = (1u << 22) - 1;
}  // namespace nf
// Metadata input flags.
inline constexpr uint8_t kInputPixelsAreInput = 1;

// Limits checked before anything is allocated (hostile files).
inline constexpr uint32_t kMaxSections = 64;
inline constexpr uint32_t kMaxTensors = 1u << 20;
inline constexpr uint32_t kMaxNodes = 1u << 20;
inline constexpr uint32_t kMaxNodeTensors = 1u << 16;  // inputs or outputs of one node
inline constexpr uint32_t kMaxStringBytes = 1u << 20;
inline constexpr uint32_t kMaxLabels = 1u << 20;
inline constexpr uint32_t kMaxNotes = 1u << 10;
inline constexpr uint32_t kMaxQuantParams = 1u << 24;
inline constexpr uint32_t kMaxNormChannels = 4;
inline constexpr uint32_t kMaxCodebookGroups = 1u << 20;

// One row of an id table: an enum value, its number in files, and the format
// minor version (of the current major) that introduced it. Writers stamp the
// file with the highest minor any used id needs, so older readers can still
// open files that use no newer feature.
template <typename E>
struct IdEntry {
  E value;
  uint16_t id;
  uint16_t since_minor;
  const char* name;
};

// Operator ids are the OpDefs' file_id (graph/op_registry.h), all since 2.0.


inline constexpr IdEntry<DType> kDTypeIds[] = {
    {DType::kFloat32, 1, 0, "float32"}, {DType::kFloat16, 2, 0, "float16"},
    {DType::kInt32, 3, 0, "int32"},     {DType::kInt64, 4, 0, "int64"},
    {DType::kInt8, 5, 0, "int8"},       {DType::kUInt8, 6, 0, "uint8"},
    {DType::kInt4, 7, 0, "int4"},       {DType::kLut4, 8, 0, "lut4"},
    {DType::kLut8, 9, 0, "lut8"},
};

inline constexpr IdEntry<Padding> kPaddingIds[] = {
    {Padding::kSame, 1, 0, "SAME"}, {Padding::kValid, 2, 0, "VALID"}, {Padding::kExplicit, 3, 0, "EXPLICIT"}};

inline constexpr IdEntry<Activation> kActivationIds[] = {
    {Activation::kNone, 0, 0, "NONE"}, {Activation::kRelu, 1, 0, "RELU"},
    {Activation::kReluN1To1, 2, 0, "RELU_N1_TO_1"}, {Activation::kRelu6, 3, 0, "RELU6"}};

inline constexpr IdEntry<InputLayout> kLayoutIds[] = {
    {InputLayout::kUnknown, 0, 0, "unknown"}, {InputLayout::kNHWC, 1, 0, "NHWC"}, {InputLayout::kNCHW, 2, 0, "NCHW"}};

inline constexpr IdEntry<ColorOrder> kColorIds[] = {
    {ColorOrder::kUnknown, 0, 0, "unknown"}, {ColorOrder::kRGB, 1, 0, "RGB"},
    {ColorOrder::kBGR, 2, 0, "BGR"}, {ColorOrder::kGray, 3, 0, "GRAY"}};

template <typename E, size_t N>
constexpr const IdEntry<E>* FindById(const IdEntry<E> (&table)[N], uint32_t id) {
  for (const IdEntry<E>& e : table) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

template <typename E, size_t N>
constexpr const IdEntry<E>* FindByValue(const IdEntry<E> (&table)[N], E value) {
  for (const IdEntry<E>& e : table) {
    if (e.value == value) return &e;
  }
  return nullptr;
}

// "META" etc. for messages; "0x12345678" for unknown types.
std::string SectionName(uint32_t type);

// What a .qwm file may hold, checked by the writer before writing and by the
// reader after parsing each record, so the writer never produces a file its
// reader rejects. Messages carry no location; callers prefix it.
Status CheckString(const std::string& s);  // length limit and valid UTF-8
Status CheckTensor(const Tensor& t);
Status CheckAttrs(const OpAttrs& a);
Status CheckNode(const Node& n, size_t num_tensors);  // includes CheckAttrs
Status CheckMetadata(const ModelMetadata& m);

// " 'name'" for messages, or "" when the name is not valid UTF-8 (which must
// not leak into a message that ends up as a JS string).
std::string QuotedName(const std::string& name);
// A float for messages ("%g").
std::string FloatString(float v);

// True when the bytes start like a .qwm file: the whole magic, or for files
// shorter than it a prefix of it (so a truncated file gets the .qwm reader's
// precise error rather than "unknown format").
bool LooksLikeQwm(const uint8_t* data, size_t size);

}  // namespace qwasm::qwm
