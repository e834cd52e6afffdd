// packed_weights.h — the int8 weights a low-bit weight tensor (kInt4,
// kLut4, kLut8; core/dtype.h) stands for. Operators call it once at
// prepare, then pack the result exactly like stored int8 weights, so such a
// layer computes exactly what the int8 layer with these weights computes.
// Only int8 values are materialised, never floats.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "kernels/config.h"

namespace qwasm {

// Expands with the table's qs8_expand_lut4 / lut8 (every variant gives the
// same bytes). The tensor must have passed CheckPackedWeights.
std::vector<int8_t> ExpandWeights(const Tensor& t, const KernelConfig& kernels);

}  // namespace qwasm
