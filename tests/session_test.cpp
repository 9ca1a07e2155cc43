// The fp32 runtime against an independent double-precision LLaMA written here
// with plain loops, reading the llama2.c checkpoint file directly.
#include "sinkq/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "host/io.h"
#include "host/synthetic.h"
#include "reference_llama.h"
#include "test_util.h"

namespace sinkq {
namespace {

// --- Tests -----------------------------------------------------------------

// "Once upon a time" followed by a few common ids; fixed so the test does
// not depend on the tokenizer.
const std::vector<int32_t> kPrompt = {1, 403, 407, 261, 378, 290, 66, 322, 280, 351, 286, 11, 430, 313};

TEST(SessionFp32, MatchesDoublePrecisionReference) {
  test::RefModel ref;
  ASSERT_TRUE(test::read_reference(&ref)) << "stories260K.bin missing under " << test::shared_dir();
  const auto expect = test::ref_logits(ref, kPrompt);

  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  SessionOptions opt;
  opt.context = 64;
  test::OwnedSession s;
  test::start_session(lm.model, opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  double worst = 0;
  for (size_t i = 0; i < kPrompt.size(); ++i) {
    ASSERT_EQ(s.session.decode(kPrompt[i]), Status::kOk);
    const float* got = s.session.logits();
    int best_got = 0, best_ref = 0;
    for (int v = 0; v < 512; ++v) {
      worst = std::max(worst, std::fabs(got[v] - expect[i][v]));
      if (got[v] > got[best_got]) best_got = v;
      if (expect[i][v] > expect[i][best_ref]) best_ref = v;
    }
    EXPECT_EQ(best_got, best_ref) << "position " << i;
  }
  EXPECT_LT(worst, 2e-3) << "max |logit - reference|";
}

TEST(SessionFp32, BatchedPrefillGivesBitIdenticalLogits) {
  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  std::vector<float> one;
  for (uint32_t batch : {1u, 3u, 8u, 16u}) {
    SessionOptions opt;
    opt.context = 32;
    opt.batch = batch;
    test::OwnedSession s;
    test::start_session(lm.model, opt, &s);
    ASSERT_EQ(s.status, Status::kOk);
    ASSERT_EQ(s.session.prefill(kPrompt.data(), kPrompt.size()), Status::kOk);
    std::vector<float> got(s.session.logits(), s.session.logits() + 512);
    if (one.empty()) one = got;
    EXPECT_EQ(std::memcmp(one.data(), got.data(), 512 * 4), 0) << "batch " << batch;
  }
}

TEST(SessionFp32, AllLogitsRowsEqualStepByStepDecoding) {
  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  SessionOptions opt;
  opt.context = 32;
  opt.batch = 8;
  opt.all_logits = true;
  test::OwnedSession a, b;
  test::start_session(lm.model, opt, &a);
  opt.batch = 1;
  test::start_session(lm.model, opt, &b);
  ASSERT_EQ(a.session.forward(kPrompt.data(), 8), Status::kOk);
  for (uint32_t i = 0; i < 8; ++i) {
    ASSERT_EQ(b.session.decode(kPrompt[i]), Status::kOk);
    EXPECT_EQ(std::memcmp(a.session.logits_at(i), b.session.logits(), 512 * 4), 0) << i;
  }
  EXPECT_EQ(a.session.logits_at(8), nullptr);
}

TEST(SessionFp32, FullContextIsAnErrorNotAnOverflow) {
  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  SessionOptions opt;
  opt.context = 4;
  test::OwnedSession s;
  test::start_session(lm.model, opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  EXPECT_EQ(s.session.prefill(kPrompt.data(), 5), Status::kContextFull);
  EXPECT_EQ(s.session.position(), 0u);
  ASSERT_EQ(s.session.prefill(kPrompt.data(), 4), Status::kOk);
  EXPECT_EQ(s.session.decode(5), Status::kContextFull);
  EXPECT_EQ(s.session.position(), 4u);
  s.session.reset();
  EXPECT_EQ(s.session.decode(5), Status::kOk);
}

// stories260K in a fresh session.
struct StoriesSession {
  test::LoadedModel lm;
  test::OwnedSession s;
  StoriesSession(uint32_t context, uint32_t batch, bool all_logits = false) {
    test::load_copy(test::stories260k_sqm(), &lm);
    SessionOptions opt;
    opt.context = context;
    opt.batch = batch;
    opt.all_logits = all_logits;
    test::start_session(lm.model, opt, &s);
    EXPECT_EQ(s.status, Status::kOk);
  }
};

TEST(SessionFp32, TokenOutOfRangeIsRejectedBeforeAnyWork) {
  StoriesSession ss(16, 4);
  Session& s = ss.s.session;
  const int32_t bad[] = {1, 42, 512};
  const int32_t extremes[] = {INT32_MIN, INT32_MAX};
  EXPECT_EQ(s.prefill(bad, 3), Status::kTokenOutOfRange);
  EXPECT_EQ(s.forward(bad, 3), Status::kTokenOutOfRange);
  EXPECT_EQ(s.decode(-1), Status::kTokenOutOfRange);
  EXPECT_EQ(s.decode(512), Status::kTokenOutOfRange);
  for (int32_t id : extremes) {
    EXPECT_EQ(s.decode(id), Status::kTokenOutOfRange);
    EXPECT_EQ(s.forward(&id, 1), Status::kTokenOutOfRange);
  }
  EXPECT_EQ(s.position(), 0u);
  EXPECT_EQ(s.logits(), nullptr);
}

TEST(SessionFp32, EmptyNullAndOverBatchInputsAreRejected) {
  StoriesSession ss(16, 4);
  Session& s = ss.s.session;
  EXPECT_EQ(s.prefill(kPrompt.data(), 0), Status::kEmptyInput);
  EXPECT_EQ(s.forward(kPrompt.data(), 0), Status::kEmptyInput);
  EXPECT_EQ(s.forward(nullptr, 1), Status::kInvalidArgument);
  EXPECT_EQ(s.prefill(nullptr, 1), Status::kInvalidArgument);
  EXPECT_EQ(s.forward(kPrompt.data(), 5), Status::kInvalidArgument);  // batch is 4
  EXPECT_EQ(s.position(), 0u);
}

// Prefill checks every id before running its first chunk, so a bad id far
// into a long prompt appends nothing.
TEST(SessionFp32, PrefillWithABadIdInALaterChunkAppendsNothing) {
  StoriesSession ss(32, 2);
  std::vector<int32_t> ids = kPrompt;
  ids[11] = 9999;
  EXPECT_EQ(ss.s.session.prefill(ids.data(), ids.size()), Status::kTokenOutOfRange);
  EXPECT_EQ(ss.s.session.position(), 0u);
}

TEST(SessionFp32, UnloadedModelOrUninitializedSessionIsAnError) {
  Model unloaded;
  SessionOptions opt;
  alignas(64) static uint8_t arena[4096];
  Session s;
  EXPECT_EQ(s.init(unloaded, opt, arena, sizeof arena), Status::kNotInitialized);
  EXPECT_EQ(s.prefill(kPrompt.data(), 3), Status::kNotInitialized);
  EXPECT_EQ(s.forward(kPrompt.data(), 1), Status::kNotInitialized);
  EXPECT_EQ(s.logits(), nullptr);
  EXPECT_EQ(s.logits_at(0), nullptr);
}

TEST(SessionFp32, LogitsAreNullUntilAForwardCallSucceeds) {
  StoriesSession ss(16, 8, true);
  Session& s = ss.s.session;
  EXPECT_EQ(s.logits(), nullptr);
  EXPECT_EQ(s.logits_at(0), nullptr);
  ASSERT_EQ(s.forward(kPrompt.data(), 2), Status::kOk);
  EXPECT_NE(s.logits_at(1), nullptr);
  s.reset();
  EXPECT_EQ(s.logits(), nullptr);
  EXPECT_EQ(s.logits_at(0), nullptr);
}

// Finite weights whose products overflow: q.k exceeds FLT_MAX in the first
// layer, the softmax turns inf - inf into NaN, and NaN reaches every logit.
TEST(SessionFp32, OverflowingActivationsAreNonFiniteNotGarbage) {
  host::SyntheticOptions o;
  o.config = host::synthetic_config(16, 32, 1, 2, 2, 32, 16, true);
  host::Llama2cModel m = host::synthetic_weights(o);
  for (host::Tensor& t : m.tensors) {
    if (t.kind != format::kWq && t.kind != format::kWk) continue;
    float* f = reinterpret_cast<float*>(t.data.data());
    for (size_t i = 0; i < t.data.size() / 4; ++i) f[i] *= 1e20f;
  }
  test::LoadedModel lm;
  test::load_copy(host::build_sqm(m, host::synthetic_vocab(32)), &lm);
  ASSERT_EQ(lm.status, Status::kOk);  // every weight is finite
  SessionOptions opt;
  test::OwnedSession s;
  test::start_session(lm.model, opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  const int32_t ids[] = {1, 5, 9};
  EXPECT_EQ(s.session.prefill(ids, 3), Status::kNonFinite);
  EXPECT_EQ(s.session.position(), 0u);
  EXPECT_EQ(s.session.logits(), nullptr);
  EXPECT_EQ(s.session.decode(5), Status::kNonFinite);
}

TEST(SessionFp32, ArenaOneByteShortIsRejected) {
  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  SessionOptions opt;
  opt.context = 100;
  size_t need = 0;
  ASSERT_EQ(Session::required_bytes(lm.model, opt, &need), Status::kOk);
  host::AlignedBuffer arena(need);
  Session s;
  EXPECT_EQ(s.init(lm.model, opt, arena.data(), need - 1), Status::kArenaTooSmall);
  EXPECT_EQ(s.decode(1), Status::kNotInitialized);
  EXPECT_EQ(s.init(lm.model, opt, arena.data() + 8, need - 8), Status::kArenaMisaligned);
  EXPECT_EQ(s.init(lm.model, opt, arena.data(), need), Status::kOk);
  EXPECT_EQ(s.decode(1), Status::kOk);
}

// A long context of a small model: 4 layers x 2^20 positions x 256 floats of
// K and V = 8 GiB, which a 32-bit target cannot address (the Arm jobs run
// this branch) and a 64-bit one plans without wrapping.
TEST(SessionFp32, PlanBeyondTheAddressSpaceIsTooLarge) {
  host::SyntheticOptions o;
  o.config = host::synthetic_config(256, 8, 4, 1, 1, 3, 1u << 20, true);
  test::LoadedModel lm;
  test::load_copy(host::synthetic_sqm(o), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  size_t need = 0;
  const Status st = Session::required_bytes(lm.model, SessionOptions(), &need);
  if (sizeof(size_t) == 4) {
    EXPECT_EQ(st, Status::kTooLarge);
  } else {
    ASSERT_EQ(st, Status::kOk);
    EXPECT_GE(uint64_t{need}, uint64_t{8} << 30);
  }
}

TEST(SessionFp32, RequiredBytesGrowsWithContextByTheKvCache) {
  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  SessionOptions opt;
  MemoryPlan a, b;
  size_t na, nb;
  opt.context = 64;
  ASSERT_EQ(Session::required_bytes(lm.model, opt, &na, &a), Status::kOk);
  opt.context = 128;
  ASSERT_EQ(Session::required_bytes(lm.model, opt, &nb, &b), Status::kOk);
  // fp32 K and V: 2 * layers * kv_dim * 4 bytes per token.
  EXPECT_EQ(b.kv_cache - a.kv_cache, 64u * 2 * 5 * 32 * 4);
  EXPECT_EQ(a.total, na);
  EXPECT_GE(a.total, a.kv_cache + a.activations + a.logits + a.tables);
}

TEST(SessionFp32, RejectsBadOptions) {
  test::LoadedModel lm;
  test::load_copy(test::stories260k_sqm(), &lm);
  SessionOptions opt;
  size_t n;
  opt.context = 513;
  EXPECT_EQ(Session::required_bytes(lm.model, opt, &n), Status::kInvalidArgument);
  opt.context = 0;
  opt.batch = 0;
  EXPECT_EQ(Session::required_bytes(lm.model, opt, &n), Status::kInvalidArgument);
  Model unloaded;
  EXPECT_EQ(Session::required_bytes(unloaded, SessionOptions(), &n), Status::kNotInitialized);
}

// --- Rolling window (SessionOptions::rolling) --------------------------------

namespace rolling {

const Model& stories() { return test::stories260k_model(); }
using test::story_tokens;

// The documented positions, computed here from the definition: a query at P
// sees the first `sinks` tokens (pfn:N) and the window [P - W + 1, P]; the T
// sinks before the window sit at its first position - T + i.
test::Attends streaming(int window, int sinks) {
  return [window, sinks](int pos) {
    std::vector<std::pair<int, int>> keys;
    const int first = pos >= window ? pos - window + 1 : 0;
    const int before = std::min(sinks, first);
    for (int i = 0; i < before; ++i) keys.emplace_back(i, first - before + i);
    for (int p = first; p < pos; ++p) keys.emplace_back(p, p);
    return keys;
  };
}

}  // namespace rolling

TEST(SessionRolling, Fp32MatchesTheDoubleReferenceOverTheDocumentedPositions) {
  test::RefModel ref;
  ASSERT_TRUE(test::read_reference(&ref));
  const std::vector<int32_t> tokens = rolling::story_tokens(110);  // over 3 contexts of 32
  for (uint32_t sinks : {0u, 3u}) {
    SessionOptions opt;
    opt.context = 32;
    opt.batch = 1;
    opt.rolling = true;
    opt.window = 12;
    if (sinks) {
      opt.kv.sinks = SinkPolicy::kPreserveFirstN;
      opt.kv.preserve_first = sinks;
      opt.kv.sink_slots = sinks;
    }
    const auto expect = test::ref_logits(ref, tokens, nullptr, rolling::streaming(12, sinks));
    test::OwnedSession s;
    test::start_session(rolling::stories(), opt, &s);
    ASSERT_EQ(s.status, Status::kOk);
    double worst = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
      ASSERT_EQ(s.session.decode(tokens[i]), Status::kOk) << "position " << i;
      const float* got = s.session.logits();
      for (int v = 0; v < 512; ++v) worst = std::max(worst, std::fabs(got[v] - expect[i][v]));
    }
    EXPECT_LT(worst, 2e-3) << "sinks " << sinks;
    EXPECT_EQ(s.session.position(), 110u);
    // The equivalent explicit sequence must differ from the plain one (the
    // window matters), or this test would check nothing.
    if (sinks == 3) {
      const auto plain = test::ref_logits(ref, tokens);
      double diff = 0;
      for (int v = 0; v < 512; ++v) diff = std::max(diff, std::fabs(plain.back()[v] - expect.back()[v]));
      EXPECT_GT(diff, 0.05);
    }
  }
}

TEST(SessionRolling, EvictsTheOldestTokensAndKeepsTheSinkTable) {
  SessionOptions opt;
  opt.context = 16;
  opt.batch = 1;
  opt.rolling = true;
  opt.window = 6;
  opt.kv.sinks = SinkPolicy::kPreserveFirstN;
  opt.kv.preserve_first = 2;
  opt.kv.sink_slots = 2;
  test::OwnedSession s;
  test::start_session(rolling::stories(), opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  EXPECT_EQ(s.session.window(), 6u);
  const std::vector<int32_t> tokens = rolling::story_tokens(60);
  uint32_t got[32];
  for (uint32_t n = 0; n < tokens.size(); ++n) {
    // The token about to be decoded at position n attends to:
    std::vector<uint32_t> want;
    const uint32_t first = n >= 6 ? n - 5 : 0;
    for (uint32_t p = 0; p < 2 && p < first; ++p) want.push_back(p);  // sinks before the window
    for (uint32_t p = first; p <= n; ++p) want.push_back(p);          // the window, itself last
    const uint32_t count = s.session.attended(got, 32);
    ASSERT_EQ(std::vector<uint32_t>(got, got + count), want) << "position " << n;
    ASSERT_EQ(s.session.decode(tokens[n]), Status::kOk);
  }
  // The sinks keep their slots; ring rows of later tokens do not alias them.
  EXPECT_EQ(s.session.sink_slot(0), 0);
  EXPECT_EQ(s.session.sink_slot(1), 1);
  EXPECT_EQ(s.session.sink_slot(16), -1);
  EXPECT_EQ(s.session.sink_slot(33), -1);
}

TEST(SessionRolling, RunsTenContextsInTheSameArena) {
  for (uint32_t bits : {32u, 4u}) {
    SessionOptions opt;
    opt.context = 32;
    opt.rolling = true;
    opt.kv.bits = bits;
    opt.kv.sinks = SinkPolicy::kPreserveFirstN;
    opt.kv.preserve_first = 4;
    opt.kv.sink_slots = 4;
    size_t need = 0;
    ASSERT_EQ(Session::required_bytes(rolling::stories(), opt, &need), Status::kOk);
    // The arena of exactly required_bytes, then a canary nothing may touch.
    host::AlignedBuffer arena(need + 256);
    std::memset(arena.data() + need, 0xA5, 256);
    Session s;
    ASSERT_EQ(s.init(rolling::stories(), opt, arena.data(), need), Status::kOk);
    EXPECT_EQ(s.window(), 25u);  // 32 - 8 + 1 (batch 8), below 32 - 4 slots
    const std::vector<int32_t> prompt = rolling::story_tokens(20);
    ASSERT_EQ(s.prefill(prompt.data(), prompt.size()), Status::kOk);
    int32_t next = 0;
    for (uint32_t i = 0; i < 320; ++i) {
      const float* lg = s.logits();
      ASSERT_NE(lg, nullptr);
      next = 0;
      for (int v = 1; v < 512; ++v) {
        ASSERT_TRUE(std::isfinite(lg[v]));
        if (lg[v] > lg[next]) next = v;
      }
      if (next == 1 || next == 2) next = 13;  // keep going past the end of a story
      ASSERT_EQ(s.decode(next), Status::kOk) << "bits " << bits << " step " << i;
    }
    EXPECT_EQ(s.position(), 340u);
    for (size_t i = 0; i < 256; ++i) ASSERT_EQ(arena.data()[need + i], 0xA5) << "byte " << i;
  }
}

TEST(SessionRolling, MatchesTheDefaultUntilTheWindowIsFullAndUsesTheSameArena) {
  const std::vector<int32_t> tokens = rolling::story_tokens(41);
  for (uint32_t bits : {32u, 4u, 2u}) {
    for (bool pre_rope : {false, true}) {
      if (bits == 32 && pre_rope) continue;
      SessionOptions opt;
      opt.context = 48;
      opt.kv.bits = bits;
      opt.kv.key_block = 16;
      opt.kv.key_pre_rope = pre_rope;
      opt.kv.sinks = SinkPolicy::kPreserveFirstN;
      opt.kv.preserve_first = 2;
      opt.kv.sink_slots = 2;
      size_t plain_bytes = 0, rolling_bytes = 0;
      ASSERT_EQ(Session::required_bytes(rolling::stories(), opt, &plain_bytes), Status::kOk);
      test::OwnedSession a, b;
      test::start_session(rolling::stories(), opt, &a);
      opt.rolling = true;
      ASSERT_EQ(Session::required_bytes(rolling::stories(), opt, &rolling_bytes), Status::kOk);
      EXPECT_EQ(rolling_bytes, plain_bytes);
      test::start_session(rolling::stories(), opt, &b);
      ASSERT_EQ(b.status, Status::kOk);
      EXPECT_EQ(b.session.window(), 41u);  // 48 - 8 + 1
      ASSERT_EQ(a.session.prefill(tokens.data(), tokens.size()), Status::kOk);
      ASSERT_EQ(b.session.prefill(tokens.data(), tokens.size()), Status::kOk);
      EXPECT_EQ(std::memcmp(a.session.logits(), b.session.logits(), 512 * 4), 0)
          << "bits " << bits << (pre_rope ? " pre-RoPE" : "");
    }
  }
}

TEST(SessionRolling, ChunkedPrefillEqualsDecodingOneTokenAtATime) {
  const std::vector<int32_t> tokens = rolling::story_tokens(140);  // the window wraps twice
  for (uint32_t bits : {32u, 3u}) {
    SessionOptions opt;
    opt.context = 64;
    opt.rolling = true;
    opt.window = 40;
    opt.kv.bits = bits;
    opt.kv.key_block = 16;
    opt.kv.sinks = SinkPolicy::kPreserveFirstN;
    opt.kv.preserve_first = 4;
    opt.kv.sink_slots = 4;
    opt.batch = 8;
    test::OwnedSession a, b;
    test::start_session(rolling::stories(), opt, &a);
    opt.batch = 1;
    test::start_session(rolling::stories(), opt, &b);
    ASSERT_EQ(a.status, Status::kOk);
    ASSERT_EQ(b.status, Status::kOk);
    ASSERT_EQ(a.session.prefill(tokens.data(), tokens.size()), Status::kOk);
    for (int32_t t : tokens) ASSERT_EQ(b.session.decode(t), Status::kOk);
    EXPECT_EQ(std::memcmp(a.session.logits(), b.session.logits(), 512 * 4), 0) << "bits " << bits;
  }
}

TEST(SessionRolling, ResetAfterWrappingStartsLikeAFreshSession) {
  const std::vector<int32_t> tokens = rolling::story_tokens(100);
  SessionOptions opt;
  opt.context = 32;
  opt.rolling = true;
  opt.kv.bits = 4;
  opt.kv.key_block = 8;
  opt.kv.key_pre_rope = true;  // reads the RoPE table at every key
  opt.kv.sinks = SinkPolicy::kPreserveFirstN;
  opt.kv.preserve_first = 1;
  opt.kv.sink_slots = 1;
  test::OwnedSession fresh, used;
  test::start_session(rolling::stories(), opt, &fresh);
  test::start_session(rolling::stories(), opt, &used);
  ASSERT_EQ(used.session.prefill(tokens.data(), tokens.size()), Status::kOk);
  used.session.reset();
  ASSERT_EQ(used.session.prefill(tokens.data(), 30), Status::kOk);
  ASSERT_EQ(fresh.session.prefill(tokens.data(), 30), Status::kOk);
  EXPECT_EQ(std::memcmp(fresh.session.logits(), used.session.logits(), 512 * 4), 0);
}

TEST(SessionRolling, WindowOptionsAreCheckedAndTheDefaultStillFillsUp) {
  auto status = [](bool roll, uint32_t window, uint32_t bits, uint32_t slots) {
    SessionOptions opt;
    opt.context = 40;
    opt.rolling = roll;
    opt.window = window;
    opt.kv.bits = bits;
    opt.kv.sink_slots = slots;
    size_t need = 0;
    return Session::required_bytes(rolling::stories(), opt, &need);
  };
  EXPECT_EQ(status(false, 8, 32, 0), Status::kInvalidArgument);  // a window needs rolling
  EXPECT_EQ(status(true, 33, 32, 0), Status::kOk);               // 40 - 8 + 1
  EXPECT_EQ(status(true, 34, 32, 0), Status::kInvalidArgument);
  EXPECT_EQ(status(true, 32, 32, 8), Status::kOk);               // 40 - 8 slots
  EXPECT_EQ(status(true, 33, 32, 8), Status::kInvalidArgument);
  EXPECT_EQ(status(true, 25, 4, 0), Status::kOk);   // ring of 32 (whole key blocks) - 8 + 1
  EXPECT_EQ(status(true, 26, 4, 0), Status::kInvalidArgument);
  EXPECT_EQ(status(true, 0, 32, 40), Status::kInvalidArgument);  // no room for a window
  // Without rolling a full context is still an error.
  SessionOptions opt;
  opt.context = 16;
  test::OwnedSession s;
  test::start_session(rolling::stories(), opt, &s);
  const std::vector<int32_t> tokens = rolling::story_tokens(17);
  ASSERT_EQ(s.session.prefill(tokens.data(), 16), Status::kOk);
  EXPECT_EQ(s.session.decode(tokens[16]), Status::kContextFull);
  EXPECT_EQ(s.session.window(), 0u);
  uint32_t got[20];
  EXPECT_EQ(s.session.attended(got, 20), 17u);
}

}  // namespace
}  // namespace sinkq
