// unaligned.h — reads a value from bytes at any address (model buffers and
// packed weights are not aligned for their element type; a plain cast
// would be undefined behaviour). Compilers turn the memcpy into one load.
#pragma once

#include <cstdint>
#include <cstring>

namespace qwasm {

template <typename T>
inline T LoadUnaligned(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace qwasm
