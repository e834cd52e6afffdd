// Oracles of the softmax families, from the definitions in params.h.
#include <cmath>
#include <cstdint>

#include "oracle/oracle.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_softmax__oracle(const QSoftmaxParams& p, const int8_t* input, int8_t* output) {
  const QOutput& o = p.output;
  for (int r = 0; r < p.rows; ++r) {
    const int8_t* x = input + static_cast<size_t>(r) * p.cols;
    int8_t* y = output + static_cast<size_t>(r) * p.cols;
    int max = -128;
    for (int i = 0; i < p.cols; ++i) max = x[i] > max ? x[i] : max;
    // The normaliser: table entries of the distances max - x, in index order.
    float sum = 0.0f;
    for (int i = 0; i < p.cols; ++i) sum += p.exp_table[max - x[i]];
    for (int i = 0; i < p.cols; ++i) {
      const float e = p.exp_table[max - x[i]];
      // TFLite: e * (1 / (sum * scale)); ONNX Runtime: (e * floor(1 / scale)) / sum.
      const float v = p.onnx_numerics ? e * std::floor(1.0f / p.output_scale) / sum
                                      : e * (1.0f / (sum * p.output_scale));
      y[i] = static_cast<int8_t>(RoundToQuant(v, o.zero_point, o.min, o.max));
    }
  }
}

void f32_softmax__oracle(const FSoftmaxParams& p, const float* input, float* output) {
  for (int r = 0; r < p.rows; ++r) {
    const float* x = input + static_cast<size_t>(r) * p.cols;
    float* y = output + static_cast<size_t>(r) * p.cols;
    float max = x[0];
    for (int i = 1; i < p.cols; ++i) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < p.cols; ++i) sum += std::exp(p.beta * (x[i] - max));
    for (int i = 0; i < p.cols; ++i) y[i] = std::exp(p.beta * (x[i] - max)) / sum;
  }
}

}  // namespace qwasm
