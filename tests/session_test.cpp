// The fp32 runtime against an independent double-precision LLaMA written here
// with plain loops, reading the llama2.c checkpoint file directly.
#include "sinkq/session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "host/io.h"
#include "host/synthetic.h"
#include "test_util.h"

namespace sinkq {
namespace {

// --- Independent reference (shares no code with lib/) ----------------------

struct RefModel {
  int dim, hidden, layers, heads, kv_heads, vocab, seq;
  std::vector<double> emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final;
};

bool read_reference(RefModel* m) {
  std::vector<uint8_t> f;
  if (!host::read_file(test::model_path("stories260K.bin"), &f)) return false;
  int32_t h[7];
  std::memcpy(h, f.data(), sizeof h);
  m->dim = h[0]; m->hidden = h[1]; m->layers = h[2]; m->heads = h[3]; m->kv_heads = h[4];
  m->vocab = std::abs(h[5]); m->seq = h[6];
  size_t at = 28;
  auto take = [&](std::vector<double>* v, size_t n) {
    v->resize(n);
    for (size_t i = 0; i < n; ++i) {
      float x;
      std::memcpy(&x, f.data() + at + 4 * i, 4);
      (*v)[i] = x;
    }
    at += 4 * n;
  };
  const size_t D = m->dim, H = m->hidden, L = m->layers, KV = D / m->heads * m->kv_heads;
  take(&m->emb, m->vocab * D);
  take(&m->rms_att, L * D);
  take(&m->wq, L * D * D);
  take(&m->wk, L * KV * D);
  take(&m->wv, L * KV * D);
  take(&m->wo, L * D * D);
  take(&m->rms_ffn, L * D);
  take(&m->w1, L * H * D);
  take(&m->w2, L * D * H);
  take(&m->w3, L * H * D);
  take(&m->rms_final, D);
  return true;
}

void ref_matvec(const double* w, const std::vector<double>& x, std::vector<double>* y, int rows, int cols) {
  y->assign(rows, 0.0);
  for (int r = 0; r < rows; ++r) {
    double s = 0;
    for (int c = 0; c < cols; ++c) s += w[static_cast<size_t>(r) * cols + c] * x[c];
    (*y)[r] = s;
  }
}

std::vector<double> ref_rmsnorm(const std::vector<double>& x, const double* w) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / x.size() + 1e-5);
  std::vector<double> o(x.size());
  for (size_t i = 0; i < x.size(); ++i) o[i] = w[i] * x[i] * inv;
  return o;
}

// Logits after every token of `tokens`.
std::vector<std::vector<double>> ref_logits(const RefModel& m, const std::vector<int32_t>& tokens) {
  const int D = m.dim, H = m.hidden, hs = D / m.heads, KV = hs * m.kv_heads;
  const int group = m.heads / m.kv_heads;
  std::vector<std::vector<std::vector<double>>> kc(m.layers), vc(m.layers);
  std::vector<std::vector<double>> out;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    std::vector<double> x(m.emb.begin() + tokens[pos] * D, m.emb.begin() + (tokens[pos] + 1) * D);
    for (int l = 0; l < m.layers; ++l) {
      std::vector<double> xb = ref_rmsnorm(x, &m.rms_att[l * D]), q, k, v;
      ref_matvec(&m.wq[static_cast<size_t>(l) * D * D], xb, &q, D, D);
      ref_matvec(&m.wk[static_cast<size_t>(l) * KV * D], xb, &k, KV, D);
      ref_matvec(&m.wv[static_cast<size_t>(l) * KV * D], xb, &v, KV, D);
      for (int i = 0; i < D; i += 2) {  // RoPE on adjacent pairs
        const double freq = std::pow(10000.0, -static_cast<double>(i % hs) / hs);
        const double c = std::cos(pos * freq), s = std::sin(pos * freq);
        const double q0 = q[i], q1 = q[i + 1];
        q[i] = q0 * c - q1 * s;
        q[i + 1] = q0 * s + q1 * c;
        if (i < KV) {
          const double k0 = k[i], k1 = k[i + 1];
          k[i] = k0 * c - k1 * s;
          k[i + 1] = k0 * s + k1 * c;
        }
      }
      kc[l].push_back(k);
      vc[l].push_back(v);
      std::vector<double> att_out(D, 0.0);
      for (int h = 0; h < m.heads; ++h) {
        const int kh = h / group;
        std::vector<double> a(pos + 1);
        double mx = -1e300;
        for (size_t p = 0; p <= pos; ++p) {
          double s = 0;
          for (int i = 0; i < hs; ++i) s += q[h * hs + i] * kc[l][p][kh * hs + i];
          a[p] = s / std::sqrt(static_cast<double>(hs));
          mx = std::max(mx, a[p]);
        }
        double sum = 0;
        for (double& e : a) sum += (e = std::exp(e - mx));
        for (size_t p = 0; p <= pos; ++p)
          for (int i = 0; i < hs; ++i) att_out[h * hs + i] += a[p] / sum * vc[l][p][kh * hs + i];
      }
      std::vector<double> o;
      ref_matvec(&m.wo[static_cast<size_t>(l) * D * D], att_out, &o, D, D);
      for (int i = 0; i < D; ++i) x[i] += o[i];
      xb = ref_rmsnorm(x, &m.rms_ffn[l * D]);
      std::vector<double> h1, h3, f;
      ref_matvec(&m.w1[static_cast<size_t>(l) * H * D], xb, &h1, H, D);
      ref_matvec(&m.w3[static_cast<size_t>(l) * H * D], xb, &h3, H, D);
      for (int i = 0; i < H; ++i) h1[i] = h1[i] / (1.0 + std::exp(-h1[i])) * h3[i];
      ref_matvec(&m.w2[static_cast<size_t>(l) * D * H], h1, &f, D, H);
      for (int i = 0; i < D; ++i) x[i] += f[i];
    }
    std::vector<double> xf = ref_rmsnorm(x, m.rms_final.data()), logits;
    ref_matvec(m.emb.data(), xf, &logits, m.vocab, D);  // shared classifier
    out.push_back(logits);
  }
  return out;
}

// --- Tests -----------------------------------------------------------------

// "Once upon a time" followed by a few common ids; fixed so the test does
// not depend on the tokenizer.
const std::vector<int32_t> kPrompt = {1, 403, 407, 261, 378, 290, 66, 322, 280, 351, 286, 11, 430, 313};

TEST(SessionFp32, MatchesDoublePrecisionReference) {
  RefModel ref;
  ASSERT_TRUE(read_reference(&ref)) << "stories260K.bin missing under " << test::shared_dir();
  const auto expect = ref_logits(ref, kPrompt);

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
