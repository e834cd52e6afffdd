// binary_common.h — what the elementwise binary operators (ADD, MUL) share:
// broadcasting of one operand over the other's leading dims (same shape, a
// scalar, or a shape, leading 1s dropped, equal to the other's trailing dims:
// [C], [1, 1, 1, C], [W, C]), the prepared op that splits a binary kernel
// over threads, and the float32 form. Both ops are commutative, so the
// broadcast operand always becomes b.
#pragma once

#include <algorithm>

#include "graph/op.h"
#include "graph/ops/parallel.h"

namespace qwasm {

struct Broadcast {
  bool swap = false;  // input 1 is the full operand
  size_t size = 0, b_size = 0;
};

Result<Broadcast> ResolveBroadcast(const OpContext& c, const Tensor& a, const Tensor& b, const Tensor& out);

// One elementwise binary kernel over ranges of the output: float32 (4
// bytes each) or int8 (16-element vectors). Kernels that broadcast b
// themselves (MUL, float ADD) get b as it is; with `stretch_b` set to the
// broadcast operand's size (int8 ADD, whose kernel takes same-shape
// operands), the kernel runs on each stretch where both operands are
// contiguous (a channel vector [C] over [N, H, W, C]: once per pixel).
template <typename Params, typename T>
class BinaryOp final : public PreparedOp {
 public:
  using Kernel = void (*)(const Params&, size_t, size_t, const T*, const T*, T*);
  BinaryOp(Params p, Kernel kernel, size_t unit, int32_t a, int32_t b, int32_t out, size_t stretch_b = 0)
      : p_(p), kernel_(kernel), unit_(unit), a_(a), b_(b), out_(out), stretch_b_(stretch_b) {}
  void Run(const RunContext& t) override {
    const T* a = t.at<T>(a_);
    const T* b = t.at<T>(b_);
    T* out = t.at<T>(out_);
    ParallelRanges(t.pool, p_.size, unit_, sizeof(T), [&](size_t begin, size_t end) {
      if (stretch_b_ == 0 || stretch_b_ == p_.size) {
        kernel_(p_, begin, end, a, b, out);
        return;
      }
      for (size_t i = begin; i < end;) {
        const size_t offset = i % stretch_b_, n = std::min(end - i, stretch_b_ - offset);
        kernel_(p_, 0, n, a + i, b + offset, out + i);
        i += n;
      }
    });
  }

 private:
  Params p_;
  Kernel kernel_;
  size_t unit_;
  int32_t a_, b_, out_;
  size_t stretch_b_;
};

// What int8 ADD and MUL prepare alike: two int8 inputs and an int8 output,
// one scale each, the broadcast, and the output stage with the node's fused
// activation.
struct Q8Binary {
  Broadcast bc;
  QOutput stage;
};
Result<Q8Binary> PrepareQ8Binary(const OpContext& c);

// The float32 form of ADD or MUL with `kernel` (f32_add / f32_mul).
PrepareResult PrepareF32Binary(const OpContext& c, FBinaryFn kernel);

}  // namespace qwasm
