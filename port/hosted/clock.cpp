#include <time.h>

#include "sinkq/port/hosted.h"

namespace sinkq {
namespace port {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace port
}  // namespace sinkq
