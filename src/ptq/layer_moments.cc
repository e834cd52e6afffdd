#include "ptq/layer_moments.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "graph/ops/conv_common.h"

namespace qwasm {
namespace {

// sum += x x^T on the upper triangle (i <= j) of the K x K sum.
void AddOuter(const std::vector<double>& x, std::vector<double>* sum) {
  const size_t k = x.size();
  for (size_t i = 0; i < k; ++i) {
    const double xi = x[i];
    if (xi == 0) continue;  // padding taps and ReLU zeros add nothing
    double* row = sum->data() + i * k;
    for (size_t j = i; j < k; ++j) row[j] += xi * x[j];
  }
}

}  // namespace

void LayerMomentsCollector::AddCross(size_t group) {
  if (cross_.empty()) return;
  double* sum = cross_[group].data();
  for (size_t i = 0; i < k_; ++i) {
    const double xi = row_[i];
    if (xi == 0) continue;
    double* row = sum + i * k_;
    for (size_t j = 0; j < k_; ++j) row[j] += xi * ref_[j];
  }
  AddOuter(ref_, &ref_sums_[group]);
  for (size_t j = 0; j < k_; ++j) mean_sums_[group][j] += row_[j], ref_mean_sums_[group][j] += ref_[j];
}

void LayerMomentsCollector::AddRow() {
  AddOuter(row_, &sums_[0]);
  AddCross(0);
  ++rows_;
  if (rows_ <= keep_rows_) {
    kept_.insert(kept_.end(), row_.begin(), row_.end());
  } else if (!kept_.empty()) {
    std::vector<float>().swap(kept_);  // too many rows for the factor to pay
  }
}

Result<LayerMomentsCollector> LayerMomentsCollector::For(const Graph& g, const Node& n, size_t max_positions,
                                                        size_t max_bytes, bool paired) {
  const std::string node = "input moments of node '" + n.name + "' (" + OpTypeName(n.op) + ")";
  const std::string where = node + ": ";
  if (n.inputs.size() < 2 || n.outputs.empty()) return Status::Error(where + "needs an input, a filter and an output");
  for (int32_t id : {n.inputs[0], n.inputs[1], n.outputs[0]}) {
    if (id < 0 || static_cast<size_t>(id) >= g.tensors.size()) return Status::Error(where + "tensor index out of range");
  }
  const Tensor& input = g.tensors[n.inputs[0]];
  const Tensor& filter = g.tensors[n.inputs[1]];
  const Tensor& output = g.tensors[n.outputs[0]];
  if (input.dtype != DType::kFloat32) return Status::Error(where + "the input is not float32");
  LayerMomentsCollector c;
  c.paired_ = paired;
  c.max_positions_ = max_positions < 1 ? 1 : max_positions;
  switch (n.op) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D: {
      const bool dw = n.op == OpType::kDepthwiseConv2D;
      if (input.shape.size() != 4 || filter.shape.size() != 4 || output.shape.size() != 4) {
        return Status::Error(where + "needs rank-4 input, filter and output");
      }
      QW_RETURN_IF_ERROR(
          ComputeWindow(n.attrs, input, output, filter.shape[1], filter.shape[2], true, &c.s_).With(node));
      if (dw) {
        if (output.shape[3] != input.shape[3]) return Status::Error(where + "depthwise multiplier above 1");
        c.kind_ = Kind::kDepthwise;
        c.k_ = static_cast<size_t>(filter.shape[1]) * filter.shape[2];
        QW_RETURN_IF_ERROR(c.Allocate(static_cast<size_t>(input.shape[3]), max_bytes).With(node));
      } else {
        if (filter.shape[3] != input.shape[3]) return Status::Error(where + "grouped convolution");
        c.kind_ = Kind::kConv;
        c.k_ = static_cast<size_t>(filter.shape[1]) * filter.shape[2] * filter.shape[3];
        QW_RETURN_IF_ERROR(c.Allocate(1, max_bytes).With(node));
      }
      break;
    }
    case OpType::kFullyConnected: {
      if (filter.shape.size() != 2 || filter.shape[1] < 1) return Status::Error(where + "needs a [N, K] filter");
      c.kind_ = Kind::kFullyConnected;
      c.k_ = static_cast<size_t>(filter.shape[1]);
      const int64_t elements = input.num_elements();
      if (elements < 1 || elements % static_cast<int64_t>(c.k_) != 0) {
        return Status::Error(where + "the input does not hold whole rows of " + std::to_string(c.k_));
      }
      c.fc_rows_ = static_cast<size_t>(elements) / c.k_;
      QW_RETURN_IF_ERROR(c.Allocate(1, max_bytes).With(node));
      break;
    }
    default:
      return Status::Error(where + "not a weighted layer");
  }
  c.row_.assign(c.k_, 0.0);
  c.ref_.assign(c.k_, 0.0);
  return c;
}

Status LayerMomentsCollector::Allocate(size_t groups, size_t max_bytes) {
  const double bytes = (paired_ ? 3.0 : 1.0) * static_cast<double>(groups) * static_cast<double>(k_) *
                       static_cast<double>(k_) * sizeof(double);
  if (bytes > static_cast<double>(max_bytes)) {
    auto mb = [](double b) {
      char text[32];
      std::snprintf(text, sizeof text, "%.1f MB", b / (1 << 20));
      return std::string(text);
    };
    return Status::Error(std::to_string(groups) + " x " + std::to_string(k_) + " x " + std::to_string(k_) +
                         " moments need " + mb(bytes) + ", more than the " + mb(static_cast<double>(max_bytes)) +
                         " limit");
  }
  sums_.assign(groups, std::vector<double>(k_ * k_, 0.0));
  if (paired_) {
    cross_.assign(groups, std::vector<double>(k_ * k_, 0.0));
    ref_sums_.assign(groups, std::vector<double>(k_ * k_, 0.0));
    mean_sums_.assign(groups, std::vector<double>(k_, 0.0));
    ref_mean_sums_.assign(groups, std::vector<double>(k_, 0.0));
  }
  if (groups == 1 && k_ > 0) keep_rows_ = std::min(k_ / 4, (max_bytes - static_cast<size_t>(bytes)) / (k_ * sizeof(float)));
  return Status::Ok();
}

void LayerMomentsCollector::Add(const float* input, const float* reference) {
  const float* ref = paired_ ? (reference ? reference : input) : nullptr;
  if (kind_ == Kind::kFullyConnected) {
    const size_t step = (fc_rows_ + max_positions_ - 1) / max_positions_;
    for (size_t r = 0; r < fc_rows_; r += step) {
      for (size_t j = 0; j < k_; ++j) row_[j] = input[r * k_ + j];
      if (ref) {
        for (size_t j = 0; j < k_; ++j) ref_[j] = ref[r * k_ + j];
      }
      AddRow();
    }
    return;
  }
  const WindowShape& s = s_;
  const size_t positions = static_cast<size_t>(s.batch) * s.out_h * s.out_w;
  const size_t step = (positions + max_positions_ - 1) / max_positions_;
  const size_t channels = static_cast<size_t>(s.in_c);
  for (size_t p = 0; p < positions; p += step) {
    const int n = static_cast<int>(p / (static_cast<size_t>(s.out_h) * s.out_w));
    const int oy = static_cast<int>(p / s.out_w % s.out_h), ox = static_cast<int>(p % s.out_w);
    // The offset of each tap's input pixel, or none (padding: x = 0).
    auto tap = [&](int ky, int kx) -> ptrdiff_t {
      const int iy = oy * s.stride_h + ky * s.dilation_h - s.pad_top;
      const int ix = ox * s.stride_w + kx * s.dilation_w - s.pad_left;
      if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) return -1;
      return static_cast<ptrdiff_t>(((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * channels);
    };
    if (kind_ == Kind::kConv) {
      size_t j = 0;
      for (int ky = 0; ky < s.kernel_h; ++ky) {
        for (int kx = 0; kx < s.kernel_w; ++kx) {
          const ptrdiff_t at = tap(ky, kx);
          for (size_t ci = 0; ci < channels; ++ci, ++j) {
            row_[j] = at >= 0 ? input[at + ci] : 0.0;
            if (ref) ref_[j] = at >= 0 ? ref[at + ci] : 0.0;
          }
        }
      }
      AddRow();
      continue;
    }
    for (size_t ch = 0; ch < channels; ++ch) {  // depthwise: one moment per channel
      size_t j = 0;
      for (int ky = 0; ky < s.kernel_h; ++ky) {
        for (int kx = 0; kx < s.kernel_w; ++kx, ++j) {
          const ptrdiff_t at = tap(ky, kx);
          row_[j] = at >= 0 ? input[at + ch] : 0.0;
          if (ref) ref_[j] = at >= 0 ? ref[at + ch] : 0.0;
        }
      }
      AddOuter(row_, &sums_[ch]);
      AddCross(ch);
    }
    ++rows_;
  }
}

LayerMoments LayerMomentsCollector::Moments(size_t group, double shrink_weight) const {
  LayerMoments m;
  m.k = k_;
  m.gram.assign(k_ * k_, 0.0);
  if (rows_ == 0 || group >= sums_.size()) return m;
  if (shrink_weight > 0) {
    const double w = shrink_weight * static_cast<double>(k_);
    m.shrink = w / (static_cast<double>(rows_) + w);
  }
  // Entry (i, j) of a K x K moment: sum / rows, off the diagonal shrunk.
  auto entry = [&](size_t i, size_t j, double sum) { return (i == j ? 1.0 : 1 - m.shrink) * (sum / rows_); };
  const std::vector<double>& sum = sums_[group];
  for (size_t i = 0; i < k_; ++i) {
    for (size_t j = i; j < k_; ++j) m.gram[i * k_ + j] = m.gram[j * k_ + i] = entry(i, j, sum[i * k_ + j]);
  }
  if (kept_.size() == rows_ * k_) m.rows = kept_, m.row_count = rows_;
  if (!cross_.empty()) {
    m.cross.resize(k_ * k_);
    for (size_t i = 0; i < k_; ++i) {
      for (size_t j = 0; j < k_; ++j) m.cross[i * k_ + j] = entry(i, j, cross_[group][i * k_ + j]);
    }
    m.mean.resize(k_), m.reference_mean.resize(k_);
    for (size_t j = 0; j < k_; ++j) {
      m.mean[j] = mean_sums_[group][j] / rows_, m.reference_mean[j] = ref_mean_sums_[group][j] / rows_;
    }
    m.reference_gram.resize(k_ * k_);
    const std::vector<double>& ref = ref_sums_[group];
    for (size_t i = 0; i < k_; ++i) {
      for (size_t j = i; j < k_; ++j) {
        m.reference_gram[i * k_ + j] = m.reference_gram[j * k_ + i] = entry(i, j, ref[i * k_ + j]);
      }
    }
  }
  return m;
}

}  // namespace qwasm
