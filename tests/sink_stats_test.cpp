// The host side of KVSink: the attention-sink ground truth, the confusion
// counts and the greedy predictor fit, on constructed data.
#include "host/sink_stats.h"

#include <gtest/gtest.h>

#include <cstring>
#include <algorithm>
#include <random>

#include "host/sqm_writer.h"
#include "sink_predictor.h"
#include "test_util.h"

namespace sinkq {
namespace {

using host::SinkWindow;

constexpr uint32_t kLayers = 3, kDim = 8, kT = 40;

// Windows whose residual carries, from layer 1 on, a large |x| in channel 5 at
// the sink positions; layer 0 shows nothing. Other channels are noise, with
// channel 2 occasionally large at non-sinks (a decoy).
std::vector<SinkWindow> synthetic(const std::vector<std::vector<uint32_t>>& sinks, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 0.5f);
  std::vector<SinkWindow> out;
  for (const auto& s : sinks) {
    SinkWindow w;
    w.tokens.assign(kT, 7);
    w.received.assign(kT, 1.f);
    w.judged = kT - 8;
    w.slot.assign(kT, -1);
    w.residual.resize(kLayers * kT * kDim);
    for (auto& x : w.residual) x = d(rng);
    for (uint32_t p = 0; p < kT; p += 9) w.residual[(1 * kT + p) * kDim + 2] = 3.f;
    for (uint32_t p : s) {
      w.received[p] = 300.f;
      for (uint32_t l = 1; l < kLayers; ++l) w.residual[(l * kT + p) * kDim + 5] = (p % 2 ? -4.f : 4.f) * l;
    }
    out.push_back(w);
  }
  return out;
}

TEST(SinkStats, ConfusionCountsJudgedPositionsOnly) {
  auto w = synthetic({{3, 20}, {35}}, 1);  // 35 is beyond the judged range
  w[0].slot[3] = 0;
  w[0].slot[10] = 1;
  w[1].slot[35] = 0;
  const host::Confusion c = host::score_sinks(w, 100.0, 0);
  EXPECT_EQ(c.tp, 1u);
  EXPECT_EQ(c.fp, 1u);
  EXPECT_EQ(c.fn, 1u);
  EXPECT_DOUBLE_EQ(c.precision(), 0.5);
  EXPECT_DOUBLE_EQ(c.recall(), 0.5);
  const host::Confusion pfn = host::score_sinks(w, 100.0, 4);  // positions 0..3 of each window
  EXPECT_EQ(pfn.tp, 1u);
  EXPECT_EQ(pfn.fp, 7u);
  EXPECT_EQ(pfn.fn, 1u);
}

TEST(SinkStats, FitFindsTheOutlierChannelAtTheEarliestLayerItAppears) {
  const auto w = synthetic({{0, 11}, {0, 4, 30}, {0, 17}}, 2);
  host::FittedPredictor f;
  ASSERT_TRUE(host::fit_sink_predictor(w, kLayers, kDim, 100.0, 4, &f));
  EXPECT_EQ(f.layer, 1u);  // layer 2 separates as well, but later
  ASSERT_EQ(f.channels.size(), 1u);
  EXPECT_EQ(f.channels[0].channel, 5u);
  // Midway between the smallest sink magnitude (4) and the largest other one.
  EXPECT_GT(f.channels[0].threshold, 2.f);
  EXPECT_LT(f.channels[0].threshold, 4.f);
  EXPECT_EQ(f.confusion.tp, 7u);
  EXPECT_EQ(f.confusion.fp + f.confusion.fn, 0u);
  EXPECT_LT(f.per_layer[0].f1(), 1.0);
  // The section round-trips through the loader's validator.
  const auto bytes = host::sink_predictor_section(f, 5, 64, 123, 100.0);
  ModelConfig c;
  c.n_layers = 5;
  c.dim = 64;
  EXPECT_EQ(validate_sink_predictor(c, bytes.data(), bytes.size(), 1), Status::kOk);
}

TEST(SinkStats, FitFailsWithoutAnySink) {
  const auto w = synthetic({{}, {}}, 3);
  host::FittedPredictor f;
  EXPECT_FALSE(host::fit_sink_predictor(w, kLayers, kDim, 100.0, 4, &f));
}

TEST(SinkStats, OnTheRealModelTheCarriageReturnReceivesTheMostAttention) {
  // stories260K's layer-0 heads attend massively to a '\r' token (id 16).
  test::LoadedModel m;
  test::load_copy(test::stories260k_sqm(), &m);
  ASSERT_EQ(m.status, Status::kOk);
  SessionOptions opt;
  opt.context = 96;
  host::SinkTruthOptions truth;
  truth.min_queries = 16;
  std::vector<SinkWindow> w;
  const std::string text = "Once upon a time, there was a little girl.\r\nShe liked to play outside in "
                           "the sun with her dog. One day, the dog ran to the park and the girl ran "
                           "after it. They played all day and were very happy.";
  ASSERT_EQ(host::collect_sink_windows(m.model, opt, text, truth, false, &w), "");
  ASSERT_EQ(w.size(), 1u);
  uint32_t cr = 0;
  float others = 0;
  for (uint32_t i = 0; i < w[0].judged; ++i) {
    if (w[0].tokens[i] == 16) cr = i;
    else others = std::max(others, w[0].received[i]);
  }
  ASSERT_GT(cr, 0u) << "no '\\r' token in the judged range";
  EXPECT_GT(w[0].received[cr], 1.5f * others);
  EXPECT_GT(w[0].received[cr], 20.f);  // over twenty times its uniform share
}

}  // namespace
}  // namespace sinkq
