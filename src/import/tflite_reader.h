// tflite_reader.h — TensorFlow Lite flatbuffer -> qwasm Graph.
//
// Reads subgraph 0 of a TFLite model (schema version 3), validating every
// offset and size with fb::Table. Supported operators: CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, AVERAGE_POOL_2D, MEAN, RESHAPE,
// SOFTMAX, QUANTIZE, DEQUANTIZE, with fused NONE/RELU/RELU_N1_TO_1/RELU6.
// Any other operator is an error naming the operator and the node.
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
