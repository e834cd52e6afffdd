// 4x8c4 int8 GEMM microkernel, WebAssembly relaxed SIMD (layout in gemm.h).
// Compiled by clang-19 into the relaxed side module (kernels/relaxed.h) and,
// natively, with the emulated instruction of kernels/relaxed-simd.h.
#include "kernels/gemm/gemm-relaxed-call.h"
#include "kernels/relaxed-simd.h"
#include "kernels/requantize-simd.h"

namespace qwasm {
namespace {

// 4 rows of A, k_read bytes each, interleaved by quad and offset:
// dst[4 (4 kq + r) + e] = src[r][4 kq + e] ^ flip (flip 0x80: a + 128 as a
// byte). The microkernel then finds the four rows' quads at constant
// offsets from one pointer.
inline void InterleaveRows(const int8_t* const src[4], size_t k_read, v128_t flip, int8_t* dst) {
  for (size_t k = 0; k < k_read; k += 16, dst += 64) {
    const v128_t v0 = wasm_v128_load(src[0] + k), v1 = wasm_v128_load(src[1] + k);
    const v128_t v2 = wasm_v128_load(src[2] + k), v3 = wasm_v128_load(src[3] + k);
    // 4x4 transpose of 32-bit quads.
    const v128_t t0 = wasm_i32x4_shuffle(v0, v1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(v0, v1, 2, 6, 3, 7);
    const v128_t t2 = wasm_i32x4_shuffle(v2, v3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(v2, v3, 2, 6, 3, 7);
    wasm_v128_store(dst, wasm_v128_xor(wasm_i64x2_shuffle(t0, t2, 0, 2), flip));
    wasm_v128_store(dst + 16, wasm_v128_xor(wasm_i64x2_shuffle(t0, t2, 1, 3), flip));
    wasm_v128_store(dst + 32, wasm_v128_xor(wasm_i64x2_shuffle(t1, t3, 0, 2), flip));
    wasm_v128_store(dst + 48, wasm_v128_xor(wasm_i64x2_shuffle(t1, t3, 1, 3), flip));
  }
}

inline int32_t RowSum(const int8_t* row, size_t k) {
  uint32_t sum = 0;
  for (size_t i = 0; i < k; ++i) sum += static_cast<uint32_t>(row[i]);
  return static_cast<int32_t>(sum);
}

// Stores 8-byte half `half` of v, or its first `cols` bytes. A partial
// store goes through 16 bytes of the caller's scratch (`tmp`): the side
// module has no stack of its own in the shared memory.
inline void Store8(int8_t* dst, v128_t v, int half, size_t cols, int8_t* tmp) {
  if (cols == 8) {
    if (half == 0) wasm_v128_store64_lane(dst, v, 0); else wasm_v128_store64_lane(dst, v, 1);
  } else {
    wasm_v128_store(tmp, v);
    for (size_t i = 0; i < cols; ++i) dst[i] = tmp[half * 8 + i];
  }
}

// One 4x8 tile. `a`: four interleaved rows; `wp`: one channel block;
// `zw_sums[r]` = zw * sum_k A[r] (0 without a weight zero point).
inline void Tile(const int8_t* a, const int8_t* wp, size_t k_quads, const int32_t* bias, const float* scale,
                 const int32_t zw_sums[4], const RequantSimdSplitClamp& rq, int8_t* c, size_t c_stride, size_t rows,
                 size_t cols, int8_t* tmp) {
  const v128_t bias0 = wasm_v128_load(bias), bias1 = wasm_v128_load(bias + 4);
  v128_t acc00 = bias0, acc01 = bias1, acc10 = bias0, acc11 = bias1;
  v128_t acc20 = bias0, acc21 = bias1, acc30 = bias0, acc31 = bias1;
  const size_t end = k_quads * 16;
QWASM_LOOP_NO_UNROLL
  for (size_t i = 0; i < end; i += 16) {
    const v128_t w0 = wasm_v128_load(wp + 2 * i), w1 = wasm_v128_load(wp + 2 * i + 16);
    // Rows 0-1 are splat by shuffles of one load, rows 2-3 by
    // load32_splat: the loop is bound by loads as much as by dots. In
    // Chromium on x64 (same-page A/B) this ran MobileNetV2 4-6% faster than
    // four load32_splats, and 1-2% faster than four shuffles.
    const v128_t va01 = wasm_v128_load(a + i);
    const v128_t va0 = wasm_i32x4_shuffle(va01, va01, 0, 0, 0, 0), va1 = wasm_i32x4_shuffle(va01, va01, 1, 1, 1, 1);
    const v128_t va2 = wasm_v128_load32_splat(a + i + 8), va3 = wasm_v128_load32_splat(a + i + 12);
    acc00 = RelaxedDotAdd(w0, va0, acc00);
    acc01 = RelaxedDotAdd(w1, va0, acc01);
    acc10 = RelaxedDotAdd(w0, va1, acc10);
    acc11 = RelaxedDotAdd(w1, va1, acc11);
    acc20 = RelaxedDotAdd(w0, va2, acc20);
    acc21 = RelaxedDotAdd(w1, va2, acc21);
    acc30 = RelaxedDotAdd(w0, va3, acc30);
    acc31 = RelaxedDotAdd(w1, va3, acc31);
  }
  if (zw_sums[0] | zw_sums[1] | zw_sums[2] | zw_sums[3]) {
    const v128_t s0 = wasm_i32x4_splat(zw_sums[0]), s1 = wasm_i32x4_splat(zw_sums[1]);
    const v128_t s2 = wasm_i32x4_splat(zw_sums[2]), s3 = wasm_i32x4_splat(zw_sums[3]);
    acc00 = wasm_i32x4_sub(acc00, s0), acc01 = wasm_i32x4_sub(acc01, s0);
    acc10 = wasm_i32x4_sub(acc10, s1), acc11 = wasm_i32x4_sub(acc11, s1);
    acc20 = wasm_i32x4_sub(acc20, s2), acc21 = wasm_i32x4_sub(acc21, s2);
    acc30 = wasm_i32x4_sub(acc30, s3), acc31 = wasm_i32x4_sub(acc31, s3);
  }
  const v128_t scale0 = wasm_v128_load(scale), scale1 = wasm_v128_load(scale + 4);
  const v128_t y01 = rq.Pack(rq.Apply(acc00, scale0), rq.Apply(acc01, scale1),
                                        rq.Apply(acc10, scale0), rq.Apply(acc11, scale1));
  const v128_t y23 = rq.Pack(rq.Apply(acc20, scale0), rq.Apply(acc21, scale1),
                                        rq.Apply(acc30, scale0), rq.Apply(acc31, scale1));
  Store8(c, y01, 0, cols, tmp);
  if (rows > 1) Store8(c + c_stride, y01, 1, cols, tmp);
  if (rows > 2) Store8(c + 2 * c_stride, y23, 0, cols, tmp);
  if (rows > 3) Store8(c + 3 * c_stride, y23, 1, cols, tmp);
}

// One row (fully connected layers): two channel blocks per pass, so four
// accumulator chains hide the dot's latency. `a`: the offset row.
inline void Row(const int8_t* a, const int8_t* wp, size_t k_quads, size_t blocks, const int32_t* bias,
                const float* scale, int32_t zw_sum, const RequantSimdSplitClamp& rq, int8_t* c, size_t cols_last, int8_t* tmp) {
  const size_t block_bytes = k_quads * 32;  // 8 channels x k_padded
  const v128_t s = wasm_i32x4_splat(zw_sum);
  for (size_t b = 0; b < blocks; b += 2) {
    const bool pair = b + 1 < blocks;
    const int8_t* w0p = wp + b * block_bytes;
    const int8_t* w1p = pair ? w0p + block_bytes : w0p;
    v128_t acc0 = wasm_v128_load(bias + 8 * b), acc1 = wasm_v128_load(bias + 8 * b + 4);
    v128_t acc2 = pair ? wasm_v128_load(bias + 8 * b + 8) : acc0, acc3 = pair ? wasm_v128_load(bias + 8 * b + 12) : acc1;
QWASM_LOOP_NO_UNROLL
    for (size_t kq = 0; kq < k_quads; ++kq) {
      const v128_t va = wasm_v128_load32_splat(a + 4 * kq);
      acc0 = RelaxedDotAdd(wasm_v128_load(w0p + 32 * kq), va, acc0);
      acc1 = RelaxedDotAdd(wasm_v128_load(w0p + 32 * kq + 16), va, acc1);
      acc2 = RelaxedDotAdd(wasm_v128_load(w1p + 32 * kq), va, acc2);
      acc3 = RelaxedDotAdd(wasm_v128_load(w1p + 32 * kq + 16), va, acc3);
    }
    acc0 = wasm_i32x4_sub(acc0, s), acc1 = wasm_i32x4_sub(acc1, s);
    acc2 = wasm_i32x4_sub(acc2, s), acc3 = wasm_i32x4_sub(acc3, s);
    const float* sc = scale + 8 * b;
    const v128_t y0 = rq.Apply(acc0, wasm_v128_load(sc)), y1 = rq.Apply(acc1, wasm_v128_load(sc + 4));
    const v128_t y2 = pair ? rq.Apply(acc2, wasm_v128_load(sc + 8)) : y0;
    const v128_t y3 = pair ? rq.Apply(acc3, wasm_v128_load(sc + 12)) : y1;
    const v128_t y = rq.Pack(y0, y1, y2, y3);
    Store8(c + 8 * b, y, 0, b + 1 == blocks ? cols_last : 8, tmp);
    if (pair) Store8(c + 8 * b + 8, y, 1, b + 2 == blocks ? cols_last : 8, tmp);
  }
}

}  // namespace
}  // namespace qwasm

void qs8_gemm_4x8c4__wasmrelaxed(const QGemmRelaxedCall* call) {
  using namespace qwasm;
  const QGemmRelaxedCall& p = *call;
  QOutput out;
  out.zero_point = p.out_zero_point, out.min = p.out_min, out.max = p.out_max;
  const RequantSimdSplitClamp rq(out);
  const v128_t flip = wasm_i8x16_splat(p.a_offset ? static_cast<int8_t>(0x80) : 0);
  int8_t* scratch = static_cast<int8_t*>(p.scratch);
  const size_t k_quads = p.k_padded / 4, k_read = p.k_read;
  const int8_t* w_begin = p.packed + p.n_begin * p.k_padded;  // channel block n_begin / 8: k_padded * 8 bytes each
  if (p.m == 1) {
    for (size_t k = 0; k < k_read; k += 16) wasm_v128_store(scratch + k, wasm_v128_xor(wasm_v128_load(p.a + k), flip));
    const int32_t zw_sum = static_cast<int32_t>(static_cast<uint32_t>(p.w_zero_point) * static_cast<uint32_t>(RowSum(p.a, p.k)));
    const size_t cols = p.n_end - p.n_begin, blocks = (cols + 7) / 8;
    Row(scratch, w_begin, k_quads, blocks, p.bias + p.n_begin, p.scale + p.n_begin, zw_sum, rq, p.c + p.n_begin,
        cols - 8 * (blocks - 1), scratch + k_read);
    return;
  }
  for (size_t m0 = 0; m0 < p.m; m0 += 4) {
    const size_t rows = p.m - m0 < 4 ? p.m - m0 : 4;
    // Rows past m repeat the last row: computed, never stored.
    const int8_t* src[4];
    int32_t zw_sums[4];
    for (size_t r = 0; r < 4; ++r) {
      src[r] = p.a + (m0 + (r < rows ? r : rows - 1)) * p.a_stride;
      zw_sums[r] = p.w_zero_point ? static_cast<int32_t>(static_cast<uint32_t>(p.w_zero_point) *
                                                         static_cast<uint32_t>(RowSum(src[r], p.k)))
                                  : 0;  // modulo 2^32, like the lanes
    }
    InterleaveRows(src, k_read, flip, scratch);
    for (size_t nb = p.n_begin; nb < p.n_end; nb += 8) {
      Tile(scratch, p.packed + nb * p.k_padded, k_quads, p.bias + nb, p.scale + nb, zw_sums, rq,
           p.c + m0 * p.c_stride + nb, p.c_stride, rows, p.n_end - nb < 8 ? p.n_end - nb : 8, scratch + 4 * k_read);
    }
  }
}
