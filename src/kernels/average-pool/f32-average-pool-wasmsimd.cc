// Float average pooling, WebAssembly SIMD128: 4 channels of one output pixel
// per step. Each lane is the reference's computation: 0.0f plus the in-image
// cells in (ky, kx) order, one rounded f32 add each, divided (not multiplied
// by a reciprocal) by the same count, then FOutput::Apply as pmax/pmin.
// Channel tails load and store only their lanes (LoadF32Lanes), so nothing
// outside the tensors is read or written. The window walk is written out
// rather than window.h's ForEachTap: V8 ran that form 3% slower here.
#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {

void f32_average_pool__wasmsimd(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                                float* output) {
  const WindowShape& s = p.shape;
  const size_t channels = static_cast<size_t>(s.in_c);
  const size_t out_c = static_cast<size_t>(s.out_c);
  const v128_t lo = wasm_f32x4_splat(p.output.min), hi = wasm_f32x4_splat(p.output.max);
  for (size_t row = row_begin; row < row_end; ++row) {
    const int n = static_cast<int>(row / s.out_h), oy = static_cast<int>(row % s.out_h);
    for (int ox = 0; ox < s.out_w; ++ox) {
      float* out = output + (row * s.out_w + ox) * out_c;
      for (size_t c = 0; c < out_c; c += 4) {
        const size_t lanes = out_c - c < 4 ? out_c - c : 4;
        v128_t sum = wasm_f32x4_splat(0.0f);
        int count = 0;
        for (int ky = 0; ky < s.kernel_h; ++ky) {
          const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
          if (iy < 0 || iy >= s.in_h) continue;
          for (int kx = 0; kx < s.kernel_w; ++kx) {
            const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
            if (ix < 0 || ix >= s.in_w) continue;
            const float* at = input + ((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * channels + c;
            sum = wasm_f32x4_add(sum, LoadF32Lanes(at, lanes));
            ++count;
          }
        }
        // count >= 1: prepare guarantees every window overlaps the image.
        const int divisor = p.count_include_pad ? s.kernel_h * s.kernel_w : count;
        const v128_t y = wasm_f32x4_pmin(
            wasm_f32x4_pmax(wasm_f32x4_div(sum, wasm_f32x4_splat(static_cast<float>(divisor))), lo), hi);
        StoreF32Lanes(out + c, y, lanes);
      }
    }
  }
}

}  // namespace qwasm
