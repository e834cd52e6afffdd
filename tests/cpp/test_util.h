// test_util.h — helpers shared by the C++ tests: file access relative to the
// source tree, a minimal BMP decoder for the real photos in ../shared, and
// top-k of a score vector.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

namespace qwasm::testing {

inline std::string SourcePath(const std::string& rel) { return std::string(QWASM_SOURCE_DIR) + "/" + rel; }
inline std::string SharedPath(const std::string& rel) { return SourcePath("../shared/" + rel); }

inline std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // top-down rows, 3 bytes per pixel
};

// Uncompressed 24/32-bit BMP only (what ../shared/images holds).
inline bool DecodeBmp(const std::vector<uint8_t>& b, Image* out) {
  auto u32 = [&](size_t o) { uint32_t v; std::memcpy(&v, &b[o], 4); return v; };
  auto i32 = [&](size_t o) { int32_t v; std::memcpy(&v, &b[o], 4); return v; };
  auto u16 = [&](size_t o) { uint16_t v; std::memcpy(&v, &b[o], 2); return v; };
  if (b.size() < 54 || b[0] != 'B' || b[1] != 'M') return false;
  const uint32_t offset = u32(10);
  const int32_t w = i32(18), h = i32(22);
  const int bpp = u16(28);
  if (u32(30) != 0 || (bpp != 24 && bpp != 32) || w <= 0 || h == 0) return false;
  const int height = h < 0 ? -h : h;
  const size_t row = ((static_cast<size_t>(w) * bpp / 8) + 3) & ~size_t{3};
  if (offset + row * height > b.size()) return false;
  out->width = w;
  out->height = height;
  out->rgb.resize(static_cast<size_t>(w) * height * 3);
  for (int y = 0; y < height; ++y) {
    const int src_y = h > 0 ? height - 1 - y : y;  // positive height = bottom-up
    const uint8_t* src = &b[offset + row * src_y];
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = src + x * (bpp / 8);
      uint8_t* d = &out->rgb[(static_cast<size_t>(y) * w + x) * 3];
      d[0] = p[2];
      d[1] = p[1];
      d[2] = p[0];
    }
  }
  return true;
}

// Indices of the k largest scores; ties go to the lower index.
inline std::vector<int> TopK(const std::vector<float>& s, int k) {
  std::vector<int> idx(s.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return s[a] > s[b]; });
  idx.resize(std::min<size_t>(k, idx.size()));
  return idx;
}

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) lines.push_back(l);
  return lines;
}

}  // namespace qwasm::testing
