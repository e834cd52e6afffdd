// Per-channel clamp, WebAssembly SIMD128: 4 float channels per vector with
// the bounds loaded alongside; channel tails run the reference.
// pmax / pmin are the reference's comparisons (NaN passes the same way).
#include "kernels/simd128.h"
#include "kernels/kernels.h"

namespace qwasm {

void f32_channel_clamp__wasmsimd(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                                 float* output) {
  const v128_t vlo = wasm_f32x4_splat(lo);
  const size_t vec = channels & ~size_t{3};
  for (size_t r = 0; r < rows; ++r) {
    const float* in = input + r * channels;
    float* out = output + r * channels;
    for (size_t c = 0; c < vec; c += 4) {
      const v128_t x = wasm_f32x4_pmax(wasm_v128_load(in + c), vlo);
      wasm_v128_store(out + c, wasm_f32x4_pmin(x, wasm_v128_load(hi + c)));
    }
    f32_channel_clamp__ref(1, channels - vec, lo, hi + vec, in + vec, out + vec);
  }
}

}  // namespace qwasm
