// The sink table: capacity, the refusal policy when full, pinned slots.
#include "sink_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "host/io.h"

namespace sinkq {
namespace {

constexpr uint32_t kLayers = 3, kKvDim = 4, kCtx = 32;

struct Table {
  host::AlignedBuffer arena;
  SinkTable t;
  explicit Table(uint32_t slots) {
    ArenaPlanner measure(nullptr);
    t.plan(&measure, slots, kLayers, kKvDim, kCtx);
    arena.resize(measure.used());
    ArenaPlanner a(arena.data());
    t.plan(&a, slots, kLayers, kKvDim, kCtx);
    t.init();
  }
};

// External K/V for `count` tokens: value = 1000 * layer + 10 * token + channel.
struct External {
  std::vector<std::vector<float>> k, v;
  std::vector<const float*> kp, vp;
  explicit External(uint32_t count) : k(kLayers), v(kLayers) {
    for (uint32_t l = 0; l < kLayers; ++l) {
      for (uint32_t i = 0; i < count * kKvDim; ++i) {
        k[l].push_back(1000.f * l + 10.f * (i / kKvDim) + i % kKvDim);
        v[l].push_back(-k[l].back());
      }
      kp.push_back(k[l].data());
      vp.push_back(v[l].data());
    }
  }
};

TEST(SinkTable, RefusesNewSinksWhenFullAndKeepsTheEarlierOnes) {
  Table tb(3);
  EXPECT_EQ(tb.t.acquire(5), 0);
  EXPECT_EQ(tb.t.acquire(9), 1);
  EXPECT_EQ(tb.t.acquire(2), 2);
  EXPECT_EQ(tb.t.acquire(20), -1);
  EXPECT_EQ(tb.t.used(), 3u);
  EXPECT_EQ(tb.t.slot_of(5), 0);
  EXPECT_EQ(tb.t.slot_of(9), 1);
  EXPECT_EQ(tb.t.slot_of(2), 2);
  EXPECT_EQ(tb.t.slot_of(20), SinkTable::kNoSlot);
  // An owned slot reads back what was written into its arena copy.
  tb.t.owned_key(1, 2)[3] = 42.f;
  tb.t.owned_value(1, 2)[0] = -7.f;
  EXPECT_EQ(tb.t.key(1, 2)[3], 42.f);
  EXPECT_EQ(tb.t.value(1, 2)[0], -7.f);
  tb.t.clear();
  EXPECT_EQ(tb.t.used(), 0u);
  EXPECT_EQ(tb.t.slot_of(5), SinkTable::kNoSlot);
  EXPECT_EQ(tb.t.acquire(20), 0);
}

TEST(SinkTable, ZeroSlotsRefuseEverything) {
  Table tb(0);
  EXPECT_EQ(tb.t.acquire(0), -1);
  EXPECT_EQ(tb.t.slot_of(0), SinkTable::kNoSlot);
}

TEST(SinkTable, PinnedSlotsPointAtExternalMemoryAndSurviveClear) {
  Table tb(4);
  External ext(2);
  const uint32_t pos[2] = {0, 1};
  ASSERT_EQ(tb.t.pin(1, 2, ext.kp.data(), ext.vp.data(), pos), Status::kOk);
  EXPECT_TRUE(tb.t.pinned(1));
  EXPECT_EQ(tb.t.slot_of(0), 1);
  EXPECT_EQ(tb.t.slot_of(1), 2);
  for (uint32_t l = 0; l < kLayers; ++l) {
    EXPECT_EQ(tb.t.key(2, l), ext.k[l].data() + kKvDim);  // no copy
    EXPECT_EQ(tb.t.value(1, l), ext.v[l].data());
  }
  EXPECT_EQ(tb.t.acquire(7), 0);  // owned slots take the free ones
  EXPECT_EQ(tb.t.acquire(8), 3);
  EXPECT_EQ(tb.t.acquire(9), -1);
  tb.t.clear();
  EXPECT_EQ(tb.t.used(), 2u);
  EXPECT_EQ(tb.t.slot_of(1), 2);
  EXPECT_EQ(tb.t.slot_of(7), SinkTable::kNoSlot);
  ASSERT_EQ(tb.t.unpin(1, 2), Status::kOk);
  EXPECT_EQ(tb.t.used(), 0u);
  EXPECT_EQ(tb.t.slot_of(0), SinkTable::kNoSlot);
}

TEST(SinkTable, PinRejectsBadRequests) {
  Table tb(4);
  External ext(3);
  const uint32_t pos[3] = {0, 1, 2};
  const uint32_t dup[2] = {4, 4};
  const uint32_t far[1] = {kCtx};
  EXPECT_EQ(tb.t.pin(2, 3, ext.kp.data(), ext.vp.data(), pos), Status::kInvalidArgument);  // past the end
  EXPECT_EQ(tb.t.pin(5, 1, ext.kp.data(), ext.vp.data(), pos), Status::kInvalidArgument);
  EXPECT_EQ(tb.t.pin(0, 0, ext.kp.data(), ext.vp.data(), pos), Status::kInvalidArgument);
  EXPECT_EQ(tb.t.pin(0, 2, ext.kp.data(), ext.vp.data(), dup), Status::kInvalidArgument);
  EXPECT_EQ(tb.t.pin(0, 1, ext.kp.data(), ext.vp.data(), far), Status::kInvalidArgument);
  EXPECT_EQ(tb.t.pin(0, 1, nullptr, ext.vp.data(), pos), Status::kInvalidArgument);
  std::vector<const float*> holes = ext.kp;
  holes[1] = nullptr;
  EXPECT_EQ(tb.t.pin(0, 1, holes.data(), ext.vp.data(), pos), Status::kInvalidArgument);
  EXPECT_EQ(tb.t.used(), 0u);  // nothing half-done
  ASSERT_EQ(tb.t.acquire(1), 0);
  EXPECT_EQ(tb.t.pin(0, 1, ext.kp.data(), ext.vp.data(), pos), Status::kInvalidArgument);  // slot taken
  EXPECT_EQ(tb.t.pin(1, 2, ext.kp.data(), ext.vp.data(), pos), Status::kInvalidArgument);  // position taken
  EXPECT_EQ(tb.t.unpin(0, 1), Status::kInvalidArgument);  // owned, not pinned
  EXPECT_EQ(tb.t.unpin(3, 2), Status::kInvalidArgument);
}

}  // namespace
}  // namespace sinkq
