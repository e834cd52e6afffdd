// MEAN over the spatial axes {1, 2} of an int8 NHWC tensor (global average
// pooling as TF2 exports it), with keep_dims either way. Other axis sets are
// rejected by name.
#include <algorithm>
#include <cstring>

#include "graph/op_registry.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

class MeanOp final : public PreparedOp {
 public:
  MeanOp(QMeanParams p, QMeanFn kernel, int32_t in, int32_t out) : p_(p), kernel_(kernel), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    const int8_t* in = t.at<int8_t>(in_);
    int8_t* out = t.at<int8_t>(out_);
    // Channel ranges of whole 16-channel vectors, the last taking the remainder.
    const size_t channels = static_cast<size_t>(p_.channels);
    const size_t vectors = std::max<size_t>(1, channels / 16);
    const uint64_t bytes = uint64_t{channels} * p_.batch * p_.height * p_.width;
    const size_t ranges = std::min(vectors, TileCount(bytes, t.pool->threads()));
    t.pool->For(ranges, [&](size_t r) {
      size_t c0, c1;
      TileRange(vectors, ranges, r, &c0, &c1);
      kernel_(p_, c0 * 16, c1 == vectors ? channels : c1 * 16, in, out);
    });
  }

 private:
  QMeanParams p_;
  QMeanFn kernel_;
  int32_t in_, out_;
};

// Input 1 (constant int32 axes) must name the spatial axes {1, 2} of the
// rank-4 input; the output is [N, C] or, keeping dims, [N, 1, 1, C].
Status CheckMeanShapes(const OpContext& c) {
  const Tensor& axes = c.Input(1);
  QW_RETURN_IF_ERROR(c.RequireDType(axes, DType::kInt32, "axes"));
  QW_RETURN_IF_ERROR(c.RequireConstant(axes, "axes"));
  std::vector<int32_t> ax(static_cast<size_t>(axes.num_elements()));
  std::memcpy(ax.data(), axes.data, ax.size() * sizeof(int32_t));
  for (int32_t& v : ax) v = v < 0 ? v + 4 : v;
  std::sort(ax.begin(), ax.end());
  if (ax != std::vector<int32_t>{1, 2}) {
    return c.Error("MEAN over axes " + ShapeString(ax) + " is not supported (only [1, 2])");
  }
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  const int32_t n = input.shape[0], ch = input.shape[3];
  const bool keep = output.shape.size() == 4;
  const std::vector<int32_t> expected = keep ? std::vector<int32_t>{n, 1, 1, ch} : std::vector<int32_t>{n, ch};
  if (output.shape != expected) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) + ", expected " +
                   ShapeString(expected));
  }
  return Status::Ok();
}

PrepareResult PrepareMean(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  QW_RETURN_IF_ERROR(CheckMeanShapes(c));
  const int32_t n = input.shape[0], h = input.shape[1], w = input.shape[2], ch = input.shape[3];
  if (static_cast<int64_t>(h) * w * 255 >= (int64_t{1} << 31)) return c.Error("MEAN window too large");
  QMeanParams p;
  p.batch = n;
  p.height = h;
  p.width = w;
  p.channels = ch;
  p.input_zero_point = input.quant.zero_point[0];
  p.input_over_output_scale = static_cast<double>(input.quant.scale[0]) / output.quant.scale[0];
  p.output = c.OutputStage(output, Activation::kNone).value();
  return std::unique_ptr<PreparedOp>(new MeanOp(p, c.kernels().qs8_mean_hw, c.node().inputs[0], c.node().outputs[0]));
}

PrepareResult PrepareMeanF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  QW_RETURN_IF_ERROR(CheckMeanShapes(c));
  FMeanParams p;
  p.batch = input.shape[0];
  p.height = input.shape[1];
  p.width = input.shape[2];
  p.channels = input.shape[3];
  return std::unique_ptr<PreparedOp>(new RangeOp<FMeanParams, float, float>(
      p, c.kernels().f32_mean_hw, static_cast<size_t>(p.channels), uint64_t{static_cast<uint64_t>(p.batch)} * p.height * p.width,
      c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Mean) = {OpType::kMean, "MEAN", 6, 0, PrepareMean, PrepareMeanF32, {}};

}  // namespace qwasm
