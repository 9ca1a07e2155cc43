// Offline weight quantization: symmetric int8, per tensor or per output
// channel (row), written into the model file beside or instead of fp32.
#ifndef SINKQ_TOOLS_QUANTIZE_H_
#define SINKQ_TOOLS_QUANTIZE_H_

#include <string>
#include <vector>

#include "sqm_writer.h"

namespace sinkq {
namespace host {

enum class Granularity { kTensor, kChannel };

// Adds an I8 twin of every fp32 matrix (embedding, projections, classifier):
// scale = max|w| / 127, q = round_half_even(w / scale), so q is in [-127, 127].
// With drop_fp32 the fp32 matrices are removed (norm vectors stay fp32).
void add_int8_weights(std::vector<Tensor>* tensors, Granularity g, bool drop_fp32);

// Parses "tensor"/"channel"; returns false otherwise.
bool parse_granularity(const std::string& s, Granularity* g);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_QUANTIZE_H_
