// int4.h — symmetric 4-bit weights and the nibble packing shared by int4
// and 16-entry codebook indices (DType::kInt4 / kLut4, core/dtype.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qwasm {

// Packs n values 0..15 two per byte: value 2i in the low nibble of byte i,
// value 2i + 1 in the high nibble; an odd n leaves the last high nibble 0.
std::vector<uint8_t> PackNibbles(const uint8_t* values, size_t n);

// Symmetric int4 quantization of `n` float weights. Element i belongs to
// channel (i / inner) % channels (axis 0 of [O, ...]: inner = elements per
// channel; the last axis: inner = 1; per tensor: channels = 1). Scale per
// channel: of max|w| / 7 x {1.00, 0.99, ..., 0.50}, each rounded up to a
// float16 value, the one with the least squared weight error (the largest
// on ties; 1 for an all-zero channel); values round to nearest
// (ties to even) and clamp to [-7, 7]: -8 is never produced, so the grid
// stays symmetric, though readers and kernels accept it.
struct Int4Weights {
  std::vector<float> scale;     // [channels]
  std::vector<int8_t> values;   // [n], in [-7, 7]
  std::vector<uint8_t> packed;  // PackNibbles of the two's complement nibbles
};
Int4Weights QuantizeInt4(const float* w, size_t n, size_t channels, size_t inner);

}  // namespace qwasm
