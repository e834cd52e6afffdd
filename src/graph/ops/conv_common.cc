#include "graph/ops/conv_common.h"

#include <cstdlib>
#include <cstring>

#include "graph/ops/packed_weights.h"
#include "quant/requantize.h"

namespace qwasm {

Result<ConvQuant> PrepareConvQuant(const OpContext& c, const Tensor& input,
                                   const Tensor& filter, const Tensor& output,
                                   int channel_axis, int32_t out_c) {
  ConvQuant q;
  const QuantInfo& fq = filter.quant;
  if (fq.scale.size() == 1) {
    q.filter_zero_point = fq.zero_point[0];
  } else {
    if (fq.axis != channel_axis || static_cast<int32_t>(fq.scale.size()) != out_c) {
      return c.Error("filter '" + filter.name + "' has " + std::to_string(fq.scale.size()) +
                     " scales on axis " + std::to_string(fq.axis) + ", expected " +
                     std::to_string(out_c) + " on axis " + std::to_string(channel_axis));
    }
    for (int32_t zp : fq.zero_point) {
      // Per-channel weights are symmetric in TFLite's int8 spec; kernels fold a
      // single filter zero point, so nonzero per-channel ones are rejected.
      if (zp != 0) return c.Error("per-channel filter '" + filter.name + "' has a nonzero zero point");
    }
  }
  const float in_scale = input.quant.scale[0];
  const float out_scale = output.quant.scale[0];
  q.scale.resize(out_c);
  for (int32_t oc = 0; oc < out_c; ++oc) {
    const float w_scale = fq.scale.size() == 1 ? fq.scale[0] : fq.scale[oc];
    q.scale[oc] = RequantScale(in_scale, w_scale, out_scale);
    if (!(q.scale[oc] > 0.0f) || !std::isfinite(q.scale[oc])) {
      return c.Error("requantization scale of output channel " + std::to_string(oc) +
                     " is not a positive finite float");
    }
  }
  if (IsPackedWeightDType(filter.dtype)) q.expanded = ExpandWeights(filter, c.kernels());
  q.bias.assign(out_c, 0);
  if (c.HasInput(2)) {
    const Tensor& bias = c.Input(2);
    QW_RETURN_IF_ERROR(c.RequireDType(bias, DType::kInt32, "bias"));
    QW_RETURN_IF_ERROR(c.RequireConstant(bias, "bias"));
    if (bias.num_elements() != out_c) {
      return c.Error("bias '" + bias.name + "' has shape " + ShapeString(bias.shape) +
                     ", expected " + std::to_string(out_c) + " values");
    }
    // memcpy: model buffers carry no alignment guarantee we rely on.
    std::memcpy(q.bias.data(), bias.data, sizeof(int32_t) * out_c);
    for (int32_t b : q.bias) q.max_abs_bias = std::max<int64_t>(q.max_abs_bias, std::llabs(b));
  }
  return q;
}

Status CheckFilterDType(const OpContext& c, const Tensor& filter) {
  if (IsPackedWeightDType(filter.dtype)) return Status::Ok();  // ValidateGraph checked its storage
  return c.RequireDType(filter, DType::kInt8, "filter");
}

Status CheckConvTensors(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 3, 1));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(c.Input(0), "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(c.Input(0), 4, "input"));
  QW_RETURN_IF_ERROR(CheckFilterDType(c, c.Input(1)));
  QW_RETURN_IF_ERROR(c.RequireRank(c.Input(1), 4, "filter"));
  QW_RETURN_IF_ERROR(c.RequireConstant(c.Input(1), "filter"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(c.Output(0), "output"));
  return c.RequireRank(c.Output(0), 4, "output");
}

Status ComputeWindow(const OpAttrs& a, const Tensor& input, const Tensor& output, int kernel_h, int kernel_w,
                     bool use_dilation, WindowShape* s) {
  if (a.stride_h < 1 || a.stride_w < 1 || a.stride_h > 1024 || a.stride_w > 1024) {
    return Status::Error("stride " + std::to_string(a.stride_h) + "x" + std::to_string(a.stride_w) +
                   " is out of range");
  }
  const int dh = use_dilation ? a.dilation_h : 1;
  const int dw = use_dilation ? a.dilation_w : 1;
  if (dh < 1 || dw < 1 || dh > 1024 || dw > 1024) {
    return Status::Error("dilation " + std::to_string(dh) + "x" + std::to_string(dw) + " is out of range");
  }
  s->batch = input.shape[0];
  s->in_h = input.shape[1];
  s->in_w = input.shape[2];
  s->in_c = input.shape[3];
  s->kernel_h = kernel_h;
  s->kernel_w = kernel_w;
  s->stride_h = a.stride_h;
  s->stride_w = a.stride_w;
  s->dilation_h = dh;
  s->dilation_w = dw;
  int32_t oh, ow;
  if (a.padding == Padding::kExplicit) {
    for (int32_t pad : a.pads) {
      if (pad < 0 || pad > 4096) return Status::Error("padding " + std::to_string(pad) + " is out of range");
    }
    // A window made of padding only has no defined value for pooling and
    // marks a malformed convolution: each pad must be smaller than the window.
    if (a.pads[0] >= kernel_h * dh || a.pads[2] >= kernel_h * dh || a.pads[1] >= kernel_w * dw ||
        a.pads[3] >= kernel_w * dw) {
      return Status::Error("padding is not smaller than the window");
    }
    oh = WindowOutputSize(Padding::kValid, s->in_h + a.pads[0] + a.pads[2], kernel_h, a.stride_h, dh);
    ow = WindowOutputSize(Padding::kValid, s->in_w + a.pads[1] + a.pads[3], kernel_w, a.stride_w, dw);
  } else {
    oh = WindowOutputSize(a.padding, s->in_h, kernel_h, a.stride_h, dh);
    ow = WindowOutputSize(a.padding, s->in_w, kernel_w, a.stride_w, dw);
  }
  if (oh < 1 || ow < 1) return Status::Error("the window does not fit the input " + ShapeString(input.shape));
  if (output.shape[0] != s->batch || output.shape[1] != oh || output.shape[2] != ow) {
    return Status::Error("output '" + output.name + "' has shape " + ShapeString(output.shape) +
                   ", but input " + ShapeString(input.shape) + " gives " +
                   ShapeString({s->batch, oh, ow, output.shape[3]}));
  }
  s->out_h = oh;
  s->out_w = ow;
  s->out_c = output.shape[3];
  if (a.padding == Padding::kExplicit) {
    s->pad_top = a.pads[0];
    s->pad_left = a.pads[1];
  } else {
    s->pad_top = WindowPadBefore(a.padding, s->in_h, oh, kernel_h, a.stride_h, dh);
    s->pad_left = WindowPadBefore(a.padding, s->in_w, ow, kernel_w, a.stride_w, dw);
  }
  return Status::Ok();
}

Status PrepareWindow(const OpContext& c, const Tensor& input, const Tensor& output,
                     int kernel_h, int kernel_w, bool use_dilation, WindowShape* s) {
  const Status st = ComputeWindow(c.node().attrs, input, output, kernel_h, kernel_w, use_dilation, s);
  return st.ok() ? st : c.Error(st.message());
}

Status PreparePoolWindow(const OpContext& c, WindowShape* s) {
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(output, 4, "output"));
  const OpAttrs& a = c.node().attrs;
  if (a.filter_h < 1 || a.filter_w < 1 || a.filter_h > 4096 || a.filter_w > 4096) {
    return c.Error("pooling window " + std::to_string(a.filter_h) + "x" + std::to_string(a.filter_w) +
                   " is out of range");
  }
  if (output.shape[3] != input.shape[3]) return c.Error("output channels differ from input channels");
  return PrepareWindow(c, input, output, a.filter_h, a.filter_w, false, s);
}

Result<QuantConv> PrepareQuantConv(const OpContext& c, Result<int32_t> (*output_channels)(const OpContext& c),
                                   bool depthwise) {
  QW_RETURN_IF_ERROR(CheckConvTensors(c));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  Result<int32_t> channels = output_channels(c);
  if (!channels.ok()) return channels.status();
  const int32_t out_c = channels.value();
  const int channel_axis = depthwise ? 3 : 0;
  const int64_t terms = static_cast<int64_t>(filter.shape[1]) * filter.shape[2] * (depthwise ? 1 : filter.shape[3]);
  if (output.shape[3] != out_c) {
    return c.Error("output has " + std::to_string(output.shape[3]) + " channels, filter makes " +
                   std::to_string(out_c));
  }
  QuantConv q;
  q.out_c = out_c;
  q.terms = terms;
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, filter.shape[1], filter.shape[2], true, &q.shape));
  Result<ConvQuant> quant = PrepareConvQuant(c, input, filter, output, channel_axis, out_c);
  if (!quant.ok()) return quant.status();
  q.quant = quant.take();
  QW_RETURN_IF_ERROR(c.CheckAccumulator(terms, q.quant.max_abs_bias));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  q.output = stage.value();
  return q;
}

}  // namespace qwasm
