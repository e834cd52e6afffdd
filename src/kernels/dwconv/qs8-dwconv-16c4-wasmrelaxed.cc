// 16c4 depthwise microkernel, WebAssembly relaxed SIMD (layout in
// dwconv/dwconv.h). Compiled by clang-19 into the relaxed side module
// (kernels/relaxed.h) and, natively, with the emulated instruction of
// kernels/relaxed-simd.h. Includes nothing that needs the C++ library.
#include "kernels/dwconv/dwconv-relaxed-call.h"
#include "kernels/relaxed-simd.h"
#include "kernels/requantize-simd.h"

namespace qwasm {
namespace {

// Taps t0..t3 of 16 channels -> per channel [t0 t1 t2 t3], channels 0-3,
// 4-7, 8-11, 12-15 in q[0..3].
inline void Transpose16(v128_t t0, v128_t t1, v128_t t2, v128_t t3, v128_t q[4]) {
  const v128_t lo01 = wasm_i8x16_shuffle(t0, t1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t hi01 = wasm_i8x16_shuffle(t0, t1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const v128_t lo23 = wasm_i8x16_shuffle(t2, t3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t hi23 = wasm_i8x16_shuffle(t2, t3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  q[0] = wasm_i16x8_shuffle(lo01, lo23, 0, 8, 1, 9, 2, 10, 3, 11);
  q[1] = wasm_i16x8_shuffle(lo01, lo23, 4, 12, 5, 13, 6, 14, 7, 15);
  q[2] = wasm_i16x8_shuffle(hi01, hi23, 0, 8, 1, 9, 2, 10, 3, 11);
  q[3] = wasm_i16x8_shuffle(hi01, hi23, 4, 12, 5, 13, 6, 14, 7, 15);
}

// Stores the first n bytes of v through the call's scratch bytes.
inline void StorePrefix(int8_t* out, v128_t v, size_t n, int8_t* tmp) {
  wasm_v128_store(tmp, v);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[i];
}

// Tap vectors of 16 (or, with load64, 8) channels, flipped as the engine
// reads them, transposed into q.
inline void LoadQuad16(const int8_t* p0, const int8_t* p1, const int8_t* p2, const int8_t* p3, size_t c,
                       v128_t flip, v128_t q[4]) {
  Transpose16(wasm_v128_xor(wasm_v128_load(p0 + c), flip), wasm_v128_xor(wasm_v128_load(p1 + c), flip),
              wasm_v128_xor(wasm_v128_load(p2 + c), flip), wasm_v128_xor(wasm_v128_load(p3 + c), flip), q);
}

inline void LoadQuad8(const int8_t* p0, const int8_t* p1, const int8_t* p2, const int8_t* p3, size_t c,
                      v128_t flip, v128_t q[4]) {
  Transpose16(wasm_v128_xor(wasm_v128_load64_zero(p0 + c), flip), wasm_v128_xor(wasm_v128_load64_zero(p1 + c), flip),
              wasm_v128_xor(wasm_v128_load64_zero(p2 + c), flip), wasm_v128_xor(wasm_v128_load64_zero(p3 + c), flip),
              q);
}

// The tap slot e of quad qd reads (dwconv.h).
inline const int8_t* SlotTap(const int8_t* const* tap, size_t taps, size_t per_quad, size_t qd, size_t e) {
  size_t t = qd * per_quad + (e < per_quad ? e : per_quad - 1);
  return tap[t < taps ? t : taps - 1];
}

inline void Dot4(const uint8_t* w, const v128_t q[4], v128_t acc[4]) {
  acc[0] = RelaxedDotAdd(wasm_v128_load(w), q[0], acc[0]);
  acc[1] = RelaxedDotAdd(wasm_v128_load(w + 16), q[1], acc[1]);
  acc[2] = RelaxedDotAdd(wasm_v128_load(w + 32), q[2], acc[2]);
  acc[3] = RelaxedDotAdd(wasm_v128_load(w + 48), q[3], acc[3]);
}

// Requantizes 16 channels (scales at w) and stores the first n.
inline void Store16(const v128_t acc[4], const uint8_t* w, const RequantSimdSplitClamp& rq, int8_t* out, size_t n,
                    int8_t* tmp) {
  const v128_t y = rq.Pack(rq.Apply(acc[0], wasm_v128_load(w)), rq.Apply(acc[1], wasm_v128_load(w + 16)),
                           rq.Apply(acc[2], wasm_v128_load(w + 32)), rq.Apply(acc[3], wasm_v128_load(w + 48)));
  if (n == 16) {
    wasm_v128_store(out, y);
  } else {
    StorePrefix(out, y, n, tmp);
  }
}

// Channels [c, c + n) of one pixel, n <= 16, from the 16-channel block at w.
inline void Block16(const int8_t* const* tap, size_t taps, size_t per_quad, size_t c, const uint8_t* w, v128_t flip,
                    const RequantSimdSplitClamp& rq, int8_t* out, size_t n, int8_t* tmp) {
  v128_t acc[4] = {wasm_v128_load(w), wasm_v128_load(w + 16), wasm_v128_load(w + 32), wasm_v128_load(w + 48)};
  w += 64;
  v128_t q[4];
  if (per_quad == 4) {
    const int8_t* const* const full_end = tap + (taps & ~size_t{3});
    const int8_t* const* t = tap;
QWASM_LOOP_NO_UNROLL
    for (; t != full_end; t += 4, w += 64) {
      LoadQuad16(t[0], t[1], t[2], t[3], c, flip, q);
      Dot4(w, q, acc);
    }
    if (taps & 3) {  // a partial quad
      const int8_t* const last = tap[taps - 1];
      LoadQuad16(t[0], taps % 4 > 1 ? t[1] : last, taps % 4 > 2 ? t[2] : last, last, c, flip, q);
      Dot4(w, q, acc);
      w += 64;
    }
  } else {
    const size_t quads = (taps + per_quad - 1) / per_quad;
QWASM_LOOP_NO_UNROLL
    for (size_t qd = 0; qd < quads; ++qd, w += 64) {
      LoadQuad16(SlotTap(tap, taps, per_quad, qd, 0), SlotTap(tap, taps, per_quad, qd, 1),
                 SlotTap(tap, taps, per_quad, qd, 2), SlotTap(tap, taps, per_quad, qd, 3), c, flip, q);
      Dot4(w, q, acc);
    }
  }
  Store16(acc, w, rq, out + c, n, tmp);
}

// Channels [c, c + n) of one pixel, n <= 8, from the 8-channel block at w.
inline void Block8(const int8_t* const* tap, size_t taps, size_t per_quad, size_t c, const uint8_t* w, v128_t flip,
                   const RequantSimdSplitClamp& rq, int8_t* out, size_t n, int8_t* tmp) {
  v128_t acc0 = wasm_v128_load(w), acc1 = wasm_v128_load(w + 16);
  w += 32;
  const size_t quads = (taps + per_quad - 1) / per_quad;
  v128_t q[4];
  for (size_t qd = 0; qd < quads; ++qd, w += 32) {
    LoadQuad8(SlotTap(tap, taps, per_quad, qd, 0), SlotTap(tap, taps, per_quad, qd, 1),
              SlotTap(tap, taps, per_quad, qd, 2), SlotTap(tap, taps, per_quad, qd, 3), c, flip, q);
    acc0 = RelaxedDotAdd(wasm_v128_load(w), q[0], acc0);
    acc1 = RelaxedDotAdd(wasm_v128_load(w + 16), q[1], acc1);
  }
  const v128_t y0 = rq.Apply(acc0, wasm_v128_load(w)), y1 = rq.Apply(acc1, wasm_v128_load(w + 16));
  const v128_t y = rq.Pack(y0, y1, y0, y1);
  if (n == 8) {
    wasm_v128_store64_lane(out + c, y, 0);
  } else {
    StorePrefix(out + c, y, n, tmp);
  }
}

// One window column (3 taps, one quad) of 16 channels.
inline void Column16(const int8_t* const* col, size_t c, v128_t flip, v128_t q[4]) {
  LoadQuad16(col[0], col[1], col[2], col[2], c, flip, q);
}

// Channels [c, c + 16) of a whole output row of a 3x3 window whose pixels
// share `shared` columns with the next (2: stride 1, 1: stride 2): each
// pixel shuffles only its new columns. `tap`: the row's first pixel.
inline void Row16Columns(const int8_t* const* tap, size_t pixels, size_t pixel_step, size_t shared, size_t c,
                         const uint8_t* w, v128_t flip, const RequantSimdSplitClamp& rq, int8_t* out,
                         size_t out_stride) {
  v128_t q0[4], q1[4], q2[4];
  Column16(tap, c, flip, q0);
  Column16(tap + 3, c, flip, q1);
QWASM_LOOP_NO_UNROLL
  for (size_t x = 0; x < pixels; ++x, tap += pixel_step, out += out_stride) {
    if (x > 0) {  // the columns this pixel shares with the last one
      if (shared == 2) {
        for (int i = 0; i < 4; ++i) q0[i] = q1[i], q1[i] = q2[i];
      } else {
        for (int i = 0; i < 4; ++i) q0[i] = q2[i];
        Column16(tap + 3, c, flip, q1);
      }
    }
    Column16(tap + 6, c, flip, q2);
    v128_t acc[4] = {wasm_v128_load(w), wasm_v128_load(w + 16), wasm_v128_load(w + 32), wasm_v128_load(w + 48)};
    Dot4(w + 64, q0, acc);
    Dot4(w + 128, q1, acc);
    Dot4(w + 192, q2, acc);
    Store16(acc, w + 256, rq, out + c, 16, nullptr);
  }
}

}  // namespace
}  // namespace qwasm

void qs8_dwconv_16c4__wasmrelaxed(QDwconvRelaxedCall* call) {
  using namespace qwasm;
  const QDwconvRelaxedCall& p = *call;
  QOutput out;
  out.zero_point = p.out_zero_point, out.min = p.out_min, out.max = p.out_max;
  const RequantSimdSplitClamp rq(out);
  const v128_t flip = wasm_i8x16_splat(p.a_offset ? static_cast<int8_t>(0x80) : 0);
  const size_t taps = p.taps, per_quad = p.taps_per_quad, channels = p.channels;
  const size_t quads = (taps + per_quad - 1) / per_quad, block16 = 16 * 4 * (quads + 2);
  const uint8_t* weights = p.packed + p.c_begin / 16 * block16;
  for (size_t r = p.row_begin; r < p.row_end; ++r) {
    const int8_t* const* row_tap = p.indirection + r * p.row_step;
    int8_t* row_out = p.output + r * p.out_w * channels;
    size_t c_pixel = p.c_begin;  // where the per-pixel blocks start
    if (p.shared_columns) {
      const uint8_t* wb = weights;
      for (; c_pixel + 16 <= p.c_end; c_pixel += 16, wb += block16) {
        Row16Columns(row_tap, p.out_w, p.pixel_step, p.shared_columns, c_pixel, wb, flip, rq, row_out, channels);
      }
      if (c_pixel == p.c_end) continue;
    }
    const uint8_t* const pixel_weights = weights + (c_pixel - p.c_begin) / 16 * block16;
    const int8_t* const* tap = row_tap;
    int8_t* o = row_out;
    for (size_t x = 0; x < p.out_w; ++x, tap += p.pixel_step, o += channels) {
      const uint8_t* wb = pixel_weights;
      size_t c = c_pixel;
      for (; c + 16 <= p.c_end; c += 16, wb += block16) Block16(tap, taps, per_quad, c, wb, flip, rq, o, 16, call->tmp);
      if (p.c_end - c > 8) {
        Block16(tap, taps, per_quad, c, wb, flip, rq, o, p.c_end - c, call->tmp);
      } else if (c < p.c_end) {
        Block8(tap, taps, per_quad, c, wb, flip, rq, o, p.c_end - c, call->tmp);
      }
    }
  }
}
