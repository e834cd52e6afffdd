// transpose-wasmsimd.h — one 2-D plane of a transpose, out[a][b] = in[b][a]
// for a < A, b < B, with in's rows ss elements apart and out's ds apart
// (x-transpose-wasmsimd.cc reduces every permutation to such planes).
// Element sizes 1 and 4 move in vectors, according to the plane's shape:
//   * both sides at least a tile (8x8 bytes, 4x4 words): tiles transposed
//     with interleaving shuffles, in bands of input rows whose output rows
//     are 64 bytes wide, so each output cache line is written whole;
//   * 2 or 3 input rows (B) and out dense (ds == B), as NCHW -> NHWC with 3
//     channels or a channel shuffle: the B rows interleaved, a vector of
//     each row making B output vectors;
//   * 2 or 3 input columns (A) and in dense (ss == A), as NHWC -> NCHW: the
//     reverse, A input vectors making one vector of each output row.
// The interleaves are chains of two-input shuffles whose lane indices are
// computed at compile time; each count is its own unrolled code, so other
// small sides (4..7 bytes, rare) are left out for the module's size. Edges,
// and other planes, go element by element.
#pragma once

#include <cstring>
#include <utility>

#include "kernels/simd128.h"

namespace qwasm {

// Edges, element by element: one out-of-line scalar copy per element size.
template <size_t kSize>
__attribute__((noinline)) void TransposePlaneScalar(const uint8_t* src, size_t ss, uint8_t* dst, size_t ds, size_t a0,
                                                    size_t a1, size_t b0, size_t b1) {
  QWASM_LOOP_SCALAR
  for (size_t a = a0; a < a1; ++a) {
    QWASM_LOOP_SCALAR
    for (size_t b = b0; b < b1; ++b) std::memcpy(dst + (a * ds + b) * kSize, src + (b * ss + a) * kSize, kSize);
  }
}

namespace transpose_detail {

// A two-input shuffle of L lanes (16 bytes or 4 words) whose lane k is
// F::Lane(k): 0..L-1 from x, L..2L-1 from y.
template <int L, class F>
inline v128_t Shuffle(v128_t x, v128_t y) {
  if constexpr (L == 16) {
    return wasm_i8x16_shuffle(x, y, F::Lane(0), F::Lane(1), F::Lane(2), F::Lane(3), F::Lane(4), F::Lane(5),
                              F::Lane(6), F::Lane(7), F::Lane(8), F::Lane(9), F::Lane(10), F::Lane(11),
                              F::Lane(12), F::Lane(13), F::Lane(14), F::Lane(15));
  } else {
    static_assert(L == 4);
    return wasm_i32x4_shuffle(x, y, F::Lane(0), F::Lane(1), F::Lane(2), F::Lane(3));
  }
}

// Chain step S (1..N-1) building one output vector from N input vectors:
// step 1 takes lanes from inputs 0 and 1, step S > 1 keeps the lanes built
// so far and takes those of input S. Lane k comes from lane
// Source::LaneIn(k) of input Source::Vector(k).
template <int L, int S, class Source>
struct ChainStep {
  static constexpr int Lane(int k) {
    const int v = Source::Vector(k), lane = Source::LaneIn(k);
    if (S == 1) return v == 0 ? lane : v == 1 ? L + lane : 0;
    return v == S ? L + lane : k;
  }
};

template <int L, int N, class Source, size_t... S>
inline v128_t Chain(const v128_t* in, std::index_sequence<S...>) {
  v128_t t = Shuffle<L, ChainStep<L, 1, Source>>(in[0], in[1]);
  ((t = Shuffle<L, ChainStep<L, S + 2, Source>>(t, in[S + 2])), ...);
  return t;
}

// Interleave of B rows: output vector V's lane k is element g = V L + k of
// the B x L block, i.e. row g % B, lane g / B.
template <int L, int B, int V>
struct InterleaveSource {
  static constexpr int Vector(int k) { return (V * L + k) % B; }
  static constexpr int LaneIn(int k) { return (V * L + k) / B; }
};
// Deinterleave into A rows: output row R's lane k is input element k A + R.
template <int L, int A, int R>
struct DeinterleaveSource {
  static constexpr int Vector(int k) { return (k * A + R) / L; }
  static constexpr int LaneIn(int k) { return (k * A + R) % L; }
};

template <size_t kSize, int B, size_t... V>
inline void InterleaveBlock(const v128_t* rows, uint8_t* dst, std::index_sequence<V...>) {
  constexpr int L = 16 / kSize;
  // (The vector is parenthesised: wasm_v128_store may be a macro.)
  (wasm_v128_store(dst + 16 * V, (Chain<L, B, InterleaveSource<L, B, V>>(rows, std::make_index_sequence<B - 2>()))),
   ...);
}

template <size_t kSize, int A, size_t... R>
inline void DeinterleaveBlock(const v128_t* in, uint8_t* dst, size_t ds, std::index_sequence<R...>) {
  constexpr int L = 16 / kSize;
  (wasm_v128_store(dst + R * ds * kSize,
                   (Chain<L, A, DeinterleaveSource<L, A, R>>(in, std::make_index_sequence<A - 2>()))),
   ...);
}

// B input rows, out dense: L columns at a time.
template <size_t kSize, int B>
void Interleave(const uint8_t* src, size_t ss, uint8_t* dst, size_t a_count) {
  constexpr size_t L = 16 / kSize;
  size_t a0 = 0;
  for (; a0 + L <= a_count; a0 += L) {
    v128_t rows[B];
    for (int b = 0; b < B; ++b) rows[b] = wasm_v128_load(src + (b * ss + a0) * kSize);
    InterleaveBlock<kSize, B>(rows, dst + a0 * B * kSize, std::make_index_sequence<B>());
  }
  TransposePlaneScalar<kSize>(src, ss, dst, B, a0, a_count, 0, B);
}

// A input columns, in dense: L input rows at a time.
template <size_t kSize, int A>
void Deinterleave(const uint8_t* src, uint8_t* dst, size_t ds, size_t b_count) {
  constexpr size_t L = 16 / kSize;
  size_t b0 = 0;
  for (; b0 + L <= b_count; b0 += L) {
    v128_t in[A];
    for (int u = 0; u < A; ++u) in[u] = wasm_v128_load(src + b0 * A * kSize + 16 * u);
    DeinterleaveBlock<kSize, A>(in, dst + b0 * kSize, ds, std::make_index_sequence<A>());
  }
  TransposePlaneScalar<kSize>(src, A, dst, ds, 0, A, b0, b_count);
}

// 8x8 bytes: rows in the low halves, interleaved by 8, 16 and 32 bits.
inline void Tile(std::integral_constant<size_t, 1>, const uint8_t* src, size_t ss, uint8_t* dst, size_t ds) {
  v128_t r[8];
  for (int b = 0; b < 8; ++b) r[b] = wasm_v128_load64_zero(src + b * ss);
  v128_t t[4], u[4];
  for (int k = 0; k < 4; ++k) {
    t[k] = wasm_i8x16_shuffle(r[2 * k], r[2 * k + 1], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  }
  u[0] = wasm_i16x8_shuffle(t[0], t[1], 0, 8, 1, 9, 2, 10, 3, 11);  // columns 0-3 of rows 0-3
  u[1] = wasm_i16x8_shuffle(t[0], t[1], 4, 12, 5, 13, 6, 14, 7, 15);
  u[2] = wasm_i16x8_shuffle(t[2], t[3], 0, 8, 1, 9, 2, 10, 3, 11);  // columns 0-3 of rows 4-7
  u[3] = wasm_i16x8_shuffle(t[2], t[3], 4, 12, 5, 13, 6, 14, 7, 15);
  for (int h = 0; h < 2; ++h) {  // columns 4h..4h+3, two output rows per vector
    const v128_t lo = wasm_i32x4_shuffle(u[h], u[h + 2], 0, 4, 1, 5);
    const v128_t hi = wasm_i32x4_shuffle(u[h], u[h + 2], 2, 6, 3, 7);
    uint8_t* d = dst + 4 * h * ds;
    wasm_v128_store64_lane(d, lo, 0);
    wasm_v128_store64_lane(d + ds, lo, 1);
    wasm_v128_store64_lane(d + 2 * ds, hi, 0);
    wasm_v128_store64_lane(d + 3 * ds, hi, 1);
  }
}

// 4x4 words: interleaved by 32 and 64 bits.
inline void Tile(std::integral_constant<size_t, 4>, const uint8_t* src, size_t ss, uint8_t* dst, size_t ds) {
  const v128_t r0 = wasm_v128_load(src), r1 = wasm_v128_load(src + ss * 4);
  const v128_t r2 = wasm_v128_load(src + ss * 8), r3 = wasm_v128_load(src + ss * 12);
  const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  wasm_v128_store(dst, wasm_i64x2_shuffle(t0, t2, 0, 2));
  wasm_v128_store(dst + ds * 4, wasm_i64x2_shuffle(t0, t2, 1, 3));
  wasm_v128_store(dst + ds * 8, wasm_i64x2_shuffle(t1, t3, 0, 2));
  wasm_v128_store(dst + ds * 12, wasm_i64x2_shuffle(t1, t3, 1, 3));
}

// Picks the instantiation for a runtime count n among 2..sizeof...(N)+1.
template <class F, int... N>
inline bool Dispatch(int n, F&& f, std::integer_sequence<int, N...>) {
  return ((n == N + 2 && (f(std::integral_constant<int, N + 2>()), true)) || ...);
}

}  // namespace transpose_detail

template <size_t kSize>
void TransposePlane(const uint8_t* src, size_t ss, uint8_t* dst, size_t ds, size_t a_count, size_t b_count) {
  using namespace transpose_detail;
  constexpr size_t kTile = kSize == 1 ? 8 : 4, kLanes = 16 / kSize;
  constexpr size_t kBand = 64 / kSize;  // input rows per band: 64 output bytes
  using Small = std::make_integer_sequence<int, 2>;  // (de)interleaves of 2 and 3
  if (a_count >= kTile && b_count >= kTile) {
    const size_t a_end = a_count - a_count % kTile, b_end = b_count - b_count % kTile;
    for (size_t band = 0; band < b_end; band += kBand) {
      const size_t band_end = band + kBand < b_end ? band + kBand : b_end;
      for (size_t a = 0; a < a_end; a += kTile) {
        for (size_t b = band; b < band_end; b += kTile) {
          Tile(std::integral_constant<size_t, kSize>(), src + (b * ss + a) * kSize, ss, dst + (a * ds + b) * kSize,
               ds);
        }
      }
    }
    TransposePlaneScalar<kSize>(src, ss, dst, ds, a_end, a_count, 0, b_end);
    TransposePlaneScalar<kSize>(src, ss, dst, ds, 0, a_count, b_end, b_count);
    return;
  }
  if (b_count < kTile && ds == b_count && a_count >= kLanes &&
      Dispatch(static_cast<int>(b_count),
               [&](auto b) { Interleave<kSize, decltype(b)::value>(src, ss, dst, a_count); }, Small())) {
    return;
  }
  if (a_count < kTile && ss == a_count && b_count >= kLanes &&
      Dispatch(static_cast<int>(a_count),
               [&](auto a) { Deinterleave<kSize, decltype(a)::value>(src, dst, ds, b_count); }, Small())) {
    return;
  }
  TransposePlaneScalar<kSize>(src, ss, dst, ds, 0, a_count, 0, b_count);
}

}  // namespace qwasm
