// weight-expand.h — expanding stored low-bit weights (DType::kInt4, kLut4,
// kLut8, core/dtype.h) to the int8 weights they stand for, once, when an
// operator packs its weights. The __wasmsimd variants are byte-identical to
// the __ref ones; they read only the bytes that hold the n elements.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qwasm {

// out[i] = table[nibble first + i] for i < n, nibbles packed two per byte,
// element 2j in the low nibble of byte j (kLut4; kInt4 with kInt4Table).
void qs8_expand_lut4__ref(const uint8_t* packed, size_t first, size_t n, const int8_t table[16], int8_t* out);
void qs8_expand_lut4__wasmsimd(const uint8_t* packed, size_t first, size_t n, const int8_t table[16],
                               int8_t* out);
// out[i] = table[index[i]] for i < n (kLut8).
void qs8_expand_lut8__ref(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out);
void qs8_expand_lut8__wasmsimd(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out);

// int4 is a 16-entry table lookup too: the two's complement of each nibble.
inline constexpr int8_t kInt4Table[16] = {0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1};

}  // namespace qwasm
