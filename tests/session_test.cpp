// The fp32 runtime against an independent double-precision LLaMA written here
// with plain loops, reading the llama2.c checkpoint file directly.
#include "sinkq/session.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sinkq
