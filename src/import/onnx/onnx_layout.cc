#include "import/onnx/onnx_layout.h"

namespace qwasm::onnx {

Perm IdentityPerm(size_t rank) {
  Perm p(rank);
  for (size_t i = 0; i < rank; ++i) p[i] = static_cast<int32_t>(i);
  return p;
}

Perm DefaultPerm(size_t rank) { return rank == 4 ? Perm{0, 2, 3, 1} : IdentityPerm(rank); }

Perm Inverse(const Perm& p) {
  Perm inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int32_t>(i);
  return inv;
}

bool IsIdentity(const Perm& p) { return p == IdentityPerm(p.size()); }

bool IsPermutation(const Perm& p, size_t rank) {
  if (p.size() != rank) return false;
  std::vector<bool> seen(rank, false);
  for (int32_t v : p) {
    if (v < 0 || static_cast<size_t>(v) >= rank || seen[v]) return false;
    seen[v] = true;
  }
  return true;
}

std::vector<int32_t> StorageShape(const std::vector<int32_t>& logical, const Perm& perm) {
  std::vector<int32_t> s(logical.size());
  for (size_t j = 0; j < perm.size(); ++j) s[j] = logical[perm[j]];
  return s;
}

Perm StorageTransform(const Perm& from, const Perm& to) {
  const Perm inv_from = Inverse(from);
  Perm t(to.size());
  for (size_t j = 0; j < to.size(); ++j) t[j] = inv_from[to[j]];
  return t;
}

bool SameBytesAsLogical(const std::vector<int32_t>& logical, const Perm& perm) {
  int32_t last = -1;
  for (int32_t axis : perm) {
    if (logical[axis] == 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

}  // namespace qwasm::onnx
