// DEPTHWISE_CONV_2D: filter [1, kh, kw, in_c * multiplier], optional bias,
// fused activation.
//  int8:    per-tensor or per-channel (axis 3) symmetric weights, int32 bias.
//           Multiplier 1 (every MobileNet) runs the table's packed
//           qs8_dwconv through an indirection buffer (kernels/dwconv/dwconv.h);
//           larger multipliers qs8_dwconv_any on the unpacked weights.
//  float32: float32 or float16 weights and bias; f32_dwconv (multiplier 1)
//           or f32_dwconv_any, split over output rows.
// Either may carry a fused per-channel CLAMP (graph/fuse.h), applied to each
// tile's rows after its kernel wrote them.
#include <algorithm>

#include "graph/op_registry.h"
#include "graph/ops/channel_bound.h"
#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"
#include "graph/ops/scratch_slots.h"

namespace qwasm {
namespace {

// Pointers per op beyond which the indirection buffer is not kept: a model
// declaring a huge input would otherwise pay time and memory for it at load,
// in proportion to its activations rather than its file (every MobileNet up
// to 224x224 stays below; its largest depthwise layer needs 38K).
size_t kept_indirection_limit = size_t{1} << 18;
constexpr size_t kBandPointers = 4096;

bool KeepsIndirection(const WindowShape& s) {
  return WindowRows(s) * dwconv_row_step(s) <= kept_indirection_limit;
}

class DepthwiseOp final : public PreparedOp {
 public:
  DepthwiseOp(QDepthwiseWeights w, const QDwconvKernel& kernel, const QConvParams& p, ChannelBound<int8_t> bound,
              int32_t in, int32_t out)
      : w_(std::move(w)),
        kernel_(kernel),
        s_(p.shape),
        out_stage_(p.output),
        bound_(std::move(bound)),
        zero_(dwconv_zero_bytes(s_.in_c), static_cast<int8_t>(p.input_zero_point)),
        indirection_(KeepsIndirection(s_) ? WindowRows(s_) * dwconv_row_step(s_) : 0),
        in_(in),
        out_(out) {}

  void Attach(const RunContext& t) override {
    if (!indirection_.empty()) {
      dwconv_indirection_init(s_, t.at<int8_t>(in_), zero_.data(), indirection_.data());
    } else {
      band_ = std::max<size_t>(1, kBandPointers / dwconv_row_step(s_));
      slots_.Reset(static_cast<size_t>(t.pool->threads()), band_ * dwconv_row_step(s_) * sizeof(const int8_t*));
    }
    // Tiles: output rows x blocks of channel_tile channels (runtime/threadpool.h
    // TileCount).
    const size_t rows = WindowRows(s_);
    const size_t blocks = (static_cast<size_t>(s_.out_c) + kernel_.channel_tile - 1) / kernel_.channel_tile;
    const size_t macs = rows * s_.out_w * s_.out_c * w_.taps;
    const size_t want = TileCount(macs, t.pool->threads());
    row_tiles_ = std::min(rows, want);
    channel_tiles_ = std::min(blocks, (want + row_tiles_ - 1) / row_tiles_);
  }

  void Run(const RunContext& t) override {
    int8_t* output = t.at<int8_t>(out_);
    const int8_t* input = t.at<int8_t>(in_);
    const size_t rows = WindowRows(s_), tile = static_cast<size_t>(kernel_.channel_tile);
    const size_t blocks = (static_cast<size_t>(s_.out_c) + tile - 1) / tile;
    t.pool->For(row_tiles_ * channel_tiles_, [&](size_t i) {
      size_t r0, r1, b0, b1;
      TileRange(rows, row_tiles_, i / channel_tiles_, &r0, &r1);
      TileRange(blocks, channel_tiles_, i % channel_tiles_, &b0, &b1);
      const size_t c0 = b0 * tile, c1 = std::min<size_t>(b1 * tile, s_.out_c);
      const size_t row = static_cast<size_t>(s_.out_w) * s_.out_c;
      auto clamp = [&](size_t e0, size_t e1) {
        bound_.Apply(output + e0 * row, (e1 - e0) * s_.out_w, s_.out_c, c0, c1);
      };
      if (!indirection_.empty()) {
        RunClamped(
            static_cast<bool>(bound_), r1 - r0, BoundChunkRows(s_.out_w * (c1 - c0), 1),
            [&](size_t e0, size_t e1) {
              kernel_.run(w_, out_stage_, s_, indirection_.data(), output, r0 + e0, r0 + e1, c0, c1);
            },
            [&](size_t e0, size_t e1) { clamp(r0 + e0, r0 + e1); });
        return;
      }
      // A few rows' pointers at a time, in this tile's slot.
      ScratchSlot slot(slots_);
      const int8_t** local = reinterpret_cast<const int8_t**>(slot.data());
      for (size_t r = r0; r < r1; r += band_) {
        const size_t e = std::min(r1, r + band_);
        dwconv_indirection_init_rows(s_, input, zero_.data(), r, e, local);
        kernel_.run(w_, out_stage_, s_, local, output + r * row, 0, e - r, c0, c1);
        if (bound_) clamp(r, e);
      }
    });
  }

 private:
  QDepthwiseWeights w_;
  QDwconvKernel kernel_;
  WindowShape s_;
  QOutput out_stage_;
  ChannelBound<int8_t> bound_;
  std::vector<int8_t> zero_;  // dwconv_zero_bytes of the input zero point
  std::vector<const int8_t*> indirection_;  // kept (KeepsIndirection), else built per band:
  ScratchSlots slots_;                        // band_ rows of pointers per running tile
  size_t band_ = 0;
  size_t row_tiles_ = 1, channel_tiles_ = 1;
  int32_t in_, out_;
};

// Depthwise kernels on unpacked weights (any multiplier, float32) run over
// output rows as a RangeOp, with the fused clamp. `owned` keeps alive what
// the params point at.
template <typename Params, typename T>
std::unique_ptr<PreparedOp> DepthwiseRows(const Params& p, void (*kernel)(const Params&, size_t, size_t, const T*, T*),
                                          ChannelBound<T> bound, int32_t in, int32_t out,
                                          std::shared_ptr<const void> owned) {
  const WindowShape& s = p.shape;
  auto* op = new RangeOp<Params, T, T>(p, kernel, WindowRows(s), WindowRowCost(s), in, out, std::move(owned));
  op->Bound(std::move(bound), static_cast<size_t>(s.out_w), static_cast<size_t>(s.out_c));
  return std::unique_ptr<PreparedOp>(op);
}

// The depthwise shape rules both dtypes share: filter [1, kh, kw, out_c]
// with out_c a multiple of the input channels; returns out_c.
Result<int32_t> DepthwiseOutputChannels(const OpContext& c) {
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const int32_t out_c = filter.shape[3];
  const int32_t in_c = input.shape[3];
  if (filter.shape[0] != 1) return c.Error("filter '" + filter.name + "' must have shape [1, kh, kw, c]");
  // The multiplier follows from the shapes; the stored option is advisory
  // (some converters write 0) but must agree when set.
  if (out_c % in_c != 0) {
    return c.Error("filter has " + std::to_string(out_c) + " channels, not a multiple of the input's " +
                   std::to_string(in_c));
  }
  const int dm = c.node().attrs.depth_multiplier;
  if (dm > 0 && dm != out_c / in_c) {
    return c.Error("depth_multiplier " + std::to_string(dm) + " disagrees with the shapes (" +
                   std::to_string(out_c / in_c) + ")");
  }
  return out_c;
}

PrepareResult PrepareDepthwiseConv2D(const OpContext& c) {
  Result<QuantConv> q = PrepareQuantConv(c, DepthwiseOutputChannels, true);
  if (!q.ok()) return q.status();
  QuantConv qc = q.take();
  const int32_t out_c = qc.out_c;
  QConvParams p;
  p.shape = qc.shape;
  p.input_zero_point = c.Input(0).quant.zero_point[0];
  p.filter_zero_point = qc.quant.filter_zero_point;
  p.filter = FilterInt8(qc.quant, c.Input(1));
  p.output = qc.output;
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  Result<ChannelBound<int8_t>> bound = FusedBound<int8_t>(c, out_c);
  if (!bound.ok()) return bound.status();
  if (out_c == c.Input(0).shape[3]) {
    const QDwconvKernel& k = c.kernels().qs8_dwconv;
    QDepthwiseWeights w = k.pack(out_c, p.shape.kernel_h, p.shape.kernel_w, p.filter, p.filter_zero_point,
                                 qc.quant.bias.data(), qc.quant.scale.data(), p.input_zero_point);
    return std::unique_ptr<PreparedOp>(new DepthwiseOp(std::move(w), k, p, bound.take(), in, out));
  }
  // Any depth multiplier: the op owns the multipliers, bias and expanded
  // weights the params point at.
  auto owned = std::make_shared<const ConvQuant>(std::move(qc.quant));
  p.scale = owned->scale.data();
  p.bias = owned->bias.data();
  if (!owned->expanded.empty()) p.filter = owned->expanded.data();
  return DepthwiseRows(p, c.kernels().qs8_dwconv_any, bound.take(), in, out, std::move(owned));
}

PrepareResult PrepareDepthwiseConv2DF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(CheckFloatConvTensors(c));
  Result<int32_t> channels = DepthwiseOutputChannels(c);
  if (!channels.ok()) return channels.status();
  const int32_t out_c = channels.value();
  FConvParams p;
  std::vector<float> w_values, bias_values;
  QW_RETURN_IF_ERROR(PrepareFloatConv(c, out_c, &p, &w_values, &bias_values));
  Result<ChannelBound<float>> bound = FusedBound<float>(c, out_c);
  if (!bound.ok()) return bound.status();
  const FDwconvFn kernel = out_c == c.Input(0).shape[3] ? c.kernels().f32_dwconv : c.kernels().f32_dwconv_any;
  // The op owns the float weights and bias the params point at.
  auto owned = std::make_shared<const std::pair<std::vector<float>, std::vector<float>>>(std::move(w_values),
                                                                                        std::move(bias_values));
  p.filter = owned->first.data();
  p.bias = owned->second.empty() ? nullptr : owned->second.data();
  return DepthwiseRows(p, kernel, bound.take(), c.node().inputs[0], c.node().outputs[0], std::move(owned));
}

}  // namespace

size_t& DepthwiseKeptIndirectionLimit() { return kept_indirection_limit; }

QWASM_OPERATOR(DepthwiseConv2D) = {OpType::kDepthwiseConv2D, "DEPTHWISE_CONV_2D", 2, 0, PrepareDepthwiseConv2D,
                                   PrepareDepthwiseConv2DF32, QuantRule::Weighted(3)};

}  // namespace qwasm
