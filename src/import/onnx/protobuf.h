// protobuf.h — a minimal, validating reader of the protobuf wire format.
//
// ONNX files are protobuf messages, and untrusted input. This reader checks
// every length against the bytes that remain, caps varints at 10 bytes and
// lets callers bound nesting depth and element counts before they allocate.
// It knows nothing of any schema: onnx_model.cc maps field numbers to meaning.
//
// Wire format, for reference: a message is a sequence of fields, each a
// varint key (field_number << 3 | wire_type) followed by its value:
//   0 varint (int32/int64/uint64/bool/enum; int32 negatives take 10 bytes)
//   1 fixed64 (little-endian 8 bytes: double, fixed64)
//   2 length-delimited (varint length, then bytes: strings, sub-messages,
//     packed repeated scalars)
//   5 fixed32 (little-endian 4 bytes: float, fixed32)
//   3/4 groups (deprecated; rejected here)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace qwasm::pb {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Nesting deeper than this is rejected (real ONNX graphs nest about 6 deep).
constexpr int kMaxDepth = 32;

struct Span {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string str() const { return std::string(reinterpret_cast<const char*>(data), size); }
};

struct Field {
  uint32_t number = 0;
  WireType wire = kVarint;
  uint64_t varint = 0;  // kVarint, kFixed64 and kFixed32 values (fixed ones zero-extended)
  Span bytes;           // kLengthDelimited payload, inside the message

  int64_t as_int64() const { return static_cast<int64_t>(varint); }
  float as_float() const;    // kFixed32
  double as_double() const;  // kFixed64
};

// Iterates the fields of one message. Usage:
//   pb::Reader r(span);  pb::Field f;
//   while (r.Next(&f)) { ... }   then check r.status()
class Reader {
 public:
  explicit Reader(Span s) : p_(s.data), end_(s.data + s.size) {}
  // Reads the next field; false at the end of the message or on an error
  // (then status() says what went wrong).
  bool Next(Field* f);
  const Status& status() const { return status_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

 private:
  bool Fail(const std::string& message);
  bool ReadVarint(uint64_t* v);

  const uint8_t* p_;
  const uint8_t* end_;
  Status status_;
};

// Reads one varint from [*p, end); advances *p. False when truncated or
// longer than 10 bytes (or a 10th byte above 1, which overflows 64 bits).
bool ReadVarint(const uint8_t** p, const uint8_t* end, uint64_t* v);

// Repeated scalar fields may arrive packed (one length-delimited field) or
// one value per field; both are accepted. `max_count` bounds the total
// number of elements kept in `out` (checked before it grows).
Status AppendVarints(const Field& f, size_t max_count, std::vector<int64_t>* out);
Status AppendFixed32(const Field& f, size_t max_count, std::vector<uint32_t>* out);

// Context for messages: "field 5 (wire type 2)".
std::string FieldName(const Field& f);

}  // namespace qwasm::pb
