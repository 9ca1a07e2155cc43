#include "sink_predictor.h"

#include <string.h>

#include "mathx.h"

namespace sinkq {

using namespace format;

Status validate_sink_predictor(const ModelConfig& c, const uint8_t* p, uint64_t size,
                               uint32_t version) {
  if (version != 1 || size < sizeof(SinkPredictorHeader)) return Status::kBadSinkPredictor;
  SinkPredictorHeader h;
  memcpy(&h, p, sizeof h);
  for (uint32_t r : h.reserved)
    if (r != 0) return Status::kBadSinkPredictor;
  if (h.n_layers != c.n_layers || h.dim != c.dim || h.layer >= c.n_layers ||
      h.n_channels == 0 || h.n_channels > kMaxSinkChannels ||
      size != sizeof h + uint64_t{h.n_channels} * sizeof(SinkChannel))
    return Status::kBadSinkPredictor;
  for (uint32_t i = 0; i < h.n_channels; ++i) {
    SinkChannel ch;
    memcpy(&ch, p + sizeof h + i * sizeof ch, sizeof ch);
    if (ch.channel >= c.dim || !mathx::is_finite(ch.threshold) || !(ch.threshold > 0.f))
      return Status::kBadSinkPredictor;
    for (uint32_t j = 0; j < i; ++j) {
      SinkChannel other;
      memcpy(&other, p + sizeof h + j * sizeof other, sizeof other);
      if (other.channel == ch.channel) return Status::kBadSinkPredictor;
    }
  }
  return Status::kOk;
}

Status SinkPredictor::from_model(const Model& m, SinkPredictor* out) {
  const uint8_t* p;
  uint64_t size;
  if (!m.section(kSectionSinkPredictor, &p, &size)) return Status::kUnsupported;
  SinkPredictorHeader h;
  memcpy(&h, p, sizeof h);
  out->layer = h.layer;
  out->n_channels = h.n_channels;
  // Sections start on 64-byte boundaries and the header is 64 bytes, so the
  // entries are aligned for direct reads.
  out->channels = reinterpret_cast<const SinkChannel*>(p + sizeof h);
  return Status::kOk;
}

float SinkPredictor::strength(const float* x) const {
  float s = 0.f;
  for (uint32_t i = 0; i < n_channels; ++i) {
    const float v = x[channels[i].channel];
    const float r = (v < 0.f ? -v : v) / channels[i].threshold;
    s = r > s ? r : s;
  }
  return s;
}

}  // namespace sinkq
