// gemm_op.h — the prepared form of every node that is a GEMM underneath:
// FULLY_CONNECTED, 1x1 stride-1 unpadded CONV_2D (the input pixels are the
// rows of A, no copy) and any other CONV_2D through im2col (each output
// pixel's receptive field copied into a row, padding filled with the input
// zero point, or 0.0f for float). Weights are packed at prepare by the
// table's GEMM kernel (kernels/gemm/gemm.h), int8 or float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/op.h"
#include "graph/ops/channel_bound.h"
#include "graph/ops/scratch_slots.h"
#include "kernels/gemm/gemm.h"

namespace qwasm {

// How a GEMM of m x n x k is split over `threads`: row tiles (multiples of
// mr rows) x channel tiles (multiples of nr channels); im2col GEMMs split
// rows only.
struct GemmTilePlan {
  size_t m_tiles = 1, n_tiles = 1;
};
GemmTilePlan PlanGemmTiles(size_t m, size_t n, size_t k, size_t mr, size_t nr, int threads, bool im2col);

// The rows and output channels a GEMM's A operand is made of.
// A grouped convolution is `groups` GEMMs side by side: group g reads
// input channels [g K', (g + 1) K') of each tap (im2col always) and writes
// output channels [g N', (g + 1) N'), with its own packed weights.
struct GemmRows {
  size_t m = 0;            // rows of A (= output pixels or batch rows)
  bool im2col = false;     // A rows are built from `shape` windows
  WindowShape shape;       // im2col only
  int groups = 1;
};

class GemmOp final : public PreparedOp {
 public:
  // One set of packed weights per group (rows.groups). `bound`: a fused
  // per-channel clamp (graph/fuse.h), applied to each tile's rows.
  GemmOp(const QGemmKernel& kernel, std::vector<QGemmWeights> w, QOutput out, const GemmRows& rows,
         int32_t a_zero_point, int32_t in, int32_t output, ChannelBound<int8_t> bound = {});
  // Plans tiles for the pool's thread count and sizes per-tile scratch.
  void Attach(const RunContext& rc) override;
  void Run(const RunContext& rc) override;

 private:
  QGemmKernel kernel_;
  std::vector<QGemmWeights> w_;
  QOutput out_;
  ChannelBound<int8_t> bound_;
  GemmRows rows_;
  int32_t a_zero_point_;
  GemmTilePlan plan_;
  // Per running tile: the kernel's scratch, then (im2col) the tile's rows,
  // k_read bytes each.
  ScratchSlots slots_;
  size_t im2col_offset_ = 0;
  int32_t in_, output_;
};

class F32GemmOp final : public PreparedOp {
 public:
  F32GemmOp(const FGemmKernel& kernel, std::vector<FGemmWeights> w, FOutput out, const GemmRows& rows,
            int32_t in, int32_t output, ChannelBound<float> bound = {});
  void Attach(const RunContext& rc) override;
  void Run(const RunContext& rc) override;

 private:
  FGemmKernel kernel_;
  std::vector<FGemmWeights> w_;
  FOutput out_;
  ChannelBound<float> bound_;
  GemmRows rows_;
  GemmTilePlan plan_;
  ScratchSlots slots_;  // im2col only: per running tile, its rows (k floats each)
  int32_t in_, output_;
};

// The A rows of a CONV_2D over window `s`: direct when the 1x1 window reads
// every input pixel once in order, else im2col.
GemmRows ConvGemmRows(const WindowShape& s, int groups = 1);

// The one-element list of a GEMM that is not grouped.
template <typename W>
std::vector<W> OneGroup(W w) {
  std::vector<W> v;
  v.push_back(std::move(w));
  return v;
}

}  // namespace qwasm
