// The data-movement families (x_transpose, x_pad, x_concat) on every kernel
// table: every permutation of ranks up to 4 and random ones up to
// kMaxMoveRank, rank 0, axes of extent 1 and 0, every element size,
// padding on each axis alone and on all, int8 copies requantized, inputs
// of extent 0 along the concatenated axis.
#include <numeric>

#include "kernels/data-movement-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

const size_t kElementSizes[] = {1, 2, 4, 8};

}  // namespace

QWASM_KERNEL_TEST("x_transpose: every permutation of ranks 1 to 4, every element size") {
  const std::vector<int32_t> dims = {2, 3, 4, 5};
  for (size_t rank = 1; rank <= 4; ++rank) {
    std::vector<int32_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    const std::vector<int32_t> shape(dims.begin(), dims.begin() + rank);
    do {
      for (size_t es : kElementSizes) TransposeTester().shape(shape).perm(perm).element_size(es).Test(config);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

QWASM_KERNEL_TEST("x_transpose: ranks 5 to 8, random permutations and extents; long rows kept or gathered") {
  Rng rng(16);
  for (int i = 0; i < 60; ++i) {
    const size_t rank = rng.Index(5, kMaxMoveRank);
    std::vector<int32_t> shape(rank), perm(rank);
    for (int32_t& d : shape) d = rng.Int(1, 3);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng.engine());
    TransposeTester().shape(shape).perm(perm).element_size(kElementSizes[rng.Int(0, 3)]).seed(i).Test(config);
  }
  for (size_t es : kElementSizes) {
    TransposeTester().shape({3, 1000}).perm({0, 1}).element_size(es).Test(config);
    TransposeTester().shape({3, 1000}).perm({1, 0}).element_size(es).Test(config);
    TransposeTester().shape({7, 1, 9}).perm({2, 1, 0}).element_size(es).Test(config);
  }
}

QWASM_KERNEL_TEST("x_transpose: rank 0, axes of extent 1 and of extent 0") {
  for (size_t es : kElementSizes) {
    TransposeTester().element_size(es).Test(config);
    TransposeTester().shape({1, 1, 1}).perm({2, 0, 1}).element_size(es).Test(config);
    TransposeTester().shape({1, 5, 1, 3}).perm({3, 2, 1, 0}).element_size(es).Test(config);
    TransposeTester().shape({4, 0, 3}).perm({2, 0, 1}).element_size(es).Test(config);
  }
}

QWASM_KERNEL_TEST("x_pad: ranks 0 to 8, padding before / after each axis alone") {
  PadTester().Test(config);  // rank 0: a copy of the scalar
  for (size_t rank = 1; rank <= static_cast<size_t>(kMaxMoveRank); ++rank) {
    const std::vector<int32_t> shape(rank, rank > 5 ? 2 : 3), none(rank, 0);
    for (size_t axis = 0; axis < rank; ++axis) {
      std::vector<int32_t> one = none;
      one[axis] = 2;
      for (size_t es : kElementSizes) {
        PadTester().shape(shape).before(one).after(none).element_size(es).Test(config);
        PadTester().shape(shape).before(none).after(one).element_size(es).Test(config);
      }
    }
    PadTester().shape(shape).before(none).after(none).Test(config);
  }
}

QWASM_KERNEL_TEST("x_pad: every axis padded, element sizes, int8 requantized, empty input axes") {
  Rng rng(17);
  for (int i = 0; i < 60; ++i) {
    const size_t rank = rng.Index(1, 5);
    std::vector<int32_t> shape(rank), before(rank), after(rank);
    for (size_t a = 0; a < rank; ++a) shape[a] = rng.Int(1, 4), before[a] = rng.Int(0, 2), after[a] = rng.Int(0, 2);
    const bool requantize = rng.OneIn(3);
    PadTester().shape(shape).before(before).after(after).element_size(requantize ? 1 : kElementSizes[rng.Int(0, 3)])
        .requantize(requantize).seed(i).Test(config);
  }
  PadTester().shape({1, 224, 224, 3}).before({0, 1, 1, 0}).after({0, 1, 1, 0}).requantize(true).Test(config);
  PadTester().shape({2, 0, 3}).before({1, 1, 0}).after({0, 2, 1}).element_size(4).Test(config);
}

QWASM_KERNEL_TEST("x_concat: 1 to 5 inputs, empty parts, outer and inner extents, element sizes, requantized inputs") {
  Rng rng(18);
  for (int i = 0; i < 120; ++i) {
    std::vector<int32_t> parts(rng.Index(1, 5)), requantize(parts.size());
    for (int32_t& p : parts) p = rng.OneIn(5) ? 0 : rng.Int(1, 4);
    const bool int8 = rng.OneIn(2);
    for (int32_t& r : requantize) r = int8 && rng.OneIn(2);
    ConcatTester().outer(rng.Index(1, 4)).inner(rng.OneIn(3) ? 1 : rng.Index(2, 7)).parts(parts)
        .requantize(requantize).element_size(int8 ? 1 : kElementSizes[rng.Int(0, 3)]).seed(i).Test(config);
  }
  ConcatTester().outer(1).inner(1).parts({1000, 1, 17}).Test(config);
  ConcatTester().outer(112).inner(112 * 16).parts({1, 1}).requantize({0, 1}).Test(config);
}
