// Packs float weights into the 4x8 float GEMM layout (see gemm.h).
#include "kernels/gemm/gemm.h"

namespace qwasm {

FGemmWeights f32_gemm_4x8_pack(int n, int k, const float* w, size_t w_stride, const float* bias) {
  FGemmWeights p;
  p.n = n;
  p.k = k;
  p.n_padded = (n + 7) / 8 * 8;
  p.w.assign(static_cast<size_t>(p.n_padded) * k, 0.0f);
  p.bias.assign(p.n_padded, 0.0f);
  float* out = p.w.data();
  for (int nb = 0; nb < p.n_padded / 8; ++nb) {
    for (int kk = 0; kk < k; ++kk) {
      for (int j = 0; j < 8; ++j) {
        const int oc = nb * 8 + j;
        *out++ = oc < n ? w[static_cast<size_t>(oc) * w_stride + kk] : 0.0f;
      }
    }
  }
  for (int oc = 0; oc < n && bias; ++oc) p.bias[oc] = bias[oc];
  return p;
}

}  // namespace qwasm
