// The KV cache: bit width, grouping, and which tokens keep full-precision K/V
// in the sink table (attention sinks). Options live in SessionOptions::kv.
//
// Storage (bits 8, 4, 3, 2), after KIVI (Liu et al., 2024, arXiv 2402.02750):
// - keys are quantized per channel over blocks of `key_block` tokens. Until a
//   block is complete its keys stay in an fp32 residual, so the newest tokens
//   are always exact and every scale is fitted to the tokens it covers: no
//   calibration, no rescaling of old codes. A query reads the keys of its own
//   block from the residual, so results do not depend on how tokens were
//   batched; the residual is a ring of whole blocks per layer, one block for
//   one-token decoding and more when a forward call can span blocks;
// - values are quantized per token over groups of `value_group` channels;
// - every group has an asymmetric fp16 (scale, min) pair; codes are packed
//   bit streams in the arena (see PackedRow in kernels.h).
// Tokens in the sink table are excluded from the key blocks' ranges, so one
// outlier token does not widen the scale of the tokens around it.
// With SessionOptions::rolling (session.h) the store is a ring and tokens
// outside the window are evicted; the sink table's tokens never are.
#ifndef SINKQ_KV_H_
#define SINKQ_KV_H_

#include <stddef.h>
#include <stdint.h>

namespace sinkq {

enum class SinkPolicy : uint8_t {
  kNone = 0,            // no sink tokens (pinned slots still work)
  kPreserveFirstN = 1,  // positions 0 .. preserve_first - 1 (PFN)
  kKvSink = 2,          // tokens whose residual stream shows the massive-activation
                        // signature of the model's sink-predictor section (KVSink)
};

constexpr uint32_t kMaxSinkSlots = 64;
constexpr uint32_t kMaxKeyBlock = 4096;

struct KvOptions {
  // 32 (fp32, the reference), 8, 4, 3 or 2.
  uint32_t bits = 32;
  // Tokens per per-channel key block, which is also the length of the fp32
  // key residual per layer.
  uint32_t key_block = 32;
  // Channels sharing one value (scale, min); must divide the model's kv_dim.
  uint32_t value_group = 32;
  // Quantize keys before RoPE (KVQuant, Hooper et al., 2024): RoPE rotates
  // channel pairs by a position-dependent angle, which mixes an outlier
  // channel into its partner across a block. Reads rotate after dequantizing.
  bool key_pre_rope = false;
  SinkPolicy sinks = SinkPolicy::kNone;
  uint32_t preserve_first = 0;  // N of pfn:N
  // Full-precision (fp32) K/V slots, each holding one token for every layer.
  // When all are taken, later sinks are refused: they are quantized like any
  // other token and the earlier sinks keep their slots (first come, first
  // served; deterministic and never rewrites what attention has already read).
  uint32_t sink_slots = 0;
  // Put the model's prefix cushion (kSectionCushion) at positions 0..P-1 when
  // the model has one: P more pin-only slots in front of the sink_slots (they
  // point into the model bytes, no copy), counted by required_bytes(). Not
  // used when P + sink_slots > kMaxSinkSlots or P >= context.
  bool use_cushion = true;
};

// Bytes of cache each token adds (codes, scales and amortized key scales),
// not counting the fixed residual, staging and sink table.
size_t kv_bytes_per_token(uint32_t n_layers, uint32_t kv_dim, const KvOptions& o);

namespace format {

// Section kSectionSinkPredictor (version 1): SinkPredictorHeader, then
// SinkChannel channels[n_channels]. A token is a sink when, in the residual
// stream after layer `layer`, |x[channel]| > threshold for any listed channel.
// Written by `sinkq sinks calibrate` from the calibration text.
struct SinkPredictorHeader {
  uint32_t n_layers;     // of the model it was fitted to
  uint32_t dim;
  uint32_t layer;        // decide after this layer (< n_layers)
  uint32_t n_channels;   // 1 .. kMaxSinkChannels
  uint32_t calib_tokens; // informational
  float attention_ratio; // informational: the ground-truth sink threshold used
  uint32_t reserved[10]; // must be zero
};
static_assert(sizeof(SinkPredictorHeader) == 64, "SinkPredictorHeader layout");

struct SinkChannel {
  uint32_t channel;  // < dim, no duplicates
  float threshold;   // finite, > 0
};
static_assert(sizeof(SinkChannel) == 8, "SinkChannel layout");

constexpr uint32_t kMaxSinkChannels = 16;

}  // namespace format
}  // namespace sinkq

#endif  // SINKQ_KV_H_
