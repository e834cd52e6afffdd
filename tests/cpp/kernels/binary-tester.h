// binary-tester.h — testers of the binary elementwise families: qs8_add
// (both arithmetics of QAddParams), qs8_mul, and f32_add / f32_mul (b
// broadcast over a's leading dims). Elements [begin, end) per call.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// qs8_add. Fixed point: acc = a_multiplier (a - za) + b_multiplier (b - zb),
// then Requantize(acc, scale). float_rescale (ONNX Runtime): (a_scale (a -
// za) + b_scale (b - zb)) / output_scale, rounded after adding
// rounding_zero_point. Operands random or constant (a_fill, b_fill).
class QAddTester : public ElementwiseKnobs<QAddTester>, public QOutputKnobs<QAddTester> {
  QWASM_TESTER_PARAMS(QAddTester, DescribeParams, (int32_t, a_zero_point, 0), (int32_t, b_zero_point, 0),
                      (int32_t, a_multiplier, 1 << 20), (int32_t, b_multiplier, 1 << 20), (float, scale, 0x1p-21f),
                      (bool, float_rescale, false), (float, a_scale, 1.0f), (float, b_scale, 1.0f),
                      (float, output_scale, 1.0f), (int32_t, rounding_zero_point, 0), (int, a_fill, kRandom),
                      (int, b_fill, kRandom));

 public:
  void Test(const KernelConfig& config) const {
    QAddParams p;
    p.size = size();
    p.a_zero_point = a_zero_point_, p.b_zero_point = b_zero_point_;
    p.a_multiplier = a_multiplier_, p.b_multiplier = b_multiplier_, p.scale = scale_;
    p.float_rescale = float_rescale_;
    p.a_scale = a_scale_, p.b_scale = b_scale_, p.output_scale = output_scale_;
    p.rounding_zero_point = rounding_zero_point_;
    p.output = output();
    ForEachDraw(*this, DescribeTester(*this, "qs8_add", config), [&](Rng& rng, const std::string& what) {
      const std::vector<int8_t> a = Int8Fill(rng, size(), a_fill_), b = Int8Fill(rng, size(), b_fill_);
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { qs8_add__oracle(p, a.data(), b.data(), want); },
          [&](int8_t* out, size_t begin, size_t end) { config.qs8_add(p, begin, end, a.data(), b.data(), out); });
    });
  }
};

// qs8_mul: Requantize((a - za)(b[i % b_size] - zb), scale); b_size 0: size.
class QMulTester : public ElementwiseKnobs<QMulTester>, public QOutputKnobs<QMulTester> {
  QWASM_TESTER_PARAMS(QMulTester, DescribeParams, (size_t, b_size, 0), (int32_t, a_zero_point, 0),
                      (int32_t, b_zero_point, 0), (float, scale, 0x1p-8f));

 public:
  void Test(const KernelConfig& config) const {
    QMulParams p;
    p.size = size();
    p.b_size = b_size_ ? b_size_ : std::max<size_t>(size(), 1);
    p.a_zero_point = a_zero_point_, p.b_zero_point = b_zero_point_, p.scale = scale_, p.output = output();
    ForEachDraw(*this, DescribeTester(*this, "qs8_mul", config), [&](Rng& rng, const std::string& what) {
      const std::vector<int8_t> a = rng.Int8Data(size()), b = rng.Int8Data(p.b_size);
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { qs8_mul__oracle(p, a.data(), b.data(), want); },
          [&](int8_t* out, size_t begin, size_t end) { config.qs8_mul(p, begin, end, a.data(), b.data(), out); });
    });
  }
};

enum class BinaryOp { kAdd, kMul };

// f32_add / f32_mul: clamp(a[i] op b[i % b_size]); b_size 0: size; about
// one element of a and b in `specials` a float special (0: none).
class F32BinaryTester : public ElementwiseKnobs<F32BinaryTester>, public FOutputKnobs<F32BinaryTester> {
  QWASM_TESTER_PARAMS(F32BinaryTester, DescribeParams, (BinaryOp, op, BinaryOp::kAdd), (size_t, b_size, 0),
                      (int, specials, 0));

 public:
  void Test(const KernelConfig& config) const {
    const bool add = op_ == BinaryOp::kAdd;
    FBinaryParams p;
    p.size = size();
    p.b_size = b_size_ ? b_size_ : std::max<size_t>(size(), 1);
    p.output = output();
    const FBinaryFn fn = add ? config.f32_add : config.f32_mul;
    ForEachDraw(*this, DescribeTester(*this, add ? "f32_add" : "f32_mul", config), [&](Rng& rng, const std::string& what) {
      std::vector<float> a = rng.Floats(size(), -8.0f, 8.0f), b = rng.Floats(p.b_size, -8.0f, 8.0f);
      SprinkleSpecials(rng, &a, specials_);
      SprinkleSpecials(rng, &b, specials_);
      ExpectElements<float>(
          rng, what, [&](float* want) { (add ? f32_add__oracle : f32_mul__oracle)(p, a.data(), b.data(), want); },
          [&](float* out, size_t begin, size_t end) { fn(p, begin, end, a.data(), b.data(), out); });
    });
  }
};

}  // namespace qwasm::testing
