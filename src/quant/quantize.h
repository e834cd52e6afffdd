// quantize.h — linear quantization math: choosing parameters, quantize,
// dequantize, requantize; per-tensor and per-channel; 2..8 bits.
//
// Conventions (see docs/quantization.md):
//  * real = scale * (q - zero_point); zero_point is an integer so that real 0
//    is exactly representable (zero padding and ReLU depend on it).
//  * Affine (asymmetric) ranges use the full grid: unsigned [0, 2^b - 1],
//    signed [-2^(b-1), 2^(b-1) - 1]. Symmetric ranges are narrow and signed:
//    [-(2^(b-1) - 1), 2^(b-1) - 1] with zero_point 0 (TFLite's int8 weight
//    spec), so negation never overflows.
//  * Rounding is round-half-to-even everywhere (requantize.h explains why);
//    quantize(x) = clamp(zero_point + rne(x / scale), qmin, qmax).
//  * The textbook "uniform quantizer over [lo, hi]" with no integer zero
//    point (q = rne((x - lo) / step), x' = lo + q * step) is UniformRange; it
//    represents lo and hi exactly but generally not 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"

namespace qwasm::quant {

struct QuantRange {
  int32_t qmin;
  int32_t qmax;
};

// Grid of a `bits`-wide integer (2 <= bits <= 8 is validated by callers).
QuantRange AffineRange(int bits, bool is_signed);
QuantRange SymmetricRange(int bits);  // narrow, signed

struct AffineParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  int32_t qmin = 0;
  int32_t qmax = 255;
};

// Parameters covering [lo, hi] on an affine grid. The range is first widened
// to contain 0, then the zero point is rounded (half to even) to an integer
// and clamped to the grid ("nudging", as TFLite does), so 0 is exact and the
// represented range may shift by up to half a step.
Result<AffineParams> ChooseAffine(float lo, float hi, int bits, bool is_signed);

// Symmetric parameters for values in [-absmax, absmax]: zero_point 0,
// scale = absmax / (2^(bits-1) - 1). absmax == 0 gives scale 1 (all zeros).
Result<AffineParams> ChooseSymmetric(float absmax, int bits);

int32_t Quantize(float x, const AffineParams& p);
float Dequantize(int32_t q, const AffineParams& p);

// q in (scale_in, zp_in) -> (scale_out, zp_out), through requantize.h.
int32_t Requantize(int32_t q, const AffineParams& in, const AffineParams& out);

// The textbook uniform quantizer over [lo, hi] with 2^bits levels.
struct UniformRange {
  float lo = -1.0f;
  float hi = 1.0f;
  int bits = 8;
  float step() const;
};
int32_t QuantizeUniform(float x, const UniformRange& r);
float DequantizeUniform(int32_t q, const UniformRange& r);

// Per-channel parameters: one scale / zero point per index of `axis`.
struct PerChannelParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = 0;
  int32_t qmin = -127;
  int32_t qmax = 127;
  AffineParams channel(size_t c) const { return {scale[c], zero_point[c], qmin, qmax}; }
};

// Symmetric per-channel parameters for a dense row-major tensor of `shape`,
// one channel per index along `axis` (absmax taken over each channel).
Result<PerChannelParams> ChoosePerChannelSymmetric(const float* data,
                                                   const std::vector<int32_t>& shape,
                                                   int axis, int bits);

// Quantizes / dequantizes a dense row-major tensor channel by channel.
// `q` holds values in [qmin, qmax] as int32 so 2..8-bit grids share one path.
Status QuantizePerChannel(const float* data, const std::vector<int32_t>& shape,
                          const PerChannelParams& p, int32_t* q);
Status DequantizePerChannel(const int32_t* q, const std::vector<int32_t>& shape,
                            const PerChannelParams& p, float* data);

}  // namespace qwasm::quant
