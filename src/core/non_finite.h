// non_finite.h — finds NaN and infinite float weights, which load fine and
// then turn every result into NaN. Shared by graph validation (every format,
// and what an importer folded) and the ONNX reader (named as in the file).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/status.h"

namespace qwasm {

// `n` float32 values at `data`, or IEEE half values when `half`. A single
// infinite value is legal: it is how exporters write an open bound (Clip's
// max, a mask's fill value); in a weight tensor it never is.
inline Status CheckFiniteValues(const std::string& label, const uint8_t* data, size_t n, bool half) {
  size_t nan = 0, inf = 0;
  for (size_t i = 0; i < n; ++i) {
    if (half) {
      uint16_t h;
      std::memcpy(&h, data + i * 2, 2);
      const bool special = (h & 0x7C00) == 0x7C00;
      nan += special && (h & 0x03FF);
      inf += special && !(h & 0x03FF);
    } else {
      float v;
      std::memcpy(&v, data + i * 4, 4);
      nan += std::isnan(v);
      inf += std::isinf(v);
    }
  }
  if (n <= 1) inf = 0;
  if (!nan && !inf) return Status::Ok();
  std::string what = nan ? std::to_string(nan) + " NaN" : "";
  if (inf) what += (nan ? " and " : "") + std::to_string(inf) + " infinite";
  return Status::Error(label + " has " + what + " value" + (nan + inf > 1 ? "s" : "") + " among its " +
                       std::to_string(n) + " elements; non-finite weights would make every result NaN");
}

}  // namespace qwasm
