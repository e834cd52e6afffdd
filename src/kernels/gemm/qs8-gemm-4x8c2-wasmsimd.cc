// 4x8c2 int8 GEMM microkernel, WebAssembly SIMD128 (layout in gemm.h).
#include "kernels/gemm/gemm.h"
#include "kernels/requantize-simd.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

// Widens 4 rows of k_read bytes to int16, interleaved by pair:
// dst[2 (4 kp + r) + e] = row r, element 2 kp + e. The microkernel then
// finds all four rows' pairs at constant offsets from one pointer.
inline void WidenRows(const int8_t* const src[4], size_t k_read, int16_t* dst) {
  for (size_t k = 0; k < k_read; k += 8, dst += 32) {
    const v128_t v0 = wasm_i16x8_load8x8(src[0] + k), v1 = wasm_i16x8_load8x8(src[1] + k);
    const v128_t v2 = wasm_i16x8_load8x8(src[2] + k), v3 = wasm_i16x8_load8x8(src[3] + k);
    // 4x4 transpose of 32-bit pairs.
    const v128_t t0 = wasm_i32x4_shuffle(v0, v1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(v0, v1, 2, 6, 3, 7);
    const v128_t t2 = wasm_i32x4_shuffle(v2, v3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(v2, v3, 2, 6, 3, 7);
    wasm_v128_store(dst, wasm_i64x2_shuffle(t0, t2, 0, 2));
    wasm_v128_store(dst + 8, wasm_i64x2_shuffle(t0, t2, 1, 3));
    wasm_v128_store(dst + 16, wasm_i64x2_shuffle(t1, t3, 0, 2));
    wasm_v128_store(dst + 24, wasm_i64x2_shuffle(t1, t3, 1, 3));
  }
}

// Stores the low `n` bytes (n < 8) of 8-byte half `half` of v.
inline void StorePartial(int8_t* dst, v128_t v, int half, size_t n) {
  alignas(16) int8_t tmp[16];
  wasm_v128_store(tmp, v);
  for (size_t i = 0; i < n; ++i) dst[i] = tmp[half * 8 + i];
}

// One 4x8 tile: four widened, interleaved A rows; packed weights of one
// channel block.
inline void Tile(const int16_t* a, const int16_t* wp, size_t k_pairs, const int32_t* bias, const float* scale,
                 const RequantSimd& rq, int8_t* c, size_t c_stride, size_t rows, size_t cols) {
  const v128_t bias0 = wasm_v128_load(bias), bias1 = wasm_v128_load(bias + 4);
  v128_t acc00 = bias0, acc01 = bias1, acc10 = bias0, acc11 = bias1;
  v128_t acc20 = bias0, acc21 = bias1, acc30 = bias0, acc31 = bias1;
  // Not unrolled on purpose: unrolled, V8 hoists every weight load of the
  // unrolled body to its top and spills accumulators (measured: ~10%
  // slower on this machine). One induction variable (bytes of A) addresses
  // both operands, so the loop costs one add besides the compare (~7%).
  const char* ab = reinterpret_cast<const char*>(a);
  const char* wb = reinterpret_cast<const char*>(wp);
  const size_t end = k_pairs * 16;
QWASM_LOOP_NO_UNROLL
  for (size_t i = 0; i < end; i += 16) {
    const v128_t w0 = wasm_v128_load(wb + 2 * i);
    const v128_t w1 = wasm_v128_load(wb + 2 * i + 16);
    const v128_t va0 = wasm_v128_load32_splat(ab + i);
    const v128_t va1 = wasm_v128_load32_splat(ab + i + 4);
    const v128_t va2 = wasm_v128_load32_splat(ab + i + 8);
    const v128_t va3 = wasm_v128_load32_splat(ab + i + 12);
    acc00 = wasm_i32x4_add(acc00, wasm_i32x4_dot_i16x8(va0, w0));
    acc01 = wasm_i32x4_add(acc01, wasm_i32x4_dot_i16x8(va0, w1));
    acc10 = wasm_i32x4_add(acc10, wasm_i32x4_dot_i16x8(va1, w0));
    acc11 = wasm_i32x4_add(acc11, wasm_i32x4_dot_i16x8(va1, w1));
    acc20 = wasm_i32x4_add(acc20, wasm_i32x4_dot_i16x8(va2, w0));
    acc21 = wasm_i32x4_add(acc21, wasm_i32x4_dot_i16x8(va2, w1));
    acc30 = wasm_i32x4_add(acc30, wasm_i32x4_dot_i16x8(va3, w0));
    acc31 = wasm_i32x4_add(acc31, wasm_i32x4_dot_i16x8(va3, w1));
  }
  const v128_t scale0 = wasm_v128_load(scale), scale1 = wasm_v128_load(scale + 4);
  const v128_t y01 = PackI32x4x4ToI8x16(rq.Apply(acc00, scale0), rq.Apply(acc01, scale1),
                                        rq.Apply(acc10, scale0), rq.Apply(acc11, scale1));
  const v128_t y23 = PackI32x4x4ToI8x16(rq.Apply(acc20, scale0), rq.Apply(acc21, scale1),
                                        rq.Apply(acc30, scale0), rq.Apply(acc31, scale1));
  if (cols == 8) {
    wasm_v128_store64_lane(c, y01, 0);
    if (rows > 1) wasm_v128_store64_lane(c + c_stride, y01, 1);
    if (rows > 2) wasm_v128_store64_lane(c + 2 * c_stride, y23, 0);
    if (rows > 3) wasm_v128_store64_lane(c + 3 * c_stride, y23, 1);
  } else {
    StorePartial(c, y01, 0, cols);
    if (rows > 1) StorePartial(c + c_stride, y01, 1, cols);
    if (rows > 2) StorePartial(c + 2 * c_stride, y23, 0, cols);
    if (rows > 3) StorePartial(c + 3 * c_stride, y23, 1, cols);
  }
}

// One row by 8 channels (fully connected layers, 1x1 convolutions on a 1x1
// image): the weights are read once per inference, so this is bound by
// their bandwidth, not by arithmetic; the 4-row tile would do 4x the work
// for the same bytes. `a` is the row widened to int16, pairs contiguous.
inline void Row(const int16_t* a, const int16_t* wp, size_t k_pairs, const int32_t* bias,
                const float* scale, const RequantSimd& rq, int8_t* c, size_t cols) {
  v128_t acc0 = wasm_v128_load(bias), acc1 = wasm_v128_load(bias + 4);
  for (size_t kp = 0; kp < k_pairs; ++kp) {
    const v128_t va = wasm_v128_load32_splat(a + 2 * kp);
    acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(va, wasm_v128_load(wp)));
    acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(va, wasm_v128_load(wp + 8)));
    wp += 16;
  }
  const v128_t y0 = rq.Apply(acc0, wasm_v128_load(scale));
  const v128_t y1 = rq.Apply(acc1, wasm_v128_load(scale + 4));
  const v128_t y = PackI32x4x4ToI8x16(y0, y1, y0, y1);
  if (cols == 8) {
    wasm_v128_store64_lane(c, y, 0);
  } else {
    StorePartial(c, y, 0, cols);
  }
}

}  // namespace

void qs8_gemm_4x8c2__wasmsimd(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a,
                              size_t a_stride, int8_t* c, size_t c_stride, size_t n_begin, size_t n_end,
                              void* scratch_bytes) {
  const RequantSimd rq(out);
  int16_t* scratch = static_cast<int16_t*>(scratch_bytes);
  const int16_t* packed = reinterpret_cast<const int16_t*>(w.packed.data());
  const size_t kp = static_cast<size_t>(w.k_padded);
  if (m == 1) {
    for (size_t k = 0; k < static_cast<size_t>(w.k_read); k += 8) {
      wasm_v128_store(scratch + k, wasm_i16x8_load8x8(a + k));
    }
    for (size_t nb = n_begin; nb < n_end; nb += 8) {
      Row(scratch, packed + nb * kp, kp / 2, w.bias.data() + nb, w.scale.data() + nb, rq,
          c + nb, n_end - nb < 8 ? n_end - nb : 8);
    }
    return;
  }
  for (size_t m0 = 0; m0 < m; m0 += 4) {
    const size_t rows = m - m0 < 4 ? m - m0 : 4;
    // Rows past m repeat the last row: computed, never stored.
    const int8_t* src[4];
    for (size_t r = 0; r < 4; ++r) src[r] = a + (m0 + (r < rows ? r : rows - 1)) * a_stride;
    WidenRows(src, static_cast<size_t>(w.k_read), scratch);
    for (size_t nb = n_begin; nb < n_end; nb += 8) {
      Tile(scratch, packed + nb * kp, kp / 2, w.bias.data() + nb, w.scale.data() + nb, rq,
           c + m0 * c_stride + nb, c_stride, rows, n_end - nb < 8 ? n_end - nb : 8);
    }
  }
}

}  // namespace qwasm
