// Oracles of the data-movement families, element by element through
// multi-indices: output index -> coordinates -> input index.
#include <cstring>

#include "oracle/oracle.h"

namespace qwasm {
namespace {

// Coordinates of flat index i in a row-major shape of `rank` axes.
void Unravel(size_t i, int rank, const int32_t* shape, int32_t* coords) {
  for (int a = rank - 1; a >= 0; --a) {
    coords[a] = static_cast<int32_t>(i % static_cast<size_t>(shape[a]));
    i /= static_cast<size_t>(shape[a]);
  }
}

size_t Ravel(int rank, const int32_t* shape, const int32_t* coords) {
  size_t i = 0;
  for (int a = 0; a < rank; ++a) i = i * static_cast<size_t>(shape[a]) + static_cast<size_t>(coords[a]);
  return i;
}

size_t Elements(int rank, const int32_t* shape) {
  size_t n = 1;
  for (int a = 0; a < rank; ++a) n *= static_cast<size_t>(shape[a]);
  return n;
}

// One element, copied or requantized (ElementCopy).
void CopyElement(const ElementCopy& c, const uint8_t* src, uint8_t* dst) {
  if (c.requant) {
    qs8_requantize__oracle(*c.requant, 1, reinterpret_cast<const int8_t*>(src), reinterpret_cast<int8_t*>(dst));
  } else {
    std::memcpy(dst, src, c.element_size);
  }
}

}  // namespace

void x_transpose__oracle(const TransposeParams& p, const void* input, void* output) {
  int32_t out_shape[kMaxMoveRank], out_coords[kMaxMoveRank], in_coords[kMaxMoveRank];
  for (int a = 0; a < p.rank; ++a) out_shape[a] = p.in_shape[p.perm[a]];
  const size_t es = p.element_size;
  for (size_t o = 0; o < Elements(p.rank, out_shape); ++o) {
    Unravel(o, p.rank, out_shape, out_coords);
    for (int a = 0; a < p.rank; ++a) in_coords[p.perm[a]] = out_coords[a];
    std::memcpy(static_cast<uint8_t*>(output) + o * es,
                static_cast<const uint8_t*>(input) + Ravel(p.rank, p.in_shape, in_coords) * es, es);
  }
}

void x_pad__oracle(const PadParams& p, const void* input, void* output) {
  int32_t out_shape[kMaxMoveRank], coords[kMaxMoveRank];
  for (int a = 0; a < p.rank; ++a) out_shape[a] = p.before[a] + p.in_shape[a] + p.after[a];
  const size_t es = p.copy.element_size;
  for (size_t o = 0; o < Elements(p.rank, out_shape); ++o) {
    Unravel(o, p.rank, out_shape, coords);
    bool inside = true;
    for (int a = 0; a < p.rank; ++a) {
      coords[a] -= p.before[a];
      inside = inside && coords[a] >= 0 && coords[a] < p.in_shape[a];
    }
    uint8_t* dst = static_cast<uint8_t*>(output) + o * es;
    if (inside) {
      CopyElement(p.copy, static_cast<const uint8_t*>(input) + Ravel(p.rank, p.in_shape, coords) * es, dst);
    } else {
      std::memcpy(dst, p.pad_value, es);
    }
  }
}

void x_slice__oracle(const SliceParams& p, const void* input, void* output) {
  int32_t coords[kMaxMoveRank];
  const size_t es = p.copy.element_size;
  for (size_t o = 0; o < Elements(p.rank, p.out_shape); ++o) {
    Unravel(o, p.rank, p.out_shape, coords);
    for (int a = 0; a < p.rank; ++a) coords[a] += p.begin[a];
    CopyElement(p.copy, static_cast<const uint8_t*>(input) + Ravel(p.rank, p.in_shape, coords) * es,
                static_cast<uint8_t*>(output) + o * es);
  }
}

void x_concat__oracle(const ConcatParams& p, const void* const* inputs, void* output) {
  size_t axis = 0;  // the output's middle extent: the parts summed
  for (int i = 0; i < p.inputs; ++i) axis += static_cast<size_t>(p.parts[i]);
  size_t o = 0;  // output element
  for (size_t outer = 0; outer < p.outer; ++outer) {
    for (size_t j = 0; j < axis; ++j) {
      // Input i holds axis positions [start, start + parts[i]).
      int i = 0;
      size_t start = 0;
      while (j >= start + static_cast<size_t>(p.parts[i])) start += static_cast<size_t>(p.parts[i++]);
      const size_t es = p.copy[i].element_size, part = static_cast<size_t>(p.parts[i]);
      for (size_t inner = 0; inner < p.inner; ++inner, ++o) {
        const size_t e = (outer * part + (j - start)) * p.inner + inner;
        CopyElement(p.copy[i], static_cast<const uint8_t*>(inputs[i]) + e * es,
                    static_cast<uint8_t*>(output) + o * es);
      }
    }
  }
}

}  // namespace qwasm
