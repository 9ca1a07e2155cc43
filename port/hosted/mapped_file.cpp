#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinkq/port/hosted.h"

namespace sinkq {
namespace port {

namespace {
// mmap cannot map zero bytes. An empty file still opens, as an empty aligned
// buffer, so the loader reports it as truncated instead of the caller
// printing a strerror() of an errno nobody set.
alignas(64) const uint8_t kEmpty[64] = {};
}  // namespace

MappedFile::~MappedFile() { close(); }

bool MappedFile::open(const char* path) {
  close();
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return false;
  }
  if (st.st_size == 0) {
    ::close(fd);
    data_ = kEmpty;
    return true;
  }
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return false;
  data_ = static_cast<const uint8_t*>(p);
  size_ = static_cast<size_t>(st.st_size);
  return true;
}

void MappedFile::close() {
  if (data_ && data_ != kEmpty) munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace port
}  // namespace sinkq
