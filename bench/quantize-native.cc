// quantize-native.cc — quantize() natively, timed, on the ImageNet sample
// (issue 17's protocol): a float ONNX model calibrated on photos 0..99 of
// ../shared/imagenet-sample, top-1 and agreement with the float model on
// photos 100..499, output SQNR from the quantize report (on the first 16
// calibration photos) and held out (on the scores of photos 100..499). The
// native figure the page's quantize() time is compared with (learned
// rounding: <= 10 minutes natively, the page <= 3x that). reference=MODEL
// judges another quantized model alike: the model's original int8 version.
//
// Build (after `bash tools/build.sh native`; stb_image.h decodes the JPEGs):
//   g++ -O2 -std=c++17 -Isrc -I/usr/share/emscripten/third_party bench/quantize-native.cc \
//       build/native/libqwasm_core.a build/native/libqwasm_ref.a -lpthread -o build/native/quantize-native
// Run:
//   build/native/quantize-native ../shared/models/onnx/tf2_mobilenet_v2_1.0_224_ptq.fp32.onnx \
//       weights=int4 rounding=learned equalize=1 bias_correction=1 [iterations=1000] [budget=SECONDS]
//       [layer.DEPTHWISE_CONV_2D=int8] [node.NAME=int8] [layers=1] [reference=ORIGINAL.qdq.onnx]
//       [judge=100:500] [tensors=1] [calibration=minmax|mse|kl|percentile|output] [shared=../shared]
// Single-threaded, like the tools module. Prints the result line; how much
// of the held-out noise the 5 worst photos make; the SQNR ceilings the
// output's own int8 grid sets, alone and with the logits' (the SOFTMAX
// input's) grid; and with a reference, its line. layers=1 adds per-layer
// rounding figures on stderr; judge=A:B judges photos A..B-1 instead (0:16:
// the calibration photos the report's SQNR uses); tensors=1 prints the last
// operators' output grids.
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "api/model.h"
#include "ptq/quantizer.h"
#include "quant/requantize.h"

using namespace qwasm;

namespace {

struct Photo {
  std::vector<uint8_t> px;
  int w = 0, h = 0, label = 0;
};

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: quantize-native model.onnx [key=value ...]\n");
    return 2;
  }
  std::map<std::string, std::string> arg;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "argument '%s' is not key=value\n", argv[i]);
      return 2;
    }
    arg[a.substr(0, eq)] = a.substr(eq + 1);
  }
  auto get = [&](const std::string& k, const std::string& d) { return arg.count(k) ? arg[k] : d; };
  const std::string shared = get("shared", "../shared");
  // judge=FIRST:END: the photos judged (100:500 by default: held out).
  const std::string judge = get("judge", "100:500");
  const int judge_first = std::atoi(judge.c_str()), judge_end = std::atoi(judge.substr(judge.find(':') + 1).c_str());
  if (judge.find(':') == std::string::npos || judge_first < 0 || judge_end > 500 || judge_first >= judge_end) {
    std::fprintf(stderr, "judge=%s: expected FIRST:END within 0:500\n", judge.c_str());
    return 2;
  }
  const double percent = (judge_end - judge_first) / 100.0;

  std::ifstream f(argv[1], std::ios::binary);
  auto bytes = std::make_shared<const std::vector<uint8_t>>(std::istreambuf_iterator<char>(f),
                                                            std::istreambuf_iterator<char>());
  std::ifstream csv(shared + "/imagenet-sample/labels.csv");
  std::vector<Photo> photos;
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line) && photos.size() < 500) {
    const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    const std::string path = shared + "/imagenet-sample/" + line.substr(0, c1);
    Photo p;
    int ch = 0;
    uint8_t* px = stbi_load(path.c_str(), &p.w, &p.h, &ch, 3);
    if (!px) {
      std::fprintf(stderr, "cannot decode %s\n", path.c_str());
      return 1;
    }
    p.px.assign(px, px + static_cast<size_t>(p.w) * p.h * 3);
    stbi_image_free(px);
    p.label = std::atoi(line.substr(c1 + 1, c2 - c1 - 1).c_str()) + 1;  // 1001-way: 0 = background
    photos.push_back(std::move(p));
  }
  if (photos.size() < 500) {
    std::fprintf(stderr, "need 500 photos, read %zu\n", photos.size());
    return 1;
  }

  QuantizeOptions o;
  o.weights = get("weights", "int8");
  o.rounding = get("rounding", "nearest");
  o.rounding_iterations = std::atoi(get("iterations", "1000").c_str());
  o.rounding_time_budget = std::atof(get("budget", "0").c_str());
  o.equalize = get("equalize", "0") == "1";
  o.bias_correction = get("bias_correction", "0") == "1";
  o.per_channel = get("per_channel", "1") == "1";
  o.calibration = get("calibration", "minmax");
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Quantizer>> qr = Quantizer::Start(bytes, o);
  if (!qr.ok()) {
    std::fprintf(stderr, "%s\n", qr.status().message().c_str());
    return 1;
  }
  Quantizer& q = *qr.value();
  // layer.OP=format: every layer of that operator in that format.
  for (const auto& [k, v] : arg) {
    if (k.rfind("node.", 0) == 0) o.layer_weights.emplace_back(k.substr(5), v);  // node.NAME=format
    if (k.rfind("layer.", 0) != 0) continue;
    for (const Node& n : q.model().interpreter().graph().nodes) {
      if (OpTypeName(n.op) == k.substr(6)) o.layer_weights.emplace_back(n.name, v);
    }
  }
  const PixelNorm norm = q.model().default_norm();
  for (int i = 0; i < 100; ++i) {
    const ImageView v{photos[i].px.data(), photos[i].w, photos[i].h, 3, static_cast<size_t>(photos[i].w) * 3};
    const Status st = q.AddImage(v, 0.875f, norm, photos[i].label);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  const double calibration_s = Since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  Result<QuantizeOutput> out = q.Quantize(o);
  if (!out.ok()) {
    std::fprintf(stderr, "%s\n", out.status().message().c_str());
    return 1;
  }
  const double finish_s = Since(t1);
  double rounding_s = 0;
  for (const LayerReport& l : out.value().report.layers) {
    rounding_s += l.layer.rounding.seconds;
    if (get("layers", "0") == "1" && l.layer.rounding.seconds > 0) {
      std::fprintf(stderr, "  %-40s %6zu weights  %6.2f -> %6.2f dB  %7.2f s\n", l.layer.name.c_str(),
                   l.layer.rounding.weights, l.layer.rounding.nearest_sqnr_db, l.layer.rounding.learned_sqnr_db,
                   l.layer.rounding.seconds);
    }
  }

  InterpreterOptions io;
  io.threads = 2;
  Result<std::unique_ptr<Model>> qm = Model::Load(out.value().qwm, io);
  Result<std::unique_ptr<Graph>> fg = ReadAnyModel(bytes);
  if (!qm.ok() || !fg.ok()) {
    std::fprintf(stderr, "cannot load the models\n");
    return 1;
  }
  Result<std::unique_ptr<Model>> fm = Model::FromGraph(fg.take(), io);
  if (!fm.ok()) return 1;
  // reference=MODEL: another quantized model (the original int8, say), judged alike.
  std::unique_ptr<Model> ref;
  if (!get("reference", "").empty()) {
    std::ifstream rf(get("reference", ""), std::ios::binary);
    auto rb = std::make_shared<std::vector<uint8_t>>(std::istreambuf_iterator<char>(rf), std::istreambuf_iterator<char>());
    Result<std::unique_ptr<Graph>> rg = ReadAnyModel(rb);
    if (!rg.ok()) {
      std::fprintf(stderr, "reference: %s\n", rg.status().message().c_str());
      return 1;
    }
    Result<std::unique_ptr<Model>> rm = Model::FromGraph(rg.take(), io);
    if (!rm.ok()) return 1;
    ref = rm.take();
  }
  int ref_right = 0, ref_agree = 0;
  double ref_noise = 0;
  int float_right = 0, quant_right = 0, agree = 0;
  double signal = 0, noise = 0;  // held-out output SQNR, on the scores
  std::vector<double> per_sample_noise;  // how few photos the noise comes from
  // The output's own grid caps the SQNR: the float scores rounded to the
  // quantized output's scale and zero point, nothing else quantized.
  const Tensor& qout = qm.value()->interpreter().output_tensor(0);
  const bool grid = qout.quant.quantized();
  const float grid_scale = grid ? qout.quant.scale[0] : 1.0f;
  const int32_t grid_zp = grid ? qout.quant.zero_point[0] : 0;
  const int32_t grid_lo = qout.dtype == DType::kInt8 ? -128 : 0, grid_hi = qout.dtype == DType::kInt8 ? 127 : 255;
  double grid_noise = 0;
  // And with the logits (the SOFTMAX's input) on the quantized model's grid too.
  double logit_noise = 0;
  const Graph& qg = qm.value()->interpreter().graph();
  const Graph& fgr = fm.value()->interpreter().graph();
  const bool softmax_tail = qg.nodes.back().op == OpType::kSoftmax && fgr.nodes.back().op == OpType::kSoftmax;
  const Tensor* qlogits = softmax_tail ? &qg.tensors[qg.nodes.back().inputs[0]] : nullptr;
  const int32_t flogits = softmax_tail ? fgr.nodes.back().inputs[0] : -1;
  for (int i = judge_first; i < judge_end; ++i) {
    const ImageView v{photos[i].px.data(), photos[i].w, photos[i].h, 3, static_cast<size_t>(photos[i].w) * 3};
    int top[2];
    Model* models[2] = {fm.value().get(), qm.value().get()};
    for (int k = 0; k < 2; ++k) {
      (void)models[k]->SetImage(v, 0.875f, norm);
      models[k]->Run();
      const std::vector<float> s = models[k]->OutputScores();
      top[k] = static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
    }
    {
      const std::vector<float> a = fm.value()->OutputScores(), b = qm.value()->OutputScores();
      double sample_noise = 0;
      for (size_t j = 0; j < a.size(); ++j) {
        signal += double{a[j]} * a[j], sample_noise += (double{a[j]} - b[j]) * (a[j] - b[j]);
      }
      noise += sample_noise;
      per_sample_noise.push_back(sample_noise);
      for (size_t j = 0; grid && j < a.size(); ++j) {
        const int32_t q = RoundToQuant(a[j] / grid_scale, grid_zp, grid_lo, grid_hi);
        const double e = double{a[j]} - grid_scale * (q - grid_zp);
        grid_noise += e * e;
      }
      if (softmax_tail && qlogits->quant.quantized()) {
        const float* l = reinterpret_cast<const float*>(fm.value()->interpreter().tensor_data(flogits));
        const float ls = qlogits->quant.scale[0];
        const int32_t lz = qlogits->quant.zero_point[0];
        std::vector<double> p(a.size());
        double top = -1e30, z = 0;
        for (size_t j = 0; j < a.size(); ++j) {
          p[j] = ls * (RoundToQuant(l[j] / ls, lz, -128, 127) - lz);
          top = std::max(top, p[j]);
        }
        for (double& v : p) z += (v = std::exp(v - top));
        for (size_t j = 0; j < a.size(); ++j) {
          const int32_t q = RoundToQuant(static_cast<float>(p[j] / z / grid_scale), grid_zp, grid_lo, grid_hi);
          const double e = double{a[j]} - grid_scale * (q - grid_zp);
          logit_noise += e * e;
        }
      }
    }
    if (ref) {
      (void)ref->SetImage(v, 0.875f, norm);
      ref->Run();
      const std::vector<float> a = fm.value()->OutputScores(), b = ref->OutputScores();
      for (size_t j = 0; j < a.size(); ++j) ref_noise += (double{a[j]} - b[j]) * (a[j] - b[j]);
      const int t = static_cast<int>(std::max_element(b.begin(), b.end()) - b.begin());
      ref_right += t == photos[i].label, ref_agree += t == top[0];
    }
    float_right += top[0] == photos[i].label;
    quant_right += top[1] == photos[i].label;
    agree += top[0] == top[1];
  }
  std::string what;
  for (int i = 2; i < argc; ++i) what += std::string(i > 2 ? " " : "") + argv[i];
  std::printf("%s: FP32 top-1 %.2f%%, quantized %.2f%%, agree %.2f%%, output SQNR %.2f dB (held out %.2f dB); "
              "calibration %.1f s, quantize %.1f s (learned rounding %.1f s)\n",
              what.c_str(), float_right / percent, quant_right / percent, agree / percent, out.value().report.output_sqnr_db,
              10 * std::log10(signal / noise),
              calibration_s, finish_s, rounding_s);
  {
    std::sort(per_sample_noise.begin(), per_sample_noise.end(), std::greater<double>());
    double top = 0;
    for (size_t i = 0; i < 5 && i < per_sample_noise.size(); ++i) top += per_sample_noise[i];
    std::printf("held-out noise: %.0f%% from the 5 worst of %zu photos; without them %.2f dB\n", 100 * top / noise,
                per_sample_noise.size(), 10 * std::log10(signal / (noise - top)));
  }
  if (get("tensors", "0") == "1") {  // the last ops' output grids
    const Graph& g = qm.value()->interpreter().graph();
    for (size_t i = g.nodes.size() >= 4 ? g.nodes.size() - 4 : 0; i < g.nodes.size(); ++i) {
      const Tensor& t = g.tensors[g.nodes[i].outputs[0]];
      std::printf("  %s %s: scale %g zero point %d\n", OpTypeName(g.nodes[i].op), t.name.c_str(),
                  t.quant.quantized() ? t.quant.scale[0] : 0.0f, t.quant.quantized() ? t.quant.zero_point[0] : 0);
    }
  }
  if (grid) {
    std::printf("output grid alone (scale %g, zero point %d): held-out SQNR %.2f dB\n", grid_scale, grid_zp,
                10 * std::log10(signal / grid_noise));
    if (logit_noise > 0) {
      std::printf("logits and output grids alone: held-out SQNR %.2f dB\n", 10 * std::log10(signal / logit_noise));
    }
  }
  if (ref) {
    std::printf("reference: top-1 %.2f%%, agree %.2f%%, held-out output SQNR %.2f dB\n", ref_right / percent,
                ref_agree / percent, 10 * std::log10(signal / ref_noise));
  }
  return 0;
}
