// The session's KV cache: an fp32 or low-bit store, the sink table in front of
// it, and the sink policy that decides which tokens go where.
//
// KVSink decides after layer L, but layers 0..L have produced the token's K/V
// by then. Those are staged at fp32 ([batch][L + 1][kv_dim]) and committed once
// the decision is made: to the sink table for a sink, to the store otherwise.
// Until then later tokens of the same forward call read them at fp32 (a decode
// step has no later tokens, so one-token decoding never sees the difference).
#ifndef SINKQ_KV_CACHE_H_
#define SINKQ_KV_CACHE_H_

#include <stdint.h>

#include "arena.h"
#include "sink_predictor.h"
#include "sink_table.h"
#include "sinkq/kv.h"
#include "sinkq/model.h"
#include "sinkq/status.h"

namespace sinkq {

class KvCache {
 public:
  // The options against the model (kInvalidArgument, or kUnsupported for
  // kvsink without a sink-predictor section).
  static Status check(const Model& m, const KvOptions& o);
  // Carves the store (and the KVSink staging) from `a`; sizes only with a
  // null-base planner. Call check() first.
  void plan_store(const Model& m, const KvOptions& o, uint32_t ctx, uint32_t batch,
                  ArenaPlanner* a);
  // The sink table: opt.sink_slots slots for sinks plus `cushion` pin-only
  // slots in front of them for the prefix cushion.
  void plan_table(ArenaPlanner* a, uint32_t cushion = 0);
  // Once the arena exists. The RoPE tables ([ctx][head_size / 2]) serve the
  // pre-RoPE key store; they may be filled after this call.
  void init(const float* rope_cos, const float* rope_sin);
  // Forgets the sequence; pinned slots stay.
  void reset();

  // Layer l's K (after RoPE) and V of forward-call row `row` at position pos.
  // Calls come in layer order and, within a layer, in position order.
  void put(uint32_t l, uint32_t row, uint32_t pos, const float* k, const float* v);
  // The residual stream after layer l for the call's n rows (KVSink decides).
  void after_layer(uint32_t l, const float* x, uint32_t n, uint32_t first_pos);

  // out[p] = q . k_p over kv head kvh for positions p < len.
  void scores(uint32_t l, uint32_t kvh, const float* q, uint32_t len, float* out);
  // out += sum_p probs[p] v_p over kv head kvh, in position order.
  void mix(uint32_t l, uint32_t kvh, const float* probs, uint32_t len, float* out);

  SinkTable& table() { return table_; }
  const SinkTable& table() const { return table_; }

 private:
  void commit(uint32_t l, uint32_t pos, const float* k, const float* v);
  void quantize_key_block(uint32_t l, uint32_t block);
  float* residual_row(uint32_t l, uint32_t pos) const {
    return key_residual_ + (size_t{l} * residual_rows_ + pos % residual_rows_) * kv_dim_;
  }
  // Layer l's fp32 K (key) or V row at pos if it has one: in the sink table,
  // staged, or in an fp32 store. Null for a low-bit row.
  const float* fp32_row(uint32_t l, uint32_t pos, bool key) const;
  // Rotates adjacent pairs of x[0..n) (whole heads) for position pos; inverse
  // rotates by -angle.
  void rotate(float* x, uint32_t n, uint32_t pos, bool inverse) const;

  KvOptions opt_;
  uint32_t layers_ = 0, dim_ = 0, kv_dim_ = 0, hs_ = 0, ctx_ = 0;
  SinkPredictor predictor_;
  uint32_t stage_layers_ = 0;  // L + 1 under KVSink, else 0
  uint32_t stage_first_ = 0, stage_n_ = 0;
  float* stage_k_ = nullptr;   // [batch][stage_layers][kv_dim]
  float* stage_v_ = nullptr;
  // fp32 store
  float* key_cache_ = nullptr;    // [layers][ctx][kv_dim]
  float* value_cache_ = nullptr;
  // low-bit store
  uint32_t row_bytes_ = 0, blocks_ = 0, value_groups_ = 0;
  uint8_t* key_codes_ = nullptr;     // [layers][ctx][row_bytes]
  uint16_t* key_params_ = nullptr;   // [layers][blocks][kv_dim][2]
  uint32_t residual_rows_ = 0;       // whole blocks, a ring indexed by position
  float* key_residual_ = nullptr;    // [layers][residual_rows][kv_dim]
  uint32_t* key_blocks_done_ = nullptr;  // [layers]
  uint8_t* value_codes_ = nullptr;   // [layers][ctx][row_bytes]
  uint16_t* value_params_ = nullptr; // [layers][ctx][value_groups][2]
  uint8_t* skip_ = nullptr;          // [key_block]
  float* scratch_ = nullptr;         // [kv_dim]
  const float* rope_cos_ = nullptr;
  const float* rope_sin_ = nullptr;
  SinkTable table_;
};

}  // namespace sinkq

#endif  // SINKQ_KV_CACHE_H_
