// metadata.h — what a model file says about itself beyond the graph: names,
// class labels, and how to turn pixels into input values.
#pragma once

#include <string>
#include <vector>

namespace qwasm {

struct ModelMetadata {
  std::string name;
  std::string description;
  std::string version;
  std::string author;
  std::string license;
  std::string producer;             // "tflite", ...
  std::vector<std::string> labels;  // one per output class, may be empty
  // Input normalisation x = (pixel - mean[c]) / std[c]; empty when unknown.
  std::vector<float> mean;
  std::vector<float> std;
  std::vector<std::string> notes;   // non-fatal findings while reading
};

}  // namespace qwasm
