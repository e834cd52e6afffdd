// The data-movement families (x_transpose, x_pad, x_slice, x_concat) on
// every kernel table, against the oracle and the reference variant: every
// permutation of ranks up to 4 and random ones up to kMaxMoveRank, rank 0,
// axes of extent 1 and 0, every element size, the plane shapes the SIMD
// transpose moves in blocks (tiles, interleaves, their edges), NCHW <->
// NHWC, padding on each axis alone and on all, int8 copies requantized
// (rows around the 16-lane vector), inputs of extent 0 along the
// concatenated axis.
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

QWASM_KERNEL_TEST("x_transpose: 2-D planes of every shape up to 20x20, dense and strided, every element size") {
  for (int32_t rows = 1; rows <= 20; ++rows) {
    for (int32_t cols = 1; cols <= 20; ++cols) {
      for (size_t es : kElementSizes) {
        const uint32_t seed = static_cast<uint32_t>(rows * 100 + cols);
        TransposeTester().shape({rows, cols}).perm({1, 0}).element_size(es).seed(seed).Test(config);
        // A batch of planes, and planes whose rows are strided on both sides.
        TransposeTester().shape({2, rows, cols}).perm({0, 2, 1}).element_size(es).seed(seed).Test(config);
        TransposeTester().shape({rows, 2, cols}).perm({2, 1, 0}).element_size(es).seed(seed).Test(config);
      }
    }
  }
  // Interleaves and deinterleaves past one vector, with tails.
  for (int32_t small = 2; small <= 9; ++small) {
    for (int32_t big : {16, 33, 47, 64, 100}) {
      for (size_t es : kElementSizes) {
        TransposeTester().shape({small, big}).perm({1, 0}).element_size(es).Test(config);
        TransposeTester().shape({big, small}).perm({1, 0}).element_size(es).Test(config);
      }
    }
  }
}

QWASM_KERNEL_TEST("x_transpose: NCHW <-> NHWC, channels 1 to 20 and 64, odd images, 224x224x3") {
  for (int32_t c = 1; c <= 20; ++c) {
    for (size_t es : kElementSizes) {
      const int32_t n = 1 + c % 2, h = 1 + c % 7, w = 3 + c;
      TransposeTester().shape({n, c, h, w}).perm({0, 2, 3, 1}).element_size(es).seed(c).Test(config);
      TransposeTester().shape({n, h, w, c}).perm({0, 3, 1, 2}).element_size(es).seed(c).Test(config);
    }
  }
  for (size_t es : {size_t{1}, size_t{4}}) {
    TransposeTester().shape({2, 64, 9, 13}).perm({0, 2, 3, 1}).element_size(es).Test(config);
    TransposeTester().shape({2, 9, 13, 64}).perm({0, 3, 1, 2}).element_size(es).Test(config);
    TransposeTester().shape({1, 3, 224, 224}).perm({0, 2, 3, 1}).element_size(es).Test(config);
    TransposeTester().shape({1, 224, 224, 3}).perm({0, 3, 1, 2}).element_size(es).Test(config);
    TransposeTester().shape({301, 257}).perm({1, 0}).element_size(es).Test(config);
  }
}

QWASM_KERNEL_TEST("x_transpose: ranks 0 to 8, random permutations, extents 0 to 4 and long axes") {
  Rng rng(19);
  for (int i = 0; i < 400; ++i) {
    const size_t rank = rng.Index(0, kMaxMoveRank);
    std::vector<int32_t> shape(rank), perm(rank);
    for (int32_t& d : shape) d = rng.OneIn(40) ? 0 : rng.Int(1, 4);
    if (rank > 0 && rng.OneIn(2)) shape[rng.Index(0, rank - 1)] = rng.Int(5, 40);  // a long axis
    if (rank > 1 && rng.OneIn(3)) shape[rng.Index(0, rank - 1)] = rng.Int(5, 40);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng.engine());
    TransposeTester().shape(shape).perm(perm).element_size(kElementSizes[rng.Int(0, 3)]).seed(i).Test(config);
  }
}

QWASM_KERNEL_TEST("x_pad: int8 rows of 1 to 40 requantized (the 16-lane vector and its tails)") {
  for (int32_t w = 1; w <= 40; ++w) {
    const uint32_t seed = static_cast<uint32_t>(w);
    PadTester().shape({2, 3, w}).before({0, 1, 2}).after({1, 0, 3}).requantize(true).seed(seed).Test(config);
    PadTester().shape({2, w, 3}).before({1, 1, 0}).after({0, 1, 0}).requantize(true).seed(seed).Test(config);
  }
}

QWASM_KERNEL_TEST("x_slice: int8 runs of 1 to 40 requantized, and copied") {
  for (int32_t w = 1; w <= 40; ++w) {
    for (bool requantize : {true, false}) {
      SliceTester().shape({3, 2, w + 5}).begin({1, 0, 2}).size({2, 2, w}).requantize(requantize)
          .seed(static_cast<uint32_t>(w)).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("x_concat: int8 blocks of 1 to 56 requantized") {
  for (int32_t w = 1; w <= 40; ++w) {
    const uint32_t seed = static_cast<uint32_t>(w);
    ConcatTester().outer(3).inner(static_cast<size_t>(w)).parts({1, 2, 1}).requantize({1, 0, 1}).seed(seed)
        .Test(config);
    ConcatTester().outer(2).inner(1).parts({w, 17, w + 16}).requantize({1, 1, 1}).seed(seed).Test(config);
  }
}

QWASM_KERNEL_TEST("x_slice: ranks 0 to 8, random boxes (empty ones too), element sizes, int8 requantized") {
  SliceTester().Test(config);  // rank 0: a copy of the scalar
  SliceTester().requantize(true).Test(config);
  Rng rng(20);
  for (int i = 0; i < 200; ++i) {
    const size_t rank = rng.Index(1, kMaxMoveRank);
    std::vector<int32_t> shape(rank), begin(rank), size(rank);
    for (size_t a = 0; a < rank; ++a) {
      shape[a] = rng.Int(1, rank > 5 ? 3 : 6);
      begin[a] = rng.Int(0, shape[a]);
      size[a] = rng.OneIn(30) ? 0 : rng.Int(begin[a] == shape[a] ? 0 : 1, shape[a] - begin[a]);
    }
    const bool requantize = rng.OneIn(3);
    SliceTester().shape(shape).begin(begin).size(size).element_size(requantize ? 1 : kElementSizes[rng.Int(0, 3)])
        .requantize(requantize).seed(i).Test(config);
  }
  SliceTester().shape({1, 56, 56, 24}).begin({0, 0, 0, 8}).size({1, 56, 56, 16}).requantize(true).Test(config);
}
