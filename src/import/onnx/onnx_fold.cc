// Constant folding at import. The input shape is fixed, so the shape
// arithmetic PyTorch exports (Shape -> Gather -> Div -> Unsqueeze -> Concat
// -> Reshape, ConstantOfShape, Cast, ...) computes constants: the node is
// evaluated here and its output becomes a constant, never an IR operator.
// A node folds when every input is a constant, or it is a Shape of any
// value. Only small tensors fold (kMaxFoldElements): a larger input or
// result is an error. Every shape, index and integer here comes from the
// file, so each is checked before it sizes or addresses anything.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>

#include "import/onnx/onnx_importer.h"

namespace qwasm::onnx {
namespace {

constexpr int64_t kMaxFoldElements = int64_t{1} << 20;

// A folded value: integers (int64, int32, bool) in `i`, floats in `f`.
struct Array {
  int32_t type = kInt64;
  std::vector<int64_t> dims;
  std::vector<int64_t> i;
  std::vector<double> f;
  bool is_float() const { return type == kFloat || type == kFloat16 || type == kDouble; }
  size_t size() const { return is_float() ? f.size() : i.size(); }
  double at(size_t k) const { return is_float() ? f[k] : static_cast<double>(i[k]); }
};

// Elements of `dims`; INT64_MAX when the product overflows (dims come from
// the file: a saturated count fails every size check instead of wrapping).
int64_t Count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
  }
  return n;
}

// True when every dim is in [0, kMaxFoldElements] and so is their product.
bool Foldable(const std::vector<int64_t>& dims) {
  for (int64_t d : dims) {
    if (d < 0 || d > kMaxFoldElements) return false;
  }
  return Count(dims) <= kMaxFoldElements;
}

void CopyElement(const Array& from, size_t k, Array* to, size_t j) {
  if (to->is_float()) to->f[j] = from.at(k); else to->i[j] = from.i[k];
}

// Row-major strides. Saturating: with a 0 dim the others may be large, and
// an array without elements is never addressed.
std::vector<int64_t> Strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) {
    if (__builtin_mul_overflow(s[d], dims[d], &s[d - 1])) s[d - 1] = INT64_MAX;
  }
  return s;
}

// Calls f(flat index, multi-index) for every element of `dims`.
void ForEachIndex(const std::vector<int64_t>& dims, const std::function<void(size_t, const std::vector<int64_t>&)>& f) {
  const int64_t n = Count(dims);
  std::vector<int64_t> idx(dims.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    f(static_cast<size_t>(k), idx);
    for (size_t d = dims.size(); d-- > 0;) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
}

struct Folder {
  const Importer& im;

  // A zeroed result of `dims`, or an error when it is too large to fold.
  Result<Array> Make(int32_t type, std::vector<int64_t> dims) const {
    if (!Foldable(dims)) return im.Error("a folded result of shape " + DimsString(dims) + " is too large to fold");
    Array a;
    a.type = type;
    a.dims = std::move(dims);
    const size_t n = static_cast<size_t>(Count(a.dims));
    if (a.is_float()) a.f.resize(n); else a.i.resize(n);
    return a;
  }

  Result<Array> Read(const Constant& c) const {
    Array a;
    a.type = c.type;
    a.dims = c.dims;
    if (!Foldable(c.dims)) return im.Error("a constant of shape " + DimsString(c.dims) + " is too large to fold");
    if (c.type == kInt64 || c.type == kInt32) {
      QW_ONNX_ASSIGN(v, im.Ints(c, "input"));
      a.i = v;
    } else if (c.type == kBool) {
      if (c.count() < 0 || static_cast<uint64_t>(c.count()) > c.bytes) return im.Error("a bool constant is shorter than its shape");
      a.i.assign(c.data, c.data + c.count());
    } else {
      QW_ONNX_ASSIGN(v, im.Floats(c, "input"));
      a.type = kFloat;
      a.f.assign(v.begin(), v.end());
    }
    if (static_cast<int64_t>(a.size()) != c.count()) {
      return im.Error("a constant of " + std::to_string(c.count()) + " elements holds " + std::to_string(a.size()) + " values");
    }
    return a;
  }

  Result<Array> In(size_t k) const {
    QW_ONNX_ASSIGN(c, im.ConstantInput(k));
    return Read(*c);
  }

  Result<std::vector<int64_t>> Ints(size_t k) const {
    QW_ONNX_ASSIGN(a, In(k));
    if (a.is_float()) return im.Error("input " + std::to_string(k) + " must hold integers");
    return a.i;
  }


  Result<int64_t> Axis(int64_t axis, size_t rank) const {
    const int64_t r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r) return im.Error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return axis < 0 ? axis + r : axis;
  }

  Result<Array> Shape() const {
    QW_ONNX_ASSIGN(x, im.Input(0));
    std::vector<int64_t> dims = x->constant ? x->c.dims : std::vector<int64_t>(x->shape.begin(), x->shape.end());
    const int64_t r = static_cast<int64_t>(dims.size());
    QW_ONNX_ASSIGN(start, im.IntAttr("start", 0));
    QW_ONNX_ASSIGN(end, im.IntAttr("end", r));
    start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
    end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
    QW_ONNX_ASSIGN(a, Make(kInt64, {std::max<int64_t>(end - start, 0)}));
    for (int64_t d = start; d < end; ++d) a.i[d - start] = dims[d];
    return a;
  }

  Result<Array> Gather() const {
    QW_ONNX_ASSIGN(data, In(0));
    QW_ONNX_ASSIGN(idx, In(1));
    if (data.dims.empty()) return im.Error("Gather of a scalar");
    QW_ONNX_ASSIGN(axis_attr, im.IntAttr("axis", 0));
    QW_ONNX_ASSIGN(axis, Axis(axis_attr, data.dims.size()));
    if (idx.is_float()) return im.Error("Gather indices must be integers");
    if (data.dims[axis] == 0 && idx.size() > 0) return im.Error("Gather from an empty axis");
    std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + axis);
    dims.insert(dims.end(), idx.dims.begin(), idx.dims.end());
    dims.insert(dims.end(), data.dims.begin() + axis + 1, data.dims.end());
    for (int64_t pick : idx.i) {
      if (pick < -data.dims[axis] || pick >= data.dims[axis]) {
        return im.Error("Gather index " + std::to_string(pick) + " is out of range for an axis of " + std::to_string(data.dims[axis]));
      }
    }
    QW_ONNX_ASSIGN(out, Make(data.type, dims));
    const std::vector<int64_t> stride = Strides(data.dims);
    const size_t q = idx.dims.size();
    ForEachIndex(dims, [&](size_t k, const std::vector<int64_t>& o) {
      // o = outer (axis dims) + index dims (q) + inner
      size_t index_flat = 0;
      for (size_t j = 0; j < q; ++j) index_flat = index_flat * idx.dims[j] + o[axis + j];
      int64_t pick = idx.i[index_flat];
      if (pick < 0) pick += data.dims[axis];
      int64_t off = pick * stride[axis];
      for (int64_t d = 0; d < axis; ++d) off += o[d] * stride[d];
      for (size_t d = axis + 1; d < data.dims.size(); ++d) off += o[d - 1 + q] * stride[d];
      CopyElement(data, static_cast<size_t>(off), &out, k);
    });
    return out;
  }

  Result<Array> Slice() const {
    QW_ONNX_ASSIGN(data, In(0));
    std::vector<int64_t> starts, ends, axes, steps;
    if (im.opset() >= 10) {
      QW_ONNX_ASSIGN(s, Ints(1));
      QW_ONNX_ASSIGN(e, Ints(2));
      starts = s;
      ends = e;
      if (im.HasInput(3)) { QW_ONNX_ASSIGN(a, Ints(3)); axes = a; }
      if (im.HasInput(4)) { QW_ONNX_ASSIGN(t, Ints(4)); steps = t; }
    } else {
      QW_ONNX_ASSIGN(s, im.IntsAttr("starts"));
      QW_ONNX_ASSIGN(e, im.IntsAttr("ends"));
      QW_ONNX_ASSIGN(a, im.IntsAttr("axes"));
      starts = s;
      ends = e;
      axes = a;
    }
    std::vector<int64_t> begin, step;
    std::vector<int64_t> dims = data.dims;
    QW_RETURN_IF_ERROR(ResolveOnnxSlice(im, data.dims, starts, ends, axes, steps, &begin, &step, &dims));
    QW_ONNX_ASSIGN(out, Make(data.type, dims));
    const std::vector<int64_t> stride = Strides(data.dims);
    ForEachIndex(dims, [&](size_t k, const std::vector<int64_t>& o) {
      int64_t off = 0;
      for (size_t d = 0; d < dims.size(); ++d) off += (begin[d] + o[d] * step[d]) * stride[d];
      CopyElement(data, static_cast<size_t>(off), &out, k);
    });
    return out;
  }

  Result<Array> Squeeze(bool squeeze) const {
    QW_ONNX_ASSIGN(data, In(0));
    QW_ONNX_ASSIGN(axes, im.IntsInputOrAttr(1, "axes"));
    QW_ONNX_ASSIGN(dims, squeeze ? SqueezedDims(im, data.dims, axes) : UnsqueezedDims(im, data.dims, axes));
    data.dims = dims;
    return data;
  }

  Result<Array> Concat() const {
    QW_ONNX_ASSIGN(first, In(0));
    if (first.dims.empty()) return im.Error("Concat of scalars");
    QW_ONNX_ASSIGN(axis_attr, im.IntAttr("axis", 0));
    QW_ONNX_ASSIGN(axis, Axis(axis_attr, first.dims.size()));
    std::vector<Array> parts;
    std::vector<int64_t> dims = first.dims;
    dims[axis] = 0;
    for (size_t k = 0; k < im.num_inputs(); ++k) {
      QW_ONNX_ASSIGN(p, In(k));
      if (p.dims.size() != first.dims.size() || p.is_float() != first.is_float()) return im.Error("inputs do not concatenate");
      for (size_t d = 0; d < dims.size(); ++d) {
        if (static_cast<int64_t>(d) != axis && p.dims[d] != first.dims[d]) {
          return im.Error("input " + std::to_string(k) + " of shape " + DimsString(p.dims) + " does not concatenate with " +
                          DimsString(first.dims) + " on axis " + std::to_string(axis));
        }
      }
      dims[axis] += p.dims[axis];  // each part is at most kMaxFoldElements: no overflow
      parts.push_back(std::move(p));
    }
    QW_ONNX_ASSIGN(out, Make(first.type, dims));
    const int64_t outer = Count(std::vector<int64_t>(dims.begin(), dims.begin() + axis));
    size_t j = 0;
    for (int64_t o = 0; o < outer; ++o) {
      for (const Array& p : parts) {
        const int64_t run = Count(std::vector<int64_t>(p.dims.begin() + axis, p.dims.end()));
        for (int64_t r = 0; r < run; ++r) CopyElement(p, static_cast<size_t>(o * run + r), &out, j++);
      }
    }
    return out;
  }

  Result<Array> Cast() const {
    QW_ONNX_ASSIGN(data, In(0));
    QW_ONNX_ASSIGN(to, im.IntAttr("to", kFloat));
    QW_ONNX_ASSIGN(out, Make(static_cast<int32_t>(to), data.dims));
    switch (to) {
      case kFloat: case kDouble: case kFloat16:
        out.type = kFloat;
        for (size_t k = 0; k < out.f.size(); ++k) out.f[k] = static_cast<float>(data.at(k));
        return out;
      case kInt64: case kInt32: case kBool: case kUInt8: case kInt8:
        for (size_t k = 0; k < out.i.size(); ++k) {
          const double v = data.at(k);
          // 2^63 is exact as a double; anything at or past it (or NaN) has no int64.
          if (to != kBool && data.is_float() && !(std::fabs(v) < 9223372036854775808.0)) {
            char text[32];
            std::snprintf(text, sizeof text, "%g", v);
            return im.Error(std::string("Cast of ") + text + " to an integer is out of range");
          }
          out.i[k] = to == kBool ? v != 0 : data.is_float() ? static_cast<int64_t>(std::trunc(v)) : data.i[k];
        }
        if (to == kUInt8 || to == kInt8) out.type = kInt64;  // only ever shape arithmetic here
        return out;
      default: return im.Error(std::string("Cast to ") + DataTypeName(static_cast<int32_t>(to)) + " is not supported");
    }
  }

  Result<Array> Elementwise(const std::string& op) const {
    QW_ONNX_ASSIGN(a, In(0));
    QW_ONNX_ASSIGN(b, In(1));
    const size_t rank = std::max(a.dims.size(), b.dims.size());
    std::vector<int64_t> da(rank - a.dims.size(), 1), db(rank - b.dims.size(), 1), dims(rank);
    da.insert(da.end(), a.dims.begin(), a.dims.end());
    db.insert(db.end(), b.dims.begin(), b.dims.end());
    for (size_t d = 0; d < rank; ++d) {
      if (da[d] != db[d] && da[d] != 1 && db[d] != 1) return im.Error("constant inputs do not broadcast");
      dims[d] = da[d] == 1 ? db[d] : da[d];  // a 1 stretches to the other side, also to 0
    }
    const bool is_float = a.is_float() || b.is_float();
    const bool compare = op == "Equal" || op == "Less" || op == "Greater";
    QW_ONNX_ASSIGN(out, Make(compare ? kBool : is_float ? kFloat : kInt64, dims));
    const std::vector<int64_t> sa = Strides(da), sb = Strides(db);
    Status error = Status::Ok();
    ForEachIndex(dims, [&](size_t k, const std::vector<int64_t>& o) {
      int64_t ia = 0, ib = 0;
      for (size_t d = 0; d < rank; ++d) {
        ia += (da[d] == 1 ? 0 : o[d]) * sa[d];
        ib += (db[d] == 1 ? 0 : o[d]) * sb[d];
      }
      if (compare) {
        const double x = a.at(ia), y = b.at(ib);
        out.i[k] = op == "Equal" ? x == y : op == "Less" ? x < y : x > y;
      } else if (is_float) {
        const double x = a.at(ia), y = b.at(ib);
        out.f[k] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      } else {
        const int64_t x = a.i[ia], y = b.i[ib];
        if (op == "Div" && y == 0) {
          error = im.Error("integer division by zero");
          return;
        }
        int64_t r = 0;
        bool overflow = false;
        if (op == "Add") overflow = __builtin_add_overflow(x, y, &r);
        else if (op == "Sub") overflow = __builtin_sub_overflow(x, y, &r);
        else if (op == "Mul") overflow = __builtin_mul_overflow(x, y, &r);
        else if (x == INT64_MIN && y == -1) overflow = true;
        else r = x / y;
        if (overflow) {
          error = im.Error("integer " + op + " of " + std::to_string(x) + " and " + std::to_string(y) + " overflows int64");
          return;
        }
        out.i[k] = r;
      }
    });
    QW_RETURN_IF_ERROR(error);
    return out;
  }

  Result<Array> ConstantOfShape() const {
    QW_ONNX_ASSIGN(shape, Ints(0));
    for (int64_t d : shape) {
      if (d < 0 || d > kMaxFoldElements) return im.Error("shape entry " + std::to_string(d) + " is out of range");
    }
    QW_ONNX_ASSIGN(value, Make(kFloat, {1}));
    if (const AttributeProto* a = im.node().Attr("value")) {
      if (a->type != AttributeProto::kTensorAttr || a->t.size() != 1) return im.Error("attribute 'value' must be a tensor");
      QW_ONNX_ASSIGN(c, MakeConstant(a->t[0]));
      if (c.count() != 1) return im.Error("attribute 'value' must hold one element");
      QW_ONNX_ASSIGN(v, Read(c));
      value = v;
    }
    QW_ONNX_ASSIGN(out, Make(value.type, shape));
    for (size_t k = 0; k < out.size(); ++k) CopyElement(value, 0, &out, k);
    return out;
  }

  Result<Array> Reshape() const {
    QW_ONNX_ASSIGN(data, In(0));
    QW_ONNX_ASSIGN(target, Ints(1));
    int64_t known = 1, infer = -1;
    std::vector<int64_t> dims = target;
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] == 0) dims[d] = d < data.dims.size() ? data.dims[d] : 0;
      if (dims[d] == -1 && infer < 0) {
        infer = static_cast<int64_t>(d);
      } else if (dims[d] < 0 || __builtin_mul_overflow(known, dims[d], &known)) {
        return im.Error("cannot reshape the constant to shape entry " + std::to_string(dims[d]));
      }
    }
    if (infer >= 0) {
      if (known == 0) return im.Error("cannot infer the -1 entry of a reshape with a 0 entry");
      dims[infer] = Count(data.dims) / known;
    }
    if (Count(dims) != Count(data.dims)) return im.Error("cannot reshape the constant");
    data.dims = dims;
    return data;
  }

  Result<Array> Range() const {
    QW_ONNX_ASSIGN(start, In(0));
    QW_ONNX_ASSIGN(limit, In(1));
    QW_ONNX_ASSIGN(delta, In(2));
    if (start.size() != 1 || limit.size() != 1 || delta.size() != 1 || delta.at(0) == 0) return im.Error("Range needs scalar inputs");
    if (start.is_float() != limit.is_float() || start.is_float() != delta.is_float()) return im.Error("Range inputs differ in type");
    const double n = std::max(std::ceil((limit.at(0) - start.at(0)) / delta.at(0)), 0.0);
    if (!(n <= kMaxFoldElements)) return im.Error("the result is too large to fold");
    QW_ONNX_ASSIGN(out, Make(start.type, {static_cast<int64_t>(n)}));
    for (size_t k = 0; k < out.size(); ++k) {
      if (out.is_float()) {
        out.f[k] = start.at(0) + k * delta.at(0);
      } else if (__builtin_mul_overflow(static_cast<int64_t>(k), delta.i[0], &out.i[k]) ||
                 __builtin_add_overflow(out.i[k], start.i[0], &out.i[k])) {
        return im.Error("Range overflows int64");
      }
    }
    return out;
  }

  Result<Array> Where() const {
    QW_ONNX_ASSIGN(cond, In(0));
    QW_ONNX_ASSIGN(x, In(1));
    QW_ONNX_ASSIGN(y, In(2));
    if (cond.dims != x.dims || x.dims != y.dims || x.is_float() != y.is_float()) return im.Error("Where of constants needs equal shapes");
    if (cond.is_float()) return im.Error("Where needs a bool condition");
    Array out = x;
    for (size_t k = 0; k < out.size(); ++k) {
      if (!cond.i[k]) CopyElement(y, k, &out, k);
    }
    return out;
  }

  Result<Array> Unary(const std::string& op) const {
    QW_ONNX_ASSIGN(a, In(0));
    if (!a.is_float()) {
      if (op == "Neg") {
        for (int64_t& v : a.i) {
          if (v == INT64_MIN) return im.Error("Neg of " + std::to_string(v) + " overflows int64");
          v = -v;
        }
      }
      return a;  // Floor / Ceil of integers
    }
    for (double& v : a.f) v = op == "Floor" ? std::floor(v) : op == "Ceil" ? std::ceil(v) : op == "Sqrt" ? std::sqrt(v) : -v;
    return a;
  }

  Result<Array> Evaluate() const {
    const std::string& op = im.node().op_type;
    if (op == "Shape") return Shape();
    if (op == "Gather") return Gather();
    if (op == "Slice") return Slice();
    if (op == "Unsqueeze" || op == "Squeeze") return Squeeze(op == "Squeeze");
    if (op == "Concat") return Concat();
    if (op == "Cast") return Cast();
    if (op == "ConstantOfShape") return ConstantOfShape();
    if (op == "Reshape" || op == "Flatten") {
      if (op == "Flatten") return im.Error("Flatten of a constant is not folded");
      return Reshape();
    }
    if (op == "Range") return Range();
    if (op == "Where") return Where();
    if (op == "Neg" || op == "Floor" || op == "Ceil" || op == "Sqrt") return Unary(op);
    return Elementwise(op);
  }
};

}  // namespace

bool IsFoldable(const std::string& op) {
  static const char* const kFoldable[] = {"Shape", "Gather", "Slice", "Unsqueeze", "Squeeze", "Concat", "Cast",
                                          "ConstantOfShape", "Reshape", "Add", "Sub", "Mul", "Div", "Range",
                                          "Equal", "Less", "Greater", "Where", "Neg", "Floor", "Ceil", "Sqrt"};
  return std::find_if(std::begin(kFoldable), std::end(kFoldable), [&](const char* s) { return op == s; }) !=
         std::end(kFoldable);
}

Result<std::vector<int64_t>> UnsqueezedDims(const Importer& im, const std::vector<int64_t>& in, std::vector<int64_t> axes) {
  const int64_t rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> is_new(rank, false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return im.Error("axis " + std::to_string(a) + " is out of range");
    const int64_t k = a < 0 ? a + rank : a;
    if (is_new[k]) return im.Error("axis " + std::to_string(a) + " is repeated");
    is_new[k] = true;
  }
  std::vector<int64_t> out;
  size_t j = 0;
  for (int64_t d = 0; d < rank; ++d) out.push_back(is_new[d] ? 1 : in[j++]);
  return out;
}

Result<std::vector<int64_t>> SqueezedDims(const Importer& im, const std::vector<int64_t>& in, const std::vector<int64_t>& axes) {
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<bool> drop(rank, false);
  if (axes.empty()) {
    for (int64_t d = 0; d < rank; ++d) drop[d] = in[d] == 1;
  }
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return im.Error("axis " + std::to_string(a) + " is out of range");
    const int64_t k = a < 0 ? a + rank : a;
    if (in[k] != 1) return im.Error("axis " + std::to_string(a) + " has size " + std::to_string(in[k]) + ", not 1");
    drop[k] = true;
  }
  std::vector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!drop[d]) out.push_back(in[d]);
  }
  return out;
}

Status ResolveOnnxSlice(const Importer& im, const std::vector<int64_t>& in, const std::vector<int64_t>& starts,
                        const std::vector<int64_t>& ends, std::vector<int64_t> axes, std::vector<int64_t> steps,
                        std::vector<int64_t>* begin, std::vector<int64_t>* step, std::vector<int64_t>* out) {
  const int64_t rank = static_cast<int64_t>(in.size());
  if (axes.empty()) {
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return im.Error("starts, ends, axes and steps differ in length");
  }
  begin->assign(rank, 0);
  step->assign(rank, 1);
  *out = in;
  for (size_t k = 0; k < axes.size(); ++k) {
    if (axes[k] < -rank || axes[k] >= rank) return im.Error("axis " + std::to_string(axes[k]) + " is out of range");
    const int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
    const int64_t n = in[a];
    if (steps[k] == 0) return im.Error("a step of 0");
    // A step past the axis length takes one element, as the axis length does;
    // clamping keeps the count arithmetic below in int64.
    const int64_t s = std::clamp<int64_t>(steps[k], -std::max<int64_t>(n, 1), std::max<int64_t>(n, 1));
    auto clampi = [&](int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); };
    int64_t b = starts[k] < 0 ? starts[k] + n : starts[k];
    int64_t e = ends[k] < -n ? -1 : ends[k] < 0 ? ends[k] + n : ends[k];
    if (s > 0) {
      b = clampi(b, 0, n);
      e = clampi(e, 0, n);
      (*out)[a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = clampi(b, 0, n - 1);
      e = clampi(e, -1, n - 1);
      (*out)[a] = b > e ? (b - e - s - 1) / -s : 0;
    }
    (*begin)[a] = b;
    (*step)[a] = s;
  }
  return Status::Ok();
}

Result<bool> Importer::TryFold() {
  const NodeProto& n = node();
  if (!IsFoldable(n.op_type)) return false;
  if (n.op_type != "Shape") {
    if (num_inputs() == 0) return false;
    for (size_t k = 0; k < num_inputs(); ++k) {
      if (!HasInput(k)) continue;
      auto it = values_.find(n.input[k]);
      if (it == values_.end() || !it->second.constant) return false;
    }
    // DequantizeLinear'd constants (QDQ weights) keep their own path.
    for (size_t k = 0; k < num_inputs(); ++k) {
      if (HasInput(k) && values_.at(n.input[k]).c.quantized) return false;
    }
  }
  Folder f{*this};
  QW_ONNX_ASSIGN(a, f.Evaluate());
  if (n.output.size() != 1 && n.op_type != "Shape") return Error("a folded node must have one output");
  Value v;
  v.constant = true;
  Constant& c = v.c;
  c.dims = a.dims;
  if (a.is_float()) {
    c.type = kFloat;
    std::vector<float> f32(a.f.begin(), a.f.end());
    c.storage = std::make_shared<std::vector<uint8_t>>(f32.size() * 4);
    if (!f32.empty()) std::memcpy(c.storage->data(), f32.data(), f32.size() * 4);
  } else if (a.type == kBool) {
    c.type = kBool;
    c.storage = std::make_shared<std::vector<uint8_t>>(a.i.begin(), a.i.end());
  } else {
    c.type = kInt64;
    c.storage = std::make_shared<std::vector<uint8_t>>(a.i.size() * 8);
    if (!a.i.empty()) std::memcpy(c.storage->data(), a.i.data(), a.i.size() * 8);
  }
  c.data = c.storage->data();
  c.bytes = c.storage->size();
  Define(n.output[0], v);
  return true;
}

}  // namespace qwasm::onnx
