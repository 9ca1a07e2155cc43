// The KV cache: what attention reads from the sink table, the KVSink staging,
// the fp32 key residual and the packed store, against an independent model of
// the cache; and the session running every bit width and sink policy.
#include "kv_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "half_ref.h"
#include "host/sqm_writer.h"
#include "host/text_eval.h"
#include "sinkq/kernels.h"
#include "test_util.h"

namespace sinkq {
namespace {

using test::RefGroup;

// stories260K with a sink-predictor section (decide after `layer`).
std::vector<uint8_t> with_predictor(uint32_t layer, uint32_t channel, float threshold) {
  const auto& base = test::stories260k_sqm();
  auto sections = host::read_sections(base.data(), base.size());
  format::SinkPredictorHeader h{};
  h.n_layers = 5;
  h.dim = 64;
  h.layer = layer;
  h.n_channels = 1;
  const format::SinkChannel ch{channel, threshold};
  host::Section s;
  s.kind = format::kSectionSinkPredictor;
  s.bytes.resize(sizeof h + sizeof ch);
  std::memcpy(s.bytes.data(), &h, sizeof h);
  std::memcpy(s.bytes.data() + sizeof h, &ch, sizeof ch);
  host::put_section(&sections, s);
  return host::write_sqm(sections);
}

// A KvCache in its own arena, with RoPE tables computed here in double.
struct Cache {
  host::AlignedBuffer arena;
  KvCache kv;
  std::vector<float> cos, sin;
  Cache(const Model& m, const KvOptions& o, uint32_t ctx, uint32_t batch) {
    EXPECT_EQ(KvCache::check(m, o), Status::kOk);
    ArenaPlanner measure(nullptr);
    KvCache probe;
    probe.plan_store(m, o, ctx, batch, 0, &measure);
    probe.plan_table(&measure);
    arena.resize(measure.used());
    ArenaPlanner a(arena.data());
    kv.plan_store(m, o, ctx, batch, 0, &a);
    kv.plan_table(&a);
    const uint32_t hs = m.config().head_size;
    for (uint32_t p = 0; p < ctx; ++p)
      for (uint32_t j = 0; j < hs / 2; ++j) {
        const double angle = p * std::pow(10000.0, -2.0 * j / hs);
        cos.push_back(static_cast<float>(std::cos(angle)));
        sin.push_back(static_cast<float>(std::sin(angle)));
      }
    kv.init(cos.data(), sin.data(), nullptr, nullptr);  // no window
  }
};

// Positions 0 .. n-1, as a query at n - 1 sees them without a window.
KvView upto(uint32_t n) {
  KvView v;
  v.pos = n - 1;
  return v;
}

constexpr uint32_t kLayers = 5, kKvDim = 32, kHs = 8, kKvHeads = 4;

// Random K/V per [layer][position]; sink positions get an outlier of +40 on
// every channel, which would wreck the scales of the tokens around them if
// they were quantized with them.
struct Sequence {
  std::vector<std::vector<std::vector<float>>> k, v;
  Sequence(uint32_t n, const std::set<uint32_t>& outliers, uint32_t seed)
      : k(kLayers, std::vector<std::vector<float>>(n)), v(k) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    for (uint32_t l = 0; l < kLayers; ++l)
      for (uint32_t p = 0; p < n; ++p)
        for (uint32_t i = 0; i < kKvDim; ++i) {
          k[l][p].push_back(d(rng) + (outliers.count(p) ? 40.f : 0.f));
          v[l][p].push_back(d(rng) + (outliers.count(p) ? 40.f : 0.f));
        }
  }
};

// What the cache should return for every position, computed in double from the
// quantizer's contract: table positions exact, keys of complete blocks quantized
// per channel over the block's non-table rows (before RoPE when asked), the
// rest of the keys exact, values quantized per token in groups.
struct Expected {
  std::vector<std::vector<std::vector<double>>> k, v;  // [layer][pos][kv_dim]
  Expected(const Sequence& s, uint32_t n, const std::set<uint32_t>& table, const KvOptions& o,
           const Cache& c)
      : k(kLayers, std::vector<std::vector<double>>(n)), v(k) {
    const uint32_t G = o.key_block;
    auto rotate = [&](std::vector<double>* x, uint32_t p, double sign) {
      for (uint32_t i = 0; i < kKvDim; i += 2) {
        const uint32_t j = (i % kHs) / 2;
        const double co = c.cos[p * (kHs / 2) + j], si = sign * c.sin[p * (kHs / 2) + j];
        const double a = (*x)[i], b = (*x)[i + 1];
        (*x)[i] = a * co - b * si;
        (*x)[i + 1] = a * si + b * co;
      }
    };
    for (uint32_t l = 0; l < kLayers; ++l) {
      for (uint32_t p = 0; p < n; ++p) {
        k[l][p].assign(s.k[l][p].begin(), s.k[l][p].end());
        v[l][p].assign(s.v[l][p].begin(), s.v[l][p].end());
        if (o.bits == 32 || table.count(p)) continue;
        for (uint32_t g = 0; g < kKvDim; g += o.value_group) {
          double lo = 1e30, hi = -1e30;
          for (uint32_t i = g; i < g + o.value_group; ++i)
            lo = std::min(lo, v[l][p][i]), hi = std::max(hi, v[l][p][i]);
          const RefGroup q(lo, hi, o.bits);
          for (uint32_t i = g; i < g + o.value_group; ++i) v[l][p][i] = q.reconstruct(v[l][p][i], o.bits);
        }
      }
      if (o.bits == 32) continue;
      // The query at n - 1 reads its own block from the residual.
      for (uint32_t b = 0; (b + 1) * G <= n && b < (n - 1) / G; ++b) {
        std::vector<std::vector<double>> rows(G);
        for (uint32_t j = 0; j < G; ++j) {
          rows[j] = k[l][b * G + j];
          if (o.key_pre_rope) rotate(&rows[j], b * G + j, -1.0);
        }
        for (uint32_t ch = 0; ch < kKvDim; ++ch) {
          double lo = 1e30, hi = -1e30;
          for (uint32_t j = 0; j < G; ++j)
            if (!table.count(b * G + j)) lo = std::min(lo, rows[j][ch]), hi = std::max(hi, rows[j][ch]);
          const RefGroup q(lo, hi, o.bits);
          for (uint32_t j = 0; j < G; ++j) rows[j][ch] = q.reconstruct(rows[j][ch], o.bits);
        }
        for (uint32_t j = 0; j < G; ++j) {
          if (table.count(b * G + j)) continue;
          if (o.key_pre_rope) rotate(&rows[j], b * G + j, 1.0);
          k[l][b * G + j] = rows[j];
        }
      }
    }
  }
};

// scores() and mix() over positions [0, n) against the expected cache: exact
// (bitwise, via the float order) for rows held at full precision, within
// float rounding of the double computation for dequantized ones.
void check_reads(Cache* c, const Expected& e, const Sequence& s, uint32_t n,
                 const std::set<uint32_t>& exact, std::mt19937* rng) {
  std::normal_distribution<float> d;
  for (uint32_t l = 0; l < kLayers; ++l) {
    for (uint32_t h = 0; h < kKvHeads; ++h) {
      std::vector<float> q(kHs), probs(n), got(n), out(kHs, 0.f);
      for (auto& x : q) x = d(*rng);
      for (auto& x : probs) x = std::fabs(d(*rng)) / n;
      c->kv.scores(l, h, q.data(), upto(n), got.data());
      std::vector<double> mixed(kHs, 0.0), mag(kHs, 0.0);
      for (uint32_t p = 0; p < n; ++p) {
        const float* orig = s.k[l][p].data() + h * kHs;
        if (exact.count(p)) {
          ASSERT_EQ(got[p], ref::dot_f32(q.data(), orig, kHs)) << "layer " << l << " pos " << p;
        } else {
          double want = 0, size = 0;
          for (uint32_t i = 0; i < kHs; ++i) {
            want += double(q[i]) * e.k[l][p][h * kHs + i];
            size += std::fabs(double(q[i]) * e.k[l][p][h * kHs + i]);
          }
          ASSERT_NEAR(got[p], want, 1e-5 * size + 1e-6) << "layer " << l << " pos " << p;
        }
        for (uint32_t i = 0; i < kHs; ++i) {
          mixed[i] += probs[p] * e.v[l][p][h * kHs + i];
          mag[i] += std::fabs(probs[p] * e.v[l][p][h * kHs + i]);
        }
      }
      c->kv.mix(l, h, probs.data(), upto(n), out.data());
      for (uint32_t i = 0; i < kHs; ++i) ASSERT_NEAR(out[i], mixed[i], 1e-5 * mag[i] + 1e-6);
    }
  }
}

const Model& stories() { return test::stories260k_model(); }

TEST(KvCache, AttentionOverSinksAndPackedRowsMatchesAnIndependentDequantization) {
  std::mt19937 rng(11);
  const uint32_t n = 43;  // five complete key blocks of 8 and three residual tokens
  for (uint32_t bits : {2u, 3u, 4u, 8u}) {
    for (uint32_t group : {8u, 32u}) {
      for (bool pre_rope : {false, true}) {
        KvOptions o;
        o.bits = bits;
        o.key_block = 8;
        o.value_group = group;
        o.key_pre_rope = pre_rope;
        o.sinks = SinkPolicy::kPreserveFirstN;
        o.preserve_first = 3;
        o.sink_slots = 2;  // position 2 is refused and quantized
        Cache c(stories(), o, 48, 1);
        const std::set<uint32_t> table = {0, 1};
        const Sequence s(n, {0, 1, 9}, bits * 100 + group);
        for (uint32_t p = 0; p < n; ++p)
          for (uint32_t l = 0; l < kLayers; ++l) c.kv.put(l, 0, p, s.k[l][p].data(), s.v[l][p].data());
        EXPECT_EQ(c.kv.table().slot_of(0), 0);
        EXPECT_EQ(c.kv.table().slot_of(1), 1);
        EXPECT_EQ(c.kv.table().slot_of(2), SinkTable::kNoSlot);
        const Expected e(s, n, table, o, c);
        // Sinks are exact; without pre-RoPE so are the residual keys (40..42).
        std::set<uint32_t> exact = table;
        if (!pre_rope) exact.insert({40, 41, 42});
        SCOPED_TRACE(testing::Message() << bits << " bits, group " << group << (pre_rope ? ", pre-RoPE" : ""));
        check_reads(&c, e, s, n, exact, &rng);
      }
    }
  }
}

TEST(KvCache, Fp32StoreReadsEveryRowExactly) {
  std::mt19937 rng(12);
  KvOptions o;
  Cache c(stories(), o, 16, 4);
  const Sequence s(16, {}, 5);
  for (uint32_t p = 0; p < 16; ++p)
    for (uint32_t l = 0; l < kLayers; ++l) c.kv.put(l, p % 4, p, s.k[l][p].data(), s.v[l][p].data());
  std::set<uint32_t> all;
  for (uint32_t p = 0; p < 16; ++p) all.insert(p);
  check_reads(&c, Expected(s, 16, all, o, c), s, 16, all, &rng);
}

// KVSink decides after layer 2; the K/V of layers 0..2 is staged meanwhile.
TEST(KvCache, KvSinkStagesTheEarlyLayersAndKeepsASinksKvExactly) {
  test::LoadedModel m;
  test::load_copy(with_predictor(2, 7, 10.f), &m);
  ASSERT_EQ(m.status, Status::kOk);
  std::mt19937 rng(13);
  KvOptions o;
  o.bits = 2;
  o.key_block = 4;
  o.value_group = 8;
  o.sinks = SinkPolicy::kKvSink;
  o.sink_slots = 2;
  Cache c(m.model, o, 16, 4);
  const uint32_t n = 12;
  const std::set<uint32_t> flagged = {2, 5, 9};  // 9 arrives when the table is full
  const Sequence s(n, flagged, 21);
  // Forward calls as the session makes them: prefill chunks, then decoding.
  const std::vector<std::pair<uint32_t, uint32_t>> calls = {{0, 4}, {4, 4}, {8, 1}, {9, 1}, {10, 2}};
  std::vector<float> x(4 * 64, 1.f);
  for (const auto& call : calls) {
    const uint32_t first = call.first, rows = call.second;
    for (uint32_t t = 0; t < rows; ++t) x[t * 64 + 7] = flagged.count(first + t) ? (t % 2 ? -20.f : 20.f) : 1.f;
    for (uint32_t l = 0; l < kLayers; ++l) {
      for (uint32_t t = 0; t < rows; ++t)
        c.kv.put(l, t, first + t, s.k[l][first + t].data(), s.v[l][first + t].data());
      if (l <= 2) {
        // Undecided rows of this call are read at full precision.
        std::vector<float> q(kHs, 0.5f), got(first + rows);
        c.kv.scores(l, 1, q.data(), upto(first + rows), got.data());
        for (uint32_t t = 0; t < rows; ++t)
          ASSERT_EQ(got[first + t], ref::dot_f32(q.data(), s.k[l][first + t].data() + kHs, kHs));
      }
      c.kv.after_layer(l, x.data(), rows, first);
    }
  }
  const SinkTable& table = c.kv.table();
  ASSERT_NE(table.slot_of(2), SinkTable::kNoSlot);
  ASSERT_NE(table.slot_of(5), SinkTable::kNoSlot);
  EXPECT_EQ(table.slot_of(9), SinkTable::kNoSlot);  // refused: the table was full
  for (uint32_t p : {2u, 5u})
    for (uint32_t l = 0; l < kLayers; ++l) {
      EXPECT_EQ(std::memcmp(table.key(table.slot_of(p), l), s.k[l][p].data(), kKvDim * 4), 0) << p << " " << l;
      EXPECT_EQ(std::memcmp(table.value(table.slot_of(p), l), s.v[l][p].data(), kKvDim * 4), 0) << p << " " << l;
    }
  const std::set<uint32_t> sinks = {2, 5};
  std::set<uint32_t> exact = {2, 5, 8, 9, 10, 11};  // the last block is the query's own
  check_reads(&c, Expected(s, n, sinks, o, c), s, n, exact, &rng);
}

TEST(KvCache, PinnedPrefixIsReadInPlaceSkippedByKeyBlocksAndKeptAcrossReset) {
  std::mt19937 rng(14);
  KvOptions o;
  o.bits = 3;
  o.key_block = 8;
  o.value_group = 32;
  o.sink_slots = 4;
  Cache c(stories(), o, 32, 1);
  const uint32_t n = 21;
  const Sequence s(n, {0, 1, 2}, 31);
  std::vector<std::vector<float>> ek(kLayers), ev(kLayers);
  std::vector<const float*> kp, vp;
  for (uint32_t l = 0; l < kLayers; ++l) {
    for (uint32_t p = 0; p < 3; ++p) {
      ek[l].insert(ek[l].end(), s.k[l][p].begin(), s.k[l][p].end());
      ev[l].insert(ev[l].end(), s.v[l][p].begin(), s.v[l][p].end());
    }
    kp.push_back(ek[l].data());
    vp.push_back(ev[l].data());
  }
  const uint32_t positions[3] = {0, 1, 2};
  ASSERT_EQ(c.kv.table().pin(0, 3, kp.data(), vp.data(), positions), Status::kOk);
  const std::vector<std::vector<float>> before = ek;
  for (int round = 0; round < 2; ++round) {
    c.kv.reset();
    for (uint32_t p = 3; p < n; ++p)
      for (uint32_t l = 0; l < kLayers; ++l) c.kv.put(l, 0, p, s.k[l][p].data(), s.v[l][p].data());
    const std::set<uint32_t> pinned = {0, 1, 2};
    std::set<uint32_t> exact = pinned;
    exact.insert({16, 17, 18, 19, 20});
    check_reads(&c, Expected(s, n, pinned, o, c), s, n, exact, &rng);
    EXPECT_EQ(c.kv.table().key(1, 3), ek[3].data() + kKvDim);  // no copy
  }
  EXPECT_EQ(ek, before);
}

// --- Through the session ---------------------------------------------------

using test::story_tokens;

// Logits after every token of `tokens`, with `opt` (all_logits on).
std::vector<float> run(const Model& m, SessionOptions opt, const std::vector<int32_t>& tokens,
                       test::OwnedSession* s) {
  opt.all_logits = true;
  test::start_session(m, opt, s);
  EXPECT_EQ(s->status, Status::kOk);
  std::vector<float> out;
  for (size_t at = 0; at < tokens.size(); at += opt.batch) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(opt.batch, tokens.size() - at));
    EXPECT_EQ(s->session.forward(tokens.data() + at, n), Status::kOk);
    for (uint32_t i = 0; i < n; ++i)
      out.insert(out.end(), s->session.logits_at(i), s->session.logits_at(i) + 512);
  }
  return out;
}

// A KVSink predictor fitted here: the residual channel after layer 1 whose
// largest magnitude stands furthest above all the other tokens' flags exactly
// that one token.
struct Fitted {
  uint32_t channel = 0, position = 0;
  float threshold = 0;
};

class ResidualAfter : public Observer {
 public:
  explicit ResidualAfter(uint32_t layer) : layer_(layer) {}
  void on_residual(uint32_t l, const float* x, uint32_t n, uint32_t dim, uint32_t) override {
    if (l == layer_) rows.insert(rows.end(), x, x + size_t{n} * dim);
  }
  std::vector<float> rows;

 private:
  uint32_t layer_;
};

Fitted fit_one_sink(const std::vector<int32_t>& tokens) {
  ResidualAfter obs(1);
  SessionOptions opt;
  opt.context = static_cast<uint32_t>(tokens.size());
  test::OwnedSession s;
  test::start_session(stories(), opt, &s);
  s.session.set_observer(&obs);
  EXPECT_EQ(s.session.prefill(tokens.data(), tokens.size()), Status::kOk);
  Fitted best;
  float best_gap = 0;
  for (uint32_t c = 0; c < 64; ++c) {
    float top = 0, second = 0;
    uint32_t at = 0;
    for (uint32_t p = 0; p < tokens.size(); ++p) {
      const float a = std::fabs(obs.rows[p * 64 + c]);
      if (a > top) second = top, top = a, at = p;
      else if (a > second) second = a;
    }
    if (top - second > best_gap) best_gap = top - second, best = {c, at, 0.5f * (top + second)};
  }
  EXPECT_GT(best_gap, 0.3f * best.threshold);  // a clear margin
  return best;
}

TEST(KvCacheSession, EveryBitWidthAndSinkPolicyRunsAndStaysCloseToFp32) {
  const std::vector<int32_t> tokens = story_tokens(100);
  const Fitted f = fit_one_sink(tokens);
  test::LoadedModel with;
  test::load_copy(with_predictor(1, f.channel, f.threshold), &with);
  ASSERT_EQ(with.status, Status::kOk);
  SessionOptions base;
  base.context = 128;
  base.batch = 8;
  test::OwnedSession s;
  const std::vector<float> fp32 = run(stories(), base, tokens, &s);
  // Mean |logit - fp32 logit| allowed per bit width: about 1.5x what this
  // prompt measures (8 bits: 0.009, 4: 0.17, 3: 0.35, 2: 0.93 without sinks),
  // so that a quantizer regression shows while the bounds stay honest.
  const std::vector<std::pair<uint32_t, double>> widths = {{32, 0.0}, {8, 0.015}, {4, 0.25}, {3, 0.5}, {2, 1.4}};
  for (const auto& w : widths) {
    for (const char* policy : {"none", "pfn:1", "pfn:4", "kvsink"}) {
      SessionOptions opt = base;
      opt.kv.bits = w.first;
      const std::string p = policy;
      if (p == "pfn:1" || p == "pfn:4") {
        opt.kv.sinks = SinkPolicy::kPreserveFirstN;
        opt.kv.preserve_first = p == "pfn:1" ? 1 : 4;
        opt.kv.sink_slots = 4;
      } else if (p == "kvsink") {
        opt.kv.sinks = SinkPolicy::kKvSink;
        opt.kv.sink_slots = 4;
      }
      const Model& m = p == "kvsink" ? with.model : stories();
      const std::vector<float> got = run(m, opt, tokens, &s);
      double diff = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_TRUE(std::isfinite(got[i]));
        diff += std::fabs(got[i] - fp32[i]);
      }
      diff /= got.size();
      SCOPED_TRACE(testing::Message() << w.first << " bits, " << policy << ": mean |diff| " << diff);
      EXPECT_LE(diff, w.second);
      if (w.first == 32) {
        EXPECT_EQ(diff, 0.0);  // the fp32 sink table is exact
      }
      for (uint32_t pos = 0; pos < tokens.size(); ++pos) {
        bool want = false;
        if (opt.kv.sinks == SinkPolicy::kPreserveFirstN) want = pos < opt.kv.preserve_first;
        if (opt.kv.sinks == SinkPolicy::kKvSink) want = pos == f.position;
        EXPECT_EQ(s.session.sink_slot(pos) >= 0, want) << pos;
      }
    }
  }
}

TEST(KvCacheSession, RollingWindowKeepsAKvSinkSinkAfterItsBlockIsOverwritten) {
  // The fitted sink sits in the first 100 tokens; 6 contexts of 32 later its
  // ring row and key block have been reused many times, and it is still read
  // from the table, before the window, at every bit width.
  const std::vector<int32_t> story = story_tokens(100);
  const Fitted f = fit_one_sink(story);
  test::LoadedModel with;
  test::load_copy(with_predictor(1, f.channel, f.threshold), &with);
  ASSERT_EQ(with.status, Status::kOk);
  std::vector<int32_t> tokens(story.begin(), story.begin() + f.position + 1);
  while (tokens.size() < 6 * 32 + 40) tokens.push_back(story[1 + tokens.size() % 99]);
  for (uint32_t bits : {32u, 4u, 3u}) {
    SessionOptions opt;
    opt.context = 32;
    opt.batch = 4;
    opt.rolling = true;
    opt.kv.bits = bits;
    opt.kv.key_block = 8;
    opt.kv.sinks = SinkPolicy::kKvSink;
    opt.kv.sink_slots = 2;
    test::OwnedSession s;
    test::start_session(with.model, opt, &s);
    ASSERT_EQ(s.status, Status::kOk);
    ASSERT_EQ(s.session.window(), 29u);  // 32 - 4 + 1
    ASSERT_EQ(s.session.prefill(tokens.data(), tokens.size()), Status::kOk) << bits << " bits";
    for (uint32_t v = 0; v < 512; ++v) ASSERT_TRUE(std::isfinite(s.session.logits()[v]));
    EXPECT_GE(s.session.sink_slot(f.position), 0) << bits << " bits";
    uint32_t seen[32];
    const uint32_t n = s.session.attended(seen, 32);
    ASSERT_GE(n, 30u);
    EXPECT_EQ(seen[n - 30], f.position);  // the last sink before the window
    EXPECT_EQ(seen[n - 1], s.session.position());
  }
}

TEST(KvCacheSession, FullContextReturnsContextFullAtEveryBitWidth) {
  const std::vector<int32_t> tokens = story_tokens(17);
  for (uint32_t bits : {32u, 8u, 4u, 3u, 2u}) {
    SessionOptions opt;
    opt.context = 16;
    opt.batch = 16;
    opt.kv.bits = bits;
    opt.kv.key_block = 4;
    opt.kv.sinks = SinkPolicy::kPreserveFirstN;
    opt.kv.preserve_first = 2;
    opt.kv.sink_slots = 2;
    test::OwnedSession s;
    test::start_session(stories(), opt, &s);
    ASSERT_EQ(s.status, Status::kOk);
    EXPECT_EQ(s.session.prefill(tokens.data(), 17), Status::kContextFull) << bits;
    EXPECT_EQ(s.session.position(), 0u);
    ASSERT_EQ(s.session.prefill(tokens.data(), 12), Status::kOk);
    EXPECT_EQ(s.session.forward(tokens.data(), 5), Status::kContextFull);
    ASSERT_EQ(s.session.prefill(tokens.data(), 4), Status::kOk);
    EXPECT_EQ(s.session.decode(3), Status::kContextFull) << bits;
    EXPECT_EQ(s.session.position(), 16u);
    s.session.reset();
    EXPECT_EQ(s.session.decode(3), Status::kOk);
  }
}

TEST(KvCacheSession, DecodingOneTokenAtATimeEqualsBatchedPrefill) {
  // Without KVSink staging, what a token reads depends only on positions.
  const std::vector<int32_t> tokens = story_tokens(70);
  for (SinkPolicy policy : {SinkPolicy::kNone, SinkPolicy::kPreserveFirstN}) {
    SessionOptions opt;
    opt.context = 80;
    opt.kv.bits = 3;
    opt.kv.key_block = 16;
    opt.kv.value_group = 8;
    opt.kv.sinks = policy;
    opt.kv.preserve_first = 4;
    opt.kv.sink_slots = policy == SinkPolicy::kNone ? 0 : 4;
    test::OwnedSession a, b;
    opt.batch = 8;
    const std::vector<float> batched = run(stories(), opt, tokens, &a);
    opt.batch = 1;
    const std::vector<float> single = run(stories(), opt, tokens, &b);
    ASSERT_EQ(batched.size(), single.size());
    EXPECT_EQ(std::memcmp(batched.data(), single.data(), batched.size() * 4), 0);
  }
}

TEST(KvCacheSession, OptionsOutOfRangeAreRejected) {
  auto status = [](void (*edit)(KvOptions*)) {
    SessionOptions opt;
    opt.context = 32;
    edit(&opt.kv);
    size_t need = 0;
    return Session::required_bytes(stories(), opt, &need);
  };
  EXPECT_EQ(status([](KvOptions* o) { o->bits = 5; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->bits = 16; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->bits = 4, o->key_block = 0; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->bits = 4, o->key_block = kMaxKeyBlock + 1; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->bits = 4, o->value_group = 0; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->bits = 4, o->value_group = 12; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->sink_slots = kMaxSinkSlots + 1; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->sinks = SinkPolicy::kPreserveFirstN, o->preserve_first = 1; }),
            Status::kInvalidArgument);  // no slots
  EXPECT_EQ(status([](KvOptions* o) { o->sinks = SinkPolicy::kPreserveFirstN, o->sink_slots = 1; }),
            Status::kInvalidArgument);  // N = 0
  EXPECT_EQ(status([](KvOptions* o) { o->sinks = SinkPolicy::kKvSink; }), Status::kInvalidArgument);
  EXPECT_EQ(status([](KvOptions* o) { o->sinks = static_cast<SinkPolicy>(9), o->sink_slots = 1; }),
            Status::kInvalidArgument);
  // Grouping only matters for a packed store; an fp32 cache ignores it.
  EXPECT_EQ(status([](KvOptions* o) { o->value_group = 12; }), Status::kOk);
  SessionOptions opt;
  opt.context = 32;
  opt.kv.key_block = 0;
  opt.kv.value_group = 0;
  test::OwnedSession s;
  test::start_session(stories(), opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  const std::vector<int32_t> tokens = story_tokens(8);
  EXPECT_EQ(s.session.prefill(tokens.data(), tokens.size()), Status::kOk);
}

TEST(KvCacheSession, MemoryPlanCountsTheStoreAndTheSinkTable) {
  // Per token at 2 bits on stories260K (5 layers, kv_dim 32), by hand: keys
  // and values 32 * 2 / 8 = 8 bytes each, one fp16 value pair per 32 channels
  // (4 bytes), one fp16 key pair per channel per 32 tokens (4 bytes): 24 per
  // layer.
  KvOptions o;
  o.bits = 2;
  EXPECT_EQ(kv_bytes_per_token(5, 32, o), 120u);
  o.bits = 3;
  EXPECT_EQ(kv_bytes_per_token(5, 32, o), 5u * (12 + 12 + 4 + 4));
  o.bits = 32;
  EXPECT_EQ(kv_bytes_per_token(5, 32, o), 5u * 32 * 8);
  SessionOptions opt;
  opt.context = 256;
  MemoryPlan fp32, q2, sinks;
  size_t need = 0;
  ASSERT_EQ(Session::required_bytes(stories(), opt, &need, &fp32), Status::kOk);
  EXPECT_EQ(need, fp32.total);
  EXPECT_GE(fp32.kv_cache, 256u * 1280);
  EXPECT_EQ(fp32.sink_table, 256u);  // only the position map (no slots), 64-byte rounded
  opt.kv.bits = 2;
  ASSERT_EQ(Session::required_bytes(stories(), opt, &need, &q2), Status::kOk);
  // 120 bytes per token plus the fp32 key residual: with batch 8 a forward
  // call can touch two blocks of 32, so 5 layers x 64 tokens x 32 channels.
  const size_t residual = 5 * 64 * 32 * 4;
  EXPECT_GE(q2.kv_cache, 256u * 120 + residual);
  EXPECT_LT(q2.kv_cache, 256u * 120 + residual + 2048);
  opt.batch = 1;
  MemoryPlan decode_only;
  ASSERT_EQ(Session::required_bytes(stories(), opt, &need, &decode_only), Status::kOk);
  EXPECT_EQ(q2.kv_cache - decode_only.kv_cache, residual / 2);  // one block suffices
  opt.batch = 8;
  opt.kv.sinks = SinkPolicy::kPreserveFirstN;
  opt.kv.preserve_first = 4;
  opt.kv.sink_slots = 8;
  ASSERT_EQ(Session::required_bytes(stories(), opt, &need, &sinks), Status::kOk);
  EXPECT_GE(sinks.sink_table, 8u * 5 * 32 * 2 * 4 + 256);
  EXPECT_EQ(sinks.total - q2.total, sinks.sink_table - q2.sink_table);
}

TEST(KvCacheSession, PinnedPrefixMakesTheSessionStartAfterIt) {
  SessionOptions opt;
  opt.context = 32;
  opt.kv.bits = 4;
  opt.kv.sink_slots = 4;
  test::OwnedSession s;
  test::start_session(stories(), opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  std::vector<float> k(3 * kKvDim, 0.25f), v(3 * kKvDim, -0.5f);
  std::vector<const float*> kp(kLayers, k.data()), vp(kLayers, v.data());
  Session fresh;
  EXPECT_EQ(fresh.pin_prefix(0, 3, kp.data(), vp.data()), Status::kNotInitialized);
  EXPECT_EQ(s.session.pin_prefix(2, 3, kp.data(), vp.data()), Status::kInvalidArgument);  // slots 2..4 of 4
  EXPECT_EQ(s.session.pin_prefix(0, 3, nullptr, vp.data()), Status::kInvalidArgument);
  ASSERT_EQ(s.session.pin_prefix(1, 3, kp.data(), vp.data()), Status::kOk);
  EXPECT_EQ(s.session.position(), 3u);
  EXPECT_EQ(s.session.sink_slot(0), 1);
  EXPECT_EQ(s.session.sink_slot(2), 3);
  EXPECT_EQ(s.session.pin_prefix(0, 1, kp.data(), vp.data()), Status::kInvalidArgument);  // not empty
  const std::vector<int32_t> tokens = story_tokens(10);
  ASSERT_EQ(s.session.prefill(tokens.data(), 10), Status::kOk);
  EXPECT_EQ(s.session.position(), 13u);
  s.session.reset();
  EXPECT_EQ(s.session.position(), 3u);
  EXPECT_EQ(s.session.sink_slot(1), 2);
  s.session.unpin_prefix();
  EXPECT_EQ(s.session.position(), 0u);
  EXPECT_EQ(s.session.sink_slot(1), -1);
  EXPECT_EQ(s.session.sink_slot(1000), -1);
}

}  // namespace
}  // namespace sinkq
