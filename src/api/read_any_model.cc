// read_any_model.cc — ReadAnyModel: every format the converter reads. In its
// own file so that the runtime module, which never calls it, links no ONNX
// code.
#include "api/model.h"
#include "import/onnx/onnx_reader.h"

namespace qwasm {

Result<std::unique_ptr<Graph>> ReadAnyModel(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (bytes && DetectModelFormat(bytes->data(), bytes->size()) == ModelFormat::kOnnx) {
    return onnx::ReadOnnx(bytes);
  }
  return ReadModelGraph(std::move(bytes));
}

}  // namespace qwasm
