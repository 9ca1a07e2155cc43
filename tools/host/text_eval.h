// Text slices and perplexity, shared by the CLI, calibration and tests.
#ifndef SINKQ_TOOLS_TEXT_EVAL_H_
#define SINKQ_TOOLS_TEXT_EVAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sinkq/model.h"
#include "sinkq/session.h"

namespace sinkq {
namespace host {

// half "calib" is the text before the split point, "eval" the text after it;
// the split is the first line break at or after the middle byte, so no story
// straddles the two halves. Otherwise offset/bytes (-1: whole/rest) select.
std::string select_slice(const std::string& text, const std::string& half, long long offset,
                         long long bytes, std::string* out);

// Token ids of `text` (dummy-prefix space, no BOS), or an error message.
std::string encode_text(const Model& model, const std::string& text, std::vector<int32_t>* ids);

struct PerplexityResult {
  size_t tokens = 0;    // predictions scored
  size_t windows = 0;
  uint32_t window = 0;  // the rolling window, when the options roll
  double mean_nll = 0;  // nats per token
  double seconds = 0;
  uint32_t prefix = 0;  // the model's cushion in front of every window, tokens
};

// Splits the token stream into windows of opt.context tokens (less the
// model's cushion when the session pins it: the cushion sits at positions
// 0..P-1 of every window and the text follows it); each window
// runs in a fresh context as [BOS, t0, ..., t(m-2)] and scores t0..t(m-1).
// With opt.rolling the whole stream is one window: every token is scored
// with the sinks and the rolling window before it.
std::string perplexity(const Model& model, const SessionOptions& opt, const std::string& text,
                       PerplexityResult* out);

// Scores one window (after the session's pinned prefix, if any); adds to
// *nll and *count. Exposed for tests.
std::string score_window(Session* s, const int32_t* ids, size_t m, int32_t bos, double* nll,
                         size_t* count);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_TEXT_EVAL_H_
