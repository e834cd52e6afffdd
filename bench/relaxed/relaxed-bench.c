// relaxed-bench.c — what relaxed SIMD's i32x4.relaxed_dot_i8x16_i7x16_add_s
// buys an int8 GEMM in this engine, before any product code depends on it.
// A standalone module (clang-19 --target=wasm32 -mrelaxed-simd, no libc):
// Emscripten 3.1.6's clang 14 cannot emit the standard relaxed opcodes.
//   probe()                engine semantics of the relaxed dot (bits below)
//   ceiling_dot16/relaxed  throughput ceilings, measured the same way
//   gemm_dot16/relaxed     4x8 GEMM tiles (int32 results, no requantization):
//                          today's 4x8c2 dot_i16x8 scheme and a 4x8c4 relaxed one
// Driven by bench/relaxed/run.mjs (Node with --experimental-wasm-relaxed-simd,
// or Chromium).
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// ---- probe -------------------------------------------------------------------
// bit 0: the second operand's bytes >= 0x80 read as unsigned (x86: vpdpbusd /
//        pmaddubsw); bit 1: read as signed (Arm: sdot); bit 2: a pair of
//        products that leaves int16 is exact (no pmaddubsw saturation).
EXPORT(probe) int32_t probe(void) {
  volatile int8_t x = -128;  // keeps clang from folding the dot
  const v128_t one = wasm_i8x16_splat(1), hi = wasm_i8x16_splat(x);
  const int32_t r = wasm_i32x4_extract_lane(wasm_i32x4_relaxed_dot_i8x16_i7x16_add(one, hi, wasm_i32x4_splat(0)), 0);
  // -127 x 0xff: a pair of products is -64770 unsigned (or 254 signed).
  const v128_t big = wasm_i8x16_splat((int8_t)(x + 1));
  const v128_t u255 = wasm_i8x16_splat((int8_t)0xff);
  const int32_t s = wasm_i32x4_extract_lane(wasm_i32x4_relaxed_dot_i8x16_i7x16_add(big, u255, wasm_i32x4_splat(0)), 0);
  int32_t bits = 0;
  if (r == 4 * 128) bits |= 1;
  if (r == 4 * -128) bits |= 2;
  if ((bits & 1) && s == 4 * -127 * 255) bits |= 4;
  if ((bits & 2) && s == 4 * -127 * -1) bits |= 4;
  return bits;
}

// ---- buffers -----------------------------------------------------------------
static int8_t g_a[1 << 20], g_w[1 << 22];
static int16_t g_a16[4 * 4096], g_w16[1 << 21];
static uint8_t g_au[4 * 4096];
static int32_t g_c[1 << 20];
EXPORT(buf_a) int8_t* buf_a(void) { return g_a; }
EXPORT(buf_w) int8_t* buf_w(void) { return g_w; }
EXPORT(buf_c) int32_t* buf_c(void) { return g_c; }

// ---- ceilings: 8 accumulators, 4 A vectors in registers, 2 W loads per 8 dots --
#define RING 8
EXPORT(ceiling_dot16) int32_t ceiling_dot16(int reps) {
  v128_t acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = wasm_i32x4_splat(0);
  const v128_t* v = (const v128_t*)g_w16;
  const v128_t a0 = wasm_v128_load(g_a16), a1 = wasm_v128_load(g_a16 + 8), a2 = wasm_v128_load(g_a16 + 16),
               a3 = wasm_v128_load(g_a16 + 24);
  for (int r = 0; r < reps; ++r) {
    const v128_t* w = v + (r & (RING - 1)) * 16;
#pragma clang loop unroll(disable)
    for (int u = 0; u < 8; ++u) {
      const v128_t w0 = wasm_v128_load(w + 2 * u), w1 = wasm_v128_load(w + 2 * u + 1);
      acc[0] = wasm_i32x4_add(acc[0], wasm_i32x4_dot_i16x8(a0, w0));
      acc[1] = wasm_i32x4_add(acc[1], wasm_i32x4_dot_i16x8(a0, w1));
      acc[2] = wasm_i32x4_add(acc[2], wasm_i32x4_dot_i16x8(a1, w0));
      acc[3] = wasm_i32x4_add(acc[3], wasm_i32x4_dot_i16x8(a1, w1));
      acc[4] = wasm_i32x4_add(acc[4], wasm_i32x4_dot_i16x8(a2, w0));
      acc[5] = wasm_i32x4_add(acc[5], wasm_i32x4_dot_i16x8(a2, w1));
      acc[6] = wasm_i32x4_add(acc[6], wasm_i32x4_dot_i16x8(a3, w0));
      acc[7] = wasm_i32x4_add(acc[7], wasm_i32x4_dot_i16x8(a3, w1));
    }
  }
  v128_t s = acc[0];
  for (int i = 1; i < 8; ++i) s = wasm_i32x4_add(s, acc[i]);
  return wasm_i32x4_extract_lane(s, 0);
}

EXPORT(ceiling_relaxed) int32_t ceiling_relaxed(int reps) {
  v128_t acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = wasm_i32x4_splat(0);
  const v128_t* v = (const v128_t*)g_w;
  const v128_t a0 = wasm_v128_load(g_au), a1 = wasm_v128_load(g_au + 16), a2 = wasm_v128_load(g_au + 32),
               a3 = wasm_v128_load(g_au + 48);
  for (int r = 0; r < reps; ++r) {
    const v128_t* w = v + (r & (RING - 1)) * 16;
#pragma clang loop unroll(disable)
    for (int u = 0; u < 8; ++u) {
      const v128_t w0 = wasm_v128_load(w + 2 * u), w1 = wasm_v128_load(w + 2 * u + 1);
      acc[0] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a0, acc[0]);
      acc[1] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a0, acc[1]);
      acc[2] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a1, acc[2]);
      acc[3] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a1, acc[3]);
      acc[4] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a2, acc[4]);
      acc[5] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a2, acc[5]);
      acc[6] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a3, acc[6]);
      acc[7] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a3, acc[7]);
    }
  }
  v128_t s = acc[0];
  for (int i = 1; i < 8; ++i) s = wasm_i32x4_add(s, acc[i]);
  return wasm_i32x4_extract_lane(s, 0);
}

// ---- packing -------------------------------------------------------------------
// dot16 (today's 4x8c2): w16[nb][kp][j][2] = W[8nb+j][2kp..2kp+1] as int16.
// relaxed (4x8c4):       w8 [nb][kq][j][4] = W[8nb+j][4kq..4kq+3] as int8.
// k is a multiple of 8, n of 8.
EXPORT(pack) void pack(int n, int k) {
  int16_t* o16 = g_w16;
  int8_t* o8 = g_w + (1 << 21);  // second half of g_w
  for (int nb = 0; nb < n / 8; ++nb) {
    for (int kp = 0; kp < k / 2; ++kp)
      for (int j = 0; j < 8; ++j)
        for (int e = 0; e < 2; ++e) *o16++ = g_w[(8 * nb + j) * k + 2 * kp + e];
    for (int kq = 0; kq < k / 4; ++kq)
      for (int j = 0; j < 8; ++j)
        for (int e = 0; e < 4; ++e) *o8++ = g_w[(8 * nb + j) * k + 4 * kq + e];
  }
}

// C[m][n] = sum_k A[m][k] W[n][k], m a multiple of 4.
EXPORT(gemm_dot16) void gemm_dot16(int m, int k, int n) {
  for (int m0 = 0; m0 < m; m0 += 4) {
    // Widen 4 rows, interleaved by pair: a16[kp][r][2].
    for (int kp = 0; kp < k / 2; ++kp)
      for (int r = 0; r < 4; ++r)
        for (int e = 0; e < 2; ++e) g_a16[(kp * 4 + r) * 2 + e] = g_a[(m0 + r) * k + 2 * kp + e];
    for (int nb = 0; nb < n / 8; ++nb) {
      const int16_t* wp = g_w16 + nb * 8 * k;
      v128_t c00 = wasm_i32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#pragma clang loop unroll(disable)
      for (int kp = 0; kp < k / 2; ++kp) {
        const v128_t w0 = wasm_v128_load(wp + 16 * kp), w1 = wasm_v128_load(wp + 16 * kp + 8);
        const int16_t* ap = g_a16 + 8 * kp;
        const v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 2);
        const v128_t a2 = wasm_v128_load32_splat(ap + 4), a3 = wasm_v128_load32_splat(ap + 6);
        c00 = wasm_i32x4_add(c00, wasm_i32x4_dot_i16x8(a0, w0));
        c01 = wasm_i32x4_add(c01, wasm_i32x4_dot_i16x8(a0, w1));
        c10 = wasm_i32x4_add(c10, wasm_i32x4_dot_i16x8(a1, w0));
        c11 = wasm_i32x4_add(c11, wasm_i32x4_dot_i16x8(a1, w1));
        c20 = wasm_i32x4_add(c20, wasm_i32x4_dot_i16x8(a2, w0));
        c21 = wasm_i32x4_add(c21, wasm_i32x4_dot_i16x8(a2, w1));
        c30 = wasm_i32x4_add(c30, wasm_i32x4_dot_i16x8(a3, w0));
        c31 = wasm_i32x4_add(c31, wasm_i32x4_dot_i16x8(a3, w1));
      }
      int32_t* c = g_c + m0 * n + nb * 8;
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
      wasm_v128_store(c + n, c10); wasm_v128_store(c + n + 4, c11);
      wasm_v128_store(c + 2 * n, c20); wasm_v128_store(c + 2 * n + 4, c21);
      wasm_v128_store(c + 3 * n, c30); wasm_v128_store(c + 3 * n + 4, c31);
    }
  }
}

// The same with relaxed dots: activations flipped to unsigned (a + 128, the
// second operand), the correction -128 * sum_k W[n][k] added at the end
// (in the product it is folded into the bias at pack time). Exact only
// where probe() has bits 0 and 2.
EXPORT(gemm_relaxed) void gemm_relaxed(int m, int k, int n) {
  const int8_t* w8 = g_w + (1 << 21);
  for (int m0 = 0; m0 < m; m0 += 4) {
    // Flip 4 rows, interleaved by quad: au[kq][r][4].
    for (int kq = 0; kq < k / 4; ++kq)
      for (int r = 0; r < 4; ++r)
        for (int e = 0; e < 4; ++e) g_au[(kq * 4 + r) * 4 + e] = (uint8_t)(g_a[(m0 + r) * k + 4 * kq + e] ^ 0x80);
    for (int nb = 0; nb < n / 8; ++nb) {
      const int8_t* wp = w8 + nb * 8 * k;
      v128_t c00 = wasm_i32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#pragma clang loop unroll(disable)
      for (int kq = 0; kq < k / 4; ++kq) {
        const v128_t w0 = wasm_v128_load(wp + 32 * kq), w1 = wasm_v128_load(wp + 32 * kq + 16);
        const uint8_t* ap = g_au + 16 * kq;
        const v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 4);
        const v128_t a2 = wasm_v128_load32_splat(ap + 8), a3 = wasm_v128_load32_splat(ap + 12);
        c00 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a0, c00);
        c01 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a0, c01);
        c10 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a1, c10);
        c11 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a1, c11);
        c20 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a2, c20);
        c21 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a2, c21);
        c30 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0, a3, c30);
        c31 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w1, a3, c31);
      }
      int32_t* c = g_c + (1 << 19) + m0 * n + nb * 8;  // second half: compared with gemm_dot16's
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
      wasm_v128_store(c + n, c10); wasm_v128_store(c + n + 4, c11);
      wasm_v128_store(c + 2 * n, c20); wasm_v128_store(c + 2 * n + 4, c21);
      wasm_v128_store(c + 3 * n, c30); wasm_v128_store(c + 3 * n + 4, c31);
    }
  }
}
