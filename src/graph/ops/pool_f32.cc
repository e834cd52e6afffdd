// Float32 forms of AVERAGE_POOL_2D (padding excluded from the average, or
// included with count_include_pad), MEAN over {1, 2} and SOFTMAX, and
// MAX_POOL_2D for float32 and int8.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

// Checks the pooling window attributes and fills the geometry.
Status PrepareF32OrQ8Pool(const OpContext& c, WindowShape* s) {
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(output, 4, "output"));
  const OpAttrs& a = c.node().attrs;
  if (a.filter_h < 1 || a.filter_w < 1 || a.filter_h > 4096 || a.filter_w > 4096) {
    return c.Error("pooling window " + std::to_string(a.filter_h) + "x" + std::to_string(a.filter_w) +
                   " is out of range");
  }
  if (output.shape[3] != input.shape[3]) return c.Error("output channels differ from input channels");
  // Padding is smaller than the window (PrepareWindow), so every window
  // holds at least one image cell.
  return PrepareWindow(c, input, output, a.filter_h, a.filter_w, false, s);
}

}  // namespace

PrepareResult PrepareAveragePool2DF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  QW_RETURN_IF_ERROR(RequireF32(c, c.Input(0), "input"));
  QW_RETURN_IF_ERROR(RequireF32(c, c.Output(0), "output"));
  FPoolParams p;
  QW_RETURN_IF_ERROR(PrepareF32OrQ8Pool(c, &p.shape));
  const OpAttrs& a = c.node().attrs;
  // count_include_pad counts the padding cells of explicit (ONNX) padding;
  // TFLite's SAME padding is always excluded.
  p.count_include_pad = a.count_include_pad && a.padding == Padding::kExplicit;
  p.output = FloatActivation(a.activation);
  return std::unique_ptr<PreparedOp>(new RangeOp<FPoolParams, float, float>(
      p, c.kernels().f32_average_pool, WindowRows(p.shape), WindowRowCost(p.shape), c.node().inputs[0],
      c.node().outputs[0]));
}

PrepareResult PrepareMaxPool2D(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (input.dtype == DType::kFloat32) {
    QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
    QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
    FPoolParams p;
    QW_RETURN_IF_ERROR(PrepareF32OrQ8Pool(c, &p.shape));
    p.output = FloatActivation(c.node().attrs.activation);
    return std::unique_ptr<PreparedOp>(new RangeOp<FPoolParams, float, float>(
        p, c.kernels().f32_max_pool, WindowRows(p.shape), WindowRowCost(p.shape), in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  // The max of quantized values is the quantized max only on one grid.
  if (input.quant.scale != output.quant.scale || input.quant.zero_point != output.quant.zero_point) {
    return c.Error("int8 MAX_POOL_2D needs the same scale and zero point on input and output");
  }
  QMaxPoolParams p;
  QW_RETURN_IF_ERROR(PrepareF32OrQ8Pool(c, &p.shape));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(new RangeOp<QMaxPoolParams, int8_t, int8_t>(
      p, c.kernels().qs8_max_pool, WindowRows(p.shape), WindowRowCost(p.shape), in, out));
}

PrepareResult PrepareMeanF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& input = c.Input(0);
  const Tensor& axes = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequireDType(axes, DType::kInt32, "axes"));
  QW_RETURN_IF_ERROR(c.RequireConstant(axes, "axes"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  std::vector<int32_t> ax(static_cast<size_t>(axes.num_elements()));
  std::memcpy(ax.data(), axes.data, ax.size() * sizeof(int32_t));
  for (int32_t& v : ax) v = v < 0 ? v + 4 : v;
  std::sort(ax.begin(), ax.end());
  if (ax != std::vector<int32_t>{1, 2}) {
    return c.Error("MEAN over axes " + ShapeString(ax) + " is not supported (only [1, 2])");
  }
  FMeanParams p;
  p.batch = input.shape[0];
  p.height = input.shape[1];
  p.width = input.shape[2];
  p.channels = input.shape[3];
  const bool keep = output.shape.size() == 4;
  const std::vector<int32_t> expected =
      keep ? std::vector<int32_t>{p.batch, 1, 1, p.channels} : std::vector<int32_t>{p.batch, p.channels};
  if (output.shape != expected) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) + ", expected " +
                   ShapeString(expected));
  }
  return std::unique_ptr<PreparedOp>(new RangeOp<FMeanParams, float, float>(
      p, c.kernels().f32_mean_hw, static_cast<size_t>(p.channels), uint64_t{static_cast<uint64_t>(p.batch)} * p.height * p.width,
      c.node().inputs[0], c.node().outputs[0]));
}

PrepareResult PrepareSoftmaxF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  if (input.shape != output.shape || input.shape.empty()) {
    return c.Error("input " + ShapeString(input.shape) + " and output " + ShapeString(output.shape) +
                   " must have the same non-scalar shape");
  }
  FSoftmaxParams p;
  p.beta = c.node().attrs.beta;
  if (!(p.beta > 0.0f) || !std::isfinite(p.beta)) return c.Error("beta must be a positive finite number");
  p.cols = input.shape.back();
  p.rows = static_cast<int>(input.num_elements() / p.cols);
  return std::unique_ptr<PreparedOp>(new RangeOp<FSoftmaxParams, float, float>(
      p, c.kernels().f32_softmax, static_cast<size_t>(p.rows), static_cast<uint64_t>(p.cols) * 8, c.node().inputs[0],
      c.node().outputs[0]));
}

}  // namespace qwasm
