// Element copies for the SIMD data-movement kernels: bytes as they are, or
// int8 values requantized by qs8_requantize__wasmsimd (the reference's
// bytes, sixteen lanes at a time).
#include <cstring>

#include "kernels/kernels.h"

namespace qwasm {

void x_copy__wasmsimd(const ElementCopy& c, const void* src, void* dst, size_t n) {
  if (c.requant) {
    qs8_requantize__wasmsimd(*c.requant, n, static_cast<const int8_t*>(src), static_cast<int8_t*>(dst));
  } else if (n) {
    std::memcpy(dst, src, n * c.element_size);
  }
}

}  // namespace qwasm
