// dtype.h — element types the core understands.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qwasm {

// kFloat16: storage only (weights of float layers), IEEE binary16.
// kInt4, kLut4, kLut8: storage only, for the constant weights of CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED; operators expand them to int8 when
// they pack their weights (graph/ops/packed_weights.h).
//   kInt4: symmetric 4-bit values -8..7, two per byte;
//   kLut4: 4-bit indices into 16-entry int8 codebooks, two per byte;
//   kLut8: 8-bit indices into 256-entry int8 codebooks (Tensor::codebook).
// Nibble order: element 2i is the low nibble of byte i, element 2i + 1 the
// high nibble; an odd count leaves the last high nibble 0.
enum class DType : uint8_t { kFloat32, kInt32, kInt8, kUInt8, kInt64, kFloat16, kInt4, kLut4, kLut8 };

inline size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kInt32: return 4;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kInt64: return 8;
    case DType::kFloat16: return 2;
    case DType::kLut8: return 1;
    case DType::kInt4:  // half a byte: use DTypeBytes
    case DType::kLut4: return 0;
  }
  return 0;
}

inline bool IsNibbleDType(DType t) { return t == DType::kInt4 || t == DType::kLut4; }
// Codebook entries per group of a codebook dtype; 0 for the others.
inline int CodebookEntries(DType t) { return t == DType::kLut4 ? 16 : t == DType::kLut8 ? 256 : 0; }
// Weight storage that operators expand to int8 before packing.
inline bool IsPackedWeightDType(DType t) { return t == DType::kInt4 || t == DType::kLut4 || t == DType::kLut8; }

// Bytes that `elements` values of type t occupy.
inline size_t DTypeBytes(DType t, size_t elements) {
  return IsNibbleDType(t) ? (elements + 1) / 2 : elements * DTypeSize(t);
}

inline const char* DTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kInt64: return "int64";
    case DType::kFloat16: return "float16";
    case DType::kInt4: return "int4";
    case DType::kLut4: return "lut4";
    case DType::kLut8: return "lut8";
  }
  return "?";
}

}  // namespace qwasm
