// Operators with weights: Conv (regular and depthwise), Gemm, MatMul, and
// BatchNormalization (folded into the Conv / Gemm before it when it is that
// operator's only consumer, else a 1x1 depthwise convolution, or a
// per-channel MUL + ADD for other ranks).
#include <cmath>
#include <cstring>

#include "import/onnx/onnx_importer.h"

namespace qwasm::onnx {
namespace {

std::vector<int32_t> ToInt32(const std::vector<int64_t>& dims) { return std::vector<int32_t>(dims.begin(), dims.end()); }

bool Is8Bit(const Constant& c) { return c.type == kUInt8 || c.type == kInt8; }

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace

Result<Window> Importer::ReadWindow(const std::vector<int32_t>& in, int32_t kh, int32_t kw, bool pool) {
  Window w;
  OpAttrs& a = w.attrs;
  QW_ONNX_ASSIGN(strides, IntsAttr("strides"));
  QW_ONNX_ASSIGN(dilations, IntsAttr("dilations"));
  QW_ONNX_ASSIGN(pads, IntsAttr("pads"));
  QW_ONNX_ASSIGN(auto_pad, StringAttr("auto_pad", "NOTSET"));
  QW_ONNX_ASSIGN(ceil_mode, IntAttr("ceil_mode", 0));
  if (strides.empty()) strides = {1, 1};
  if (dilations.empty()) dilations = {1, 1};
  if (pads.empty()) pads = {0, 0, 0, 0};
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) {
    return Error("strides, dilations and pads must have 2, 2 and 4 values (2-D windows only)");
  }
  for (int64_t s : strides) {
    if (s < 1 || s > 1024) return Error("stride " + std::to_string(s) + " is out of range");
  }
  for (int64_t d : dilations) {
    if (d < 1 || d > 1024) return Error("dilation " + std::to_string(d) + " is out of range");
  }
  for (int64_t p : pads) {
    if (p < 0 || p > 4096) return Error("padding " + std::to_string(p) + " is out of range");
  }
  if (kh < 1 || kw < 1 || kh > 4096 || kw > 4096) return Error("window " + std::to_string(kh) + "x" + std::to_string(kw) + " is out of range");
  a.stride_h = static_cast<int>(strides[0]);
  a.stride_w = static_cast<int>(strides[1]);
  a.dilation_h = static_cast<int>(dilations[0]);
  a.dilation_w = static_cast<int>(dilations[1]);
  a.filter_h = kh;
  a.filter_w = kw;
  const int64_t ih = in[2], iw = in[3];
  const int64_t eh = (kh - 1) * dilations[0] + 1, ew = (kw - 1) * dilations[1] + 1;
  // TFLite's SAME: out = ceil(in / stride), padding split with the extra at the end.
  auto same_pads = [&](int64_t size, int64_t eff, int64_t stride, bool lower, int64_t* before, int64_t* after) {
    const int64_t out = (size + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + eff - size, 0);
    *before = lower ? total - total / 2 : total / 2;
    *after = total - *before;
  };
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const bool lower = auto_pad == "SAME_LOWER";
    same_pads(ih, eh, strides[0], lower, &pads[0], &pads[2]);
    same_pads(iw, ew, strides[1], lower, &pads[1], &pads[3]);
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad != "NOTSET") {
    return Error("auto_pad '" + auto_pad + "' is not supported");
  }
  const int64_t span_h = ih + pads[0] + pads[2] - eh, span_w = iw + pads[1] + pads[3] - ew;
  if (span_h < 0 || span_w < 0) return Error("the window does not fit the input " + ShapeString(in));
  w.out_h = static_cast<int32_t>(span_h / strides[0] + 1);
  w.out_w = static_cast<int32_t>(span_w / strides[1] + 1);
  if (pool && ceil_mode != 0) {
    // ceil_mode: a partial last window counts, unless it would start in the
    // end padding (PyTorch's and ONNX Runtime's rule); it is read through
    // extra end padding, which pooling ignores.
    auto ceil_out = [](int64_t span, int64_t stride, int64_t size, int64_t pad_begin) {
      int64_t out = (span + stride - 1) / stride + 1;
      if ((out - 1) * stride >= size + pad_begin) --out;
      return out;
    };
    const int64_t oh = ceil_out(span_h, strides[0], ih, pads[0]), ow = ceil_out(span_w, strides[1], iw, pads[1]);
    w.ceil_padding = oh != w.out_h || ow != w.out_w;
    pads[2] += std::max<int64_t>((oh - 1) * strides[0] + eh - (ih + pads[0] + pads[2]), 0);
    pads[3] += std::max<int64_t>((ow - 1) * strides[1] + ew - (iw + pads[1] + pads[3]), 0);
    w.out_h = static_cast<int32_t>(oh);
    w.out_w = static_cast<int32_t>(ow);
  }
  int64_t sb[4];
  same_pads(ih, eh, strides[0], false, &sb[0], &sb[2]);
  same_pads(iw, ew, strides[1], false, &sb[1], &sb[3]);
  const bool zero = pads[0] == 0 && pads[1] == 0 && pads[2] == 0 && pads[3] == 0;
  const bool same = pads[0] == sb[0] && pads[1] == sb[1] && pads[2] == sb[2] && pads[3] == sb[3] &&
                    w.out_h == (ih + strides[0] - 1) / strides[0] && w.out_w == (iw + strides[1] - 1) / strides[1];
  a.padding = zero ? Padding::kValid : same ? Padding::kSame : Padding::kExplicit;
  // ONNX pads are begin_h, begin_w, end_h, end_w; the IR's top, left, bottom, right.
  for (int i = 0; i < 4; ++i) a.pads[i] = static_cast<int32_t>(pads[i]);
  return w;
}

Status Importer::ConvertConv() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  QW_ONNX_ASSIGN(wc, ConstantInput(1));
  const Constant* bias = nullptr;
  if (HasInput(2)) {
    QW_ONNX_ASSIGN(b, ConstantInput(2));
    bias = b;
  }
  if (x->shape.size() != 4) return Error("input has shape " + ShapeString(x->shape) + "; only 2-D convolution (4-D input) is supported");
  if (wc->dims.size() != 4) return Error("weights must be 4-D [M, C/group, kH, kW]");
  const int32_t c_in = x->shape[1];
  const int64_t m = wc->dims[0], cg = wc->dims[1];
  QW_ONNX_ASSIGN(group, IntAttr("group", 1));
  if (group < 1 || group > c_in || cg * group != c_in || m % group != 0) {
    return Error("weights " + ShapeString(ToInt32(wc->dims)) + " with group " + std::to_string(group) +
                 " do not fit an input of " + std::to_string(c_in) + " channels");
  }
  // group == channels is depthwise; other groups are a grouped CONV_2D
  // (filter [M, kH, kW, C / group]).
  const bool depthwise = group > 1 && group == c_in && cg == 1;
  QW_ONNX_ASSIGN(kernel_shape, IntsAttr("kernel_shape"));
  if (!kernel_shape.empty() && kernel_shape != std::vector<int64_t>{wc->dims[2], wc->dims[3]}) {
    return Error("kernel_shape does not match the weights");
  }
  if (bias && bias->count() != m) return Error("bias has " + std::to_string(bias->count()) + " values for " + std::to_string(m) + " output channels");
  QW_ONNX_ASSIGN(win, ReadWindow(x->shape, static_cast<int32_t>(wc->dims[2]), static_cast<int32_t>(wc->dims[3]), false));
  const bool weights_q = wc->quantized && Is8Bit(*wc) && (!bias || (bias->quantized && bias->type == kInt32));
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({x}, weights_q, true, true, &int8));
  Commit(plan);
  QW_ONNX_ASSIGN(xs, WithPerm(*x, DefaultPerm(4)));
  QW_ONNX_ASSIGN(in, OperandTensor(xs, int8));
  // IR filters: OHWI for conv, [1, kH, kW, M] for depthwise.
  const Perm filter_perm = depthwise ? Perm{1, 2, 3, 0} : Perm{0, 2, 3, 1};
  const std::vector<int32_t> filter_shape = StorageShape(ToInt32(wc->dims), filter_perm);
  const std::string wname = node().input[1];
  int32_t filter = -1, bias_tensor = -1;
  if (int8) {
    QW_ONNX_ASSIGN(qw, QuantizedWeights(*wc, filter_perm, depthwise ? 3 : 0, 0, 1.0f));
    filter = AddConstant(wname, DType::kInt8, filter_shape, std::move(qw.bytes), qw.quant);
    if (bias) {
      QW_ONNX_ASSIGN(b, QuantizedBias(*bias, TensorQuant(xs.tensor).scale[0], qw.quant.scale, 1.0f, m));
      bias_tensor = AddConstant(node().input[2], DType::kInt32, {static_cast<int32_t>(m)}, std::move(b.bytes), b.quant);
    }
  } else {
    QW_ONNX_ASSIGN(wf, Floats(*wc, "weights"));
    std::vector<float> bf(m, 0.0f);
    if (bias) {
      QW_ONNX_ASSIGN(b, Floats(*bias, "bias"));
      bf = b;
    }
    if (plan.batch_norm) QW_RETURN_IF_ERROR(FoldBatchNorm(*plan.batch_norm, &wf, &bf));
    filter = AddFloatConstant(wname, filter_shape, PermuteData(wf, wc->dims, filter_perm));
    if (bias || plan.batch_norm) {
      bias_tensor = AddFloatConstant(HasInput(2) ? node().input[2] : wname + "_bias", {static_cast<int32_t>(m)}, bf);
    }
  }
  OpAttrs a = win.attrs;
  a.activation = plan.act;
  a.depth_multiplier = depthwise ? static_cast<int>(m / c_in) : 1;
  const std::vector<int32_t> out_shape = {x->shape[0], static_cast<int32_t>(m), win.out_h, win.out_w};
  QW_ONNX_ASSIGN(out, DefineOutput(plan, out_shape, DefaultPerm(4)));
  std::vector<int32_t> inputs = {in, filter};
  if (bias_tensor >= 0) inputs.push_back(bias_tensor);
  AddNode(depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D, inputs, out, a);
  return Status::Ok();
}

Result<QuantizedData> Importer::QuantizedWeights(const Constant& w, const Perm& perm, int ir_axis, int logical_axis,
                                                 float scale_factor) const {
  QuantizedData q;
  if (w.scale.size() > 1 && w.axis != logical_axis) {
    return Error("weights are quantized per axis " + std::to_string(w.axis) + "; expected axis " + std::to_string(logical_axis));
  }
  std::vector<uint8_t> raw(w.data, w.data + w.bytes);
  if (w.type == kUInt8) {
    for (uint8_t& v : raw) v ^= 0x80;  // uint8 q is int8 q - 128
  }
  q.bytes = PermuteData(raw, w.dims, perm);
  q.quant.scale = w.scale;
  for (float& s : q.quant.scale) s *= scale_factor;
  q.quant.zero_point = w.zero_point;
  if (w.type == kUInt8) {
    for (int32_t& z : q.quant.zero_point) z -= 128;
  }
  q.quant.axis = w.scale.size() > 1 ? ir_axis : 0;
  return q;
}

Result<QuantizedData> Importer::QuantizedBias(const Constant& b, float input_scale, const std::vector<float>& weight_scale,
                                              float scale_factor, int64_t channels) const {
  QuantizedData q;
  if (b.scale.size() != 1 && static_cast<int64_t>(b.scale.size()) != channels) {
    return Error("bias has " + std::to_string(b.scale.size()) + " scales for " + std::to_string(channels) + " channels");
  }
  for (int64_t c = 0; c < channels; ++c) {
    const float bs = b.scale[b.scale.size() == 1 ? 0 : c] * scale_factor;
    const float expected = input_scale * weight_scale[weight_scale.size() == 1 ? 0 : c];
    // Integer kernels add the bias to input x weight products directly: its
    // scale must be theirs (float rounding aside).
    if (std::fabs(bs - expected) > 1e-4f * expected) {
      return Error("bias scale " + std::to_string(bs) + " of channel " + std::to_string(c) +
                   " is not input scale x weight scale = " + std::to_string(expected));
    }
    if (b.zero_point[b.zero_point.size() == 1 ? 0 : c] != 0) return Error("bias zero point must be 0");
  }
  q.bytes.assign(b.data, b.data + b.bytes);
  q.quant.scale.resize(channels);
  for (int64_t c = 0; c < channels; ++c) q.quant.scale[c] = input_scale * weight_scale[weight_scale.size() == 1 ? 0 : c];
  if (weight_scale.size() == 1) q.quant.scale.resize(1);
  q.quant.zero_point.assign(q.quant.scale.size(), 0);
  return q;
}

Status Importer::FoldBatchNorm(const NodeProto& bn, std::vector<float>* w, std::vector<float>* b) const {
  std::vector<float> p[4];  // scale, B, mean, var
  for (size_t k = 0; k < 4; ++k) {
    const Constant* c = NodeConstant(bn, k + 1);
    QW_ONNX_ASSIGN(v, Floats(*c, "BatchNormalization parameter"));
    if (v.size() != b->size()) {
      return Error("BatchNormalization '" + bn.name + "' has " + std::to_string(v.size()) + " values per parameter for " +
                   std::to_string(b->size()) + " channels");
    }
    p[k] = std::move(v);
  }
  float eps = 1e-5f;
  if (const AttributeProto* a = bn.Attr("epsilon")) eps = a->f;
  const size_t channels = b->size(), per_channel = w->size() / channels;
  for (size_t c = 0; c < channels; ++c) {
    // y = (x - mean) * scale / sqrt(var + eps) + B, with x = w . in + b
    const float k = p[0][c] / std::sqrt(p[3][c] + eps);
    for (size_t i = 0; i < per_channel; ++i) (*w)[c * per_channel + i] *= k;
    (*b)[c] = ((*b)[c] - p[2][c]) * k + p[1][c];
  }
  return Status::Ok();
}

// Gemm and MatMul: FULLY_CONNECTED with weights [N, K].
Status Importer::ConvertGemm() {
  QW_ONNX_ASSIGN(a, ActivationInput(0));
  QW_ONNX_ASSIGN(bc, ConstantInput(1));
  const Constant* c = nullptr;
  if (HasInput(2)) {
    QW_ONNX_ASSIGN(cc, ConstantInput(2));
    c = cc;
  }
  QW_ONNX_ASSIGN(trans_a, IntAttr("transA", 0));
  QW_ONNX_ASSIGN(trans_b, IntAttr("transB", 0));
  QW_ONNX_ASSIGN(alpha, FloatAttr("alpha", 1.0f));
  QW_ONNX_ASSIGN(beta, FloatAttr("beta", 1.0f));
  if (a->shape.size() != 2 || bc->dims.size() != 2) return Error("Gemm needs a 2-D input and 2-D weights");
  if (!std::isfinite(alpha) || alpha == 0.0f || !std::isfinite(beta)) return Error("alpha must be finite and nonzero, beta finite");
  if (alpha < 0.0f && bc->quantized) return Error("a negative alpha on quantized weights is not supported");
  Value at = *a;
  if (trans_a != 0) {  // A is [K, M]: read it transposed (a TRANSPOSE only if M > 1)
    at.shape = {a->shape[1], a->shape[0]};
    at.perm = {a->perm[0] == 0 ? 1 : 0, a->perm[1] == 0 ? 1 : 0};
  }
  return FullyConnected(at, *bc, trans_b != 0, c, alpha, beta);
}

Status Importer::ConvertMatMul() {
  QW_ONNX_ASSIGN(a, ActivationInput(0));
  Result<const Constant*> b = ConstantInput(1);
  if (!b.ok()) return Error("MatMul of two computed tensors is not supported; input 1 must be a constant 2-D matrix");
  if (a->shape.size() < 2 || b.value()->dims.size() != 2) return Error("MatMul needs an input of rank >= 2 and 2-D weights");
  return FullyConnected(*a, *b.value(), false, nullptr, 1.0f, 1.0f);
}

Status Importer::FullyConnected(const Value& a, const Constant& b, bool trans_b, const Constant* c, float alpha, float beta) {
  const int64_t k = a.shape.back();
  const int64_t n = trans_b ? b.dims[0] : b.dims[1];
  if ((trans_b ? b.dims[1] : b.dims[0]) != k) {
    return Error("weights " + ShapeString(ToInt32(b.dims)) + " do not fit an input of " + std::to_string(k) + " columns");
  }
  if (c && !(c->count() == n || c->count() == 1) ) return Error("bias must hold 1 or " + std::to_string(n) + " values");
  const bool weights_q = b.quantized && Is8Bit(b) && (!c || (c->quantized && c->type == kInt32 && c->count() == n));
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({&a}, weights_q, a.shape.size() == 2, true, &int8));
  Commit(plan);
  QW_ONNX_ASSIGN(as, WithPerm(a, IdentityPerm(a.shape.size())));
  QW_ONNX_ASSIGN(in, OperandTensor(as, int8));
  const Perm perm = trans_b ? Perm{0, 1} : Perm{1, 0};  // to [N, K]
  const std::vector<int32_t> w_shape = {static_cast<int32_t>(n), static_cast<int32_t>(k)};
  const std::string wname = node().input[1];
  int32_t filter, bias_tensor = -1;
  if (int8) {
    QW_ONNX_ASSIGN(qw, QuantizedWeights(b, perm, 0, trans_b ? 0 : 1, alpha));
    filter = AddConstant(wname, DType::kInt8, w_shape, std::move(qw.bytes), qw.quant);
    if (c) {
      QW_ONNX_ASSIGN(qb, QuantizedBias(*c, TensorQuant(as.tensor).scale[0], qw.quant.scale, beta, n));
      bias_tensor = AddConstant(node().input[2], DType::kInt32, {static_cast<int32_t>(n)}, std::move(qb.bytes), qb.quant);
    }
  } else {
    QW_ONNX_ASSIGN(wf, Floats(b, "weights"));
    std::vector<float> w = PermuteData(wf, b.dims, perm);
    for (float& v : w) v *= alpha;
    std::vector<float> bias(n, 0.0f);
    if (c) {
      QW_ONNX_ASSIGN(cf, Floats(*c, "bias"));
      for (int64_t i = 0; i < n; ++i) bias[i] = beta * cf[cf.size() == 1 ? 0 : i];
    }
    if (plan.batch_norm) QW_RETURN_IF_ERROR(FoldBatchNorm(*plan.batch_norm, &w, &bias));
    filter = AddFloatConstant(wname, w_shape, w);
    if (c || plan.batch_norm) bias_tensor = AddFloatConstant(wname + "_bias", {static_cast<int32_t>(n)}, bias);
  }
  std::vector<int32_t> out_shape = a.shape;
  out_shape.back() = static_cast<int32_t>(n);
  OpAttrs attrs;
  attrs.activation = plan.act;
  QW_ONNX_ASSIGN(out, DefineOutput(plan, out_shape, IdentityPerm(out_shape.size())));
  std::vector<int32_t> inputs = {in, filter};
  if (bias_tensor >= 0) inputs.push_back(bias_tensor);
  AddNode(OpType::kFullyConnected, inputs, out, attrs);
  return Status::Ok();
}

Status Importer::ConvertBatchNorm() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  if (x->shape.size() < 2) return Error("input must have a channel axis");
  const int32_t channels = x->shape[1];
  std::vector<float> scale(channels, 1.0f), shift(channels, 0.0f);
  for (size_t k = 1; k < 5; ++k) QW_RETURN_IF_ERROR(ConstantInput(k).status());
  QW_RETURN_IF_ERROR(FoldBatchNorm(node(), &scale, &shift));
  QW_ONNX_ASSIGN(plan, PlanOutput(false, true, false));
  Commit(plan);
  OpAttrs a;
  a.activation = plan.act;
  if (x->shape.size() == 4) {
    // A 1x1 depthwise convolution (as TFLite's converter makes it): one
    // node with the ReLU after it fused, and int8 weights quantized per
    // channel, so every channel's scale is exact (a per-tensor MUL
    // constant would round small scales away).
    QW_ONNX_ASSIGN(xs, WithPerm(*x, DefaultPerm(4)));
    QW_ONNX_ASSIGN(in, FloatTensor(xs));
    const int32_t w = AddFloatConstant(node().output[0] + "_bn_scale", {1, 1, 1, channels}, scale);
    const int32_t b = AddFloatConstant(node().output[0] + "_bn_shift", {channels}, shift);
    QW_ONNX_ASSIGN(out, DefineOutput(plan, x->shape, DefaultPerm(4)));
    AddNode(OpType::kDepthwiseConv2D, {in, w, b}, out, a);
    return Status::Ok();
  }
  QW_ONNX_ASSIGN(in, FloatTensor(*x));
  // Other ranks: per-channel constants broadcast along the logical channel axis 1.
  std::vector<int32_t> cshape(x->shape.size(), 1);
  cshape[1] = channels;
  cshape = StorageShape(cshape, x->perm);
  const int32_t s = AddFloatConstant(node().output[0] + "_bn_scale", cshape, scale);
  const int32_t b = AddFloatConstant(node().output[0] + "_bn_shift", cshape, shift);
  const int32_t mid = AddTensor(node().output[0] + "_scaled", DType::kFloat32, g_->tensors[in].shape);
  AddNode(OpType::kMul, {in, s}, mid);
  QW_ONNX_ASSIGN(out, DefineOutput(plan, x->shape, x->perm));
  AddNode(OpType::kAdd, {mid, b}, out, a);
  return Status::Ok();
}

}  // namespace qwasm::onnx
