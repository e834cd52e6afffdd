// Reference quantized softmax over the last axis.
//
// Like TFLite's optimized uint8/int8 softmax, it works from a 256-entry float
// table of exp(-beta * scale_in * d), d = max(row) - x, so it never overflows
// and depends only on differences of quantized inputs. The normaliser is
// summed in index order (fixed order = reproducible), then each probability
// p = table[d] / sum is mapped to the output grid (softmax-common.h).
#include "kernels/kernels.h"
#include "kernels/softmax/softmax-common.h"

namespace qwasm {

void qs8_softmax__ref(const QSoftmaxParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                      int8_t* output) {
  for (size_t r = row_begin; r < row_end; ++r) {
    const int8_t* x = input + r * p.cols;
    int8_t* y = output + r * p.cols;
    int32_t max = x[0];
    for (int i = 1; i < p.cols; ++i) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < p.cols; ++i) sum += p.exp_table[max - x[i]];
    const SoftmaxRowQuantizer quantize(p, sum);
    for (int i = 0; i < p.cols; ++i) y[i] = quantize(max - x[i]);
  }
}

}  // namespace qwasm
