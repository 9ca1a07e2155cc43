// KVSink's sink predictor (Su & Yuan, 2025, arXiv 2508.04257): attention sinks
// are the tokens whose residual stream carries the massive activations that
// build up in a few fixed channels over the early layers. The model file's
// sink-predictor section lists those channels, their thresholds and the layer
// after which to decide.
#ifndef SINKQ_SINK_PREDICTOR_H_
#define SINKQ_SINK_PREDICTOR_H_

#include <stdint.h>

#include "sinkq/kv.h"
#include "sinkq/model.h"
#include "sinkq/status.h"

namespace sinkq {

// Checks a kSectionSinkPredictor section against the config (Model::load).
Status validate_sink_predictor(const ModelConfig& c, const uint8_t* p, uint64_t size,
                               uint32_t version);

struct SinkPredictor {
  uint32_t layer = 0;
  uint32_t n_channels = 0;
  const format::SinkChannel* channels = nullptr;  // in the model file

  // Reads the (validated) section; kUnsupported when the model has none.
  static Status from_model(const Model& m, SinkPredictor* out);
  // max over channels of |x[channel]| / threshold: the token is a sink when > 1.
  float strength(const float* x) const;
};

}  // namespace sinkq

#endif  // SINKQ_SINK_PREDICTOR_H_
