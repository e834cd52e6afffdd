#include "import/flatbuffer.h"

namespace qwasm::fb {
namespace {

Status OutOfBounds(size_t pos, const char* what) {
  return Status::Error(std::string(what) + " at byte " + std::to_string(pos) +
                       " lies outside the file (truncated or corrupt)");
}

}  // namespace

Result<Table> Table::At(Bytes buf, size_t pos) {
  if (pos > buf.size || buf.size - pos < 4) return OutOfBounds(pos, "table");
  const int64_t vt = static_cast<int64_t>(pos) - LoadUnaligned<int32_t>(buf.data + pos);
  if (vt < 0 || static_cast<uint64_t>(vt) + 4 > buf.size) return OutOfBounds(pos, "vtable of table");
  Table t;
  t.buf_ = buf;
  t.pos_ = pos;
  t.vtable_ = static_cast<size_t>(vt);
  t.vtable_bytes_ = LoadUnaligned<uint16_t>(buf.data + t.vtable_);
  t.table_bytes_ = LoadUnaligned<uint16_t>(buf.data + t.vtable_ + 2);
  if (t.vtable_bytes_ < 4 || (t.vtable_bytes_ & 1) || t.vtable_ + t.vtable_bytes_ > buf.size) {
    return OutOfBounds(t.vtable_, "vtable");
  }
  if (t.table_bytes_ < 4 || pos + t.table_bytes_ > buf.size) return OutOfBounds(pos, "table body");
  return t;
}

Result<Table> Table::Root(Bytes buf) {
  if (buf.size < 8) return Status::Error("file is " + std::to_string(buf.size) + " bytes, too short");
  return At(buf, LoadUnaligned<uint32_t>(buf.data));
}

uint16_t Table::FieldOffset(int field) const {
  const size_t slot = 4 + 2 * static_cast<size_t>(field);
  if (slot + 2 > vtable_bytes_) return 0;
  return LoadUnaligned<uint16_t>(buf_.data + vtable_ + slot);
}

Status Table::Fail(int field, const char* what) const {
  return Status::Error(std::string(what) + " (field " + std::to_string(field) + " of the table at byte " +
                       std::to_string(pos_) + "; truncated or corrupt file)");
}

Result<size_t> Table::Follow(int field) const {
  const uint16_t off = FieldOffset(field);
  if (off + size_t{4} > table_bytes_) return Fail(field, "offset field past the table");
  const size_t at = pos_ + off;
  const uint64_t target = static_cast<uint64_t>(at) + LoadUnaligned<uint32_t>(buf_.data + at);
  if (target >= buf_.size) return Fail(field, "offset points outside the file");
  return static_cast<size_t>(target);
}

Result<Table> Table::SubTable(int field, bool* present) const {
  *present = Has(field);
  if (!*present) return Table();
  Result<size_t> target = Follow(field);
  if (!target.ok()) return target.status();
  return At(buf_, target.value());
}

Result<Vector> Table::VectorField(int field, size_t elem_size) const {
  Vector v;
  v.buf = buf_;
  v.elem_size = elem_size;
  if (!Has(field)) return v;
  Result<size_t> target = Follow(field);
  if (!target.ok()) return target.status();
  const size_t p = target.value();
  if (buf_.size - p < 4) return Fail(field, "vector length past the end of the file");
  v.count = LoadUnaligned<uint32_t>(buf_.data + p);
  v.pos = p + 4;
  if (static_cast<uint64_t>(v.count) * elem_size > buf_.size - v.pos) {
    return Fail(field, "vector runs past the end of the file");
  }
  return v;
}

Result<Table> Table::TableAt(const Vector& v, uint32_t i) {
  const size_t at = v.pos + static_cast<size_t>(i) * 4;
  const uint64_t target = static_cast<uint64_t>(at) + LoadUnaligned<uint32_t>(v.buf.data + at);
  if (target >= v.buf.size) return OutOfBounds(at, "table offset in vector");
  return At(v.buf, static_cast<size_t>(target));
}

Result<std::string> Table::String(int field) const {
  Result<Vector> v = VectorField(field, 1);
  if (!v.ok()) return v.status();
  return std::string(reinterpret_cast<const char*>(v.value().data()), v.value().count);
}

}  // namespace qwasm::fb
