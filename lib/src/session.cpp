// The LLaMA forward pass, one readable function per stage (after llama2.c's
// run.c): RMSNorm, QKV, RoPE, attention, output projection, SwiGLU, residual.
#include "sinkq/session.h"

#include <string.h>

#include "arena.h"
#include "mathx.h"
#include "sinkq/kernels.h"

namespace sinkq {

using namespace format;

struct LayerRefs {
  const float* rms_att;
  const float* rms_ffn;
  Matrix wq, wk, wv, wo, w1, w2, w3;
};

namespace {

void rmsnorm(float* out, const float* x, const float* w, uint32_t n, float eps) {
  float ss = 0.f;
  for (uint32_t i = 0; i < n; ++i) ss = ss + x[i] * x[i];
  const float inv = 1.f / mathx::sqrt_f32(ss / static_cast<float>(n) + eps);
  for (uint32_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * inv);
}

void softmax(float* x, uint32_t n) {
  float m = x[0];
  for (uint32_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  float sum = 0.f;
  for (uint32_t i = 0; i < n; ++i) {
    x[i] = mathx::exp_f32(x[i] - m);
    sum = sum + x[i];
  }
  const float inv = 1.f / sum;
  for (uint32_t i = 0; i < n; ++i) x[i] = x[i] * inv;
}

// Rotates adjacent pairs (x[2j], x[2j+1]) of every head by pos * theta^(-2j/hs).
void rope(float* x, uint32_t n, uint32_t head_size, const float* cos_row, const float* sin_row) {
  for (uint32_t i = 0; i < n; i += 2) {
    const uint32_t j = (i % head_size) / 2;
    const float c = cos_row[j], s = sin_row[j];
    const float a = x[i], b = x[i + 1];
    x[i] = a * c - b * s;
    x[i + 1] = a * s + b * c;
  }
}

// Y[n][rows] = X[n][cols] W^T with the fp32 weights.
void linear(const Matrix& w, const float* X, float* Y, uint32_t n) {
  kernels::gemm_f32(w.f32, X, Y, n, w.rows, w.cols);
}

}  // namespace

Status Session::plan(const Model& model, const SessionOptions& o, uint8_t* base, size_t* bytes,
                     MemoryPlan* mp) {
  const ModelConfig& c = model.config();
  const uint32_t ctx = o.context ? o.context : c.max_seq_len;
  const uint32_t b = o.batch;
  MemoryPlan p;
  ArenaPlanner a(base);
  uint64_t mark = 0;
  auto section_end = [&](size_t* field) {
    *field = static_cast<size_t>(a.used() - mark);
    mark = a.used();
  };

  LayerRefs* layers = a.take<LayerRefs>(c.n_layers);
  float* rc = a.take<float>(uint64_t{ctx} * (c.head_size / 2));
  float* rs = a.take<float>(uint64_t{ctx} * (c.head_size / 2));
  section_end(&p.tables);

  float* kc = a.take<float>(uint64_t{c.n_layers} * ctx * c.kv_dim);
  float* vc = a.take<float>(uint64_t{c.n_layers} * ctx * c.kv_dim);
  section_end(&p.kv_cache);

  float* x = a.take<float>(uint64_t{b} * c.dim);
  float* xb = a.take<float>(uint64_t{b} * c.dim);
  float* xb2 = a.take<float>(uint64_t{b} * c.dim);
  float* q = a.take<float>(uint64_t{b} * c.dim);
  float* k = a.take<float>(uint64_t{b} * c.kv_dim);
  float* v = a.take<float>(uint64_t{b} * c.kv_dim);
  float* hb = a.take<float>(uint64_t{b} * c.hidden_dim);
  float* hb2 = a.take<float>(uint64_t{b} * c.hidden_dim);
  float* att = a.take<float>(ctx);
  section_end(&p.activations);

  float* logits = a.take<float>(uint64_t{o.all_logits ? b : 1} * c.vocab_size);
  section_end(&p.logits);

  if (a.too_large()) return Status::kTooLarge;
  p.total = static_cast<size_t>(a.used());
  if (bytes) *bytes = p.total;
  if (mp) *mp = p;
  if (base == nullptr) return Status::kOk;

  layers_ = layers;
  rope_cos_ = rc;
  rope_sin_ = rs;
  key_cache_ = kc;
  value_cache_ = vc;
  x_ = x;
  xb_ = xb;
  xb2_ = xb2;
  q_ = q;
  k_ = k;
  v_ = v;
  hb_ = hb;
  hb2_ = hb2;
  att_ = att;
  logits_ = logits;
  return Status::kOk;
}

static Status check_options(const Model& model, const SessionOptions& o) {
  if (!model.loaded()) return Status::kNotInitialized;
  const ModelConfig& c = model.config();
  if (o.context > c.max_seq_len || o.batch == 0 || o.batch > 4096)
    return Status::kInvalidArgument;
  if (o.quant != QuantMode::kFp32) return Status::kUnsupported;
  // The fp32 path needs every matrix in fp32.
  if (model.embedding(kF32).f32 == nullptr || model.classifier(kF32).f32 == nullptr)
    return Status::kUnsupported;
  static constexpr uint32_t kMatrices[] = {kWq, kWk, kWv, kWo, kW1, kW2, kW3};
  for (uint32_t l = 0; l < c.n_layers; ++l)
    for (uint32_t kind : kMatrices)
      if (model.matrix(kind, l, kF32).f32 == nullptr) return Status::kUnsupported;
  return Status::kOk;
}

Status Session::required_bytes(const Model& model, const SessionOptions& options, size_t* bytes,
                               MemoryPlan* plan) {
  if (bytes == nullptr) return Status::kInvalidArgument;
  Status st = check_options(model, options);
  if (st != Status::kOk) return st;
  Session probe;
  return probe.plan(model, options, nullptr, bytes, plan);
}

Status Session::init(const Model& model, const SessionOptions& options, void* arena,
                     size_t arena_bytes) {
  Observer* keep = observer_;
  *this = Session();
  observer_ = keep;
  if (arena == nullptr) return Status::kInvalidArgument;
  if (reinterpret_cast<uintptr_t>(arena) % ArenaPlanner::kAlign != 0)
    return Status::kArenaMisaligned;
  size_t need = 0;
  Status st = required_bytes(model, options, &need);
  if (st != Status::kOk) return st;
  if (arena_bytes < need) return Status::kArenaTooSmall;
  st = plan(model, options, static_cast<uint8_t*>(arena), nullptr, nullptr);
  if (st != Status::kOk) return st;

  const ModelConfig& c = model.config();
  opt_ = options;
  ctx_ = options.context ? options.context : c.max_seq_len;

  LayerRefs* layers = const_cast<LayerRefs*>(layers_);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    LayerRefs& r = layers[l];
    r.rms_att = model.norm(kRmsAtt, l);
    r.rms_ffn = model.norm(kRmsFfn, l);
    r.wq = model.matrix(kWq, l, kF32);
    r.wk = model.matrix(kWk, l, kF32);
    r.wv = model.matrix(kWv, l, kF32);
    r.wo = model.matrix(kWo, l, kF32);
    r.w1 = model.matrix(kW1, l, kF32);
    r.w2 = model.matrix(kW2, l, kF32);
    r.w3 = model.matrix(kW3, l, kF32);
  }

  // RoPE table: angle = pos * theta^(-2j / head_size), in double so that every
  // target computes the same floats.
  const uint32_t half = c.head_size / 2;
  const double log_theta = mathx::log_d(c.rope_theta);
  for (uint32_t j = 0; j < half; ++j) {
    const double freq = mathx::exp_d(-(2.0 * j / c.head_size) * log_theta);
    for (uint32_t pos = 0; pos < ctx_; ++pos) {
      double s, co;
      mathx::sincos_d(pos * freq, &s, &co);
      rope_cos_[size_t{pos} * half + j] = static_cast<float>(co);
      rope_sin_[size_t{pos} * half + j] = static_cast<float>(s);
    }
  }
  model_ = &model;
  return Status::kOk;
}

void Session::attention(uint32_t l, uint32_t n) {
  const ModelConfig& c = model_->config();
  const uint32_t hs = c.head_size;
  const uint32_t group = c.n_heads / c.n_kv_heads;
  const float scale = 1.f / mathx::sqrt_f32(static_cast<float>(hs));
  const float* kl = key_cache_ + size_t{l} * ctx_ * c.kv_dim;
  const float* vl = value_cache_ + size_t{l} * ctx_ * c.kv_dim;
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t pos = pos_ + t;
    for (uint32_t h = 0; h < c.n_heads; ++h) {
      const float* qh = q_ + size_t{t} * c.dim + h * hs;
      const uint32_t kvh = h / group;
      for (uint32_t p = 0; p <= pos; ++p)
        att_[p] = kernels::dot_f32(qh, kl + size_t{p} * c.kv_dim + kvh * hs, hs) * scale;
      softmax(att_, pos + 1);
      if (observer_) observer_->on_attention(l, h, pos, att_, pos + 1);
      float* out = xb_ + size_t{t} * c.dim + h * hs;
      for (uint32_t i = 0; i < hs; ++i) out[i] = 0.f;
      for (uint32_t p = 0; p <= pos; ++p) {
        const float* vp = vl + size_t{p} * c.kv_dim + kvh * hs;
        const float a = att_[p];
        for (uint32_t i = 0; i < hs; ++i) out[i] = out[i] + a * vp[i];
      }
    }
  }
}

void Session::layer_forward(uint32_t l, uint32_t n) {
  const ModelConfig& c = model_->config();
  const LayerRefs& w = layers_[l];
  const uint32_t dim = c.dim, kv_dim = c.kv_dim, hidden = c.hidden_dim, half = c.head_size / 2;

  // Attention block.
  for (uint32_t t = 0; t < n; ++t)
    rmsnorm(xb_ + size_t{t} * dim, x_ + size_t{t} * dim, w.rms_att, dim, c.norm_eps);
  if (observer_) observer_->on_site(l, kSiteAttnIn, xb_, n, dim, pos_);
  linear(w.wq, xb_, q_, n);
  linear(w.wk, xb_, k_, n);
  linear(w.wv, xb_, v_, n);
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t pos = pos_ + t;
    const float* cr = rope_cos_ + size_t{pos} * half;
    const float* sr = rope_sin_ + size_t{pos} * half;
    rope(q_ + size_t{t} * dim, dim, c.head_size, cr, sr);
    rope(k_ + size_t{t} * kv_dim, kv_dim, c.head_size, cr, sr);
    const size_t slot = (size_t{l} * ctx_ + pos) * kv_dim;
    memcpy(key_cache_ + slot, k_ + size_t{t} * kv_dim, kv_dim * sizeof(float));
    memcpy(value_cache_ + slot, v_ + size_t{t} * kv_dim, kv_dim * sizeof(float));
  }
  attention(l, n);
  if (observer_) observer_->on_site(l, kSiteAttnOut, xb_, n, dim, pos_);
  linear(w.wo, xb_, xb2_, n);
  for (size_t i = 0; i < size_t{n} * dim; ++i) x_[i] = x_[i] + xb2_[i];

  // Feed-forward block: w2(silu(w1 x) * w3 x).
  for (uint32_t t = 0; t < n; ++t)
    rmsnorm(xb_ + size_t{t} * dim, x_ + size_t{t} * dim, w.rms_ffn, dim, c.norm_eps);
  if (observer_) observer_->on_site(l, kSiteFfnIn, xb_, n, dim, pos_);
  linear(w.w1, xb_, hb_, n);
  linear(w.w3, xb_, hb2_, n);
  for (size_t i = 0; i < size_t{n} * hidden; ++i) {
    const float a = hb_[i];
    hb_[i] = (a / (1.f + mathx::exp_f32(-a))) * hb2_[i];
  }
  if (observer_) observer_->on_site(l, kSiteFfnDown, hb_, n, hidden, pos_);
  linear(w.w2, hb_, xb_, n);
  for (size_t i = 0; i < size_t{n} * dim; ++i) x_[i] = x_[i] + xb_[i];
  if (observer_) observer_->on_residual(l, x_, n, dim, pos_);
}

Status Session::forward(const int32_t* tokens, uint32_t n) {
  if (model_ == nullptr) return Status::kNotInitialized;
  if (tokens == nullptr) return Status::kInvalidArgument;
  if (n == 0) return Status::kEmptyInput;
  if (n > opt_.batch) return Status::kInvalidArgument;
  const ModelConfig& c = model_->config();
  for (uint32_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || static_cast<uint32_t>(tokens[t]) >= c.vocab_size)
      return Status::kTokenOutOfRange;
  if (n > ctx_ - pos_) return Status::kContextFull;

  const Matrix emb = model_->embedding(kF32);
  for (uint32_t t = 0; t < n; ++t)
    memcpy(x_ + size_t{t} * c.dim, emb.f32 + size_t(tokens[t]) * c.dim, c.dim * sizeof(float));
  for (uint32_t l = 0; l < c.n_layers; ++l) layer_forward(l, n);

  // Classifier on the final norm: every row with all_logits, else the last.
  const uint32_t first = opt_.all_logits ? 0 : n - 1;
  for (uint32_t t = first; t < n; ++t)
    rmsnorm(xb_ + size_t{t} * c.dim, x_ + size_t{t} * c.dim, model_->norm(kRmsFinal, kNoLayer),
            c.dim, c.norm_eps);
  linear(model_->classifier(kF32), xb_ + size_t{first} * c.dim, logits_, n - first);
  // Overflow anywhere in the pass reaches the logits; a caller must never
  // sample from them.
  for (size_t i = 0; i < size_t{n - first} * c.vocab_size; ++i) {
    if (!mathx::is_finite(logits_[i])) {
      logits_valid_ = false;
      return Status::kNonFinite;
    }
  }
  last_row_ = n - 1 - first;
  logits_valid_ = true;
  pos_ += n;
  return Status::kOk;
}

Status Session::prefill(const int32_t* tokens, size_t n) {
  if (model_ == nullptr) return Status::kNotInitialized;
  if (tokens == nullptr) return Status::kInvalidArgument;
  if (n == 0) return Status::kEmptyInput;
  const uint32_t vocab = model_->config().vocab_size;
  for (size_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || static_cast<uint32_t>(tokens[t]) >= vocab) return Status::kTokenOutOfRange;
  if (n > ctx_ - pos_) return Status::kContextFull;
  for (size_t done = 0; done < n;) {
    const uint32_t chunk = static_cast<uint32_t>(n - done < opt_.batch ? n - done : opt_.batch);
    Status st = forward(tokens + done, chunk);
    if (st != Status::kOk) return st;
    done += chunk;
  }
  return Status::kOk;
}

Status Session::decode(int32_t token) { return forward(&token, 1); }

const float* Session::logits() const {
  return logits_valid_ ? logits_ + size_t{last_row_} * model_->config().vocab_size : nullptr;
}

const float* Session::logits_at(uint32_t i) const {
  if (!logits_valid_ || !opt_.all_logits || i > last_row_) return nullptr;
  return logits_ + size_t{i} * model_->config().vocab_size;
}

}  // namespace sinkq
