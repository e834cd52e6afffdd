// Reference per-channel clamp: the upper bound of each channel of an NHWC
// tensor rescaled on its own (cross-layer equalization turns one ReLU6 into
// ReLU with a clamp 6 / s_c per channel, ptq/equalize.h).
#include "kernels/kernels.h"

namespace qwasm {

void qs8_channel_clamp__ref(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                            int8_t* output) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < channels; ++c) {
      int8_t v = input[r * channels + c];
      v = v < lo ? lo : v;
      output[r * channels + c] = hi[c] < v ? hi[c] : v;
    }
  }
}

}  // namespace qwasm
