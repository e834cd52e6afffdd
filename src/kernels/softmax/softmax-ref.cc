// Reference quantized softmax over the last axis.
//
// Like TFLite's optimized uint8/int8 softmax, it works from a 256-entry float
// table of exp(-beta * scale_in * d), d = max(row) - x, so it never overflows
// and depends only on differences of quantized inputs. The normaliser is
// summed in index order (fixed order = reproducible), then each probability
// p = table[d] / sum is mapped to the output grid by RoundToQuant(p / scale_out).
#include <cmath>

#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void BuildSoftmaxExpTable(float beta, float input_scale, float table[256]) {
  const double k = -static_cast<double>(beta) * input_scale;
  for (int d = 0; d < 256; ++d) table[d] = static_cast<float>(std::exp(k * d));
}

void qs8_softmax__ref(const QSoftmaxParams& p, const int8_t* input, int8_t* output) {
  for (int r = 0; r < p.rows; ++r) {
    const int8_t* x = input + static_cast<size_t>(r) * p.cols;
    int8_t* y = output + static_cast<size_t>(r) * p.cols;
    int32_t max = x[0];
    for (int i = 1; i < p.cols; ++i) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < p.cols; ++i) sum += p.exp_table[max - x[i]];
    // sum >= 1 (the max element contributes exp(0) = 1), so this is finite.
    const float inv = 1.0f / (sum * p.output_scale);
    for (int i = 0; i < p.cols; ++i) {
      y[i] = static_cast<int8_t>(RoundToQuant(p.exp_table[max - x[i]] * inv,
                                              p.output.zero_point, p.output.min, p.output.max));
    }
  }
}

}  // namespace qwasm
