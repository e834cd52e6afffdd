// weight-expand-tester.h — testers of the low-bit weight expansion families
// (weight-expand/weight-expand.h): qs8_expand_lut4 (two 4-bit indices per
// byte, from any nibble) and qs8_expand_lut8 (one index per byte). Inputs
// are sized exactly (sanitizers see any read past them); the output has
// one guard element past the end that no call may touch.
#pragma once

#include "kernels/tester.h"
#include "kernels/weight-expand/weight-expand.h"

namespace qwasm::testing {

// Nibbles first .. first + size of random bytes; kInt4Table (int4 weights)
// or a random table holding -128 and 127.
class ExpandLut4Tester : public ElementwiseKnobs<ExpandLut4Tester> {
  QWASM_TESTER_PARAMS(ExpandLut4Tester, DescribeParams, (size_t, first, 0), (bool, int4, false));

 public:
  void Test(const KernelConfig& config) const {
    ForEachDraw(*this, DescribeTester(*this, "qs8_expand_lut4", config), [&](Rng& rng, const std::string& what) {
      std::vector<int8_t> random_table = rng.Int8s(16);
      random_table[0] = -128, random_table[15] = 127;
      const int8_t* table = int4_ ? kInt4Table : random_table.data();
      std::vector<uint8_t> packed((first_ + size() + 1) / 2);  // ends with the last nibble's byte
      for (uint8_t& b : packed) b = static_cast<uint8_t>(rng.Bits());
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { qs8_expand_lut4__oracle(packed.data(), first_, size(), table, want); },
          [&](int8_t* out, size_t begin, size_t end) {
            config.qs8_expand_lut4(packed.data(), first_ + begin, end - begin, table, out + begin);
          },
          /*guard=*/1);
    });
  }
};

// Indices `offset` bytes into their buffer (any alignment): random, or
// every byte value from 255 down (descending, wrapping).
class ExpandLut8Tester : public ElementwiseKnobs<ExpandLut8Tester> {
  QWASM_TESTER_PARAMS(ExpandLut8Tester, DescribeParams, (size_t, offset, 0), (bool, descending, false));

 public:
  void Test(const KernelConfig& config) const {
    ForEachDraw(*this, DescribeTester(*this, "qs8_expand_lut8", config), [&](Rng& rng, const std::string& what) {
      std::vector<uint8_t> index(offset_ + size());
      for (size_t i = offset_; i < index.size(); ++i) {
        index[i] = static_cast<uint8_t>(descending_ ? 255 - (i - offset_) % 256 : rng.Bits());
      }
      const uint8_t* first = index.data() + offset_;
      std::vector<int8_t> table = rng.Int8s(256);
      table[0] = -128, table[255] = 127;
      ExpectElements<int8_t>(
          rng, what, [&](int8_t* want) { qs8_expand_lut8__oracle(first, size(), table.data(), want); },
          [&](int8_t* out, size_t begin, size_t end) {
            config.qs8_expand_lut8(first + begin, end - begin, table.data(), out + begin);
          },
          /*guard=*/1);
    });
  }
};

}  // namespace qwasm::testing
