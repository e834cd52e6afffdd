// gemm_op.h — the prepared form of every node that is a GEMM underneath:
// FULLY_CONNECTED, 1x1 stride-1 CONV_2D (the input pixels are the rows of
// A, no copy) and any other CONV_2D through im2col (each output pixel's
// receptive field copied into a row, padding filled with the input zero
// point). Weights are packed at prepare (kernels/gemm/gemm.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/op.h"
#include "kernels/gemm/gemm.h"

namespace qwasm {

// How a GEMM of m x n x k is split over `threads` (row tiles x channel
// tiles; im2col GEMMs split rows only).
struct GemmTilePlan {
  size_t m_tiles = 1, n_tiles = 1;
};
GemmTilePlan PlanGemmTiles(size_t m, size_t n, size_t k, int threads, bool im2col);

class GemmOp final : public PreparedOp {
 public:
  // Direct: A is the input tensor, `m` rows of `k` bytes.
  GemmOp(QGemmWeights w, QOutput out, size_t m, int32_t in, int32_t output);
  // im2col over the window `shape` (filter [out_c][kh][kw][in_c]).
  GemmOp(QGemmWeights w, QOutput out, const WindowShape& shape, int32_t a_zero_point,
         int32_t in, int32_t output);

  // Plans tiles for the pool's thread count and sizes per-tile scratch.
  void Attach(const RunContext& rc) override;
  void Run(const RunContext& rc) override;

 private:
  void FillIm2col(const int8_t* input, size_t row_begin, size_t row_end);

  QGemmWeights w_;
  QOutput out_;
  size_t m_;
  bool im2col_ = false;
  WindowShape shape_;
  int32_t a_zero_point_ = 0;
  std::vector<int8_t> scratch_;  // im2col rows, k_padded bytes each
  size_t m_tiles_ = 1, n_tiles_ = 1;
  std::vector<int16_t> widened_;  // per tile: 4 rows of A widened to int16
  size_t widened_stride_ = 0;
  // Tile t's scratch, 64-byte aligned.
  int16_t* Scratch(size_t t) {
    int16_t* base = widened_.data();
    base += (32 - reinterpret_cast<uintptr_t>(base) / 2 % 32) % 32;
    return base + t * widened_stride_;
  }
  int32_t in_, output_;
};

}  // namespace qwasm
