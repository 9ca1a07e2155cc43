#include "reference_llama.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "host/io.h"
#include "test_util.h"

namespace sinkq {
namespace test {

namespace {
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

// RoPE on adjacent pairs of every head of x, for position pos.
void ref_rope(std::vector<double>* x, int hs, double pos) {
  for (size_t i = 0; i < x->size(); i += 2) {
    const double freq = std::pow(10000.0, -static_cast<double>(i % hs) / hs);
    const double c = std::cos(pos * freq), s = std::sin(pos * freq);
    const double a = (*x)[i], b = (*x)[i + 1];
    (*x)[i] = a * c - b * s;
    (*x)[i + 1] = a * s + b * c;
  }
}

}  // namespace

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

// Logits after every token of `tokens`.
std::vector<std::vector<double>> ref_logits(const RefModel& m, const std::vector<int32_t>& tokens,
                                            const SiteHook& hook, const Attends& attends) {
  const int D = m.dim, H = m.hidden, hs = D / m.heads, KV = hs * m.kv_heads;
  const int group = m.heads / m.kv_heads;
  std::vector<std::vector<std::vector<double>>> kc(m.layers), vc(m.layers);
  std::vector<std::vector<double>> out;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    std::vector<double> x(m.emb.begin() + tokens[pos] * D, m.emb.begin() + (tokens[pos] + 1) * D);
    for (int l = 0; l < m.layers; ++l) {
      std::vector<double> xb = ref_rmsnorm(x, &m.rms_att[l * D]), q, k, v;
      if (hook) hook(l, 0, &xb);
      ref_matvec(&m.wq[static_cast<size_t>(l) * D * D], xb, &q, D, D);
      ref_matvec(&m.wk[static_cast<size_t>(l) * KV * D], xb, &k, KV, D);
      ref_matvec(&m.wv[static_cast<size_t>(l) * KV * D], xb, &v, KV, D);
      ref_rope(&q, hs, static_cast<double>(pos));
      kc[l].push_back(k);  // before RoPE: rotated where it is read
      vc[l].push_back(v);
      // (key index, position) pairs: the attended keys, then the token itself.
      std::vector<std::pair<int, int>> keys;
      if (attends) {
        keys = attends(static_cast<int>(pos));
      } else {
        for (size_t p = 0; p < pos; ++p) keys.emplace_back(static_cast<int>(p), static_cast<int>(p));
      }
      keys.emplace_back(static_cast<int>(pos), static_cast<int>(pos));
      std::vector<std::vector<double>> rotated;
      for (const auto& kp : keys) {
        rotated.push_back(kc[l][kp.first]);
        ref_rope(&rotated.back(), hs, kp.second);
      }
      std::vector<double> att_out(D, 0.0);
      for (int h = 0; h < m.heads; ++h) {
        const int kh = h / group;
        std::vector<double> a(keys.size());
        double mx = -1e300;
        for (size_t j = 0; j < keys.size(); ++j) {
          double s = 0;
          for (int i = 0; i < hs; ++i) s += q[h * hs + i] * rotated[j][kh * hs + i];
          a[j] = s / std::sqrt(static_cast<double>(hs));
          mx = std::max(mx, a[j]);
        }
        double sum = 0;
        for (double& e : a) sum += (e = std::exp(e - mx));
        for (size_t j = 0; j < keys.size(); ++j)
          for (int i = 0; i < hs; ++i)
            att_out[h * hs + i] += a[j] / sum * vc[l][keys[j].first][kh * hs + i];
      }
      if (hook) hook(l, 1, &att_out);
      std::vector<double> o;
      ref_matvec(&m.wo[static_cast<size_t>(l) * D * D], att_out, &o, D, D);
      for (int i = 0; i < D; ++i) x[i] += o[i];
      xb = ref_rmsnorm(x, &m.rms_ffn[l * D]);
      if (hook) hook(l, 2, &xb);
      std::vector<double> h1, h3, f;
      ref_matvec(&m.w1[static_cast<size_t>(l) * H * D], xb, &h1, H, D);
      ref_matvec(&m.w3[static_cast<size_t>(l) * H * D], xb, &h3, H, D);
      for (int i = 0; i < H; ++i) h1[i] = h1[i] / (1.0 + std::exp(-h1[i])) * h3[i];
      if (hook) hook(l, 3, &h1);
      ref_matvec(&m.w2[static_cast<size_t>(l) * D * H], h1, &f, D, H);
      for (int i = 0; i < D; ++i) x[i] += f[i];
    }
    std::vector<double> xf = ref_rmsnorm(x, m.rms_final.data()), logits;
    if (hook) hook(m.layers, 0, &xf);
    ref_matvec(m.emb.data(), xf, &logits, m.vocab, D);  // shared classifier
    out.push_back(logits);
  }
  return out;
}

double fake_quant(double x, double scale) {
  const double q = std::nearbyint(x / scale);  // ties to even
  return std::max(-127.0, std::min(127.0, q)) * scale;
}

}  // namespace test
}  // namespace sinkq
