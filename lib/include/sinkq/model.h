// A model is a validated view of a .sqm file; it never copies or owns bytes.
#ifndef SINKQ_MODEL_H_
#define SINKQ_MODEL_H_

#include <stddef.h>
#include <stdint.h>

#include "sinkq/format.h"
#include "sinkq/status.h"

namespace sinkq {

// Upper bounds that keep index arithmetic inside 32 bits and reject absurd
// headers before anything is sized from them.
constexpr uint32_t kMaxDim = 1u << 15;
constexpr uint32_t kMaxLayers = 256;
constexpr uint32_t kMaxVocab = 1u << 20;
constexpr uint32_t kMaxSeqLen = 1u << 20;
constexpr uint32_t kMaxPieceLen = 256;

struct ModelConfig {
  uint32_t dim = 0;
  uint32_t hidden_dim = 0;
  uint32_t n_layers = 0;
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;
  uint32_t vocab_size = 0;
  uint32_t max_seq_len = 0;
  uint32_t head_size = 0;  // dim / n_heads
  uint32_t kv_dim = 0;     // head_size * n_kv_heads
  float rope_theta = 0.f;
  float norm_eps = 0.f;
  bool shared_classifier = false;
  int32_t bos_id = 1;
  int32_t eos_id = 2;
};

struct LoadOptions {
  // Verifying the CRC reads every byte once; a board that has verified its
  // flash image at boot may skip it.
  bool verify_checksum = true;
};

// A weight matrix as the kernels see it. Exactly one of f32 / i8 is set for a
// given precision; see Model::matrix().
struct Matrix {
  const float* f32 = nullptr;
  const int8_t* i8 = nullptr;
  float scale = 0.f;                    // per-tensor scale of i8
  const float* channel_scales = nullptr;  // per-row scales of i8 (overrides scale)
  uint32_t rows = 0;
  uint32_t cols = 0;
};

class Model {
 public:
  // Validates the whole file (header, sections, config, tensor table, vocab
  // and every known optional section) before returning kOk. `bytes` must stay
  // valid and unchanged while the model is used and be 64-byte aligned.
  static Status load(const void* bytes, size_t size, Model* out,
                     const LoadOptions& options = LoadOptions());

  const ModelConfig& config() const { return config_; }
  bool loaded() const { return base_ != nullptr; }

  // Returns a section's bytes, or false if absent. Section data was
  // range-checked at load.
  bool section(uint32_t kind, const uint8_t** data, uint64_t* size,
               uint32_t* version = nullptr) const;

  uint32_t tensor_count() const { return n_tensors_; }
  const format::TensorEntry& tensor_entry(uint32_t i) const { return tensors_[i]; }
  const void* tensor_data(const format::TensorEntry& e) const {
    return tensor_data_ + e.offset;
  }
  // The entry of (kind, layer, dtype) or null.
  const format::TensorEntry* find(uint32_t kind, uint32_t layer, uint32_t dtype) const;

  // The fp32 vector of a norm weight (kind kRmsAtt/kRmsFfn/kRmsFinal).
  const float* norm(uint32_t kind, uint32_t layer) const;
  // The weight of a linear layer in the requested dtype (kF32 or kI8); rows and
  // cols are filled from the entry. Returns a Matrix with both pointers null if
  // the file lacks that precision.
  Matrix matrix(uint32_t kind, uint32_t layer, uint32_t dtype) const;
  // The classifier ([vocab, dim]): wcls, or the embedding when shared.
  Matrix classifier(uint32_t dtype) const;
  Matrix embedding(uint32_t dtype) const;

  // Static activation scales from the kSectionActQuant section:
  // [n_layers][kSitesPerLayer] then the classifier-input scale; null if absent.
  const float* activation_scales() const { return act_scales_; }

  // The prefix cushion (kSectionCushion): its length (0 if absent), token ids,
  // and layer l's keys (after RoPE) and values, [length][kv_dim] each.
  uint32_t cushion_length() const { return cushion_len_; }
  const int32_t* cushion_tokens() const { return cushion_tokens_; }
  const float* cushion_key(uint32_t l) const {
    return cushion_k_ + size_t{l} * cushion_len_ * config_.kv_dim;
  }
  const float* cushion_value(uint32_t l) const {
    return cushion_v_ + size_t{l} * cushion_len_ * config_.kv_dim;
  }

  const uint8_t* base() const { return base_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  ModelConfig config_;
  const format::SectionEntry* sections_ = nullptr;
  uint32_t n_sections_ = 0;
  const format::TensorEntry* tensors_ = nullptr;
  uint32_t n_tensors_ = 0;
  const uint8_t* tensor_data_ = nullptr;
  const float* act_scales_ = nullptr;
  uint32_t cushion_len_ = 0;
  const int32_t* cushion_tokens_ = nullptr;
  const float* cushion_k_ = nullptr;
  const float* cushion_v_ = nullptr;
};

}  // namespace sinkq

#endif  // SINKQ_MODEL_H_
