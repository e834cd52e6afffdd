// Reference elementwise add of two same-shaped quantized tensors, in either
// arithmetic of QAddParams (kernels/params.h):
// * fixed point: a two-term integer dot product (exact in int32), then the
//   one Requantize of requantize.h;
// * float_rescale: ONNX's dequantize-add-quantize in float32, in ONNX
//   Runtime's order of operations.
#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_add__ref(const QAddParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                  int8_t* output) {
  if (p.float_rescale) {
    const float lo = static_cast<float>(p.output.min - p.output.zero_point);
    const float hi = static_cast<float>(p.output.max - p.output.zero_point);
    const float rzp = static_cast<float>(p.rounding_zero_point);
    for (size_t i = begin; i < end; ++i) {
      const float va = p.a_scale * static_cast<float>(a[i] - p.a_zero_point);
      const float vb = p.b_scale * static_cast<float>(b[i] - p.b_zero_point);
      const float x = std::min(std::max((va + vb) / p.output_scale, lo), hi);
      const int32_t q = static_cast<int32_t>(std::nearbyint(x + rzp)) - p.rounding_zero_point;
      output[i] = static_cast<int8_t>(q + p.output.zero_point);
    }
    return;
  }
  for (size_t i = begin; i < end; ++i) {
    const int32_t acc = p.a_multiplier * (a[i] - p.a_zero_point) + p.b_multiplier * (b[i] - p.b_zero_point);
    output[i] = static_cast<int8_t>(
        Requantize(acc, p.scale, p.output.zero_point, p.output.min, p.output.max));
  }
}

}  // namespace qwasm
