// fuzz_onnx.cc — libFuzzer target: ONNX bytes -> ReadAnyModel (the
// converter's entry: format detection, ONNX protobuf reader, folding, layout)
// -> Model::FromGraph (graph validation, memory plan).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(data, data + size);
  auto graph = qwasm::ReadAnyModel(bytes);
  if (!graph.ok()) return 0;
  auto model = qwasm::Model::FromGraph(graph.take());
  (void)model;
  return 0;
}
