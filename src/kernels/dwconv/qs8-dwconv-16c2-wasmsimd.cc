// Fast depthwise convolution: WebAssembly SIMD128 microkernels driven by the
// indirection buffer (algorithm and layouts in dwconv.h).
#include <cstring>

#include "kernels/dwconv/dwconv.h"
#include "kernels/requantize-simd.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

// Packed bytes of one block of 16 (8) channels: bias, tap pairs, scales.
size_t BlockBytes(size_t block, size_t pairs) { return block * 4 * (pairs + 2); }

// Widens one 16-bit-interleaved vector [a0 a1 b0 b1 a2 a3 b2 b3 ...] into
// the int16 pairs of its even channels (a0 b0 a2 b2 ...) and odd channels
// (a1 b1 a3 b3 ...), and accumulates their dot products with the weights.
// kEvenX256: the even pairs stay shifted left by 8, i.e. 256 (a0 b0 ...),
// which saves a shift per vector (QDepthwiseWeights::even_x256).
template <bool kEvenX256>
inline void DotEvenOdd(v128_t ab, const uint8_t* w, v128_t& even, v128_t& odd) {
  const v128_t e = kEvenX256 ? wasm_i16x8_shl(ab, 8) : wasm_i16x8_shr(wasm_i16x8_shl(ab, 8), 8);
  const v128_t o = wasm_i16x8_shr(ab, 8);
  even = wasm_i32x4_add(even, wasm_i32x4_dot_i16x8(e, wasm_v128_load(w)));
  odd = wasm_i32x4_add(odd, wasm_i32x4_dot_i16x8(o, wasm_v128_load(w + 16)));
}

// One tap pair over 16 channels: va, vb hold the channels of taps t, t+1.
template <bool kEvenX256>
inline void Pair16(v128_t va, v128_t vb, const uint8_t* w, v128_t acc[4]) {
  DotEvenOdd<kEvenX256>(wasm_i16x8_shuffle(va, vb, 0, 8, 1, 9, 2, 10, 3, 11), w, acc[0], acc[1]);
  DotEvenOdd<kEvenX256>(wasm_i16x8_shuffle(va, vb, 4, 12, 5, 13, 6, 14, 7, 15), w + 32, acc[2], acc[3]);
}

// One tap pair over 8 channels (the low halves of va, vb).
template <bool kEvenX256>
inline void Pair8(v128_t va, v128_t vb, const uint8_t* w, v128_t acc[2]) {
  DotEvenOdd<kEvenX256>(wasm_i16x8_shuffle(va, vb, 0, 8, 1, 9, 2, 10, 3, 11), w, acc[0], acc[1]);
}

// [a0 b0 a1 b1 ... a7 b7]; V8 emits one punpcklbw for this shuffle.
inline v128_t InterleaveLowBytes(v128_t a, v128_t b) {
  return wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// Stores the first n bytes of v (n < 16: a channel tail).
inline void StorePrefix(int8_t* out, v128_t v, size_t n) {
  alignas(16) int8_t tmp[16];
  wasm_v128_store(tmp, v);
  std::memcpy(out, tmp, n);
}

// The tap pairs stay a loop on purpose: unrolled, V8's TurboFan hoists
// every load of the block to its start and spills (measured 25% slower for
// 3x3); a loop iteration keeps 4 accumulators + ~8 temporaries live.

// Channels [c, c + n) of one pixel, n <= 16, from one 16-channel block at w.
template <bool kEvenX256>
inline void Block16(const int8_t* const* tap, size_t taps, size_t c, const uint8_t* w,
                    const RequantSimd& rq, int8_t* out, size_t n) {
  v128_t acc[4];
  for (int a = 0; a < 4; ++a) acc[a] = wasm_v128_load(w + 16 * a);
  w += 64;
  const int8_t* const* const pairs_end = tap + (taps & ~size_t{1});
QWASM_LOOP_NO_UNROLL
  for (; tap != pairs_end; tap += 2, w += 64) {
    Pair16<kEvenX256>(wasm_v128_load(tap[0] + c), wasm_v128_load(tap[1] + c), w, acc);
  }
  if (taps & 1) {
    const v128_t v = wasm_v128_load(tap[0] + c);
    Pair16<kEvenX256>(v, v, w, acc);  // partner weight 0
    w += 64;
  }
  for (int a = 0; a < 4; ++a) acc[a] = rq.Apply(acc[a], wasm_v128_load(w + 16 * a));
  // acc: channels {0,2,4,6}, {1,3,5,7}, {8,...,14}, {9,...,15}. The
  // narrowings give the even and the odd channels as bytes, one byte
  // interleave (punpcklbw) restores channel order.
  const v128_t even16 = wasm_i16x8_narrow_i32x4(acc[0], acc[2]);
  const v128_t odd16 = wasm_i16x8_narrow_i32x4(acc[1], acc[3]);
  const v128_t v = InterleaveLowBytes(wasm_i8x16_narrow_i16x8(even16, even16),
                                      wasm_i8x16_narrow_i16x8(odd16, odd16));
  if (n == 16) {
    wasm_v128_store(out + c, v);
  } else {
    StorePrefix(out + c, v, n);
  }
}

// Channels [c, c + n) of one pixel, n <= 8, from one 8-channel block at w.
template <bool kEvenX256>
inline void Block8(const int8_t* const* tap, size_t taps, size_t c, const uint8_t* w,
                   const RequantSimd& rq, int8_t* out, size_t n) {
  v128_t acc[2] = {wasm_v128_load(w), wasm_v128_load(w + 16)};
  w += 32;
  const int8_t* const* const pairs_end = tap + (taps & ~size_t{1});
QWASM_LOOP_NO_UNROLL
  for (; tap != pairs_end; tap += 2, w += 32) {
    Pair8<kEvenX256>(wasm_v128_load64_zero(tap[0] + c), wasm_v128_load64_zero(tap[1] + c), w, acc);
  }
  if (taps & 1) {
    const v128_t v = wasm_v128_load64_zero(tap[0] + c);
    Pair8<kEvenX256>(v, v, w, acc);
    w += 32;
  }
  acc[0] = rq.Apply(acc[0], wasm_v128_load(w));
  acc[1] = rq.Apply(acc[1], wasm_v128_load(w + 16));
  // acc: channels {0,2,4,6}, {1,3,5,7}.
  const v128_t even16 = wasm_i16x8_narrow_i32x4(acc[0], acc[0]);
  const v128_t odd16 = wasm_i16x8_narrow_i32x4(acc[1], acc[1]);
  const v128_t v = InterleaveLowBytes(wasm_i8x16_narrow_i16x8(even16, even16),
                                      wasm_i8x16_narrow_i16x8(odd16, odd16));
  if (n == 8) {
    wasm_v128_store64_lane(out + c, v, 0);
  } else {
    StorePrefix(out + c, v, n);
  }
}

// Output rows [row_begin, row_end), channels [c_begin, c_end).
template <bool kEvenX256>
void Rows(const QDepthwiseWeights& w, const RequantSimd& rq, const WindowShape& s,
          const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end,
          size_t c_begin, size_t c_end) {
  const size_t taps = static_cast<size_t>(w.taps);
  const size_t row_step = dwconv_row_step(s), pixel_step = dwconv_pixel_step(s);
  const size_t channels = static_cast<size_t>(s.out_c);
  const size_t block16 = BlockBytes(16, (taps + 1) / 2);
  const uint8_t* weights = w.packed.data() + c_begin / 16 * block16;
  for (size_t r = row_begin; r < row_end; ++r) {
    const int8_t* const* tap = indirection + r * row_step;
    int8_t* o = output + r * s.out_w * channels;
    for (int x = 0; x < s.out_w; ++x, tap += pixel_step, o += channels) {
      const uint8_t* wb = weights;
      size_t c = c_begin;
      for (; c + 16 <= c_end; c += 16, wb += block16) Block16<kEvenX256>(tap, taps, c, wb, rq, o, 16);
      if (c_end - c > 8) {
        Block16<kEvenX256>(tap, taps, c, wb, rq, o, c_end - c);
      } else if (c < c_end) {
        Block8<kEvenX256>(tap, taps, c, wb, rq, o, c_end - c);
      }
    }
  }
}

}  // namespace

void qs8_dwconv_16c2__wasmsimd(const QDepthwiseWeights& w, const QOutput& out,
                                    const WindowShape& s, const int8_t* const* indirection,
                                    int8_t* output, size_t row_begin, size_t row_end,
                                    size_t c_begin, size_t c_end) {
  const RequantSimd rq(out);
  if (w.even_x256) {
    Rows<true>(w, rq, s, indirection, output, row_begin, row_end, c_begin, c_end);
  } else {
    Rows<false>(w, rq, s, indirection, output, row_begin, row_end, c_begin, c_end);
  }
}

}  // namespace qwasm
