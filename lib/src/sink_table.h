// The sink table: a fixed number of slots, each holding one token's
// full-precision K and V for every layer. Owned slots copy into the arena;
// pinned slots point at external const memory (the prefix cushion in the
// model file) and survive reset(). A position map answers "is token p in the
// table?" in O(1) during attention. The map is a ring of ctx entries indexed by
// position modulo ctx, each checked against its slot's position, so a rolling
// session (positions beyond ctx) reuses it: an entry whose token has left the
// window may be overwritten by a newer token, and the slot stays reachable
// through the slot list (in_use(), position()).
#ifndef SINKQ_SINK_TABLE_H_
#define SINKQ_SINK_TABLE_H_

#include <stdint.h>

#include "arena.h"
#include "sinkq/status.h"

namespace sinkq {

class SinkTable {
 public:
  static constexpr uint8_t kNoSlot = 0xFF;

  // Carves (slots - pin_only) * layers * kv_dim floats for K and V, the
  // per-slot layer pointers and the [ctx] position map. slots may be 0. The
  // first pin_only slots have no storage of their own: only pin() uses them
  // (the prefix cushion points into the model file), acquire() never does.
  void plan(ArenaPlanner* a, uint32_t slots, uint32_t layers, uint32_t kv_dim, uint32_t ctx,
            uint32_t pin_only = 0);
  // Every slot free, no position mapped (once, after plan() with an arena).
  void init();
  // Frees every owned slot; pinned slots stay.
  void clear();

  // An owned slot for `pos`, or -1 when the table is full (the refusal policy:
  // earlier sinks keep their slots). pos must not be in the table already.
  int32_t acquire(uint32_t pos);
  // Slots [first, first + count) point at k[l] + i * kv_dim and v[l] + i * kv_dim
  // for the token at positions[i]. Each slot must be free and each position
  // distinct, < ctx and not in the table.
  Status pin(uint32_t first, uint32_t count, const float* const* k, const float* const* v,
             const uint32_t* positions);
  // Releases pinned slots [first, first + count).
  Status unpin(uint32_t first, uint32_t count);

  uint8_t slot_of(uint32_t pos) const {
    const uint8_t s = map_[pos % ctx_];
    return s != kNoSlot && pos_[s] == pos ? s : kNoSlot;
  }
  bool pinned(uint32_t slot) const { return state_[slot] == kPinned; }
  bool in_use(uint32_t slot) const { return state_[slot] != kFree; }
  uint32_t position(uint32_t slot) const { return pos_[slot]; }
  const float* key(uint32_t slot, uint32_t l) const { return k_[slot * layers_ + l]; }
  const float* value(uint32_t slot, uint32_t l) const { return v_[slot * layers_ + l]; }
  // The arena copy of an owned slot's layer l.
  float* owned_key(uint32_t slot, uint32_t l) {
    return own_k_ + (size_t{slot - pin_only_} * layers_ + l) * kv_dim_;
  }
  float* owned_value(uint32_t slot, uint32_t l) {
    return own_v_ + (size_t{slot - pin_only_} * layers_ + l) * kv_dim_;
  }
  uint32_t slots() const { return slots_; }
  uint32_t used() const;

 private:
  enum : uint8_t { kFree = 0, kOwned = 1, kPinned = 2 };
  uint32_t slots_ = 0, layers_ = 0, kv_dim_ = 0, ctx_ = 0, pin_only_ = 0;
  float* own_k_ = nullptr;
  float* own_v_ = nullptr;
  const float** k_ = nullptr;  // [slots][layers]
  const float** v_ = nullptr;
  uint32_t* pos_ = nullptr;    // [slots]
  uint8_t* state_ = nullptr;   // [slots]
  uint8_t* map_ = nullptr;     // [ctx] slot or kNoSlot, by position modulo ctx
};

}  // namespace sinkq

#endif  // SINKQ_SINK_TABLE_H_
