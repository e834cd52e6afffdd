// Reference fully connected layer: out[b][o] = requant(bias[o] +
// sum_k (x[b][k] - zx) * (w[o][k] - zw)).
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_fully_connected__ref(const QFullyConnectedParams& p, const int8_t* input,
                              int8_t* output) {
  for (int b = 0; b < p.batch; ++b) {
    const int8_t* x = input + static_cast<size_t>(b) * p.input_size;
    for (int o = 0; o < p.output_size; ++o) {
      const int8_t* w = p.filter + static_cast<size_t>(o) * p.input_size;
      int32_t acc = p.bias ? p.bias[o] : 0;
      for (int k = 0; k < p.input_size; ++k) {
        acc += (x[k] - p.input_zero_point) * (w[k] - p.filter_zero_point);
      }
      output[static_cast<size_t>(b) * p.output_size + o] = static_cast<int8_t>(
          Requantize(acc, p.scale[o], p.output.zero_point, p.output.min, p.output.max));
    }
  }
}

}  // namespace qwasm
