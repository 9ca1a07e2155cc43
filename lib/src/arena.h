// Bump planner over the caller's arena. With a null base it only measures, so
// required_bytes() and init() share one code path and cannot disagree. Sizes
// are summed in 64 bits so that a huge configuration on a 32-bit target is
// reported as too large instead of wrapping around.
#ifndef SINKQ_ARENA_H_
#define SINKQ_ARENA_H_

#include <stddef.h>
#include <stdint.h>

namespace sinkq {

class ArenaPlanner {
 public:
  static constexpr uint64_t kAlign = 64;
  explicit ArenaPlanner(uint8_t* base) : base_(base) {}

  // Single requests are capped at 2^48 bytes so that the 64-bit sum cannot
  // wrap; a request beyond the cap marks the plan too large (on a 64-bit
  // target the sum alone would never exceed SIZE_MAX and the cap would
  // silently under-count).
  static constexpr uint64_t kMaxRequest = uint64_t{1} << 48;

  template <typename T>
  T* take(uint64_t count) {
    offset_ = (offset_ + kAlign - 1) & ~(kAlign - 1);
    T* p = base_ && !too_large() ? reinterpret_cast<T*>(base_ + offset_) : nullptr;
    if (count > kMaxRequest / sizeof(T)) {
      count = kMaxRequest / sizeof(T);
      overflow_ = true;
    }
    offset_ += count * sizeof(T);
    return p;
  }
  uint64_t used() const { return (offset_ + kAlign - 1) & ~(kAlign - 1); }
  bool too_large() const { return overflow_ || used() > limit_; }

  // For tests: plan against a smaller address space (a 32-bit size_t).
  void set_limit(uint64_t limit) { limit_ = limit; }

 private:
  uint8_t* base_;
  uint64_t offset_ = 0;
  uint64_t limit_ = SIZE_MAX;
  bool overflow_ = false;
};

}  // namespace sinkq

#endif  // SINKQ_ARENA_H_
