// relaxed_loader.cc — installs the relaxed-SIMD side module (kernels/relaxed.h)
// in the wasm product, where the engine has relaxed SIMD.
//
// The side module (clang-19, a few kB, its bytes linked in as
// qwasm_relaxed_module) imports this module's memory and exports the 4x8c4
// GEMM and 16c4 depthwise microkernels and the probe. Each instance of the
// product — the main thread's and every pthread Worker's — has its own
// function table, so each instantiates the side module once and puts its
// microkernels into the table slots of g_gemm_slot and g_dwconv_slot: calls
// through those slots then run the side module's code directly (no JS in
// between). Where WebAssembly.validate refuses the side
// module (no relaxed SIMD: older engines, Node 20 without its flag) or the
// self-test fails (an engine whose dot saturates), nothing changes: the
// SIMD128 table stays the default.
#include <emscripten/emscripten.h>

#include <cstdlib>

#include "kernels/relaxed.h"

extern "C" const unsigned char qwasm_relaxed_module[];
extern "C" const unsigned int qwasm_relaxed_module_size;

namespace qwasm {
namespace {

// The slots: functions of the microkernels' types, so call_indirect accepts
// what replaces them. Never run unreplaced: a Worker replaces them before
// its first call (EnsureInstantiated below).
extern "C" void qwasm_relaxed_gemm_slot(const QGemmRelaxedCall*) { std::abort(); }
extern "C" void qwasm_relaxed_dwconv_slot(QDwconvRelaxedCall*) { std::abort(); }

// Volatile, so the compiler cannot fold the never-written pointers into
// direct calls of the placeholders: the calls must go through the table.
QGemmRelaxedFn volatile g_gemm_slot = qwasm_relaxed_gemm_slot;
QDwconvRelaxedFn volatile g_dwconv_slot = qwasm_relaxed_dwconv_slot;

// Instantiates the side module on this thread's instance and puts its
// microkernels into their slots; returns the probe's bits, or -1 (no relaxed
// SIMD) / -2 (error).
EM_JS(int, qwasm_relaxed_instantiate, (const unsigned char* bytes, unsigned int size, QGemmRelaxedFn gemm_slot,
                                        QDwconvRelaxedFn dwconv_slot), {
  try {
    var b = HEAPU8.slice(bytes, bytes + size);
    if (!WebAssembly.validate(b)) return -1;
    var side = new WebAssembly.Instance(new WebAssembly.Module(b), { env: { memory: wasmMemory } });
    wasmTable.set(gemm_slot, side.exports.qs8_gemm_4x8c4__wasmrelaxed);
    wasmTable.set(dwconv_slot, side.exports.qs8_dwconv_16c4__wasmrelaxed);
    return side.exports.relaxed_probe__wasmrelaxed(-128);
  } catch (e) {
    console.warn('qwasm: the relaxed-SIMD kernels did not start, using SIMD128: ' + e);
    return -2;
  }
});

thread_local bool t_instantiated = false;

int InstantiateHere() {
  t_instantiated = true;
  return qwasm_relaxed_instantiate(qwasm_relaxed_module, qwasm_relaxed_module_size, g_gemm_slot, g_dwconv_slot);
}

// What the relaxed table calls (InstallRelaxedKernels): a pool Worker
// instantiates the side module on its first call.
void RelaxedGemm(const QGemmRelaxedCall* call) {
  if (!t_instantiated) InstantiateHere();
  g_gemm_slot(call);
}

void RelaxedDwconv(QDwconvRelaxedCall* call) {
  if (!t_instantiated) InstantiateHere();
  g_dwconv_slot(call);
}

RelaxedDotReading ReadingOf(int probe) {
  if (probe < 0 || !(probe & 4)) return RelaxedDotReading::kUnsupported;  // missing, or saturating
  if (probe & 1) return RelaxedDotReading::kUnsigned;
  if (probe & 2) return RelaxedDotReading::kSigned;
  return RelaxedDotReading::kUnsupported;
}

// At start, on the main thread, before any model is prepared.
const bool g_installed = [] {
  const RelaxedDotReading reading = ReadingOf(InstantiateHere());
  RelaxedEntryPoints fns;
  fns.gemm = RelaxedGemm;
  fns.dwconv = RelaxedDwconv;
  return reading != RelaxedDotReading::kUnsupported && InstallRelaxedKernels(fns, reading);
}();

}  // namespace
}  // namespace qwasm
