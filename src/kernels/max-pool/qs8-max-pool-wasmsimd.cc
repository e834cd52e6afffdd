// Int8 max pooling, WebAssembly SIMD128: 16 channels of one output pixel per
// step, i8x16.max over the window's in-image cells from -128 (as the
// reference), then the reference's clamp: below min -> min, else above max
// -> max. Clamps outside [-128, 127] (not produced by prepare) run the
// reference, so every input gives its bytes.
#include "kernels/kernels.h"
#include "kernels/simd128.h"

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
  for (size_t row = row_begin; row < row_end; ++row) {
    const int n = static_cast<int>(row / s.out_h), oy = static_cast<int>(row % s.out_h);
    for (int ox = 0; ox < s.out_w; ++ox) {
      int8_t* out = output + (row * s.out_w + ox) * out_c;
      auto block = [&](size_t c) {
        v128_t best = wasm_i8x16_splat(-128);
        for (int ky = 0; ky < s.kernel_h; ++ky) {
          const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
          if (iy < 0 || iy >= s.in_h) continue;
          for (int kx = 0; kx < s.kernel_w; ++kx) {
            const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
            if (ix < 0 || ix >= s.in_w) continue;
            const size_t at = ((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * channels + c;
            best = wasm_i8x16_max(best, LoadI8x16Upto(input + at, input_bytes - at));
          }
        }
        // The reference's order: best < min ? min : (best > max ? max : best).
        return wasm_v128_bitselect(lo, wasm_i8x16_min(best, hi), wasm_i8x16_lt(best, lo));
      };
      size_t c = 0;
      for (; c + 16 <= out_c; c += 16) wasm_v128_store(out + c, block(c));
      if (c == out_c) continue;
      if (out_c >= 16) {
        // Recompute the last 16 channels: same values, no partial store.
        wasm_v128_store(out + out_c - 16, block(out_c - 16));
      } else {
        StoreI8x16Prefix(out + c, block(c), out_c - c);
      }
    }
  }
}

}  // namespace qwasm
