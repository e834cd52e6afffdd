// Reference average pooling. As in TFLite, the divisor counts only the window
// cells inside the image (padding is excluded). The sum of (x - zx) is exact
// in int32; the division and rescale are one float32 multiply by
// fl(scale_in / (scale_out * count)), then RoundToQuant, or TFLite's
// integer division (params.h PoolRounding).
#include "kernels/kernels.h"
#include "kernels/window.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

struct SumCount {
  int32_t sum = 0, count = 0;
};

}  // namespace

void qs8_average_pool__ref(const QPoolParams& p, size_t row_begin, size_t row_end, size_t c_begin,
                           size_t c_end, const int8_t* input, int8_t* output) {
  PoolWindows(
      p.shape, row_begin, row_end, c_begin, c_end, input, output, SumCount(),
      [&](SumCount& a, int8_t x) {
        a.sum += x - p.input_zero_point;
        ++a.count;
      },
      [&](const SumCount& a) {
        // count >= 1: prepare guarantees every window overlaps the image.
        if (p.rounding != PoolRounding::kRequantize) {
          const int32_t raw = a.sum + a.count * p.input_zero_point;
          return static_cast<int8_t>(TflitePoolAverage(p.rounding == PoolRounding::kTfliteUint8, raw, a.count,
                                                       p.output.min, p.output.max));
        }
        const float scale = static_cast<float>(p.input_over_output_scale / a.count);
        return static_cast<int8_t>(Requantize(a.sum, scale, p.output.zero_point, p.output.min, p.output.max));
      });
}

}  // namespace qwasm
