#include "graph/ops/float_common.h"

#include <cstring>

#include "graph/ops/conv_common.h"
#include "quant/float16.h"

namespace qwasm {

Status RequireF32(const OpContext& c, const Tensor& t, const char* role) {
  QW_RETURN_IF_ERROR(c.RequireDType(t, DType::kFloat32, role));
  if (t.quant.quantized()) return c.Error(std::string(role) + " '" + t.name + "' is float32 with quantization parameters");
  return Status::Ok();
}

Result<std::vector<float>> ReadFloatConstant(const OpContext& c, const Tensor& t, const char* role) {
  QW_RETURN_IF_ERROR(c.RequireConstant(t, role));
  // data_bytes == num_bytes() is checked by ValidateGraph; checked again here
  // because Prepare must never read past a constant.
  if (t.data_bytes != t.num_bytes()) return c.Error(std::string(role) + " '" + t.name + "' has the wrong byte size");
  const size_t n = static_cast<size_t>(t.num_elements());
  std::vector<float> v(n);
  if (t.dtype == DType::kFloat32) {
    std::memcpy(v.data(), t.data, n * sizeof(float));  // model buffers may be unaligned
  } else if (t.dtype == DType::kFloat16) {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      v[i] = Fp16ToFp32(h);
    }
  } else {
    return c.Error(std::string(role) + " '" + t.name + "' is " + DTypeName(t.dtype) + ", expected float32 or float16");
  }
  return v;
}

Result<std::vector<float>> ReadFloatBias(const OpContext& c, int32_t n) {
  if (!c.HasInput(2)) return std::vector<float>();
  const Tensor& bias = c.Input(2);
  if (bias.num_elements() != n) {
    return c.Error("bias '" + bias.name + "' has shape " + ShapeString(bias.shape) + ", expected " +
                   std::to_string(n) + " values");
  }
  return ReadFloatConstant(c, bias, "bias");
}

FOutput FloatActivation(Activation a) {
  FOutput o;
  switch (a) {
    case Activation::kNone: break;
    case Activation::kRelu: o.min = 0.0f; break;
    case Activation::kRelu6: o.min = 0.0f; o.max = 6.0f; break;
    case Activation::kReluN1To1: o.min = -1.0f; o.max = 1.0f; break;
  }
  return o;
}

Status CheckFloatConvTensors(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 3, 1));
  QW_RETURN_IF_ERROR(RequireF32(c, c.Input(0), "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(c.Input(0), 4, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(c.Input(1), 4, "filter"));
  QW_RETURN_IF_ERROR(RequireF32(c, c.Output(0), "output"));
  return c.RequireRank(c.Output(0), 4, "output");
}

Status PrepareFloatConv(const OpContext& c, int32_t out_c, FConvParams* p, std::vector<float>* weights,
                        std::vector<float>* bias) {
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  if (output.shape[3] != out_c) {
    return c.Error("output has " + std::to_string(output.shape[3]) + " channels, filter makes " +
                   std::to_string(out_c));
  }
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, filter.shape[1], filter.shape[2], true, &p->shape));
  Result<std::vector<float>> w = ReadFloatConstant(c, filter, "filter");
  if (!w.ok()) return w.status();
  Result<std::vector<float>> b = ReadFloatBias(c, out_c);
  if (!b.ok()) return b.status();
  *weights = w.take();
  *bias = b.take();
  p->output = FloatActivation(c.node().attrs.activation);
  return Status::Ok();
}

}  // namespace qwasm
