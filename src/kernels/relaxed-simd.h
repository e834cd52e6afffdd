// relaxed-simd.h — i32x4.relaxed_dot_i8x16_i7x16_add_s for the relaxed-SIMD
// kernels (the *-wasmrelaxed.cc files).
//
// The instruction adds to each i32 lane of c the four products a[i] * b[i]
// of its bytes, a signed; it is exactly defined only while b < 0x80.
// Engines differ past that: x86 reads b unsigned (vpdpbusd, exact; or
// pmaddubsw, whose 16-bit pair sums saturate), Arm signed (sdot). The
// kernels give b all 8 bits, so they run only where a load-time self-test
// has shown which reading the engine does (kernels/relaxed.h).
//
// In the side module (clang-19 -mrelaxed-simd) this is the instruction.
// Natively it is emulated with the semantics tests choose, so the native and
// sanitizer suites run the same kernel source under every engine's reading.
#pragma once

#include "kernels/simd128.h"

#if defined(__wasm_relaxed_simd__)

namespace qwasm {
inline v128_t RelaxedDotAdd(v128_t a, v128_t b, v128_t c) { return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c); }
}  // namespace qwasm

#elif defined(QWASM_SIMDE)

namespace qwasm {

// How an emulated engine reads b's bytes >= 0x80.
enum class RelaxedDotSemantics {
  kUnsigned,            // x86 with AVX-VNNI (vpdpbusd)
  kSigned,              // Arm (sdot)
  kUnsignedSaturating,  // pmaddubsw (x86 without VNNI; Node 20's V8 on any x86): pair sums saturate to int16
};

inline RelaxedDotSemantics g_relaxed_dot_semantics = RelaxedDotSemantics::kUnsigned;

inline v128_t RelaxedDotAdd(v128_t a, v128_t b, v128_t c) {
  int8_t x[16], y[16];
  int32_t acc[4];
  wasm_v128_store(x, a);
  wasm_v128_store(y, b);
  wasm_v128_store(acc, c);
  for (int lane = 0; lane < 4; ++lane) {
    int32_t pairs = 0;
    for (int p = 0; p < 2; ++p) {
      int32_t sum = 0;
      for (int e = 0; e < 2; ++e) {
        const int i = 4 * lane + 2 * p + e;
        const int32_t yb = g_relaxed_dot_semantics == RelaxedDotSemantics::kSigned ? y[i] : static_cast<uint8_t>(y[i]);
        sum += x[i] * yb;
      }
      if (g_relaxed_dot_semantics == RelaxedDotSemantics::kUnsignedSaturating) sum = sum < -32768 ? -32768 : sum > 32767 ? 32767 : sum;
      pairs += sum;
    }
    acc[lane] = static_cast<int32_t>(static_cast<uint32_t>(acc[lane]) + static_cast<uint32_t>(pairs));
  }
  return wasm_v128_load(acc);
}

}  // namespace qwasm

#else
#error "relaxed-SIMD kernels need -mrelaxed-simd (the side module) or SIMDe (native tests)"
#endif
