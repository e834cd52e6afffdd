// relaxed-ceiling-wasmrelaxed.cc — the relaxed-dot ceiling of the GEMM
// microbenchmark: dot-ceiling.h's streaming loops on
// i32x4.relaxed_dot_i8x16_i7x16_add_s, the instruction of the relaxed GEMM
// (kernels/relaxed-simd.h), with the operands in the microkernel's places:
// the streamed int8 W first, A (all 8 bits, as the kernel gives it) second.
// The add is part of the instruction, so one dot per accumulator step;
// 16 MACs each (dot_i16x8: 8).
//
// Compiled by clang-19 into a side module of the benchmark alone
// (bench/CMakeLists.txt, with the st flavour's commands of the product's
// relaxed side module; the product's module is untouched). Like that
// module it imports gemm-bench's memory and must not use a stack or data
// there (embed-bytes.mjs --no-globals checks); gemm-bench.cc instantiates
// it where the engine validates it and calls the two loops through
// function-table slots.
#include "dot-ceiling.h"
#include "kernels/relaxed-simd.h"

namespace {

struct RelaxedDot {
  static v128_t Add(v128_t acc, v128_t a, v128_t w) { return qwasm::RelaxedDotAdd(w, a, acc); }
};

}  // namespace

extern "C" int32_t qwasm_bench_relaxed_stream1(const v128_t* v, const v128_t* a) {
  return qwasm_bench::DotStream1<RelaxedDot>(v, a);
}

extern "C" int32_t qwasm_bench_relaxed_stream2(const v128_t* v, const v128_t* a) {
  return qwasm_bench::DotStream2<RelaxedDot>(v, a);
}
