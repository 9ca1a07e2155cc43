// W8A8: int8 weights, int8 activations at every linear-layer input, int32
// accumulation. Checked against the double-precision reference with the same
// quantization applied (fake-quantized weights and site inputs).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "host/calibrate.h"
#include "host/quantize.h"
#include "host/text_eval.h"
#include "reference_llama.h"
#include "sinkq/session.h"
#include "test_util.h"

namespace sinkq {
namespace {

using namespace format;

const std::vector<int32_t> kPrompt = {1, 403, 407, 261, 378, 290, 66, 322, 280, 351, 286, 11, 430, 313};

std::vector<uint8_t> int8_model(host::Granularity g, bool drop_fp32) {
  host::Llama2cModel m = test::stories260k_checkpoint();
  host::add_int8_weights(&m.tensors, g, drop_fp32);
  return host::build_sqm(m, test::stories260k_vocab());
}

// Replaces the reference's weights by their int8 values times scale.
void use_int8_weights(const Model& model, test::RefModel* r) {
  auto fill = [&](uint32_t kind, uint32_t layer, std::vector<double>* dst, size_t offset) {
    const Matrix w = model.matrix(kind, layer, kI8);
    ASSERT_NE(w.i8, nullptr);
    for (uint32_t i = 0; i < w.rows; ++i)
      for (uint32_t j = 0; j < w.cols; ++j) {
        const double s = w.channel_scales ? w.channel_scales[i] : w.scale;
        (*dst)[offset + size_t{i} * w.cols + j] = w.i8[size_t{i} * w.cols + j] * s;
      }
  };
  const size_t D = r->dim, H = r->hidden, KV = D / r->heads * r->kv_heads;
  fill(kTokenEmbedding, kNoLayer, &r->emb, 0);
  for (uint32_t l = 0; l < static_cast<uint32_t>(r->layers); ++l) {
    fill(kWq, l, &r->wq, l * D * D);
    fill(kWk, l, &r->wk, l * KV * D);
    fill(kWv, l, &r->wv, l * KV * D);
    fill(kWo, l, &r->wo, l * D * D);
    fill(kW1, l, &r->w1, l * H * D);
    fill(kW2, l, &r->w2, l * D * H);
    fill(kW3, l, &r->w3, l * H * D);
  }
}

struct Compare {
  double worst = 0;
  int argmax_agree = 0;
};

Compare run_against(const Model& model, const SessionOptions& opt,
                    const std::vector<std::vector<double>>& expect) {
  Compare c;
  test::OwnedSession s;
  test::start_session(model, opt, &s);
  EXPECT_EQ(s.status, Status::kOk);
  if (s.status != Status::kOk) return c;
  for (size_t i = 0; i < kPrompt.size(); ++i) {
    EXPECT_EQ(s.session.decode(kPrompt[i]), Status::kOk);
    const float* got = s.session.logits();
    int bg = 0, br = 0;
    for (int v = 0; v < 512; ++v) {
      c.worst = std::max(c.worst, std::fabs(got[v] - expect[i][v]));
      if (got[v] > got[bg]) bg = v;
      if (expect[i][v] > expect[i][br]) br = v;
    }
    c.argmax_agree += bg == br;
  }
  return c;
}

TEST(SessionW8A8, DynamicPerTokenMatchesFakeQuantizedReference) {
  test::LoadedModel lm;
  test::load_copy(int8_model(host::Granularity::kTensor, false), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  test::RefModel ref;
  ASSERT_TRUE(test::read_reference(&ref));
  use_int8_weights(lm.model, &ref);
  auto hook = [](int, int, std::vector<double>* x) {
    double m = 0;
    for (double v : *x) m = std::max(m, std::fabs(v));
    const double s = static_cast<float>(static_cast<float>(m) / 127.f);
    for (double& v : *x) v = test::fake_quant(v, s);
  };
  const auto expect = test::ref_logits(ref, kPrompt, hook);
  SessionOptions opt;
  opt.context = 32;
  opt.quant = QuantMode::kW8A8DynToken;
  const Compare c = run_against(lm.model, opt, expect);
  // Float rounding may move an activation across a rounding boundary of the
  // int8 grid, which shifts a logit by about one quantization step.
  EXPECT_LT(c.worst, 0.05);
  EXPECT_GE(c.argmax_agree, static_cast<int>(kPrompt.size()) - 1);
}

TEST(SessionW8A8, StaticScalesMatchFakeQuantizedReference) {
  host::Llama2cModel m = test::stories260k_checkpoint();
  host::add_int8_weights(&m.tensors, host::Granularity::kChannel, false);
  // Hand-made static scales: site s of layer l gets 0.01 * (l + 1) + 0.02 * s.
  std::vector<float> scales(5 * kSitesPerLayer + 1);
  for (size_t i = 0; i < scales.size(); ++i) scales[i] = 0.01f * (i / 4 + 1) + 0.02f * (i % 4);
  const std::vector<uint8_t> base = host::build_sqm(m, test::stories260k_vocab());
  std::vector<host::Section> sections = host::read_sections(base.data(), base.size());
  test::LoadedModel plain;
  test::load_copy(base, &plain);
  host::CalibrationResult r;
  r.scales = scales;
  host::put_section(&sections, host::act_quant_section(plain.model, host::CalibrationOptions(), r));
  test::LoadedModel lm;
  test::load_copy(host::write_sqm(sections), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  ASSERT_NE(lm.model.activation_scales(), nullptr);

  test::RefModel ref;
  ASSERT_TRUE(test::read_reference(&ref));
  use_int8_weights(lm.model, &ref);
  auto hook = [&](int layer, int site, std::vector<double>* x) {
    for (double& v : *x) v = test::fake_quant(v, scales[layer * kSitesPerLayer + site]);
  };
  const auto expect = test::ref_logits(ref, kPrompt, hook);
  SessionOptions opt;
  opt.context = 32;
  opt.quant = QuantMode::kW8A8Static;
  const Compare c = run_against(lm.model, opt, expect);
  EXPECT_LT(c.worst, 0.05);
  EXPECT_GE(c.argmax_agree, static_cast<int>(kPrompt.size()) - 1);
}

TEST(SessionW8A8, RunsFromInt8WeightsAlone) {
  test::LoadedModel lm;
  test::load_copy(int8_model(host::Granularity::kTensor, true), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  EXPECT_EQ(lm.model.matrix(kWq, 0, kF32).f32, nullptr);
  SessionOptions opt;
  opt.context = 32;
  size_t n;
  EXPECT_EQ(Session::required_bytes(lm.model, opt, &n), Status::kUnsupported);  // fp32 needs fp32
  opt.quant = QuantMode::kW8A8DynToken;
  opt.classifier_int8 = false;
  EXPECT_EQ(Session::required_bytes(lm.model, opt, &n), Status::kUnsupported);
  opt.classifier_int8 = true;
  test::OwnedSession s;
  test::start_session(lm.model, opt, &s);
  ASSERT_EQ(s.status, Status::kOk);
  ASSERT_EQ(s.session.prefill(kPrompt.data(), kPrompt.size()), Status::kOk);
  // Same logits as a file that also holds fp32 weights: W8A8 reads only int8.
  test::LoadedModel both;
  test::load_copy(int8_model(host::Granularity::kTensor, false), &both);
  test::OwnedSession s2;
  test::start_session(both.model, opt, &s2);
  ASSERT_EQ(s2.session.prefill(kPrompt.data(), kPrompt.size()), Status::kOk);
  EXPECT_EQ(std::memcmp(s.session.logits(), s2.session.logits(), 512 * 4), 0);
}

TEST(SessionW8A8, StaticModeWithoutScalesOrInt8WeightsIsAClearError) {
  size_t n;
  SessionOptions opt;
  opt.quant = QuantMode::kW8A8Static;
  test::LoadedModel fp32_only;
  test::load_copy(test::stories260k_sqm(), &fp32_only);
  EXPECT_EQ(Session::required_bytes(fp32_only.model, opt, &n), Status::kMissingQuantization);
  test::LoadedModel no_scales;
  test::load_copy(int8_model(host::Granularity::kTensor, false), &no_scales);
  EXPECT_EQ(Session::required_bytes(no_scales.model, opt, &n), Status::kMissingQuantization);
  opt.quant = QuantMode::kW8A8DynTensor;
  EXPECT_EQ(Session::required_bytes(no_scales.model, opt, &n), Status::kOk);
}

TEST(SessionW8A8, MalformedScaleSectionIsRejectedAtLoad) {
  const std::vector<uint8_t> base = int8_model(host::Granularity::kTensor, false);
  test::LoadedModel plain;
  test::load_copy(base, &plain);
  auto with = [&](std::vector<float> scales, uint32_t layers) {
    host::CalibrationResult r;
    r.scales = scales;
    host::Section s = host::act_quant_section(plain.model, host::CalibrationOptions(), r);
    std::memcpy(s.bytes.data(), &layers, 4);
    std::vector<host::Section> sections = host::read_sections(base.data(), base.size());
    host::put_section(&sections, s);
    test::LoadedModel lm;
    test::load_copy(host::write_sqm(sections), &lm);
    return lm.status;
  };
  std::vector<float> good(21, 0.05f);
  EXPECT_EQ(with(good, 5), Status::kOk);
  EXPECT_EQ(with(good, 4), Status::kBadQuantSection);
  std::vector<float> bad = good;
  bad[7] = std::nanf("");
  EXPECT_EQ(with(bad, 5), Status::kBadQuantSection);
  bad[7] = 0.f;
  EXPECT_EQ(with(bad, 5), Status::kBadQuantSection);
  EXPECT_EQ(with(std::vector<float>(20, 0.05f), 5), Status::kBadQuantSection);
}

TEST(SessionW8A8, PerplexityStaysCloseToFp32OnEvaluationText) {
  test::LoadedModel lm;
  test::load_copy(int8_model(host::Granularity::kTensor, false), &lm);
  std::string eval;
  ASSERT_EQ(host::select_slice(test::tinystories_text(), "eval", -1, -1, &eval), "");
  eval = eval.substr(0, 3000);
  SessionOptions opt;
  opt.context = 128;
  host::PerplexityResult fp, q;
  ASSERT_EQ(host::perplexity(lm.model, opt, eval, &fp), "");
  opt.quant = QuantMode::kW8A8DynToken;
  ASSERT_EQ(host::perplexity(lm.model, opt, eval, &q), "");
  EXPECT_EQ(fp.tokens, q.tokens);
  EXPECT_LT(std::fabs(q.mean_nll - fp.mean_nll), 0.02);  // within 2% perplexity
}

}  // namespace
}  // namespace sinkq
