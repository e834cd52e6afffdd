// The exponential tables of the int8 softmax kernels (QSoftmaxParams):
// TFLite's, and ONNX Runtime's QLinearSoftmax table.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/kernels.h"

namespace qwasm {

void qs8_softmax_init(float beta, float input_scale, float table[256]) {
  const double k = -static_cast<double>(beta) * input_scale;
  for (int d = 0; d < 256; ++d) table[d] = static_cast<float>(std::exp(k * d));
}

void qs8_softmax_init_onnx(float input_scale, int cols, float table[256]) {
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

}  // namespace qwasm
