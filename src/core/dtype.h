// dtype.h — element types the core understands.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qwasm {

// kFloat16: storage only (weights of float layers), IEEE binary16.
enum class DType : uint8_t { kFloat32, kInt32, kInt8, kUInt8, kInt64, kFloat16 };

inline size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kInt32: return 4;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kInt64: return 8;
    case DType::kFloat16: return 2;
  }
  return 0;
}

inline const char* DTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kInt64: return "int64";
    case DType::kFloat16: return "float16";
  }
  return "?";
}

}  // namespace qwasm
