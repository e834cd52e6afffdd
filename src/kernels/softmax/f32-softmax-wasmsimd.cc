// Float softmax over rows, WebAssembly SIMD128, the reference's bits:
//
// * Row max: f32x4.pmax (the reference's `x > m ? x : m`) in four lanes
//   started at x[0]. Over numbers the max is the same in any order, up to
//   the sign of a zero max, which cannot matter: x - max is then +-0 only
//   for x = +-0, and exp(beta * +-0) = 1. A NaN anywhere in a row makes its
//   exp, the sum and so every output NaN, in both variants.
// * beta * (x - max) per lane (exact IEEE operations), then std::exp lane
//   by lane as the reference calls it (there is no vector exp that rounds
//   alike), summed in index order: float addition is not associative.
// * y / sum per lane (IEEE division is exact per lane).
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {
namespace {

float RowMax(const float* x, size_t cols) {
  size_t i = 0;
  float max = x[0];
  if (cols >= 4) {
    v128_t m = wasm_f32x4_splat(x[0]);
    for (; i + 4 <= cols; i += 4) m = wasm_f32x4_pmax(m, wasm_v128_load(x + i));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
    max = wasm_f32x4_extract_lane(m, 0);
  }
  QWASM_LOOP_SCALAR
  for (; i < cols; ++i) max = x[i] > max ? x[i] : max;
  return max;
}

}  // namespace

void f32_softmax__wasmsimd(const FSoftmaxParams& p, size_t row_begin, size_t row_end, const float* input,
                           float* output) {
  const size_t cols = static_cast<size_t>(p.cols);
  const v128_t beta = wasm_f32x4_splat(p.beta);
  for (size_t r = row_begin; r < row_end; ++r) {
    const float* x = input + r * cols;
    float* y = output + r * cols;
    const float max = RowMax(x, cols);
    const v128_t vmax = wasm_f32x4_splat(max);
    float sum = 0.0f;
    size_t i = 0;
    for (; i + 4 <= cols; i += 4) {
      const v128_t d = wasm_f32x4_mul(beta, wasm_f32x4_sub(wasm_v128_load(x + i), vmax));
      const float e0 = std::exp(wasm_f32x4_extract_lane(d, 0)), e1 = std::exp(wasm_f32x4_extract_lane(d, 1));
      const float e2 = std::exp(wasm_f32x4_extract_lane(d, 2)), e3 = std::exp(wasm_f32x4_extract_lane(d, 3));
      sum += e0;
      sum += e1;
      sum += e2;
      sum += e3;
      wasm_v128_store(y + i, wasm_f32x4_make(e0, e1, e2, e3));
    }
    QWASM_LOOP_SCALAR
    for (; i < cols; ++i) {
      y[i] = std::exp(p.beta * (x[i] - max));
      sum += y[i];
    }
    const v128_t vsum = wasm_f32x4_splat(sum);
    for (i = 0; i + 4 <= cols; i += 4) wasm_v128_store(y + i, wasm_f32x4_div(wasm_v128_load(y + i), vsum));
    QWASM_LOOP_SCALAR
    for (; i < cols; ++i) y[i] = y[i] / sum;
  }
}

}  // namespace qwasm
