#include "sink_table.h"

namespace sinkq {

void SinkTable::plan(ArenaPlanner* a, uint32_t slots, uint32_t layers, uint32_t kv_dim,
                     uint32_t ctx, uint32_t pin_only) {
  slots_ = slots;
  pin_only_ = pin_only < slots ? pin_only : slots;
  layers_ = layers;
  kv_dim_ = kv_dim;
  ctx_ = ctx;
  const uint64_t floats = uint64_t{slots - pin_only_} * layers * kv_dim;
  own_k_ = a->take<float>(floats);
  own_v_ = a->take<float>(floats);
  k_ = a->take<const float*>(uint64_t{slots} * layers);
  v_ = a->take<const float*>(uint64_t{slots} * layers);
  pos_ = a->take<uint32_t>(slots);
  state_ = a->take<uint8_t>(slots);
  map_ = a->take<uint8_t>(ctx);
}

void SinkTable::init() {
  for (uint32_t s = 0; s < slots_; ++s) state_[s] = kFree;
  for (uint32_t p = 0; p < ctx_; ++p) map_[p] = kNoSlot;
}

void SinkTable::clear() {
  if (map_ == nullptr) return;
  // A rolling session may have overwritten a pinned slot's map entry.
  for (uint32_t p = 0; p < ctx_; ++p) map_[p] = kNoSlot;
  for (uint32_t s = 0; s < slots_; ++s) {
    if (state_[s] == kOwned) state_[s] = kFree;
    if (state_[s] == kPinned) map_[pos_[s] % ctx_] = static_cast<uint8_t>(s);
  }
}

int32_t SinkTable::acquire(uint32_t pos) {
  for (uint32_t s = pin_only_; s < slots_; ++s) {
    if (state_[s] != kFree) continue;
    state_[s] = kOwned;
    pos_[s] = pos;
    map_[pos % ctx_] = static_cast<uint8_t>(s);
    for (uint32_t l = 0; l < layers_; ++l) {
      k_[s * layers_ + l] = owned_key(s, l);
      v_[s * layers_ + l] = owned_value(s, l);
    }
    return static_cast<int32_t>(s);
  }
  return -1;
}

Status SinkTable::pin(uint32_t first, uint32_t count, const float* const* k,
                      const float* const* v, const uint32_t* positions) {
  if (k == nullptr || v == nullptr || positions == nullptr || count == 0 || first > slots_ ||
      count > slots_ - first)
    return Status::kInvalidArgument;
  for (uint32_t l = 0; l < layers_; ++l)
    if (k[l] == nullptr || v[l] == nullptr) return Status::kInvalidArgument;
  for (uint32_t i = 0; i < count; ++i) {
    if (state_[first + i] != kFree || positions[i] >= ctx_ ||
        slot_of(positions[i]) != kNoSlot)
      return Status::kInvalidArgument;
    for (uint32_t j = 0; j < i; ++j)
      if (positions[j] == positions[i]) return Status::kInvalidArgument;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t s = first + i;
    state_[s] = kPinned;
    pos_[s] = positions[i];
    map_[positions[i]] = static_cast<uint8_t>(s);
    for (uint32_t l = 0; l < layers_; ++l) {
      k_[s * layers_ + l] = k[l] + size_t{i} * kv_dim_;
      v_[s * layers_ + l] = v[l] + size_t{i} * kv_dim_;
    }
  }
  return Status::kOk;
}

Status SinkTable::unpin(uint32_t first, uint32_t count) {
  if (first > slots_ || count > slots_ - first) return Status::kInvalidArgument;
  for (uint32_t s = first; s < first + count; ++s)
    if (state_[s] != kPinned) return Status::kInvalidArgument;
  for (uint32_t s = first; s < first + count; ++s) {
    if (map_[pos_[s] % ctx_] == s) map_[pos_[s] % ctx_] = kNoSlot;
    state_[s] = kFree;
  }
  return Status::kOk;
}

uint32_t SinkTable::used() const {
  uint32_t n = 0;
  for (uint32_t s = 0; s < slots_; ++s) n += state_[s] != kFree;
  return n;
}

}  // namespace sinkq
