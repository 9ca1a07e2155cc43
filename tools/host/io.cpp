#include "io.h"

#include <cstdio>

namespace sinkq {
namespace host {

bool read_file(const std::string& path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out->clear();
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  // Write to a temporary name and rename, so a failed write never leaves a
  // half-written model behind.
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return false;
  bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

bool read_text(const std::string& path, std::string* out) {
  std::vector<uint8_t> b;
  if (!read_file(path, &b)) return false;
  out->assign(b.begin(), b.end());
  return true;
}

}  // namespace host
}  // namespace sinkq
