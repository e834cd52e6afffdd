// Reference int8 max pooling on one grid: the largest cell of the window
// inside the image (padding ignored), clamped to the fused activation.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {

void qs8_max_pool__ref(const QMaxPoolParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                       int8_t* output) {
  PoolWindows(
      p.shape, row_begin, row_end, 0, static_cast<size_t>(p.shape.out_c), input, output, int32_t{-128},
      [](int32_t& best, int8_t x) { best = x > best ? x : best; },
      [&](int32_t best) {
        return static_cast<int8_t>(best < p.output.min ? p.output.min : (best > p.output.max ? p.output.max : best));
      });
}

}  // namespace qwasm
