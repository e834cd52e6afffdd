// The relaxed-SIMD kernels' installation (kernels/relaxed.h): the self-test
// accepts the microkernels only under the engine reading they were packed
// for, and refuses an engine whose 16-bit pair sums saturate (x86 without
// VNNI). The microkernels' bytes on every shape are the GEMM and depthwise
// testers' (test_gemm.cc, test_dwconv.cc run both relaxed tables natively). Native only: the wasm
// suite's module has no relaxed microkernel of its own (the product loads
// it as a side module; tests/e2e check it in Chromium).
#if defined(QWASM_SIMDE)
#include <doctest/doctest.h>

#include <cstring>

#include "kernels/relaxed-simd.h"
#include "kernels/relaxed.h"

using namespace qwasm;

namespace {

template <RelaxedDotSemantics kEngine>
void EmulatedGemm(const QGemmRelaxedCall* call) {
  g_relaxed_dot_semantics = kEngine;
  qs8_gemm_4x8c4__wasmrelaxed(call);
}

template <RelaxedDotSemantics kEngine>
void EmulatedDwconv(QDwconvRelaxedCall* call) {
  g_relaxed_dot_semantics = kEngine;
  qs8_dwconv_16c4__wasmrelaxed(call);
}

// The side module's entry points on an emulated engine.
template <RelaxedDotSemantics kEngine>
RelaxedEntryPoints EmulatedEngine() {
  RelaxedEntryPoints fns;
  fns.gemm = EmulatedGemm<kEngine>;
  fns.dwconv = EmulatedDwconv<kEngine>;
  return fns;
}

// Leaves nothing installed, whatever a check did.
struct Uninstall {
  ~Uninstall() { InstallRelaxedKernels({}, RelaxedDotReading::kUnsupported); }
};

}  // namespace

TEST_CASE("relaxed kernels: the self-test passes under both readings the tables are packed for") {
  CHECK(RelaxedSelfTest(MakeRelaxedKernels(RelaxedDotReading::kUnsigned)));
  CHECK(RelaxedSelfTest(MakeRelaxedKernels(RelaxedDotReading::kSigned)));
}

TEST_CASE("relaxed kernels: installed only where the engine computes the reference's bytes") {
  Uninstall uninstall;
  REQUIRE(RelaxedKernels() == nullptr);
  const char* simd_name = DefaultKernels().name;

  // x86 with VNNI, packed for an unsigned reading: used.
  CHECK(InstallRelaxedKernels(EmulatedEngine<RelaxedDotSemantics::kUnsigned>(), RelaxedDotReading::kUnsigned));
  REQUIRE(RelaxedKernels() != nullptr);
  CHECK(std::strcmp(DefaultKernels().name, "wasmrelaxed") == 0);

  // Arm (signed reading): used with the signed packing only.
  CHECK(InstallRelaxedKernels(EmulatedEngine<RelaxedDotSemantics::kSigned>(), RelaxedDotReading::kSigned));
  CHECK(std::strcmp(DefaultKernels().name, "wasmrelaxed-signed") == 0);
  CHECK_FALSE(InstallRelaxedKernels(EmulatedEngine<RelaxedDotSemantics::kSigned>(), RelaxedDotReading::kUnsigned));
  CHECK_FALSE(InstallRelaxedKernels(EmulatedEngine<RelaxedDotSemantics::kUnsigned>(), RelaxedDotReading::kSigned));

  // x86 without VNNI: pmaddubsw saturates pairs of large products.
  CHECK_FALSE(InstallRelaxedKernels(EmulatedEngine<RelaxedDotSemantics::kUnsignedSaturating>(), RelaxedDotReading::kUnsigned));
  CHECK(RelaxedKernels() == nullptr);
  CHECK(std::strcmp(DefaultKernels().name, simd_name) == 0);

  CHECK_FALSE(InstallRelaxedKernels(EmulatedEngine<RelaxedDotSemantics::kUnsigned>(), RelaxedDotReading::kUnsupported));
  CHECK(RelaxedKernels() == nullptr);
}


TEST_CASE("relaxed probe: names each engine's reading of the second operand") {
  const RelaxedDotSemantics saved = g_relaxed_dot_semantics;
  g_relaxed_dot_semantics = RelaxedDotSemantics::kUnsigned;
  CHECK(relaxed_probe__wasmrelaxed(-128) == (1 | 4));
  g_relaxed_dot_semantics = RelaxedDotSemantics::kSigned;
  CHECK(relaxed_probe__wasmrelaxed(-128) == (2 | 4));
  g_relaxed_dot_semantics = RelaxedDotSemantics::kUnsignedSaturating;
  CHECK(relaxed_probe__wasmrelaxed(-128) == 1);
  g_relaxed_dot_semantics = saved;
}

#endif  // QWASM_SIMDE
