// Hosted (Linux) port: read-only file mapping for in-place models, a clock.
#ifndef SINKQ_PORT_HOSTED_H_
#define SINKQ_PORT_HOSTED_H_

#include <stddef.h>
#include <stdint.h>

namespace sinkq {
namespace port {

// A read-only mapping of a whole file. mmap returns page-aligned memory, which
// satisfies the model loader's 64-byte alignment.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Returns false (and errno is set) if the file cannot be opened or mapped
  // or is not a regular file. An empty file opens as an empty buffer (non-null,
  // aligned), so that the loader can say what is wrong with it.
  bool open(const char* path);
  void close();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Monotonic time in nanoseconds.
uint64_t now_ns();

}  // namespace port
}  // namespace sinkq

#endif  // SINKQ_PORT_HOSTED_H_
