// 4x8c2s4 int8 GEMM microkernel, WebAssembly SIMD128 (layout in gemm.h).
#include "kernels/gemm/gemm.h"
#include "kernels/requantize-simd.h"

#if QWASM_HAVE_SIMD128
namespace qwasm {
namespace {

// Rotates the four int16 pairs of an A vector by one pair.
inline v128_t RotatePairs(v128_t v) { return wasm_i32x4_shuffle(v, v, 1, 2, 3, 0); }

// Stores the low `n` bytes (n < 8) of lane pair `half` of v.
inline void StorePartial(int8_t* dst, v128_t v, int half, size_t n) {
  alignas(16) int8_t tmp[16];
  wasm_v128_store(tmp, v);
  for (size_t i = 0; i < n; ++i) dst[i] = tmp[half * 8 + i];
}

}  // namespace

void qs8_gemm_4x8c2s4__wasmsimd(const QGemmWeights& w, const QOutput& out, size_t m,
                                const int8_t* a, size_t a_stride, int8_t* c, size_t c_stride,
                                size_t n_begin, size_t n_end) {
  if (m == 0) return;
  const RequantSimd rq(out);
  const size_t kblocks = static_cast<size_t>(w.k_padded) / 8;
  for (size_t nb = n_begin; nb < n_end; nb += 8) {
    const int16_t* wblock = w.w.data() + nb * static_cast<size_t>(w.k_padded);
    const v128_t bias0 = wasm_v128_load(w.bias.data() + nb);
    const v128_t bias1 = wasm_v128_load(w.bias.data() + nb + 4);
    const v128_t scale0 = wasm_v128_load(w.scale.data() + nb);
    const v128_t scale1 = wasm_v128_load(w.scale.data() + nb + 4);
    const size_t nc = n_end - nb < 8 ? n_end - nb : 8;
    for (size_t m0 = 0; m0 < m; m0 += 4) {
      // Rows past m repeat the last row: computed, never stored.
      const size_t last = m - 1;
      const int8_t* a0 = a + m0 * a_stride;
      const int8_t* a1 = a + (m0 + 1 < last ? m0 + 1 : last) * a_stride;
      const int8_t* a2 = a + (m0 + 2 < last ? m0 + 2 : last) * a_stride;
      const int8_t* a3 = a + (m0 + 3 < last ? m0 + 3 : last) * a_stride;
      v128_t acc00 = bias0, acc01 = bias1, acc10 = bias0, acc11 = bias1;
      v128_t acc20 = bias0, acc21 = bias1, acc30 = bias0, acc31 = bias1;
      const int16_t* wp = wblock;
      for (size_t kb = 0; kb < kblocks; ++kb) {
        v128_t va0 = wasm_i16x8_load8x8(a0);
        v128_t va1 = wasm_i16x8_load8x8(a1);
        v128_t va2 = wasm_i16x8_load8x8(a2);
        v128_t va3 = wasm_i16x8_load8x8(a3);
        a0 += 8;
        a1 += 8;
        a2 += 8;
        a3 += 8;
        for (int s = 0; s < 4; ++s) {  // unrolled by the compiler
          const v128_t w0 = wasm_v128_load(wp);
          const v128_t w1 = wasm_v128_load(wp + 8);
          wp += 16;
          acc00 = wasm_i32x4_add(acc00, wasm_i32x4_dot_i16x8(va0, w0));
          acc01 = wasm_i32x4_add(acc01, wasm_i32x4_dot_i16x8(va0, w1));
          acc10 = wasm_i32x4_add(acc10, wasm_i32x4_dot_i16x8(va1, w0));
          acc11 = wasm_i32x4_add(acc11, wasm_i32x4_dot_i16x8(va1, w1));
          acc20 = wasm_i32x4_add(acc20, wasm_i32x4_dot_i16x8(va2, w0));
          acc21 = wasm_i32x4_add(acc21, wasm_i32x4_dot_i16x8(va2, w1));
          acc30 = wasm_i32x4_add(acc30, wasm_i32x4_dot_i16x8(va3, w0));
          acc31 = wasm_i32x4_add(acc31, wasm_i32x4_dot_i16x8(va3, w1));
          if (s < 3) {
            va0 = RotatePairs(va0);
            va1 = RotatePairs(va1);
            va2 = RotatePairs(va2);
            va3 = RotatePairs(va3);
          }
        }
      }
      const v128_t y01 = PackI32x4x4ToI8x16(rq.Apply(acc00, scale0), rq.Apply(acc01, scale1),
                                            rq.Apply(acc10, scale0), rq.Apply(acc11, scale1));
      const v128_t y23 = PackI32x4x4ToI8x16(rq.Apply(acc20, scale0), rq.Apply(acc21, scale1),
                                            rq.Apply(acc30, scale0), rq.Apply(acc31, scale1));
      const size_t rows = m - m0 < 4 ? m - m0 : 4;
      int8_t* c0 = c + m0 * c_stride + nb;
      if (nc == 8) {
        wasm_v128_store64_lane(c0, y01, 0);
        if (rows > 1) wasm_v128_store64_lane(c0 + c_stride, y01, 1);
        if (rows > 2) wasm_v128_store64_lane(c0 + 2 * c_stride, y23, 0);
        if (rows > 3) wasm_v128_store64_lane(c0 + 3 * c_stride, y23, 1);
      } else {
        StorePartial(c0, y01, 0, nc);
        if (rows > 1) StorePartial(c0 + c_stride, y01, 1, nc);
        if (rows > 2) StorePartial(c0 + 2 * c_stride, y23, 0, nc);
        if (rows > 3) StorePartial(c0 + 3 * c_stride, y23, 1, nc);
      }
    }
  }
}

}  // namespace qwasm
#endif
