// A session runs the model over one token stream. All its memory (KV cache,
// activations, scratch) is carved from one caller-provided arena; the size is
// known from required_bytes() before anything runs, and nothing is allocated
// afterwards.
#ifndef SINKQ_SESSION_H_
#define SINKQ_SESSION_H_

#include <stddef.h>
#include <stdint.h>

#include "sinkq/kv.h"
#include "sinkq/model.h"
#include "sinkq/quant.h"
#include "sinkq/status.h"

namespace sinkq {

enum class QuantMode : uint8_t {
  kFp32 = 0,          // fp32 weights and activations (the reference)
  kW8A8Static = 1,    // int8 weights, per-tensor static activation scales
  kW8A8DynTensor = 2, // int8 weights, per-tensor scale computed per call
  kW8A8DynToken = 3,  // int8 weights, one scale per token (row)
};

struct SessionOptions {
  // Context length in tokens (0: the model's max_seq_len).
  uint32_t context = 0;
  // Tokens processed per forward call during prefill (the GEMM batch).
  uint32_t batch = 8;
  // Keep logits for every token of a forward call (perplexity needs them);
  // otherwise only for the last token.
  bool all_logits = false;
  QuantMode quant = QuantMode::kFp32;
  // KV cache bit width, grouping, sink policy and sink-table size (kv.h).
  KvOptions kv;
  // In the W8A8 modes, run the classifier in int8 too (its input quantized
  // like a site, weights int8). Off: fp32 classifier weights, which the model
  // file must then contain.
  bool classifier_int8 = true;
  // Streaming in fixed memory (StreamingLLM, Xiao et al., 2023, arXiv
  // 2309.17453). Off (the default): a full context returns kContextFull. On:
  // the session never fills up; each token attends to the sink table (pinned
  // prefix, PFN or KVSink sinks, which are never evicted) and the most recent
  // `window` tokens (itself included); older tokens are evicted, one per
  // token, oldest first. The KV store is a ring of `context` rows (whole key
  // blocks at 8/4/3/2 bits), so the arena is the same as without rolling.
  //
  // Positions: every token keeps its original position, and its key keeps the
  // RoPE rotation of that position (quantized keys are never re-rotated), so
  // distances inside the window are exact. Sinks that have left the window
  // are seen as if they sat directly before it, in their order: the T of them
  // take positions first - T .. first - 1 (first = the window's first
  // position), StreamingLLM's positions within the cache up to a constant
  // offset, which RoPE ignores. The query is rotated back by each sink's
  // shift instead of re-rotating the sink's key: (R(a)q).(R(b)k) depends on
  // b - a only. RoPE angles of positions beyond the context are computed as
  // they are needed, in double, like the table. A rolling session accepts
  // 2^30 tokens before kContextFull.
  bool rolling = false;
  // W, the rolling window (0: the largest that fits, Session::window() tells
  // which). At most context - batch + 1 (a forward call writes its rows before
  // its first token reads the oldest of its window; at 8/4/3/2 bits the ring
  // is context rounded down to whole key blocks) and context - sink_slots
  // (the sinks and the window share the score buffer of `context` keys).
  // Nonzero without rolling, or too large: kInvalidArgument.
  uint32_t window = 0;
};

// Bytes needed, broken down by purpose.
struct MemoryPlan {
  size_t kv_cache = 0;
  size_t sink_table = 0;  // full-precision sink slots and the position map
  size_t activations = 0;
  size_t activations_int8 = 0;  // W8A8: quantized inputs, accumulators, row scales
  size_t logits = 0;
  size_t tables = 0;  // RoPE tables, resolved weight pointers
  size_t total = 0;   // including alignment padding
};

struct LayerRefs;  // resolved weight pointers, one per layer (internal)
class KvCache;     // the KV store and sink table (internal)

// Inspection hooks for host tools (statistics, calibration, cushion search,
// sink calibration). A session without an observer pays one null check per
// call site. Rows are tokens: row t of a call is the token at position
// first_pos + t.
class Observer {
 public:
  // Activations entering a quantization site (before quantization).
  virtual void on_site(uint32_t layer, Site site, const float* x, uint32_t n, uint32_t cols,
                       uint32_t first_pos) {
    (void)layer, (void)site, (void)x, (void)n, (void)cols, (void)first_pos;
  }
  // The residual stream after layer `layer`.
  virtual void on_residual(uint32_t layer, const float* x, uint32_t n, uint32_t dim,
                           uint32_t first_pos) {
    (void)layer, (void)x, (void)n, (void)dim, (void)first_pos;
  }
  // Layer l's K (after RoPE) and V of the call's n rows, as stored in the cache.
  virtual void on_kv(uint32_t layer, const float* k, const float* v, uint32_t n, uint32_t kv_dim,
                     uint32_t first_pos) {
    (void)layer, (void)k, (void)v, (void)n, (void)kv_dim, (void)first_pos;
  }
  // Softmax attention of the query at `pos` in `head` over keys 0..len-1
  // (with a rolling window, over the keys Session::attended() lists).
  virtual void on_attention(uint32_t layer, uint32_t head, uint32_t pos, const float* probs,
                            uint32_t len) {
    (void)layer, (void)head, (void)pos, (void)probs, (void)len;
  }

 protected:
  ~Observer() = default;
};

class Session {
 public:
  // kTooLarge when the plan exceeds what size_t can address (a long context
  // on a 32-bit target).
  static Status required_bytes(const Model& model, const SessionOptions& options,
                               size_t* bytes, MemoryPlan* plan = nullptr);

  // `arena` must be 64-byte aligned and at least required_bytes() long; it
  // must outlive the session. The model must outlive the session.
  Status init(const Model& model, const SessionOptions& options, void* arena,
              size_t arena_bytes);

  // Appends tokens to the context and runs them through the model in chunks
  // of options.batch. Afterwards logits() holds the last token's logits.
  Status prefill(const int32_t* tokens, size_t n);
  // Appends one token; logits() then holds its logits.
  Status decode(int32_t token);
  // Runs up to options.batch tokens as one forward call. With all_logits,
  // logits_at(i) holds the logits after token i, for i < n.
  // Every call checks all its arguments (ids, length, room in the context)
  // before any work, so a rejected call appends nothing. Finite weights can
  // still overflow (a model with huge weights): then the forward call returns
  // kNonFinite and does not append its tokens (prefill keeps the chunks
  // before it; see position()), and logits() is null until the next
  // successful call.
  Status forward(const int32_t* tokens, uint32_t n);

  const float* logits() const;                // the last token's logits, or null
  const float* logits_at(uint32_t i) const;   // with all_logits, or null
  uint32_t position() const { return pos_; }  // tokens in the context
  // Length of the pinned prefix (the model's cushion, or pin_prefix()); a
  // sequence starts at this position.
  uint32_t prefix_length() const { return prefix_; }
  // Sink-table slots the model's cushion takes under these options: its length
  // when KvOptions::use_cushion is on, it has one, and it fits; else 0.
  static uint32_t cushion_slots(const Model& model, const SessionOptions& options);
  uint32_t context() const { return ctx_; }
  // The rolling window W (0 without rolling).
  uint32_t window() const;
  // The positions the next token (at position()) attends to, in the order
  // attention reads them: sinks that have left the window, in position order,
  // then the window up to and including position(). Writes at most cap and
  // returns the count (the keys of Observer::on_attention's probs).
  uint32_t attended(uint32_t* positions, uint32_t cap) const;
  uint32_t vocab_size() const { return model_ ? model_->config().vocab_size : 0; }
  // Starts a new sequence (after the pinned prefix, if any).
  void reset();
  bool initialized() const { return model_ != nullptr; }
  const SessionOptions& options() const { return opt_; }
  void set_observer(Observer* o) { observer_ = o; }

  // The prefix cushion: positions 0 .. count-1 take their K and V from
  // external memory without copying (k[l], v[l]: count rows of kv_dim floats
  // for layer l, keys after RoPE at those positions), held in sink-table
  // slots [first_slot, first_slot + count). Needs an empty context; the
  // session continues at position count, and reset() returns there.
  // kInvalidArgument on a bad slot range, null pointers or a non-empty context.
  Status pin_prefix(uint32_t first_slot, uint32_t count, const float* const* k,
                    const float* const* v);
  // Drops the pinned prefix and empties the context.
  void unpin_prefix();
  // The sink-table slot holding the token at pos, or -1.
  int32_t sink_slot(uint32_t pos) const;

 private:
  Status plan(const Model& model, const SessionOptions& options, uint8_t* base,
              size_t* bytes, MemoryPlan* plan);
  void layer_forward(uint32_t l, uint32_t n);
  void attention(uint32_t l, uint32_t n);
  void quantize_site(const float* X, uint32_t n, uint32_t cols, float static_scale);
  void project(const Matrix& w, const float* X, float* Y, uint32_t n);
  void classify(const float* X, uint32_t n, uint32_t first_pos);
  float static_scale(uint32_t layer, uint32_t site) const;
  void rope_row(uint32_t pos);
  uint32_t room() const;  // tokens the context can still take

  const Model* model_ = nullptr;
  Observer* observer_ = nullptr;
  SessionOptions opt_;
  uint32_t ctx_ = 0;
  uint32_t pos_ = 0;
  uint32_t last_row_ = 0;
  bool logits_valid_ = false;
  const LayerRefs* layers_ = nullptr;
  // Arena views (sizes follow from the config and options).
  KvCache* kv_ = nullptr;
  uint32_t prefix_ = 0;           // pinned prefix length
  const float** cushion_kv_ = nullptr;  // [2][layers]: the model cushion's K, V rows
  float* rope_cos_ = nullptr;     // [ctx][head_size / 2]
  float* rope_sin_ = nullptr;
  double* rope_freq_ = nullptr;   // [head_size / 2]
  uint32_t rope_half_ = 0;
  bool rope_wrapped_ = false;     // rows hold positions beyond the context
  float* qrot_ = nullptr;         // [head_size]
  float* x_ = nullptr;            // [batch][dim] residual stream
  float* xb_ = nullptr;           // [batch][dim]
  float* xb2_ = nullptr;          // [batch][dim]
  float* q_ = nullptr;            // [batch][dim]
  float* k_ = nullptr;            // [batch][kv_dim]
  float* v_ = nullptr;            // [batch][kv_dim]
  float* hb_ = nullptr;           // [batch][hidden]
  float* hb2_ = nullptr;          // [batch][hidden]
  float* att_ = nullptr;          // [ctx] scores of one head
  float* logits_ = nullptr;       // [batch or 1][vocab]
  // W8A8 only.
  int8_t* xq_ = nullptr;          // [batch][max(dim, hidden)] quantized site input
  int32_t* acc_ = nullptr;        // [batch][max(dim, hidden, vocab)] accumulators
  float* row_scale_ = nullptr;    // [batch] activation scale of each row
  const float* act_scales_ = nullptr;  // static scales [layers][sites] + classifier
};

}  // namespace sinkq

#endif  // SINKQ_SESSION_H_
