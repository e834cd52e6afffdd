// crc32.h — CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial value
// and final XOR 0xFFFFFFFF; the CRC of zlib, PNG and ZIP), used by the .qwm
// model format to detect damaged files.
//
// Slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per step
// (several times faster than one byte per step), which matters because a
// model's weights are checked on every load.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qwasm {
namespace crc32_detail {

struct Tables {
  uint32_t t[8][256];
};

constexpr Tables MakeTables() {
  Tables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    tables.t[0][i] = c;
  }
  // t[k][i]: the CRC of byte i followed by k zero bytes.
  for (int k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) {
      const uint32_t prev = tables.t[k - 1][i];
      tables.t[k][i] = (prev >> 8) ^ tables.t[0][prev & 0xFF];
    }
  }
  return tables;
}

inline constexpr Tables kTables = MakeTables();

}  // namespace crc32_detail

// Continues a CRC: Crc32(b, Crc32(a)) == Crc32(a followed by b).
inline uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0) {
  const auto& t = crc32_detail::kTables.t;
  uint32_t c = ~crc;
  while (size >= 8) {
    // Bytes assembled explicitly: independent of host byte order.
    const uint32_t lo = c ^ (uint32_t{data[0]} | uint32_t{data[1]} << 8 | uint32_t{data[2]} << 16 |
                             uint32_t{data[3]} << 24);
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][data[4]] ^ t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]];
    data += 8;
    size -= 8;
  }
  while (size--) c = (c >> 8) ^ t[0][(c ^ *data++) & 0xFF];
  return ~c;
}

}  // namespace qwasm
