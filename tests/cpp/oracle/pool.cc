// Oracles of the pooling families: average and max pooling, and the mean
// over H and W, which is an average pool whose one window is the image.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "oracle/oracle-window.h"
#include "oracle/oracle.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

// Every output element (pixel, c): the window's cells inside the image
// folded in (ky, kx) order, acc = add(acc, x) from `start`; output =
// finish(acc, cells).
template <typename T, typename Acc, typename Add, typename Finish>
void Pool(const WindowShape& s, const T* input, Acc start, Add add, Finish finish, T* output) {
  oracle::ForEachOutput(s, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int c = 0; c < s.out_c; ++c) {
      Acc acc = start;
      int cells = 0;
      oracle::ForEachImageTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
        acc = add(acc, input[in_pixel * s.in_c + c]);
        ++cells;
      });
      output[out_pixel * s.out_c + c] = finish(acc, cells);
    }
  });
}

// The mean's window: the whole H x W image, one output pixel per batch.
WindowShape GlobalWindow(int batch, int height, int width, int channels) {
  WindowShape s;
  s.batch = batch;
  s.in_h = s.kernel_h = height;
  s.in_w = s.kernel_w = width;
  s.in_c = s.out_c = channels;
  s.out_h = s.out_w = 1;
  return s;
}

// The exact integer sum of (x - zx), times fl(scale_in / (scale_out * cells))
// computed in double and rounded once to float, then Requantize.
void QAverage(const WindowShape& s, int32_t zero_point, double ratio, const QOutput& out, const int8_t* input,
              int8_t* output) {
  Pool(
      s, input, int64_t{0}, [&](int64_t sum, int8_t x) { return sum + (x - zero_point); },
      [&](int64_t sum, int cells) {
        const float scale = static_cast<float>(ratio / cells);
        return static_cast<int8_t>(Requantize(static_cast<int32_t>(sum), scale, out.zero_point, out.min, out.max));
      },
      output);
}

// The float32 sum in (ky, kx) order divided by the cell count (or by the
// whole window with count_include_pad), then the clamp.
void FAverage(const WindowShape& s, bool count_include_pad, const FOutput& out, const float* input,
              float* output) {
  Pool(
      s, input, 0.0f, [](float sum, float x) { return sum + x; },
      [&](float sum, int cells) {
        const int divisor = count_include_pad ? s.kernel_h * s.kernel_w : cells;
        return out.Apply(sum / static_cast<float>(divisor));
      },
      output);
}

// Max of the finite-or-infinite cells, NaN if any cell is NaN.
struct FloatMax {
  bool nan = false, any = false;
  float max = 0.0f;
};

}  // namespace

void qs8_average_pool__oracle(const QPoolParams& p, const int8_t* input, int8_t* output) {
  if (p.rounding == PoolRounding::kRequantize) {
    QAverage(p.shape, p.input_zero_point, p.input_over_output_scale, p.output, input, output);
    return;
  }
  // TFLite's rounding of the exact mean m = S / c of the raw values: half up
  // (uint8 models: floor(m + 1/2)) or half away from zero (int8), then the
  // clamp. floor(m + 1/2) = floor((2S + c) / 2c).
  const bool half_up = p.rounding == PoolRounding::kTfliteUint8;
  Pool(
      p.shape, input, int64_t{0}, [](int64_t sum, int8_t x) { return sum + x; },
      [&](int64_t s, int cells) {
        const int64_t c2 = 2 * int64_t{cells};
        const auto floor_div = [](int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); };
        const int64_t q = half_up ? floor_div(2 * s + cells, c2)
                                  : (s < 0 ? -floor_div(-2 * s + cells, c2) : floor_div(2 * s + cells, c2));
        return static_cast<int8_t>(std::min<int64_t>(p.output.max, std::max<int64_t>(p.output.min, q)));
      },
      output);
}

void qs8_mean_hw__oracle(const QMeanParams& p, const int8_t* input, int8_t* output) {
  QAverage(GlobalWindow(p.batch, p.height, p.width, p.channels), p.input_zero_point, p.input_over_output_scale,
           p.output, input, output);
}

void qs8_max_pool__oracle(const QMaxPoolParams& p, const int8_t* input, int8_t* output) {
  Pool(
      p.shape, input, -128, [](int best, int8_t x) { return x > best ? int{x} : best; },
      [&](int best, int) {
        return static_cast<int8_t>(best < p.output.min ? p.output.min : best > p.output.max ? p.output.max : best);
      },
      output);
}

void f32_average_pool__oracle(const FPoolParams& p, const float* input, float* output) {
  FAverage(p.shape, p.count_include_pad, p.output, input, output);
}

void f32_mean_hw__oracle(const FMeanParams& p, const float* input, float* output) {
  FAverage(GlobalWindow(p.batch, p.height, p.width, p.channels), false, FOutput{}, input, output);
}

void f32_max_pool__oracle(const FPoolParams& p, const float* input, float* output) {
  Pool(
      p.shape, input, FloatMax{},
      [](FloatMax m, float x) {
        if (std::isnan(x)) m.nan = true;
        else if (!m.any || x > m.max) m.max = x;
        m.any = true;
        return m;
      },
      [&](FloatMax m, int) { return p.output.Apply(m.nan ? NAN : m.max); }, output);
}

}  // namespace qwasm
