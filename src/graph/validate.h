// validate.h — structural checks of a Graph before any node is prepared:
// indices in range, shapes positive and bounded, constant sizes exact,
// quantization parameters sane, every tensor produced before it is read.
// Readers call it implicitly through Interpreter::Create.
#pragma once

#include "core/status.h"
#include "graph/graph.h"

namespace qwasm {

// Bounds that keep hostile files from requesting absurd work or memory.
constexpr int64_t kMaxTensorElements = int64_t{1} << 28;
constexpr int64_t kMaxActivationBytes = int64_t{1} << 30;
constexpr size_t kMaxRank = 8;

Status ValidateGraph(const Graph& g);

// The storage rules of low-bit weights (kInt4, kLut4, kLut8), shared with
// the .qwm reader and writer: constant and quantized; a codebook exactly
// for the codebook dtypes, of 1 group or one per slice of quant.axis; an
// odd count of nibbles ends with a zero high nibble. The message has no
// location; callers prefix it. Other dtypes: an empty codebook.
Status CheckPackedWeights(const Tensor& t);

}  // namespace qwasm
