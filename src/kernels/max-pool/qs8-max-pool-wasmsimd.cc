// Int8 max pooling, WebAssembly SIMD128: 16 channels of one output pixel per
// step, over window.h's walk: i8x16.max over the window's in-image cells
// from -128 (as the reference), then the reference's clamp: below min ->
// min, else above max -> max. With 16 channels or more the last vector is
// recomputed at out_c - 16 (same values, no partial store), so every load
// is a whole vector inside its pixel; only rows of fewer than 16 channels
// load partial vectors, which would pass the tensor's end at its last
// pixel. Clamps outside [-128, 127] (not produced by prepare) run the
// reference, so every input gives its bytes.
#include "kernels/kernels.h"
#include "kernels/simd128.h"
#include "kernels/window.h"

namespace qwasm {

void qs8_max_pool__wasmsimd(const QMaxPoolParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                            int8_t* output) {
  if (p.output.min < -128 || p.output.min > 127 || p.output.max < -128 || p.output.max > 127) {
    qs8_max_pool__ref(p, row_begin, row_end, input, output);
    return;
  }
  const WindowShape& s = p.shape;
  const size_t channels = static_cast<size_t>(s.in_c);
  const size_t out_c = static_cast<size_t>(s.out_c);
  const size_t input_bytes = static_cast<size_t>(s.batch) * s.in_h * s.in_w * channels;
  const v128_t lo = wasm_i8x16_splat(static_cast<int8_t>(p.output.min));
  const v128_t hi = wasm_i8x16_splat(static_cast<int8_t>(p.output.max));
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    int8_t* out = output + out_pixel * out_c;
    for (size_t step = 0; step < out_c; step += 16) {
      const size_t c = step + 16 <= out_c || out_c < 16 ? step : out_c - 16;
      v128_t best = wasm_i8x16_splat(-128);
      if (c + 16 <= channels) {
        ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
          best = wasm_i8x16_max(best, wasm_v128_load(input + in_pixel * channels + c));
        });
      } else {
        ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
          const size_t at = in_pixel * channels + c;
          best = wasm_i8x16_max(best, LoadI8x16Upto(input + at, input_bytes - at));
        });
      }
      // The reference's order: best < min ? min : (best > max ? max : best).
      const v128_t y = wasm_v128_bitselect(lo, wasm_i8x16_min(best, hi), wasm_i8x16_lt(best, lo));
      if (out_c >= 16) {
        wasm_v128_store(out + c, y);
      } else {
        StoreI8x16Prefix(out + c, y, out_c);
      }
    }
  });
}

}  // namespace qwasm
