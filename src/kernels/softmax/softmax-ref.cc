// Reference quantized softmax over the last axis.
//
// Like TFLite's optimized uint8/int8 softmax, it works from a 256-entry float
// table of exp(-beta * scale_in * d), d = max(row) - x, so it never overflows
// and depends only on differences of quantized inputs. The normaliser is
// summed in index order (fixed order = reproducible), then each probability
// p = table[d] / sum is mapped to the output grid (softmax-common.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/kernels.h"
#include "kernels/softmax/softmax-common.h"

namespace qwasm {

void BuildSoftmaxExpTable(float beta, float input_scale, float table[256]) {
  const double k = -static_cast<double>(beta) * input_scale;
  for (int d = 0; d < 256; ++d) table[d] = static_cast<float>(std::exp(k * d));
}

void BuildSoftmaxExpTableOnnx(float input_scale, int cols, float table[256]) {
  // As ORT's QlinearBuildLookupTableUint32, operation for operation: its
  // entry i = 255 - d is exp((i - 255 + shift) * scale), in double.
  // ORT's log(FLT_MAX / cols) has a float argument, so it is logf there.
  const float headroom = std::numeric_limits<float>::max() / static_cast<float>(cols);
  const double shift = std::max(0.0, static_cast<double>(std::log(headroom)) - 5.0) / input_scale;
  for (int d = 0; d < 256; ++d) {
    const double i = 255 - d;
    table[d] = static_cast<float>(std::exp((i - 255 + shift) * static_cast<double>(input_scale)));
  }
}

void qs8_softmax__ref(const QSoftmaxParams& p, const int8_t* input, int8_t* output) {
  for (int r = 0; r < p.rows; ++r) {
    const int8_t* x = input + static_cast<size_t>(r) * p.cols;
    int8_t* y = output + static_cast<size_t>(r) * p.cols;
    int32_t max = x[0];
    for (int i = 1; i < p.cols; ++i) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < p.cols; ++i) sum += p.exp_table[max - x[i]];
    const SoftmaxRowQuantizer quantize(p, sum);
    for (int i = 0; i < p.cols; ++i) y[i] = quantize(max - x[i]);
  }
}

}  // namespace qwasm
