#include "import/zip_reader.h"

#include <array>
#include <cstring>

namespace qwasm::zip {
namespace {

constexpr uint32_t kEndOfCentralDir = 0x06054b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr size_t kEndRecordSize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;

uint32_t U32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint16_t U16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }

// Position of the end-of-central-directory record, searching back over a
// possible archive comment (at most 65535 bytes).
bool FindEnd(const uint8_t* data, size_t size, size_t* pos) {
  if (size < kEndRecordSize) return false;
  const size_t last = size - kEndRecordSize;
  const size_t first = last > 65535 ? last - 65535 : 0;
  for (size_t p = last + 1; p-- > first;) {
    if (U32(data + p) == kEndOfCentralDir && p + kEndRecordSize + U16(data + p + 20) == size) {
      *pos = p;
      return true;
    }
  }
  return false;
}

Status Damaged(const std::string& what) {
  return Status::Error("embedded zip archive is damaged (" + what + "); the file may be truncated");
}

}  // namespace

uint32_t Crc32(const uint8_t* data, size_t size) {
  // Built once, thread-safely (function-local static initialisation).
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

bool HasArchive(const uint8_t* data, size_t size) {
  size_t pos;
  return FindEnd(data, size, &pos);
}

Result<std::vector<Entry>> ReadArchive(const uint8_t* data, size_t size) {
  size_t end;
  if (!FindEnd(data, size, &end)) return Damaged("no end-of-central-directory record");
  const uint8_t* e = data + end;
  const uint16_t count = U16(e + 10);
  const uint32_t dir_size = U32(e + 12);
  const uint32_t dir_offset = U32(e + 16);
  if (dir_size > end) return Damaged("central directory larger than the file");
  const size_t dir = end - dir_size;
  // Offsets may be relative to the archive or to the file; the difference
  // between where the directory is and where it claims to be tells which.
  if (dir_offset > dir) return Damaged("central directory offset past its position");
  const size_t shift = dir - dir_offset;
  std::vector<Entry> entries;
  size_t p = dir;
  for (uint16_t i = 0; i < count; ++i) {
    if (p + kCentralHeaderSize > end || U32(data + p) != kCentralHeader) return Damaged("bad central directory entry");
    const uint8_t* h = data + p;
    Entry entry;
    entry.method = U16(h + 10);
    entry.crc32 = U32(h + 16);
    entry.size = U32(h + 20);
    entry.uncompressed_size = U32(h + 24);
    const size_t name_len = U16(h + 28), extra_len = U16(h + 30), comment_len = U16(h + 32);
    const size_t local = static_cast<size_t>(U32(h + 42)) + shift;
    if (p + kCentralHeaderSize + name_len + extra_len + comment_len > end) return Damaged("entry name past the directory");
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    p += kCentralHeaderSize + name_len + extra_len + comment_len;
    if (local > dir || dir - local < kLocalHeaderSize || U32(data + local) != kLocalHeader) {
      return Damaged("local header of '" + entry.name + "' missing");
    }
    const size_t body = local + kLocalHeaderSize + U16(data + local + 26) + U16(data + local + 28);
    if (body > dir || entry.size > dir - body) return Damaged("data of '" + entry.name + "' runs past the archive");
    entry.data = data + body;
    entries.push_back(entry);
  }
  return entries;
}

Result<std::string> Extract(const Entry& e) {
  if (e.method != 0) {
    return Status::Error("zip entry '" + e.name + "' is compressed (method " + std::to_string(e.method) +
                         "); only stored entries are supported");
  }
  if (e.size != e.uncompressed_size) return Damaged("stored entry '" + e.name + "' has two sizes");
  if (Crc32(e.data, e.size) != e.crc32) return Damaged("CRC mismatch in '" + e.name + "'");
  return std::string(reinterpret_cast<const char*>(e.data), e.size);
}

}  // namespace qwasm::zip
