// The session's KV cache: an fp32 or low-bit store, the sink table in front of
// it, and the sink policy that decides which tokens go where.
//
// KVSink decides after layer L, but layers 0..L have produced the token's K/V
// by then. Those are staged at fp32 ([batch][L + 1][kv_dim]) and committed once
// the decision is made: to the sink table for a sink, to the store otherwise.
// Until then later tokens of the same forward call read them at fp32 (a decode
// step has no later tokens, so one-token decoding never sees the difference).
//
// Rolling window (SessionOptions::rolling): rows are a ring indexed by
// position modulo the ring length, and a query at position P sees the sink
// table and the window [P - W + 1, P]. Every key keeps the RoPE rotation of
// its original position, so distances inside the window are exact. Table
// entries that have left the window are placed directly before it, in
// position order (StreamingLLM's positions within the cache): the i-th of T
// such entries sits at P - W + 1 - T + i, which the query reaches by being
// rotated back by the difference, since (R(a)q).(R(b)k) depends on b - a only.
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

// What a query at position `pos` attends to, in the order it is read: the
// `sinks` table entries before the window (slot[i] at position[i], ascending),
// then positions first .. pos.
struct KvView {
  uint32_t pos = 0;
  uint32_t first = 0;
  uint32_t sinks = 0;
  uint8_t slot[kMaxSinkSlots];
  uint32_t position[kMaxSinkSlots];
  uint32_t size() const { return sinks + (pos - first + 1); }
};

class KvCache {
 public:
  // The options against the model (kInvalidArgument, or kUnsupported for
  // kvsink without a sink-predictor section).
  static Status check(const Model& m, const KvOptions& o);
  // Carves the store (and the KVSink staging) from `a`; sizes only with a
  // null-base planner. Call check() first.
  // window: 0 for the default (the context fills up), else the rolling window
  // W, in [1, max_window()].
  void plan_store(const Model& m, const KvOptions& o, uint32_t ctx, uint32_t batch,
                  uint32_t window, ArenaPlanner* a);
  // The largest rolling window for these options (0: none fits). Rows a call
  // writes must not be ones its first query still reads (W + batch - 1 rows
  // of the ring) and the scores buffer holds `ctx` keys (W + sink_slots +
  // the cushion's pin-only slots).
  static uint32_t max_window(const KvOptions& o, uint32_t ctx, uint32_t batch,
                             uint32_t cushion = 0);
  // The sink table: opt.sink_slots slots for sinks plus `cushion` pin-only
  // slots in front of them for the prefix cushion, and per slot the cos/sin
  // of the rolling window's back-rotation (planned in every mode, so rolling
  // does not change the size).
  void plan_table(ArenaPlanner* a, uint32_t cushion = 0);
  // Once the arena exists. The RoPE tables ([ctx][head_size / 2], row
  // pos % ctx for position pos) serve the pre-RoPE key store; they may be
  // filled after this call. freq: [head_size / 2] RoPE frequencies; qrot:
  // [head_size] scratch (both for the rolling window).
  void init(const float* rope_cos, const float* rope_sin, const double* freq, float* qrot);
  // Forgets the sequence; pinned slots stay.
  void reset();

  // Layer l's K (after RoPE) and V of forward-call row `row` at position pos.
  // Calls come in layer order and, within a layer, in position order.
  void put(uint32_t l, uint32_t row, uint32_t pos, const float* k, const float* v);
  // The residual stream after layer l for the call's n rows (KVSink decides).
  void after_layer(uint32_t l, const float* x, uint32_t n, uint32_t first_pos);

  // The keys a query at pos attends to (without a window: 0 .. pos).
  void visible(uint32_t pos, KvView* v) const;
  // visible() plus the back-rotations of the query for the sinks before the
  // window; scores() and mix() then read that view.
  void view(uint32_t pos, KvView* v);
  // out[i] = q . k_i over kv head kvh for the view's keys, in view order.
  void scores(uint32_t l, uint32_t kvh, const float* q, const KvView& v, float* out);
  // out += sum_i probs[i] v_i over kv head kvh, in view order.
  void mix(uint32_t l, uint32_t kvh, const float* probs, const KvView& v, float* out);
  uint32_t window() const { return window_; }

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
  uint32_t window_ = 0;       // rolling window W, 0 without
  uint32_t ring_rows_ = 0;    // rows of the store used as a ring (ctx, or whole key blocks)
  uint32_t ring_blocks_ = 0;  // key-parameter blocks in the ring
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
  const double* freq_ = nullptr;
  float* shift_cos_ = nullptr;  // [sink_slots][head_size / 2]
  float* shift_sin_ = nullptr;
  float* qrot_ = nullptr;       // [head_size]
  SinkTable table_;
};

}  // namespace sinkq

#endif  // SINKQ_KV_CACHE_H_
