// CushionCache (Son, Park, Han, Kim, Lee, 2024, arXiv 2406.12016) on the
// host: the greedy prefix search, the cushion's K/V and the model-file
// section. The board only loads the result (Model::cushion_*, pinned into the
// sink table at session start).
#ifndef SINKQ_TOOLS_CUSHION_H_
#define SINKQ_TOOLS_CUSHION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sinkq/model.h"
#include "sinkq/session.h"
#include "sqm_writer.h"

namespace sinkq {
namespace host {

struct CushionKv {
  std::vector<int32_t> tokens;
  std::vector<float> k, v;  // [n_layers][length][kv_dim], keys after RoPE
  bool tuned = false;
  uint32_t length() const { return static_cast<uint32_t>(tokens.size()); }
};

// Runs `tokens` from position 0 through the fp32 model (no cushion) and keeps
// every layer's K and V.
std::string cushion_kv(const Model& model, const std::vector<int32_t>& tokens, CushionKv* out);
// The model's own cushion, copied out (empty if it has none).
CushionKv model_cushion(const Model& model);
Section cushion_section(const ModelConfig& c, const CushionKv& kv);
// `file` (a loaded model's bytes) with its cushion section replaced.
std::vector<uint8_t> with_cushion(const Model& model, const CushionKv& kv);

enum class CushionObjective {
  // Sum over the quantization sites of the relative squared error
  // sum (x - Q(x))^2 / sum x^2 of per-tensor int8 fake quantization with
  // max scaling (s = max|x| / 127, round half to even), over the calibration
  // tokens after the prefix: what per-tensor static W8A8 loses.
  kQuantError,
  // Sum over the sites of max|x| (the paper's headline criterion: the
  // largest activation of the subsequent tokens).
  kMaxAbs,
};

// Calibration windows: `samples` windows of `sample_len` tokens, evenly
// spaced over the calibration token stream, each run as [BOS, tokens].
std::vector<std::vector<int32_t>> calibration_samples(const std::vector<int32_t>& ids,
                                                      uint32_t samples, uint32_t sample_len);

struct CushionSearchOptions {
  CushionObjective objective = CushionObjective::kQuantError;
  uint32_t max_length = 4;   // tokens, including the leading BOS
  std::vector<int32_t> candidates;  // empty: the whole vocabulary
  uint32_t threads = 2;
  // Called after every candidate batch: (length being searched, candidates
  // done, candidates total, candidates per second, best score so far).
  std::function<void(uint32_t, size_t, size_t, double, double)> progress;
};

struct CushionSearchResult {
  std::vector<int32_t> tokens;  // starts with BOS
  std::vector<double> scores;   // scores[i]: the prefix of i + 1 tokens
  double no_prefix_score = 0;   // the samples without any prefix
};

// The objective for [prefix, BOS, sample] over every sample; the activations
// scored are those of positions >= prefix.size().
std::string cushion_score(const Model& model, const std::vector<int32_t>& prefix,
                          const std::vector<std::vector<int32_t>>& samples,
                          CushionObjective objective, double* score);

// Greedy search: from [BOS], append the candidate with the lowest score
// while it lowers the score and the prefix is shorter than max_length.
std::string cushion_search(const Model& model, const std::vector<std::vector<int32_t>>& samples,
                           const CushionSearchOptions& o, CushionSearchResult* out);

// The `n` most frequent tokens of `ids` (ties by id): the candidate subset
// for large vocabularies.
std::vector<int32_t> frequent_tokens(const std::vector<int32_t>& ids, uint32_t vocab, uint32_t n);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_CUSHION_H_
