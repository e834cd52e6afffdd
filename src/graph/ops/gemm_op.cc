#include "graph/ops/gemm_op.h"

#include <algorithm>
#include <cstring>

#include "runtime/threadpool.h"

namespace qwasm {
namespace {

// Work is cut into (row block) x (channel block) tiles: rows in multiples of
// the microkernel's 4, channels in multiples of its 8, as many as TileCount
// says. im2col fills its rows tile by tile (64 rows stay in cache), so its
// tiles are row ranges only: two tiles never fill the same rows.
struct TilePlan {
  size_t m_tiles = 1, n_tiles = 1;
};

TilePlan PlanTiles(size_t m, size_t n, size_t k, int threads, bool im2col) {
  TilePlan t;
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
      // Zero-initialised: the bytes between k and k_read are read and met
      // by zero weights.
      scratch_(m_ * w_.k_read, 0),
      in_(in),
      output_(output) {}

namespace {

// Copies n bytes 8 at a time, then the rest (n is small: a window row).
inline void CopySmall(int8_t* dst, const int8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8);
  for (; i < n; ++i) dst[i] = src[i];
}

}  // namespace

void GemmOp::FillIm2col(const int8_t* input, size_t row_begin, size_t row_end) {
  const WindowShape& s = shape_;
  const size_t in_c = s.in_c;
  const int8_t zp = static_cast<int8_t>(a_zero_point_);
  // One window row (kernel_w taps) is contiguous in the input when the
  // dilation is 1 and it lies inside: copied in one go.
  const size_t segment = static_cast<size_t>(s.kernel_w) * in_c;
  // Output coordinates advance with the row (no division per row).
  size_t ox = row_begin % s.out_w, oy = row_begin / s.out_w % s.out_h;
  size_t b = row_begin / s.out_w / s.out_h;
  for (size_t row = row_begin; row < row_end; ++row) {
    if (row > row_begin && ++ox == static_cast<size_t>(s.out_w)) {
      ox = 0;
      if (++oy == static_cast<size_t>(s.out_h)) oy = 0, ++b;
    }
    int8_t* dst = scratch_.data() + row * w_.k_read;
    const int ix0 = static_cast<int>(ox) * s.stride_w - s.pad_left;
    const bool row_inside = ix0 >= 0 && ix0 + (s.kernel_w - 1) * s.dilation_w < s.in_w;
    for (int ky = 0; ky < s.kernel_h; ++ky) {
      const int iy = static_cast<int>(oy) * s.stride_h - s.pad_top + ky * s.dilation_h;
      if (iy < 0 || iy >= s.in_h) {
        std::memset(dst, zp, segment);  // zero point: real value 0
        dst += segment;
        continue;
      }
      const int8_t* line = input + (b * s.in_h + iy) * s.in_w * in_c;
      if (row_inside && s.dilation_w == 1) {
        CopySmall(dst, line + static_cast<size_t>(ix0) * in_c, segment);
        dst += segment;
        continue;
      }
      for (int kx = 0; kx < s.kernel_w; ++kx, dst += in_c) {
        const int ix = ix0 + kx * s.dilation_w;
        if (ix < 0 || ix >= s.in_w) {
          std::memset(dst, zp, in_c);
        } else {
          CopySmall(dst, line + static_cast<size_t>(ix) * in_c, in_c);
        }
      }
    }
  }
}

void GemmOp::Attach(const RunContext& rc) {
  const TilePlan plan = PlanTiles(m_, static_cast<size_t>(w_.n), static_cast<size_t>(w_.k),
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
