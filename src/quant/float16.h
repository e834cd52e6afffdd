// float16.h — IEEE 754 binary16 <-> binary32, bit-exact and portable (no
// F16C, no _Float16): float16 is a storage type for the weights of float
// layers, converted once at prepare.
//
//   Fp16ToFp32: exact (every half is a float).
//   Fp32ToFp16: round to nearest, ties to even; overflow to +-inf (values
//     from 65520 up, the midpoint between the largest half 65504 and 2^16);
//     results below 2^-14 become subnormal halves, below 2^-25 signed zero;
//     NaN stays NaN (quiet, top payload bits kept).
#pragma once

#include <cstdint>
#include <cstring>

namespace qwasm {

inline float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half mant * 2^-24: normalise into a float.
    int e = 113;  // exponent field of 2^-14
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t Fp32ToFp16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t exp = (bits >> 23) & 0xffu;
  const uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) {  // inf or NaN; a NaN whose payload sits in dropped bits stays NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0u));
  }
  const int32_t e = static_cast<int32_t>(exp) - 127;  // unbiased
  if (e >= 16) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e >= -14) {
    // Normal half: keep 10 mantissa bits, round the other 13 to nearest even.
    // A carry out of the mantissa correctly bumps the exponent (and 65520+
    // becomes inf, 0x7c00).
    uint32_t h = (static_cast<uint32_t>(e + 15) << 10) | (mant >> 13);
    const uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  if (e < -25) return sign;  // below half the smallest subnormal (ties at 2^-25 handled below)
  // Subnormal half: value = m * 2^-24 with m = full mantissa (implicit 1) >> shift.
  const uint32_t full = mant | 0x800000u;
  const int shift = -e - 1;  // e = -15 -> 14 ... e = -25 -> 24
  uint32_t h = full >> shift;
  const uint32_t rest = full & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1u))) ++h;  // may round up to 2^-14: still right
  return static_cast<uint16_t>(sign | h);
}

// The smallest float16 value >= x for a positive normal-range x (2^-14 ..
// 65504), else x itself: low-bit weight scales are rounded up to it (a
// range at most 2^-10 wider), so a file can store them in two bytes.
inline float RoundUpToFloat16(float x) {
  if (!(x >= 6.103515625e-05f && x <= 65504.0f)) return x;
  uint16_t h = Fp32ToFp16(x);
  if (Fp16ToFp32(h) < x) ++h;  // positive halves order like their bits
  return Fp16ToFp32(h);
}

}  // namespace qwasm
