#include "graph/ops/gemm_op.h"

#include <algorithm>
#include <cstring>

#include "graph/ops/im2col.h"
#include "runtime/threadpool.h"

namespace qwasm {

// Work is cut into (row block) x (channel block) tiles: rows in multiples of
// the microkernels' 4, channels in multiples of their 8, as many as TileCount
// says. im2col fills its rows tile by tile (64 rows stay in cache), so its
// tiles are row ranges only: two tiles never fill the same rows.
GemmTilePlan PlanGemmTiles(size_t m, size_t n, size_t k, int threads, bool im2col) {
  GemmTilePlan t;
  const size_t row_blocks = (m + 3) / 4, col_blocks = (n + 7) / 8;
  const size_t want = TileCount(uint64_t{m} * n * k, threads);
  if (im2col) {
    t.m_tiles = std::min(row_blocks, std::max(want, (m + 63) / 64));
    return t;
  }
  t.m_tiles = std::min(row_blocks, want);
  if (t.m_tiles < want) t.n_tiles = std::min(col_blocks, (want + t.m_tiles - 1) / t.m_tiles);
  return t;
}

GemmOp::GemmOp(QGemmWeights w, QOutput out, size_t m, int32_t in, int32_t output)
    : w_(std::move(w)), out_(out), m_(m), in_(in), output_(output) {}

GemmOp::GemmOp(QGemmWeights w, QOutput out, const WindowShape& shape, int32_t a_zero_point,
               int32_t in, int32_t output)
    : w_(std::move(w)),
      out_(out),
      m_(static_cast<size_t>(shape.batch) * shape.out_h * shape.out_w),
      im2col_(true),
      shape_(shape),
      a_zero_point_(a_zero_point),
      // Zero-initialised: the bytes between k and k_read are read and met
      // by zero weights.
      scratch_(m_ * w_.k_read, 0),
      in_(in),
      output_(output) {}

void GemmOp::FillIm2col(const int8_t* input, size_t row_begin, size_t row_end) {
  Im2colRows(shape_, input, static_cast<int8_t>(a_zero_point_), row_begin, row_end, scratch_.data(),
             static_cast<size_t>(w_.k_read));
}

void GemmOp::Attach(const RunContext& rc) {
  const GemmTilePlan plan = PlanGemmTiles(m_, static_cast<size_t>(w_.n), static_cast<size_t>(w_.k),
                                  rc.pool->threads(), im2col_);
  m_tiles_ = plan.m_tiles;
  n_tiles_ = plan.n_tiles;
  // Each tile's scratch starts on its own cache lines: threads rewrite it
  // every 4 rows, and a line shared by two tiles would bounce between cores
  // (measured: a 112x112 K=32 layer ran no faster on 2 threads).
  widened_stride_ = (GemmScratchSize(w_) + 31) / 32 * 32 + 32;  // 64-byte multiples
  widened_.assign(m_tiles_ * n_tiles_ * widened_stride_ + 32, 0);
}

void GemmOp::Run(const RunContext& rc) {
  const int8_t* input = rc.at<int8_t>(in_);
  int8_t* output = rc.at<int8_t>(output_);
  const size_t n = static_cast<size_t>(w_.n);
  const size_t a_stride = im2col_ ? static_cast<size_t>(w_.k_read) : static_cast<size_t>(w_.k);
  const size_t row_blocks = (m_ + 3) / 4, col_blocks = (n + 7) / 8;
  rc.pool->For(m_tiles_ * n_tiles_, [&](size_t t) {
    size_t mb0, mb1, nb0, nb1;
    TileRange(row_blocks, m_tiles_, t / n_tiles_, &mb0, &mb1);
    TileRange(col_blocks, n_tiles_, t % n_tiles_, &nb0, &nb1);
    const size_t m0 = mb0 * 4, m1 = std::min(mb1 * 4, m_);
    if (m0 >= m1 || nb0 >= nb1) return;
    const int8_t* a = input + m0 * a_stride;
    if (im2col_) {
      FillIm2col(input, m0, m1);
      a = scratch_.data() + m0 * a_stride;
    }
    qs8_gemm_4x8c2__wasmsimd(w_, out_, m1 - m0, a, a_stride, output + m0 * n, n, nb0 * 8,
                             std::min(nb1 * 8, n), Scratch(t));
  });
}

}  // namespace qwasm
