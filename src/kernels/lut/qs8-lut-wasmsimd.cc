// int8 table lookup, WebAssembly SIMD128, 16 elements per step. The 256
// entries are 16 vectors of 16; i8x16.swizzle picks from one vector and
// gives 0 for indices >= 16, so for table vector k the index x + 128 - 16k
// (wrapping in 8 bits) selects exactly the inputs that fall in it, and OR
// over k assembles the result (XNNPACK's x8-lut wasmsimd scheme).
#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

inline v128_t Lookup(const v128_t* t, v128_t x) {
  v128_t idx = wasm_i8x16_add(x, wasm_i8x16_splat(static_cast<int8_t>(-128)));  // x + 128 as uint8
  v128_t out = wasm_i8x16_swizzle(t[0], idx);
  const v128_t sixteen = wasm_i8x16_splat(16);
  for (int k = 1; k < 16; ++k) {
    idx = wasm_i8x16_sub(idx, sixteen);
    out = wasm_v128_or(out, wasm_i8x16_swizzle(t[k], idx));
  }
  return out;
}

}  // namespace

void qs8_lut__wasmsimd(const int8_t table[256], size_t n, const int8_t* input, int8_t* output) {
  v128_t t[16];
  for (int k = 0; k < 16; ++k) t[k] = wasm_v128_load(table + 16 * k);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) wasm_v128_store(output + i, Lookup(t, wasm_v128_load(input + i)));
  if (i < n) StoreI8x16Prefix(output + i, Lookup(t, LoadI8x16Upto(input + i, n - i)), n - i);
}

}  // namespace qwasm
