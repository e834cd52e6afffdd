// Reference float max pooling: the largest cell of the window inside the
// image (padding ignored), then the fused activation. NaN wins, as in
// XNNPACK's max.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {
namespace {

struct Best {
  bool any = false;
  float value = 0.0f;
};

}  // namespace

void f32_max_pool__ref(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                       float* output) {
  PoolWindows(
      p.shape, row_begin, row_end, 0, static_cast<size_t>(p.shape.out_c), input, output, Best(),
      [](Best& b, float x) {
        if (!b.any || x > b.value || x != x) b.value = x;
        b.any = true;
      },
      [&](const Best& b) { return p.output.Apply(b.value); });
}

}  // namespace qwasm
