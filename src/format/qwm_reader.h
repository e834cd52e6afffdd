// qwm_reader.h — qwasm model file (.qwm) -> Graph, docs/model-format.md.
//
// Every count, offset and size is checked against the bytes that remain and
// against fixed limits before it is used or allocated; header, section table
// and sections carry CRC-32s. Errors say what is wrong and where, e.g.
//   "qwm: section NODE, node 4 'conv' (CONV_2D): input index 99 out of range (31 tensors)".
// Constant tensors point straight into `bytes` (16-byte aligned from the
// file start), which the graph keeps alive through Graph::source: no copy;
// only int32 / int64 constants stored in their records as varints are
// widened into storage the graph owns. Files of format 1.x are refused with
// a message saying how to make a current one.
// The graph's semantics (shapes, op arity, ...) are then checked as for any
// reader by the Interpreter (graph/validate.h, graph/op.h).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"

namespace qwasm {

Result<Graph> ReadQwm(std::shared_ptr<const std::vector<uint8_t>> bytes);

}  // namespace qwasm
