// Runs the C99 checks of tests/c_api_test.c and compares what the C API
// generates with the C++ API on the same model.
#include "c_api_test.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/io.h"
#include "sinkq/sampler.h"
#include "sinkq/session.h"
#include "sinkq/tokenizer.h"
#include "test_util.h"

namespace sinkq {
namespace {

constexpr size_t kArenaBytes = 1 << 20;

// The same loop as c_api_generate, through the C++ API.
std::string generate_cpp(const Model& model, const char* prompt, float temperature, uint64_t seed,
                         int steps) {
  Tokenizer tok;
  EXPECT_EQ(tok.init(model), Status::kOk);
  std::vector<int32_t> ids(64);
  size_t n = 0;
  EXPECT_EQ(tok.encode(prompt, std::strlen(prompt), true, false, ids.data(), ids.size(), &n),
            Status::kOk);
  SessionOptions opt;
  opt.context = 64;
  test::OwnedSession s;
  test::start_session(model, opt, &s);
  EXPECT_EQ(s.status, Status::kOk);
  EXPECT_EQ(s.session.prefill(ids.data(), n), Status::kOk);
  Sampler sampler(temperature, seed);
  std::string text;
  int32_t prev = ids[n - 1];
  for (int i = 0; i < steps; ++i) {
    const int32_t next = sampler.sample(s.session.logits(), model.config().vocab_size);
    if (next == tok.bos_id() || next == tok.eos_id()) break;
    Piece p;
    tok.decode(prev, next, &p);
    text.append(p.data, p.size);
    prev = next;
    EXPECT_EQ(s.session.decode(next), Status::kOk);
  }
  return text;
}

struct CApi : ::testing::Test {
  void SetUp() override {
    test::load_copy(test::stories260k_sqm(), &lm);
    ASSERT_EQ(lm.status, Status::kOk);
  }
  test::LoadedModel lm;
  host::AlignedBuffer arena{kArenaBytes};
  char why[256] = {};
};

TEST_F(CApi, GeneratesTheSameTextAsTheCppApi) {
  for (float temp : {0.f, 0.9f}) {
    char text[4096];
    ASSERT_EQ(c_api_generate(lm.buffer.data(), lm.buffer.size(), arena.data(), arena.size(),
                             "Once upon a time", temp, 7, 40, text, sizeof text, why, sizeof why),
              0)
        << why;
    EXPECT_GT(std::strlen(text), 20u);
    EXPECT_EQ(text, generate_cpp(lm.model, "Once upon a time", temp, 7, 40)) << "temperature " << temp;
  }
}

TEST_F(CApi, RejectsCorruptModels) {
  host::AlignedBuffer copy(test::stories260k_sqm());
  EXPECT_EQ(c_api_rejects_corrupt_model(copy.data(), copy.size(), why, sizeof why), 0) << why;
}

TEST_F(CApi, RejectsAnArenaTooSmallOrMisaligned) {
  EXPECT_EQ(c_api_rejects_small_arena(lm.buffer.data(), lm.buffer.size(), arena.data(),
                                      arena.size(), why, sizeof why),
            0)
      << why;
}

TEST_F(CApi, RejectsTokensOutOfRangeAndBadArguments) {
  EXPECT_EQ(c_api_rejects_bad_tokens(lm.buffer.data(), lm.buffer.size(), arena.data(),
                                     arena.size(), why, sizeof why),
            0)
      << why;
}

TEST_F(CApi, RollsPastTheContextInTheSameArena) {
  EXPECT_EQ(c_api_rolls_past_the_context(lm.buffer.data(), lm.buffer.size(), arena.data(),
                                         arena.size(), why, sizeof why),
            0)
      << why;
}

}  // namespace
}  // namespace sinkq
