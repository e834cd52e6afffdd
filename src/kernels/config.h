// config.h — the kernel table: for every kernel family, the variant a build
// flavour runs. Operators (src/graph/ops) take each kernel they call from the
// KernelConfig they are prepared with; they never test for SIMD or compare
// variants themselves.
//
// A family is one signature (kernels.h, gemm/gemm.h, dwconv/dwconv.h),
// shared by the scalar reference variant ("__ref": the truth, built without
// auto-vectorisation) and every SIMD variant, which must produce the same
// bytes for every input (tests/cpp/kernels/ run each family's tester on
// every table). Families with packed weights pair the microkernel with the
// packing it reads, so a variant may choose its own layout; the reference
// runs on the packed layout too.
//
// Tables (config.cc):
//   ReferenceKernels()  every family's __ref variant; always built;
//   SimdKernels()       WebAssembly SIMD128 variants (SIMDe natively), null
//                       in a build without SIMD (cmake -DQWASM_SIMD=OFF);
//   DefaultKernels()    the fastest table of this build.
// Adding a variant (e.g. relaxed SIMD for the int8 GEMM): its kernel file,
// a table that starts from an existing one and replaces that family's row,
// and the build option that compiles it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/dwconv/dwconv.h"
#include "kernels/gemm/gemm.h"
#include "kernels/params.h"

namespace qwasm {

// ---- int8 ----
using QAddFn = void (*)(const QAddParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                        int8_t* output);
using QMulFn = void (*)(const QMulParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                        int8_t* output);
using QAveragePoolFn = void (*)(const QPoolParams& p, size_t row_begin, size_t row_end, size_t c_begin,
                                size_t c_end, const int8_t* input, int8_t* output);
using QMaxPoolFn = void (*)(const QMaxPoolParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                            int8_t* output);
using QMeanFn = void (*)(const QMeanParams& p, size_t c_begin, size_t c_end, const int8_t* input,
                         int8_t* output);
using QSoftmaxFn = void (*)(const QSoftmaxParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                            int8_t* output);
using QuantizeFn = void (*)(const QuantizeParams& p, size_t n, const float* input, int8_t* output);
using DequantizeFn = void (*)(const DequantizeParams& p, size_t n, const int8_t* input, float* output);
using RequantizeFn = void (*)(const RequantizeParams& p, size_t n, const int8_t* input, int8_t* output);
using QLutFn = void (*)(const int8_t table[256], size_t n, const int8_t* input, int8_t* output);
using QChannelClampFn = void (*)(size_t rows, size_t channels, int8_t lo, const int8_t* hi,
                                 const int8_t* input, int8_t* output);
using QExpandLut4Fn = void (*)(const uint8_t* packed, size_t first, size_t n, const int8_t table[16],
                               int8_t* out);
using QExpandLut8Fn = void (*)(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out);

// ---- float32 ----
using FDwconvFn = void (*)(const FConvParams& p, size_t row_begin, size_t row_end, const float* input,
                           float* output);
using FBinaryFn = void (*)(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                           float* output);
using FPoolFn = void (*)(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                         float* output);
using FMeanFn = void (*)(const FMeanParams& p, size_t c_begin, size_t c_end, const float* input,
                         float* output);
using FSoftmaxFn = void (*)(const FSoftmaxParams& p, size_t row_begin, size_t row_end, const float* input,
                            float* output);
using FUnaryFn = void (*)(const FUnaryParams& p, size_t n, const float* input, float* output);
using FChannelClampFn = void (*)(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                                 float* output);

// ---- data movement, any element type ----
using TransposeFn = void (*)(const TransposeParams& p, const void* input, void* output);
using PadFn = void (*)(const PadParams& p, const void* input, void* output);
using SliceFn = void (*)(const SliceParams& p, const void* input, void* output);
using ConcatFn = void (*)(const ConcatParams& p, const void* const* inputs, void* output);

struct KernelConfig {
  const char* name = "";  // "ref", "wasmsimd"

  QGemmKernel qs8_gemm;          // conv (1x1 direct, im2col), fully connected
  QDwconvKernel qs8_dwconv;      // depthwise, multiplier 1
  QDwconvAnyFn qs8_dwconv_any;   // depthwise, any multiplier (unpacked weights)
  QAddFn qs8_add;
  QMulFn qs8_mul;
  QAveragePoolFn qs8_average_pool;
  QMaxPoolFn qs8_max_pool;
  QMeanFn qs8_mean_hw;
  QSoftmaxFn qs8_softmax;
  QuantizeFn f32_qs8_quantize;
  DequantizeFn qs8_f32_dequantize;
  RequantizeFn qs8_requantize;
  QLutFn qs8_lut;
  QChannelClampFn qs8_channel_clamp;
  QExpandLut4Fn qs8_expand_lut4;
  QExpandLut8Fn qs8_expand_lut8;

  FGemmKernel f32_gemm;
  FDwconvFn f32_dwconv;          // multiplier 1
  FDwconvFn f32_dwconv_any;      // any multiplier
  FBinaryFn f32_add;
  FBinaryFn f32_mul;
  FPoolFn f32_average_pool;
  FPoolFn f32_max_pool;
  FMeanFn f32_mean_hw;
  FSoftmaxFn f32_softmax;
  FUnaryFn f32_unary;
  FChannelClampFn f32_channel_clamp;

  TransposeFn x_transpose;
  PadFn x_pad;
  SliceFn x_slice;
  ConcatFn x_concat;
};

const KernelConfig& ReferenceKernels();
const KernelConfig* SimdKernels();  // null when the build has no SIMD kernels
const KernelConfig& DefaultKernels();
// Every table of this build, reference first (what the kernel testers run).
std::vector<const KernelConfig*> AllKernelConfigs();

}  // namespace qwasm
