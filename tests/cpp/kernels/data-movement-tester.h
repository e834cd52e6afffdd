// data-movement-tester.h — testers of the data-movement families, any
// element type: x_transpose, x_pad, x_slice and x_concat (with int8
// requantizing copies). One call per tensor; outputs compared byte for byte
// with the oracle and with the table's reference variant.
#pragma once

#include "kernels/tester.h"

namespace qwasm::testing {

// What the testers share: element size, seed (one draw), and the
// comparison of one whole call with its oracle and its reference variant.
template <typename Derived>
class MoveKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeKnobs, (size_t, element_size, 1), (uint32_t, seed, 1));

 public:
  int iterations() const { return 1; }

 protected:
  static size_t Elements(const std::vector<int32_t>& shape) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
  std::vector<uint8_t> Bytes(Rng& rng, size_t elements) const {
    std::vector<uint8_t> b = NonNull(std::vector<uint8_t>(elements * element_size_));
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng.Bits());
    return b;
  }
  // Kernels get arena pointers, never null, even for empty tensors (a
  // memcpy of 0 bytes from null is undefined): buffers own a byte at least.
  static std::vector<uint8_t> NonNull(std::vector<uint8_t> v) {
    v.reserve(1);
    return v;
  }
  // draw(rng) sets up the call and returns the output's byte count;
  // oracle(want) and kernel(table, got) then write it, the latter with the
  // variant of `config` and with the reference one.
  template <typename Draw, typename Oracle, typename Kernel>
  void Check(const std::string& description, const KernelConfig& config, Draw draw, Oracle oracle,
             Kernel kernel) const {
    ForEachDraw(static_cast<const Derived&>(*this), description, [&](Rng& rng, const std::string& what) {
      const size_t bytes = draw(rng);
      std::vector<uint8_t> want = NonNull(std::vector<uint8_t>(bytes)), got = NonNull(Sentinel<uint8_t>(bytes)),
                           ref = NonNull(Sentinel<uint8_t>(bytes));
      oracle(want.data());
      kernel(config, got.data());
      ExpectSame(got, want, what);
      kernel(ReferenceKernels(), ref.data());
      ExpectSame(got, ref, what + " (against the reference variant)");
    });
  }
};

// Output axis i is input axis perm[i].
class TransposeTester : public MoveKnobs<TransposeTester> {
  QWASM_TESTER_PARAMS(TransposeTester, DescribeParams, (std::vector<int32_t>, shape, {}),
                      (std::vector<int32_t>, perm, {}));

 public:
  void Test(const KernelConfig& config) const {
    const std::string description = DescribeTester(*this, "x_transpose", config);
    REQUIRE_MESSAGE(shape_.size() == perm_.size(), description);
    TransposeParams p;
    p.rank = static_cast<int>(shape_.size());
    std::copy(shape_.begin(), shape_.end(), p.in_shape);
    std::copy(perm_.begin(), perm_.end(), p.perm);
    p.element_size = element_size();
    std::vector<uint8_t> in;
    Check(
        description, config,
        [&](Rng& rng) {
          in = Bytes(rng, Elements(shape_));
          return in.size();
        },
        [&](uint8_t* want) { x_transpose__oracle(p, in.data(), want); },
        [&](const KernelConfig& k, uint8_t* got) { k.x_transpose(p, in.data(), got); });
  }
};

// `before` / `after` elements of a random pad value on each axis; int8
// elements requantized on their way (requantize, element size 1).
class PadTester : public MoveKnobs<PadTester> {
  QWASM_TESTER_PARAMS(PadTester, DescribeParams, (std::vector<int32_t>, shape, {}), (std::vector<int32_t>, before, {}),
                      (std::vector<int32_t>, after, {}), (bool, requantize, false));

 public:
  void Test(const KernelConfig& config) const {
    const std::string description = DescribeTester(*this, "x_pad", config);
    REQUIRE_MESSAGE((shape_.size() == before_.size() && shape_.size() == after_.size()), description);
    PadParams p;
    p.rank = static_cast<int>(shape_.size());
    size_t out_elements = 1;
    for (int a = 0; a < p.rank; ++a) {
      p.in_shape[a] = shape_[a], p.before[a] = before_[a], p.after[a] = after_[a];
      out_elements *= static_cast<size_t>(before_[a] + shape_[a] + after_[a]);
    }
    std::vector<uint8_t> in, pad_value;
    RequantizeParams requant;
    Check(
        description, config,
        [&](Rng& rng) {
          pad_value = Bytes(rng, 1);
          requant = RandomRequantize(rng);
          in = Bytes(rng, Elements(shape_));
          p.pad_value = pad_value.data();
          p.copy = ElementCopy{element_size(), requantize_ ? &requant : nullptr};
          return out_elements * element_size();
        },
        [&](uint8_t* want) { x_pad__oracle(p, in.data(), want); },
        [&](const KernelConfig& k, uint8_t* got) { k.x_pad(p, in.data(), got); });
  }
};

// Inputs of parts[i] along the axis between `outer` and `inner` extents;
// input i's int8 elements requantized when requantize[i] (element size 1).
class ConcatTester : public MoveKnobs<ConcatTester> {
  QWASM_TESTER_PARAMS(ConcatTester, DescribeParams, (size_t, outer, 1), (size_t, inner, 1),
                      (std::vector<int32_t>, parts, {}), (std::vector<int32_t>, requantize, {}));

 public:
  void Test(const KernelConfig& config) const {
    const size_t inputs = parts_.size();
    std::vector<std::vector<uint8_t>> data(inputs);
    std::vector<const void*> pointers(inputs);
    std::vector<RequantizeParams> requants(inputs);
    std::vector<ElementCopy> copies(inputs);
    const ConcatParams p{outer_, inner_, static_cast<int>(inputs), parts_.data(), copies.data()};
    Check(
        DescribeTester(*this, "x_concat", config), config,
        [&](Rng& rng) {
          size_t total = 0;
          for (size_t i = 0; i < inputs; ++i) {
            data[i] = Bytes(rng, outer_ * static_cast<size_t>(parts_[i]) * inner_);
            pointers[i] = data[i].data();
            requants[i] = RandomRequantize(rng);
            const bool requantized = i < requantize_.size() && requantize_[i];
            copies[i] = ElementCopy{element_size(), requantized ? &requants[i] : nullptr};
            total += data[i].size();
          }
          return total;
        },
        [&](uint8_t* want) { x_concat__oracle(p, pointers.data(), want); },
        [&](const KernelConfig& k, uint8_t* got) { k.x_concat(p, pointers.data(), got); });
  }
};

// The box of `size` at `begin` in a tensor of `shape`; int8 elements
// requantized on their way (requantize, element size 1).
class SliceTester : public MoveKnobs<SliceTester> {
  QWASM_TESTER_PARAMS(SliceTester, DescribeParams, (std::vector<int32_t>, shape, {}), (std::vector<int32_t>, begin, {}),
                      (std::vector<int32_t>, size, {}), (bool, requantize, false));

 public:
  void Test(const KernelConfig& config) const {
    const std::string description = DescribeTester(*this, "x_slice", config);
    REQUIRE_MESSAGE((shape_.size() == begin_.size() && shape_.size() == size_.size()), description);
    SliceParams p;
    p.rank = static_cast<int>(shape_.size());
    for (int a = 0; a < p.rank; ++a) {
      REQUIRE_MESSAGE((begin_[a] >= 0 && size_[a] >= 0 && begin_[a] + size_[a] <= shape_[a]), description);
      p.in_shape[a] = shape_[a], p.begin[a] = begin_[a], p.out_shape[a] = size_[a];
    }
    std::vector<uint8_t> in;
    RequantizeParams requant;
    Check(
        description, config,
        [&](Rng& rng) {
          requant = RandomRequantize(rng);
          in = Bytes(rng, Elements(shape_));
          p.copy = ElementCopy{element_size(), requantize_ ? &requant : nullptr};
          return Elements(size_) * element_size();
        },
        [&](uint8_t* want) { x_slice__oracle(p, in.data(), want); },
        [&](const KernelConfig& k, uint8_t* got) { k.x_slice(p, in.data(), got); });
  }
};

}  // namespace qwasm::testing
