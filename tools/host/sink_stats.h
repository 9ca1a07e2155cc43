// Attention sinks measured, and the KVSink predictor fitted, on a text: the
// host side of `sinkq sinks calibrate` and `sinkq sinks stats`.
//
// Ground truth. A token is an attention sink when some head gives it far more
// than its uniform share 1 / (t + 1) of the attention of the queries after it
// (KVSink's definition: p(t, i) >> 1 / t for all t, in some layer and head):
// received(i) = max over (layer, head) of mean over t in [i + delay, T) of
// p(t, i) * (t + 1), and i is a sink when received(i) >= ratio. Queries closer
// than `delay` are left out because attention to the last few tokens is local
// context, not a sink; keys with fewer than min_queries such queries are not
// judged.
#ifndef SINKQ_TOOLS_SINK_STATS_H_
#define SINKQ_TOOLS_SINK_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sinkq/kv.h"
#include "sinkq/model.h"
#include "sinkq/session.h"

namespace sinkq {
namespace host {

struct SinkTruthOptions {
  uint32_t delay = 8;
  uint32_t min_queries = 64;
  double ratio = 64.0;
};

struct SinkWindow {
  std::vector<int32_t> tokens;  // as run: [BOS, t0, ...]
  std::vector<float> received;  // [T]
  uint32_t judged = 0;          // positions [0, judged) have enough queries
  std::vector<float> residual;  // [layers][T][dim] when asked for
  std::vector<int32_t> slot;    // [T] the session's sink-table slot of each position
};

// Runs the windows of `text` as `sinkq perplexity` does (fresh context,
// [BOS, t0, ...]) with opt, recording the above for each window.
std::string collect_sink_windows(const Model& m, const SessionOptions& opt, const std::string& text,
                                 const SinkTruthOptions& truth, bool keep_residual,
                                 std::vector<SinkWindow>* out);

struct Confusion {
  size_t tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0.0; }
  double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0.0; }
  double f1() const { return tp ? 2.0 * tp / double(2 * tp + fp + fn) : 0.0; }
};

// Predicted sinks (slot >= 0, or positions < pfn when pfn > 0) against the
// ground truth over the judged positions.
Confusion score_sinks(const std::vector<SinkWindow>& w, double ratio, uint32_t pfn);

struct FittedPredictor {
  uint32_t layer = 0;
  std::vector<format::SinkChannel> channels;
  Confusion confusion;               // on the fitting windows
  std::vector<Confusion> per_layer;  // the best fit at each layer
};

// Greedy F1 fit: at each layer, repeatedly add the (channel, threshold) that
// most improves F1 of "|x[c]| > threshold for some chosen c", up to
// max_channels; thresholds sit midway between neighbouring values. The layer
// is the earliest whose F1 is within 0.01 of the best, so that the staging
// before the decision stays small. Needs residuals; false without positives.
bool fit_sink_predictor(const std::vector<SinkWindow>& w, uint32_t layers, uint32_t dim,
                        double ratio, uint32_t max_channels, FittedPredictor* out);

// The kSectionSinkPredictor bytes.
std::vector<uint8_t> sink_predictor_section(const FittedPredictor& p, uint32_t layers,
                                            uint32_t dim, uint32_t calib_tokens, double ratio);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_SINK_STATS_H_
