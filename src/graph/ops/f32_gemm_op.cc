#include "graph/ops/f32_gemm_op.h"

#include <algorithm>

#include "graph/ops/gemm_op.h"
#include "graph/ops/im2col.h"
#include "runtime/threadpool.h"

namespace qwasm {

F32GemmOp::F32GemmOp(FGemmWeights w, FOutput out, size_t m, int32_t in, int32_t output)
    : w_(std::move(w)), out_(out), m_(m), in_(in), output_(output) {}

F32GemmOp::F32GemmOp(FGemmWeights w, FOutput out, const WindowShape& shape, int32_t in,
                     int32_t output)
    : w_(std::move(w)),
      out_(out),
      m_(static_cast<size_t>(shape.batch) * shape.out_h * shape.out_w),
      im2col_(true),
      shape_(shape),
      scratch_(m_ * static_cast<size_t>(w_.k)),
      in_(in),
      output_(output) {}

void F32GemmOp::Attach(const RunContext& rc) {
  const GemmTilePlan plan = PlanGemmTiles(m_, static_cast<size_t>(w_.n), static_cast<size_t>(w_.k),
                                          rc.pool->threads(), im2col_);
  m_tiles_ = plan.m_tiles;
  n_tiles_ = plan.n_tiles;
}

void F32GemmOp::Run(const RunContext& rc) {
  const float* input = rc.at<float>(in_);
  float* output = rc.at<float>(output_);
  const size_t n = static_cast<size_t>(w_.n), k = static_cast<size_t>(w_.k);
  const size_t row_blocks = (m_ + 3) / 4, col_blocks = (n + 7) / 8;
  rc.pool->For(m_tiles_ * n_tiles_, [&](size_t t) {
    size_t mb0, mb1, nb0, nb1;
    TileRange(row_blocks, m_tiles_, t / n_tiles_, &mb0, &mb1);
    TileRange(col_blocks, n_tiles_, t % n_tiles_, &nb0, &nb1);
    const size_t m0 = mb0 * 4, m1 = std::min(mb1 * 4, m_);
    if (m0 >= m1 || nb0 >= nb1) return;
    const float* a = input + m0 * k;
    if (im2col_) {
      Im2colRows(shape_, input, 0.0f, m0, m1, scratch_.data(), k);
      a = scratch_.data() + m0 * k;
    }
    f32_gemm_4x8__wasmsimd(w_, out_, m1 - m0, a, k, output + m0 * n, n, nb0 * 8, std::min(nb1 * 8, n));
  });
}

}  // namespace qwasm
