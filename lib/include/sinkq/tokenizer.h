// BPE tokenizer over the vocabulary section of a loaded model (llama2.c /
// sentencepiece style: UTF-8 code points, byte fallback to <0xXX> pieces,
// greedy merge of the adjacent pair with the highest score). No heap: the
// caller provides the output buffer, and piece lookup is a binary search over
// the sorted index stored in the model file.
#ifndef SINKQ_TOKENIZER_H_
#define SINKQ_TOKENIZER_H_

#include <stddef.h>
#include <stdint.h>

#include "sinkq/model.h"
#include "sinkq/status.h"

namespace sinkq {

struct Piece {
  const char* data;
  uint32_t size;
};

class Tokenizer {
 public:
  Status init(const Model& model);

  uint32_t vocab_size() const { return n_; }
  int32_t bos_id() const { return bos_; }
  int32_t eos_id() const { return eos_; }

  // Encodes `text` (any bytes; invalid UTF-8 falls back to byte pieces).
  // Like llama2.c, a non-empty text gets a leading space piece (sentencepiece's
  // dummy prefix). Writes at most `capacity` ids; `*n_tokens` receives the
  // count. Needs capacity >= len + 3 in the worst case; returns kBufferTooSmall
  // (with *n_tokens = the count needed before merges) otherwise.
  // `scratch`, if given, must hold as many entries as `capacity`; it caches the
  // merge candidate of every adjacent pair and turns the quadratic number of
  // vocabulary searches into a linear one (same result either way).
  Status encode(const char* text, size_t len, bool add_bos, bool add_eos,
                int32_t* tokens, size_t capacity, size_t* n_tokens,
                int32_t* scratch = nullptr) const;

  // The bytes `token` stands for when it follows `prev` (leading space dropped
  // after BOS, <0xXX> pieces decoded to their byte). Out-of-range ids give an
  // empty piece and kTokenOutOfRange.
  Status decode(int32_t prev, int32_t token, Piece* out) const;

  // The raw piece text and score of an id (no byte decoding).
  Piece piece(int32_t id) const;
  float score(int32_t id) const;
  // Exact lookup of a piece text; -1 if absent.
  int32_t lookup(const char* s, size_t len) const;

 private:
  int32_t lookup_pair(const char* a, uint32_t na, const char* b, uint32_t nb) const;

  uint32_t n_ = 0;
  uint32_t max_len_ = 0;
  int32_t bos_ = 1;
  int32_t eos_ = 2;
  int32_t space_id_ = -1;
  int32_t byte_base_ = -1;  // id of <0x00> when the 256 byte pieces are contiguous
  const float* scores_ = nullptr;
  const uint32_t* offsets_ = nullptr;
  const uint32_t* sorted_ = nullptr;
  const char* bytes_ = nullptr;
};

}  // namespace sinkq

#endif  // SINKQ_TOKENIZER_H_
