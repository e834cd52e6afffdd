// relaxed.h — the relaxed-SIMD kernel table: the SIMD128 table with the
// int8 GEMM replaced by the 4x8c4 relaxed microkernel (gemm/gemm.h) and the
// int8 depthwise convolution by the 16c4 one (dwconv/dwconv.h).
//
// The microkernels live apart from the product's module: Emscripten 3.1.6's
// clang 14 cannot emit the standard relaxed opcodes, and a module holding
// them does not even load where relaxed SIMD is missing. So clang-19
// compiles them into a small side module, which the bindings install at
// start (bindings/relaxed_loader.cc) where the engine has relaxed SIMD:
// InstallRelaxedKernels() then receives their entry points and how the
// engine reads the dot's second operand (relaxed-simd.h), and a self-test on
// edge values decides whether DefaultKernels() uses them. Natively the
// microkernels are compiled with the emulated instruction, and both
// readings' tables are in AllKernelConfigs() for the kernel testers.
#pragma once

#include "kernels/config.h"
#include "kernels/dwconv/dwconv-relaxed-call.h"

namespace qwasm {

// How the engine reads bytes >= 0x80 of the relaxed dot's second operand,
// as the side module's probe found it.
enum class RelaxedDotReading {
  kUnsupported,  // no relaxed SIMD, or a reading the kernels cannot use exactly
  kUnsigned,     // x86 with VNNI: A goes in as a + 128
  kSigned,       // Arm: A goes in as it is
};

using QGemmRelaxedFn = void (*)(const QGemmRelaxedCall* call);
using QDwconvRelaxedFn = void (*)(QDwconvRelaxedCall* call);

// The side module's microkernels.
struct RelaxedEntryPoints {
  QGemmRelaxedFn gemm = nullptr;
  QDwconvRelaxedFn dwconv = nullptr;
};

// Makes `fns` the relaxed kernels of this process if their bytes equal the
// reference's on edge cases under `reading`; returns whether it did.
bool InstallRelaxedKernels(RelaxedEntryPoints fns, RelaxedDotReading reading);

// The installed table, or null (nothing installed, or the self-test failed).
const KernelConfig* RelaxedKernels();

// The table for one reading (tests; InstallRelaxedKernels uses it).
KernelConfig MakeRelaxedKernels(RelaxedDotReading reading);

// Whether the table's GEMM and depthwise kernel give the reference's bytes
// on the self-test cases (extreme input and weight bytes, zero points, k not
// a multiple of 16, one row; taps not a multiple of 4, a channel tail).
bool RelaxedSelfTest(const KernelConfig& table);

}  // namespace qwasm
