// RESHAPE: same bytes, new shape. The optional shape input is not consulted:
// the output tensor's shape is authoritative and must hold as many elements.
#include <cstring>

#include "graph/op_registry.h"
#include "graph/op.h"

namespace qwasm {
namespace {

class ReshapeOp final : public PreparedOp {
 public:
  ReshapeOp(size_t bytes, int32_t in, int32_t out) : bytes_(bytes), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    if (t.ptr[in_] != t.ptr[out_]) std::memcpy(t.ptr[out_], t.ptr[in_], bytes_);
  }

 private:
  size_t bytes_;
  int32_t in_, out_;
};

PrepareResult PrepareReshape(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 2, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequireNotConstant(input, "input"));
  if (input.dtype != output.dtype) return c.Error("input and output types differ");
  if (input.num_elements() != output.num_elements()) {
    return c.Error("cannot reshape " + ShapeString(input.shape) + " to " + ShapeString(output.shape));
  }
  if (input.quant.scale != output.quant.scale || input.quant.zero_point != output.quant.zero_point) {
    return c.Error("input and output quantization differ");
  }
  return std::unique_ptr<PreparedOp>(new ReshapeOp(input.num_bytes(), c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Reshape) = {OpType::kReshape, "RESHAPE", 7, 0, PrepareReshape, nullptr, QuantRule::InputGrid()};

}  // namespace qwasm
