#include "import/onnx/protobuf.h"

#include <cstring>

namespace qwasm::pb {

float Field::as_float() const {
  const uint32_t bits = static_cast<uint32_t>(varint);
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

double Field::as_double() const {
  double v;
  std::memcpy(&v, &varint, 8);
  return v;
}

bool ReadVarint(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  uint64_t result = 0;
  const uint8_t* q = *p;
  for (int i = 0; i < 10; ++i) {
    if (q == end) return false;
    const uint8_t b = *q++;
    // The 10th byte holds bit 63 only; anything more overflows 64 bits.
    if (i == 9 && b > 1) return false;
    result |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      *p = q;
      *v = result;
      return true;
    }
  }
  return false;
}

bool Reader::Fail(const std::string& message) {
  status_ = Status::Error(message);
  p_ = end_;
  return false;
}

bool Reader::ReadVarint(uint64_t* v) { return pb::ReadVarint(&p_, end_, v); }

bool Reader::Next(Field* f) {
  if (!status_.ok() || p_ == end_) return false;
  uint64_t key;
  if (!ReadVarint(&key)) return Fail("truncated or overlong field key");
  const uint64_t number = key >> 3;
  if (number == 0 || number > 0x1FFFFFFF) return Fail("invalid field number " + std::to_string(number));
  f->number = static_cast<uint32_t>(number);
  f->wire = static_cast<WireType>(key & 7);
  f->varint = 0;
  f->bytes = {};
  switch (key & 7) {
    case kVarint:
      if (!ReadVarint(&f->varint)) return Fail("field " + std::to_string(number) + ": truncated or overlong varint");
      return true;
    case kFixed64:
      if (remaining() < 8) return Fail("field " + std::to_string(number) + ": truncated 64-bit value");
      std::memcpy(&f->varint, p_, 8);
      p_ += 8;
      return true;
    case kFixed32: {
      if (remaining() < 4) return Fail("field " + std::to_string(number) + ": truncated 32-bit value");
      uint32_t v;
      std::memcpy(&v, p_, 4);
      f->varint = v;
      p_ += 4;
      return true;
    }
    case kLengthDelimited: {
      uint64_t length;
      if (!ReadVarint(&length)) return Fail("field " + std::to_string(number) + ": truncated length");
      if (length > remaining()) {
        return Fail("field " + std::to_string(number) + ": length " + std::to_string(length) + " runs past the end (" +
                    std::to_string(remaining()) + " bytes left; truncated or corrupt)");
      }
      f->bytes = {p_, static_cast<size_t>(length)};
      p_ += length;
      return true;
    }
    default:
      return Fail("field " + std::to_string(number) + ": unsupported wire type " + std::to_string(key & 7));
  }
}

std::string FieldName(const Field& f) {
  return "field " + std::to_string(f.number) + " (wire type " + std::to_string(f.wire) + ")";
}

Status AppendVarints(const Field& f, size_t max_count, std::vector<int64_t>* out) {
  if (f.wire == kVarint) {
    if (out->size() >= max_count) return Status::Error("more than " + std::to_string(max_count) + " values");
    out->push_back(f.as_int64());
    return Status::Ok();
  }
  if (f.wire != kLengthDelimited) return Status::Error(FieldName(f) + ": expected integers");
  // Each varint takes at least one byte: count them before growing `out`.
  size_t count = 0;
  for (size_t i = 0; i < f.bytes.size; ++i) count += (f.bytes.data[i] & 0x80) == 0;
  if (count > max_count - out->size()) {
    return Status::Error("more than " + std::to_string(max_count) + " values");
  }
  out->reserve(out->size() + count);
  const uint8_t* p = f.bytes.data;
  const uint8_t* end = p + f.bytes.size;
  while (p != end) {
    uint64_t v;
    if (!ReadVarint(&p, end, &v)) return Status::Error(FieldName(f) + ": malformed packed varint");
    out->push_back(static_cast<int64_t>(v));
  }
  return Status::Ok();
}

Status AppendFixed32(const Field& f, size_t max_count, std::vector<uint32_t>* out) {
  if (f.wire == kFixed32) {
    if (out->size() >= max_count) return Status::Error("more than " + std::to_string(max_count) + " values");
    out->push_back(static_cast<uint32_t>(f.varint));
    return Status::Ok();
  }
  if (f.wire != kLengthDelimited) return Status::Error(FieldName(f) + ": expected 32-bit values");
  if (f.bytes.size % 4 != 0) {
    return Status::Error(FieldName(f) + ": packed 32-bit values take " + std::to_string(f.bytes.size) +
                         " bytes, not a multiple of 4");
  }
  const size_t count = f.bytes.size / 4;
  if (count > max_count - out->size()) {
    return Status::Error("more than " + std::to_string(max_count) + " values");
  }
  if (count == 0) return Status::Ok();  // an empty packed field: memcpy from/to null is UB
  const size_t old = out->size();
  out->resize(old + count);
  std::memcpy(out->data() + old, f.bytes.data, f.bytes.size);
  return Status::Ok();
}

}  // namespace qwasm::pb
