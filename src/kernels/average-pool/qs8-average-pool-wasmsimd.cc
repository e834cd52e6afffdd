// Average pooling, WebAssembly SIMD128: 16 channels of one output pixel per
// step, summed over the window's in-image cells.
//
// Exactness: the sum of (x - zx) is an integer; it is accumulated as sum(x)
// in int16 lanes (at most 256 cells, |sum| <= 128 * 256, before widening to
// int32) and -count * zx is added once, so the int32 equals the reference's.
// The multiplier fl(scale_in / scale_out / count) is the reference's double
// division, once per output pixel (count varies only by pixel), and
// RequantSimd is Requantize bit for bit. TFLite's rounding (params.h
// PoolRounding) divides the raw sum in float32 instead (TfliteDivide).
#include "kernels/kernels.h"
#include "kernels/simd128.h"
#include "kernels/requantize-simd.h"

namespace qwasm {
namespace {

// Cells summed in int16 before widening: 256 * [-128, 127] fits.
constexpr int kInt16Cells = 256;

struct Window {
  const int8_t* first;  // the top-left in-image cell at channel c
  int rows, cols;       // in-image cells
  size_t row_stride, col_stride;
  size_t readable;  // bytes readable from `first` to the end of the input
};

// TFLite's integer average (params.h PoolRounding, TflitePoolAverage) of four
// raw sums over `cells`: |t| < 2^24 (cells <= kPoolIntegerMaxCells), so
// f32 holds t and the correctly rounded quotient; a non-integer t / cells
// lies >= 1 / cells from any integer, more than the quotient's rounding
// error (|t / cells| 2^-24 < 1 / (2 cells)), so floor and trunc of the
// float quotient are those of the exact one.
struct TfliteDivide {
  TfliteDivide(PoolRounding rounding, int32_t cells, const QOutput& out)
      : half(wasm_i32x4_splat(cells / 2)), divisor(wasm_f32x4_splat(static_cast<float>(cells))),
        lo(wasm_i32x4_splat(out.min)), hi(wasm_i32x4_splat(out.max)), half_up(rounding == PoolRounding::kTfliteUint8) {}
  v128_t operator()(v128_t sum) const {
    v128_t q;
    if (half_up) {
      const v128_t t = wasm_i32x4_add(sum, half);
      q = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_floor(wasm_f32x4_div(wasm_f32x4_convert_i32x4(t), divisor)));
    } else {
      const v128_t t = wasm_v128_bitselect(wasm_i32x4_add(sum, half), wasm_i32x4_sub(sum, half),
                                           wasm_i32x4_gt(sum, wasm_i32x4_splat(0)));
      q = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_div(wasm_f32x4_convert_i32x4(t), divisor));
    }
    return wasm_i32x4_min(wasm_i32x4_max(q, lo), hi);
  }
  v128_t half, divisor, lo, hi;
  bool half_up;
};

// The sums of 16 channels over the window's cells, from `bias` (only the
// first `readable` bytes from w.first may be read), as four int32x4.
template <typename Finish>
inline v128_t PoolChannels16(const Window& w, v128_t bias, const Finish& finish) {
  v128_t acc0 = bias, acc1 = bias, acc2 = bias, acc3 = bias;
  v128_t lo = wasm_i16x8_splat(0), hi = wasm_i16x8_splat(0);
  int pending = 0;
  auto flush = [&] {
    acc0 = wasm_i32x4_add(acc0, wasm_i32x4_extend_low_i16x8(lo));
    acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extend_high_i16x8(lo));
    acc2 = wasm_i32x4_add(acc2, wasm_i32x4_extend_low_i16x8(hi));
    acc3 = wasm_i32x4_add(acc3, wasm_i32x4_extend_high_i16x8(hi));
    lo = hi = wasm_i16x8_splat(0);
    pending = 0;
  };
  for (int r = 0; r < w.rows; ++r) {
    const size_t row = r * w.row_stride;
    for (int c = 0; c < w.cols; ++c) {
      const size_t at = row + c * w.col_stride;
      const v128_t x = LoadI8x16Upto(w.first + at, w.readable - at);
      lo = wasm_i16x8_add(lo, wasm_i16x8_extend_low_i8x16(x));
      hi = wasm_i16x8_add(hi, wasm_i16x8_extend_high_i8x16(x));
      if (++pending == kInt16Cells) flush();
    }
  }
  flush();
  return PackI32x4x4ToI8x16(finish(acc0), finish(acc1), finish(acc2), finish(acc3));
}

}  // namespace

void qs8_average_pool__wasmsimd(const QPoolParams& p, size_t row_begin, size_t row_end,
                                size_t c_begin, size_t c_end, const int8_t* input,
                                int8_t* output) {
  const WindowShape& s = p.shape;
  const RequantSimd rq(p.output);
  // TFLite's rounding divides the raw sum; Requantize takes sum(x - zx).
  const bool integer = p.rounding != PoolRounding::kRequantize;
  const size_t channels = static_cast<size_t>(s.in_c);
  const size_t input_bytes = static_cast<size_t>(s.batch) * s.in_h * s.in_w * channels;
  const size_t width = c_end - c_begin;
  for (size_t row = row_begin; row < row_end; ++row) {
    const int n = static_cast<int>(row / s.out_h), oy = static_cast<int>(row % s.out_h);
    const int iy0 = oy * s.stride_h - s.pad_top;
    const int ky0 = iy0 < 0 ? -iy0 : 0;
    const int ky1 = s.in_h - iy0 < s.kernel_h ? s.in_h - iy0 : s.kernel_h;
    for (int ox = 0; ox < s.out_w; ++ox) {
      const int ix0 = ox * s.stride_w - s.pad_left;
      const int kx0 = ix0 < 0 ? -ix0 : 0;
      const int kx1 = s.in_w - ix0 < s.kernel_w ? s.in_w - ix0 : s.kernel_w;
      Window w;
      w.rows = ky1 - ky0;
      w.cols = kx1 - kx0;
      w.col_stride = channels;
      w.row_stride = static_cast<size_t>(s.in_w) * channels;
      const size_t first =
          ((static_cast<size_t>(n) * s.in_h + iy0 + ky0) * s.in_w + ix0 + kx0) * channels;
      // count >= 1: prepare guarantees every window overlaps the image.
      const int32_t count = w.rows * w.cols;
      int8_t* out = output + (row * s.out_w + ox) * channels;
      // Stores the pixel's channels [c_begin, c_end), sums from `bias`
      // turned into bytes by `finish`.
      auto pixel = [&](v128_t bias, const auto& finish) {
        auto block = [&](size_t c) {
          w.first = input + first + c;
          w.readable = input_bytes - first - c;
          return PoolChannels16(w, bias, finish);
        };
        size_t c = c_begin;
        for (; c + 16 <= c_end; c += 16) wasm_v128_store(out + c, block(c));
        if (c == c_end) return;
        if (width >= 16) {
          // Recompute the range's last 16 channels: same values, no partial store.
          wasm_v128_store(out + c_end - 16, block(c_end - 16));
        } else {
          StoreI8x16Prefix(out + c, block(c), c_end - c);
        }
      };
      if (integer) {
        pixel(wasm_i32x4_splat(0), TfliteDivide(p.rounding, count, p.output));  // the raw sum
      } else {
        const v128_t scale = wasm_f32x4_splat(static_cast<float>(p.input_over_output_scale / count));
        pixel(wasm_i32x4_splat(-count * p.input_zero_point), [&](v128_t sum) { return rq.Apply(sum, scale); });
      }
    }
  }
}

}  // namespace qwasm
