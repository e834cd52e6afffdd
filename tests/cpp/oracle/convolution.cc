// Oracles of the convolution families: the int8 and float GEMM (as a fully
// connected layer), CONV_2D (the im2col GEMM) and the depthwise kernels.
// One loop nest serves every one: a fully connected layer is a 1x1
// convolution of a 1x1 image, a depthwise one reads a single input channel
// per output channel.
#include <cstdint>

#include "oracle/oracle-window.h"
#include "oracle/oracle.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

// Every output element (pixel, oc): acc = start(oc); then, for each tap
// inside the image in (ky, kx) order and each input channel of oc's group
// in order, acc += term(x, w); output = finish(acc, oc). Filters: OHWI for a
// convolution, [kh][kw][out_c] for a depthwise one, whose output channel oc
// reads input channel oc / (out_c / in_c).
template <typename Acc, typename T, typename Start, typename Term, typename Finish>
void Convolve(const WindowShape& s, bool depthwise, const T* input, const T* filter, Start start, Term term,
              Finish finish, T* output) {
  const size_t taps = static_cast<size_t>(s.kernel_h) * s.kernel_w;
  const int group_in = depthwise ? 1 : s.in_c;
  const int multiplier = depthwise ? s.out_c / s.in_c : 1;
  oracle::ForEachOutput(s, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int oc = 0; oc < s.out_c; ++oc) {
      Acc acc = start(oc);
      oracle::ForEachImageTap(s, n, oy, ox, [&](size_t in_pixel, int ky, int kx) {
        const size_t tap = static_cast<size_t>(ky) * s.kernel_w + kx;
        for (int ic = 0; ic < group_in; ++ic) {
          const T x = input[in_pixel * s.in_c + (depthwise ? oc / multiplier : ic)];
          const T w = depthwise ? filter[tap * s.out_c + oc] : filter[(oc * taps + tap) * s.in_c + ic];
          acc += term(x, w);
        }
      });
      output[out_pixel * s.out_c + oc] = finish(acc, oc);
    }
  });
}

// The window of a fully connected layer: batch rows of a 1x1 image.
WindowShape DenseShape(int batch, int input_size, int output_size) {
  WindowShape s;
  s.batch = batch;
  s.in_h = s.in_w = s.out_h = s.out_w = 1;
  s.in_c = input_size;
  s.out_c = output_size;
  return s;
}

// int64 sums: exact for any input; the operators keep them inside int32.
void QConvolve(const QConvParams& p, bool depthwise, const int8_t* input, int8_t* output) {
  Convolve<int64_t>(
      p.shape, depthwise, input, p.filter, [&](int oc) -> int64_t { return p.bias ? p.bias[oc] : 0; },
      [&](int8_t x, int8_t w) { return int64_t{x - p.input_zero_point} * (w - p.filter_zero_point); },
      [&](int64_t acc, int oc) {
        return static_cast<int8_t>(Requantize(static_cast<int32_t>(acc), p.scale[oc], p.output.zero_point,
                                              p.output.min, p.output.max));
      },
      output);
}

// float32: one rounded multiply and one rounded add per term.
void FConvolve(const WindowShape& s, bool depthwise, const float* filter, const float* bias, const FOutput& out,
               const float* input, float* output) {
  Convolve<float>(
      s, depthwise, input, filter, [&](int oc) { return bias ? bias[oc] : 0.0f; },
      [](float x, float w) { return x * w; }, [&](float acc, int) { return out.Apply(acc); }, output);
}

}  // namespace

void qs8_conv2d__oracle(const QConvParams& p, const int8_t* input, int8_t* output) {
  QConvolve(p, false, input, output);
}

void qs8_depthwise_conv2d__oracle(const QConvParams& p, const int8_t* input, int8_t* output) {
  QConvolve(p, true, input, output);
}

void qs8_fully_connected__oracle(const QFullyConnectedParams& p, const int8_t* input, int8_t* output) {
  const QConvParams conv{DenseShape(p.batch, p.input_size, p.output_size), p.input_zero_point, p.filter_zero_point,
                         p.filter, p.bias, p.scale, p.output};
  QConvolve(conv, false, input, output);
}

void f32_fully_connected__oracle(const FFullyConnectedParams& p, const float* input, float* output) {
  FConvolve(DenseShape(p.batch, p.input_size, p.output_size), false, p.filter, p.bias, p.output, input, output);
}

void f32_conv2d__oracle(const FConvParams& p, const float* input, float* output) {
  FConvolve(p.shape, false, p.filter, p.bias, p.output, input, output);
}

void f32_depthwise_conv2d__oracle(const FConvParams& p, const float* input, float* output) {
  FConvolve(p.shape, true, p.filter, p.bias, p.output, input, output);
}

}  // namespace qwasm
