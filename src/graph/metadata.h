// metadata.h — what a model file says about itself beyond the graph: names,
// class labels, and how to turn pixels into input values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qwasm {

// Memory layout of an image input.
enum class InputLayout : uint8_t { kUnknown, kNHWC, kNCHW };
// Channel order of an image input.
enum class ColorOrder : uint8_t { kUnknown, kRGB, kBGR, kGray };

struct ModelMetadata {
  std::string name;
  std::string description;
  std::string version;
  std::string author;
  std::string license;
  std::string producer;             // "tflite", ...
  std::vector<std::string> labels;  // one per output class, may be empty

  // How an image becomes input 0. 0 / kUnknown / empty = not stated.
  InputLayout layout = InputLayout::kUnknown;
  ColorOrder color = ColorOrder::kUnknown;
  int32_t input_height = 0, input_width = 0, input_channels = 0;
  // Central square crop of this fraction of the shorter side before the
  // resize (0.875 for the standard ImageNet evaluation).
  float crop_fraction = 0.0f;
  // Input normalisation x = (pixel - mean[c]) / std[c] in pixel units (0..255);
  // empty when unknown. One value applies to every channel.
  std::vector<float> mean;
  std::vector<float> std;
  // True when the 8-bit pixels are the quantized input values unchanged: the
  // normalisation is folded into the input quantization (uint8 TFLite image
  // models).
  bool pixels_are_input = false;

  std::vector<std::string> notes;   // non-fatal findings while reading
};

}  // namespace qwasm
