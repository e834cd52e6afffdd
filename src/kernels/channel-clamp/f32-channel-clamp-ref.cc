// Reference per-channel clamp: the upper bound of each channel of an NHWC
// tensor rescaled on its own (cross-layer equalization turns one ReLU6 into
// ReLU with a clamp 6 / s_c per channel, ptq/equalize.h).
#include "kernels/kernels.h"

namespace qwasm {

void f32_channel_clamp__ref(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                            float* output) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < channels; ++c) {
      const FOutput clamp{lo, hi[c]};
      output[r * channels + c] = clamp.Apply(input[r * channels + c]);
    }
  }
}

}  // namespace qwasm
