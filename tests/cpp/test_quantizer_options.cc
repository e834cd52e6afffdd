// quantize() as the JS API states it (ptq/quantizer.h QuantizeOptions,
// api/model.h ImageInput / MetadataOverrides): names resolve to the
// quantizer's settings with errors that list the valid ones, and a job runs
// from a model file to .qwm bytes carrying the metadata it was given. The
// bindings (src/bindings) only translate JS values into these structs.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "api/model.h"
#include "ptq/quantizer.h"
#include "test_util.h"

using namespace qwasm;

TEST_CASE("quantize options: calibration names") {
  QuantizeOptions o;
  Result<CalibrationOptions> c = CalibrationFrom(o);
  REQUIRE(c.ok());
  CHECK(c.value().method == CalibrationMethod::kMinMax);
  CHECK(!c.value().equalize);
  o.calibration = "percentile";
  o.percentile = 99.9;
  o.equalize = true;
  c = CalibrationFrom(o);
  REQUIRE(c.ok());
  CHECK(c.value().method == CalibrationMethod::kPercentile);
  CHECK(c.value().percentile == 99.9);
  CHECK(c.value().equalize);
  o.calibration = "median";
  CHECK(CalibrationFrom(o).status().message() ==
        "unknown calibration method \"median\" (valid: minmax, moving-average, percentile, mse, kl, output)");
}

TEST_CASE("quantize options: weight formats and the mixed-precision plan") {
  QuantizeOptions o;
  Result<QuantizePlan> p = PlanFrom(o);
  REQUIRE(p.ok());
  CHECK(p.value().ptq.per_channel);
  CHECK(p.value().ptq.weights.format == WeightFormat::kInt8);
  CHECK(p.value().ptq.float_weights == WeightFormat::kFloat32);
  CHECK(!p.value().mixed);

  o.per_channel = false;
  o.bias_correction = true;
  o.keep_float = {"a"};
  o.weights = "lut4/layer";
  o.layer_weights = {{"b", "int4"}, {"c", "float16"}};
  o.float_weights = "float16";
  p = PlanFrom(o);
  REQUIRE(p.ok());
  const PtqOptions& q = p.value().ptq;
  CHECK(!q.per_channel);
  CHECK(q.bias_correction);
  CHECK(q.keep_float == std::vector<std::string>{"a"});
  CHECK(WeightEncodingName(q.weights) == "lut4/layer");
  CHECK(WeightEncodingName(q.layer_weights.at("b")) == "int4");
  CHECK(WeightEncodingName(q.layer_weights.at("c")) == "float16");
  CHECK(q.float_weights == WeightFormat::kFloat16);

  // A budget turns the search on: it starts from int8 and may use `weights`.
  o.max_drop = 0.5;
  o.confidence = 0;
  p = PlanFrom(o);
  REQUIRE(p.ok());
  REQUIRE(p.value().mixed);
  CHECK(p.value().mixed->max_drop == 0.5);
  CHECK(p.value().mixed->confidence == 0);
  CHECK(std::isinf(p.value().mixed->min_sqnr_db));
  CHECK(WeightEncodingName(p.value().mixed->small) == "lut4/layer");
  CHECK(p.value().ptq.weights.format == WeightFormat::kInt8);
  // 'int8' asks for the default small format, lut4 per channel.
  o.weights = "int8";
  o.max_drop = -1;
  o.min_sqnr_db = 30;
  p = PlanFrom(o);
  REQUIRE(p.value().mixed);
  CHECK(p.value().mixed->min_sqnr_db == 30);
  CHECK(WeightEncodingName(p.value().mixed->small) == "lut4/channel");

  // Errors name what is wrong, in the order the options are read.
  o.weights = "int3";
  CHECK(PlanFrom(o).status().message().find("unknown weight format 'int3'") == 0);
  o.weights = "int8";
  o.layer_weights = {{"x", "int2"}, {"a", "int1"}};
  CHECK(PlanFrom(o).status().message().find("layer 'x': unknown weight format 'int2'") == 0);
  o.layer_weights.clear();
  o.float_weights = "int8";
  CHECK(PlanFrom(o).status().message() == "floatWeights must be float32 or float16, not 'int8'");
}

TEST_CASE("images as callers hand them over: packed pixels, the model's crop and normalisation by default") {
  std::vector<uint8_t> px(4 * 3 * 3);
  Result<ImageView> v = PackedPixels(px, 4, 3, 3);
  REQUIRE(v.ok());
  CHECK(v.value().stride == 12);
  CHECK(v.value().pixels == px.data());
  CHECK(PackedPixels(px, 4, 4, 3).status().message() == "pixel buffer holds 36 bytes, too few for 4x4x3");
  CHECK(!PackedPixels(px, 0, 3, 3).ok());
  CHECK(!PackedPixels(px, 4, -1, 3).ok());
}

TEST_CASE("metadata overrides replace only the fields given; colour order names") {
  ModelMetadata m;
  m.name = "file";
  m.author = "someone";
  m.labels = {"x"};
  MetadataOverrides o;
  o.name = "given";
  o.mean = std::vector<float>{127.5f};
  o.std = std::vector<float>{127.5f};
  o.color = ColorOrder::kBGR;
  ApplyMetadata(o, &m);
  CHECK(m.name == "given");
  CHECK(m.author == "someone");
  CHECK(m.labels == std::vector<std::string>{"x"});
  CHECK(m.mean == std::vector<float>{127.5f});
  CHECK(m.color == ColorOrder::kBGR);
  CHECK(m.crop_fraction == 0.0f);
  for (ColorOrder c : {ColorOrder::kRGB, ColorOrder::kBGR, ColorOrder::kGray}) {
    CHECK(ParseColorOrder(ColorOrderName(c)).value() == c);
  }
  CHECK(std::string(ColorOrderName(ColorOrder::kUnknown)).empty());
  CHECK(ParseColorOrder("bgr").status().message() == "unknown colour order 'bgr' (valid: RGB, BGR, gray)");
}

TEST_CASE("a quantize job: model file and options in, samples, .qwm out with the metadata it was given") {
  auto file = std::make_shared<const std::vector<uint8_t>>(
      testing::ReadFile(testing::SourcePath("models/fashion-mnist/fashion-mnist.fp32.onnx")));
  REQUIRE(!file->empty());
  QuantizeOptions o;
  o.calibration = "median";
  CHECK(!Quantizer::Start(file, o).ok());
  o.calibration = "minmax";
  o.metadata.name = "fashion-int8";
  o.metadata.color = ColorOrder::kGray;
  Result<std::unique_ptr<Quantizer>> qr = Quantizer::Start(file, o);
  REQUIRE_MESSAGE(qr.ok(), qr.status().message());
  Quantizer& q = *qr.value();

  // Two float tensors and one 56x56 gray image (the model's crop: 1).
  std::vector<float> t(28 * 28);
  for (size_t i = 0; i < t.size(); ++i) t[i] = std::sin(static_cast<float>(i)) * 0.5f;
  QuantizeSample s;
  s.tensor = t.data();
  s.tensor_elements = t.size();
  REQUIRE(q.Add(s).ok());
  for (float& x : t) x = -x;
  s.label = 3;
  REQUIRE(q.Add(s).ok());
  s.tensor_elements = 5;
  CHECK(q.Add(s).message().find("calibration tensor has 5 values") != std::string::npos);
  std::vector<uint8_t> gray(56 * 56);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i * 7);
  ImageInput image;
  image.image = PackedPixels(gray, 56, 56, 1).value();
  QuantizeSample is;
  is.image = image;
  REQUIRE(q.Add(is).ok());
  is.budget = true;  // judges the budget only
  REQUIRE(q.Add(is).ok());
  CHECK(q.budget_given() == 1);

  Result<QuantizeOutput> out = q.Quantize(o);
  REQUIRE_MESSAGE(out.ok(), out.status().message());
  CHECK(out.value().report.samples == 3);
  CHECK(out.value().mixed.evaluations == 0);
  Result<std::unique_ptr<Model>> m = Model::Load(out.value().qwm);
  REQUIRE_MESSAGE(m.ok(), m.status().message());
  CHECK(m.value()->metadata().name == "fashion-int8");
  CHECK(m.value()->metadata().color == ColorOrder::kGray);
  CHECK(m.value()->metadata().producer.find("qwasm") != std::string::npos);

  // With a budget, each weighted layer's choice is in its report line.
  o.max_drop = 100;
  o.confidence = 0;
  out = q.Quantize(o);
  REQUIRE_MESSAGE(out.ok(), out.status().message());
  CHECK(out.value().mixed.evaluations > 0);
  size_t chosen = 0;
  for (const LayerReport& l : out.value().report.layers) chosen += !l.choice.empty();
  CHECK(chosen == out.value().mixed.choices.size());
  CHECK(chosen > 0);
  o.weights = "int3";
  CHECK(!q.Quantize(o).ok());
}
