// Expansion of 16-entry (4-bit) weights with WebAssembly SIMD128 table
// lookups, byte-identical to qs8_expand_lut4__ref: 16 packed bytes split into
// low and high nibbles, one i8x16.swizzle each, interleaved back into
// element order: 32 weights.
#include "kernels/simd128.h"
#include "kernels/weight-expand/weight-expand.h"

namespace qwasm {

void qs8_expand_lut4__wasmsimd(const uint8_t* packed, size_t first, size_t n, const int8_t table[16],
                               int8_t* out) {
  size_t i = 0;
  if (first % 2 == 1 && n > 0) {  // start on a byte boundary
    out[0] = table[packed[first / 2] >> 4];
    i = 1;
  }
  const v128_t t = wasm_v128_load(table);
  const v128_t low_mask = wasm_i8x16_splat(0x0F);
  const uint8_t* p = packed + (first + i) / 2;
  for (; i + 32 <= n; i += 32, p += 16) {
    const v128_t v = wasm_v128_load(p);
    const v128_t lo = wasm_i8x16_swizzle(t, wasm_v128_and(v, low_mask));
    const v128_t hi = wasm_i8x16_swizzle(t, wasm_u8x16_shr(v, 4));
    wasm_v128_store(out + i, wasm_i8x16_shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
    wasm_v128_store(out + i + 16,
                    wasm_i8x16_shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
  }
  for (; i < n; ++i) {
    const size_t e = first + i;
    out[i] = table[e % 2 == 0 ? packed[e / 2] & 0x0F : packed[e / 2] >> 4];
  }
}

}  // namespace qwasm
