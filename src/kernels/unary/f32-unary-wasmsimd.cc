// Float elementwise functions, WebAssembly SIMD128: the reference's
// operations in its order (x * clamp(x + 3, 0, 6) / 6 is a multiply then a
// divide, as written there). LOGISTIC has no vector exp: it calls the
// reference per element, so the two agree by construction.
#include "kernels/simd128.h"
#include "kernels/kernels.h"

namespace qwasm {

void f32_unary__wasmsimd(const FUnaryParams& p, size_t n, const float* input, float* output) {
  if (p.op == UnaryOp::kLogistic) return f32_unary__ref(p, n, input, output);
  auto clamp = [](v128_t v, v128_t lo, v128_t hi) { return wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi); };
  const v128_t lo = wasm_f32x4_splat(p.min), hi = wasm_f32x4_splat(p.max);
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  const v128_t three = wasm_f32x4_splat(3.0f), six = wasm_f32x4_splat(6.0f);
  const v128_t alpha = wasm_f32x4_splat(p.alpha), beta = wasm_f32x4_splat(p.beta);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t x = wasm_v128_load(input + i);
    v128_t y;
    switch (p.op) {
      case UnaryOp::kClamp: y = clamp(x, lo, hi); break;
      case UnaryOp::kHardSwish:
        y = wasm_f32x4_div(wasm_f32x4_mul(x, clamp(wasm_f32x4_add(x, three), zero, six)), six);
        break;
      default: y = clamp(wasm_f32x4_add(wasm_f32x4_mul(alpha, x), beta), zero, one); break;
    }
    wasm_v128_store(output + i, y);
  }
  f32_unary__ref(p, n - i, input + i, output + i);
}

}  // namespace qwasm
