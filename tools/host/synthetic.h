// Small made-up models of any shape: random weights, an invented vocabulary,
// optional int8 copies and an activation-scale section. Fuzzing seeds and
// tests use them to reach deep code with files of a few kilobytes, and the
// llama2.c writers produce checkpoints and tokenizers for the converter.
#ifndef SINKQ_TOOLS_SYNTHETIC_H_
#define SINKQ_TOOLS_SYNTHETIC_H_

#include <cstdint>
#include <vector>

#include "llama2c.h"

namespace sinkq {
namespace host {

// A config with head_size and kv_dim derived; rope_theta 10000, eps 1e-5,
// BOS 1, EOS 2.
ModelConfig synthetic_config(uint32_t dim, uint32_t hidden_dim, uint32_t n_layers,
                             uint32_t n_heads, uint32_t n_kv_heads, uint32_t vocab_size,
                             uint32_t max_seq_len, bool shared_classifier);

struct SyntheticOptions {
  ModelConfig config;
  uint32_t seed = 1;
  float weight_range = 0.5f;  // weights uniform in [-range, range]
  bool int8 = false;          // add an int8 copy of every matrix
  bool per_channel = false;   // with per-row scales instead of one per tensor
  bool act_quant = false;     // add an activation-scale section
  uint32_t cushion = 0;       // add a prefix-cushion section of this many tokens
};

// <unk>, <s>, </s>, then (when n >= 259) the 256 byte pieces <0x00>..<0xFF>,
// then single characters and their pairs, with scores favouring short pieces.
Llama2cVocab synthetic_vocab(uint32_t n);
Llama2cModel synthetic_weights(const SyntheticOptions& o);
std::vector<uint8_t> synthetic_sqm(const SyntheticOptions& o);

// The llama2.c file layouts (see ../shared/models/SOURCES.md), so the
// converter can be run on made-up or deliberately broken checkpoints.
std::vector<uint8_t> llama2c_checkpoint_bytes(const Llama2cModel& m);
std::vector<uint8_t> llama2c_tokenizer_bytes(const Llama2cVocab& v);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_SYNTHETIC_H_
