// softmax-common.h — how one softmax row's outputs are rounded
// (QSoftmaxParams), the single definition the reference and SIMD kernels share.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/params.h"
#include "quant/requantize.h"

namespace qwasm {

class SoftmaxRowQuantizer {
 public:
  // sum: the row's exp_table entries summed in index order.
  SoftmaxRowQuantizer(const QSoftmaxParams& p, float sum)
      : table_(p.exp_table), out_(p.output), onnx_(p.onnx_numerics), sum_(sum) {
    // sum >= the max element's entry > 0, so both are finite.
    if (onnx_) {
      multiplier_ = std::floor(1.0f / p.output_scale);
    } else {
      multiplier_ = 1.0f / (sum * p.output_scale);
    }
  }

  // The output for an element at distance d = max(row) - x.
  int8_t operator()(int32_t d) const {
    if (!onnx_) {
      return static_cast<int8_t>(RoundToQuant(table_[d] * multiplier_, out_.zero_point, out_.min, out_.max));
    }
    // ORT: nearbyintf((t * Y) / sum) + zp, saturated; RoundToQuant clamps
    // first, which gives the same for integer bounds and keeps an infinite
    // quotient (a denormal output scale) defined.
    return static_cast<int8_t>(
        RoundToQuant((table_[d] * multiplier_) / sum_, out_.zero_point, out_.min, out_.max));
  }

 private:
  const float* table_;
  QOutput out_;
  bool onnx_;
  float sum_;
  float multiplier_;
};

}  // namespace qwasm
