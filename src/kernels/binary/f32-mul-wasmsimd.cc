// Float MUL, WebAssembly SIMD128 (f32-binary-wasmsimd.h).
#include "kernels/binary/f32-binary-wasmsimd.h"
#include "kernels/kernels.h"

namespace qwasm {

void f32_mul__wasmsimd(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                       float* output) {
  F32BinaryWasmsimd<F32MulOp>(p, begin, end, a, b, output);
}

}  // namespace qwasm
