// Token sampling without scratch memory: greedy at temperature 0, otherwise a
// draw from softmax(logits / T) by walking the cumulative mass twice.
#ifndef SINKQ_SAMPLER_H_
#define SINKQ_SAMPLER_H_

#include <stdint.h>

namespace sinkq {

class Sampler {
 public:
  Sampler(float temperature, uint64_t seed)
      : temperature_(temperature), state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}

  // An id in [0, n), or -1 for null or empty logits (which every decoder and
  // session call rejects as kTokenOutOfRange).
  int32_t sample(const float* logits, uint32_t n);
  // Uniform in [0, 1) from xorshift64* (llama2.c's generator).
  float next_uniform();

 private:
  float temperature_;
  uint64_t state_;
};

int32_t argmax(const float* x, uint32_t n);

}  // namespace sinkq

#endif  // SINKQ_SAMPLER_H_
