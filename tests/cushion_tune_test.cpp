// The host backward pass of the cushion tuning: its forward against the
// library (a session with the same prefix pinned), and its gradient against
// central finite differences on a small made-up model.
#include "host/cushion_tune.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "host/synthetic.h"
#include "test_util.h"

namespace sinkq {
namespace {

struct Fixture {
  test::LoadedModel m;
  host::HostLlama llama;
  host::PrefixKv prefix;
  std::vector<int32_t> input = {1, 5, 9, 4, 12}, targets = {5, 9, 4, 12, 7};
  explicit Fixture(bool shared) {
    host::SyntheticOptions o;
    // GQA (4 heads over 2 KV heads), head size 4, a separate classifier.
    o.config = host::synthetic_config(16, 24, 2, 4, 2, 20, 32, shared);
    o.seed = 3;
    test::load_copy(host::synthetic_sqm(o), &m);
    EXPECT_EQ(host::host_llama(m.model, &llama), "");
    prefix.length = 2;
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    for (size_t i = 0; i < 2 * 2 * 8; ++i) {
      prefix.k.push_back(u(rng));
      prefix.v.push_back(u(rng));
    }
  }
};

TEST(CushionTune, ForwardMatchesTheLibraryWithThePrefixPinned) {
  Fixture f(false);
  ASSERT_EQ(f.m.status, Status::kOk);
  host::PrefixLoss loss;
  std::vector<double> logits;
  host::prefix_loss(f.llama, f.prefix, f.input, f.targets, 0.0, &loss, nullptr, &logits);
  SessionOptions opt;
  opt.context = 16;
  opt.batch = 8;
  opt.all_logits = true;
  opt.kv.sink_slots = 2;
  test::OwnedSession s;
  test::start_session(f.m.model, opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  std::vector<float> k(f.prefix.k.begin(), f.prefix.k.end()), v(f.prefix.v.begin(), f.prefix.v.end());
  const float* kp[2] = {k.data(), k.data() + 16};
  const float* vp[2] = {v.data(), v.data() + 16};
  ASSERT_EQ(s.session.pin_prefix(0, 2, kp, vp), Status::kOk);
  ASSERT_EQ(s.session.forward(f.input.data(), 5), Status::kOk);
  double worst = 0;
  for (uint32_t t = 0; t < 5; ++t)
    for (uint32_t j = 0; j < 20; ++j)
      worst = std::max(worst, std::fabs(s.session.logits_at(t)[j] - logits[t * 20 + j]));
  EXPECT_LT(worst, 1e-4);
}

TEST(CushionTune, GradientOfThePrefixMatchesFiniteDifferences) {
  for (bool shared : {false, true}) {
    Fixture f(shared);
    ASSERT_EQ(f.m.status, Status::kOk);
    // lambda 1e4 makes the quantization term about as large as the LM loss;
    // power 0 is the max (one largest element, unique here), 8 the power mean.
    for (double lambda : {0.0, 1e4})
    for (double power : {0.0, 8.0}) {
      host::PrefixKv grad;
      grad.length = 2;
      grad.k.assign(f.prefix.k.size(), 0.0);
      grad.v.assign(f.prefix.v.size(), 0.0);
      host::PrefixLoss loss;
      host::prefix_loss(f.llama, f.prefix, f.input, f.targets, lambda, &loss, &grad, nullptr, power);
      EXPECT_GT(loss.quant, 0.0);
      double worst = 0, largest = 0;
      for (int key = 0; key < 2; ++key) {
        std::vector<double>& param = key ? f.prefix.k : f.prefix.v;
        const std::vector<double>& g = key ? grad.k : grad.v;
        for (size_t i = 0; i < param.size(); ++i) {
          const double h = 1e-5, keep = param[i];
          host::PrefixLoss up, down;
          param[i] = keep + h;
          host::prefix_loss(f.llama, f.prefix, f.input, f.targets, lambda, &up, nullptr, nullptr, power);
          param[i] = keep - h;
          host::prefix_loss(f.llama, f.prefix, f.input, f.targets, lambda, &down, nullptr, nullptr, power);
          param[i] = keep;
          const double numeric = (up.total - down.total) / (2 * h);
          worst = std::max(worst, std::fabs(numeric - g[i]));
          largest = std::max(largest, std::fabs(numeric));
        }
      }
      EXPECT_GT(largest, 1e-3) << "the prefix must matter";
      EXPECT_LT(worst, 1e-6 + 1e-5 * largest)
          << "shared " << shared << " lambda " << lambda << " power " << power;
    }
  }
}

TEST(CushionTune, AdamLowersTheLossAndMarksTheCushionTuned) {
  Fixture f(false);
  host::CushionKv kv;
  ASSERT_EQ(host::cushion_kv(f.m.model, {1, 5}, &kv), "");
  const host::CushionKv start = kv;
  const std::vector<std::vector<int32_t>> samples = {{4, 8, 15, 16, 3, 9}, {7, 7, 2, 11, 6, 5}};
  host::TuneOptions o;
  o.steps = 30;
  o.lr = 0.05;
  o.lambda = 100;
  host::PrefixLoss first, last;
  ASSERT_EQ(host::tune_cushion(f.m.model, samples, o, &kv, &first, &last), "");
  EXPECT_LT(last.total, first.total);
  EXPECT_TRUE(kv.tuned);
  EXPECT_NE(kv.k, start.k);
  EXPECT_EQ(kv.tokens, start.tokens);
  // The untuned K/V reproduce the library's own prefix: the first loss is
  // the loss of [BOS, 5] run as tokens.
  host::PrefixKv p;
  p.length = 2;
  p.k.assign(start.k.begin(), start.k.end());
  p.v.assign(start.v.begin(), start.v.end());
  double sum = 0;
  for (const auto& s : samples) {
    std::vector<int32_t> input = {1};
    input.insert(input.end(), s.begin(), s.end() - 1);
    host::PrefixLoss l;
    host::prefix_loss(f.llama, p, input, s, o.lambda, &l, nullptr);
    sum += l.total / samples.size();
  }
  EXPECT_NEAR(first.total, sum, 1e-9);
}

}  // namespace
}  // namespace sinkq
