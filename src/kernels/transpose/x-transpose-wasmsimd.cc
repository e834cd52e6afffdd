// Transpose, WebAssembly SIMD128. The permutation is first reduced: axes of
// extent 1 dropped, input axes that stay neighbours in output order merged
// (NCHW -> NHWC becomes [N][C][HW] -> [N][HW][C]). If the last axis stays
// last, rows are copied as in the reference. Otherwise every step of the
// other axes is one 2-D plane, out[a][b] = in[b][a], where in's rows are
// contiguous and out's too (the slow strided gather of the reference),
// moved in vector blocks (transpose-wasmsimd.h). Element sizes 2 and 8
// (rare) run the reference.
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/transpose/transpose-wasmsimd.h"

namespace qwasm {
namespace {

// The reduced transpose: input shape and output axis i = input axis perm[i].
struct Reduced {
  int rank = 0;
  size_t shape[kMaxMoveRank] = {};
  int perm[kMaxMoveRank] = {};
};

// False for an empty tensor (nothing to write).
bool Reduce(const TransposeParams& p, Reduced* r) {
  int dense[kMaxMoveRank];  // input axis -> its index among axes of extent > 1, or -1
  int kept = 0;
  for (int a = 0; a < p.rank; ++a) {
    if (p.in_shape[a] == 0) return false;
    dense[a] = p.in_shape[a] == 1 ? -1 : kept++;
  }
  // Runs of output axes that are consecutive input axes form one axis.
  int first[kMaxMoveRank], last = -2, groups = 0;
  size_t extent[kMaxMoveRank];
  for (int i = 0; i < p.rank; ++i) {
    const int a = dense[p.perm[i]];
    if (a < 0) continue;
    if (a == last + 1) {
      extent[groups - 1] *= static_cast<size_t>(p.in_shape[p.perm[i]]);
    } else {
      first[groups] = a;
      extent[groups++] = static_cast<size_t>(p.in_shape[p.perm[i]]);
    }
    last = a;
  }
  r->rank = groups;
  for (int g = 0; g < groups; ++g) {
    int position = 0;  // the group's place in input order
    for (int k = 0; k < groups; ++k) position += first[k] < first[g];
    r->perm[g] = position;
    r->shape[position] = extent[g];
  }
  return true;
}

// Walks shapes, once per call: built for size (the planes are separate).
QWASM_MINSIZE void Transpose(const TransposeParams& p, const void* input, void* output) {
  const size_t es = p.element_size;
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  Reduced t;
  if (!Reduce(p, &t)) return;
  const int r = t.rank;
  size_t total = 1;
  for (int a = 0; a < r; ++a) total *= t.shape[a];
  if (r <= 1) {  // nothing moves (rank 0: one element)
    std::memcpy(out, in, total * es);
    return;
  }
  // Strides in elements: step[i] along output axis i in the input,
  // out_stride[i] in the output.
  size_t in_stride[kMaxMoveRank], out_shape[kMaxMoveRank], out_stride[kMaxMoveRank], step[kMaxMoveRank];
  size_t s = 1;
  for (int a = r - 1; a >= 0; --a) in_stride[a] = s, s *= t.shape[a];
  s = 1;
  for (int i = r - 1; i >= 0; --i) {
    out_shape[i] = t.shape[t.perm[i]];
    step[i] = in_stride[t.perm[i]];
    out_stride[i] = s;
    s *= out_shape[i];
  }
  // j: the output axis of the input's contiguous one; r - 1 if it stays last.
  int j = 0;
  while (t.perm[j] != r - 1) ++j;
  int outer[kMaxMoveRank], n_outer = 0;  // the axes stepped around each row or plane
  size_t count = 1;
  for (int i = 0; i < r - 1; ++i) {
    if (i == j) continue;
    outer[n_outer++] = i;
    count *= out_shape[i];
  }
  int32_t index[kMaxMoveRank] = {};
  size_t in_off = 0, out_off = 0;  // elements
  for (size_t k = 0; k < count; ++k) {
    if (j == r - 1) {
      std::memcpy(out + out_off * es, in + in_off * es, out_shape[r - 1] * es);
    } else {
      const uint8_t* src = in + in_off * es;
      uint8_t* dst = out + out_off * es;
      if (es == 1) {
        TransposePlane<1>(src, step[r - 1], dst, out_stride[j], out_shape[j], out_shape[r - 1]);
      } else {
        TransposePlane<4>(src, step[r - 1], dst, out_stride[j], out_shape[j], out_shape[r - 1]);
      }
    }
    for (int o = n_outer - 1; o >= 0; --o) {
      const int i = outer[o];
      in_off += step[i];
      out_off += out_stride[i];
      if (++index[o] < static_cast<int32_t>(out_shape[i])) break;
      in_off -= step[i] * out_shape[i];
      out_off -= out_stride[i] * out_shape[i];
      index[o] = 0;
    }
  }
}

}  // namespace

void x_transpose__wasmsimd(const TransposeParams& p, const void* input, void* output) {
  if (p.element_size != 1 && p.element_size != 4) return x_transpose__ref(p, input, output);  // rare
  Transpose(p, input, output);
}

}  // namespace qwasm
