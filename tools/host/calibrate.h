// Static activation calibration: runs the model over calibration text,
// records |x| at every quantization site and derives one scale per site.
#ifndef SINKQ_TOOLS_CALIBRATE_H_
#define SINKQ_TOOLS_CALIBRATE_H_

#include <string>
#include <vector>

#include "sinkq/model.h"
#include "sinkq/quant.h"
#include "sqm_writer.h"

namespace sinkq {
namespace host {

struct CalibrationOptions {
  uint32_t context = 256;           // tokens per window ([BOS] + context-1 text tokens)
  format::ActCalibMethod method = format::kCalibMax;
  double percentile = 99.99;        // of |x| per site, for kCalibPercentile
};

struct CalibrationResult {
  std::vector<float> scales;  // [n_layers][kSitesPerLayer] + classifier
  std::vector<float> absmax;  // same layout, the observed max |x|
  size_t tokens = 0;
  bool fp32_model = true;     // false: ran W8A8 dynamic per-token (no fp32 weights)
  bool with_cushion = false;  // the model's prefix cushion was in place
};

// Returns "" on success, else a message (empty text, text shorter than one
// context, a model that cannot run).
std::string calibrate(const Model& model, const std::string& text, const CalibrationOptions& o,
                      CalibrationResult* out);

// The kSectionActQuant section for a result.
Section act_quant_section(const Model& model, const CalibrationOptions& o,
                          const CalibrationResult& r);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_CALIBRATE_H_
