#include "cushion_tune.h"

#include <cmath>
#include <thread>

#include "sinkq/quant.h"

namespace sinkq {
namespace host {

using namespace format;

namespace {

// y[rows] = W[rows][cols] x
void matvec(const std::vector<double>& w, const double* x, double* y, uint32_t rows, uint32_t cols) {
  for (uint32_t r = 0; r < rows; ++r) {
    const double* row = w.data() + size_t{r} * cols;
    double s = 0;
    for (uint32_t c = 0; c < cols; ++c) s += row[c] * x[c];
    y[r] = s;
  }
}

// dx[cols] += W^T dy[rows]
void matvec_t_add(const std::vector<double>& w, const double* dy, double* dx, uint32_t rows,
                  uint32_t cols) {
  for (uint32_t r = 0; r < rows; ++r) {
    const double* row = w.data() + size_t{r} * cols;
    const double d = dy[r];
    for (uint32_t c = 0; c < cols; ++c) dx[c] += row[c] * d;
  }
}

// y = g * x * r with r = 1 / sqrt(mean x^2 + eps); returns r.
double rmsnorm(const double* x, const std::vector<double>& g, double* y, uint32_t n, double eps) {
  double ss = 0;
  for (uint32_t i = 0; i < n; ++i) ss += x[i] * x[i];
  const double r = 1.0 / std::sqrt(ss / n + eps);
  for (uint32_t i = 0; i < n; ++i) y[i] = g[i] * x[i] * r;
  return r;
}

// dx += d(rmsnorm)/dx^T dy: dy_i g_i r - x_i r^3 / n * sum_j dy_j g_j x_j.
void rmsnorm_back(const double* x, const std::vector<double>& g, double r, const double* dy,
                  double* dx, uint32_t n) {
  double dot = 0;
  for (uint32_t i = 0; i < n; ++i) dot += dy[i] * g[i] * x[i];
  const double c = r * r * r * dot / n;
  for (uint32_t i = 0; i < n; ++i) dx[i] += dy[i] * g[i] * r - x[i] * c;
}

// Rotates pairs (x[2j], x[2j+1]) of every head by pos * freq[j]; `inverse`
// applies the transpose (the backward of the rotation).
void rope(double* x, uint32_t n, uint32_t hs, uint32_t pos, const std::vector<double>& freq,
          bool inverse) {
  for (uint32_t i = 0; i < n; i += 2) {
    const double ang = pos * freq[(i % hs) / 2];
    const double c = std::cos(ang), s = inverse ? -std::sin(ang) : std::sin(ang);
    const double a = x[i], b = x[i + 1];
    x[i] = a * c - b * s;
    x[i + 1] = a * s + b * c;
  }
}

// L_q of one site (see the header) with the power mean of order `power`
// (0: the max itself, whose gradient goes to the largest element only) and,
// with dx, dx += lambda * dL_q/dx.
double site_quant(const std::vector<double>& x, double power, double lambda, std::vector<double>* dx) {
  const double n = static_cast<double>(x.size());
  const double k = 12.0 * 127.0 * 127.0;
  double a = 0, b = 0;
  size_t arg = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = std::fabs(x[i]);
    b += v * v;
    if (power > 0) a += std::pow(v, power);
    else if (v > std::fabs(x[arg])) arg = i;
  }
  b /= n;
  if (power > 0) a /= n;
  else a = std::fabs(x[arg]);
  if (!(b > 0) || !(a > 0)) return 0;
  const double m2 = power > 0 ? std::pow(a, 2.0 / power) : a * a;  // M^2
  const double q = m2 / (k * b);
  if (dx) {
    const double c2 = lambda * 2.0 * q / (n * b);
    for (size_t i = 0; i < x.size(); ++i) (*dx)[i] -= c2 * x[i];
    if (power > 0) {
      // d(M^2)/dx_i = 2 a^(2/p - 1) |x_i|^(p-1) sgn(x_i) / n
      const double c1 = lambda * 2.0 * std::pow(a, 2.0 / power - 1.0) / (k * n * b);
      for (size_t i = 0; i < x.size(); ++i)
        (*dx)[i] += c1 * std::pow(std::fabs(x[i]), power - 1.0) * (x[i] < 0 ? -1.0 : 1.0);
    } else {
      (*dx)[arg] += lambda * 2.0 * x[arg] / (k * b);
    }
  }
  return q;
}

struct LayerCache {
  std::vector<double> xin, r1, a, q, k, v, att, o, xmid, r2, b, h1, h3, g;
};

std::vector<double> to_double(const float* p, size_t n) { return std::vector<double>(p, p + n); }

}  // namespace

std::string host_llama(const Model& model, HostLlama* out) {
  const ModelConfig& c = model.config();
  out->c = c;
  out->layers.assign(c.n_layers, HostLlama::Layer());
  auto mat = [&](uint32_t kind, uint32_t l, std::vector<double>* dst) {
    const Matrix m = model.matrix(kind, l, kF32);
    if (m.f32 == nullptr) return false;
    *dst = to_double(m.f32, size_t{m.rows} * m.cols);
    return true;
  };
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    HostLlama::Layer& L = out->layers[l];
    L.rms_att = to_double(model.norm(kRmsAtt, l), c.dim);
    L.rms_ffn = to_double(model.norm(kRmsFfn, l), c.dim);
    if (!mat(kWq, l, &L.wq) || !mat(kWk, l, &L.wk) || !mat(kWv, l, &L.wv) || !mat(kWo, l, &L.wo) ||
        !mat(kW1, l, &L.w1) || !mat(kW2, l, &L.w2) || !mat(kW3, l, &L.w3))
      return "cushion tuning needs the fp32 weights (convert with --weights fp32|both)";
  }
  out->rms_final = to_double(model.norm(kRmsFinal, kNoLayer), c.dim);
  if (!mat(kTokenEmbedding, kNoLayer, &out->emb)) return "cushion tuning needs the fp32 weights";
  if (c.shared_classifier) out->wcls = out->emb;
  else if (!mat(kWcls, kNoLayer, &out->wcls)) return "cushion tuning needs the fp32 classifier";
  out->freq.resize(c.head_size / 2);
  for (uint32_t j = 0; j < c.head_size / 2; ++j)
    out->freq[j] = std::exp(-(2.0 * j / c.head_size) * std::log(double{c.rope_theta}));
  return "";
}

void prefix_loss(const HostLlama& m, const PrefixKv& prefix, const std::vector<int32_t>& input,
                 const std::vector<int32_t>& targets, double lambda, PrefixLoss* loss,
                 PrefixKv* grad, std::vector<double>* logits_out, double power) {
  const ModelConfig& c = m.c;
  const uint32_t T = static_cast<uint32_t>(input.size()), P = prefix.length;
  const uint32_t dim = c.dim, kvd = c.kv_dim, hid = c.hidden_dim, hs = c.head_size;
  const uint32_t H = c.n_heads, group = c.n_heads / c.n_kv_heads, V = c.vocab_size, W = P + T;
  const double eps = c.norm_eps, scale = 1.0 / std::sqrt(static_cast<double>(hs));
  auto pk = [&](const PrefixKv& p, bool key, uint32_t l, uint32_t j) {
    return (key ? p.k.data() : p.v.data()) + (size_t{l} * P + j) * kvd;
  };
  auto gk = [&](bool key, uint32_t l, uint32_t j) {
    return (key ? grad->k.data() : grad->v.data()) + (size_t{l} * P + j) * kvd;
  };

  std::vector<double> x(size_t{T} * dim);
  for (uint32_t t = 0; t < T; ++t)
    for (uint32_t i = 0; i < dim; ++i) x[size_t{t} * dim + i] = m.emb[size_t(input[t]) * dim + i];

  std::vector<LayerCache> cache(c.n_layers);
  double quant = 0;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const HostLlama::Layer& w = m.layers[l];
    LayerCache& L = cache[l];
    L.xin = x;
    L.r1.resize(T);
    L.a.resize(size_t{T} * dim);
    L.q.resize(size_t{T} * dim);
    L.k.resize(size_t{T} * kvd);
    L.v.resize(size_t{T} * kvd);
    for (uint32_t t = 0; t < T; ++t) {
      L.r1[t] = rmsnorm(&x[size_t{t} * dim], w.rms_att, &L.a[size_t{t} * dim], dim, eps);
      matvec(w.wq, &L.a[size_t{t} * dim], &L.q[size_t{t} * dim], dim, dim);
      matvec(w.wk, &L.a[size_t{t} * dim], &L.k[size_t{t} * kvd], kvd, dim);
      matvec(w.wv, &L.a[size_t{t} * dim], &L.v[size_t{t} * kvd], kvd, dim);
      rope(&L.q[size_t{t} * dim], dim, hs, P + t, m.freq, false);
      rope(&L.k[size_t{t} * kvd], kvd, hs, P + t, m.freq, false);
    }
    auto key = [&](uint32_t j) { return j < P ? pk(prefix, true, l, j) : &L.k[size_t{j - P} * kvd]; };
    auto val = [&](uint32_t j) { return j < P ? pk(prefix, false, l, j) : &L.v[size_t{j - P} * kvd]; };
    L.att.assign(size_t{T} * H * W, 0.0);
    L.o.assign(size_t{T} * dim, 0.0);
    for (uint32_t t = 0; t < T; ++t) {
      for (uint32_t h = 0; h < H; ++h) {
        const double* q = &L.q[size_t{t} * dim + h * hs];
        const uint32_t off = (h / group) * hs, len = P + t + 1;
        double* p = &L.att[(size_t{t} * H + h) * W];
        double mx = -1e300;
        for (uint32_t j = 0; j < len; ++j) {
          double s = 0;
          for (uint32_t i = 0; i < hs; ++i) s += q[i] * key(j)[off + i];
          p[j] = s * scale;
          mx = std::max(mx, p[j]);
        }
        double sum = 0;
        for (uint32_t j = 0; j < len; ++j) sum += (p[j] = std::exp(p[j] - mx));
        for (uint32_t j = 0; j < len; ++j) p[j] /= sum;
        double* o = &L.o[size_t{t} * dim + h * hs];
        for (uint32_t j = 0; j < len; ++j)
          for (uint32_t i = 0; i < hs; ++i) o[i] += p[j] * val(j)[off + i];
      }
    }
    std::vector<double> y(dim);
    for (uint32_t t = 0; t < T; ++t) {
      matvec(w.wo, &L.o[size_t{t} * dim], y.data(), dim, dim);
      for (uint32_t i = 0; i < dim; ++i) x[size_t{t} * dim + i] += y[i];
    }
    L.xmid = x;
    L.r2.resize(T);
    L.b.resize(size_t{T} * dim);
    L.h1.resize(size_t{T} * hid);
    L.h3.resize(size_t{T} * hid);
    L.g.resize(size_t{T} * hid);
    for (uint32_t t = 0; t < T; ++t) {
      L.r2[t] = rmsnorm(&x[size_t{t} * dim], w.rms_ffn, &L.b[size_t{t} * dim], dim, eps);
      matvec(w.w1, &L.b[size_t{t} * dim], &L.h1[size_t{t} * hid], hid, dim);
      matvec(w.w3, &L.b[size_t{t} * dim], &L.h3[size_t{t} * hid], hid, dim);
      for (uint32_t i = 0; i < hid; ++i) {
        const double z = L.h1[size_t{t} * hid + i];
        L.g[size_t{t} * hid + i] = z / (1.0 + std::exp(-z)) * L.h3[size_t{t} * hid + i];
      }
      matvec(w.w2, &L.g[size_t{t} * hid], y.data(), dim, hid);
      for (uint32_t i = 0; i < dim; ++i) x[size_t{t} * dim + i] += y[i];
    }
    quant += site_quant(L.a, power, 0, nullptr) + site_quant(L.o, power, 0, nullptr) +
             site_quant(L.b, power, 0, nullptr) + site_quant(L.g, power, 0, nullptr);
  }
  std::vector<double> rf(T), f(size_t{T} * dim), logits(size_t{T} * V);
  double nll = 0;
  for (uint32_t t = 0; t < T; ++t) {
    rf[t] = rmsnorm(&x[size_t{t} * dim], m.rms_final, &f[size_t{t} * dim], dim, eps);
    double* lg = &logits[size_t{t} * V];
    matvec(m.wcls, &f[size_t{t} * dim], lg, V, dim);
    double mx = lg[0];
    for (uint32_t j = 1; j < V; ++j) mx = std::max(mx, lg[j]);
    double sum = 0;
    for (uint32_t j = 0; j < V; ++j) sum += std::exp(lg[j] - mx);
    nll += mx + std::log(sum) - lg[targets[t]];
  }
  quant += site_quant(f, power, 0, nullptr);
  loss->lm = nll / T;
  loss->quant = quant;
  loss->total = loss->lm + lambda * quant;
  if (logits_out) *logits_out = logits;
  if (grad == nullptr) return;

  // Backward: d(total)/d(prefix K, V).
  std::vector<double> df(size_t{T} * dim, 0.0), dx(size_t{T} * dim, 0.0);
  for (uint32_t t = 0; t < T; ++t) {
    double* lg = &logits[size_t{t} * V];
    double mx = lg[0];
    for (uint32_t j = 1; j < V; ++j) mx = std::max(mx, lg[j]);
    double sum = 0;
    for (uint32_t j = 0; j < V; ++j) sum += (lg[j] = std::exp(lg[j] - mx));
    for (uint32_t j = 0; j < V; ++j) lg[j] = lg[j] / sum / T;  // d(mean NLL)/d logits
    lg[targets[t]] -= 1.0 / T;
    matvec_t_add(m.wcls, lg, &df[size_t{t} * dim], V, dim);
  }
  site_quant(f, power, lambda, &df);
  for (uint32_t t = 0; t < T; ++t)
    rmsnorm_back(&x[size_t{t} * dim], m.rms_final, rf[t], &df[size_t{t} * dim], &dx[size_t{t} * dim], dim);

  for (uint32_t l = c.n_layers; l-- > 0;) {
    const HostLlama::Layer& w = m.layers[l];
    const LayerCache& L = cache[l];
    // Feed-forward block.
    std::vector<double> dg(size_t{T} * hid, 0.0), db(size_t{T} * dim, 0.0);
    for (uint32_t t = 0; t < T; ++t) matvec_t_add(w.w2, &dx[size_t{t} * dim], &dg[size_t{t} * hid], dim, hid);
    site_quant(L.g, power, lambda, &dg);
    std::vector<double> dh1(hid), dh3(hid);
    for (uint32_t t = 0; t < T; ++t) {
      for (uint32_t i = 0; i < hid; ++i) {
        const size_t at = size_t{t} * hid + i;
        const double z = L.h1[at], sg = 1.0 / (1.0 + std::exp(-z));
        dh1[i] = dg[at] * L.h3[at] * sg * (1.0 + z * (1.0 - sg));
        dh3[i] = dg[at] * z * sg;
      }
      matvec_t_add(w.w1, dh1.data(), &db[size_t{t} * dim], hid, dim);
      matvec_t_add(w.w3, dh3.data(), &db[size_t{t} * dim], hid, dim);
    }
    site_quant(L.b, power, lambda, &db);
    for (uint32_t t = 0; t < T; ++t)
      rmsnorm_back(&L.xmid[size_t{t} * dim], w.rms_ffn, L.r2[t], &db[size_t{t} * dim], &dx[size_t{t} * dim], dim);

    // Attention block.
    std::vector<double> dout(size_t{T} * dim, 0.0);
    for (uint32_t t = 0; t < T; ++t) matvec_t_add(w.wo, &dx[size_t{t} * dim], &dout[size_t{t} * dim], dim, dim);
    site_quant(L.o, power, lambda, &dout);
    std::vector<double> dq(size_t{T} * dim, 0.0), dk(size_t{T} * kvd, 0.0), dv(size_t{T} * kvd, 0.0);
    std::vector<double> dp(W);
    for (uint32_t t = 0; t < T; ++t) {
      for (uint32_t h = 0; h < H; ++h) {
        const uint32_t off = (h / group) * hs, len = P + t + 1;
        const double* p = &L.att[(size_t{t} * H + h) * W];
        const double* q = &L.q[size_t{t} * dim + h * hs];
        const double* d_o = &dout[size_t{t} * dim + h * hs];
        double dot = 0;
        for (uint32_t j = 0; j < len; ++j) {
          const double* vj = j < P ? pk(prefix, false, l, j) : &L.v[size_t{j - P} * kvd];
          double* dvj = j < P ? gk(false, l, j) : &dv[size_t{j - P} * kvd];
          double s = 0;
          for (uint32_t i = 0; i < hs; ++i) {
            s += d_o[i] * vj[off + i];
            dvj[off + i] += p[j] * d_o[i];
          }
          dp[j] = s;
          dot += p[j] * s;
        }
        for (uint32_t j = 0; j < len; ++j) {
          const double ds = p[j] * (dp[j] - dot) * scale;
          const double* kj = j < P ? pk(prefix, true, l, j) : &L.k[size_t{j - P} * kvd];
          double* dkj = j < P ? gk(true, l, j) : &dk[size_t{j - P} * kvd];
          for (uint32_t i = 0; i < hs; ++i) {
            dq[size_t{t} * dim + h * hs + i] += ds * kj[off + i];
            dkj[off + i] += ds * q[i];
          }
        }
      }
    }
    std::vector<double> da(size_t{T} * dim, 0.0);
    for (uint32_t t = 0; t < T; ++t) {
      rope(&dq[size_t{t} * dim], dim, hs, P + t, m.freq, true);
      rope(&dk[size_t{t} * kvd], kvd, hs, P + t, m.freq, true);
      matvec_t_add(w.wq, &dq[size_t{t} * dim], &da[size_t{t} * dim], dim, dim);
      matvec_t_add(w.wk, &dk[size_t{t} * kvd], &da[size_t{t} * dim], kvd, dim);
      matvec_t_add(w.wv, &dv[size_t{t} * kvd], &da[size_t{t} * dim], kvd, dim);
    }
    site_quant(L.a, power, lambda, &da);
    for (uint32_t t = 0; t < T; ++t)
      rmsnorm_back(&L.xin[size_t{t} * dim], w.rms_att, L.r1[t], &da[size_t{t} * dim], &dx[size_t{t} * dim], dim);
  }
}

std::string tune_cushion(const Model& model, const std::vector<std::vector<int32_t>>& samples,
                         const TuneOptions& o, CushionKv* kv, PrefixLoss* first, PrefixLoss* last) {
  if (samples.empty()) return "no calibration samples";
  if (kv->length() == 0) return "the model has no cushion to tune (run sinkq cushion search first)";
  HostLlama m;
  std::string err = host_llama(model, &m);
  if (!err.empty()) return err;
  const int32_t bos = model.config().bos_id;
  PrefixKv p;
  p.length = kv->length();
  p.k.assign(kv->k.begin(), kv->k.end());
  p.v.assign(kv->v.begin(), kv->v.end());
  const size_t n = p.k.size();
  std::vector<double> m1(2 * n, 0.0), m2(2 * n, 0.0);
  const uint32_t threads = std::max(1u, std::min<uint32_t>(o.threads, static_cast<uint32_t>(samples.size())));

  // Loss and gradient averaged over the samples (grad null: loss only).
  auto evaluate = [&](PrefixLoss* avg, PrefixKv* grad) {
    std::vector<PrefixKv> grads(threads);
    std::vector<PrefixLoss> sums(threads);
    auto work = [&](uint32_t id) {
      grads[id].length = p.length;
      grads[id].k.assign(n, 0.0);
      grads[id].v.assign(n, 0.0);
      for (size_t s = id; s < samples.size(); s += threads) {
        std::vector<int32_t> input = {bos};
        input.insert(input.end(), samples[s].begin(), samples[s].end() - 1);
        PrefixLoss l;
        prefix_loss(m, p, input, samples[s], o.lambda, &l, grad ? &grads[id] : nullptr, nullptr,
                    o.power);
        sums[id].lm += l.lm;
        sums[id].quant += l.quant;
        sums[id].total += l.total;
      }
    };
    std::vector<std::thread> pool;
    for (uint32_t i = 1; i < threads; ++i) pool.emplace_back(work, i);
    work(0);
    for (auto& t : pool) t.join();
    *avg = PrefixLoss();
    const double inv = 1.0 / samples.size();
    for (uint32_t i = 0; i < threads; ++i) {
      avg->lm += sums[i].lm * inv;
      avg->quant += sums[i].quant * inv;
      avg->total += sums[i].total * inv;
      if (grad == nullptr) continue;
      for (size_t j = 0; j < n; ++j) {
        grad->k[j] += grads[i].k[j] * inv;
        grad->v[j] += grads[i].v[j] * inv;
      }
    }
  };

  const double b1 = 0.9, b2 = 0.999, adam_eps = 1e-8;
  for (uint32_t step = 1; step <= o.steps; ++step) {
    PrefixKv g;
    g.length = p.length;
    g.k.assign(n, 0.0);
    g.v.assign(n, 0.0);
    PrefixLoss l;
    evaluate(&l, &g);
    if (step == 1 && first) *first = l;
    if (o.progress) o.progress(step, l);
    const double c1 = 1.0 - std::pow(b1, step), c2 = 1.0 - std::pow(b2, step);
    for (size_t j = 0; j < 2 * n; ++j) {
      double& w = j < n ? p.k[j] : p.v[j - n];
      const double gj = j < n ? g.k[j] : g.v[j - n];
      m1[j] = b1 * m1[j] + (1 - b1) * gj;
      m2[j] = b2 * m2[j] + (1 - b2) * gj * gj;
      w -= o.lr * (m1[j] / c1) / (std::sqrt(m2[j] / c2) + adam_eps);
    }
  }
  PrefixLoss end;
  evaluate(&end, nullptr);
  if (last) *last = end;
  if (o.steps == 0 && first) *first = end;
  for (size_t j = 0; j < n; ++j) {
    kv->k[j] = static_cast<float>(p.k[j]);
    kv->v[j] = static_cast<float>(p.v[j]);
    if (!std::isfinite(kv->k[j]) || !std::isfinite(kv->v[j])) return "tuning diverged (lower --lr)";
  }
  kv->tuned = true;
  return "";
}

}  // namespace host
}  // namespace sinkq
