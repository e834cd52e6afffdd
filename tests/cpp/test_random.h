// test_random.h — the random draws of the C++ tests, one definition: a
// seeded generator (every test states its seed, so a failure replays) with
// the int8 and float draws the kernel testers and operator tests share.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace qwasm::testing {

class Rng {
 public:
  explicit Rng(uint32_t seed) : g_(seed) {}

  std::mt19937& engine() { return g_; }
  uint32_t Bits() { return static_cast<uint32_t>(g_()); }

  // Uniform in [lo, hi].
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  size_t Index(size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(g_); }
  // Uniform in [lo, hi).
  float Real(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(g_); }
  // True one time in n.
  bool OneIn(int n) { return Int(1, n) == 1; }

  // An int8 value (a zero point, a constant fill): -128 or 127 one time in
  // four each, else uniform.
  int32_t Int8Extreme() {
    switch (Int(0, 3)) {
      case 0: return -128;
      case 1: return 127;
      default: return Int(-128, 127);
    }
  }

  // m * 2^e with e uniform in [lo, hi] and m uniform in [1, 2), or m = 1
  // one time in three: power-of-two scales make exact ties (k + 1/2)
  // common, which pins round-half-to-even and any one-ulp error in a
  // multiplier.
  float Scale(int lo, int hi) {
    const float m = Int(0, 2) ? Real(1.0f, 2.0f) : 1.0f;
    return std::ldexp(m, Int(lo, hi));
  }

  std::vector<int8_t> Int8s(size_t n) {
    std::vector<int8_t> v(n);
    for (int8_t& x : v) x = static_cast<int8_t>(Int(-128, 127));
    return v;
  }

  // int8 data of one of several kinds, chosen at random: uniform (half the
  // time), constant -128 or 127 (sums at their largest), alternating
  // extremes, or a narrow band around a random centre (ties, small sums).
  std::vector<int8_t> Int8Data(size_t n) {
    std::vector<int8_t> v(n);
    const int kind = Int(0, 7);
    const int centre = Int(-120, 120);
    for (size_t i = 0; i < n; ++i) {
      switch (kind) {
        case 0: v[i] = -128; break;
        case 1: v[i] = 127; break;
        case 2: v[i] = static_cast<int8_t>(i % 2 ? 127 : -128); break;
        case 3: v[i] = static_cast<int8_t>(centre + Int(-3, 3)); break;
        default: v[i] = static_cast<int8_t>(Int(-128, 127)); break;
      }
    }
    return v;
  }

  std::vector<float> Floats(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::vector<float> v(n);
    for (float& x : v) x = Real(lo, hi);
    return v;
  }

 private:
  std::mt19937 g_;
};

}  // namespace qwasm::testing
