#include "sinkq/sampler.h"

#include "mathx.h"

namespace sinkq {

int32_t argmax(const float* x, uint32_t n) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return static_cast<int32_t>(best);
}

float Sampler::next_uniform() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const uint32_t r = static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
  return static_cast<float>(r >> 8) / 16777216.0f;
}

int32_t Sampler::sample(const float* logits, uint32_t n) {
  if (logits == nullptr || n == 0) return -1;
  if (!(temperature_ > 0.f)) return argmax(logits, n);
  const float m = logits[argmax(logits, n)];
  const float inv_t = 1.f / temperature_;
  // A temperature so small that 1/T overflows is greedy; going on would give
  // 0 * inf = NaN for the best logit and a draw of the last id.
  if (!mathx::is_finite(inv_t)) return argmax(logits, n);
  float sum = 0.f;
  for (uint32_t i = 0; i < n; ++i) sum = sum + mathx::exp_f32((logits[i] - m) * inv_t);
  const float target = next_uniform() * sum;
  float cdf = 0.f;
  for (uint32_t i = 0; i < n; ++i) {
    cdf = cdf + mathx::exp_f32((logits[i] - m) * inv_t);
    if (target < cdf) return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(n - 1);  // rounding left target at the very top
}

}  // namespace sinkq
