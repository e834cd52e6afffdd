#include "api/quantizer.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "quant/requantize.h"

namespace qwasm {

namespace {

double Sqnr(double signal, double noise) {
  if (noise <= 0.0) return std::numeric_limits<double>::infinity();
  if (signal <= 0.0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

// Real value of element i of tensor t as stored internally.
float RealAt(const Tensor& t, const uint8_t* data, size_t i) {
  if (t.dtype == DType::kFloat32) {
    float v;
    std::memcpy(&v, data + 4 * i, 4);
    return v;
  }
  const int32_t q = static_cast<int8_t>(data[i]);
  return t.quant.scale[0] * static_cast<float>(q - t.quant.zero_point[0]);
}

size_t ConstantBytes(const Graph& g) {
  size_t bytes = 0;
  for (const Tensor& t : g.tensors) bytes += t.is_constant() ? t.data_bytes : 0;
  return bytes;
}

}  // namespace

Result<std::unique_ptr<Quantizer>> Quantizer::Create(std::unique_ptr<Graph> float_graph, int threads,
                                                     const CalibrationOptions& calibration) {
  if (calibration.method == CalibrationMethod::kPercentile &&
      !(calibration.percentile > 0.0 && calibration.percentile <= 100.0)) {
    return Status::Error("quantize: the calibration percentile must lie in (0, 100], not " +
                         std::to_string(calibration.percentile));
  }
  if (calibration.method == CalibrationMethod::kMovingAverage &&
      !(calibration.averaging_constant > 0.0 && calibration.averaging_constant <= 1.0)) {
    return Status::Error("quantize: the moving-average constant must lie in (0, 1]");
  }
  if (calibration.bins < 16) return Status::Error("quantize: a calibration histogram needs at least 16 bins");
  InterpreterOptions o;
  o.threads = threads;
  o.share_memory = false;  // every activation is read after each run
  Result<std::unique_ptr<Model>> m = Model::FromGraph(std::move(float_graph), o);
  if (!m.ok()) return m.status();
  std::unique_ptr<Quantizer> q(new Quantizer());
  q->model_ = m.take();
  q->calibration_ = calibration;
  const Graph& g = q->model_->interpreter().graph();
  q->observers_.resize(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!g.tensors[t].is_constant() && g.tensors[t].dtype == DType::kFloat32) q->observers_[t] = MakeObserver(calibration);
  }
  return q;
}

Status Quantizer::AddImage(const ImageView& image, float crop_fraction, const PixelNorm& norm) {
  QW_RETURN_IF_ERROR(model_->SetImage(image, crop_fraction, norm));
  Observe();
  return Status::Ok();
}

Status Quantizer::AddTensor(const float* data, size_t elements) {
  const Tensor& in = model_->interpreter().input_tensor(0);
  if (Interpreter::ExternalDType(in) != DType::kFloat32) {
    return Status::Error(std::string("quantize: the model's input is ") +
                         DTypeName(Interpreter::ExternalDType(in)) + ", not float32: give images");
  }
  if (elements != static_cast<size_t>(in.num_elements())) {
    return Status::Error("quantize: a calibration tensor has " + std::to_string(elements) +
                         " values, the input " + ShapeString(in.shape) + " takes " +
                         std::to_string(in.num_elements()));
  }
  std::memcpy(model_->input_data(), data, elements * sizeof(float));
  Observe();
  return Status::Ok();
}

void Quantizer::Observe() {
  model_->Run();
  const Interpreter& it = model_->interpreter();
  const Graph& g = it.graph();
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!observers_[t]) continue;
    observers_[t]->Observe(reinterpret_cast<const float*>(it.tensor_data(static_cast<int32_t>(t))),
                           static_cast<size_t>(g.tensors[t].num_elements()));
  }
  if (kept_inputs_.size() < kSqnrSamples) {
    kept_inputs_.emplace_back(model_->input_data(), model_->input_data() + model_->input_bytes());
  }
  ++samples_;
}

std::vector<TensorRange> Quantizer::Ranges() const {
  std::vector<TensorRange> ranges(observers_.size());
  for (size_t t = 0; t < observers_.size(); ++t) {
    if (observers_[t]) ranges[t] = observers_[t]->Range();
  }
  return ranges;
}

Result<PtqResult> Quantizer::Finish(const PtqOptions& options, QuantizeReport* report) const {
  if (samples_ == 0) return Status::Error("quantize: no calibration samples");
  const Graph& fg = model_->interpreter().graph();
  Result<PtqResult> r = QuantizeGraph(fg, Ranges(), options);
  if (!r.ok()) return r.status();
  PtqResult& res = r.value();

  // Run the int8 graph beside the float one on the kept samples.
  InterpreterOptions o;
  o.share_memory = false;
  Result<std::unique_ptr<Interpreter>> qi = Interpreter::Create(CloneGraph(*res.graph), o);
  if (!qi.ok()) return Status::Error("quantize: the quantized graph does not run: " + qi.status().message());
  Interpreter& q = *qi.value();
  const Tensor& fin = fg.tensors[fg.inputs[0]];
  const Tensor& qin = q.input_tensor(0);
  std::vector<double> signal(fg.tensors.size(), 0.0), noise(fg.tensors.size(), 0.0);
  for (const std::vector<uint8_t>& sample : kept_inputs_) {
    std::memcpy(model_->input_data(), sample.data(), sample.size());
    model_->Run();
    uint8_t* dst = q.input_buffer(0);
    const DType qext = Interpreter::ExternalDType(qin);
    if (qext == Interpreter::ExternalDType(fin)) {
      std::memcpy(dst, sample.data(), sample.size());
    } else if (fin.dtype == DType::kFloat32 && qext == DType::kInt8) {
      const float* x = reinterpret_cast<const float*>(sample.data());
      for (int64_t i = 0; i < qin.num_elements(); ++i) {
        dst[i] = static_cast<uint8_t>(RoundToQuant(x[i] / qin.quant.scale[0], qin.quant.zero_point[0], -128, 127));
      }
    } else {
      return Status::Error("quantize: cannot feed the quantized graph's input");
    }
    q.Invoke();
    for (size_t t = 0; t < fg.tensors.size(); ++t) {
      const int32_t m = res.tensor_map[t];
      const Tensor& ft = fg.tensors[t];
      if (m < 0 || ft.is_constant() || ft.dtype != DType::kFloat32) continue;
      const Tensor& qt = q.graph().tensors[m];
      const uint8_t* fd = model_->interpreter().tensor_data(static_cast<int32_t>(t));
      const uint8_t* qd = q.tensor_data(m);
      for (int64_t i = 0; i < ft.num_elements(); ++i) {
        const double x = RealAt(ft, fd, i), y = RealAt(qt, qd, i);
        signal[t] += x * x;
        noise[t] += (x - y) * (x - y);
      }
    }
  }
  if (report) {
    report->calibration = CalibrationMethodName(calibration_.method);
    report->samples = samples_;
    report->sqnr_samples = kept_inputs_.size();
    report->layers.clear();
    for (const PtqLayer& l : res.layers) {
      const int32_t out = fg.nodes[l.node].outputs[0];
      report->layers.push_back({l, Sqnr(signal[out], noise[out])});
    }
    const int32_t out = fg.outputs[0];
    report->output_sqnr_db = Sqnr(signal[out], noise[out]);
    report->float_weight_bytes = ConstantBytes(fg);
    report->quant_weight_bytes = ConstantBytes(*res.graph);
  }
  return r;
}

}  // namespace qwasm
