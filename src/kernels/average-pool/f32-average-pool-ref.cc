// Reference float average pooling: window sum in (ky, kx) order over the
// cells inside the image, divided by their count, or by the whole window with
// count_include_pad (ONNX), then the fused activation.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {
namespace {

struct SumCount {
  float sum = 0.0f;
  int count = 0;
};

}  // namespace

void f32_average_pool__ref(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                           float* output) {
  const WindowShape& s = p.shape;
  PoolWindows(
      s, row_begin, row_end, 0, static_cast<size_t>(s.out_c), input, output, SumCount(),
      [](SumCount& a, float x) {
        a.sum += x;
        ++a.count;
      },
      [&](const SumCount& a) {
        // count >= 1: prepare guarantees every window overlaps the image.
        const int count = p.count_include_pad ? s.kernel_h * s.kernel_w : a.count;
        return p.output.Apply(a.sum / static_cast<float>(count));
      });
}

}  // namespace qwasm
