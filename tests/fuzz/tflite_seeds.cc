// tflite_seeds.cc — writes a few tiny TFLite models (tests/cpp/tflite_builder.h)
// into a directory, as seeds for fuzz_tflite. Run by tools/fuzz.sh.
#include <cstdio>
#include <string>
#include <vector>

#include "tflite_builder.h"

using namespace qwasm::testing;

static void Write(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = dir + "/" + name + ".tflite";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) { std::perror(path.c_str()); return; }
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

int main(int argc, char** argv) {
  if (argc != 2) { std::fprintf(stderr, "usage: %s DIR\n", argv[0]); return 2; }
  const std::string dir = argv[1];
  {  // int8 reshape + relu + dequantize
    TfliteBuilder b;
    const int32_t in = b.Q8("in", {1, 4, 8}, 0.1f, 0);
    const int32_t shape = b.Const<int32_t>("shape", tfl::kInt32, {2}, {4, 8});
    const int32_t flat = b.Q8("flat", {4, 8}, 0.1f, 0);
    const int32_t act = b.Q8("act", {4, 8}, 0.1f, 0);
    const int32_t out = b.F32("out", {4, 8});
    b.Op(tfl::kReshape, {in, shape}, {flat});
    b.Op(tfl::kRelu, {flat}, {act});
    b.Op(tfl::kDequantize, {act}, {out});
    Write(dir, "reshape_relu", b.Build({in}, {out}));
  }
  {  // float fully connected + softmax
    TfliteBuilder b;
    const int32_t in = b.F32("in", {1, 4});
    const int32_t w = b.Const<float>("w", tfl::kFloat32, {3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    const int32_t bias = b.Const<float>("b", tfl::kFloat32, {3}, {0.5f, -1, 2});
    const int32_t fc = b.F32("fc", {1, 3});
    const int32_t out = b.F32("out", {1, 3});
    b.Op(tfl::kFullyConnected, {in, w, bias}, {fc}, tfl::kFullyConnectedOptions,
         fbw::Table().Scalar<int8_t>(0, tfl::kActRelu));
    b.Op(tfl::kSoftmax, {fc}, {out});
    Write(dir, "fc_softmax", b.Build({in}, {out}));
  }
  {  // int8 quantize, max pool, add, mean
    TfliteBuilder b;
    const int32_t in = b.F32("in", {1, 4, 4, 2});
    const int32_t q = b.Q8("q", {1, 4, 4, 2}, 0.05f, -3);
    const int32_t pool = b.Q8("pool", {1, 2, 2, 2}, 0.05f, -3);
    const int32_t sum = b.Q8("sum", {1, 2, 2, 2}, 0.1f, 1);
    const int32_t axes = b.Const<int32_t>("axes", tfl::kInt32, {2}, {1, 2});
    const int32_t mean = b.Q8("mean", {1, 2}, 0.1f, 1);
    const int32_t out = b.F32("out", {1, 2});
    b.Op(tfl::kQuantize, {in}, {q});
    // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_w 3, filter_h 4, activation 5.
    b.Op(tfl::kMaxPool2D, {q}, {pool}, tfl::kPool2DOptions,
         fbw::Table().Scalar<int8_t>(0, tfl::kValid).Scalar<int32_t>(1, 2).Scalar<int32_t>(2, 2)
             .Scalar<int32_t>(3, 2).Scalar<int32_t>(4, 2));
    b.Op(tfl::kAdd, {pool, pool}, {sum}, tfl::kAddOptions, fbw::Table().Scalar<int8_t>(0, tfl::kNone));
    b.Op(tfl::kMean, {sum, axes}, {mean}, tfl::kReducerOptions, fbw::Table().Scalar<uint8_t>(0, 0));
    b.Op(tfl::kDequantize, {mean}, {out});
    Write(dir, "pool_add_mean", b.Build({in}, {out}));
  }
  return 0;
}
