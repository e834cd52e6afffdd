// Packs int8 weights into the 4x8c4 relaxed GEMM layout (see gemm.h), the
// layout qs8_gemm_4x8c4__ref and the relaxed microkernel read.
#include "kernels/gemm/gemm.h"

namespace qwasm {
namespace {

QGemmWeights Pack(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point, const int32_t* bias,
                  const float* scale, int32_t a_zero_point, int32_t a_offset) {
  QGemmWeights p;
  p.n = n;
  p.k = k;
  p.n_padded = (n + 7) / 8 * 8;
  p.k_read = (k + 15) / 16 * 16;
  p.k_padded = (k + 3) / 4 * 4;  // the dots stop here; A's interleaving reads on to k_read
  p.w_zero_point = w_zero_point;
  p.a_offset = a_offset;
  p.packed.assign(static_cast<size_t>(p.n_padded) * p.k_padded, 0);
  p.bias.assign(p.n_padded, 0);
  p.scale.assign(p.n_padded, 1.0f);  // padded channels are computed, never stored
  uint8_t* out = p.packed.data();
  for (int nb = 0; nb < p.n_padded / 8; ++nb) {
    for (int kq = 0; kq < p.k_padded / 4; ++kq) {
      for (int j = 0; j < 8; ++j) {
        const int oc = nb * 8 + j;
        for (int e = 0; e < 4; ++e, ++out) {
          const int kk = 4 * kq + e;
          // Padding is 0: whatever A holds there meets a zero weight.
          *out = static_cast<uint8_t>(oc < n && kk < k ? w[static_cast<size_t>(oc) * w_stride + kk] : 0);
        }
      }
    }
  }
  for (int oc = 0; oc < n; ++oc) {
    int64_t wsum = 0;
    for (int kk = 0; kk < k; ++kk) wsum += w[static_cast<size_t>(oc) * w_stride + kk];
    // bias - (a_offset + za) sum W + k za zw, modulo 2^32 like the kernel's lanes.
    const int64_t b = (bias ? bias[oc] : 0) - (static_cast<int64_t>(a_offset) + a_zero_point) * wsum +
                      static_cast<int64_t>(k) * a_zero_point * w_zero_point;
    p.bias[oc] = static_cast<int32_t>(static_cast<uint32_t>(b));
    p.scale[oc] = scale[oc];
  }
  return p;
}

}  // namespace

QGemmWeights qs8_gemm_4x8c4_pack_unsigned(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                          const int32_t* bias, const float* scale, int32_t a_zero_point) {
  return Pack(n, k, w, w_stride, w_zero_point, bias, scale, a_zero_point, 128);
}

QGemmWeights qs8_gemm_4x8c4_pack_signed(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                        const int32_t* bias, const float* scale, int32_t a_zero_point) {
  return Pack(n, k, w, w_stride, w_zero_point, bias, scale, a_zero_point, 0);
}

// Four interleaved rows, then 16 bytes for partial stores.
size_t qs8_gemm_4x8c4_scratch_bytes(const QGemmWeights& w) { return 4 * static_cast<size_t>(w.k_read) + 16; }

}  // namespace qwasm
