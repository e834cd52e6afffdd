// relaxed.h — the relaxed-SIMD kernel table: the SIMD128 table with the
// int8 GEMM replaced by the 4x8c4 relaxed microkernel (gemm/gemm.h).
//
// The microkernel lives apart from the product's module: Emscripten 3.1.6's
// clang 14 cannot emit the standard relaxed opcodes, and a module holding
// them does not even load where relaxed SIMD is missing. So clang-19
// compiles it into a small side module, which the bindings install at start
// (bindings/relaxed_loader.cc) where the engine has relaxed SIMD:
// InstallRelaxedGemm() then receives its entry point and how the engine
// reads the dot's second operand (relaxed-simd.h), and a self-test on edge
// values decides whether DefaultKernels() uses it. Natively the microkernel
// is compiled with the emulated instruction, and both readings' tables are
// in AllKernelConfigs() for the kernel testers.
#pragma once

#include "kernels/config.h"

namespace qwasm {

// How the engine reads bytes >= 0x80 of the relaxed dot's second operand,
// as the side module's probe found it.
enum class RelaxedDotReading {
  kUnsupported,  // no relaxed SIMD, or a reading the kernels cannot use exactly
  kUnsigned,     // x86 with VNNI: A goes in as a + 128
  kSigned,       // Arm: A goes in as it is
};

using QGemmRelaxedFn = void (*)(const QGemmRelaxedCall* call);

// Makes `fn` the relaxed GEMM of this process if its bytes equal the
// reference's on edge cases under `reading`; returns whether it did.
bool InstallRelaxedGemm(QGemmRelaxedFn fn, RelaxedDotReading reading);

// The installed table, or null (nothing installed, or the self-test failed).
const KernelConfig* RelaxedKernels();

// The table for one reading around `fn` (tests; InstallRelaxedGemm uses it).
KernelConfig MakeRelaxedKernels(RelaxedDotReading reading);

// Whether the table's GEMM gives the reference's bytes on the self-test
// cases (extreme A and W bytes, zero points, k not a multiple of 16, one row).
bool RelaxedSelfTest(const KernelConfig& table);

}  // namespace qwasm
