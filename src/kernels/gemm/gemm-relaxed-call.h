// gemm-relaxed-call.h — the one call between the core and the relaxed-SIMD
// side module (kernels/relaxed.h): plain data, so the module, compiled by a
// newer clang without any C++ library, shares nothing else with the core.
#pragma once

#include <stdint.h>

extern "C" {

// C[m][n_begin, n_end) of the 4x8c4 GEMM (kernels/gemm/gemm.h); the fields
// mirror QGemmWeights, QOutput and QGemmFn's arguments.
struct QGemmRelaxedCall {
  const int8_t* packed;
  const int32_t* bias;
  const float* scale;
  const int8_t* a;
  int8_t* c;
  void* scratch;  // qs8_gemm_4x8c4_scratch_bytes, 16-byte aligned
  uint32_t k, k_padded, k_read, m, a_stride, c_stride, n_begin, n_end;
  int32_t w_zero_point, a_offset;
  int32_t out_zero_point, out_min, out_max;
};

// The side module's GEMM (qs8-gemm-4x8c4-wasmrelaxed.cc) and its probe of
// the engine's dot (probe/relaxed-probe-wasmrelaxed.cc: the bits it returns).
void qs8_gemm_4x8c4__wasmrelaxed(const QGemmRelaxedCall* call);
int32_t relaxed_probe__wasmrelaxed(int32_t minus128);

}
