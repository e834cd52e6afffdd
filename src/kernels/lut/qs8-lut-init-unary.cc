// The int8 form of an elementwise function: its 256-entry table.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

// Dequantize, the float reference function, requantize: the int8 form of
// every elementwise function is exactly this table.
void qs8_lut_init_unary(const FUnaryParams& f, float in_scale, int32_t in_zero_point, float out_scale,
                        int32_t out_zero_point, int8_t table[256]) {
  float x[256], y[256];
  for (int q = -128; q < 128; ++q) x[q + 128] = in_scale * static_cast<float>(q - in_zero_point);
  f32_unary__ref(f, 256, x, y);
  for (int i = 0; i < 256; ++i) {
    table[i] = static_cast<int8_t>(RoundToQuant(y[i] / out_scale, out_zero_point, -128, 127));
  }
}

}  // namespace qwasm
