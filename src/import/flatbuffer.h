// flatbuffer.h — a small, bounds-checked FlatBuffers reader.
//
// Model files are untrusted input. This reader checks every offset and size
// before it touches a byte (the FlatBuffers library's own accessors do not;
// its Verifier does, but needs generated code for the whole TFLite schema).
// It reads little-endian scalars with LoadUnaligned (core/unaligned.h), so unaligned data is harmless.
//
// FlatBuffers layout, for reference:
//   buffer start: u32 offset to the root table
//   table at T:   i32 s; its vtable is at T - s
//   vtable at V:  u16 vtable_bytes, u16 table_bytes, u16 field_offset[...]
//                 (field i is absent when i is past the vtable or its offset is 0)
//   field:        scalars inline at T + field_offset; tables, vectors and
//                 strings are u32 offsets relative to the field's own position
//   vector at P:  u32 count, then the elements; a string adds a trailing NUL
//   union:        two fields, a u8 type tag and an offset to the table
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/status.h"
#include "core/unaligned.h"

namespace qwasm::fb {

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// A vector of scalars or of offsets: `count` elements of `elem_size` bytes
// starting at `pos`, all inside the buffer.
struct Vector {
  Bytes buf;
  size_t pos = 0;
  uint32_t count = 0;
  size_t elem_size = 0;

  template <typename T>
  T At(uint32_t i) const {  // i < count, checked by the caller's loop bound
    return LoadUnaligned<T>(buf.data + pos + static_cast<size_t>(i) * elem_size);
  }
  const uint8_t* data() const { return buf.data + pos; }
  size_t bytes() const { return static_cast<size_t>(count) * elem_size; }
};

class Table {
 public:
  Table() = default;
  // Validates the table header and vtable at `pos`.
  static Result<Table> At(Bytes buf, size_t pos);
  // The root table of a buffer.
  static Result<Table> Root(Bytes buf);

  bool Has(int field) const { return FieldOffset(field) != 0; }

  // Scalar field, or `fallback` when absent; checked against the table body.
  template <typename T>
  Result<T> Scalar(int field, T fallback) const {
    const uint16_t off = FieldOffset(field);
    if (off == 0) return fallback;
    if (static_cast<size_t>(off) + sizeof(T) > table_bytes_) return Fail(field, "scalar past the table");
    return LoadUnaligned<T>(buf_.data + pos_ + off);
  }

  // Sub-table; `present` is false (and the Table empty) when the field is absent.
  Result<Table> SubTable(int field, bool* present) const;
  // Vector of `elem_size`-byte elements; an absent field gives an empty vector.
  Result<Vector> VectorField(int field, size_t elem_size) const;
  // Vector of tables: the i-th table.
  static Result<Table> TableAt(const Vector& v, uint32_t i);
  // String, "" when absent.
  Result<std::string> String(int field) const;

  size_t pos() const { return pos_; }
  // Byte position of a present field's inline value, 0 when absent (tests
  // use it to corrupt specific fields).
  size_t FieldPosition(int field) const {
    const uint16_t off = FieldOffset(field);
    return off ? pos_ + off : 0;
  }

 private:
  uint16_t FieldOffset(int field) const;
  Status Fail(int field, const char* what) const;
  // Position that the u32 offset stored in `field` points to.
  Result<size_t> Follow(int field) const;

  Bytes buf_;
  size_t pos_ = 0;
  size_t vtable_ = 0;
  uint16_t vtable_bytes_ = 0;
  uint16_t table_bytes_ = 0;
};

}  // namespace qwasm::fb
