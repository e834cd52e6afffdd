// dwconv.h — the int8 depthwise convolution behind DEPTHWISE_CONV_2D.
//
// Any depth multiplier: qs8_dwconv__ref on unpacked weights (QConvParams).
// Multiplier 1 (every MobileNet): the "16c2" kernels on packed weights, whose
// reference and SIMD variants read the same layout and equal qs8_dwconv__ref:
//
//   out[c] = Requantize(bias[c] + sum_t (x_t[c] - za) * (w_t[c] - zw), scale[c])
//
// Weights are packed once, at prepare: widened to int16 with the filter zero
// point subtracted (w - zw fits int16 for any pair of 8-bit values, so
// uint8-style per-tensor zero points cost nothing at run time) and the input
// zero-point term folded into the bias:
//   bias'[c] = bias[c] - za * sum_t (w_t[c] - zw),
// so the kernel multiplies raw inputs. Taps in the padding read a buffer
// filled with za, whose products that folded term cancels exactly.
//
// Taps are found through an indirection buffer (dwconv_indirection_init) (XNNPACK's): one input
// pointer per tap of every output pixel, pointing into the input or at the
// zero-point buffer, built once the activations are placed. Taps are ordered
// column-major, t = kx * kernel_h + ky, so with dilation 1 consecutive pixels
// of a row share (kernel_w - stride_w) * kernel_h pointers: pixel x of output
// row r (r = n * out_h + y) starts at
//   indirection[r * dwconv_row_step(s) + x * dwconv_pixel_step(s)].
//
// Microkernel: taps are taken in pairs (t, t+1) (an odd last tap pairs with
// itself and a zero weight). For 16 channels the two 16-byte rows are
// interleaved by 16-bit words, [a0 a1 b0 b1 a2 a3 b2 b3 ...]; shifting each
// word left 8 then right 8 (arithmetic) gives the int16 pairs (a_c, b_c) of
// the even channels, shifting right 8 those of the odd channels, and
// i32x4.dot_i16x8_s multiplies each pair by (w_t[c], w_t+1[c]) and sums it.
// So the four accumulators hold channels {0,2,4,6}, {1,3,5,7}, {8,...,14},
// {9,...,15}; the packed weights, bias and scales follow that lane order and
// the output pack restores channel order with one shuffle. When the
// accumulators are small enough (even_x256, nearly always), the even pairs
// skip their right shift and accumulate 256 times their value, with bias x256
// and scale / 256 in the packing: float(256 acc) * (scale / 256) is exactly
// float(acc) * scale, so requantization is unchanged, one shift in six saved.
//
// Packed layout, per block of 16 channels (8 for a last block when the
// channel count rounded up to 8 is not a multiple of 16), A = accumulators
// per block (4 or 2):
//   int32 bias'[A][4] | per tap pair: int16 w[A][4][2] | float scale[A][4]
// Channels past the real count have zero weights and bias, scale 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/dwconv/dwconv-relaxed-call.h"
#include "kernels/params.h"

namespace qwasm {

struct QDepthwiseWeights {
  int channels = 0;
  int taps = 0;                 // kernel_h * kernel_w
  bool even_x256 = false;       // even-channel lanes hold 256 x (see above)
  bool c4 = false;              // the 16c4 layout (below) instead of 16c2
  int32_t a_offset = 0;         // 16c4: added to every input byte (128 or 0)
  int taps_per_quad = 4;        // 16c4: 3 when each quad is one 3-tap column
  std::vector<uint8_t> packed;  // layout above
};

// filter: [kernel_h][kernel_w][channels] (TFLite's [1, kh, kw, c]); bias may
// be null; scale: [channels] requantization multipliers.
using QDwconvPackFn = QDepthwiseWeights (*)(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                            int32_t filter_zero_point, const int32_t* bias, const float* scale,
                                            int32_t input_zero_point);

// Output rows [row_begin, row_end) (row = n * out_h + y) and channels
// [c_begin, c_end) of the convolution, c_begin a multiple of channel_tile.
// May read up to 7 bytes past the last channel of an input pixel (the
// arena's tail padding covers the last pixel) and writes only inside the
// given range.
using QDwconvFn = void (*)(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
                           const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end,
                           size_t c_begin, size_t c_end);

struct QDwconvKernel {
  const char* name = "";
  int channel_tile = 16;
  QDwconvPackFn pack = nullptr;
  QDwconvFn run = nullptr;
};

// Output rows [row_begin, row_end) of the convolution with any depth
// multiplier, filter [kernel_h][kernel_w][out_c] unpacked.
using QDwconvAnyFn = void (*)(const QConvParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                              int8_t* output);

QDepthwiseWeights qs8_dwconv_16c2_pack(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                       int32_t filter_zero_point, const int32_t* bias, const float* scale,
                                       int32_t input_zero_point);
void qs8_dwconv_16c2__ref(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
                          const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end,
                          size_t c_begin, size_t c_end);
void qs8_dwconv_16c2__wasmsimd(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
                               const int8_t* const* indirection, int8_t* output, size_t row_begin,
                               size_t row_end, size_t c_begin, size_t c_end);
void qs8_dwconv__ref(const QConvParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                     int8_t* output);

// ---- relaxed SIMD: 16c4 ----------------------------------------------------
// Four taps per lane with i32x4.relaxed_dot_i8x16_i7x16_add_s (16 MACs per
// instruction, none widened): for each quad of tap slots the kernel loads
// the 16 channels of each tap, interleaves them into [x_t0 x_t1 x_t2 x_t3]
// per channel (two byte and two word shuffles per 16 channels) and dots them
// with the channel's 4 int8 weights. Slots past the taps weigh 0 and re-read
// a tap. Kernels 3 taps high (3x3: every MobileNet) put one window column in
// each quad (taps_per_quad 3, slot 3 empty): a pixel then shares whole
// quads with its neighbour (kernel_w - stride_w columns), and the kernel
// shuffles only the columns that are new. Other kernels fill quads with
// consecutive taps (taps_per_quad 4). Slot e of quad q reads tap
//   min(q * taps_per_quad + min(e, taps_per_quad - 1), taps - 1).
// As in the 4x8c4 GEMM
// the inputs are the dot's second operand: where the engine reads it
// unsigned they go in flipped (x + 128, a_offset 128) and the pack folds
// -128 * sum_t w into the bias. Weights must fit int8 as they are, so only a
// zero filter zero point (int8 models) gets this layout; the pack falls back
// to 16c2 otherwise (c4 false) and the run to the SIMD128 16c2 kernel.
// Accumulators hold channels in order. Packed, per block of 16 (8) channels:
//   int32 bias'[16] | per quad: int8 w[16][4] | float scale[16]
//   bias' = bias - (za + a_offset) sum_t w_t
QDepthwiseWeights qs8_dwconv_16c4_pack_unsigned(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                                int32_t filter_zero_point, const int32_t* bias,
                                                const float* scale, int32_t input_zero_point);
QDepthwiseWeights qs8_dwconv_16c4_pack_signed(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                              int32_t filter_zero_point, const int32_t* bias, const float* scale,
                                              int32_t input_zero_point);
// Reads either layout (16c2 ones through qs8_dwconv_16c2__ref).
void qs8_dwconv_16c4__ref(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
                          const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end,
                          size_t c_begin, size_t c_end);
// The relaxed microkernel, qs8_dwconv_16c4__wasmrelaxed, is declared with its
// C call in dwconv-relaxed-call.h.
// Bytes of one packed block of `block` channels.
inline size_t dwconv_16c4_quads(size_t taps, size_t taps_per_quad) { return (taps + taps_per_quad - 1) / taps_per_quad; }
inline size_t dwconv_16c4_block_bytes(size_t block, size_t quads) { return block * 4 * (quads + 2); }

// ---- the indirection buffer, shared by every packed variant ----
// Bytes the zero-point buffer needs: kernels read whole blocks of 8 and 16
// channels from it.
size_t dwconv_zero_bytes(int channels);
// Pointers per output row and the offset between consecutive pixels.
size_t dwconv_row_step(const WindowShape& s);
size_t dwconv_pixel_step(const WindowShape& s);
// Fills indirection[0, batch * out_h * dwconv_row_step(s)) for `input` (an
// NHWC tensor of shape s) and `zero` (dwconv_zero_bytes of the input zero
// point).
void dwconv_indirection_init(const WindowShape& s, const int8_t* input, const int8_t* zero,
                             const int8_t** indirection);
// The same for output rows [row_begin, row_end) only (r = n * out_h + y),
// written from indirection[0]: for ops that build their pointers a few rows
// at a time instead of keeping them all.
void dwconv_indirection_init_rows(const WindowShape& s, const int8_t* input, const int8_t* zero, size_t row_begin,
                                  size_t row_end, const int8_t** indirection);

}  // namespace qwasm
