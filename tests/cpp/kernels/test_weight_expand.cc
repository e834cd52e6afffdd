// The low-bit weight expansion families (qs8_expand_lut4, qs8_expand_lut8)
// on every kernel table: every size below and around the 32-element
// (lut4) / 16-element (lut8) vector, odd and even first nibbles, unaligned
// index buffers, runs ending at the buffer's last byte, the int4 table.
#include "kernels/weight-expand-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

TEST_CASE("qs8_expand_lut4: lut4 / int4 tables, every size and first nibble") {
  CHECK(kInt4Table[0x8] == -8);
  CHECK(kInt4Table[0xF] == -1);
  ForEachConfig([](const KernelConfig& config) {
    for (bool int4 : {false, true}) {
      for (size_t first : {0, 1, 2, 3, 31, 32, 33}) {
        for (size_t n = 0; n < 140; ++n) {
          ExpandLut4Tester().int4(int4).first(first).size(n).seed(static_cast<uint32_t>(n)).Test(config);
        }
        ExpandLut4Tester().int4(int4).first(first).size(201).split(AxisSplit::Random(3)).iterations(4).Test(config);
      }
      // A long run ending exactly at the buffer's last byte (1200 bytes).
      ExpandLut4Tester().int4(int4).first(1).size(2399).Test(config);
    }
  });
}

QWASM_KERNEL_TEST("qs8_expand_lut8: every size and index alignment, every index value") {
  for (size_t offset : {0, 1, 7}) {
    for (size_t n = 0; n < 100; ++n) {
      ExpandLut8Tester().offset(offset).size(n).seed(static_cast<uint32_t>(n)).Test(config);
    }
    ExpandLut8Tester().offset(offset).size(1000).split(AxisSplit::Random(3)).iterations(3).Test(config);
  }
  ExpandLut8Tester().size(256).descending(true).Test(config);
  ExpandLut8Tester().size(700).offset(3).descending(true).split(AxisSplit(16, 300)).Test(config);
}
