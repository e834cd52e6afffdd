// Reference float mean over H and W: sum in (h, w) order, divided by H * W.
#include "kernels/kernels.h"

namespace qwasm {

void f32_mean_hw__ref(const FMeanParams& p, size_t c_begin, size_t c_end, const float* input, float* output) {
  const size_t hw = static_cast<size_t>(p.height) * p.width;
  for (int n = 0; n < p.batch; ++n) {
    const float* x = input + static_cast<size_t>(n) * hw * p.channels;
    for (size_t c = c_begin; c < c_end; ++c) {
      float sum = 0.0f;
      for (size_t i = 0; i < hw; ++i) sum += x[i * p.channels + c];
      output[static_cast<size_t>(n) * p.channels + c] = sum / static_cast<float>(hw);
    }
  }
}

}  // namespace qwasm
