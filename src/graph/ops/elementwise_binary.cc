// ADD on float32 and MUL on float32 / int8, with broadcasting of one operand
// over the other's leading dims: same shape, a scalar, or a shape (leading
// 1s dropped) equal to the other's trailing dims ([C], [1, 1, 1, C], [W, C]).
// Both ops are commutative, so the broadcast operand always becomes b.
#include <algorithm>

#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

struct Broadcast {
  bool swap = false;  // input 1 is the full operand
  size_t size = 0, b_size = 0;
};

Result<Broadcast> ResolveBroadcast(const OpContext& c, const Tensor& a, const Tensor& b, const Tensor& out) {
  Broadcast r;
  const Tensor* full = &a;
  const Tensor* part = &b;
  if (a.shape != out.shape) {
    r.swap = true;
    std::swap(full, part);
  }
  auto fail = [&]() {
    return c.Error("inputs " + ShapeString(a.shape) + " and " + ShapeString(b.shape) + " and output " +
                   ShapeString(out.shape) + " do not broadcast (one operand must have the output's " +
                   "shape, the other its trailing dims)");
  };
  if (full->shape != out.shape) return fail();
  size_t lead = 0;
  while (lead < part->shape.size() && part->shape[lead] == 1) ++lead;
  const size_t rest = part->shape.size() - lead;
  if (rest > out.shape.size() ||
      !std::equal(part->shape.begin() + lead, part->shape.end(), out.shape.end() - rest)) {
    return fail();
  }
  r.size = static_cast<size_t>(out.num_elements());
  r.b_size = static_cast<size_t>(part->num_elements());
  return r;
}

// One elementwise binary kernel over ranges of the output: float32 (4
// bytes each) or int8 (MUL; 16-element vectors).
template <typename Params, typename T>
class BinaryOp final : public PreparedOp {
 public:
  using Kernel = void (*)(const Params&, size_t, size_t, const T*, const T*, T*);
  BinaryOp(Params p, Kernel kernel, size_t unit, int32_t a, int32_t b, int32_t out)
      : p_(p), kernel_(kernel), unit_(unit), a_(a), b_(b), out_(out) {}
  void Run(const RunContext& t) override {
    const T* a = t.at<T>(a_);
    const T* b = t.at<T>(b_);
    T* out = t.at<T>(out_);
    ParallelRanges(t.pool, p_.size, unit_, sizeof(T),
                   [&](size_t begin, size_t end) { kernel_(p_, begin, end, a, b, out); });
  }

 private:
  Params p_;
  Kernel kernel_;
  size_t unit_;
  int32_t a_, b_, out_;
};

PrepareResult PrepareF32Binary(const OpContext& c, FBinaryFn kernel) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, a, "first input"));
  QW_RETURN_IF_ERROR(RequireF32(c, b, "second input"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  Result<Broadcast> bc = ResolveBroadcast(c, a, b, output);
  if (!bc.ok()) return bc.status();
  FBinaryParams p;
  p.size = bc.value().size;
  p.b_size = bc.value().b_size;
  p.output = FloatActivation(c.node().attrs.activation);
  int32_t in_a = c.node().inputs[0], in_b = c.node().inputs[1];
  if (bc.value().swap) std::swap(in_a, in_b);
  return std::unique_ptr<PreparedOp>(
      new BinaryOp<FBinaryParams, float>(p, kernel, 1, in_a, in_b, c.node().outputs[0]));
}

}  // namespace

PrepareResult PrepareAddF32(const OpContext& c) { return PrepareF32Binary(c, c.kernels().f32_add); }

PrepareResult PrepareMul(const OpContext& c) {
  if (c.HasInput(0) && c.Input(0).dtype == DType::kFloat32) {
    return PrepareF32Binary(c, c.kernels().f32_mul);
  }
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(a, "first input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(b, "second input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  Result<Broadcast> bc = ResolveBroadcast(c, a, b, output);
  if (!bc.ok()) return bc.status();
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  const Tensor& full = bc.value().swap ? b : a;
  const Tensor& part = bc.value().swap ? a : b;
  QMulParams p;
  p.size = bc.value().size;
  p.b_size = bc.value().b_size;
  p.a_zero_point = full.quant.zero_point[0];
  p.b_zero_point = part.quant.zero_point[0];
  p.scale = RequantScale(a.quant.scale[0], b.quant.scale[0], output.quant.scale[0]);
  if (!(p.scale > 0.0f) || !std::isfinite(p.scale)) {
    return c.Error("requantization scale of the product is not a positive finite float");
  }
  p.output = stage.value();
  int32_t in_a = c.node().inputs[0], in_b = c.node().inputs[1];
  if (bc.value().swap) std::swap(in_a, in_b);
  return std::unique_ptr<PreparedOp>(
      new BinaryOp<QMulParams, int8_t>(p, c.kernels().qs8_mul, 16, in_a, in_b, c.node().outputs[0]));
}

}  // namespace qwasm
