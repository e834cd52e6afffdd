// gemm.h — the int8 GEMM behind 1x1 convolutions, im2col convolutions and
// fully connected layers:
//
//   C[m][n] = Requantize(bias[n] + sum_k (A[m][k] - za) * (W[n][k] - zw), scale[n])
//
// Weights are packed once, at prepare, into the microkernel's layout:
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

#include "kernels/params.h"

namespace qwasm {

struct QGemmWeights {
  int n = 0, k = 0;                  // logical sizes
  int n_padded = 0;                  // multiple of 8
  int k_padded = 0;                  // multiple of 2: K in whole pairs
  int k_read = 0;                    // multiple of 8: bytes read per A row
  std::vector<int16_t> w;            // n_padded * k_padded, layout above
  std::vector<int32_t> bias;         // [n_padded], zero-point terms folded in
  std::vector<float> scale;          // [n_padded] requantization multipliers
};

// Packs W ([n][k] int8, rows `w_stride` elements apart) with its per-tensor
// zero point, optional bias ([n], may be null), per-channel multipliers
// ([n]) and the zero point of the A operand.
QGemmWeights PackQGemmWeights(int n, int k, const int8_t* w, size_t w_stride,
                              int32_t w_zero_point, const int32_t* bias,
                              const float* scale, int32_t a_zero_point);

// Computes rows [0, m) and channels [n_begin, n_end) of C. Rows of A are
// `a_stride` bytes apart and may be read up to k_read bytes from their
// start (the bytes past k meet zero weights: their values do not matter,
// but they must be readable); C rows are `c_stride` bytes apart.
// n_begin must be a multiple of 8. `scratch` holds GemmScratchSize(w)
// int16 values (one buffer per concurrent caller).
void qs8_gemm_4x8c2__wasmsimd(const QGemmWeights& w, const QOutput& out, size_t m,
                              const int8_t* a, size_t a_stride, int8_t* c, size_t c_stride,
                              size_t n_begin, size_t n_end, int16_t* scratch);

inline size_t GemmScratchSize(const QGemmWeights& w) { return 4 * static_cast<size_t>(w.k_read); }

}  // namespace qwasm
