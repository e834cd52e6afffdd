// Float mean over H and W, WebAssembly SIMD128: 4 channels per step. Each
// lane is the reference's computation: 0.0f plus the pixels in (h, w) order,
// one rounded f32 add each, then divided (not multiplied by a reciprocal) by
// float(H * W). Channel tails load and store only their lanes
// (LoadF32Lanes), so nothing outside the tensors is read or written.
#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {

void f32_mean_hw__wasmsimd(const FMeanParams& p, size_t c_begin, size_t c_end, const float* input,
                           float* output) {
  const size_t hw = static_cast<size_t>(p.height) * p.width;
  const size_t channels = static_cast<size_t>(p.channels);
  const v128_t divisor = wasm_f32x4_splat(static_cast<float>(hw));
  for (int n = 0; n < p.batch; ++n) {
    const float* x = input + static_cast<size_t>(n) * hw * channels;
    float* out = output + static_cast<size_t>(n) * channels;
    for (size_t c = c_begin; c < c_end; c += 4) {
      const size_t lanes = c_end - c < 4 ? c_end - c : 4;
      v128_t sum = wasm_f32x4_splat(0.0f);
      if (lanes == 4) {
        for (size_t i = 0; i < hw; ++i) sum = wasm_f32x4_add(sum, wasm_v128_load(x + i * channels + c));
        wasm_v128_store(out + c, wasm_f32x4_div(sum, divisor));
      } else {
        for (size_t i = 0; i < hw; ++i) sum = wasm_f32x4_add(sum, LoadF32Lanes(x + i * channels + c, lanes));
        StoreF32Lanes(out + c, wasm_f32x4_div(sum, divisor), lanes);
      }
    }
  }
}

}  // namespace qwasm
