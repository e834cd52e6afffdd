// gemm.h — the int8 GEMM behind 1x1 convolutions, im2col convolutions and
// fully connected layers:
//
//   C[m][n] = Requantize(bias[n] + sum_k (A[m][k] - za) * (W[n][k] - zw), scale[n])
//
// Weights are packed once, at prepare, into the microkernel's layout
// (qs8_gemm_4x8c2_pack; its reference and SIMD kernels read the same layout):
// widened to int16 with the weight zero point subtracted (so uint8-style
// per-tensor zero points cost nothing at run time), the input zero-point term
// -za * sum_k (W[n][k] - zw) folded into the bias, K and N padded with zero
// weights to a multiple of 8 (N) and of 2 (K).
//
// Microkernel "4x8c2" (XNNPACK's naming): 4 rows of A by 8 output channels,
// K consumed one pair at a time. Rows of A are first widened to int16 into
// a small scratch buffer (once per 4 rows, reused for every channel block);
// then each step is a 32-bit broadcast load of an (A[k], A[k+1]) pair per
// row (v128.load32_splat: a pure load, no shuffle), two weight vectors, and
// eight i32x4.dot_i16x8_s + i32x4.add. The ALU work is the dot products and
// their accumulation only, the dot_i16x8 ceiling's own instruction mix
// (bench/gemm-bench.cc measures both).
// Live vectors: 8 accumulators + 4 A + 2 W = 14 (V8 gives wasm 16 on x64).
//   w[nb][kp][g][lane j] = pair (W[n][2 kp], W[n][2 kp + 1]), n = 8 nb + 4 g + j
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm/gemm-relaxed-call.h"
#include "kernels/params.h"

namespace qwasm {

// Packed weights of one GEMM variant; `packed` holds the layout of the
// variant that made it (above: 4x8c2), read with memcpy or vector loads.
struct QGemmWeights {
  int n = 0, k = 0;                  // logical sizes
  int n_padded = 0;                  // multiple of the kernel's nr
  int k_padded = 0;                  // multiple of the kernel's kr
  int k_read = 0;                    // bytes of each A row the kernel may read (>= k)
  std::vector<uint8_t> packed;       // weights, layout above
  std::vector<int32_t> bias;         // [n_padded], zero-point terms folded in
  std::vector<float> scale;          // [n_padded] requantization multipliers
  // Layouts that keep W's bytes as they are (4x8c4): W's per-tensor zero
  // point, applied at run time through row sums of A, and what the kernel
  // adds to every A byte before its dot products (128 where the engine
  // reads that operand unsigned; the pack folds -128 sum W into the bias).
  int32_t w_zero_point = 0;
  int32_t a_offset = 0;
};

// Packs W ([n][k] int8, rows `w_stride` elements apart) with its per-tensor
// zero point, optional bias ([n], may be null), per-channel multipliers
// ([n]) and the zero point of the A operand.
using QGemmPackFn = QGemmWeights (*)(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                     const int32_t* bias, const float* scale, int32_t a_zero_point);

// Computes rows [0, m) and channels [n_begin, n_end) of C. Rows of A are
// `a_stride` bytes apart and may be read up to k_read bytes from their
// start (the bytes past k meet zero weights: their values do not matter,
// but they must be readable); C rows are `c_stride` bytes apart.
// n_begin must be a multiple of nr. `scratch` holds scratch_bytes(w) bytes,
// 16-byte aligned (one buffer per concurrent caller).
using QGemmFn = void (*)(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a,
                         size_t a_stride, int8_t* c, size_t c_stride, size_t n_begin, size_t n_end,
                         void* scratch);

struct QGemmKernel {
  const char* name = "";
  int mr = 1, nr = 1;  // rows of A and channels per microkernel tile
  QGemmPackFn pack = nullptr;
  QGemmFn run = nullptr;
  size_t (*scratch_bytes)(const QGemmWeights& w) = nullptr;
};

QGemmWeights qs8_gemm_4x8c2_pack(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                 const int32_t* bias, const float* scale, int32_t a_zero_point);
// 4 rows of A widened to int16 (WidenRows in the SIMD kernel).
size_t qs8_gemm_4x8c2_scratch_bytes(const QGemmWeights& w);
void qs8_gemm_4x8c2__ref(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a,
                         size_t a_stride, int8_t* c, size_t c_stride, size_t n_begin, size_t n_end,
                         void* scratch);
void qs8_gemm_4x8c2__wasmsimd(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a,
                              size_t a_stride, int8_t* c, size_t c_stride, size_t n_begin, size_t n_end,
                              void* scratch);

// ---- relaxed SIMD: 4x8c4 -----------------------------------------------------
// Microkernel "4x8c4": 4 rows of A by 8 channels, K four at a time with
// i32x4.relaxed_dot_i8x16_i7x16_add_s (kernels/relaxed-simd.h): 16 MACs per
// instruction where dot_i16x8 does 8, and A is never widened. Each step:
// two weight vectors (4 channels x 4 k each), A's 4 k of each row broadcast
// (rows 0-1 by shuffles of one load, rows 2-3 by 32-bit broadcast loads:
// the step is bound by loads as much as by dots), eight relaxed dots. W is
// packed as int8, unchanged:
//   w[nb][kq][lane j][e] = W[8 nb + j][4 kq + e]      (k padded to 4)
// A goes into the dot's second operand, whose top bit engines read
// differently: where they read it unsigned (x86), A's bytes are flipped to
// a + 128 and the pack folds -128 * sum W into the bias (a_offset 128);
// where they read it signed (Arm), A goes in as it is (a_offset 0). A
// per-tensor W zero point (uint8 models) costs one row sum of A per row:
//   C = bias' + sum_k W (A + a_offset) - zw * sum_k A,
//   bias' = bias - (a_offset + za) sum_k W + k za zw.
// The run is a C call into the relaxed side module (kernels/relaxed.h):
// it takes one QGemmRelaxedCall, plain data, so that module needs no C++
// library. k_read is k rounded up to 16 (A is interleaved 16 bytes at a
// time); A rows are read that far, the dots stop at k_padded.
QGemmWeights qs8_gemm_4x8c4_pack_unsigned(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                          const int32_t* bias, const float* scale, int32_t a_zero_point);
QGemmWeights qs8_gemm_4x8c4_pack_signed(int n, int k, const int8_t* w, size_t w_stride, int32_t w_zero_point,
                                        const int32_t* bias, const float* scale, int32_t a_zero_point);
// 4 rows of A, interleaved and offset (k_read bytes each), and 16 bytes.
size_t qs8_gemm_4x8c4_scratch_bytes(const QGemmWeights& w);
void qs8_gemm_4x8c4__ref(const QGemmWeights& w, const QOutput& out, size_t m, const int8_t* a, size_t a_stride,
                         int8_t* c, size_t c_stride, size_t n_begin, size_t n_end, void* scratch);

// The relaxed microkernel, qs8_gemm_4x8c4__wasmrelaxed, is declared with its
// C call in gemm-relaxed-call.h.

// ---- float32 GEMM ------------------------------------------------------------
//   C[m][n] = clamp(bias[n] + A[m][0] W[n][0] + A[m][1] W[n][1] + ...)
// accumulated in float32 strictly in k order, each step one rounded multiply
// and one rounded add (f32x4.mul + f32x4.add: WebAssembly SIMD has no fused
// multiply-add, and the build forbids contraction), so every output equals
// f32_fully_connected__ref / f32_conv2d__ref exactly for finite inputs (im2col
// padding adds 0 * w, which changes nothing but the sign of a zero).
//
// Weights are packed once: per block of 8 output channels, k-major, the 8
// channels of one k contiguous (two vectors); channels past n are zero.
//   w[nb][k][j] = W[8 nb + j][k]
// Microkernel "4x8": 4 rows of A by 8 channels; each k step splats A[r][k]
// for the 4 rows (v128.load32_splat) and issues 8 f32x4.mul + 8 f32x4.add
// against two weight vectors. Live vectors: 8 accumulators + 2 W + 4 A = 14.
// One-row calls (fully connected on one image) take 32 channels per pass:
// 8 independent accumulator chains hide the add latency.
struct FGemmWeights {
  int n = 0, k = 0;
  int n_padded = 0;         // multiple of 8
  std::vector<float> w;     // n_padded * k, layout above
  std::vector<float> bias;  // [n_padded]
};

// W: [n][k] floats, rows `w_stride` apart; bias [n] or null.
using FGemmPackFn = FGemmWeights (*)(int n, int k, const float* w, size_t w_stride, const float* bias);
// Rows [0, m) and channels [n_begin, n_end) of C (n_begin a multiple of nr).
// Rows of A are `a_stride` floats apart, rows of C `c_stride` floats; reads
// exactly k floats of each A row.
using FGemmFn = void (*)(const FGemmWeights& w, const FOutput& out, size_t m, const float* a, size_t a_stride,
                         float* c, size_t c_stride, size_t n_begin, size_t n_end);

struct FGemmKernel {
  const char* name = "";
  int mr = 1, nr = 1;
  FGemmPackFn pack = nullptr;
  FGemmFn run = nullptr;
};

FGemmWeights f32_gemm_4x8_pack(int n, int k, const float* w, size_t w_stride, const float* bias);
void f32_gemm_4x8__ref(const FGemmWeights& w, const FOutput& out, size_t m, const float* a, size_t a_stride,
                       float* c, size_t c_stride, size_t n_begin, size_t n_end);
void f32_gemm_4x8__wasmsimd(const FGemmWeights& w, const FOutput& out, size_t m, const float* a,
                            size_t a_stride, float* c, size_t c_stride, size_t n_begin, size_t n_end);

}  // namespace qwasm
