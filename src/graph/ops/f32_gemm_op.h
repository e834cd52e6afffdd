// f32_gemm_op.h — the prepared form of every float node that is a GEMM
// underneath (as GemmOp for int8): FULLY_CONNECTED, 1x1 stride-1 unpadded
// CONV_2D (the input pixels are the rows of A), and any other CONV_2D
// through im2col (padding filled with 0.0f).
#pragma once

#include <vector>

#include "graph/op.h"
#include "kernels/gemm/gemm.h"

namespace qwasm {

class F32GemmOp final : public PreparedOp {
 public:
  // Direct: A is the input tensor, `m` rows of k floats.
  F32GemmOp(FGemmWeights w, FOutput out, size_t m, int32_t in, int32_t output);
  // im2col over the window `shape` (filter [out_c][kh][kw][in_c]).
  F32GemmOp(FGemmWeights w, FOutput out, const WindowShape& shape, int32_t in, int32_t output);

  void Attach(const RunContext& rc) override;
  void Run(const RunContext& rc) override;

 private:
  FGemmWeights w_;
  FOutput out_;
  size_t m_;
  bool im2col_ = false;
  WindowShape shape_;
  std::vector<float> scratch_;  // im2col rows, k floats each
  size_t m_tiles_ = 1, n_tiles_ = 1;
  int32_t in_, output_;
};

}  // namespace qwasm
