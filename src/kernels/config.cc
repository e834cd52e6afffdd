// The kernel tables of config.h. A table starts from the reference table and
// replaces the rows it has a faster variant for; this file is the only
// place that knows which variants a build contains.
#include "kernels/config.h"

#include "kernels/kernels.h"
#include "kernels/relaxed.h"
#include "kernels/weight-expand/weight-expand.h"

namespace qwasm {
namespace {

KernelConfig MakeReference() {
  KernelConfig k;
  k.name = "ref";
  k.qs8_gemm = {"qs8_gemm_4x8c2__ref", 4, 8, qs8_gemm_4x8c2_pack, qs8_gemm_4x8c2__ref,
                qs8_gemm_4x8c2_scratch_bytes};
  k.qs8_dwconv = {"qs8_dwconv_16c2__ref", 16, qs8_dwconv_16c2_pack, qs8_dwconv_16c2__ref};
  k.qs8_dwconv_any = qs8_dwconv__ref;
  k.qs8_add = qs8_add__ref;
  k.qs8_mul = qs8_mul__ref;
  k.qs8_average_pool = qs8_average_pool__ref;
  k.qs8_max_pool = qs8_max_pool__ref;
  k.qs8_mean_hw = qs8_mean_hw__ref;
  k.qs8_softmax = qs8_softmax__ref;
  k.f32_qs8_quantize = f32_qs8_quantize__ref;
  k.qs8_f32_dequantize = qs8_f32_dequantize__ref;
  k.qs8_requantize = qs8_requantize__ref;
  k.qs8_lut = qs8_lut__ref;
  k.qs8_channel_clamp = qs8_channel_clamp__ref;
  k.qs8_expand_lut4 = qs8_expand_lut4__ref;
  k.qs8_expand_lut8 = qs8_expand_lut8__ref;

  k.f32_gemm = {"f32_gemm_4x8__ref", 4, 8, f32_gemm_4x8_pack, f32_gemm_4x8__ref};
  k.f32_dwconv = f32_dwconv__ref;
  k.f32_dwconv_any = f32_dwconv__ref;
  k.f32_add = f32_add__ref;
  k.f32_mul = f32_mul__ref;
  k.f32_average_pool = f32_average_pool__ref;
  k.f32_max_pool = f32_max_pool__ref;
  k.f32_mean_hw = f32_mean_hw__ref;
  k.f32_softmax = f32_softmax__ref;
  k.f32_unary = f32_unary__ref;
  k.f32_channel_clamp = f32_channel_clamp__ref;

  k.x_transpose = x_transpose__ref;
  k.x_pad = x_pad__ref;
  k.x_slice = x_slice__ref;
  k.x_concat = x_concat__ref;
  return k;
}

#if QWASM_KERNELS_WASMSIMD
KernelConfig MakeWasmSimd() {
  KernelConfig k = MakeReference();
  k.name = "wasmsimd";
  k.qs8_gemm = {"qs8_gemm_4x8c2__wasmsimd", 4, 8, qs8_gemm_4x8c2_pack, qs8_gemm_4x8c2__wasmsimd,
                qs8_gemm_4x8c2_scratch_bytes};
  k.qs8_dwconv = {"qs8_dwconv_16c2__wasmsimd", 16, qs8_dwconv_16c2_pack, qs8_dwconv_16c2__wasmsimd};
  k.qs8_add = qs8_add__wasmsimd;
  k.qs8_mul = qs8_mul__wasmsimd;
  k.qs8_lut = qs8_lut__wasmsimd;
  k.qs8_average_pool = qs8_average_pool__wasmsimd;
  k.qs8_max_pool = qs8_max_pool__wasmsimd;
  k.qs8_mean_hw = qs8_mean_hw__wasmsimd;
  k.qs8_softmax = qs8_softmax__wasmsimd;
  k.f32_qs8_quantize = f32_qs8_quantize__wasmsimd;
  k.qs8_f32_dequantize = qs8_f32_dequantize__wasmsimd;
  k.qs8_requantize = qs8_requantize__wasmsimd;
  k.qs8_channel_clamp = qs8_channel_clamp__wasmsimd;
  k.qs8_expand_lut4 = qs8_expand_lut4__wasmsimd;
  k.qs8_expand_lut8 = qs8_expand_lut8__wasmsimd;

  k.f32_gemm = {"f32_gemm_4x8__wasmsimd", 4, 8, f32_gemm_4x8_pack, f32_gemm_4x8__wasmsimd};
  k.f32_dwconv = f32_dwconv__wasmsimd;
  k.f32_add = f32_add__wasmsimd;
  k.f32_mul = f32_mul__wasmsimd;
  k.f32_average_pool = f32_average_pool__wasmsimd;
  k.f32_max_pool = f32_max_pool__wasmsimd;
  k.f32_mean_hw = f32_mean_hw__wasmsimd;
  k.f32_unary = f32_unary__wasmsimd;
  k.f32_softmax = f32_softmax__wasmsimd;
  k.f32_channel_clamp = f32_channel_clamp__wasmsimd;

  k.x_transpose = x_transpose__wasmsimd;
  k.x_pad = x_pad__wasmsimd;
  k.x_slice = x_slice__wasmsimd;
  k.x_concat = x_concat__wasmsimd;
  return k;
}
#endif

}  // namespace

const KernelConfig& ReferenceKernels() {
  static const KernelConfig k = MakeReference();
  return k;
}

const KernelConfig* SimdKernels() {
#if QWASM_KERNELS_WASMSIMD
  static const KernelConfig k = MakeWasmSimd();
  return &k;
#else
  return nullptr;
#endif
}

const KernelConfig& DefaultKernels() {
  if (const KernelConfig* relaxed = RelaxedKernels()) return *relaxed;  // installed and self-tested
  const KernelConfig* simd = SimdKernels();
  return simd ? *simd : ReferenceKernels();
}

std::vector<const KernelConfig*> AllKernelConfigs() {
  std::vector<const KernelConfig*> all = {&ReferenceKernels()};
  if (SimdKernels()) all.push_back(SimdKernels());
#if defined(QWASM_SIMDE)
  // Natively the relaxed microkernel runs on the emulated instruction, under
  // both readings an engine may have (relaxed-simd.h).
  static const KernelConfig relaxed_unsigned = MakeRelaxedKernels(RelaxedDotReading::kUnsigned);
  static const KernelConfig relaxed_signed = MakeRelaxedKernels(RelaxedDotReading::kSigned);
  all.push_back(&relaxed_unsigned);
  all.push_back(&relaxed_signed);
#else
  if (RelaxedKernels()) all.push_back(RelaxedKernels());
#endif
  return all;
}

}  // namespace qwasm
