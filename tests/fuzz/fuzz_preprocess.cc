// fuzz_preprocess.cc — libFuzzer target: CropResizeBilinear over decoded
// pixels with arbitrary (bounded) width, height, channels, stride, output
// size and crop fraction. Sizes are capped so the target finds bugs rather
// than running out of memory; the image buffer is exactly
// (height - 1) * stride + width * channels bytes, so ASan sees any read past
// the last pixel.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <vector>

#include "image/preprocess.h"

namespace {
struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t Byte() { if (!n) return 0; --n; return *p++; }
  uint16_t U16() { uint16_t lo = Byte(); return static_cast<uint16_t>(lo | (Byte() << 8)); }
  uint32_t U32() { uint32_t lo = U16(); return lo | (static_cast<uint32_t>(U16()) << 16); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  qwasm::ImageView in;
  // Signed and out-of-range values on purpose: the function must refuse them.
  in.width = static_cast<int16_t>(r.U16()) % 700;
  in.height = static_cast<int16_t>(r.U16()) % 700;
  in.channels = static_cast<int8_t>(r.Byte()) % 6;
  const size_t pad = r.Byte() % 8;
  qwasm::ResizeSpec spec;
  spec.out_width = static_cast<int16_t>(r.U16()) % 300;
  spec.out_height = static_cast<int16_t>(r.U16()) % 300;
  spec.out_channels = static_cast<int8_t>(r.Byte()) % 5;
  const uint32_t bits = r.U32();
  std::memcpy(&spec.crop_fraction, &bits, sizeof bits);  // NaN, inf, denormals too
  if (r.Byte() & 1) spec.crop_fraction = static_cast<float>(bits % 1001) / 1000.0f;

  const bool valid_dims = in.width > 0 && in.height > 0 && in.channels > 0;
  const size_t row = valid_dims ? static_cast<size_t>(in.width) * in.channels : 0;
  in.stride = row + pad;
  const size_t need = valid_dims ? (static_cast<size_t>(in.height) - 1) * in.stride + row : 0;
  std::vector<uint8_t> pixels(need);
  // The remaining input, repeated (memcpy: a byte loop under ASan dominates the run time).
  for (size_t i = 0; i < need;) {
    const size_t n = r.n ? std::min(r.n, need - i) : 1;
    if (r.n) std::memcpy(pixels.data() + i, r.p, n); else pixels[i] = static_cast<uint8_t>(i);
    i += n;
  }
  in.pixels = need ? pixels.data() : nullptr;

  const size_t out_bytes = (spec.out_width > 0 && spec.out_height > 0 && spec.out_channels > 0)
      ? static_cast<size_t>(spec.out_width) * spec.out_height * spec.out_channels : 0;
  std::vector<uint8_t> out(out_bytes ? out_bytes : 1);
  auto status = qwasm::CropResizeBilinear(in, spec, out.data());
  (void)status;
  return 0;
}
