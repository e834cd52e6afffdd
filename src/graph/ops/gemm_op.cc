#include "graph/ops/gemm_op.h"

#include <algorithm>

#include "graph/ops/im2col.h"
#include "runtime/threadpool.h"

namespace qwasm {
namespace {

// Calls f(tile, m0, m1, n0, n1) for each tile of the plan that is not empty:
// rows [m0, m1) and channels [n0, n1), over the pool.
template <typename F>
void ForEachGemmTile(ThreadPool* pool, const GemmTilePlan& plan, size_t m, size_t n, size_t mr, size_t nr,
                     F&& f) {
  const size_t row_blocks = (m + mr - 1) / mr, col_blocks = (n + nr - 1) / nr;
  pool->For(plan.m_tiles * plan.n_tiles, [&](size_t t) {
    size_t mb0, mb1, nb0, nb1;
    TileRange(row_blocks, plan.m_tiles, t / plan.n_tiles, &mb0, &mb1);
    TileRange(col_blocks, plan.n_tiles, t % plan.n_tiles, &nb0, &nb1);
    const size_t m0 = mb0 * mr, m1 = std::min(mb1 * mr, m);
    if (m0 >= m1 || nb0 >= nb1) return;
    f(t, m0, m1, nb0 * nr, std::min(nb1 * nr, n));
  });
}

}  // namespace

// Work is cut into (row block) x (channel block) tiles, as many as
// TileCount says. im2col fills its rows tile by tile (64 rows stay in
// cache), so its tiles are row ranges only: two tiles never fill the same
// rows.
GemmTilePlan PlanGemmTiles(size_t m, size_t n, size_t k, size_t mr, size_t nr, int threads, bool im2col) {
  GemmTilePlan t;
  const size_t row_blocks = (m + mr - 1) / mr, col_blocks = (n + nr - 1) / nr;
  const size_t want = TileCount(uint64_t{m} * n * k, threads);
  if (im2col) {
    t.m_tiles = std::min(row_blocks, std::max(want, (m + 63) / 64));
    return t;
  }
  t.m_tiles = std::min(row_blocks, want);
  if (t.m_tiles < want) t.n_tiles = std::min(col_blocks, (want + t.m_tiles - 1) / t.m_tiles);
  return t;
}

GemmRows ConvGemmRows(const WindowShape& s, int groups) {
  GemmRows r;
  r.m = static_cast<size_t>(s.batch) * s.out_h * s.out_w;
  r.im2col = groups > 1 || !(s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                             s.pad_top == 0 && s.pad_left == 0);
  r.shape = s;
  r.groups = groups;
  return r;
}

GemmOp::GemmOp(const QGemmKernel& kernel, std::vector<QGemmWeights> w, QOutput out, const GemmRows& rows,
               int32_t a_zero_point, int32_t in, int32_t output, ChannelBound<int8_t> bound)
    : kernel_(kernel), w_(std::move(w)), out_(out), bound_(std::move(bound)), rows_(rows),
      a_zero_point_(a_zero_point), in_(in), output_(output) {}

// The most rows a tile of `plan` holds (row blocks of mr, split evenly).
static size_t MaxTileRows(const GemmTilePlan& plan, size_t m, size_t mr) {
  const size_t row_blocks = (m + mr - 1) / mr;
  return std::min(m, (row_blocks + plan.m_tiles - 1) / plan.m_tiles * mr);
}

void GemmOp::Attach(const RunContext& rc) {
  const size_t n = static_cast<size_t>(w_[0].n) * w_.size();
  plan_ = PlanGemmTiles(rows_.m, n, static_cast<size_t>(w_[0].k), kernel_.mr, kernel_.nr, rc.pool->threads(),
                        rows_.im2col);
  // Zeroed: im2col's bytes between k and k_read are read and met by zero
  // weights. Groups take turns in the same rows.
  im2col_offset_ = (kernel_.scratch_bytes(w_[0]) + 63) / 64 * 64;
  // + 16: the slack Im2colRows may write past the last row.
  const size_t im2col = rows_.im2col ? MaxTileRows(plan_, rows_.m, kernel_.mr) * w_[0].k_read + 16 : 0;
  slots_.Reset(static_cast<size_t>(rc.pool->threads()), im2col_offset_ + im2col);
}

void GemmOp::Run(const RunContext& rc) {
  const int8_t* input = rc.at<int8_t>(in_);
  int8_t* output = rc.at<int8_t>(output_);
  const size_t group_n = static_cast<size_t>(w_[0].n), n = group_n * w_.size();
  const size_t group_k = w_.size() > 1 ? static_cast<size_t>(w_[0].k) / (rows_.shape.kernel_h * rows_.shape.kernel_w) : 0;
  const size_t a_stride = rows_.im2col ? static_cast<size_t>(w_[0].k_read) : static_cast<size_t>(w_[0].k);
  ForEachGemmTile(rc.pool, plan_, rows_.m, w_.size() > 1 ? group_n : n, kernel_.mr, kernel_.nr,
                  [&](size_t, size_t m0, size_t m1, size_t n0, size_t n1) {
                    ScratchSlot slot(slots_);
                    int8_t* rows = reinterpret_cast<int8_t*>(slot.data() + im2col_offset_);
                    for (size_t g = 0; g < w_.size(); ++g) {
                      const int8_t* a = input + m0 * a_stride;
                      if (rows_.im2col) {
                        Im2colRows(rows_.shape, input, static_cast<int8_t>(a_zero_point_), m0, m1, rows, a_stride,
                                   w_.size() > 1 ? g * group_k : 0, w_.size() > 1 ? group_k : 0);
                        a = rows;
                      }
                      const size_t c0 = g * group_n + n0, c1 = g * group_n + n1;
                      RunClamped(
                          static_cast<bool>(bound_), m1 - m0, BoundChunkRows(n1 - n0, kernel_.mr),
                          [&](size_t r0, size_t r1) {
                            kernel_.run(w_[g], out_, r1 - r0, a + r0 * a_stride, a_stride,
                                        output + (m0 + r0) * n + g * group_n, n, n0, n1, slot.data());
                          },
                          [&](size_t r0, size_t r1) { bound_.Apply(output + (m0 + r0) * n, r1 - r0, n, c0, c1); });
                    }
                  });
}

F32GemmOp::F32GemmOp(const FGemmKernel& kernel, std::vector<FGemmWeights> w, FOutput out, const GemmRows& rows,
                     int32_t in, int32_t output, ChannelBound<float> bound)
    : kernel_(kernel), w_(std::move(w)), out_(out), bound_(std::move(bound)), rows_(rows), in_(in),
      output_(output) {}

void F32GemmOp::Attach(const RunContext& rc) {
  const size_t n = static_cast<size_t>(w_[0].n) * w_.size();
  plan_ = PlanGemmTiles(rows_.m, n, static_cast<size_t>(w_[0].k), kernel_.mr, kernel_.nr, rc.pool->threads(),
                        rows_.im2col);
  if (rows_.im2col) {
    slots_.Reset(static_cast<size_t>(rc.pool->threads()),
                 MaxTileRows(plan_, rows_.m, kernel_.mr) * static_cast<size_t>(w_[0].k) * sizeof(float));
  }
}

void F32GemmOp::Run(const RunContext& rc) {
  const float* input = rc.at<float>(in_);
  float* output = rc.at<float>(output_);
  const size_t group_n = static_cast<size_t>(w_[0].n), n = group_n * w_.size(), k = static_cast<size_t>(w_[0].k);
  const size_t group_k = w_.size() > 1 ? k / (rows_.shape.kernel_h * rows_.shape.kernel_w) : 0;
  ForEachGemmTile(rc.pool, plan_, rows_.m, w_.size() > 1 ? group_n : n, kernel_.mr, kernel_.nr,
                  [&](size_t, size_t m0, size_t m1, size_t n0, size_t n1) {
                    // Rows of A from `a` (im2col: the tile's rows, else the input's).
                    auto run = [&](size_t g, const float* a) {
                      RunClamped(
                          static_cast<bool>(bound_), m1 - m0, BoundChunkRows((n1 - n0) * sizeof(float), kernel_.mr),
                          [&](size_t r0, size_t r1) {
                            kernel_.run(w_[g], out_, r1 - r0, a + r0 * k, k, output + (m0 + r0) * n + g * group_n, n,
                                        n0, n1);
                          },
                          [&](size_t r0, size_t r1) {
                            bound_.Apply(output + (m0 + r0) * n, r1 - r0, n, g * group_n + n0, g * group_n + n1);
                          });
                    };
                    if (!rows_.im2col) {
                      for (size_t g = 0; g < w_.size(); ++g) run(g, input + m0 * k);
                      return;
                    }
                    ScratchSlot slot(slots_);  // one slot for the tile; groups take turns in its rows
                    float* rows = reinterpret_cast<float*>(slot.data());
                    for (size_t g = 0; g < w_.size(); ++g) {
                      Im2colRows(rows_.shape, input, 0.0f, m0, m1, rows, k, w_.size() > 1 ? g * group_k : 0,
                                 w_.size() > 1 ? group_k : 0);
                      run(g, rows);
                    }
                  });
}

}  // namespace qwasm
