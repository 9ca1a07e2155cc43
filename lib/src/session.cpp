// The LLaMA forward pass, one readable function per stage (after llama2.c's
// run.c): RMSNorm, QKV, RoPE, attention, output projection, SwiGLU, residual.
#include "sinkq/session.h"

#include <string.h>

#include <new>

#include "arena.h"
#include "kv_cache.h"
#include "mathx.h"
#include "sinkq/kernels.h"

namespace sinkq {

using namespace format;

struct LayerRefs {
  const float* rms_att;
  const float* rms_ffn;
  Matrix wq, wk, wv, wo, w1, w2, w3;  // fp32 or int8, as the quant mode runs
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

uint32_t max3(uint32_t a, uint32_t b, uint32_t c) {
  const uint32_t m = a > b ? a : b;
  return m > c ? m : c;
}

bool is_w8a8(QuantMode q) { return q != QuantMode::kFp32; }

// A rolling session stops here: RoPE angles pos * freq stay within the range
// where mathx::sincos_d is accurate (|x| < 2^30, freq <= 1).
constexpr uint32_t kMaxRollingPosition = uint32_t{1} << 30;

uint32_t session_context(const Model& m, const SessionOptions& o) {
  return o.context ? o.context : m.config().max_seq_len;
}

uint32_t rolling_window(const Model& m, const SessionOptions& o) {
  if (!o.rolling) return 0;
  return o.window ? o.window
                  : KvCache::max_window(o.kv, session_context(m, o), o.batch,
                                        Session::cushion_slots(m, o));
}

// The precision a matrix runs in under this session's options.
uint32_t matrix_dtype(const SessionOptions& o) { return is_w8a8(o.quant) ? kI8 : kF32; }
uint32_t classifier_dtype(const SessionOptions& o) {
  return is_w8a8(o.quant) && o.classifier_int8 ? kI8 : kF32;
}

}  // namespace

Status Session::plan(const Model& model, const SessionOptions& o, uint8_t* base, size_t* bytes,
                     MemoryPlan* mp) {
  const ModelConfig& c = model.config();
  const uint32_t ctx = session_context(model, o);
  const uint32_t b = o.batch;
  const uint32_t half = c.head_size / 2;
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
  double* freq = a.take<double>(half);
  section_end(&p.tables);

  Status st = KvCache::check(model, o.kv);
  if (st != Status::kOk) return st;
  KvCache* kv_slot = a.take<KvCache>(1);
  KvCache kv;
  kv.plan_store(model, o.kv, ctx, b, rolling_window(model, o), &a);
  section_end(&p.kv_cache);
  const uint32_t cushion = cushion_slots(model, o);
  kv.plan_table(&a, cushion);
  const float** cushion_kv = a.take<const float*>(cushion ? 2 * uint64_t{c.n_layers} : 0);
  section_end(&p.sink_table);

  float* x = a.take<float>(uint64_t{b} * c.dim);
  float* xb = a.take<float>(uint64_t{b} * c.dim);
  float* xb2 = a.take<float>(uint64_t{b} * c.dim);
  float* q = a.take<float>(uint64_t{b} * c.dim);
  float* k = a.take<float>(uint64_t{b} * c.kv_dim);
  float* v = a.take<float>(uint64_t{b} * c.kv_dim);
  float* hb = a.take<float>(uint64_t{b} * c.hidden_dim);
  float* hb2 = a.take<float>(uint64_t{b} * c.hidden_dim);
  float* att = a.take<float>(ctx);
  float* qrot = a.take<float>(c.head_size);  // a query rotated back (rolling window)
  section_end(&p.activations);

  int8_t* xq = nullptr;
  int32_t* acc = nullptr;
  float* row_scale = nullptr;
  const uint32_t logit_rows = o.all_logits ? b : 1;
  if (is_w8a8(o.quant)) {
    xq = a.take<int8_t>(uint64_t{b} * (c.hidden_dim > c.dim ? c.hidden_dim : c.dim));
    const uint64_t layer_acc = uint64_t{b} * max3(c.dim, c.hidden_dim, c.kv_dim);
    const uint64_t logit_acc = uint64_t{logit_rows} * c.vocab_size;
    acc = a.take<int32_t>(layer_acc > logit_acc ? layer_acc : logit_acc);
    row_scale = a.take<float>(b);
  }
  section_end(&p.activations_int8);

  float* logits = a.take<float>(uint64_t{logit_rows} * c.vocab_size);
  section_end(&p.logits);

  if (a.too_large()) return Status::kTooLarge;
  p.total = static_cast<size_t>(a.used());
  if (bytes) *bytes = p.total;
  if (mp) *mp = p;
  if (base == nullptr) return Status::kOk;

  layers_ = layers;
  rope_cos_ = rc;
  rope_sin_ = rs;
  rope_freq_ = freq;
  qrot_ = qrot;
  kv_ = new (kv_slot) KvCache(kv);
  cushion_kv_ = cushion_kv;
  x_ = x;
  xb_ = xb;
  xb2_ = xb2;
  q_ = q;
  k_ = k;
  v_ = v;
  hb_ = hb;
  hb2_ = hb2;
  att_ = att;
  xq_ = xq;
  acc_ = acc;
  row_scale_ = row_scale;
  logits_ = logits;
  return Status::kOk;
}

// The model's cushion goes into the sink table when asked for and it fits.
uint32_t Session::cushion_slots(const Model& model, const SessionOptions& o) {
  const uint32_t p = model.cushion_length();
  const uint32_t ctx = o.context ? o.context : model.config().max_seq_len;
  if (!o.kv.use_cushion || p == 0 || p + o.kv.sink_slots > kMaxSinkSlots || p >= ctx) return 0;
  return p;
}

static Status check_options(const Model& model, const SessionOptions& o) {
  if (!model.loaded()) return Status::kNotInitialized;
  const ModelConfig& c = model.config();
  if (o.context > c.max_seq_len || o.batch == 0 || o.batch > 4096 ||
      static_cast<uint8_t>(o.quant) > static_cast<uint8_t>(QuantMode::kW8A8DynToken))
    return Status::kInvalidArgument;
  // Every matrix must exist in the precision the mode runs it in.
  const uint32_t dt = matrix_dtype(o);
  const Status missing = dt == kI8 ? Status::kMissingQuantization : Status::kUnsupported;
  if (model.embedding(dt).rows == 0) return missing;
  if (model.classifier(classifier_dtype(o)).rows == 0)
    return classifier_dtype(o) == kI8 ? Status::kMissingQuantization : Status::kUnsupported;
  static constexpr uint32_t kMatrices[] = {kWq, kWk, kWv, kWo, kW1, kW2, kW3};
  for (uint32_t l = 0; l < c.n_layers; ++l)
    for (uint32_t kind : kMatrices)
      if (model.matrix(kind, l, dt).rows == 0) return missing;
  if (o.quant == QuantMode::kW8A8Static && model.activation_scales() == nullptr)
    return Status::kMissingQuantization;
  if (o.rolling) {
    const uint32_t w = KvCache::max_window(o.kv, session_context(model, o), o.batch,
                                           Session::cushion_slots(model, o));
    if (w == 0 || o.window > w) return Status::kInvalidArgument;
  } else if (o.window != 0) {
    return Status::kInvalidArgument;
  }
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

  const uint32_t dt = matrix_dtype(options);
  LayerRefs* layers = const_cast<LayerRefs*>(layers_);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    LayerRefs& r = layers[l];
    r.rms_att = model.norm(kRmsAtt, l);
    r.rms_ffn = model.norm(kRmsFfn, l);
    r.wq = model.matrix(kWq, l, dt);
    r.wk = model.matrix(kWk, l, dt);
    r.wv = model.matrix(kWv, l, dt);
    r.wo = model.matrix(kWo, l, dt);
    r.w1 = model.matrix(kW1, l, dt);
    r.w2 = model.matrix(kW2, l, dt);
    r.w3 = model.matrix(kW3, l, dt);
  }
  act_scales_ = model.activation_scales();

  // RoPE: angle = pos * theta^(-2j / head_size), in double so that every
  // target computes the same floats.
  const uint32_t half = c.head_size / 2;
  rope_half_ = half;
  const double log_theta = mathx::log_d(c.rope_theta);
  for (uint32_t j = 0; j < half; ++j)
    rope_freq_[j] = mathx::exp_d(-(2.0 * j / c.head_size) * log_theta);
  for (uint32_t pos = 0; pos < ctx_; ++pos) rope_row(pos);
  kv_->init(rope_cos_, rope_sin_, rope_freq_, qrot_);
  model_ = &model;
  if (const uint32_t p = cushion_slots(model, options)) {
    for (uint32_t l = 0; l < c.n_layers; ++l) {
      cushion_kv_[l] = model.cushion_key(l);
      cushion_kv_[c.n_layers + l] = model.cushion_value(l);
    }
    st = pin_prefix(0, p, cushion_kv_, cushion_kv_ + c.n_layers);
    if (st != Status::kOk) {
      model_ = nullptr;
      return st;
    }
  }
  return Status::kOk;
}

// Row pos % ctx of the RoPE table holds position pos: a rolling session
// rewrites a row when a position beyond the context reuses it, after the
// position it held has left every window.
void Session::rope_row(uint32_t pos) {
  const uint32_t half = rope_half_;
  float* cr = rope_cos_ + size_t{pos % ctx_} * half;
  float* sr = rope_sin_ + size_t{pos % ctx_} * half;
  for (uint32_t j = 0; j < half; ++j) {
    double s, co;
    mathx::sincos_d(pos * rope_freq_[j], &s, &co);
    cr[j] = static_cast<float>(co);
    sr[j] = static_cast<float>(s);
  }
}

void Session::attention(uint32_t l, uint32_t n) {
  const ModelConfig& c = model_->config();
  const uint32_t hs = c.head_size;
  const uint32_t group = c.n_heads / c.n_kv_heads;
  const float scale = 1.f / mathx::sqrt_f32(static_cast<float>(hs));
  KvView view;
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t pos = pos_ + t;
    kv_->view(pos, &view);
    const uint32_t len = view.size();
    for (uint32_t h = 0; h < c.n_heads; ++h) {
      const float* qh = q_ + size_t{t} * c.dim + h * hs;
      const uint32_t kvh = h / group;
      kv_->scores(l, kvh, qh, view, att_);
      for (uint32_t p = 0; p < len; ++p) att_[p] = att_[p] * scale;
      softmax(att_, len);
      if (observer_) observer_->on_attention(l, h, pos, att_, len);
      float* out = xb_ + size_t{t} * c.dim + h * hs;
      for (uint32_t i = 0; i < hs; ++i) out[i] = 0.f;
      kv_->mix(l, kvh, att_, view, out);
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
  quantize_site(xb_, n, dim, static_scale(l, kSiteAttnIn));
  project(w.wq, xb_, q_, n);
  project(w.wk, xb_, k_, n);
  project(w.wv, xb_, v_, n);
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t pos = pos_ + t;
    const float* cr = rope_cos_ + size_t{pos % ctx_} * half;
    const float* sr = rope_sin_ + size_t{pos % ctx_} * half;
    rope(q_ + size_t{t} * dim, dim, c.head_size, cr, sr);
    rope(k_ + size_t{t} * kv_dim, kv_dim, c.head_size, cr, sr);
    kv_->put(l, t, pos, k_ + size_t{t} * kv_dim, v_ + size_t{t} * kv_dim);
  }
  if (observer_) observer_->on_kv(l, k_, v_, n, kv_dim, pos_);
  attention(l, n);
  if (observer_) observer_->on_site(l, kSiteAttnOut, xb_, n, dim, pos_);
  quantize_site(xb_, n, dim, static_scale(l, kSiteAttnOut));
  project(w.wo, xb_, xb2_, n);
  for (size_t i = 0; i < size_t{n} * dim; ++i) x_[i] = x_[i] + xb2_[i];

  // Feed-forward block: w2(silu(w1 x) * w3 x).
  for (uint32_t t = 0; t < n; ++t)
    rmsnorm(xb_ + size_t{t} * dim, x_ + size_t{t} * dim, w.rms_ffn, dim, c.norm_eps);
  if (observer_) observer_->on_site(l, kSiteFfnIn, xb_, n, dim, pos_);
  quantize_site(xb_, n, dim, static_scale(l, kSiteFfnIn));
  project(w.w1, xb_, hb_, n);
  project(w.w3, xb_, hb2_, n);
  for (size_t i = 0; i < size_t{n} * hidden; ++i) {
    const float a = hb_[i];
    hb_[i] = (a / (1.f + mathx::exp_f32(-a))) * hb2_[i];
  }
  if (observer_) observer_->on_site(l, kSiteFfnDown, hb_, n, hidden, pos_);
  quantize_site(hb_, n, hidden, static_scale(l, kSiteFfnDown));
  project(w.w2, hb_, xb_, n);
  for (size_t i = 0; i < size_t{n} * dim; ++i) x_[i] = x_[i] + xb_[i];
  kv_->after_layer(l, x_, n, pos_);
  if (observer_) observer_->on_residual(l, x_, n, dim, pos_);
}

// The calibrated scale of a site (layer == n_layers: the classifier input).
float Session::static_scale(uint32_t layer, uint32_t site) const {
  return act_scales_ ? act_scales_[layer * kSitesPerLayer + site] : 0.f;
}

// Quantizes the n rows entering a site into xq_ with the mode's scales: the
// calibrated static scale, one scale for the whole call, or one per token.
// A no-op in fp32 mode.
void Session::quantize_site(const float* X, uint32_t n, uint32_t cols, float static_scale) {
  if (!is_w8a8(opt_.quant)) return;
  float s = static_scale;
  if (opt_.quant == QuantMode::kW8A8DynTensor)
    s = kernels::absmax_f32(X, n * cols) / 127.f;
  for (uint32_t t = 0; t < n; ++t) {
    const float* x = X + size_t{t} * cols;
    if (opt_.quant == QuantMode::kW8A8DynToken) s = kernels::absmax_f32(x, cols) / 127.f;
    if (!(s > 0.f)) s = 1.f;  // an all-zero input quantizes to zeros with any scale
    row_scale_[t] = s;
    kernels::quantize_f32_s8(x, xq_ + size_t{t} * cols, cols, 1.f / s);
  }
}

// Y[n][rows] = X[n][cols] W^T. In W8A8 the input was quantized by
// quantize_site(): int8 x int8 products accumulate exactly in int32 and are
// dequantized once, y = acc * (s_x * s_w).
void Session::project(const Matrix& w, const float* X, float* Y, uint32_t n) {
  if (w.f32) {
    kernels::gemm_f32(w.f32, X, Y, n, w.rows, w.cols);
    return;
  }
  kernels::gemm_s8(w.i8, xq_, acc_, n, w.rows, w.cols);
  for (uint32_t t = 0; t < n; ++t) {
    const int32_t* acc = acc_ + size_t{t} * w.rows;
    float* y = Y + size_t{t} * w.rows;
    if (w.channel_scales)
      kernels::dequantize_s32_f32_ch(acc, y, w.rows, row_scale_[t], w.channel_scales);
    else
      kernels::dequantize_s32_f32(acc, y, w.rows, row_scale_[t] * w.scale);
  }
}

// Logits of n final-norm rows, in fp32 or int8 as the options say.
void Session::classify(const float* X, uint32_t n, uint32_t first_pos) {
  const ModelConfig& c = model_->config();
  const Matrix cls = model_->classifier(classifier_dtype(opt_));
  if (observer_) observer_->on_site(c.n_layers, kSiteClassifierIn, X, n, c.dim, first_pos);
  if (cls.i8)
    quantize_site(X, n, c.dim, static_scale(c.n_layers, 0));
  project(cls, X, logits_, n);
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
  if (n > room()) return Status::kContextFull;
  if (pos_ + n > ctx_) {  // rolling past the context: RoPE rows for the new positions
    for (uint32_t t = 0; t < n; ++t)
      if (pos_ + t >= ctx_) rope_row(pos_ + t);
    rope_wrapped_ = true;
  }

  // The embedding row, dequantized when the mode runs int8 (so an int8-only
  // model file and one holding both precisions give the same result).
  const Matrix emb = model_->embedding(matrix_dtype(opt_));
  for (uint32_t t = 0; t < n; ++t) {
    float* x = x_ + size_t{t} * c.dim;
    const size_t row = static_cast<size_t>(tokens[t]);
    if (emb.f32) {
      memcpy(x, emb.f32 + row * c.dim, c.dim * sizeof(float));
    } else {
      const float s = emb.channel_scales ? emb.channel_scales[row] : emb.scale;
      const int8_t* q = emb.i8 + row * c.dim;
      for (uint32_t i = 0; i < c.dim; ++i) x[i] = static_cast<float>(q[i]) * s;
    }
  }
  for (uint32_t l = 0; l < c.n_layers; ++l) layer_forward(l, n);

  // Classifier on the final norm: every row with all_logits, else the last.
  const uint32_t first = opt_.all_logits ? 0 : n - 1;
  for (uint32_t t = first; t < n; ++t)
    rmsnorm(xb_ + size_t{t} * c.dim, x_ + size_t{t} * c.dim, model_->norm(kRmsFinal, kNoLayer),
            c.dim, c.norm_eps);
  classify(xb_ + size_t{first} * c.dim, n - first, pos_ + first);
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
  if (n > room()) return Status::kContextFull;
  for (size_t done = 0; done < n;) {
    const uint32_t chunk = static_cast<uint32_t>(n - done < opt_.batch ? n - done : opt_.batch);
    Status st = forward(tokens + done, chunk);
    if (st != Status::kOk) return st;
    done += chunk;
  }
  return Status::kOk;
}

Status Session::decode(int32_t token) { return forward(&token, 1); }

uint32_t Session::room() const {
  return opt_.rolling ? kMaxRollingPosition - pos_ : ctx_ - pos_;
}

uint32_t Session::window() const { return kv_ ? kv_->window() : 0; }

uint32_t Session::attended(uint32_t* positions, uint32_t cap) const {
  if (kv_ == nullptr) return 0;
  KvView v;
  kv_->visible(pos_, &v);
  for (uint32_t i = 0; i < v.size() && i < cap; ++i)
    positions[i] = i < v.sinks ? v.position[i] : v.first + (i - v.sinks);
  return v.size();
}

void Session::reset() {
  if (rope_wrapped_) {
    for (uint32_t pos = 0; pos < ctx_; ++pos) rope_row(pos);
    rope_wrapped_ = false;
  }
  pos_ = prefix_;
  last_row_ = 0;
  logits_valid_ = false;
  if (kv_) kv_->reset();
}

Status Session::pin_prefix(uint32_t first_slot, uint32_t count, const float* const* k,
                           const float* const* v) {
  if (model_ == nullptr) return Status::kNotInitialized;
  if (pos_ != 0 || count == 0 || count > ctx_) return Status::kInvalidArgument;
  // Positions 0 .. count-1; a cushion is at most a few dozen tokens.
  uint32_t positions[kMaxSinkSlots];
  if (count > kMaxSinkSlots) return Status::kInvalidArgument;
  for (uint32_t i = 0; i < count; ++i) positions[i] = i;
  Status st = kv_->table().pin(first_slot, count, k, v, positions);
  if (st != Status::kOk) return st;
  prefix_ = count;
  reset();
  return Status::kOk;
}

void Session::unpin_prefix() {
  if (kv_ == nullptr || prefix_ == 0) return;
  for (uint32_t p = 0; p < prefix_; ++p) {
    const uint8_t s = kv_->table().slot_of(p);
    if (s != SinkTable::kNoSlot) kv_->table().unpin(s, 1);
  }
  prefix_ = 0;
  reset();
}

int32_t Session::sink_slot(uint32_t pos) const {
  if (kv_ == nullptr) return -1;
  const uint8_t s = kv_->table().slot_of(pos);
  return s == SinkTable::kNoSlot ? -1 : s;
}

const float* Session::logits() const {
  return logits_valid_ ? logits_ + size_t{last_row_} * model_->config().vocab_size : nullptr;
}

const float* Session::logits_at(uint32_t i) const {
  if (!logits_valid_ || !opt_.all_logits || i > last_row_) return nullptr;
  return logits_ + size_t{i} * model_->config().vocab_size;
}

}  // namespace sinkq
