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

// Channels [c, c + n) of one pixel, n <= 16, from the 16-channel block at w.
inline void Block16(const int8_t* const* tap, size_t taps, size_t c, const uint8_t* w, v128_t flip,
                    const RequantSimdSplitClamp& rq, int8_t* out, size_t n, int8_t* tmp) {
  v128_t acc0 = wasm_v128_load(w), acc1 = wasm_v128_load(w + 16);
  v128_t acc2 = wasm_v128_load(w + 32), acc3 = wasm_v128_load(w + 48);
  w += 64;
  const int8_t* const* const full_end = tap + (taps & ~size_t{3});
  v128_t q[4];
  const int8_t* const* t = tap;
QWASM_LOOP_NO_UNROLL
  for (; t != full_end; t += 4, w += 64) {
    Transpose16(wasm_v128_xor(wasm_v128_load(t[0] + c), flip), wasm_v128_xor(wasm_v128_load(t[1] + c), flip),
                wasm_v128_xor(wasm_v128_load(t[2] + c), flip), wasm_v128_xor(wasm_v128_load(t[3] + c), flip), q);
    acc0 = RelaxedDotAdd(wasm_v128_load(w), q[0], acc0);
    acc1 = RelaxedDotAdd(wasm_v128_load(w + 16), q[1], acc1);
    acc2 = RelaxedDotAdd(wasm_v128_load(w + 32), q[2], acc2);
    acc3 = RelaxedDotAdd(wasm_v128_load(w + 48), q[3], acc3);
  }
  if (taps & 3) {  // a partial quad: its missing taps re-read the last one and weigh 0
    const int8_t* const last = tap[taps - 1];
    const int8_t* const p1 = taps % 4 > 1 ? t[1] : last;
    const int8_t* const p2 = taps % 4 > 2 ? t[2] : last;
    Transpose16(wasm_v128_xor(wasm_v128_load(t[0] + c), flip), wasm_v128_xor(wasm_v128_load(p1 + c), flip),
                wasm_v128_xor(wasm_v128_load(p2 + c), flip), wasm_v128_xor(wasm_v128_load(last + c), flip), q);
    acc0 = RelaxedDotAdd(wasm_v128_load(w), q[0], acc0);
    acc1 = RelaxedDotAdd(wasm_v128_load(w + 16), q[1], acc1);
    acc2 = RelaxedDotAdd(wasm_v128_load(w + 32), q[2], acc2);
    acc3 = RelaxedDotAdd(wasm_v128_load(w + 48), q[3], acc3);
    w += 64;
  }
  const v128_t y = rq.Pack(rq.Apply(acc0, wasm_v128_load(w)), rq.Apply(acc1, wasm_v128_load(w + 16)),
                           rq.Apply(acc2, wasm_v128_load(w + 32)), rq.Apply(acc3, wasm_v128_load(w + 48)));
  if (n == 16) {
    wasm_v128_store(out + c, y);
  } else {
    StorePrefix(out + c, y, n, tmp);
  }
}

// Channels [c, c + n) of one pixel, n <= 8, from the 8-channel block at w.
inline void Block8(const int8_t* const* tap, size_t taps, size_t c, const uint8_t* w, v128_t flip,
                   const RequantSimdSplitClamp& rq, int8_t* out, size_t n, int8_t* tmp) {
  v128_t acc0 = wasm_v128_load(w), acc1 = wasm_v128_load(w + 16);
  w += 32;
  const size_t quads = (taps + 3) / 4;
  v128_t q[4];
  for (size_t qd = 0; qd < quads; ++qd, w += 32) {
    const int8_t* p[4];
    for (size_t e = 0; e < 4; ++e) p[e] = tap[4 * qd + e < taps ? 4 * qd + e : taps - 1];
    Transpose16(wasm_v128_xor(wasm_v128_load64_zero(p[0] + c), flip), wasm_v128_xor(wasm_v128_load64_zero(p[1] + c), flip),
                wasm_v128_xor(wasm_v128_load64_zero(p[2] + c), flip), wasm_v128_xor(wasm_v128_load64_zero(p[3] + c), flip), q);
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

}  // namespace
}  // namespace qwasm

extern "C" void qwasm_qs8_dwconv_16c4_relaxed(QDwconvRelaxedCall* call) {
  using namespace qwasm;
  const QDwconvRelaxedCall& p = *call;
  QOutput out;
  out.zero_point = p.out_zero_point, out.min = p.out_min, out.max = p.out_max;
  const RequantSimdSplitClamp rq(out);
  const v128_t flip = wasm_i8x16_splat(p.a_offset ? static_cast<int8_t>(0x80) : 0);
  const size_t taps = p.taps, channels = p.channels;
  const size_t quads = (taps + 3) / 4, block16 = 16 * 4 * (quads + 2);
  const uint8_t* weights = p.packed + p.c_begin / 16 * block16;
  for (size_t r = p.row_begin; r < p.row_end; ++r) {
    const int8_t* const* tap = p.indirection + r * p.row_step;
    int8_t* o = p.output + r * p.out_w * channels;
    for (size_t x = 0; x < p.out_w; ++x, tap += p.pixel_step, o += channels) {
      const uint8_t* wb = weights;
      size_t c = p.c_begin;
      for (; c + 16 <= p.c_end; c += 16, wb += block16) Block16(tap, taps, c, wb, flip, rq, o, 16, call->tmp);
      if (p.c_end - c > 8) {
        Block16(tap, taps, c, wb, flip, rq, o, p.c_end - c, call->tmp);
      } else if (c < p.c_end) {
        Block8(tap, taps, c, wb, flip, rq, o, p.c_end - c, call->tmp);
      }
    }
  }
}
