// Packs int8 weights into the 4x8c2 GEMM layout (see gemm.h), the layout
// qs8_gemm_4x8c2__ref and qs8_gemm_4x8c2__wasmsimd read.
#include <cstring>

#include "kernels/gemm/gemm.h"

namespace qwasm {

QGemmWeights qs8_gemm_4x8c2_pack(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                 const int32_t* bias, const float* scale, int32_t a_zero_point) {
  QGemmWeights p;
  p.n = n;
  p.k = k;
  p.n_padded = (n + 7) / 8 * 8;
  p.k_padded = (k + 1) / 2 * 2;
  p.k_read = (k + 7) / 8 * 8;
  p.packed.assign(static_cast<size_t>(p.n_padded) * p.k_padded * sizeof(int16_t), 0);
  p.bias.assign(p.n_padded, 0);
  p.scale.assign(p.n_padded, 1.0f);  // padded channels are computed, never stored
  auto weight = [&](int oc, int kk) -> int16_t {
    if (oc >= n || kk >= k) return 0;
    return static_cast<int16_t>(w[static_cast<size_t>(oc) * w_stride + kk] - w_zero_point);
  };
  uint8_t* out = p.packed.data();
  auto put = [&](int16_t v) {
    std::memcpy(out, &v, sizeof v);
    out += sizeof v;
  };
  for (int nb = 0; nb < p.n_padded / 8; ++nb) {
    for (int kp = 0; kp < p.k_padded / 2; ++kp) {
      for (int j = 0; j < 8; ++j) {
        put(weight(nb * 8 + j, 2 * kp));
        put(weight(nb * 8 + j, 2 * kp + 1));
      }
    }
  }
  for (int oc = 0; oc < n; ++oc) {
    // sum_k (a - za)(w - zw) = sum_k a (w - zw) - za sum_k (w - zw): the
    // second term is constant per channel. int64 then wrap: the kernel's
    // int32 arithmetic is modulo 2^32 too, so the result is the reference's.
    int64_t wsum = 0;
    for (int kk = 0; kk < k; ++kk) wsum += weight(oc, kk);
    const int64_t b = (bias ? bias[oc] : 0) - static_cast<int64_t>(a_zero_point) * wsum;
    p.bias[oc] = static_cast<int32_t>(static_cast<uint32_t>(b));
    p.scale[oc] = scale[oc];
  }
  return p;
}

size_t qs8_gemm_4x8c2_scratch_bytes(const QGemmWeights& w) {
  return 4 * static_cast<size_t>(w.k_read) * sizeof(int16_t);
}

}  // namespace qwasm
