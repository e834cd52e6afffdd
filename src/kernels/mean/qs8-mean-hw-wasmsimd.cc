// Mean over H and W, WebAssembly SIMD128: it is average pooling with one
// window covering the whole image, and the multipliers agree exactly
// (fl(scale_in / scale_out / (H * W)) in double, as in both references).
#include "kernels/kernels.h"
#include "kernels/simd128.h"

namespace qwasm {

void qs8_mean_hw__wasmsimd(const QMeanParams& p, size_t c_begin, size_t c_end,
                           const int8_t* input, int8_t* output) {
  QPoolParams pool;
  pool.shape.batch = p.batch;
  pool.shape.in_h = pool.shape.kernel_h = p.height;
  pool.shape.in_w = pool.shape.kernel_w = p.width;
  pool.shape.in_c = pool.shape.out_c = p.channels;
  pool.shape.out_h = pool.shape.out_w = 1;
  pool.input_zero_point = p.input_zero_point;
  pool.input_over_output_scale = p.input_over_output_scale;
  pool.output = p.output;
  qs8_average_pool__wasmsimd(pool, 0, static_cast<size_t>(p.batch), c_begin, c_end, input, output);
}

}  // namespace qwasm
