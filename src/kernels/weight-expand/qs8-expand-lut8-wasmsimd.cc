// Expansion of 256-entry (8-bit) codebook weights with WebAssembly SIMD128
// table lookups, byte-identical to qs8_expand_lut8__ref: 16 i8x16.swizzle
// per 16 indices, as the softmax's Lookup256.
#include "kernels/simd128.h"
#include "kernels/weight-expand/weight-expand.h"

namespace qwasm {

void qs8_expand_lut8__wasmsimd(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out) {
  v128_t t[16];
  for (int k = 0; k < 16; ++k) t[k] = wasm_v128_load(table + 16 * k);
  const v128_t sixteen = wasm_i8x16_splat(16);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // swizzle gives 0 for lane indices >= 16 (unsigned), so exactly one of
    // the 16 lookups of index - 16 k hits.
    v128_t d = wasm_v128_load(index + i);
    v128_t y = wasm_i8x16_swizzle(t[0], d);
    for (int k = 1; k < 16; ++k) {
      d = wasm_i8x16_sub(d, sixteen);
      y = wasm_v128_or(y, wasm_i8x16_swizzle(t[k], d));
    }
    wasm_v128_store(out + i, y);
  }
  for (; i < n; ++i) out[i] = table[index[i]];
}

}  // namespace qwasm
