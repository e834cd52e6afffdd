// Reference 4x8 float GEMM on the packed layout of gemm.h: bias, then one
// rounded multiply and one rounded add per k in order, as every variant.
#include "kernels/gemm/gemm.h"

namespace qwasm {

void f32_gemm_4x8__ref(const FGemmWeights& w, const FOutput& out, size_t m, const float* a, size_t a_stride,
                       float* c, size_t c_stride, size_t n_begin, size_t n_end) {
  const size_t k = static_cast<size_t>(w.k);
  for (size_t row = 0; row < m; ++row) {
    const float* x = a + row * a_stride;
    for (size_t n = n_begin; n < n_end; ++n) {
      const float* wp = w.w.data() + (n / 8) * 8 * k + n % 8;
      float acc = w.bias[n];
      for (size_t kk = 0; kk < k; ++kk) acc = acc + x[kk] * wp[kk * 8];
      c[row * c_stride + n] = out.Apply(acc);
    }
  }
}

}  // namespace qwasm
