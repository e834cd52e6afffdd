// qwm_writer.h — Graph -> qwasm model file (.qwm), docs/model-format.md.
//
// Deterministic: the same graph always gives the same bytes (no timestamps,
// padding is zero, records follow the graph's own order). The graph is
// checked first with the format's rules (qwm_format.h), so every file this
// writes is one the reader accepts.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"

namespace qwasm {

struct QwmWriteOptions {
  // Tensors in the compact TEN2 section (format 1.2: zero points that are
  // all zero and bias scales that are input scale x weight scale are not
  // stored, names share prefixes, integers are varints, constants are
  // 16-byte aligned). false: the TENS section of format 1.0 / 1.1, for
  // readers older than 1.2.
  bool compact = true;
  // With compact: the encodings of format 1.3 as well, TEN3 instead of TEN2
  // (scales that are exact in float16 stored as float16; int32 / int64
  // constants stored in the record as zigzag varints when that is smaller)
  // and NOD2 instead of NODE (varints; attributes, and the name when it is
  // the first output's, stored only when not the default). false: format
  // 1.2, for 1.2 readers.
  bool compact_1_3 = true;
};

Result<std::vector<uint8_t>> WriteQwm(const Graph& graph, const QwmWriteOptions& options = {});

}  // namespace qwasm
