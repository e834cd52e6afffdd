// Float depthwise convolution (multiplier 1), WebAssembly SIMD128: channels
// in vectors, taps in the reference's (ky, kx) order with padding skipped,
// so each lane computes exactly what f32_dwconv__ref does. Blocks
// of 16 channels (4 independent accumulators), then 4, then a scalar tail:
// nothing is read or written past a pixel's channels.
#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {

void f32_dwconv__wasmsimd(const FConvParams& p, size_t row_begin, size_t row_end,
                                    const float* input, float* output) {
  const WindowShape& s = p.shape;
  const size_t channels = static_cast<size_t>(s.out_c);
  const v128_t lo = wasm_f32x4_splat(p.output.min), hi = wasm_f32x4_splat(p.output.max);
  auto clamp = [&](v128_t v) { return wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi); };
  const v128_t zero = wasm_f32x4_splat(0.0f);
  // Taps inside the image form one range per axis (positions grow with the
  // tap index): [first, last) found per output row / column, no per-tap test.
  auto range = [](int start, int kernel, int dilation, int size, int* first, int* last) {
    *first = 0;
    while (*first < kernel && start + *first * dilation < 0) ++*first;
    *last = *first;
    while (*last < kernel && start + *last * dilation < size) ++*last;
  };
  const size_t x_step = static_cast<size_t>(s.dilation_w) * channels;  // next kx in the input
  const size_t x_row = static_cast<size_t>(s.in_w) * channels;
  for (size_t row = row_begin; row < row_end; ++row) {
    const int n = static_cast<int>(row / s.out_h), oy = static_cast<int>(row % s.out_h);
    const int iy0 = oy * s.stride_h - s.pad_top;
    int ky0, ky1;
    range(iy0, s.kernel_h, s.dilation_h, s.in_h, &ky0, &ky1);
    for (int ox = 0; ox < s.out_w; ++ox) {
      const int ix0 = ox * s.stride_w - s.pad_left;
      int kx0, kx1;
      range(ix0, s.kernel_w, s.dilation_w, s.in_w, &kx0, &kx1);
      // Input of tap (ky, kx) = x0 + ky * y_step + kx * x_step; its weights
      // w0 + (ky * kernel_w + kx) * channels.
      // (offsets, not pointers: the window's origin may lie in the padding)
      const ptrdiff_t x0 = ((static_cast<ptrdiff_t>(n) * s.in_h + iy0) * s.in_w + ix0) * static_cast<ptrdiff_t>(channels);
      const ptrdiff_t y_step = static_cast<ptrdiff_t>(s.dilation_h) * static_cast<ptrdiff_t>(x_row);
      auto tap = [&](int ky, int kx, size_t c, const float** x, const float** w) {
        *x = input + (x0 + ky * y_step + kx * static_cast<ptrdiff_t>(x_step) + static_cast<ptrdiff_t>(c));
        *w = p.filter + (static_cast<size_t>(ky) * s.kernel_w + kx) * channels + c;
      };
      float* out = output + (row * s.out_w + ox) * channels;
      size_t c = 0;
      for (; c + 16 <= channels; c += 16) {
        v128_t a0 = p.bias ? wasm_v128_load(p.bias + c) : zero;
        v128_t a1 = p.bias ? wasm_v128_load(p.bias + c + 4) : zero;
        v128_t a2 = p.bias ? wasm_v128_load(p.bias + c + 8) : zero;
        v128_t a3 = p.bias ? wasm_v128_load(p.bias + c + 12) : zero;
        for (int ky = ky0; ky < ky1; ++ky) for (int kx = kx0; kx < kx1; ++kx) {
          const float *x, *w;
          tap(ky, kx, c, &x, &w);
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(x), wasm_v128_load(w)));
          a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(x + 4), wasm_v128_load(w + 4)));
          a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(x + 8), wasm_v128_load(w + 8)));
          a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(x + 12), wasm_v128_load(w + 12)));
        }
        wasm_v128_store(out + c, clamp(a0));
        wasm_v128_store(out + c + 4, clamp(a1));
        wasm_v128_store(out + c + 8, clamp(a2));
        wasm_v128_store(out + c + 12, clamp(a3));
      }
      for (; c + 4 <= channels; c += 4) {
        v128_t a0 = p.bias ? wasm_v128_load(p.bias + c) : zero;
        for (int ky = ky0; ky < ky1; ++ky) for (int kx = kx0; kx < kx1; ++kx) {
          const float *x, *w;
          tap(ky, kx, c, &x, &w);
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(x), wasm_v128_load(w)));
        }
        wasm_v128_store(out + c, clamp(a0));
      }
      for (; c < channels; ++c) {
        float acc = p.bias ? p.bias[c] : 0.0f;
        for (int ky = ky0; ky < ky1; ++ky) for (int kx = kx0; kx < kx1; ++kx) {
          const float *x, *w;
          tap(ky, kx, c, &x, &w);
          acc += *x * *w;
        }
        out[c] = p.output.Apply(acc);
      }
    }
  }
}

}  // namespace qwasm
