// Reference 4x8c2 int8 GEMM: the packed layout of gemm.h read one weight
// pair at a time. The sum runs in uint32 because the SIMD kernel's int32
// lanes wrap (the folded bias may leave int32 on the way back into range).
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_gemm_4x8c2__ref(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a,
                         size_t a_stride, int8_t* c, size_t c_stride, size_t n_begin, size_t n_end,
                         void* scratch) {
  const size_t k_pairs = static_cast<size_t>(w.k_padded) / 2;
  for (size_t row = 0; row < m; ++row) {
    const int8_t* x = a + row * a_stride;
    for (size_t n = n_begin; n < n_end; ++n) {
      // Pairs of channel n: block n / 8, lane n % 8, 16 int16 per pair step.
      const uint8_t* wp = w.packed.data() + ((n / 8) * k_pairs * 16 + (n % 8) * 2) * sizeof(int16_t);
      uint32_t acc = static_cast<uint32_t>(w.bias[n]);
      for (size_t kp = 0; kp < k_pairs; ++kp, wp += 16 * sizeof(int16_t)) {
        int16_t w2[2];
        std::memcpy(w2, wp, sizeof w2);
        acc += static_cast<uint32_t>(x[2 * kp] * w2[0] + x[2 * kp + 1] * w2[1]);
      }
      c[row * c_stride + n] = static_cast<int8_t>(
          Requantize(static_cast<int32_t>(acc), w.scale[n], out.zero_point, out.min, out.max));
    }
  }
}

}  // namespace qwasm
