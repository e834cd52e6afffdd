// Image preprocessing: central crop + half-pixel bilinear resize, by hand.
#include <doctest/doctest.h>

#include <vector>

#include "image/preprocess.h"

using namespace qwasm;

namespace {

// An RGB image: red 10x + 50y, green 200 - 10x, blue 7.
std::vector<uint8_t> Gradient(int w, int h) {
  std::vector<uint8_t> px;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) px.insert(px.end(), {uint8_t(10 * x + 50 * y), uint8_t(200 - 10 * x), 7});
  }
  return px;
}

}  // namespace

TEST_CASE("bilinear 4x4 -> 2x2 averages 2x2 blocks (half-pixel centres)") {
  // Output column j samples s = (j + 0.5) * 2 - 0.5 = 0.5 and 2.5: halfway
  // between two source pixels, so each output is a 2x2 block mean.
  const auto px = Gradient(4, 4);
  ImageView v{px.data(), 4, 4, 3, 12};
  ResizeSpec spec{2, 2, 3, 1.0f};
  std::vector<uint8_t> out(12);
  REQUIRE(CropResizeBilinear(v, spec, out.data()).ok());
  // red: (0+10+50+60)/4 = 30, (20+30+70+80)/4 = 50, (100+110+150+160)/4 = 130, 150
  // green: (200+190)/2 = 195, (180+170)/2 = 175, same on the next row
  CHECK(out == std::vector<uint8_t>{30, 195, 7, 50, 175, 7, 130, 195, 7, 150, 175, 7});
}

TEST_CASE("central square crop, then resize; rounding is half to even") {
  // 6x4 image, crop 1.0: side 4, x0 = 1, so the 4x4 block starting at column 1.
  const auto px = Gradient(6, 4);
  ImageView v{px.data(), 6, 4, 3, 18};
  ResizeSpec spec{4, 4, 3, 1.0f};
  std::vector<uint8_t> out(48);
  REQUIRE(CropResizeBilinear(v, spec, out.data()).ok());
  CHECK(out[0] == 10);        // red at source (1, 0)
  CHECK(out[3 * 3] == 40);    // red at source (4, 0)
  CHECK(out[15 * 3] == 190);  // red at source (4, 3): 40 + 150
  // 87.5% of 4 = 3.5 -> side 4 (rne on the crop size too: 3.5 -> 4).
  spec.crop_fraction = 0.875f;
  std::vector<uint8_t> same(48);
  REQUIRE(CropResizeBilinear(v, spec, same.data()).ok());
  CHECK(same == out);
  // Upscaling a 2x2 image with columns [0, 1] to 4x1: s = -0.25 (clamped
  // to 0), 0.25, 0.75, 1.25 (hi clamped): 0, 0.25, 0.75, 1 -> 0, 0, 1, 1.
  const uint8_t sq[] = {0, 1, 0, 1};
  ImageView g{sq, 2, 2, 1, 2};
  ResizeSpec up{4, 1, 1, 1.0f};
  uint8_t res[4];
  REQUIRE(CropResizeBilinear(g, up, res).ok());
  CHECK(res[0] == 0);
  CHECK(res[1] == 0);
  CHECK(res[2] == 1);
  CHECK(res[3] == 1);
  // Exact half: 2 pixels [1, 2] to 1 output samples s = 0.5 -> 1.5 -> 2 (even).
  const uint8_t halves[] = {1, 2, 1, 2};
  ImageView h{halves, 2, 2, 1, 2};
  ResizeSpec one{1, 1, 1, 1.0f};
  uint8_t r1;
  REQUIRE(CropResizeBilinear(h, one, &r1).ok());
  CHECK(r1 == 2);
  const uint8_t halves2[] = {2, 3, 2, 3};
  ImageView h2{halves2, 2, 2, 1, 2};
  REQUIRE(CropResizeBilinear(h2, one, &r1).ok());
  CHECK(r1 == 2);  // 2.5 -> 2
}

TEST_CASE("RGBA input ignores alpha; gray output is BT.601 luma") {
  const uint8_t rgba[] = {255, 0, 0, 0};  // 1x1 red, transparent
  ImageView v{rgba, 1, 1, 4, 4};
  uint8_t rgb[3];
  REQUIRE(CropResizeBilinear(v, {1, 1, 3, 1.0f}, rgb).ok());
  CHECK(rgb[0] == 255);
  CHECK(rgb[1] == 0);
  uint8_t gray;
  REQUIRE(CropResizeBilinear(v, {1, 1, 1, 1.0f}, &gray).ok());
  CHECK(gray == 77);  // (77 * 255 + 128) >> 8
}

TEST_CASE("preprocessing rejects bad images with clear errors") {
  const uint8_t px[16] = {};
  uint8_t out[12];
  CHECK(CropResizeBilinear({px, 0, 2, 3, 6}, {2, 2, 3, 1.0f}, out).message().find("image size") != std::string::npos);
  CHECK(CropResizeBilinear({px, 2, 2, 2, 4}, {2, 2, 3, 1.0f}, out).message().find("channels") != std::string::npos);
  CHECK(CropResizeBilinear({px, 2, 2, 3, 5}, {2, 2, 3, 1.0f}, out).message().find("stride") != std::string::npos);
  CHECK_FALSE(CropResizeBilinear({px, 2, 2, 3, 6}, {2, 2, 3, 0.0f}, out).ok());
  CHECK_FALSE(CropResizeBilinear({px, 2, 2, 3, 6}, {2, 2, 3, 1.5f}, out).ok());
}
