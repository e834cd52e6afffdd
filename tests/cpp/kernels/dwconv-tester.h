// dwconv-tester.h — testers of the depthwise families (dwconv/dwconv.h):
// qs8_dwconv (packed, multiplier 1, through the indirection buffer) and
// qs8_dwconv_any (unpacked, any multiplier); f32_dwconv (multiplier 1) and
// f32_dwconv_any. One Test runs every form that applies against the
// depthwise oracle.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

enum class DwconvBias { kNone, kSmall, kAround2Pow23, kMax, kValue };

// qs8 depthwise: out[c] = Requantize(bias[c] + sum_t (x_t - za)(w_t[c] - zw),
// scale[c]). Bias: none, small, around 2^23 (where the x256 lanes stop
// fitting), as large as the accumulator bound allows (each channel's sign
// random), or bias_value everywhere. Scales m * 2^e, e in [scale_exp_min,
// scale_exp_max], m in [0.5, 2) per channel (per_channel) or once; or
// `scale` everywhere. Input and filter random or constant.
class QDwconvTester : public WindowKnobs<QDwconvTester>, public QOutputKnobs<QDwconvTester> {
  QWASM_TESTER_PARAMS(QDwconvTester, DescribeParams, (int, multiplier, 1), (int32_t, input_zero_point, 0),
                      (int32_t, filter_zero_point, 0), (DwconvBias, bias, DwconvBias::kSmall),
                      (int32_t, bias_value, 0), (float, scale, 0.0f), (int, scale_exp_min, -12),
                      (int, scale_exp_max, -6), (bool, per_channel, true), (int, input_fill, kRandom),
                      (int, filter_fill, kRandom));

 public:
  // What the draws saw, for generators that claim coverage.
  struct Seen {
    bool even_x256 = false;      // the packing chose the x256 even lanes (last draw)
    bool c4 = false;             // the packing chose the relaxed 16c4 layout (last draw)
    bool saturated = false;      // some output at output_min and some at output_max
    std::vector<int8_t> output;  // the expected output of the last draw
  };

  Seen Test(const KernelConfig& config) const {
    const std::string description =
        DescribeTester(*this, "qs8_dwconv", config, multiplier_ == 1 ? config.qs8_dwconv.name : "any");
    const WindowShape s = CheckedShape(description, multiplier_);
    Seen seen;
    ForEachDraw(*this, description, [&](Rng& rng, const std::string& what) {
      // 7 bytes past the last pixel: the packed kernels may read them.
      const std::vector<int8_t> input =
          Int8Fill(rng, static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.in_c + 7, input_fill_);
      const std::vector<int8_t> filter = Int8Fill(rng, static_cast<size_t>(s.kernel_h) * s.kernel_w * s.out_c, filter_fill_);
      const std::vector<int32_t> bias = Biases(rng, s);
      std::vector<float> scales(s.out_c, scale_);
      const float base = std::ldexp(1.0f, rng.Int(scale_exp_min_, scale_exp_max_)), jitter = rng.Real(0.5f, 2.0f);
      for (float& v : scales) v = scale_ != 0.0f ? scale_ : base * (per_channel_ ? rng.Real(0.5f, 2.0f) : jitter);
      QConvParams p;
      p.shape = s;
      p.input_zero_point = input_zero_point_, p.filter_zero_point = filter_zero_point_;
      p.filter = filter.data(), p.scale = scales.data(), p.output = output();
      p.bias = bias.empty() ? nullptr : bias.data();
      seen.output.assign(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c, 0);
      qs8_depthwise_conv2d__oracle(p, input.data(), seen.output.data());
      const auto& want = seen.output;
      seen.saturated = seen.saturated || (std::count(want.begin(), want.end(), output().min) > 0 &&
                                          std::count(want.begin(), want.end(), output().max) > 0);
      if (multiplier_ == 1) TestPacked(rng, config.qs8_dwconv, p, input, want, what, &seen);
      ExpectWindowPieces(
          rng, s, want, 0,
          [&](int8_t* out, size_t r0, size_t r1, size_t, size_t) {
            config.qs8_dwconv_any(p, r0, r1, input.data(), out);
          },
          what + " family=qs8_dwconv_any");
    });
    return seen;
  }

 private:
  std::vector<int32_t> Biases(Rng& rng, const WindowShape& s) const {
    std::vector<int32_t> bias;
    const int64_t taps = int64_t{s.kernel_h} * s.kernel_w;
    const int64_t max_bias = (int64_t{1} << 31) - 1 - taps * 65025;
    for (int c = 0; c < s.out_c && bias_ != DwconvBias::kNone; ++c) {
      const int sign = rng.Int(0, 1) ? 1 : -1;
      switch (bias_) {
        case DwconvBias::kSmall: bias.push_back(rng.Int(-100000, 100000)); break;
        case DwconvBias::kAround2Pow23:
          bias.push_back(sign * rng.Int(static_cast<int>((1 << 23) - taps * 65025), (1 << 23) + (1 << 20)));
          break;
        case DwconvBias::kMax: bias.push_back(static_cast<int32_t>(sign * max_bias)); break;
        default: bias.push_back(bias_value_); break;
      }
    }
    return bias;
  }

  // The packed family: pack, the indirection buffer over the input and a
  // zero-point buffer, rows x channel pieces. Notes the layout chosen.
  void TestPacked(Rng& rng, const QDwconvKernel& kernel, const QConvParams& p, const std::vector<int8_t>& input,
                  const std::vector<int8_t>& want, const std::string& what, Seen* seen) const {
    const WindowShape& s = p.shape;
    const QDepthwiseWeights w = kernel.pack(s.out_c, s.kernel_h, s.kernel_w, p.filter, p.filter_zero_point, p.bias,
                                            p.scale, p.input_zero_point);
    const std::vector<int8_t> zero(dwconv_zero_bytes(s.in_c), static_cast<int8_t>(p.input_zero_point));
    std::vector<const int8_t*> indirection(static_cast<size_t>(s.batch) * s.out_h * dwconv_row_step(s));
    dwconv_indirection_init(s, input.data(), zero.data(), indirection.data());
    ExpectWindowPieces(
        rng, s, want, static_cast<size_t>(kernel.channel_tile),
        [&](int8_t* out, size_t r0, size_t r1, size_t c0, size_t c1) {
          kernel.run(w, p.output, s, indirection.data(), out, r0, r1, c0, c1);
        },
        what + " family=qs8_dwconv even_x256=" + std::to_string(w.even_x256) + " c4=" + std::to_string(w.c4));
    seen->even_x256 = w.even_x256;
    seen->c4 = w.c4;
  }
};

// f32 depthwise: out[c] = clamp(bias[c] + sum over in-image taps in (ky, kx)
// order of x * w); about one input / filter / bias value in `specials` a
// float special (0: none).
class F32DwconvTester : public WindowKnobs<F32DwconvTester>, public FOutputKnobs<F32DwconvTester> {
  QWASM_TESTER_PARAMS(F32DwconvTester, DescribeParams, (int, multiplier, 1), (bool, has_bias, true),
                      (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    const std::string description = DescribeTester(*this, "f32_dwconv", config);
    const WindowShape s = CheckedShape(description, multiplier_);
    ForEachDraw(*this, description, [&](Rng& rng, const std::string& what) {
      std::vector<float> input = rng.Floats(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.in_c);
      std::vector<float> filter = rng.Floats(static_cast<size_t>(s.kernel_h) * s.kernel_w * s.out_c);
      std::vector<float> bias = rng.Floats(s.out_c);
      for (std::vector<float>* v : {&input, &filter, &bias}) SprinkleSpecials(rng, v, specials_);
      FConvParams p;
      p.shape = s;
      p.filter = filter.data(), p.bias = has_bias_ ? bias.data() : nullptr, p.output = output();
      std::vector<float> want(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.out_c);
      f32_depthwise_conv2d__oracle(p, input.data(), want.data());
      std::vector<std::pair<const char*, FDwconvFn>> families = {{"f32_dwconv_any", config.f32_dwconv_any}};
      if (multiplier_ == 1) families.push_back({"f32_dwconv", config.f32_dwconv});
      for (const auto& [name, fn] : families) {
        ExpectWindowPieces(
            rng, s, want, 0,
            [&, fn = fn](float* out, size_t r0, size_t r1, size_t, size_t) { fn(p, r0, r1, input.data(), out); },
            what + " family=" + name);
      }
    });
  }
};

}  // namespace qwasm::testing
