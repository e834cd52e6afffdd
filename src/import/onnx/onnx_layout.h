// onnx_layout.h — how ONNX's NCHW tensors live in qwasm's NHWC IR.
//
// Every activation remembers its ONNX ("logical") shape and a storage
// permutation `perm`: IR axis j holds logical axis perm[j]. 4-D activations
// are stored NHWC, i.e. perm {0, 2, 3, 1} over a logical NCHW tensor; other
// ranks are stored as they are (identity). Operators translate their axes
// through perm; when an operator needs another order (Reshape of a real
// NCHW tensor, Softmax on a non-last storage axis) the importer inserts an
// explicit TRANSPOSE. The shared models' NHWC input followed by
// Transpose(0, 3, 1, 2) composes to the identity, so no transpose runs.
#pragma once

#include <cstdint>
#include <vector>

#include <cstddef>

namespace qwasm::onnx {

using Perm = std::vector<int32_t>;

Perm IdentityPerm(size_t rank);
// NHWC storage of a 4-D logical tensor; identity for other ranks.
Perm DefaultPerm(size_t rank);
Perm Inverse(const Perm& p);
bool IsIdentity(const Perm& p);
bool IsPermutation(const Perm& p, size_t rank);
// IR shape of a logical shape stored with `perm`.
std::vector<int32_t> StorageShape(const std::vector<int32_t>& logical, const Perm& perm);
// The IR TRANSPOSE perm that turns storage `from` into storage `to` of the
// same logical tensor: out axis j = in axis result[j].
Perm StorageTransform(const Perm& from, const Perm& to);
// True when storing `logical` with `perm` keeps the bytes in logical
// row-major order (only size-1 axes move), e.g. [N, C, 1, 1] stored NHWC.
bool SameBytesAsLogical(const std::vector<int32_t>& logical, const Perm& perm);

// True when storing `logical` with perm a or with perm b gives the same bytes.
bool SameBytes(const std::vector<int32_t>& logical, const Perm& a, const Perm& b);
// A reshape of logical `in` (stored with `perm`) to logical `out` that moves
// no bytes: in_perm is the storage the input needs (perm itself when its
// merged and split axes already lie together in order, checked with
// SameBytes), out_perm the result's storage. False when the shapes do not
// reshape into each other.
bool PlanReshape(const std::vector<int32_t>& in, const Perm& perm, const std::vector<int32_t>& out, Perm* in_perm,
                 Perm* out_perm);

// Elements of a row-major tensor with logical `dims`, reordered so that
// output axis j is input axis perm[j] (weights at import time).
template <typename T>
std::vector<T> PermuteData(const std::vector<T>& src, const std::vector<int64_t>& dims, const Perm& perm) {
  const size_t rank = dims.size();
  if (rank == 0 || src.empty() || IsIdentity(perm)) return src;
  std::vector<int64_t> stride(rank, 1);
  for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * dims[d];
  std::vector<int64_t> out_dims(rank), out_stride(rank);
  for (size_t j = 0; j < rank; ++j) {
    out_dims[j] = dims[perm[j]];
    out_stride[j] = stride[perm[j]];  // input step for a step along output axis j
  }
  std::vector<T> out(src.size());
  const int64_t inner = out_dims[rank - 1], step = out_stride[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  int64_t base = 0;  // input offset of the current output row
  for (size_t i = 0; i < out.size(); i += static_cast<size_t>(inner)) {
    const T* s = src.data() + base;
    for (int64_t k = 0; k < inner; ++k) out[i + k] = s[k * step];
    for (size_t j = rank - 1; j-- > 0;) {
      base += out_stride[j];
      if (++idx[j] < out_dims[j]) break;
      base -= out_stride[j] * out_dims[j];
      idx[j] = 0;
    }
  }
  return out;
}

}  // namespace qwasm::onnx
