// ADD on float32 and MUL on float32 / int8, with broadcasting of one operand
// over the other's leading dims: same shape, a scalar, or a shape (leading
// 1s dropped) equal to the other's trailing dims ([C], [1, 1, 1, C], [W, C]).
// Both ops are commutative, so the broadcast operand always becomes b.
#include <algorithm>

#include "graph/ops/float_common.h"
#include "kernels/kernels-wasmsimd.h"
#include "kernels/kernels.h"
#include "quant/requantize.h"
#include "runtime/threadpool.h"

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

template <void (*Reference)(const FBinaryParams&, const float*, const float*, float*),
          void (*Simd)(const FBinaryParams&, size_t, size_t, const float*, const float*, float*)>
class F32BinaryOp final : public PreparedOp {
 public:
  F32BinaryOp(FBinaryParams p, bool reference, int32_t a, int32_t b, int32_t out)
      : p_(p), reference_(reference), a_(a), b_(b), out_(out) {}
  void Run(const RunContext& t) override {
    const float* a = t.at<float>(a_);
    const float* b = t.at<float>(b_);
    float* out = t.at<float>(out_);
    if (reference_) return Reference(p_, a, b, out);
    const size_t ranges = TileCount(uint64_t{p_.size} * 4, t.pool->threads());
    t.pool->For(ranges, [&](size_t r) {
      size_t begin, end;
      TileRange(p_.size, ranges, r, &begin, &end);
      Simd(p_, begin, end, a, b, out);
    });
  }

 private:
  FBinaryParams p_;
  bool reference_;
  int32_t a_, b_, out_;
};

template <void (*Reference)(const FBinaryParams&, const float*, const float*, float*),
          void (*Simd)(const FBinaryParams&, size_t, size_t, const float*, const float*, float*)>
PrepareResult PrepareF32Binary(const OpContext& c) {
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
      new F32BinaryOp<Reference, Simd>(p, c.reference_kernels(), in_a, in_b, c.node().outputs[0]));
}

class QMulOp final : public PreparedOp {
 public:
  QMulOp(QMulParams p, int32_t a, int32_t b, int32_t out) : p_(p), a_(a), b_(b), out_(out) {}
  void Run(const RunContext& t) override {
    qs8_mul__ref(p_, t.at<int8_t>(a_), t.at<int8_t>(b_), t.at<int8_t>(out_));
  }

 private:
  QMulParams p_;
  int32_t a_, b_, out_;
};

}  // namespace

PrepareResult PrepareAddF32(const OpContext& c) { return PrepareF32Binary<f32_add__ref, f32_add__wasmsimd>(c); }

PrepareResult PrepareMul(const OpContext& c) {
  if (c.HasInput(0) && c.Input(0).dtype == DType::kFloat32) {
    return PrepareF32Binary<f32_mul__ref, f32_mul__wasmsimd>(c);
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
  return std::unique_ptr<PreparedOp>(new QMulOp(p, in_a, in_b, c.node().outputs[0]));
}

}  // namespace qwasm
