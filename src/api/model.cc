#include "api/model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <cstring>

#include "format/qwm_format.h"
#include "format/qwm_reader.h"
#include "import/onnx/onnx_reader.h"
#include "import/tflite_reader.h"
#include "quant/requantize.h"

namespace qwasm {

ModelFormat DetectModelFormat(const uint8_t* data, size_t size) {
  if (qwm::LooksLikeQwm(data, size)) return ModelFormat::kQwm;
  // "TFL3" at offset 4; a TFLite file with appended metadata (zip) too.
  if (tflite::LooksLikeTFLite(data, size)) return ModelFormat::kTFLite;
  // An ONNX ModelProto has no magic: tried last, by a cheap protobuf sniff.
  if (onnx::LooksLikeOnnx(data, size)) return ModelFormat::kOnnx;
  return ModelFormat::kUnknown;
}

Result<std::unique_ptr<Graph>> ReadModelGraph(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (!bytes) return Status::Error("no model bytes");
  switch (DetectModelFormat(bytes->data(), bytes->size())) {
    case ModelFormat::kQwm: {
      Result<Graph> graph = ReadQwm(bytes);
      if (!graph.ok()) return graph.status();
      return std::make_unique<Graph>(graph.take());
    }
    case ModelFormat::kTFLite:
      return tflite::ReadModel(bytes);
    case ModelFormat::kOnnx:
      // Kept out of the runtime module (size): ReadAnyModel reads it.
      return Status::Error("an ONNX model: the runtime reads .qwm and TFLite files; convert it first "
                           "(convert() in JavaScript, tools/convert.mjs)");
    case ModelFormat::kUnknown:
      break;
  }
  std::string first = bytes->empty() ? "the file is empty" : "first bytes:";
  for (size_t i = 0; i < std::min<size_t>(bytes->size(), 8); ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, " %02x", (*bytes)[i]);
    first += hex;
  }
  return Status::Error("unrecognised model format: not a qwasm (.qwm), TFLite or ONNX model (" + first + ")");
}

Result<ImageView> PackedPixels(const std::vector<uint8_t>& bytes, int width, int height, int channels) {
  const size_t stride = width > 0 && channels > 0 ? static_cast<size_t>(width) * static_cast<size_t>(channels) : 0;
  if (stride == 0 || height <= 0 || bytes.size() < stride * static_cast<size_t>(height)) {
    return Status::Error("pixel buffer holds " + std::to_string(bytes.size()) + " bytes, too few for " +
                         std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels));
  }
  ImageView view;
  view.pixels = bytes.data();
  view.width = width;
  view.height = height;
  view.channels = channels;
  view.stride = stride;
  return view;
}

void ApplyMetadata(const MetadataOverrides& o, ModelMetadata* m) {
  if (o.name) m->name = *o.name;
  if (o.description) m->description = *o.description;
  if (o.version) m->version = *o.version;
  if (o.author) m->author = *o.author;
  if (o.license) m->license = *o.license;
  if (o.labels) m->labels = *o.labels;
  if (o.mean) m->mean = *o.mean;
  if (o.std) m->std = *o.std;
  if (o.crop_fraction) m->crop_fraction = *o.crop_fraction;
  if (o.color) m->color = *o.color;
}

namespace {
constexpr const char* kColorNames[] = {"", "RGB", "BGR", "gray"};  // indexed by ColorOrder
}  // namespace

const char* ColorOrderName(ColorOrder color) { return kColorNames[static_cast<int>(color)]; }

Result<ColorOrder> ParseColorOrder(const std::string& name) {
  for (ColorOrder c : {ColorOrder::kRGB, ColorOrder::kBGR, ColorOrder::kGray}) {
    if (name == ColorOrderName(c)) return c;
  }
  return Status::Error("unknown colour order '" + name + "' (valid: RGB, BGR, gray)");
}

Result<std::unique_ptr<Model>> Model::Load(std::vector<uint8_t> bytes,
                                           const InterpreterOptions& options) {
  Result<std::unique_ptr<Graph>> graph =
      ReadModelGraph(std::make_shared<const std::vector<uint8_t>>(std::move(bytes)));
  if (!graph.ok()) return graph.status();
  return FromGraph(graph.take(), options);
}

Result<std::unique_ptr<Model>> Model::FromGraph(std::unique_ptr<Graph> graph,
                                                const InterpreterOptions& options) {
  Result<std::unique_ptr<Interpreter>> interp = Interpreter::Create(std::move(graph), options);
  if (!interp.ok()) return interp.status();
  std::unique_ptr<Model> m(new Model());
  m->interp_ = interp.take();
  if (m->interp_->num_inputs() != 1 || m->interp_->num_outputs() < 1) {
    return Status::Error("a classifier needs exactly one input and at least one output");
  }
  const Tensor& in = m->interp_->input_tensor(0);
  if (in.shape.size() != 4 || (in.shape[3] != 1 && in.shape[3] != 3)) {
    return Status::Error("input '" + in.name + "' is not an image tensor [N, H, W, 1 or 3]");
  }
  InputInfo& info = m->input_;
  info.batch = in.shape[0];
  info.height = in.shape[1];
  info.width = in.shape[2];
  info.channels = in.shape[3];
  info.dtype = Interpreter::ExternalDType(in);
  if (info.dtype != DType::kUInt8 && info.dtype != DType::kInt8 && info.dtype != DType::kFloat32) {
    return Status::Error(std::string("input type ") + DTypeName(info.dtype) + " is not supported for images");
  }
  if (in.quant.quantized()) {
    info.scale = in.quant.scale[0];
    info.zero_point = Interpreter::ExternalZeroPoint(in);
  }
  const DType out_type = Interpreter::ExternalDType(m->interp_->output_tensor(0));
  if (out_type != DType::kUInt8 && out_type != DType::kInt8 && out_type != DType::kFloat32) {
    return Status::Error(std::string("output type ") + DTypeName(out_type) + " is not supported");
  }
  const ModelMetadata& meta = m->metadata();
  if (!meta.mean.empty()) {
    m->default_norm_.known = true;
    for (int c = 0; c < 3; ++c) {
      m->default_norm_.mean[c] = meta.mean[std::min<size_t>(c, meta.mean.size() - 1)];
      m->default_norm_.std[c] = meta.std[std::min<size_t>(c, meta.std.size() - 1)];
    }
  }
  return m;
}

size_t Model::output_size() const { return static_cast<size_t>(interp_->output_tensor(0).num_elements()); }

Status Model::SetImage(const ImageView& image, float crop_fraction, const PixelNorm& norm) {
  ResizeSpec spec;
  spec.out_width = input_.width;
  spec.out_height = input_.height;
  spec.out_channels = input_.channels;
  spec.crop_fraction = crop_fraction;
  // The resized picture lives only for this call (a model that declares a
  // huge input keeps no copy of it between calls, and loads without one).
  const size_t pixels_per_image = static_cast<size_t>(input_.height) * input_.width * input_.channels;
  std::unique_ptr<uint8_t, void (*)(void*)> scratch(static_cast<uint8_t*>(std::malloc(pixels_per_image)), std::free);
  if (!scratch) {
    return Status::Error("the model's input needs " + std::to_string((pixels_per_image + (1u << 19)) >> 20) +
                         " MB for the resized image, more than the memory has free");
  }
  const uint8_t* pixels = scratch.get();
  QW_RETURN_IF_ERROR(CropResizeBilinear(image, spec, scratch.get()));
  uint8_t* dst = input_data();
  // Every image of a batch gets the same picture (classifiers here use N = 1).
  for (int b = 0; b < input_.batch; ++b) {
    const size_t base = b * pixels_per_image;
    switch (input_.dtype) {
      case DType::kUInt8:
        std::memcpy(dst + base, pixels, pixels_per_image);
        break;
      case DType::kInt8:
        if (!norm.known || input_.scale == 0.0f) {
          for (size_t i = 0; i < pixels_per_image; ++i) dst[base + i] = pixels[i] ^ 0x80;
          break;
        }
        for (size_t i = 0; i < pixels_per_image; ++i) {
          const int c = static_cast<int>(i % input_.channels);
          const float x = (static_cast<float>(pixels[i]) - norm.mean[c]) / norm.std[c];
          dst[base + i] = static_cast<uint8_t>(RoundToQuant(x / input_.scale, input_.zero_point, -128, 127));
        }
        break;
      case DType::kFloat32: {
        float* f = reinterpret_cast<float*>(dst) + base;
        for (size_t i = 0; i < pixels_per_image; ++i) {
          const int c = static_cast<int>(i % input_.channels);
          f[i] = (static_cast<float>(pixels[i]) - norm.mean[c]) / norm.std[c];
        }
        break;
      }
      default: break;
    }
  }
  return Status::Ok();
}

std::vector<float> Model::OutputScores() const {
  const Tensor& t = interp_->output_tensor(0);
  const size_t n = output_size();
  std::vector<float> out(n);
  const uint8_t* raw = output_data();
  const DType ext = Interpreter::ExternalDType(t);
  if (ext == DType::kFloat32) {
    std::memcpy(out.data(), raw, n * sizeof(float));
    return out;
  }
  const float scale = t.quant.quantized() ? t.quant.scale[0] : 1.0f;
  const int32_t zp = t.quant.quantized() ? Interpreter::ExternalZeroPoint(t) : 0;
  for (size_t i = 0; i < n; ++i) {
    const int32_t q = ext == DType::kUInt8 ? raw[i] : static_cast<int8_t>(raw[i]);
    out[i] = scale * static_cast<float>(q - zp);
  }
  return out;
}

}  // namespace qwasm
