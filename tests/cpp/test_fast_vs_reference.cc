// The optimised kernels change no byte: each real MobileNet runs with the
// SIMD kernels (1 and 2 threads) and with the scalar reference kernels on
// real photos and on extreme tensors, and EVERY activation tensor, not just
// the outputs, must be identical.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "api/model.h"
#include "graph/ops/conv_common.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

std::unique_ptr<Model> LoadModel(const std::string& name, int threads, bool reference,
                                 const KernelConfig* kernels = nullptr) {
  InterpreterOptions o;
  o.threads = threads;
  o.kernels = reference ? &ReferenceKernels() : kernels;
  o.share_memory = false;
  Result<std::unique_ptr<Model>> m = Model::Load(ReadFile(SharedPath("models/" + name)), o);
  REQUIRE_MESSAGE(m.ok(), m.status().message());
  return m.take();
}

}  // namespace

TEST_CASE("SIMD kernels equal the reference kernels on every tensor of the real models") {
  const char* const models[] = {
      "mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.5_160_quant.tflite",
      "mobilenet_v1_0.75_192_quant.tflite", "mobilenet_v2_1.0_224_quant.tflite",
      "tf2_mobilenet_v2_1.0_224_ptq.tflite"};
  Image cat;
  REQUIRE(DecodeBmp(ReadFile(SharedPath("images/cat.bmp")), &cat));
  for (const char* name : models) {
    CAPTURE(name);
    std::unique_ptr<Model> ref = LoadModel(name, 1, true);
    std::unique_ptr<Model> fast1 = LoadModel(name, 1, false);
    std::unique_ptr<Model> fast2 = LoadModel(name, 2, false);
    const size_t in_bytes = ref->input_bytes();
    // Inputs: a real photo; the extremes of uint8 and int8 (0x00, 0xFF;
    // 0x80, 0x7F); uniform noise.
    std::vector<std::vector<uint8_t>> inputs(6, std::vector<uint8_t>(in_bytes));
    ImageView v{cat.rgb.data(), cat.width, cat.height, 3, static_cast<size_t>(cat.width) * 3};
    REQUIRE(ref->SetImage(v, 0.875f, PixelNorm()).ok());
    std::copy(ref->input_data(), ref->input_data() + in_bytes, inputs[0].begin());
    const uint8_t fills[] = {0x00, 0xFF, 0x80, 0x7F};
    for (int f = 0; f < 4; ++f) std::fill(inputs[1 + f].begin(), inputs[1 + f].end(), fills[f]);
    std::mt19937 rng(7);
    for (uint8_t& b : inputs[5]) b = static_cast<uint8_t>(rng());
    for (size_t i = 0; i < inputs.size(); ++i) {
      CAPTURE(i);
      for (Model* m : {ref.get(), fast1.get(), fast2.get()}) {
        std::copy(inputs[i].begin(), inputs[i].end(), m->input_data());
        m->Run();
      }
      const Graph& g = ref->interpreter().graph();
      for (size_t t = 0; t < g.tensors.size(); ++t) {
        if (g.tensors[t].is_constant() || ref->interpreter().tensor_data(t) == nullptr) continue;
        const size_t bytes = g.tensors[t].num_bytes();
        const uint8_t* want = ref->interpreter().tensor_data(t);
        const bool same1 = std::equal(want, want + bytes, fast1->interpreter().tensor_data(t));
        const bool same2 = std::equal(want, want + bytes, fast2->interpreter().tensor_data(t));
        CHECK_MESSAGE(same1, "tensor " << g.tensors[t].name << " differs (1 thread)");
        CHECK_MESSAGE(same2, "tensor " << g.tensors[t].name << " differs (2 threads)");
      }
    }
  }
}

TEST_CASE("depthwise ops that build their indirection a few rows at a time give the same bytes as kept buffers") {
  // Large declared inputs take that path (load cost follows the file, not
  // the activations); forcing it on every depthwise op of real models here.
  const char* const models[] = {"mobilenet_v1_0.25_128_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite"};
  size_t& limit = DepthwiseKeptIndirectionLimit();
  const size_t saved = limit;
  for (const char* name : models) {
    CAPTURE(name);
    std::unique_ptr<Model> kept = LoadModel(name, 1, false);
    limit = 0;
    std::unique_ptr<Model> banded1 = LoadModel(name, 1, false);
    std::unique_ptr<Model> banded2 = LoadModel(name, 2, false);
    std::unique_ptr<Model> banded_ref = LoadModel(name, 1, true);
    limit = saved;
    std::mt19937 rng(11);
    for (int round = 0; round < 2; ++round) {
      for (size_t b = 0; b < kept->input_bytes(); ++b) kept->input_data()[b] = static_cast<uint8_t>(rng());
      for (Model* m : {kept.get(), banded1.get(), banded2.get(), banded_ref.get()}) {
        std::copy(kept->input_data(), kept->input_data() + kept->input_bytes(), m->input_data());
        m->Run();
      }
      const Graph& g = kept->interpreter().graph();
      int depthwise = 0;
      for (const Node& n : g.nodes) depthwise += n.op == OpType::kDepthwiseConv2D;
      CHECK(depthwise >= 13);
      for (size_t t = 0; t < g.tensors.size(); ++t) {
        if (g.tensors[t].is_constant() || kept->interpreter().tensor_data(t) == nullptr) continue;
        const uint8_t* want = kept->interpreter().tensor_data(t);
        const size_t bytes = g.tensors[t].num_bytes();
        for (Model* m : {banded1.get(), banded2.get(), banded_ref.get()}) {
          CHECK_MESSAGE(std::equal(want, want + bytes, m->interpreter().tensor_data(t)),
                        "tensor " << g.tensors[t].name << " differs");
        }
      }
    }
  }
}

TEST_CASE("relaxed-SIMD tables equal the reference kernels on every tensor of the real models") {
  // Natively the relaxed GEMM runs on the emulated instruction (slow), so
  // three inputs at one thread: the photo and both extremes of int8.
  const char* const models[] = {
      "mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.5_160_quant.tflite",
      "mobilenet_v2_1.0_224_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite"};
  std::vector<const KernelConfig*> relaxed;
  for (const KernelConfig* k : AllKernelConfigs()) {
    if (std::string(k->name).rfind("wasmrelaxed", 0) == 0) relaxed.push_back(k);
  }
  if (relaxed.empty()) return;  // a build without SIMD
  Image cat;
  REQUIRE(DecodeBmp(ReadFile(SharedPath("images/cat.bmp")), &cat));
  for (const char* name : models) {
    CAPTURE(name);
    std::unique_ptr<Model> ref = LoadModel(name, 1, true);
    ImageView v{cat.rgb.data(), cat.width, cat.height, 3, static_cast<size_t>(cat.width) * 3};
    REQUIRE(ref->SetImage(v, 0.875f, PixelNorm()).ok());
    const std::vector<uint8_t> photo(ref->input_data(), ref->input_data() + ref->input_bytes());
    for (const KernelConfig* table : relaxed) {
      CAPTURE(table->name);
      std::unique_ptr<Model> fast = LoadModel(name, 1, false, table);
      for (int fill : {-1, 0x80, 0x7F}) {
        CAPTURE(fill);
        for (Model* m : {ref.get(), fast.get()}) {
          if (fill < 0) std::copy(photo.begin(), photo.end(), m->input_data());
          else std::fill(m->input_data(), m->input_data() + photo.size(), static_cast<uint8_t>(fill));
          m->Run();
        }
        const Graph& g = ref->interpreter().graph();
        for (size_t t = 0; t < g.tensors.size(); ++t) {
          if (g.tensors[t].is_constant() || ref->interpreter().tensor_data(t) == nullptr) continue;
          const uint8_t* want = ref->interpreter().tensor_data(t);
          CHECK_MESSAGE(std::equal(want, want + g.tensors[t].num_bytes(), fast->interpreter().tensor_data(t)),
                        "tensor " << g.tensors[t].name << " differs");
        }
      }
    }
  }
}
