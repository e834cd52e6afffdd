// Weight packing of the 16c4 relaxed depthwise kernels (layout in dwconv.h).
#include <cstring>

#include "kernels/dwconv/dwconv.h"

namespace qwasm {
namespace {

template <typename T>
void Append(std::vector<uint8_t>* out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->insert(out->end(), b, b + sizeof(T));
}

QDepthwiseWeights Pack(int channels, int kernel_h, int kernel_w, const int8_t* filter, int32_t filter_zero_point,
                       const int32_t* bias, const float* scale, int32_t input_zero_point, int32_t a_offset) {
  if (filter_zero_point != 0) {  // w - zw may not fit int8
    return qs8_dwconv_16c2_pack(channels, kernel_h, kernel_w, filter, filter_zero_point, bias, scale,
                                input_zero_point);
  }
  QDepthwiseWeights w;
  w.channels = channels;
  w.taps = kernel_h * kernel_w;
  w.c4 = true;
  w.a_offset = a_offset;
  w.taps_per_quad = kernel_h == 3 ? 3 : 4;  // one column per quad (dwconv.h)
  const int taps = w.taps, per_quad = w.taps_per_quad;
  const int quads = static_cast<int>(dwconv_16c4_quads(taps, per_quad));
  const int padded = (channels + 7) & ~7;
  // Tap t = kx * kernel_h + ky (the indirection's order); padding weighs 0.
  auto weight = [&](int t, int c) -> int8_t {
    if (t >= taps || c >= channels) return 0;
    const int ky = t % kernel_h, kx = t / kernel_h;
    return filter[(static_cast<size_t>(ky) * kernel_w + kx) * channels + c];
  };
  w.packed.reserve(static_cast<size_t>(padded) * 4 * (quads + 2));
  for (int c0 = 0; c0 < padded;) {
    const int block = padded - c0 >= 16 ? 16 : 8;
    for (int j = 0; j < block; ++j) {
      const int c = c0 + j;
      int64_t b = c < channels && bias ? bias[c] : 0;
      for (int t = 0; t < taps; ++t) b -= (static_cast<int64_t>(input_zero_point) + a_offset) * weight(t, c);
      Append<int32_t>(&w.packed, static_cast<int32_t>(static_cast<uint32_t>(b)));  // modulo 2^32, like the lanes
    }
    for (int q = 0; q < quads; ++q) {
      for (int j = 0; j < block; ++j) {
        for (int e = 0; e < 4; ++e) Append<int8_t>(&w.packed, e < per_quad ? weight(per_quad * q + e, c0 + j) : 0);
      }
    }
    for (int j = 0; j < block; ++j) Append<float>(&w.packed, c0 + j < channels ? scale[c0 + j] : 1.0f);
    c0 += block;
  }
  return w;
}

}  // namespace

QDepthwiseWeights qs8_dwconv_16c4_pack_unsigned(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                                int32_t filter_zero_point, const int32_t* bias,
                                                const float* scale, int32_t input_zero_point) {
  return Pack(channels, kernel_h, kernel_w, filter, filter_zero_point, bias, scale, input_zero_point, 128);
}

QDepthwiseWeights qs8_dwconv_16c4_pack_signed(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                              int32_t filter_zero_point, const int32_t* bias, const float* scale,
                                              int32_t input_zero_point) {
  return Pack(channels, kernel_h, kernel_w, filter, filter_zero_point, bias, scale, input_zero_point, 0);
}

}  // namespace qwasm
