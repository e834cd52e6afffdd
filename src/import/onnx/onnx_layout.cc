#include "import/onnx/onnx_layout.h"

#include <algorithm>

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

bool SameBytes(const std::vector<int32_t>& logical, const Perm& a, const Perm& b) {
  std::vector<int32_t> x, y;
  for (int32_t axis : a) {
    if (logical[axis] != 1) x.push_back(axis);
  }
  for (int32_t axis : b) {
    if (logical[axis] != 1) y.push_back(axis);
  }
  return x == y;
}

bool PlanReshape(const std::vector<int32_t>& in, const Perm& perm, const std::vector<int32_t>& out, Perm* in_perm,
                 Perm* out_perm) {
  // Groups: runs of non-1 input axes and of non-1 output axes with equal products.
  std::vector<int32_t> in_axes, out_axes;
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] != 1) in_axes.push_back(static_cast<int32_t>(d));
  }
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] != 1) out_axes.push_back(static_cast<int32_t>(d));
  }
  std::vector<int> in_group(in.size(), -1);
  std::vector<std::vector<int32_t>> out_groups;
  size_t i = 0, o = 0;
  while (i < in_axes.size() || o < out_axes.size()) {
    if (i >= in_axes.size() || o >= out_axes.size()) return false;
    int64_t pi = in[in_axes[i]], po = out[out_axes[o]];
    const int g = static_cast<int>(out_groups.size());
    in_group[in_axes[i++]] = g;
    out_groups.push_back({out_axes[o++]});
    while (pi != po) {
      if (pi < po) {
        if (i >= in_axes.size()) return false;
        pi *= in[in_axes[i]];
        in_group[in_axes[i++]] = g;
      } else {
        if (o >= out_axes.size()) return false;
        po *= out[out_axes[o]];
        out_groups.back().push_back(out_axes[o++]);
      }
    }
  }
  // Groups in the order storage meets them; within a group, logical order.
  std::vector<int> order;
  for (int32_t axis : perm) {
    const int g = in_group[axis];
    if (g >= 0 && std::find(order.begin(), order.end(), g) == order.end()) order.push_back(g);
  }
  // Size-1 input axes keep their places in storage.
  in_perm->clear();
  std::vector<bool> done(order.size() + 1, false);
  for (int32_t axis : perm) {
    const int g = in_group[axis];
    if (g < 0) {
      in_perm->push_back(axis);
    } else if (!done[g]) {
      done[g] = true;
      for (size_t d = 0; d < in.size(); ++d) {
        if (in_group[d] == g) in_perm->push_back(static_cast<int32_t>(d));
      }
    }
  }
  out_perm->clear();
  for (int g : order) out_perm->insert(out_perm->end(), out_groups[g].begin(), out_groups[g].end());
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) out_perm->push_back(static_cast<int32_t>(d));
  }
  return true;
}

}  // namespace qwasm::onnx
