#include "sinkq/format.h"

namespace sinkq {
namespace format {

namespace {
// Table for the reflected IEEE polynomial 0xEDB88320, built at compile time so
// that there is no static constructor.
struct Crc32Table {
  uint32_t v[256];
};
constexpr Crc32Table make_table() {
  Crc32Table t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t.v[i] = c;
  }
  return t;
}
constexpr Crc32Table kTable = make_table();
}  // namespace

uint32_t crc32(const void* data, size_t n, uint32_t crc) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = kTable.v[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace format
}  // namespace sinkq
