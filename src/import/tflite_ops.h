// tflite_ops.h — TFLite builtin operators onto qwasm's graph operators
// (tflite_reader.cc's helper): which builtins qwasm runs, and how each one's
// options table and folded constant inputs become a Node's attributes.
//
//   CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, AVERAGE_POOL_2D,
//   MAX_POOL_2D, MEAN, SOFTMAX, CONCATENATION, TRANSPOSE, QUANTIZE,
//   DEQUANTIZE, HARD_SWISH, LOGISTIC   -> the operator of the same name
//   RESHAPE, SQUEEZE, EXPAND_DIMS      -> RESHAPE (the output shape rules)
//   PAD, PADV2                         -> PAD (PADV2's value as a real value)
//   RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 -> CLAMP
//   SLICE, STRIDED_SLICE (strides 1)   -> SLICE (+ RESHAPE for shrunk axes)
//   SPLIT, SPLIT_V                     -> one SLICE per output
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "graph/graph.h"
#include "import/flatbuffer.h"

namespace qwasm::tflite {

// The graph operator a builtin runs as; false when qwasm has none.
bool GraphOperator(int32_t builtin, OpType* op);

// Fills node->attrs from the operator table `op` (its options table) and
// folds constant inputs qwasm keeps as attributes. `node` has its inputs,
// outputs and op set; `g` holds every tensor already. Errors start with
// `label` ("tflite: node 4 'name' (MUL)").
Status ReadNodeOptions(const fb::Table& op, int32_t builtin, const Graph& g, Node* node, const std::string& label);

// Appends the node(s) a builtin becomes to g->nodes: the node itself, one
// SLICE per output of SPLIT / SPLIT_V, or STRIDED_SLICE's SLICE then a
// RESHAPE dropping its shrunk axes.
Status AppendNodes(Node node, int32_t builtin, Graph* g, const std::string& label);

}  // namespace qwasm::tflite
