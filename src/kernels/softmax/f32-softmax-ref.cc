// Reference float softmax over the last axis: subtracting the row max keeps
// exp in range (the largest term is exp(0) = 1, so the sum is >= 1).
#include <cmath>

#include "kernels/kernels.h"

namespace qwasm {

void f32_softmax__ref(const FSoftmaxParams& p, size_t row_begin, size_t row_end, const float* input,
                      float* output) {
  for (size_t r = row_begin; r < row_end; ++r) {
    const float* x = input + r * p.cols;
    float* y = output + r * p.cols;
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
