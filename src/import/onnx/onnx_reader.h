// onnx_reader.h — ONNX (protobuf) -> qwasm Graph.
//
// Reads the main graph of an ONNX model, default domain, opsets 7..18, and
// builds the IR in NHWC layout:
//   FP32 models become float32 graphs (weights transposed at import, Conv +
//   BatchNormalization + Relu/Clip folded);
//   QDQ models (QuantizeLinear / DequantizeLinear around each operator)
//   become int8 graphs: DequantizeLinear of constant weights gives int8
//   constants (uint8 shifted to int8 as graph.h describes), and an operator
//   whose activation inputs are dequantized and whose only consumer is a
//   QuantizeLinear runs in int8 with that output quantization.
// Supported operators: Conv, Gemm, MatMul, BatchNormalization, Relu, Clip,
// HardSwish, HardSigmoid, Sigmoid, Mul, Add, GlobalAveragePool, AveragePool,
// MaxPool, Flatten, Reshape, Transpose, Concat, Pad, Softmax,
// QuantizeLinear, DequantizeLinear, Identity, Dropout, Constant. Anything
// else is an error naming the node, e.g.
//   "onnx: node 7 'foo' (LSTM): operator LSTM is not supported".
// Layout: onnx_layout.h. Shapes are inferred from the graph inputs; the
// file's value_info is not trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"

namespace qwasm::onnx {

// True when the bytes start like an ONNX ModelProto: field 1 (ir_version)
// as a small varint. A hint for format detection, not a validation.
inline bool LooksLikeOnnx(const uint8_t* data, size_t size) {
  // ir_version (field 1, varint) comes first in files written by protobuf.
  return size >= 2 && data[0] == 0x08 && data[1] >= 1 && data[1] <= 0x7F;
}

// The returned graph keeps `bytes` alive. metadata.producer is "onnx";
// metadata.notes records layout decisions (e.g. an NCHW input made NHWC).
Result<std::unique_ptr<Graph>> ReadOnnx(std::shared_ptr<const std::vector<uint8_t>> bytes);

}  // namespace qwasm::onnx
