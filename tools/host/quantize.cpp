#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sinkq {
namespace host {

using namespace format;

namespace {

bool is_matrix(uint32_t kind) {
  switch (kind) {
    case kTokenEmbedding: case kWq: case kWk: case kWv: case kWo:
    case kW1: case kW2: case kW3: case kWcls:
      return true;
    default:
      return false;
  }
}

// Quantizes n floats with one scale; the scale is max|w| / 127 (1 for an
// all-zero block so that dequantization stays finite).
float quantize_block(const float* w, size_t n, int8_t* q) {
  float m = 0.f;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
  const float scale = m > 0.f ? m / 127.f : 1.f;
  for (size_t i = 0; i < n; ++i) {
    const float v = std::nearbyint(w[i] / scale);  // ties to even (default rounding mode)
    q[i] = static_cast<int8_t>(std::max(-127.f, std::min(127.f, v)));
  }
  return scale;
}

}  // namespace

void add_int8_weights(std::vector<Tensor>* tensors, Granularity g, bool drop_fp32) {
  std::vector<Tensor> out;
  for (const Tensor& t : *tensors) {
    if (!is_matrix(t.kind) || t.dtype != kF32) {
      out.push_back(t);
      continue;
    }
    if (!drop_fp32) out.push_back(t);
    const uint32_t rows = t.shape[0], cols = t.shape[1];
    const float* w = reinterpret_cast<const float*>(t.data.data());
    Tensor q;
    q.kind = t.kind;
    q.layer = t.layer;
    q.dtype = kI8;
    q.shape = t.shape;
    q.data.resize(size_t{rows} * cols);
    int8_t* qd = reinterpret_cast<int8_t*>(q.data.data());
    if (g == Granularity::kTensor) {
      q.scale = quantize_block(w, size_t{rows} * cols, qd);
      out.push_back(std::move(q));
    } else {
      Tensor s;
      s.kind = kChannelScales;
      s.layer = t.layer;
      s.dtype = kF32;
      s.shape = {rows};
      std::vector<float> scales(rows);
      for (uint32_t r = 0; r < rows; ++r)
        scales[r] = quantize_block(w + size_t{r} * cols, cols, qd + size_t{r} * cols);
      s.data = as_bytes(scales);
      out.push_back(std::move(s));
      q.scale_tensor = static_cast<int32_t>(out.size() - 1);
      out.push_back(std::move(q));
    }
  }
  *tensors = std::move(out);
}

bool parse_granularity(const std::string& s, Granularity* g) {
  if (s == "tensor" || s == "per-tensor") *g = Granularity::kTensor;
  else if (s == "channel" || s == "per-channel") *g = Granularity::kChannel;
  else return false;
  return true;
}

}  // namespace host
}  // namespace sinkq
