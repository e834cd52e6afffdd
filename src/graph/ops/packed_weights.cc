#include "graph/ops/packed_weights.h"

#include <algorithm>

#include "kernels/weight-expand/weight-expand.h"

namespace qwasm {

std::vector<int8_t> ExpandWeights(const Tensor& t, const KernelConfig& kernels) {
  const size_t n = static_cast<size_t>(t.num_elements());
  std::vector<int8_t> out(n);
  const QExpandLut4Fn lut4 = kernels.qs8_expand_lut4;
  const QExpandLut8Fn lut8 = kernels.qs8_expand_lut8;
  if (t.dtype == DType::kInt4) {
    lut4(t.data, 0, n, kInt4Table, out.data());
    return out;
  }
  // Runs of consecutive elements that share a codebook group: the whole
  // tensor, or the `inner` elements of one slice of quant.axis at a time
  // (per output channel of [O, ...]: long runs; of depthwise's last axis:
  // runs of 1, which the kernels' scalar tails take).
  const int entries = CodebookEntries(t.dtype);
  const size_t groups = t.codebook_groups();
  size_t inner = n;
  if (groups > 1) {
    inner = 1;
    for (size_t d = t.quant.axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  }
  for (size_t begin = 0; begin < n; begin += inner) {
    const size_t len = std::min(inner, n - begin);
    const int8_t* table = t.codebook.data() + (groups > 1 ? (begin / inner) % groups : 0) * entries;
    if (t.dtype == DType::kLut4) {
      lut4(t.data, begin, len, table, out.data() + begin);
    } else {
      lut8(t.data + begin, len, table, out.data() + begin);
    }
  }
  return out;
}

}  // namespace qwasm
