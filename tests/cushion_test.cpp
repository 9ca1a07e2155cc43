// The prefix cushion: the model-file section (every malformed variant has its
// own status), the session pinning it at positions 0..P-1 without copying,
// and the host-side search (tools/host/cushion.cpp).
#include "host/cushion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "host/calibrate.h"
#include "host/sqm_writer.h"
#include "host/text_eval.h"
#include "host/synthetic.h"
#include "test_util.h"

namespace sinkq {
namespace {

using namespace format;

const std::vector<int32_t> kPrefix = {1, 403, 407};
const std::vector<int32_t> kText = {1, 261, 378, 290, 66, 322, 280, 351, 286, 11, 430, 313};

const host::CushionKv& stories_cushion() {
  static const host::CushionKv kv = [] {
    test::LoadedModel m;
    test::load_copy(test::stories260k_sqm(), &m);
    host::CushionKv out;
    EXPECT_EQ(host::cushion_kv(m.model, kPrefix, &out), "");
    return out;
  }();
  return kv;
}

std::vector<uint8_t> model_with(const std::vector<uint8_t>& section, uint32_t version = 1) {
  return test::stories260k_with_section(kSectionCushion, section, version);
}

std::vector<uint8_t> good_section() {
  test::LoadedModel m;
  test::load_copy(test::stories260k_sqm(), &m);
  return host::cushion_section(m.model.config(), stories_cushion()).bytes;
}

CushionHeader* header(std::vector<uint8_t>* b) { return reinterpret_cast<CushionHeader*>(b->data()); }
float* kv_values(std::vector<uint8_t>* b) { return reinterpret_cast<float*>(b->data() + header(b)->kv_offset); }

Status load_with(const std::vector<uint8_t>& section, uint32_t version = 1) {
  test::LoadedModel m;
  test::load_copy(model_with(section, version), &m);
  return m.status;
}

TEST(CushionSection, LoadsAndPointsIntoTheFile) {
  test::LoadedModel m;
  test::load_copy(model_with(good_section()), &m);
  ASSERT_EQ(m.status, Status::kOk);
  EXPECT_EQ(m.model.cushion_length(), 3u);
  EXPECT_EQ(m.model.cushion_tokens()[1], 403);
  const uint8_t* lo = m.buffer.data();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(m.model.cushion_key(4));
  EXPECT_TRUE(p > lo && p < lo + m.buffer.size());
  const host::CushionKv& kv = stories_cushion();
  EXPECT_EQ(std::memcmp(m.model.cushion_value(2), kv.v.data() + 2 * 3 * 32, 3 * 32 * 4), 0);
  test::LoadedModel plain;
  test::load_copy(test::stories260k_sqm(), &plain);
  EXPECT_EQ(plain.model.cushion_length(), 0u);
}

TEST(CushionSection, EveryMalformedVariantHasItsStatus) {
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>*)> edit;
    Status want;
    uint32_t version = 1;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Case> cases = {
      {"version 2", [](std::vector<uint8_t>*) {}, Status::kBadCushion, 2},
      {"shorter than the header", [](std::vector<uint8_t>* b) { b->resize(40); }, Status::kBadCushion},
      {"reserved field", [](std::vector<uint8_t>* b) { header(b)->reserved[3] = 1; }, Status::kBadCushion},
      {"tuned flag 2", [](std::vector<uint8_t>* b) { header(b)->tuned = 2; }, Status::kBadCushion},
      {"truncated K/V", [](std::vector<uint8_t>* b) { b->resize(b->size() - 4); }, Status::kBadCushion},
      {"trailing bytes", [](std::vector<uint8_t>* b) { b->resize(b->size() + 4); }, Status::kBadCushion},
      {"wrong kv_offset", [](std::vector<uint8_t>* b) { header(b)->kv_offset += 64; }, Status::kBadCushion},
      {"padding not zero", [](std::vector<uint8_t>* b) { (*b)[64 + 3 * 4] = 1; }, Status::kBadCushion},
      {"layers", [](std::vector<uint8_t>* b) { header(b)->n_layers = 4; }, Status::kCushionShapeMismatch},
      {"kv_dim", [](std::vector<uint8_t>* b) { header(b)->kv_dim = 64; }, Status::kCushionShapeMismatch},
      {"length 0", [](std::vector<uint8_t>* b) { header(b)->length = 0; }, Status::kCushionShapeMismatch},
      {"length 65", [](std::vector<uint8_t>* b) { header(b)->length = 65; }, Status::kCushionShapeMismatch},
      {"length 2 (size no longer matches)", [](std::vector<uint8_t>* b) { header(b)->length = 2; },
       Status::kBadCushion},
      {"NaN key", [nan](std::vector<uint8_t>* b) { kv_values(b)[7] = nan; }, Status::kCushionNonFinite},
      {"Inf value", [inf](std::vector<uint8_t>* b) { kv_values(b)[5 * 3 * 32 + 95] = -inf; },
       Status::kCushionNonFinite},
      {"token -1", [](std::vector<uint8_t>* b) { reinterpret_cast<int32_t*>(b->data() + 64)[0] = -1; },
       Status::kCushionBadToken},
      {"token 512", [](std::vector<uint8_t>* b) { reinterpret_cast<int32_t*>(b->data() + 64)[2] = 512; },
       Status::kCushionBadToken},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> b = good_section();
    c.edit(&b);
    EXPECT_EQ(load_with(b, c.version), c.want) << c.what;
  }
  // A model whose max_seq_len is the cushion length has no room after it.
  host::SyntheticOptions o;
  o.config = host::synthetic_config(16, 32, 1, 2, 2, 16, 3, true);
  auto bytes = host::synthetic_sqm(o);
  test::LoadedModel tiny;
  test::load_copy(bytes, &tiny);
  ASSERT_EQ(tiny.status, Status::kOk);
  host::CushionKv kv;
  kv.tokens = {1, 2, 3};
  kv.k.assign(3 * 16, 0.5f);
  kv.v.assign(3 * 16, 0.5f);
  auto sections = host::read_sections(bytes.data(), bytes.size());
  host::put_section(&sections, host::cushion_section(tiny.model.config(), kv));
  test::LoadedModel bad;
  test::load_copy(host::write_sqm(sections), &bad);
  EXPECT_EQ(bad.status, Status::kCushionShapeMismatch);
}

TEST(CushionSection, SyntheticModelsCanCarryOne) {
  host::SyntheticOptions o;
  o.config = host::synthetic_config(16, 24, 2, 4, 2, 64, 32, false);
  o.cushion = 3;
  test::LoadedModel m;
  test::load_copy(host::synthetic_sqm(o), &m);
  ASSERT_EQ(m.status, Status::kOk);
  EXPECT_EQ(m.model.cushion_length(), 3u);
  SessionOptions opt;
  opt.context = 16;
  test::OwnedSession s;
  test::start_session(m.model, opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  EXPECT_EQ(s.session.position(), 3u);
}

TEST(CushionSession, PinnedCushionGivesTheLogitsOfRunningThePrefix) {
  test::LoadedModel with, plain;
  test::load_copy(model_with(good_section()), &with);
  test::load_copy(test::stories260k_sqm(), &plain);
  ASSERT_EQ(with.status, Status::kOk);
  for (uint32_t bits : {32u, 4u}) {
    SessionOptions opt;
    opt.context = 32;
    opt.batch = 8;
    opt.kv.bits = bits;
    opt.kv.key_block = 8;
    test::OwnedSession a, b;
    test::start_session(with.model, opt, &a);
    test::start_session(plain.model, opt, &b);
    ASSERT_EQ(a.status, Status::kOk);
    ASSERT_EQ(b.status, Status::kOk);
    EXPECT_EQ(a.session.position(), 3u);
    EXPECT_EQ(a.session.prefix_length(), 3u);
    EXPECT_EQ(a.session.sink_slot(2), 2);
    ASSERT_EQ(a.session.prefill(kText.data(), kText.size()), Status::kOk);
    if (bits == 32) {
      // The same K/V at positions 0..2, read from the model file instead of
      // the cache: the same floats.
      ASSERT_EQ(b.session.prefill(kPrefix.data(), kPrefix.size()), Status::kOk);
      ASSERT_EQ(b.session.prefill(kText.data(), kText.size()), Status::kOk);
      EXPECT_EQ(std::memcmp(a.session.logits(), b.session.logits(), 512 * 4), 0);
    }
    a.session.reset();
    EXPECT_EQ(a.session.position(), 3u);
  }
}

TEST(CushionSession, RequiredBytesCountsPinOnlySlotsAndTheFlagTurnsItOff) {
  test::LoadedModel with;
  test::load_copy(model_with(good_section()), &with);
  SessionOptions opt;
  opt.context = 64;
  MemoryPlan on, off;
  size_t need;
  ASSERT_EQ(Session::required_bytes(with.model, opt, &need, &on), Status::kOk);
  opt.kv.use_cushion = false;
  ASSERT_EQ(Session::required_bytes(with.model, opt, &need, &off), Status::kOk);
  // No owned K/V for pinned slots: only pointers, slot state and layer
  // pointers (well under one slot's 1280 bytes of K/V).
  EXPECT_GT(on.sink_table, off.sink_table);
  EXPECT_LT(on.sink_table - off.sink_table, 1280u);
  test::OwnedSession s;
  test::start_session(with.model, opt, &s);
  EXPECT_EQ(s.session.position(), 0u);
  // No room in the sink table: the session runs without the cushion.
  opt.kv.use_cushion = true;
  opt.kv.sink_slots = kMaxSinkSlots - 2;
  test::OwnedSession full;
  test::start_session(with.model, opt, &full);
  ASSERT_EQ(full.status, Status::kOk);
  EXPECT_EQ(full.session.position(), 0u);
}

TEST(CushionSession, RollingWindowKeepsTheCushionAndLeavesItsSlots) {
  test::LoadedModel m;
  test::load_copy(model_with(good_section()), &m);
  ASSERT_EQ(m.status, Status::kOk);
  for (uint32_t bits : {32u, 4u}) {
    SessionOptions opt;
    opt.context = 32;
    opt.batch = 1;
    opt.rolling = true;
    opt.kv.bits = bits;
    opt.kv.key_block = 8;
    // The scores hold W keys plus the table: the cushion's 3 pin-only slots
    // come out of the largest window.
    opt.window = 30;
    size_t need = 0;
    EXPECT_EQ(Session::required_bytes(m.model, opt, &need), Status::kInvalidArgument);
    opt.window = 0;
    test::OwnedSession s;
    test::start_session(m.model, opt, &s);
    ASSERT_EQ(s.status, Status::kOk);
    EXPECT_EQ(s.session.prefix_length(), 3u);
    EXPECT_EQ(s.session.window(), 29u);
    // Four contexts later the cushion is still what every token reads first.
    uint32_t got[64];
    for (uint32_t i = 0; i < 4 * 32; ++i) {
      ASSERT_EQ(s.session.decode(kText[i % kText.size()]), Status::kOk) << "bits " << bits;
      const uint32_t n = s.session.attended(got, 64);
      ASSERT_GE(n, 3u);
      ASSERT_EQ(got[0], 0u);
      ASSERT_EQ(got[2], 2u);
    }
    EXPECT_EQ(s.session.position(), 3u + 4 * 32);
    for (uint32_t p = 0; p < 3; ++p) EXPECT_EQ(s.session.sink_slot(p), static_cast<int32_t>(p));
  }
}

TEST(CushionSession, PerplexityWindowsStartAfterTheCushion) {
  test::LoadedModel with;
  test::load_copy(model_with(good_section()), &with);
  const std::string text = test::tinystories_text().substr(0, 250);
  std::vector<int32_t> ids;
  ASSERT_EQ(host::encode_text(with.model, text, &ids), "");
  SessionOptions opt;
  opt.context = 32;
  host::PerplexityResult on, off;
  ASSERT_EQ(host::perplexity(with.model, opt, text, &on), "");
  opt.kv.use_cushion = false;
  ASSERT_EQ(host::perplexity(with.model, opt, text, &off), "");
  EXPECT_EQ(on.prefix, 3u);
  EXPECT_EQ(off.prefix, 0u);
  EXPECT_EQ(on.tokens, ids.size());
  EXPECT_EQ(off.tokens, ids.size());
  EXPECT_EQ(on.windows, (ids.size() + 28) / 29);  // 32 positions, 3 of them the cushion
  EXPECT_EQ(off.windows, (ids.size() + 31) / 32);
  EXPECT_NE(on.mean_nll, off.mean_nll);
}

TEST(CushionSession, CalibrationRunsWithTheCushionAndSaysSo) {
  test::LoadedModel with, plain;
  test::load_copy(model_with(good_section()), &with);
  test::load_copy(test::stories260k_sqm(), &plain);
  host::CalibrationOptions o;
  o.context = 32;
  const std::string text = test::tinystories_text().substr(0, 300);
  host::CalibrationResult a, b;
  ASSERT_EQ(host::calibrate(with.model, text, o, &a), "");
  ASSERT_EQ(host::calibrate(plain.model, text, o, &b), "");
  EXPECT_TRUE(a.with_cushion);
  EXPECT_FALSE(b.with_cushion);
  EXPECT_NE(a.scales, b.scales);
  const host::Section s = host::act_quant_section(with.model, o, a);
  EXPECT_EQ(reinterpret_cast<const ActQuantHeader*>(s.bytes.data())->with_cushion, 1u);
}

// A tiny made-up model where every candidate can be scored by hand.
struct Tiny {
  test::LoadedModel m;
  std::vector<std::vector<int32_t>> samples;
  Tiny() {
    host::SyntheticOptions o;
    o.config = host::synthetic_config(16, 32, 2, 2, 1, 24, 64, false);
    o.seed = 7;
    test::load_copy(host::synthetic_sqm(o), &m);
    std::vector<int32_t> ids;
    for (int i = 0; i < 40; ++i) ids.push_back(3 + (i * 7) % 21);
    samples = host::calibration_samples(ids, 2, 12);
  }
};

TEST(CushionSearch, GreedyStepTakesTheBestCandidateAndStopsWhenNothingImproves) {
  Tiny t;
  ASSERT_EQ(t.m.status, Status::kOk);
  ASSERT_EQ(t.samples.size(), 2u);
  for (auto objective : {host::CushionObjective::kQuantError, host::CushionObjective::kMaxAbs}) {
    host::CushionSearchOptions o;
    o.objective = objective;
    o.max_length = 3;
    o.threads = 2;
    host::CushionSearchResult r;
    ASSERT_EQ(host::cushion_search(t.m.model, t.samples, o, &r), "");
    ASSERT_GE(r.tokens.size(), 1u);
    ASSERT_LE(r.tokens.size(), 3u);
    EXPECT_EQ(r.tokens[0], 1);
    ASSERT_EQ(r.scores.size(), r.tokens.size());
    for (size_t i = 1; i < r.scores.size(); ++i) EXPECT_LT(r.scores[i], r.scores[i - 1]);
    // The first extension by brute force, one candidate at a time.
    double best = 0;
    int32_t arg = -1;
    for (int32_t c = 0; c < 24; ++c) {
      double v = 0;
      ASSERT_EQ(host::cushion_score(t.m.model, {1, c}, t.samples, objective, &v), "");
      if (arg < 0 || v < best) best = v, arg = c;
    }
    if (r.tokens.size() > 1) {
      EXPECT_EQ(r.tokens[1], arg);
      EXPECT_DOUBLE_EQ(r.scores[1], best);
    } else {
      EXPECT_GE(best, r.scores[0]);
    }
    o.threads = 1;
    host::CushionSearchResult one;
    ASSERT_EQ(host::cushion_search(t.m.model, t.samples, o, &one), "");
    EXPECT_EQ(one.tokens, r.tokens);
  }
}

TEST(CushionSearch, ScoreIsPositiveAndCandidateSubsetIsOrderedByCount) {
  Tiny t;
  double v = 0;
  ASSERT_EQ(host::cushion_score(t.m.model, {}, t.samples, host::CushionObjective::kQuantError, &v), "");
  EXPECT_GT(v, 0.0);
  EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(host::frequent_tokens({5, 3, 5, 7, 3, 5}, 8, 3), (std::vector<int32_t>{5, 3, 7}));
}

}  // namespace
}  // namespace sinkq
