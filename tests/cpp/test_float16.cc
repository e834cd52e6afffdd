// float16 <-> float32 conversion (quant/float16.h): every one of the 65536
// halves, every rounding midpoint between neighbouring halves, and
// hand-picked floats (overflow, subnormals, NaN, signed zero).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "quant/float16.h"

using namespace qwasm;

namespace {

// The value of a half from its definition, in double.
double HalfValue(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
  const double mag = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
  return sign ? -mag : mag;
}

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

}  // namespace

TEST_CASE("float16: every half converts exactly to float32 and back") {
  for (uint32_t h = 0; h < 65536; ++h) {
    CAPTURE(h);
    const uint16_t half = static_cast<uint16_t>(h);
    const float f = Fp16ToFp32(half);
    const int exp = (h >> 10) & 31;
    if (exp == 31) {
      if (h & 1023) {
        REQUIRE(std::isnan(f));
        REQUIRE((Fp32ToFp16(f) & 0x7c00) == 0x7c00);
        REQUIRE((Fp32ToFp16(f) & 0x3ff) != 0);  // still a NaN
      } else {
        REQUIRE(std::isinf(f));
        REQUIRE((f < 0) == ((h & 0x8000) != 0));
        REQUIRE(Fp32ToFp16(f) == half);
      }
      continue;
    }
    REQUIRE(static_cast<double>(f) == HalfValue(half));
    REQUIRE(std::signbit(f) == ((h & 0x8000) != 0));
    REQUIRE(Fp32ToFp16(f) == half);  // round trip, signed zeros included
  }
}

TEST_CASE("float16: rounding to nearest even at every midpoint, overflow to infinity") {
  // Between neighbours h and h + 1 (both finite, positive) the midpoint goes
  // to the even one, anything above it to h + 1, anything below to h. The
  // midpoint needs 12 significant bits: exact in float32.
  for (uint16_t h = 0; h < 0x7bff; ++h) {
    CAPTURE(h);
    const float lo = Fp16ToFp32(h), hi = Fp16ToFp32(static_cast<uint16_t>(h + 1));
    const float mid = (lo + hi) / 2;
    REQUIRE(static_cast<double>(mid) == (HalfValue(h) + HalfValue(static_cast<uint16_t>(h + 1))) / 2);
    const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : h;
    REQUIRE(Fp32ToFp16(mid) == even);
    REQUIRE(Fp32ToFp16(std::nextafter(mid, 1e9f)) == h + 1);
    REQUIRE(Fp32ToFp16(std::nextafter(mid, 0.0f)) == h);
    REQUIRE(Fp32ToFp16(-mid) == (even | 0x8000));
  }
  // Past the largest half, 65504: the midpoint 65520 rounds (to even) up to inf.
  CHECK(Fp32ToFp16(65504.0f) == 0x7bff);
  CHECK(Fp32ToFp16(65519.996f) == 0x7bff);
  CHECK(Fp32ToFp16(65520.0f) == 0x7c00);
  CHECK(Fp32ToFp16(-65520.0f) == 0xfc00);
  CHECK(Fp32ToFp16(1e10f) == 0x7c00);
  CHECK(Fp32ToFp16(std::numeric_limits<float>::max()) == 0x7c00);
  CHECK(Fp32ToFp16(std::numeric_limits<float>::infinity()) == 0x7c00);
}

TEST_CASE("float16: hand-picked values") {
  CHECK(Fp32ToFp16(1.0f) == 0x3c00);
  CHECK(Fp32ToFp16(-2.0f) == 0xc000);
  CHECK(Fp32ToFp16(0.1f) == 0x2e66);        // 0.0999755859375
  CHECK(Fp32ToFp16(1.0f / 3.0f) == 0x3555);
  CHECK(Fp32ToFp16(0.0f) == 0x0000);
  CHECK(Fp32ToFp16(-0.0f) == 0x8000);
  CHECK(Fp32ToFp16(6.103515625e-05f) == 0x0400);   // 2^-14, smallest normal
  CHECK(Fp32ToFp16(5.9604645e-08f) == 0x0001);     // 2^-24, smallest subnormal
  CHECK(Fp32ToFp16(2.9802322e-08f) == 0x0000);     // 2^-25: tie, to even (0)
  CHECK(Fp32ToFp16(2.9802326e-08f) == 0x0001);     // just above 2^-25
  CHECK(Fp32ToFp16(1e-30f) == 0x0000);
  CHECK(Fp32ToFp16(-1e-30f) == 0x8000);
  CHECK(Fp32ToFp16(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(Fp32ToFp16(1.00048828125f) == 0x3c00);     // 1 + 2^-11: tie, to even
  CHECK(Fp32ToFp16(1.00146484375f) == 0x3c02);     // 1 + 3 * 2^-11: tie, to even (up)
  CHECK(Fp16ToFp32(0x7bff) == 65504.0f);
  CHECK(Fp16ToFp32(0x03ff) == std::ldexp(1023.0f, -24));  // largest subnormal
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(Fp16ToFp32(Fp32ToFp16(qnan))));
  // A NaN whose payload lies only in the dropped low bits stays a NaN.
  uint32_t b = 0x7f800001u;
  float low_nan;
  std::memcpy(&low_nan, &b, 4);
  CHECK(std::isnan(Fp16ToFp32(Fp32ToFp16(low_nan))));
  CHECK(Bits(Fp16ToFp32(0x8000)) == 0x80000000u);
}

TEST_CASE("RoundUpToFloat16: the smallest half not below x, normal range only") {
  CHECK(RoundUpToFloat16(0.2f) == 0.20007324f);  // 0.2 lies between halves 0.19995117 and 0.20007324
  CHECK(RoundUpToFloat16(0.5f) == 0.5f);         // a half stays
  CHECK(RoundUpToFloat16(1e-6f) == 1e-6f);       // below 2^-14: kept as it is
  CHECK(RoundUpToFloat16(70000.0f) == 70000.0f);  // above 65504: kept
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-13.0f, 15.0f);
  for (int i = 0; i < 10000; ++i) {
    const float x = std::exp2(d(rng));
    const float r = RoundUpToFloat16(x);
    CHECK(r >= x);
    CHECK(Fp16ToFp32(Fp32ToFp16(r)) == r);
    CHECK(r - x <= x * 0x1p-10f);  // at most one half step up
  }
}
