// fuse.h — operator fusion, done by the interpreter on its own graph after
// validation and before preparation; model files keep every node as written
// (the .qwm writer refuses a fused graph).
//
// A per-channel CLAMP (the bound input cross-layer equalization gives a
// rescaled ReLU6, ptq/equalize.h) whose input comes from a CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED is merged into that layer: the layer
// writes the clamp's output tensor and clamps each tile right after its
// kernel wrote it (OpAttrs::fused_max, graph/ops/channel_bound.h), while
// the bytes are in cache and inside the same parallel job. Unfused, the
// clamp is a second pass over memory and a second job, i.e. a thread-pool
// barrier. On one grid an int8 clamp only moves bytes (channel_clamp.cc),
// so fused outputs are exactly the unfused ones.
#pragma once

#include <cstddef>

#include "graph/graph.h"

namespace qwasm {

// Fuses every such CLAMP whose input is read by nothing else and is not a
// graph output, with one dtype and (int8) one grid on its input and output,
// and a valid bound (others stay, and their Prepare says what is wrong).
// The clamp's input tensor is then no node's: it gets no memory and holds
// no value. Returns the number of clamps fused.
size_t FuseChannelClamps(Graph* g);

}  // namespace qwasm
