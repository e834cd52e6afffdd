// zip_reader.h — reads the stored (uncompressed) entries of a ZIP archive
// appended to a file, as TFLite's metadata populator does to pack label files
// into a .tflite. Every offset and size is validated and every entry's CRC-32
// checked. Compressed entries are listed but cannot be extracted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace qwasm::zip {

struct Entry {
  std::string name;
  uint16_t method = 0;  // 0 = stored, 8 = deflate
  uint32_t crc32 = 0;
  const uint8_t* data = nullptr;  // compressed bytes, inside the file
  size_t size = 0;                // compressed size
  size_t uncompressed_size = 0;
};

// True when the file ends with a ZIP end-of-central-directory record.
bool HasArchive(const uint8_t* data, size_t size);

// Lists the archive's entries. Offsets stated relative to the archive start
// (plain concatenation) or to the file start (Python zipfile append) both work.
Result<std::vector<Entry>> ReadArchive(const uint8_t* data, size_t size);

// Contents of a stored entry after checking its CRC-32.
Result<std::string> Extract(const Entry& e);

uint32_t Crc32(const uint8_t* data, size_t size);

}  // namespace qwasm::zip
