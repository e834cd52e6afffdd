// tflite_reader.h — TensorFlow Lite flatbuffer -> qwasm Graph.
//
// Reads subgraph 0 of a TFLite model (schema version 3), validating every
// offset and size with fb::Table. The builtins it maps onto graph operators
// are listed in tflite_ops.h (fused NONE/RELU/RELU_N1_TO_1/RELU6). A model
// with any other operator fails before its tensors are read, with one
// message naming every operator it lacks (each once, with its first node):
//   tflite: this model needs 2 operators qwasm does not support:
//   CUSTOM 'throw_error' (node 0), TANH (40 nodes, first node 3 'act/out')
// uint8 tensors become int8 (graph.h explains the shift).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"

namespace qwasm::tflite {

// True when the bytes carry TFLite's file identifier "TFL3".
bool LooksLikeTFLite(const uint8_t* data, size_t size);

// The returned graph keeps `bytes` alive and points into it.
Result<std::unique_ptr<Graph>> ReadModel(std::shared_ptr<const std::vector<uint8_t>> bytes);

std::string BuiltinName(int32_t code);

}  // namespace qwasm::tflite
