// The five real TFLite MobileNets from ../shared/models: import, run on real
// photos, and robustness against truncated and corrupted files.
#include <doctest/doctest.h>

#include <cstdio>

#include "api/model.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

const char* const kModels[] = {
    "mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.5_160_quant.tflite",
    "mobilenet_v1_0.75_192_quant.tflite", "mobilenet_v2_1.0_224_quant.tflite",
    "tf2_mobilenet_v2_1.0_224_ptq.tflite"};

std::vector<int> Classify(Model& m, const Image& img, int k) {
  ImageView v{img.rgb.data(), img.width, img.height, 3, static_cast<size_t>(img.width) * 3};
  REQUIRE(m.SetImage(v, 0.875f, PixelNorm()).ok());
  m.Run();
  return TopK(m.OutputScores(), k);
}

}  // namespace

TEST_CASE("real MobileNets classify real photos") {
  const auto labels = ReadLines(SharedPath("models/imagenet_labels.txt"));
  REQUIRE(labels.size() == 1001);
  struct Photo {
    const char* file;
    std::vector<int> accepted;  // 1001-output indices (ImageNet class + 1)
  };
  // A tabby cat (tabby 282 / tiger cat 283 / Egyptian cat 286), a chickadee
  // (20) and a sunflower, whose nearest ImageNet class is daisy (986).
  const Photo photos[] = {{"images/cat.bmp", {282, 283, 286}},
                          {"images/bird.bmp", {20}},
                          {"images/sunflower.bmp", {986}}};
  for (const char* name : kModels) {
    const std::string model_name = name;
    CAPTURE(model_name);
    Result<std::unique_ptr<Model>> m = Model::Load(ReadFile(SharedPath(std::string("models/") + name)));
    REQUIRE_MESSAGE(m.ok(), m.status().message());
    CHECK(m.value()->output_size() == 1001);
    // The label file embedded in the model (TFLite metadata + zip) is read.
    CHECK(m.value()->metadata().labels == labels);
    for (const Photo& p : photos) {
      Image img;
      REQUIRE(DecodeBmp(ReadFile(SharedPath(p.file)), &img));
      const std::vector<int> top = Classify(*m.value(), img, 5);
      INFO(std::string(name) << " " << std::string(p.file) << " -> " << labels[top[0]] << ", " << labels[top[1]] << ", " << labels[top[2]]);
      const bool ok = std::find(p.accepted.begin(), p.accepted.end(), top[0]) != p.accepted.end();
      CHECK_MESSAGE(ok, p.file << " top-1 was " << top[0] << " " << labels[top[0]]);
    }
  }
}

// Where the flatbuffer's tables live in a model file (everything outside the
// weight buffers): the bytes whose corruption must be caught.
TEST_CASE("truncated model files give clear errors") {
  const std::vector<uint8_t> bytes = ReadFile(SharedPath("models/mobilenet_v1_0.25_128_quant.tflite"));
  REQUIRE(bytes.size() > 500000);
  std::vector<size_t> lengths = {0, 1, 4, 7, 8, 12, 16, 100, 539, 540, 541};
  for (size_t n = 997; n < bytes.size(); n += 997) lengths.push_back(n);
  lengths.push_back(bytes.size() - 1);
  for (size_t n : lengths) {
    CAPTURE(n);
    Result<std::unique_ptr<Model>> m = Model::Load(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
    REQUIRE_FALSE(m.ok());
    CHECK(!m.status().message().empty());
  }
  // The messages say what is wrong.
  CHECK(Model::Load({}).status().message().find("unrecognised model format") != std::string::npos);
  Result<std::unique_ptr<Model>> cut = Model::Load(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 400000));
  CHECK(cut.status().message().find("outside the file") != std::string::npos);
}

TEST_CASE("structural bytes of a model flipped: an error or a working model") {
  const std::vector<uint8_t> bytes = ReadFile(SharedPath("models/mobilenet_v1_0.25_128_quant.tflite"));
  // The table regions of this file lie before the first weight buffer
  // (bytes 0..539) and after the last (480884..end, including the embedded
  // label archive). Every head byte and every third tail byte is flipped.
  std::vector<size_t> positions;
  for (size_t i = 0; i < 540; ++i) positions.push_back(i);
  for (size_t i = 480884; i < bytes.size(); i += 3) positions.push_back(i);
  size_t errors = 0, valid = 0;
  std::vector<uint8_t> input;
  for (size_t pos : positions) {
    std::vector<uint8_t> bad = bytes;
    bad[pos] ^= 0xFF;
    Result<std::unique_ptr<Model>> m = Model::Load(std::move(bad));
    if (!m.ok()) {
      ++errors;
      if (m.status().message().empty()) FAIL("empty error message for a flip at byte " << pos);
      continue;
    }
    ++valid;
    // A model that loads must run (ASan / UBSan builds check every access).
    if (valid % 64 == 1) {
      Model& model = *m.value();
      std::fill(model.input_data(), model.input_data() + model.input_bytes(), uint8_t{77});
      model.Run();
    }
  }
  INFO("flipped " << positions.size() << " bytes: " << errors << " rejected, " << valid << " still valid");
  CHECK(errors + valid == positions.size());
}
