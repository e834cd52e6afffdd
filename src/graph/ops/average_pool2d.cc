// AVERAGE_POOL_2D on NHWC. int8: padding cells excluded from the average (as
// TFLite), may rescale between input and output grids; with tflite_numerics
// (TFLite imports) ties round as TFLite's builtin kernel rounds them.
// float32: padding excluded, or counted with count_include_pad (ONNX).
#include <algorithm>

#include "graph/op_registry.h"
#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

class AveragePool2DOp final : public PreparedOp {
 public:
  AveragePool2DOp(QPoolParams p, QAveragePoolFn kernel, int32_t in, int32_t out)
      : p_(p), kernel_(kernel), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    const int8_t* in = t.at<int8_t>(in_);
    int8_t* out = t.at<int8_t>(out_);
    const WindowShape& s = p_.shape;
    const size_t rows = static_cast<size_t>(s.batch) * s.out_h;
    const size_t channels = static_cast<size_t>(s.out_c);
    const uint64_t cells = uint64_t{rows} * s.out_w * std::min(s.kernel_h, s.in_h) *
                           std::min(s.kernel_w, s.in_w) * channels;
    // Output rows first; a global pool (one row) splits its channels, in
    // whole 16-channel vectors, the last range taking the remainder.
    const size_t want = TileCount(cells, t.pool->threads());
    const size_t row_ranges = std::min(rows, want);
    const size_t channel_vectors = std::max<size_t>(1, channels / 16);
    const size_t channel_ranges = std::min(channel_vectors, (want + row_ranges - 1) / row_ranges);
    t.pool->For(row_ranges * channel_ranges, [&](size_t r) {
      size_t r0, r1, c0, c1;
      TileRange(rows, row_ranges, r / channel_ranges, &r0, &r1);
      TileRange(channel_vectors, channel_ranges, r % channel_ranges, &c0, &c1);
      c1 = c1 == channel_vectors ? channels : c1 * 16;
      kernel_(p_, r0, r1, c0 * 16, c1, in, out);
    });
  }

 private:
  QPoolParams p_;
  QAveragePoolFn kernel_;
  int32_t in_, out_;
};

PrepareResult PrepareAveragePool2D(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  QPoolParams p;
  QW_RETURN_IF_ERROR(PreparePoolWindow(c, &p.shape));
  const OpAttrs& a = c.node().attrs;
  if (a.count_include_pad && a.padding == Padding::kExplicit &&
      (a.pads[0] || a.pads[1] || a.pads[2] || a.pads[3])) {
    return c.Error("count_include_pad with padding is not supported for int8 (float32 only)");
  }
  // The window sum of (x - zx) must fit the int32 accumulator.
  const int64_t cells = int64_t{std::min(a.filter_h, input.shape[1])} * std::min(a.filter_w, input.shape[2]);
  if (cells * 255 >= (int64_t{1} << 31)) {
    return c.Error("pooling window " + std::to_string(a.filter_h) + "x" + std::to_string(a.filter_w) +
                   " could overflow the int32 sum");
  }
  Result<QOutput> stage = c.OutputStage(output, a.activation);
  if (!stage.ok()) return stage.status();
  p.input_zero_point = input.quant.zero_point[0];
  p.input_over_output_scale = static_cast<double>(input.quant.scale[0]) / output.quant.scale[0];
  p.output = stage.value();
  if (a.tflite_numerics) {
    // TFLite's builtin kernel divides raw sums: no rescale, so only for
    // input and output on one grid (the importer sets it only there).
    if (input.quant.scale[0] != output.quant.scale[0] || input.quant.zero_point[0] != output.quant.zero_point[0]) {
      return c.Error("tflite_numerics needs the input and output on the same quantization (scale and zero point)");
    }
    static_assert(kTflitePoolMaxCells <= kPoolIntegerMaxCells, "the kernels' integer division is exact only so far");
    if (cells > kTflitePoolMaxCells) {
      return c.Error("tflite_numerics allows at most " + std::to_string(kTflitePoolMaxCells) +
                     " cells in the pooling window, got " + std::to_string(cells));
    }
    p.rounding = input.was_uint8 ? PoolRounding::kTfliteUint8 : PoolRounding::kTfliteInt8;
  }
  return std::unique_ptr<PreparedOp>(new AveragePool2DOp(p, c.kernels().qs8_average_pool, c.node().inputs[0], c.node().outputs[0]));
}


PrepareResult PrepareAveragePool2DF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  QW_RETURN_IF_ERROR(RequireF32(c, c.Input(0), "input"));
  QW_RETURN_IF_ERROR(RequireF32(c, c.Output(0), "output"));
  FPoolParams p;
  QW_RETURN_IF_ERROR(PreparePoolWindow(c, &p.shape));
  const OpAttrs& a = c.node().attrs;
  // count_include_pad counts the padding cells of explicit (ONNX) padding;
  // TFLite's SAME padding is always excluded.
  p.count_include_pad = a.count_include_pad && a.padding == Padding::kExplicit;
  p.output = FloatActivation(a.activation);
  return std::unique_ptr<PreparedOp>(new RangeOp<FPoolParams, float, float>(
      p, c.kernels().f32_average_pool, WindowRows(p.shape), WindowRowCost(p.shape), c.node().inputs[0],
      c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(AveragePool2D) = {OpType::kAveragePool2D, "AVERAGE_POOL_2D", 5, 0, PrepareAveragePool2D,
                                 PrepareAveragePool2DF32, {}};

}  // namespace qwasm
