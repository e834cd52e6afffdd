#include "graph/ops/gemm_op.h"

#include <algorithm>
#include <cstring>

#include "runtime/threadpool.h"

namespace qwasm {
namespace {

// Work is cut into (row block) x (channel block) tiles: rows in multiples of
// the microkernel's 4, channels in multiples of its 8. One tile when single
// threaded, about 4 per thread otherwise so dynamic claiming balances.
// im2col fills its rows tile by tile (64 rows stay in cache), so its tiles
// are row ranges only: two tiles never fill the same rows.
struct TilePlan {
  size_t m_tiles = 1, n_tiles = 1;
};

TilePlan PlanTiles(size_t m, size_t n, int threads, bool im2col) {
  TilePlan t;
  const size_t row_blocks = (m + 3) / 4, col_blocks = (n + 7) / 8;
  const size_t want = threads > 1 ? 4 * static_cast<size_t>(threads) : 1;
  if (im2col) {
    t.m_tiles = std::min(row_blocks, std::max(want, (m + 63) / 64));
    return t;
  }
  t.m_tiles = std::min(row_blocks, want);
  if (t.m_tiles < want) t.n_tiles = std::min(col_blocks, (want + t.m_tiles - 1) / t.m_tiles);
  return t;
}

}  // namespace

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
      // Zero-initialised: the bytes between k and k_padded are read and met
      // by zero weights.
      scratch_(m_ * w_.k_padded, 0),
      in_(in),
      output_(output) {}

void GemmOp::FillIm2col(const int8_t* input, size_t row_begin, size_t row_end) {
  const WindowShape& s = shape_;
  const size_t in_c = s.in_c;
  const int8_t zp = static_cast<int8_t>(a_zero_point_);
  for (size_t row = row_begin; row < row_end; ++row) {
    const size_t ox = row % s.out_w, oy = row / s.out_w % s.out_h, b = row / s.out_w / s.out_h;
    int8_t* dst = scratch_.data() + row * w_.k_padded;
    for (int ky = 0; ky < s.kernel_h; ++ky) {
      const int iy = static_cast<int>(oy) * s.stride_h - s.pad_top + ky * s.dilation_h;
      for (int kx = 0; kx < s.kernel_w; ++kx, dst += in_c) {
        const int ix = static_cast<int>(ox) * s.stride_w - s.pad_left + kx * s.dilation_w;
        const bool inside = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w;
        const int8_t* src = inside ? input + ((b * s.in_h + iy) * s.in_w + ix) * in_c : nullptr;
        // Few channels (the RGB first layer): a byte loop beats a memcpy
        // call per tap.
        if (in_c <= 16) {
          for (size_t i = 0; i < in_c; ++i) dst[i] = inside ? src[i] : zp;
        } else if (inside) {
          std::memcpy(dst, src, in_c);
        } else {
          std::memset(dst, zp, in_c);  // zero point: real value 0
        }
      }
    }
  }
}

void GemmOp::Run(const RunContext& rc) {
  const int8_t* input = rc.at<int8_t>(in_);
  int8_t* output = rc.at<int8_t>(output_);
  const size_t n = static_cast<size_t>(w_.n);
  const TilePlan plan = PlanTiles(m_, n, rc.pool->threads(), im2col_);
  const size_t a_stride = im2col_ ? static_cast<size_t>(w_.k_padded) : static_cast<size_t>(w_.k);
  const size_t row_blocks = (m_ + 3) / 4, col_blocks = (n + 7) / 8;
  rc.pool->For(plan.m_tiles * plan.n_tiles, [&](size_t t) {
    size_t mb0, mb1, nb0, nb1;
    TileRange(row_blocks, plan.m_tiles, t / plan.n_tiles, &mb0, &mb1);
    TileRange(col_blocks, plan.n_tiles, t % plan.n_tiles, &nb0, &nb1);
    const size_t m0 = mb0 * 4, m1 = std::min(mb1 * 4, m_);
    if (m0 >= m1 || nb0 >= nb1) return;
    const int8_t* a = input + m0 * a_stride;
    if (im2col_) {
      FillIm2col(input, m0, m1);
      a = scratch_.data() + m0 * a_stride;
    }
    qs8_gemm_4x8c2s4__wasmsimd(w_, out_, m1 - m0, a, a_stride, output + m0 * n, n, nb0 * 8,
                               std::min(nb1 * 8, n));
  });
}

}  // namespace qwasm
