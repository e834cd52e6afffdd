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

// Format 2.0 (the minor: the highest `since_minor` of the ids the graph uses).
Result<std::vector<uint8_t>> WriteQwm(const Graph& graph);

}  // namespace qwasm
