// 4x8 float GEMM microkernel, WebAssembly SIMD128 (layout and accumulation
// order in gemm.h).
#include "kernels/gemm/gemm.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

struct Clamp {
  v128_t lo, hi;
  explicit Clamp(const FOutput& o) : lo(wasm_f32x4_splat(o.min)), hi(wasm_f32x4_splat(o.max)) {}
  // pmax(v, lo) = v < lo ? lo : v; pmin(v, hi) = hi < v ? hi : v: FOutput::Apply
  // (NaN passes both).
  v128_t operator()(v128_t v) const { return wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi); }
};

// Stores the first `cols` (<= 8) of two vectors.
inline void Store8(float* c, v128_t v0, v128_t v1, size_t cols) {
  if (cols == 8) {
    wasm_v128_store(c, v0);
    wasm_v128_store(c + 4, v1);
    return;
  }
  alignas(16) float tmp[8];
  wasm_v128_store(tmp, v0);
  wasm_v128_store(tmp + 4, v1);
  for (size_t j = 0; j < cols; ++j) c[j] = tmp[j];
}

inline void Tile(const float* const a[4], const float* wp, size_t k, const float* bias,
                 const Clamp& clamp, float* c, size_t c_stride, size_t rows, size_t cols) {
  const v128_t b0 = wasm_v128_load(bias), b1 = wasm_v128_load(bias + 4);
  v128_t acc00 = b0, acc01 = b1, acc10 = b0, acc11 = b1;
  v128_t acc20 = b0, acc21 = b1, acc30 = b0, acc31 = b1;
  const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  for (size_t kk = 0; kk < k; ++kk, wp += 8) {
    const v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 4);
    const v128_t va0 = wasm_v128_load32_splat(a0 + kk);
    const v128_t va1 = wasm_v128_load32_splat(a1 + kk);
    const v128_t va2 = wasm_v128_load32_splat(a2 + kk);
    const v128_t va3 = wasm_v128_load32_splat(a3 + kk);
    acc00 = wasm_f32x4_add(acc00, wasm_f32x4_mul(va0, w0));
    acc01 = wasm_f32x4_add(acc01, wasm_f32x4_mul(va0, w1));
    acc10 = wasm_f32x4_add(acc10, wasm_f32x4_mul(va1, w0));
    acc11 = wasm_f32x4_add(acc11, wasm_f32x4_mul(va1, w1));
    acc20 = wasm_f32x4_add(acc20, wasm_f32x4_mul(va2, w0));
    acc21 = wasm_f32x4_add(acc21, wasm_f32x4_mul(va2, w1));
    acc30 = wasm_f32x4_add(acc30, wasm_f32x4_mul(va3, w0));
    acc31 = wasm_f32x4_add(acc31, wasm_f32x4_mul(va3, w1));
  }
  Store8(c, clamp(acc00), clamp(acc01), cols);
  if (rows > 1) Store8(c + c_stride, clamp(acc10), clamp(acc11), cols);
  if (rows > 2) Store8(c + 2 * c_stride, clamp(acc20), clamp(acc21), cols);
  if (rows > 3) Store8(c + 3 * c_stride, clamp(acc30), clamp(acc31), cols);
}

// One row by 32 channels (4 packed blocks, `block` floats apart).
inline void Row32(const float* a, const float* wp, size_t k, size_t block, const float* bias,
                  const Clamp& clamp, float* c) {
  v128_t acc[8];
  for (int j = 0; j < 8; ++j) acc[j] = wasm_v128_load(bias + 4 * j);
  const float *w0 = wp, *w1 = wp + block, *w2 = wp + 2 * block, *w3 = wp + 3 * block;
  for (size_t kk = 0; kk < k; ++kk) {
    const v128_t va = wasm_v128_load32_splat(a + kk);
    const size_t o = kk * 8;
    acc[0] = wasm_f32x4_add(acc[0], wasm_f32x4_mul(va, wasm_v128_load(w0 + o)));
    acc[1] = wasm_f32x4_add(acc[1], wasm_f32x4_mul(va, wasm_v128_load(w0 + o + 4)));
    acc[2] = wasm_f32x4_add(acc[2], wasm_f32x4_mul(va, wasm_v128_load(w1 + o)));
    acc[3] = wasm_f32x4_add(acc[3], wasm_f32x4_mul(va, wasm_v128_load(w1 + o + 4)));
    acc[4] = wasm_f32x4_add(acc[4], wasm_f32x4_mul(va, wasm_v128_load(w2 + o)));
    acc[5] = wasm_f32x4_add(acc[5], wasm_f32x4_mul(va, wasm_v128_load(w2 + o + 4)));
    acc[6] = wasm_f32x4_add(acc[6], wasm_f32x4_mul(va, wasm_v128_load(w3 + o)));
    acc[7] = wasm_f32x4_add(acc[7], wasm_f32x4_mul(va, wasm_v128_load(w3 + o + 4)));
  }
  for (int j = 0; j < 8; ++j) wasm_v128_store(c + 4 * j, clamp(acc[j]));
}

}  // namespace

void f32_gemm_4x8__wasmsimd(const FGemmWeights& w, const FOutput& out, size_t m, const float* a,
                            size_t a_stride, float* c, size_t c_stride, size_t n_begin,
                            size_t n_end) {
  const Clamp clamp(out);
  const size_t k = static_cast<size_t>(w.k);
  const size_t block = 8 * k;  // floats per packed block of 8 channels
  if (m == 1) {
    size_t nb = n_begin;
    for (; nb + 32 <= n_end; nb += 32) Row32(a, w.w.data() + nb * k, k, block, w.bias.data() + nb, clamp, c + nb);
    for (; nb < n_end; nb += 8) {
      const float* rows[4] = {a, a, a, a};  // one real row: computed 4 times, stored once
      Tile(rows, w.w.data() + nb * k, k, w.bias.data() + nb, clamp, c + nb, c_stride, 1,
           n_end - nb < 8 ? n_end - nb : 8);
    }
    return;
  }
  for (size_t m0 = 0; m0 < m; m0 += 4) {
    const size_t rows = m - m0 < 4 ? m - m0 : 4;
    // Rows past m repeat the last row: computed, never stored.
    const float* src[4];
    for (size_t r = 0; r < 4; ++r) src[r] = a + (m0 + (r < rows ? r : rows - 1)) * a_stride;
    for (size_t nb = n_begin; nb < n_end; nb += 8) {
      Tile(src, w.w.data() + nb * k, k, w.bias.data() + nb, clamp, c + m0 * c_stride + nb, c_stride,
           rows, n_end - nb < 8 ? n_end - nb : 8);
    }
  }
}

}  // namespace qwasm
