// Float max pooling, WebAssembly SIMD128: 4 channels of one output pixel per
// step. The reference's fold is reproduced lane by lane with compare and
// bitselect: the first in-image cell, then x replaces the best where
// x > best or x is NaN (so -0.0/+0.0 keep the earlier one and the last NaN
// wins, with its bits). The fused activation is pmax/pmin, which are
// FOutput::Apply's two selects exactly. Channel tails go through a
// zero-filled copy, so nothing outside the tensors is read or written.
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {

void f32_max_pool__wasmsimd(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
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
        v128_t best = wasm_f32x4_splat(0.0f);
        bool any = false;
        for (int ky = 0; ky < s.kernel_h; ++ky) {
          const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
          if (iy < 0 || iy >= s.in_h) continue;
          for (int kx = 0; kx < s.kernel_w; ++kx) {
            const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
            if (ix < 0 || ix >= s.in_w) continue;
            const float* at = input + ((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * channels + c;
            v128_t x;
            if (lanes == 4) {
              x = wasm_v128_load(at);
            } else {
              alignas(16) float tmp[4] = {};
              std::memcpy(tmp, at, lanes * sizeof(float));
              x = wasm_v128_load(tmp);
            }
            if (!any) {
              best = x;
              any = true;
            } else {
              const v128_t take = wasm_v128_or(wasm_f32x4_gt(x, best), wasm_f32x4_ne(x, x));
              best = wasm_v128_bitselect(x, best, take);
            }
          }
        }
        const v128_t y = wasm_f32x4_pmin(wasm_f32x4_pmax(best, lo), hi);
        if (lanes == 4) {
          wasm_v128_store(out + c, y);
        } else {
          alignas(16) float tmp[4];
          wasm_v128_store(tmp, y);
          std::memcpy(out + c, tmp, lanes * sizeof(float));
        }
      }
    }
  }
}

}  // namespace qwasm
