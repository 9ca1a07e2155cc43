#include "sinkq/sampler.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sinkq {
namespace {

TEST(Sampler, ZeroTemperatureIsArgmax) {
  const float logits[] = {0.1f, 3.f, -2.f, 2.9f};
  Sampler s(0.f, 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.sample(logits, 4), 1);
  EXPECT_EQ(argmax(logits, 4), 1);
}

TEST(Sampler, DrawsFollowTheSoftmaxDistribution) {
  const float logits[] = {1.f, 2.f, 0.f, 1.5f};
  const float t = 0.8f;
  double p[4], z = 0;
  for (int i = 0; i < 4; ++i) z += (p[i] = std::exp(logits[i] / t));
  Sampler s(t, 99);
  int counts[4] = {0};
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++counts[s.sample(logits, 4)];
  for (int i = 0; i < 4; ++i) {
    const double expect = p[i] / z;
    EXPECT_NEAR(counts[i] / double(n), expect, 5 * std::sqrt(expect * (1 - expect) / n)) << i;
  }
}

TEST(Sampler, SameSeedSameSequence) {
  const float logits[] = {1.f, 1.f, 1.f, 1.f, 1.f};
  Sampler a(1.f, 5), b(1.f, 5), c(1.f, 6);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const int x = a.sample(logits, 5);
    EXPECT_EQ(x, b.sample(logits, 5));
    differs |= x != c.sample(logits, 5);
  }
  EXPECT_TRUE(differs);
}

TEST(Sampler, NullOrEmptyLogitsGiveAnIdEveryDecoderRejects) {
  const float logits[] = {1.f};
  Sampler greedy(0.f, 1), warm(1.f, 1);
  EXPECT_EQ(greedy.sample(logits, 0), -1);
  EXPECT_EQ(warm.sample(logits, 0), -1);
  EXPECT_EQ(greedy.sample(nullptr, 4), -1);
  EXPECT_EQ(warm.sample(nullptr, 4), -1);
}

// 1 / 1e-40 overflows float: such a temperature is greedy, not a draw of the
// last id (which 0 * inf = NaN in the cumulative sum would give).
TEST(Sampler, TemperatureTooSmallToInvertIsGreedy) {
  const float logits[] = {0.5f, 4.f, 1.f, -2.f};
  for (float t : {1e-40f, 1e-45f}) {
    Sampler s(t, 3);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(s.sample(logits, 4), 1) << t;
  }
}

}  // namespace
}  // namespace sinkq
