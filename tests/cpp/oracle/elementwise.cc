// Oracles of the elementwise families: int8 add and mul, the conversions,
// table lookups, per-channel clamps, low-bit weight expansion, and the
// float binary and unary functions.
#include <cmath>
#include <cstdint>

#include "oracle/oracle.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

int8_t Quantized(int32_t acc, float scale, const QOutput& out) {
  return static_cast<int8_t>(Requantize(acc, scale, out.zero_point, out.min, out.max));
}

// out[i] = clamp(a[i] op b[i % b_size]), as every float binary kernel.
template <typename Op>
void FBinary(const FBinaryParams& p, const float* a, const float* b, float* output, Op op) {
  for (size_t i = 0; i < p.size; ++i) output[i] = p.output.Apply(op(a[i], b[i % p.b_size]));
}

// min(max(x, lo), hi[c]) for both element types: comparisons that let NaN
// through, as FOutput::Apply.
template <typename T>
void ChannelClamp(size_t rows, size_t channels, T lo, const T* hi, const T* input, T* output) {
  for (size_t i = 0; i < rows * channels; ++i) {
    const T raised = input[i] < lo ? lo : input[i];
    output[i] = hi[i % channels] < raised ? hi[i % channels] : raised;
  }
}

}  // namespace

void qs8_add__oracle(const QAddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  for (size_t i = 0; i < p.size; ++i) {
    const int32_t da = a[i] - p.a_zero_point, db = b[i] - p.b_zero_point;
    if (!p.float_rescale) {
      output[i] = Quantized(p.a_multiplier * da + p.b_multiplier * db, p.scale, p.output);
      continue;
    }
    // ONNX Runtime's QLinearAdd in float32, rounding after its own zero point.
    float x = (p.a_scale * static_cast<float>(da) + p.b_scale * static_cast<float>(db)) / p.output_scale;
    x = std::fmin(std::fmax(x, static_cast<float>(p.output.min - p.output.zero_point)),
                  static_cast<float>(p.output.max - p.output.zero_point));
    const float rounded = std::nearbyint(x + static_cast<float>(p.rounding_zero_point));
    output[i] = static_cast<int8_t>(static_cast<int32_t>(rounded) - p.rounding_zero_point + p.output.zero_point);
  }
}

void qs8_mul__oracle(const QMulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  for (size_t i = 0; i < p.size; ++i) {
    output[i] = Quantized((a[i] - p.a_zero_point) * (b[i % p.b_size] - p.b_zero_point), p.scale, p.output);
  }
}

void f32_qs8_quantize__oracle(const QuantizeParams& p, size_t n, const float* input, int8_t* output) {
  for (size_t i = 0; i < n; ++i) {
    output[i] = static_cast<int8_t>(RoundToQuant(input[i] / p.scale, p.output.zero_point, p.output.min, p.output.max));
  }
}

void qs8_f32_dequantize__oracle(const DequantizeParams& p, size_t n, const int8_t* input, float* output) {
  for (size_t i = 0; i < n; ++i) output[i] = p.scale * static_cast<float>(input[i] - p.zero_point);
}

void qs8_requantize__oracle(const RequantizeParams& p, size_t n, const int8_t* input, int8_t* output) {
  for (size_t i = 0; i < n; ++i) output[i] = Quantized(input[i] - p.input_zero_point, p.scale, p.output);
}

void qs8_lut__oracle(const int8_t table[256], size_t n, const int8_t* input, int8_t* output) {
  for (size_t i = 0; i < n; ++i) output[i] = table[static_cast<uint8_t>(input[i] ^ 0x80)];
}

void qs8_lut_init_unary__oracle(const FUnaryParams& f, float in_scale, int32_t in_zero_point, float out_scale,
                                int32_t out_zero_point, int8_t table[256]) {
  for (int q = -128; q <= 127; ++q) {
    const float x = in_scale * static_cast<float>(q - in_zero_point);
    float y = 0.0f;
    f32_unary__oracle(f, 1, &x, &y);
    table[q + 128] = static_cast<int8_t>(RoundToQuant(y / out_scale, out_zero_point, -128, 127));
  }
}

void qs8_channel_clamp__oracle(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                               int8_t* output) {
  ChannelClamp(rows, channels, lo, hi, input, output);
}

void qs8_expand_lut4__oracle(const uint8_t* packed, size_t first, size_t n, const int8_t table[16], int8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const size_t e = first + i;
    out[i] = table[(packed[e / 2] >> (4 * (e % 2))) & 0x0F];
  }
}

void qs8_expand_lut8__oracle(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = table[index[i]];
}

void f32_add__oracle(const FBinaryParams& p, const float* a, const float* b, float* output) {
  FBinary(p, a, b, output, [](float x, float y) { return x + y; });
}

void f32_mul__oracle(const FBinaryParams& p, const float* a, const float* b, float* output) {
  FBinary(p, a, b, output, [](float x, float y) { return x * y; });
}

void f32_unary__oracle(const FUnaryParams& p, size_t n, const float* input, float* output) {
  // Clamps as FOutput::Apply: NaN passes.
  auto clamp = [](float x, float lo, float hi) { return FOutput{lo, hi}.Apply(x); };
  for (size_t i = 0; i < n; ++i) {
    const float x = input[i];
    switch (p.op) {
      case UnaryOp::kClamp: output[i] = clamp(x, p.min, p.max); break;
      // x * relu6(x + 3) / 6: a multiply, then a divide.
      case UnaryOp::kHardSwish: output[i] = x * clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f; break;
      case UnaryOp::kHardSigmoid: output[i] = clamp(p.alpha * x + p.beta, 0.0f, 1.0f); break;
      case UnaryOp::kLogistic: output[i] = 1.0f / (1.0f + std::exp(-x)); break;
    }
  }
}

void f32_channel_clamp__oracle(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                               float* output) {
  ChannelClamp(rows, channels, lo, hi, input, output);
}

}  // namespace qwasm
