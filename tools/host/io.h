// Host file helpers and a 64-byte-aligned byte buffer for in-place models.
#ifndef SINKQ_TOOLS_IO_H_
#define SINKQ_TOOLS_IO_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace sinkq {
namespace host {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { resize(n); }
  explicit AlignedBuffer(const std::vector<uint8_t>& v) {
    resize(v.size());
    if (!v.empty()) std::memcpy(data(), v.data(), v.size());
  }
  void resize(size_t n) {
    p_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, (n + 63) / 64 * 64 + 64)));
    size_ = n;
  }
  uint8_t* data() { return p_.get(); }
  const uint8_t* data() const { return p_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> p_;
  size_t size_ = 0;
};

bool read_file(const std::string& path, std::vector<uint8_t>* out);
bool write_file(const std::string& path, const std::vector<uint8_t>& bytes);
bool read_text(const std::string& path, std::string* out);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_IO_H_
