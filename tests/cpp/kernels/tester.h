// tester.h — what the kernel family testers (XNNPACK's GemmMicrokernelTester
// style) share. A tester is a builder of one test's parameters
//   QGemmTester().m(3).n(17).k(9).a_zero_point(-128).Test(config);
// whose Test() draws the data from its seed, computes the expected bytes
// with the family's oracle (tests/cpp/oracle/oracle.h), runs the variant
// the KernelConfig holds in pieces as threads split the work, and compares.
// On failure it reports a one-line description naming every parameter
// (doctest INFO), the first differing index, both values and the count of
// differences. Test cases are named edge-case families and run every table
// of AllKernelConfigs(), so the reference variants meet the oracle too.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <limits>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/config.h"
#include "kernels/params.h"
#include "oracle/oracle.h"
#include "test_random.h"

namespace qwasm::testing {

// ---- builder parameters ----
// QWASM_PP_EACH(m, (a), (b), ...) expands to m (a) m (b) ...: up to 14.
#define QWASM_PP_CAT_(a, b) a##b
#define QWASM_PP_CAT(a, b) QWASM_PP_CAT_(a, b)
#define QWASM_PP_COUNT(...) QWASM_PP_COUNT_(__VA_ARGS__, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define QWASM_PP_COUNT_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, n, ...) n
#define QWASM_PP_EACH(m, ...) QWASM_PP_CAT(QWASM_PP_EACH_, QWASM_PP_COUNT(__VA_ARGS__))(m, __VA_ARGS__)
#define QWASM_PP_EACH_1(m, a) m a
#define QWASM_PP_EACH_2(m, a, b) m a m b
#define QWASM_PP_EACH_3(m, a, b, c) m a m b m c
#define QWASM_PP_EACH_4(m, a, b, c, d) m a m b m c m d
#define QWASM_PP_EACH_5(m, a, b, c, d, e) m a m b m c m d m e
#define QWASM_PP_EACH_6(m, a, b, c, d, e, f) QWASM_PP_EACH_3(m, a, b, c) QWASM_PP_EACH_3(m, d, e, f)
#define QWASM_PP_EACH_7(m, a, ...) m a QWASM_PP_EACH_6(m, __VA_ARGS__)
#define QWASM_PP_EACH_8(m, a, b, c, d, ...) QWASM_PP_EACH_4(m, a, b, c, d) QWASM_PP_EACH_4(m, __VA_ARGS__)
#define QWASM_PP_EACH_9(m, a, ...) m a QWASM_PP_EACH_8(m, __VA_ARGS__)
#define QWASM_PP_EACH_10(m, a, b, c, d, e, ...) QWASM_PP_EACH_5(m, a, b, c, d, e) QWASM_PP_EACH_5(m, __VA_ARGS__)
#define QWASM_PP_EACH_11(m, a, ...) m a QWASM_PP_EACH_10(m, __VA_ARGS__)
#define QWASM_PP_EACH_12(m, a, b, c, d, e, f, ...) QWASM_PP_EACH_6(m, a, b, c, d, e, f) QWASM_PP_EACH_6(m, __VA_ARGS__)
#define QWASM_PP_EACH_13(m, a, ...) m a QWASM_PP_EACH_12(m, __VA_ARGS__)
#define QWASM_PP_EACH_14(m, a, b, ...) m a m b QWASM_PP_EACH_12(m, __VA_ARGS__)

#define QWASM_TESTER_PARAM_(Type, name, initial) \
 public:                                         \
  Self& name(Type v) {                           \
    name##_ = std::move(v);                      \
    return static_cast<Self&>(*this);            \
  }                                              \
  const Type& name() const { return name##_; }   \
                                                 \
 private:                                        \
  Type name##_ = initial;
#define QWASM_TESTER_DESCRIBE_(Type, name, initial) d(#name, name##_);

// Declares the builder parameters of a tester (or of a group of knobs it
// inherits), each a (Type, name, initial) triple: `Self& name(Type)` sets
// one and returns the tester, so calls chain; `name()` reads it; and
// describe(d) adds every one, named, to a Description. Self is the tester.
#define QWASM_TESTER_PARAMS(SelfType, describe, ...)                                       \
 public:                                                                                  \
  using Self = SelfType;                                                                  \
  void describe(Description& d) const { QWASM_PP_EACH(QWASM_TESTER_DESCRIBE_, __VA_ARGS__) } \
  QWASM_PP_EACH(QWASM_TESTER_PARAM_, __VA_ARGS__)

// Runs f(config) on every kernel table of this build (reference first).
template <typename F>
void ForEachConfig(F&& f) {
  for (const KernelConfig* config : AllKernelConfigs()) {
    INFO("kernel table: " << std::string(config->name));
    f(*config);
  }
}

// A test case run on every kernel table of this build (reference first):
// the body sees the table as `config`.
#define QWASM_KERNEL_TEST(title) QWASM_KERNEL_TEST_(title, QWASM_PP_CAT(KernelTest, __LINE__))
#define QWASM_KERNEL_TEST_(title, body)                                   \
  static void body(const ::qwasm::KernelConfig& config);                \
  TEST_CASE(title) {                                                     \
    for (const ::qwasm::KernelConfig* c : ::qwasm::AllKernelConfigs()) { \
      INFO("kernel table: " << std::string(c->name));                    \
      body(*c);                                                          \
    }                                                                    \
  }                                                                      \
  static void body(const ::qwasm::KernelConfig& config)

// A value knob left to the random draw (fills, biases): no int8 value, nor
// any bias the operators accept, is INT32_MIN. Descriptions say "random".
inline constexpr int kRandom = std::numeric_limits<int32_t>::min();

// int8 values and enumerators print as numbers, floats with every digit.
template <typename T>
auto Printable(T v) {
  if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
    return static_cast<int>(v);
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<int>(v);
  } else {
    return v;
  }
}

inline std::ostream& operator<<(std::ostream& out, const std::vector<int32_t>& v) {
  out << '[';
  for (size_t i = 0; i < v.size(); ++i) out << (i ? " " : "") << v[i];
  return out << ']';
}

// The one-line description of a test: "family table (variant) a=1 b=2 ...".
class Description {
 public:
  Description(const char* family, const KernelConfig& config, const char* variant = nullptr) {
    out_ << family << " [" << config.name;
    if (variant) out_ << ' ' << variant;
    out_ << ']';
  }
  template <typename T>
  Description& operator()(const char* name, const T& value) {
    out_ << ' ' << name << '=';
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) >= 4) {
      if (value == kRandom) {
        out_ << "random";
        return *this;
      }
    }
    out_ << std::setprecision(9) << Printable(value);
    return *this;
  }
  Description& operator()(const char* name, const QOutput& o) {
    out_ << ' ' << name << "={zp " << o.zero_point << ", [" << o.min << ", " << o.max << "]}";
    return *this;
  }
  Description& operator()(const char* name, const FOutput& o) {
    out_ << ' ' << name << "=[" << std::setprecision(9) << o.min << ", " << o.max << ']';
    return *this;
  }
  Description& operator()(const char* name, const WindowShape& s) {
    out_ << ' ' << name << "={batch " << s.batch << ", in " << s.in_h << 'x' << s.in_w << 'x' << s.in_c << ", out "
         << s.out_h << 'x' << s.out_w << 'x' << s.out_c << ", kernel " << s.kernel_h << 'x' << s.kernel_w
         << ", stride " << s.stride_h << 'x' << s.stride_w << ", dilation " << s.dilation_h << 'x'
         << s.dilation_w << ", pad top " << s.pad_top << " left " << s.pad_left << '}';
    return *this;
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// Elements are the same: equal, or both NaN for floats (+0 equals -0: the
// float kernels promise equal values, not equal zero signs).
template <typename T>
bool Same(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return a == b || (std::isnan(a) && std::isnan(b));
  } else {
    return a == b;
  }
}

// Fails the test case at the first difference between got and want, with
// the description: the index, both values, how many elements differ.
// bits: floats must match bit for bit (sign of zero, NaN payload).
template <typename T>
void ExpectSame(const std::vector<T>& got, const std::vector<T>& want, const std::string& what,
                bool bits = false) {
  REQUIRE_MESSAGE(got.size() == want.size(), what);
  size_t first = 0, count = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool same = bits ? std::memcmp(&got[i], &want[i], sizeof(T)) == 0 : Same(got[i], want[i]);
    if (!same && count++ == 0) first = i;
  }
  if (count) {
    FAIL(what << "\n  " << count << " of " << got.size() << " elements differ; first at index " << first
              << ": got " << std::setprecision(9) << Printable(got[first]) << ", want "
              << Printable(want[first]));
  }
}

// A float kernel's output against its reference's (run on the same input),
// bit for bit, sign of zero included, except that with any_nan a NaN may be
// any NaN: wasm leaves the payload and sign of a NaN made by arithmetic
// unspecified (scalar and SIMD alike), whereas a selection (max pool) must
// keep the input's NaN as the reference does.
inline void ExpectReferenceBits(const std::vector<float>& got, const std::vector<float>& want, bool any_nan,
                                const std::string& what) {
  REQUIRE_MESSAGE(got.size() == want.size(), what);
  size_t first = 0, count = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool same = std::memcmp(&got[i], &want[i], sizeof(float)) == 0 ||
                      (any_nan && std::isnan(got[i]) && std::isnan(want[i]));
    if (!same && count++ == 0) first = i;
  }
  if (count) {
    auto bits = [](float v) {
      uint32_t u;
      std::memcpy(&u, &v, sizeof u);
      std::ostringstream hex;
      hex << std::setprecision(9) << v << " (0x" << std::hex << std::setw(8) << std::setfill('0') << u << ')';
      return hex.str();
    };
    FAIL(what << "\n  " << count << " of " << got.size() << " elements differ from the reference's bits; first at "
              << "index " << first << ": got " << bits(got[first]) << ", want " << bits(want[first]));
  }
}

// Values no kernel computes on purpose: the output starts as these, so a
// kernel that writes outside its range, or skips part of it, shows.
template <typename T>
std::vector<T> Sentinel(size_t n) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      v[i] = 12345.5f + static_cast<float>(i % 101);
    } else {
      v[i] = static_cast<T>(i * 37 + 11);
    }
  }
  return v;
}

// Checks a kernel whose output is computed in pieces, as threads split it:
// run(out, piece) computes piece `piece` of `pieces` into out, a buffer of
// exactly want.size() elements (sanitizers see any access past it). First
// piece `probe` alone into a Sentinel output: exactly the elements with
// inside(i, probe) may change, to want's values. Then every piece in order
// into a fresh Sentinel output: the result must be want, whose elements no
// piece covers (strides) hold the sentinel. bits: as ExpectSame.
template <typename T, typename Run, typename Inside>
void ExpectPieces(const std::vector<T>& want, size_t pieces, size_t probe, Run run, Inside inside,
                  const std::string& what, bool bits = false) {
  const std::vector<T> sentinel = Sentinel<T>(want.size());
  std::vector<T> alone = sentinel, probe_want = sentinel;
  for (size_t i = 0; i < want.size(); ++i) {
    if (inside(i, probe)) probe_want[i] = want[i];
  }
  run(alone.data(), probe);
  ExpectSame(alone, probe_want, what + " (piece " + std::to_string(probe) + " alone)", bits);
  std::vector<T> all = sentinel;
  for (size_t piece = 0; piece < pieces; ++piece) run(all.data(), piece);
  ExpectSame(all, want, what, bits);
}

// Cut points of [0, n) into 1 + `extra` pieces at random multiples of
// `align` (pieces may be empty), sorted, with 0 first and n last.
inline std::vector<size_t> RandomCuts(Rng& rng, size_t n, int extra, size_t align = 1) {
  std::vector<size_t> cuts = {0, n};
  for (int i = 0; i < extra && n > 0; ++i) cuts.push_back(std::min(n, rng.Index(0, (n - 1) / align) * align));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// "[0 3 17]" for a description.
inline std::string CutsText(const std::vector<size_t>& cuts) {
  std::string s = "[";
  for (size_t i = 0; i < cuts.size(); ++i) s += (i ? " " : "") + std::to_string(cuts[i]);
  return s + "]";
}

// Piece p of cut points: [cuts[p], cuts[p + 1]).
inline bool InPiece(const std::vector<size_t>& cuts, size_t p, size_t x) { return x >= cuts[p] && x < cuts[p + 1]; }

// How a tester cuts one axis of a kernel's output (channels, rows,
// elements) into the pieces threads would compute: an explicit range
// computed alone first (cuts {0, begin, end, n}), or `random` extra cut
// points at multiples of the axis' alignment.
class AxisSplit {
 public:
  static constexpr size_t kEnd = ~size_t{0};
  AxisSplit() = default;
  AxisSplit(size_t begin, size_t end) : begin_(begin), end_(end) {}
  static AxisSplit Random(int extra) {
    AxisSplit a;
    a.random_ = extra;
    return a;
  }
  std::vector<size_t> Cuts(Rng& rng, size_t n, size_t align = 1) const {
    if (random_) return RandomCuts(rng, n, random_, align);
    const size_t begin = std::min(begin_, n);
    return {0, begin, std::max(begin, std::min(end_, n)), n};
  }
  // The piece computed alone: the explicit range, or a random one.
  size_t Probe(Rng& rng, size_t pieces) const { return random_ ? rng.Index(0, pieces - 1) : 1; }
  friend std::ostream& operator<<(std::ostream& out, const AxisSplit& a) {
    if (a.random_) return out << "random(" << a.random_ << ')';
    return out << '[' << a.begin_ << ", " << (a.end_ == kEnd ? std::string("end") : std::to_string(a.end_)) << ')';
  }

 private:
  size_t begin_ = 0, end_ = kEnd;
  int random_ = 0;
};

// Output rows [row_begin, row_end) x channels [c_begin, c_end) of an NHWC
// output, as pieces of row cuts x channel cuts (piece = r * channel pieces
// + c); element i lies in piece p when its row and channel do.
struct RowChannelPieces {
  std::vector<size_t> rows, channels;  // cut points
  size_t pixels_per_row = 1, out_c = 1;
  size_t count() const { return (rows.size() - 1) * (channels.size() - 1); }
  size_t row_piece(size_t p) const { return p / (channels.size() - 1); }
  size_t channel_piece(size_t p) const { return p % (channels.size() - 1); }
  bool Inside(size_t i, size_t p) const {
    return InPiece(rows, row_piece(p), i / (pixels_per_row * out_c)) && InPiece(channels, channel_piece(p), i % out_c);
  }
};

// Runs run(out, row_begin, row_end, c_begin, c_end) over pieces of an
// output of `rows` rows of `pixels` pixels of `channels` elements (NHWC:
// rows = batch * out_h, pixels = out_w): rows cut by row_split, channels
// by channel_split at multiples of channel_align (null: whole channels).
template <typename T, typename Run>
void ExpectRowChannelPieces(Rng& rng, const std::vector<T>& want, size_t rows, size_t pixels, size_t channels,
                            const AxisSplit& row_split, const AxisSplit* channel_split, size_t channel_align,
                            Run run, const std::string& what) {
  RowChannelPieces pieces;
  pieces.rows = row_split.Cuts(rng, rows);
  pieces.channels = channel_split ? channel_split->Cuts(rng, channels, channel_align) : std::vector<size_t>{0, channels};
  pieces.pixels_per_row = pixels;
  pieces.out_c = channels;
  size_t probe = row_split.Probe(rng, pieces.rows.size() - 1) * (pieces.channels.size() - 1);
  if (channel_split) probe += channel_split->Probe(rng, pieces.channels.size() - 1);
  ExpectPieces(
      want, pieces.count(), probe,
      [&](T* out, size_t p) {
        const size_t r = pieces.row_piece(p), c = pieces.channel_piece(p);
        run(out, pieces.rows[r], pieces.rows[r + 1], pieces.channels[c], pieces.channels[c + 1]);
      },
      [&](size_t i, size_t p) { return pieces.Inside(i, p); },
      what + " row_cuts=" + CutsText(pieces.rows) + " channel_cuts=" + CutsText(pieces.channels) +
          " probe=" + std::to_string(probe));
}

// n int8 values: Rng::Int8Data, or `fill` everywhere.
inline std::vector<int8_t> Int8Fill(Rng& rng, size_t n, int fill) {
  return fill == kRandom ? rng.Int8Data(n) : std::vector<int8_t>(n, static_cast<int8_t>(fill));
}

// What every elementwise tester varies: the element count, how the
// elements are split into pieces, the data seed and how many draws.
template <typename Derived>
class ElementwiseKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeKnobs, (size_t, size, 1), (AxisSplit, split, AxisSplit()),
                      (uint32_t, seed, 1), (int, iterations, 1));

 protected:
  // Expected output: Sentinel values (size + guard of them), oracle(want)
  // writes the first size. Then run(out, begin, end) over pieces of
  // [0, size); the guards must stay untouched.
  template <typename Out, typename Oracle, typename Run>
  void ExpectElements(Rng& rng, const std::string& what, Oracle oracle, Run run, size_t guard = 0,
                      bool bits = false) const {
    std::vector<Out> want = Sentinel<Out>(size_ + guard);
    oracle(want.data());
    const std::vector<size_t> cuts = split_.Cuts(rng, size_);
    const size_t probe = split_.Probe(rng, cuts.size() - 1);
    ExpectPieces(
        want, cuts.size() - 1, probe, [&](Out* out, size_t p) { run(out, cuts[p], cuts[p + 1]); },
        [&](size_t i, size_t p) { return InPiece(cuts, p, i); },
        what + " cuts=" + CutsText(cuts) + " probe=" + std::to_string(probe), bits);
  }
};

// Element counts for elementwise testers: 0..100 (every tail of every
// vector width), around 128 and 256, large and odd ones, 8 random.
inline std::vector<size_t> ElementwiseSizes(Rng& rng) {
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 100; ++n) sizes.push_back(n);
  for (size_t n : {127, 128, 129, 255, 256, 257, 1001, 4096, 65537, 75264}) sizes.push_back(n);
  for (int i = 0; i < 8; ++i) sizes.push_back(rng.Index(101, 20000));
  return sizes;
}

// An int8 -> int8 requantization as operators make them for copies
// between grids: any zero points, scale ratio around 1, full range.
inline RequantizeParams RandomRequantize(Rng& rng) {
  RequantizeParams r;
  r.input_zero_point = rng.Int8Extreme();
  r.scale = rng.Scale(-2, 1);
  r.output.zero_point = rng.Int8Extreme();
  return r;
}

// A 16-byte aligned buffer (kernel scratch).
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t bytes)
      : bytes_(bytes), data_(static_cast<uint8_t*>(::operator new(bytes ? bytes : 1, std::align_val_t{16}))) {}
  ~AlignedBuffer() { ::operator delete(data_, std::align_val_t{16}); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  void* data() const { return data_; }
  size_t size() const { return bytes_; }

 private:
  size_t bytes_;
  uint8_t* data_;
};

// The output stage of a tester, whole or field by field: QOutput (int8:
// zero point and clamp) or FOutput (float clamp).
template <typename Derived, typename Stage>
class OutputKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeOutput, (Stage, output, Stage()));

 public:
  using Bound = decltype(Stage::min);
  Self& output_min(Bound v) { return Set(&Stage::min, v); }
  Self& output_max(Bound v) { return Set(&Stage::max, v); }
  Self& output_zero_point(int32_t v) { return Set(&QOutput::zero_point, v); }  // QOutput only

 private:
  template <typename T>
  Self& Set(T Stage::*field, T v) {
    output_.*field = v;
    return static_cast<Self&>(*this);
  }
};
template <typename Derived>
using QOutputKnobs = OutputKnobs<Derived, QOutput>;
template <typename Derived>
using FOutputKnobs = OutputKnobs<Derived, FOutput>;

// How a window tester pads its input: TensorFlow's SAME and VALID, or
// explicit amounts per side.
enum class Padding2D { kSame, kValid, kExplicit };

// The geometry knobs of window kernels (depthwise convolutions, pools).
// Rows (n * out_h + y) and channels of the output are split into pieces
// by row_split and channel_split.
template <typename Derived>
class WindowKnobs {
  QWASM_TESTER_PARAMS(Derived, DescribeWindowParams, (int, batch, 1), (int, channels, 1),
                      (AxisSplit, row_split, AxisSplit()), (AxisSplit, channel_split, AxisSplit()),
                      (uint32_t, seed, 1), (int, iterations, 1));

 public:
  void DescribeKnobs(Description& d) const {
    DescribeWindowParams(d);
    d("window", Shape());
  }
  Self& input_size(int h, int w) { return Set(&in_h_, h), Set(&in_w_, w); }
  Self& kernel_size(int h, int w) { return Set(&kernel_h_, h), Set(&kernel_w_, w); }
  Self& stride(int h, int w) { return Set(&stride_h_, h), Set(&stride_w_, w); }
  Self& dilation(int h, int w) { return Set(&dilation_h_, h), Set(&dilation_w_, w); }
  Self& padding_same() { return Set(&padding_, Padding2D::kSame); }
  Self& padding_valid() { return Set(&padding_, Padding2D::kValid); }
  Self& padding(int top, int left, int bottom, int right) {
    pads_[0] = top, pads_[1] = left, pads_[2] = bottom, pads_[3] = right;
    return Set(&padding_, Padding2D::kExplicit);
  }

  // The window of these knobs with out_c = channels * multiplier; out_h or
  // out_w is 0 when the kernel does not fit the (padded) input.
  WindowShape Shape(int multiplier = 1) const {
    WindowShape s;
    s.batch = batch_;
    s.in_h = in_h_, s.in_w = in_w_, s.in_c = channels_;
    s.out_c = channels_ * multiplier;
    s.kernel_h = kernel_h_, s.kernel_w = kernel_w_;
    s.stride_h = stride_h_, s.stride_w = stride_w_;
    s.dilation_h = dilation_h_, s.dilation_w = dilation_w_;
    Axis(in_h_, kernel_h_, stride_h_, dilation_h_, pads_[0], pads_[2], &s.out_h, &s.pad_top);
    Axis(in_w_, kernel_w_, stride_w_, dilation_w_, pads_[1], pads_[3], &s.out_w, &s.pad_left);
    return s;
  }

 protected:
  // The window, checked to have an output.
  WindowShape CheckedShape(const std::string& what, int multiplier = 1) const {
    const WindowShape s = Shape(multiplier);
    REQUIRE_MESSAGE((s.out_h > 0 && s.out_w > 0), what << ": the kernel does not fit the input");
    return s;
  }
  // Runs run(out, row_begin, row_end, c_begin, c_end) over pieces of the
  // window's NHWC output: rows, and channels at multiples of channel_align
  // when it is not 0.
  template <typename T, typename Run>
  void ExpectWindowPieces(Rng& rng, const WindowShape& s, const std::vector<T>& want, size_t channel_align, Run run,
                          const std::string& what) const {
    ExpectRowChannelPieces(rng, want, static_cast<size_t>(s.batch) * s.out_h, static_cast<size_t>(s.out_w),
                           static_cast<size_t>(s.out_c), row_split_, channel_align ? &channel_split_ : nullptr,
                           channel_align, run, what);
  }

 private:
  void Axis(int in, int kernel, int stride, int dilation, int before, int after, int* out, int* pad) const {
    const int extent = (kernel - 1) * dilation + 1;
    if (padding_ == Padding2D::kSame) {
      *out = (in + stride - 1) / stride;
      *pad = std::max(0, (*out - 1) * stride + extent - in) / 2;
      return;
    }
    const int padded = padding_ == Padding2D::kExplicit ? in + before + after : in;
    *out = padded >= extent ? (padded - extent) / stride + 1 : 0;
    *pad = padding_ == Padding2D::kExplicit ? before : 0;
  }
  template <typename T>
  Self& Set(T* field, T v) {
    *field = v;
    return static_cast<Self&>(*this);
  }

  int in_h_ = 1, in_w_ = 1;
  int kernel_h_ = 1, kernel_w_ = 1, stride_h_ = 1, stride_w_ = 1, dilation_h_ = 1, dilation_w_ = 1;
  Padding2D padding_ = Padding2D::kValid;
  int pads_[4] = {};
};

// Every parameter of a tester, in one line: its knob group (DescribeKnobs),
// its output stage (DescribeOutput) and its own (DescribeParams).
template <typename T, typename = void>
struct HasKnobs : std::false_type {};
template <typename T>
struct HasKnobs<T, std::void_t<decltype(&T::DescribeKnobs)>> : std::true_type {};
template <typename T, typename = void>
struct HasOutput : std::false_type {};
template <typename T>
struct HasOutput<T, std::void_t<decltype(&T::DescribeOutput)>> : std::true_type {};

template <typename Tester>
std::string DescribeTester(const Tester& t, const char* family, const KernelConfig& config,
                           const char* variant = nullptr) {
  Description d(family, config, variant);
  if constexpr (HasKnobs<Tester>::value) t.DescribeKnobs(d);
  if constexpr (HasOutput<Tester>::value) t.DescribeOutput(d);
  t.DescribeParams(d);
  return d.str();
}

// Calls body(rng, what) for each of the tester's `iterations` draws: rng
// seeded with seed + draw, what the description naming every parameter.
template <typename Tester, typename Body>
void ForEachDraw(const Tester& t, const std::string& description, Body&& body) {
  for (int draw = 0; draw < t.iterations(); ++draw) {
    Rng rng(t.seed() + static_cast<uint32_t>(draw));
    body(rng, description + " draw=" + std::to_string(draw));
  }
}

// An output stage the way OpContext derives one from a fused activation on
// an output grid of `out_scale`: none, RELU, RELU6, RELU_N1_TO_1, or a
// single-value range.
inline QOutput RandomActivation(Rng& rng, float out_scale) {
  QOutput o;
  o.zero_point = rng.Int8Extreme();
  auto grid = [&](double v) {
    const double q = o.zero_point + std::nearbyint(std::clamp(v / out_scale, -512.0, 512.0));
    return static_cast<int32_t>(std::clamp(q, -128.0, 127.0));
  };
  switch (rng.Int(0, 4)) {
    case 0: break;
    case 1: o.min = o.zero_point; break;
    case 2: o.min = o.zero_point, o.max = grid(6.0); break;
    case 3: o.min = grid(-1.0), o.max = grid(1.0); break;
    default: o.min = o.max = rng.Int(-128, 127); break;
  }
  if (o.min > o.max) o.max = o.min;  // prepare rejects an empty range
  return o;
}

// A random output stage: full range, [zp, 127] (ReLU), or any narrow
// range, the zero point often at an extreme.
inline QOutput RandomClamp(Rng& rng) {
  QOutput o;
  o.zero_point = rng.Int8Extreme();
  switch (rng.Int(0, 2)) {
    case 0: break;
    case 1: o.min = o.zero_point; break;
    default:
      o.min = rng.Int(-128, 127);
      o.max = rng.Int(o.min, 127);
  }
  return o;
}

// A float clamp: none, ReLU, ReLU6 or a narrow band.
inline FOutput RandomFloatClamp(Rng& rng) {
  switch (rng.Int(0, 3)) {
    case 0: return FOutput{};
    case 1: return FOutput{0.0f, std::numeric_limits<float>::infinity()};
    case 2: return FOutput{0.0f, 6.0f};
    default: return FOutput{-0.1f, 0.1f};
  }
}

// Float specials: NaN of both signs, infinities, the largest finite values,
// the smallest denormal, zeros of both signs.
inline float FloatSpecial(Rng& rng) {
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),  -std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),   -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::max(),        -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::denorm_min(), -0.0f,
                            0.0f};
  return specials[rng.Int(0, 8)];
}

// Replaces about one element in `one_in` of v by a FloatSpecial (0: none).
inline void SprinkleSpecials(Rng& rng, std::vector<float>* v, int one_in) {
  for (float& x : *v) {
    if (one_in == 0) return;
    if (rng.OneIn(one_in)) x = FloatSpecial(rng);
  }
}

// Inputs that tell float kernels apart bit for bit (ExpectReferenceBits):
// floats in [-4, 4) with about half of them specials, or only values of
// {+-0, +-NaN, +-inf, +-1} (ties between zeros of both signs, NaNs of both
// signs next to each other).
inline std::vector<float> ReferenceBitsData(Rng& rng, size_t n) {
  std::vector<float> x = rng.Floats(n, -4.0f, 4.0f);
  if (rng.OneIn(2)) {
    SprinkleSpecials(rng, &x, 2);
    return x;
  }
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float few[] = {0.0f, -0.0f, nan, -nan, inf, -inf, 1.0f, -1.0f};
  const int kinds = rng.OneIn(2) ? 2 : 8;  // zeros only, or all of them
  for (float& v : x) v = few[rng.Int(0, kinds - 1)];
  return x;
}

}  // namespace qwasm::testing
