// model.h — the C++ face of a loaded classifier, used by the bindings and by
// native tools and tests: load bytes, write an image or a raw tensor into
// the input, run, read the output as raw bytes or as float scores.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/interpreter.h"
#include "image/preprocess.h"

namespace qwasm {

struct InputInfo {
  int batch = 1, height = 0, width = 0, channels = 0;
  DType dtype = DType::kUInt8;  // model-facing type
  float scale = 0.0f;           // 0 when not quantized
  int32_t zero_point = 0;       // model-facing zero point
};

// How 8-bit pixels p become the model's input values:
//   uint8 input: q = p. TFLite image classifiers fold the normalisation into
//     the input quantization (TFLite's Task Library feeds raw pixels too);
//   int8 input: q = quantize((p - mean) / std) when the normalisation is
//     known (model metadata or the caller), else q = p - 128;
//   float32 input: x = (p - mean) / std per channel (default 127.5 / 127.5,
//     i.e. [-1, 1]).
struct PixelNorm {
  bool known = false;  // from metadata or the caller
  float mean[3] = {127.5f, 127.5f, 127.5f};
  float std[3] = {127.5f, 127.5f, 127.5f};
};

// An image as a caller hands it over (the JS API, through src/bindings): its
// pixels, and a crop and a normalisation that replace the model's own when
// given.
struct ImageInput {
  ImageView image;
  std::optional<float> crop_fraction;  // else Model::default_crop()
  std::optional<PixelNorm> norm;       // else Model::default_norm()
};

// The view of width x height x channels pixels packed in `bytes` (rows
// width x channels bytes apart); an error when `bytes` holds too few.
Result<ImageView> PackedPixels(const std::vector<uint8_t>& bytes, int width, int height, int channels);

// Metadata a caller writes over a model file's own (convert(), quantize()):
// the fields given replace the file's, the others stay.
struct MetadataOverrides {
  std::optional<std::string> name, description, version, author, license;
  std::optional<std::vector<std::string>> labels;
  std::optional<std::vector<float>> mean, std;
  std::optional<float> crop_fraction;
  std::optional<ColorOrder> color;
};
void ApplyMetadata(const MetadataOverrides& overrides, ModelMetadata* metadata);

// "RGB", "BGR", "gray"; "" for kUnknown.
const char* ColorOrderName(ColorOrder color);
// The inverse for the three known orders; anything else is an error naming them.
Result<ColorOrder> ParseColorOrder(const std::string& name);

// Model file formats, told apart by their first bytes.
enum class ModelFormat { kUnknown, kQwm, kTFLite, kOnnx };
ModelFormat DetectModelFormat(const uint8_t* data, size_t size);

// Reads a .qwm or TFLite file into a graph (not yet
// validated: Interpreter::Create does that).
Result<std::unique_ptr<Graph>> ReadModelGraph(std::shared_ptr<const std::vector<uint8_t>> bytes);
// ReadModelGraph, plus ONNX (the converter's and quantizer's reader; it is
// not linked into the runtime module).
Result<std::unique_ptr<Graph>> ReadAnyModel(std::shared_ptr<const std::vector<uint8_t>> bytes);

class Model {
 public:
  // Reads a model file (.qwm or TFLite) and prepares it for inference.
  static Result<std::unique_ptr<Model>> Load(std::vector<uint8_t> bytes,
                                             const InterpreterOptions& options = {});
  // A classifier over a graph built in memory (e.g. by the quantizer).
  static Result<std::unique_ptr<Model>> FromGraph(std::unique_ptr<Graph> graph,
                                                  const InterpreterOptions& options = {});

  const InputInfo& input() const { return input_; }
  const ModelMetadata& metadata() const { return interp_->graph().metadata; }
  // The model's own normalisation (metadata) or the default.
  const PixelNorm& default_norm() const { return default_norm_; }
  size_t output_size() const;  // elements of output 0
  const Interpreter& interpreter() const { return *interp_; }
  Interpreter& interpreter_mut() { return *interp_; }

  // Raw input tensor 0, in the model-facing dtype.
  uint8_t* input_data() { return interp_->input_buffer(0); }
  size_t input_bytes() const { return interp_->input_bytes(0); }

  // Crops, resizes and writes an image into input 0.
  Status SetImage(const ImageView& image, float crop_fraction, const PixelNorm& norm);
  // The same with the image's crop and normalisation, or the model's own.
  Status SetImage(const ImageInput& in) {
    return SetImage(in.image, in.crop_fraction.value_or(default_crop()), in.norm.value_or(default_norm()));
  }
  // The central crop the model file asks for, else ImageNet's 0.875.
  float default_crop() const {
    const float c = metadata().crop_fraction;
    return c > 0.0f && c <= 1.0f ? c : 0.875f;
  }
  void Run() { interp_->Invoke(); }

  const uint8_t* output_data() const { return interp_->output_buffer(0); }
  size_t output_bytes() const { return interp_->output_bytes(0); }
  // Output 0 as real values (dequantized when quantized).
  std::vector<float> OutputScores() const;

 private:
  std::unique_ptr<Interpreter> interp_;
  InputInfo input_;
  PixelNorm default_norm_;
};

}  // namespace qwasm
