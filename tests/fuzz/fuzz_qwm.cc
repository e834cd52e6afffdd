// fuzz_qwm.cc — libFuzzer target: .qwm bytes -> Model::Load (qwm reader with
// its section table, graph validation, memory plan). Seeds: tools/fuzz/seeds.mjs.
// The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which turns
// off only the CRC comparisons (src/format/qwm_reader.cc), so mutations reach
// the section parsers.
#include "fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qwasm::fuzz::LoadModel(data, size);
  return 0;
}
