// The sink-predictor section: Model::load rejects every malformed variant with
// kBadSinkPredictor; the predictor flags the massive-activation signature.
#include "sink_predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "host/sqm_writer.h"
#include "test_util.h"

namespace sinkq {
namespace {

using namespace format;

struct Predictor {
  SinkPredictorHeader h{};
  std::vector<SinkChannel> ch;
  uint32_t version = 1;
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> b(sizeof h + ch.size() * sizeof(SinkChannel));
    std::memcpy(b.data(), &h, sizeof h);
    if (!ch.empty()) std::memcpy(b.data() + sizeof h, ch.data(), ch.size() * sizeof(SinkChannel));
    return b;
  }
};

Predictor valid() {
  Predictor p;
  p.h.n_layers = 5;
  p.h.dim = 64;
  p.h.layer = 1;
  p.h.n_channels = 2;
  p.ch = {{51, 1.5f}, {30, 2.f}};
  return p;
}

std::vector<uint8_t> model_with(const std::vector<uint8_t>& section, uint32_t version = 1) {
  return test::stories260k_with_section(kSectionSinkPredictor, section, version);
}

Status load_with(const Predictor& p) {
  test::LoadedModel m;
  test::load_copy(model_with(p.bytes(), p.version), &m);
  return m.status;
}

TEST(SinkPredictor, LoadAcceptsAValidSectionAndReadsItInPlace) {
  test::LoadedModel m;
  test::load_copy(model_with(valid().bytes()), &m);
  ASSERT_EQ(m.status, Status::kOk);
  SinkPredictor p;
  ASSERT_EQ(SinkPredictor::from_model(m.model, &p), Status::kOk);
  EXPECT_EQ(p.layer, 1u);
  ASSERT_EQ(p.n_channels, 2u);
  EXPECT_EQ(p.channels[0].channel, 51u);
  EXPECT_EQ(p.channels[1].threshold, 2.f);
  EXPECT_GE(reinterpret_cast<const uint8_t*>(p.channels), m.buffer.data());
  EXPECT_LT(reinterpret_cast<const uint8_t*>(p.channels), m.buffer.data() + m.buffer.size());
}

TEST(SinkPredictor, LoadRejectsEveryMalformedSection) {
  const std::vector<std::pair<const char*, std::function<void(Predictor*)>>> cases = {
      {"version", [](Predictor* p) { p->version = 2; }},
      {"layers", [](Predictor* p) { p->h.n_layers = 4; }},
      {"dim", [](Predictor* p) { p->h.dim = 63; }},
      {"layer", [](Predictor* p) { p->h.layer = 5; }},
      {"no channels", [](Predictor* p) { p->h.n_channels = 0, p->ch.clear(); }},
      {"too many", [](Predictor* p) {
         p->h.n_channels = kMaxSinkChannels + 1;
         p->ch.clear();
         for (uint32_t i = 0; i <= kMaxSinkChannels; ++i) p->ch.push_back({i, 1.f});
       }},
      {"count vs size", [](Predictor* p) { p->h.n_channels = 3; }},
      {"trailing bytes", [](Predictor* p) { p->ch.push_back({1, 1.f}); }},
      {"channel", [](Predictor* p) { p->ch[1].channel = 64; }},
      {"duplicate", [](Predictor* p) { p->ch[1].channel = 51; }},
      {"zero threshold", [](Predictor* p) { p->ch[0].threshold = 0.f; }},
      {"negative threshold", [](Predictor* p) { p->ch[0].threshold = -1.f; }},
      {"nan threshold", [](Predictor* p) { p->ch[0].threshold = std::nanf(""); }},
      {"inf threshold", [](Predictor* p) { p->ch[0].threshold = std::numeric_limits<float>::infinity(); }},
      {"reserved", [](Predictor* p) { p->h.reserved[9] = 1; }},
  };
  for (const auto& c : cases) {
    Predictor p = valid();
    c.second(&p);
    EXPECT_EQ(load_with(p), Status::kBadSinkPredictor) << c.first;
  }
  // Shorter than the header.
  test::LoadedModel m;
  test::load_copy(model_with(std::vector<uint8_t>(40, 0)), &m);
  EXPECT_EQ(m.status, Status::kBadSinkPredictor);
}

TEST(SinkPredictor, StrengthIsTheLargestMagnitudeOverThreshold) {
  const SinkChannel ch[2] = {{3, 2.f}, {0, 0.5f}};
  SinkPredictor p;
  p.n_channels = 2;
  p.channels = ch;
  float x[4] = {0.25f, 9.f, 0.f, -3.f};
  EXPECT_EQ(p.strength(x), 1.5f);  // |-3| / 2 beats 0.25 / 0.5; channel 1 is not listed
  x[0] = -1.f;
  EXPECT_EQ(p.strength(x), 2.f);
  x[0] = 0.f;
  x[3] = 1.f;
  EXPECT_EQ(p.strength(x), 0.5f);
}

TEST(SinkPredictor, KvSinkNeedsTheSection) {
  test::LoadedModel m;
  test::load_copy(test::stories260k_sqm(), &m);
  ASSERT_EQ(m.status, Status::kOk);
  SinkPredictor p;
  EXPECT_EQ(SinkPredictor::from_model(m.model, &p), Status::kUnsupported);
  SessionOptions opt;
  opt.context = 32;
  opt.kv.sinks = SinkPolicy::kKvSink;
  opt.kv.sink_slots = 4;
  size_t need = 0;
  EXPECT_EQ(Session::required_bytes(m.model, opt, &need), Status::kUnsupported);
}

}  // namespace
}  // namespace sinkq
