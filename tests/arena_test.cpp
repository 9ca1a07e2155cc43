// The arena planner sizes everything before anything runs; a size that does
// not fit the address space must be reported, never wrapped or clamped.
#include "arena.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sinkq {
namespace {

TEST(ArenaPlanner, AlignsEveryBufferAndCountsThePadding) {
  ArenaPlanner a(nullptr);
  EXPECT_EQ(a.take<float>(3), nullptr);  // measuring only
  a.take<uint8_t>(1);
  a.take<double>(2);
  // 12 bytes -> 64, 1 byte -> 128, 16 bytes -> 144 rounded to 192.
  EXPECT_EQ(a.used(), 192u);
  EXPECT_FALSE(a.too_large());
}

TEST(ArenaPlanner, HandsOutAlignedDisjointPointers) {
  alignas(64) static uint8_t arena[256];
  ArenaPlanner a(arena);
  float* x = a.take<float>(5);
  int32_t* y = a.take<int32_t>(20);
  EXPECT_EQ(reinterpret_cast<uint8_t*>(x), arena);
  EXPECT_EQ(reinterpret_cast<uint8_t*>(y), arena + 64);
  EXPECT_EQ(a.used(), 192u);
}

// A single request beyond the 2^48-byte cap used to be clamped, so on a
// 64-bit target the plan looked valid and too small.
TEST(ArenaPlanner, RequestBeyondTheCapIsTooLargeNotClamped) {
  ArenaPlanner a(nullptr);
  a.take<float>(uint64_t{1} << 47);  // 2^49 bytes
  EXPECT_TRUE(a.too_large());
  ArenaPlanner b(nullptr);
  b.take<float>(UINT64_MAX);
  EXPECT_TRUE(b.too_large());
}

// On a 32-bit target size_t ends at 4 GiB: a plan of 4 GiB + 64 bytes must
// be refused even though each part fits.
TEST(ArenaPlanner, SumBeyondA32BitAddressSpaceIsTooLarge) {
  ArenaPlanner a(nullptr);
  a.set_limit(UINT32_MAX);
  a.take<float>(uint64_t{1} << 29);  // 2 GiB
  EXPECT_FALSE(a.too_large());
  a.take<float>((uint64_t{1} << 29) - 16);  // 2 GiB - 64
  EXPECT_FALSE(a.too_large());
  EXPECT_EQ(a.used(), (uint64_t{1} << 32) - 64);
  a.take<uint8_t>(65);
  EXPECT_TRUE(a.too_large());
  // Once too large, a real planner stops handing out pointers.
  alignas(64) static uint8_t one[64];
  ArenaPlanner c(one);
  c.set_limit(32);
  c.take<uint8_t>(64);
  EXPECT_EQ(c.take<uint8_t>(1), nullptr);
}

}  // namespace
}  // namespace sinkq
