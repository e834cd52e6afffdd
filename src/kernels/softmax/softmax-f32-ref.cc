// Reference float softmax over the last axis: subtracting the row max keeps
// exp in range (the largest term is exp(0) = 1, so the sum is >= 1).
#include <cmath>

#include "kernels/kernels.h"

namespace qwasm {

void f32_softmax__ref(const FSoftmaxParams& p, const float* input, float* output) {
  for (int r = 0; r < p.rows; ++r) {
    const float* x = input + static_cast<size_t>(r) * p.cols;
    float* y = output + static_cast<size_t>(r) * p.cols;
    float max = x[0];
    for (int i = 1; i < p.cols; ++i) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < p.cols; ++i) {
      y[i] = std::exp(p.beta * (x[i] - max));
      sum += y[i];
    }
    for (int i = 0; i < p.cols; ++i) y[i] = y[i] / sum;
  }
}

}  // namespace qwasm
