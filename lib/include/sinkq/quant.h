// Activation quantization sites and the static-scale section (W8A8).
#ifndef SINKQ_QUANT_H_
#define SINKQ_QUANT_H_

#include <stdint.h>

namespace sinkq {

// The inputs of the linear layers: where activations are quantized to int8.
enum Site : uint32_t {
  kSiteAttnIn = 0,   // RMSNorm output entering wq, wk, wv
  kSiteAttnOut = 1,  // attention output entering wo
  kSiteFfnIn = 2,    // RMSNorm output entering w1, w3
  kSiteFfnDown = 3,  // SwiGLU output entering w2
  kSitesPerLayer = 4,
  // The final-norm output entering the classifier; reported with
  // layer == n_layers.
  kSiteClassifierIn = 4,
};

inline const char* site_name(uint32_t s) {
  switch (s) {
    case kSiteAttnIn: return "attn_in";
    case kSiteAttnOut: return "attn_out";
    case kSiteFfnIn: return "ffn_in";
    case kSiteFfnDown: return "ffn_down";
    case kSiteClassifierIn: return "classifier_in";
    default: return "?";
  }
}

namespace format {

// Section kSectionActQuant (version 1):
//   ActQuantHeader, then float scales[n_layers][kSitesPerLayer], then
//   float classifier_scale (the final-norm output entering the classifier;
//   used when the classifier runs in int8).
// real = scale * q for q in [-127, 127]; every scale finite and > 0.
struct ActQuantHeader {
  uint32_t n_layers;
  uint32_t sites_per_layer;  // kSitesPerLayer
  uint32_t method;           // ActCalibMethod, informational
  uint32_t with_cushion;     // 1: calibrated with the prefix cushion in place
  float percentile;          // for kCalibPercentile
  uint32_t calib_tokens;     // tokens the statistics were taken over
  uint32_t reserved[10];
};
static_assert(sizeof(ActQuantHeader) == 64, "ActQuantHeader layout");

enum ActCalibMethod : uint32_t { kCalibMax = 1, kCalibPercentile = 2 };

}  // namespace format
}  // namespace sinkq

#endif  // SINKQ_QUANT_H_
