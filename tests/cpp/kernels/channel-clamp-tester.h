// channel-clamp-tester.h — testers of the per-channel clamp families
// (qs8_channel_clamp, f32_channel_clamp): out[r][c] = min(max(x, lo), hi[c])
// over rows x channels, one call per tensor.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// What both clamp testers vary; Check draws the data and compares.
template <typename Derived, typename T>
class ChannelClampKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeKnobs, (size_t, rows, 1), (size_t, channels, 1), (T, lo, T(-1)),
                      (uint32_t, seed, 1), (int, iterations, 1));

 protected:
  // x: rows x channels inputs, hi: one bound per channel, from draw(rng,
  // &x, &hi); oracle and kernel called as (rows, channels, lo, hi, x, out).
  template <typename Draw, typename Oracle, typename Kernel>
  void Check(const std::string& description, Draw draw, Oracle oracle, Kernel kernel) const {
    ForEachDraw(static_cast<const Derived&>(*this), description, [&](Rng& rng, const std::string& what) {
      std::vector<T> x(rows_ * channels_), hi(channels_);
      draw(rng, &x, &hi);
      std::vector<T> want(x.size()), got = Sentinel<T>(x.size());
      oracle(rows_, channels_, lo_, hi.data(), x.data(), want.data());
      kernel(rows_, channels_, lo_, hi.data(), x.data(), got.data());
      ExpectSame(got, want, what, /*bits=*/true);
    });
  }
};

// int8: upper bounds random in [hi_min, 127] (some below lo).
class QChannelClampTester : public ChannelClampKnobs<QChannelClampTester, int8_t> {
  QWASM_TESTER_PARAMS(QChannelClampTester, DescribeParams, (int, hi_min, -128));

 public:
  void Test(const KernelConfig& config) const {
    Check(
        DescribeTester(*this, "qs8_channel_clamp", config),
        [&](Rng& rng, std::vector<int8_t>* x, std::vector<int8_t>* hi) {
          *x = rng.Int8Data(x->size());
          for (int8_t& h : *hi) h = static_cast<int8_t>(rng.Int(hi_min_, 127));
        },
        qs8_channel_clamp__oracle, config.qs8_channel_clamp);
  }
};

// float: bounds in [-2, 6); about one input in `specials` a float special.
class F32ChannelClampTester : public ChannelClampKnobs<F32ChannelClampTester, float> {
  QWASM_TESTER_PARAMS(F32ChannelClampTester, DescribeParams, (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    Check(
        DescribeTester(*this, "f32_channel_clamp", config),
        [&](Rng& rng, std::vector<float>* x, std::vector<float>* hi) {
          *x = rng.Floats(x->size(), -8.0f, 8.0f);
          *hi = rng.Floats(hi->size(), -2.0f, 6.0f);
          SprinkleSpecials(rng, x, specials_);
        },
        f32_channel_clamp__oracle, config.f32_channel_clamp);
  }
};

}  // namespace qwasm::testing
