// Float max pooling, WebAssembly SIMD128: 4 channels of one output pixel per
// step, over window.h's walk. The reference's fold is reproduced lane by
// lane with compare and bitselect: the first in-image cell, then x replaces
// the best where x > best or x is NaN (so -0.0/+0.0 keep the earlier one and
// the last NaN wins, with its bits). The fused activation is pmax/pmin,
// which are FOutput::Apply's two selects exactly. Channel tails load and
// store only their lanes (LoadF32Lanes), so nothing outside the tensors is
// read or written.
#include "kernels/kernels.h"
#include "kernels/simd128.h"
#include "kernels/window.h"

namespace qwasm {

void f32_max_pool__wasmsimd(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                            float* output) {
  const WindowShape& s = p.shape;
  const size_t channels = static_cast<size_t>(s.in_c);
  const size_t out_c = static_cast<size_t>(s.out_c);
  const v128_t lo = wasm_f32x4_splat(p.output.min), hi = wasm_f32x4_splat(p.output.max);
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    float* out = output + out_pixel * out_c;
    for (size_t c = 0; c < out_c; c += 4) {
      const size_t lanes = out_c - c < 4 ? out_c - c : 4;
      v128_t best = wasm_f32x4_splat(0.0f);
      bool any = false;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
        const v128_t x = LoadF32Lanes(input + in_pixel * channels + c, lanes);
        if (!any) {
          best = x;
          any = true;
        } else {
          const v128_t take = wasm_v128_or(wasm_f32x4_gt(x, best), wasm_f32x4_ne(x, x));
          best = wasm_v128_bitselect(x, best, take);
        }
      });
      StoreF32Lanes(out + c, wasm_f32x4_pmin(wasm_f32x4_pmax(best, lo), hi), lanes);
    }
  });
}

}  // namespace qwasm
