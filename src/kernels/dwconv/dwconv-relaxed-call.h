// dwconv-relaxed-call.h — the depthwise call between the core and the
// relaxed-SIMD side module (kernels/relaxed.h): plain data, like
// gemm/gemm-relaxed-call.h.
#pragma once

#include <stdint.h>

extern "C" {

// Output rows [row_begin, row_end), channels [c_begin, c_end) of the 16c4
// depthwise convolution (dwconv/dwconv.h); the fields mirror QDwconvFn's
// arguments and QDepthwiseWeights.
struct QDwconvRelaxedCall {
  const uint8_t* packed;
  const int8_t* const* indirection;
  int8_t* output;
  uint32_t taps, taps_per_quad, channels, out_w, row_step, pixel_step, row_begin, row_end, c_begin, c_end;
  uint32_t shared_columns;  // 3-tap columns a pixel shares with the next (0: none, or not 3x3)
  int32_t a_offset;  // 128: inputs go in flipped (x + 128), 0: as they are
  int32_t out_zero_point, out_min, out_max;
  int8_t tmp[16];    // partial stores: the side module has no stack of its own
};

// The side module's depthwise kernel (qs8-dwconv-16c4-wasmrelaxed.cc).
void qs8_dwconv_16c4__wasmrelaxed(QDwconvRelaxedCall* call);

}
