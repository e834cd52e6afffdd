// Softmax over rows, WebAssembly SIMD128.
//
// * Row max: i8x16.max.
// * Normaliser: the reference's scalar sum in index order. Float addition is
//   not associative, so any other order could change the last bit.
// * Output: y depends only on d = max - x (0..255). A long row first maps all
//   256 distances through the reference's SoftmaxRowQuantizer (exact by
//   construction), then looks the row up in that byte table with 16
//   i8x16.swizzle steps per 16 elements; a short row is cheaper scalar.
#include "kernels/kernels.h"
#include "kernels/simd128.h"
#include "kernels/softmax/softmax-common.h"

namespace qwasm {
namespace {

// Rows at least this long use the 256-entry output table (its cost is 256
// scalar roundings, then ~3 vector ops per element instead of a scalar
// rounding each).
constexpr int kTableCols = 256;

int32_t RowMax(const int8_t* x, size_t cols) {
  v128_t m = wasm_i8x16_splat(-128);
  size_t i = 0;
  for (; i + 16 <= cols; i += 16) m = wasm_i8x16_max(m, wasm_v128_load(x + i));
  m = wasm_i8x16_max(m, wasm_i64x2_shuffle(m, m, 1, 1));
  m = wasm_i8x16_max(m, wasm_u64x2_shr(m, 32));
  m = wasm_i8x16_max(m, wasm_u64x2_shr(m, 16));
  m = wasm_i8x16_max(m, wasm_u64x2_shr(m, 8));
  int32_t max = wasm_i8x16_extract_lane(m, 0);
  for (; i < cols; ++i) max = x[i] > max ? x[i] : max;
  return max;
}

// y[i] = table[d[i]] for 16 byte indices d: swizzle yields 0 for indices >= 16
// (unsigned), so exactly one of the 16 lookups of d - 16 k hits.
inline v128_t Lookup256(const v128_t table[16], v128_t d) {
  const v128_t sixteen = wasm_i8x16_splat(16);
  v128_t y = wasm_i8x16_swizzle(table[0], d);
  for (int k = 1; k < 16; ++k) {
    d = wasm_i8x16_sub(d, sixteen);
    y = wasm_v128_or(y, wasm_i8x16_swizzle(table[k], d));
  }
  return y;
}

}  // namespace

void qs8_softmax__wasmsimd(const QSoftmaxParams& p, size_t row_begin, size_t row_end,
                           const int8_t* input, int8_t* output) {
  const size_t cols = static_cast<size_t>(p.cols);
  for (size_t r = row_begin; r < row_end; ++r) {
    const int8_t* x = input + r * cols;
    int8_t* y = output + r * cols;
    const int32_t max = RowMax(x, cols);
    float sum = 0.0f;
    for (size_t i = 0; i < cols; ++i) sum += p.exp_table[max - x[i]];
    const SoftmaxRowQuantizer quantize(p, sum);
    if (p.cols < kTableCols) {
      for (size_t i = 0; i < cols; ++i) y[i] = quantize(max - x[i]);
      continue;
    }
    alignas(16) int8_t lut[256];
    for (int d = 0; d < 256; ++d) lut[d] = quantize(d);
    v128_t table[16];
    for (int k = 0; k < 16; ++k) table[k] = wasm_v128_load(lut + 16 * k);
    const v128_t vmax = wasm_i8x16_splat(static_cast<int8_t>(max));
    size_t i = 0;
    // max - x in 0..255: the wrapping byte subtraction is exact as unsigned.
    for (; i + 16 <= cols; i += 16) {
      wasm_v128_store(y + i, Lookup256(table, wasm_i8x16_sub(vmax, wasm_v128_load(x + i))));
    }
    for (; i < cols; ++i) y[i] = lut[max - x[i]];
  }
}

}  // namespace qwasm
