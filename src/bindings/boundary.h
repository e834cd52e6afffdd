// boundary.h — what embind.cc and embind_tools.cc share: bytes from JS into
// the wasm heap (Staged, every handle class's base), views of wasm memory,
// and the one reader of an image object. Translation only: what the values
// mean is decided in src/api and src/ptq.
//
// Bytes from JS (a model file, an image's pixels, a float tensor) arrive
// through a staging buffer: JS asks for a view of n bytes and fills it with
// one TypedArray.set (a memcpy). An std::string argument would make Embind
// copy them with a JS loop per byte, which in the pthreads build (shared,
// growable memory) costs milliseconds per image.
#pragma once

#include <emscripten/bind.h>
#include <emscripten/emmalloc.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "api/model.h"

namespace qwasm {
namespace js {

using emscripten::val;

// A view of wasm memory, valid until the next allocation that grows it: JS
// copies it at once.
template <typename T>
val View(const std::vector<T>& v) {
  return val(emscripten::typed_memory_view(v.size(), v.data()));
}

// A handle class whose bytes come in through staging(n): JS writes the view
// it returns, then calls the method that takes the bytes. What a call
// stages is released by that call (TakeStaged, ReleaseStaged): a handle
// keeps no more than kKeepStaged bytes between calls, so one large image
// does not hold wasm memory that the next call (on any handle) needs.
class Staged {
 public:
  // Staging buffers up to this size are kept for the next call (a 1024²
  // RGBA image, a video frame of that size): no malloc per call for them.
  static constexpr size_t kKeepStaged = size_t{4} << 20;

  // A view of `bytes` zeroed bytes for JS to fill, or a string saying why
  // that many cannot be staged, which JS puts after "<what> needs N MB, ":
  // not a whole number (a double, so that no size wraps on the way in),
  // more than wasm memory (or a vector) can ever hold, or more than it can
  // provide now. The last is tried with malloc, which fails softly
  // (ABORTING_MALLOC=0, the default with ALLOW_MEMORY_GROWTH), before the
  // vector allocates: without C++ exceptions a failed operator new aborts
  // the module. Nothing is written when it fails.
  val staging(double bytes) {
    const size_t heap_max = emscripten_get_heap_max();
    const size_t max = std::min<size_t>(heap_max, bytes_.max_size());
    if (!(bytes >= 0.0 && bytes == std::floor(bytes))) return val(std::string("not a byte count"));
    if (bytes > static_cast<double>(max)) {
      return val("more than the " + Mb(max) + " MB that wasm memory can hold");
    }
    const size_t n = static_cast<size_t>(bytes);
    if (n > bytes_.capacity()) {
      std::vector<uint8_t>().swap(bytes_);  // the previous buffer is free first
      void* volatile probe = std::malloc(n);  // volatile: the compiler may not elide it
      if (probe == nullptr) {
        // Free now: memory not yet grown into, plus the allocator's free blocks
        // (which may be split, so even this much need not fit in one piece).
        const size_t free = heap_max - emscripten_get_heap_size() + emmalloc_free_dynamic_memory();
        return val("more than the " + Mb(free) + " MB free in wasm memory (at most " + Mb(heap_max) + " MB)");
      }
      std::free(probe);
    }
    bytes_.assign(n, 0);
    return View(bytes_);
  }

 protected:
  const std::vector<uint8_t>& staged() const { return bytes_; }
  // The staged bytes, leaving the buffer empty.
  std::vector<uint8_t> TakeStaged() {
    std::vector<uint8_t> out = std::move(bytes_);
    std::vector<uint8_t>().swap(bytes_);
    return out;
  }
  // Ends a call that read staged(): a buffer larger than kKeepStaged is
  // freed, a smaller one kept for the next call.
  void ReleaseStaged() {
    if (bytes_.capacity() > kKeepStaged) std::vector<uint8_t>().swap(bytes_);
  }

 private:
  static std::string Mb(size_t bytes) { return std::to_string((bytes + (size_t{1} << 19)) >> 20); }

  std::vector<uint8_t> bytes_;
};

// Registers handle class T (a Staged) with its constructor and staging(n);
// the caller adds the rest.
template <typename T>
emscripten::class_<T> Handle(const char* name) {
  emscripten::class_<T> c(name);
  c.template constructor<>();
  c.function("staging", static_cast<val (T::*)(double)>(&T::staging));
  return c;
}

// {width, height, channels, cropFraction?, mean?, std?} (web/model.js,
// web/convert.js), the pixels packed in `pixels`; mean and std (3 numbers
// each) count only together.
inline Result<ImageInput> ImageFromJs(const val& o, const std::vector<uint8_t>& pixels) {
  Result<ImageView> view =
      PackedPixels(pixels, o["width"].as<int>(), o["height"].as<int>(), o["channels"].as<int>());
  if (!view.ok()) return view.status();
  ImageInput in;
  in.image = view.value();
  if (!o["cropFraction"].isUndefined()) in.crop_fraction = o["cropFraction"].as<float>();
  const val mean = o["mean"], stdev = o["std"];
  if (mean.isArray() && stdev.isArray() && mean["length"].as<int>() == 3 && stdev["length"].as<int>() == 3) {
    PixelNorm norm;
    norm.known = true;
    for (int c = 0; c < 3; ++c) {
      norm.mean[c] = mean[c].as<float>();
      norm.std[c] = stdev[c].as<float>();
    }
    in.norm = norm;
  }
  return in;
}

}  // namespace js
}  // namespace qwasm
