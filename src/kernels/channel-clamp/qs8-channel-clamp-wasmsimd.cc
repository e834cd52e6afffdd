// Per-channel clamp, WebAssembly SIMD128: 16 int8 channels per vector with
// the bounds loaded alongside; channel tails run the reference.
// pmax / pmin are the reference's comparisons (NaN passes the same way).
#include "kernels/simd128.h"
#include "kernels/kernels.h"

namespace qwasm {

void qs8_channel_clamp__wasmsimd(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                                 int8_t* output) {
  const v128_t vlo = wasm_i8x16_splat(lo);
  const size_t vec = channels & ~size_t{15};
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* in = input + r * channels;
    int8_t* out = output + r * channels;
    for (size_t c = 0; c < vec; c += 16) {
      const v128_t x = wasm_i8x16_max(wasm_v128_load(in + c), vlo);
      wasm_v128_store(out + c, wasm_i8x16_min(x, wasm_v128_load(hi + c)));
    }
    qs8_channel_clamp__ref(1, channels - vec, lo, hi + vec, in + vec, out + vec);
  }
}

}  // namespace qwasm
