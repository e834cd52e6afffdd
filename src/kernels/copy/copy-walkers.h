// copy-walkers.h — how pad, slice and concatenation walk their tensors,
// written once (in their reference files) and called with an element copy:
// x_copy__ref by the references, x_copy__wasmsimd by the SIMD variants,
// which differ only in how a run of int8 elements is requantized. The copy
// is called once per contiguous run, so calling it through a pointer costs
// nothing measurable, and each walk exists once in the module (noinline:
// otherwise the reference inlines it and the SIMD variant gets a copy).
#pragma once

#include "kernels/params.h"

namespace qwasm {

using ElementCopyFn = void (*)(const ElementCopy& c, const void* src, void* dst, size_t n);

// Constant padding, axis by axis: padding rows filled with pad_value, input
// rows copied (x-pad-ref.cc).
void PadWalk(const PadParams& p, const void* input, void* output, ElementCopyFn copy);
// A box cut out of the input: for every output row, one contiguous run of
// the input row copied (x-slice-ref.cc).
void SliceWalk(const SliceParams& p, const void* input, void* output, ElementCopyFn copy);
// Concatenation as [outer][parts][inner]: for each outer index, every
// input's contiguous block in turn (x-concat-ref.cc).
void ConcatWalk(const ConcatParams& p, const void* const* inputs, void* output, ElementCopyFn copy);

}  // namespace qwasm
