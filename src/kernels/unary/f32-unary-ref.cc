// Reference float elementwise functions. The int8 forms of these operators
// are 256-entry tables computed with this very function (graph/ops/unary.cc).
#include <cmath>

#include "kernels/kernels.h"

namespace qwasm {

void f32_unary__ref(const FUnaryParams& p, size_t n, const float* input, float* output) {
  const FOutput clamp{p.min, p.max};
  const FOutput six{0.0f, 6.0f};
  const FOutput unit{0.0f, 1.0f};
  for (size_t i = 0; i < n; ++i) {
    const float x = input[i];
    switch (p.op) {
      case UnaryOp::kClamp: output[i] = clamp.Apply(x); break;
      case UnaryOp::kHardSwish: output[i] = x * six.Apply(x + 3.0f) / 6.0f; break;
      case UnaryOp::kHardSigmoid: output[i] = unit.Apply(p.alpha * x + p.beta); break;
      case UnaryOp::kLogistic: output[i] = 1.0f / (1.0f + std::exp(-x)); break;
    }
  }
}

}  // namespace qwasm
