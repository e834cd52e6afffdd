// fuzz_tflite.cc — libFuzzer target: TFLite bytes -> Model::Load (TFLite
// reader, graph validation, memory plan). Seeds: tools/fuzz/seeds.mjs.
#include "fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qwasm::fuzz::LoadModel(data, size);
  return 0;
}
