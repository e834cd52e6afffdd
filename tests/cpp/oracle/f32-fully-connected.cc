// Reference float fully connected layer: out[b][n] = bias[n] + sum_k
// x[b][k] w[n][k], accumulated in float32 in k order.
#include "kernels/kernels.h"

namespace qwasm {

void f32_fully_connected__ref(const FFullyConnectedParams& p, const float* input, float* output) {
  for (int b = 0; b < p.batch; ++b) {
    const float* x = input + static_cast<size_t>(b) * p.input_size;
    for (int n = 0; n < p.output_size; ++n) {
      const float* w = p.filter + static_cast<size_t>(n) * p.input_size;
      float acc = p.bias ? p.bias[n] : 0.0f;
      for (int k = 0; k < p.input_size; ++k) acc += x[k] * w[k];
      output[static_cast<size_t>(b) * p.output_size + n] = p.output.Apply(acc);
    }
  }
}

}  // namespace qwasm
