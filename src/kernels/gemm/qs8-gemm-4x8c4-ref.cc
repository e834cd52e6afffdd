// Reference 4x8c4 int8 GEMM: the packed layout of gemm.h read one weight at
// a time, with the relaxed kernel's arithmetic (A offset by a_offset, the
// zero-point row sum) in uint32, modulo 2^32 like its lanes.
#include "kernels/gemm/gemm.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_gemm_4x8c4__ref(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a, size_t a_stride,
                         int8_t* c, size_t c_stride, size_t n_begin, size_t n_end, void* /*scratch*/) {
  const size_t k_quads = static_cast<size_t>(w.k_padded) / 4;
  for (size_t row = 0; row < m; ++row) {
    const int8_t* x = a + row * a_stride;
    uint32_t row_sum = 0;
    for (int kk = 0; kk < w.k; ++kk) row_sum += static_cast<uint32_t>(x[kk]);
    for (size_t n = n_begin; n < n_end; ++n) {
      // Quads of channel n: block n / 8, lane n % 8, 32 bytes per quad step.
      const uint8_t* wp = w.packed.data() + (n / 8) * k_quads * 32 + (n % 8) * 4;
      uint32_t acc = static_cast<uint32_t>(w.bias[n]);
      for (size_t kk = 0; kk < k_quads * 4; ++kk) {
        // Bytes past k meet zero weights; they are read, as the kernel reads them.
        const int32_t weight = static_cast<int8_t>(wp[(kk / 4) * 32 + kk % 4]);
        acc += static_cast<uint32_t>(weight * (x[kk] + w.a_offset));
      }
      acc -= static_cast<uint32_t>(w.w_zero_point) * row_sum;
      c[row * c_stride + n] = static_cast<int8_t>(
          Requantize(static_cast<int32_t>(acc), w.scale[n], out.zero_point, out.min, out.max));
    }
  }
}

}  // namespace qwasm
