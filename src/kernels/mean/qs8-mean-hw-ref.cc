// Reference mean over H and W (global average pooling) with rescale:
// out[n][c] = requant(sum_hw (x - zx), scale_in / (scale_out * H * W)).
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_mean_hw__ref(const QMeanParams& p, size_t c_begin, size_t c_end, const int8_t* input,
                      int8_t* output) {
  const size_t hw = static_cast<size_t>(p.height) * p.width;
  const float scale = static_cast<float>(p.input_over_output_scale / static_cast<double>(hw));
  for (int n = 0; n < p.batch; ++n) {
    const int8_t* x = input + static_cast<size_t>(n) * hw * p.channels;
    for (size_t c = c_begin; c < c_end; ++c) {
      int32_t sum = 0;
      for (size_t i = 0; i < hw; ++i) sum += x[i * p.channels + c] - p.input_zero_point;
      output[static_cast<size_t>(n) * p.channels + c] = static_cast<int8_t>(
          Requantize(sum, scale, p.output.zero_point, p.output.min, p.output.max));
    }
  }
}

}  // namespace qwasm
