#include "sink_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io.h"
#include "text_eval.h"

namespace sinkq {
namespace host {

namespace {

class Recorder : public Observer {
 public:
  Recorder(const ModelConfig& c, uint32_t window, const SinkTruthOptions& t, bool keep)
      : c_(c), T_(window), truth_(t), keep_(keep) {}
  void start(SinkWindow* w) {
    w_ = w;
    sum_.assign(size_t{c_.n_layers} * c_.n_heads * T_, 0.0);
    if (keep_) w_->residual.assign(size_t{c_.n_layers} * T_ * c_.dim, 0.f);
  }
  void on_residual(uint32_t l, const float* x, uint32_t n, uint32_t dim, uint32_t first) override {
    if (!keep_) return;
    std::memcpy(&w_->residual[(size_t{l} * T_ + first) * c_.dim], x, size_t{n} * dim * sizeof(float));
  }
  void on_attention(uint32_t l, uint32_t h, uint32_t pos, const float* p, uint32_t len) override {
    double* s = &sum_[(size_t{l} * c_.n_heads + h) * T_];
    for (uint32_t i = 0; i + truth_.delay <= pos; ++i) s[i] += double(p[i]) * len;
  }
  // received(i) over the m positions of the window.
  void finish(uint32_t m) {
    w_->received.assign(m, 0.f);
    w_->judged = m > truth_.delay + truth_.min_queries ? m - truth_.delay - truth_.min_queries + 1 : 0;
    for (uint32_t i = 0; i < m; ++i) {
      const uint32_t queries = m > i + truth_.delay ? m - i - truth_.delay : 0;
      if (queries == 0) continue;
      double best = 0;
      for (size_t lh = 0; lh < size_t{c_.n_layers} * c_.n_heads; ++lh)
        best = std::max(best, sum_[lh * T_ + i] / queries);
      w_->received[i] = static_cast<float>(best);
    }
  }

 private:
  const ModelConfig& c_;
  uint32_t T_;
  SinkTruthOptions truth_;
  bool keep_;
  SinkWindow* w_ = nullptr;
  std::vector<double> sum_;
};

}  // namespace

std::string collect_sink_windows(const Model& m, const SessionOptions& opt_in, const std::string& text,
                                 const SinkTruthOptions& truth, bool keep_residual,
                                 std::vector<SinkWindow>* out) {
  std::vector<int32_t> ids;
  std::string err = encode_text(m, text, &ids);
  if (!err.empty()) return err;
  SessionOptions opt = opt_in;
  opt.all_logits = false;
  // Sinks are judged among the text's own positions 0..T-1: no cushion.
  opt.kv.use_cushion = false;
  size_t need = 0;
  Status st = Session::required_bytes(m, opt, &need);
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  AlignedBuffer arena(need);
  Session s;
  st = s.init(m, opt, arena.data(), arena.size());
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  const uint32_t T = s.context();
  Recorder rec(m.config(), T, truth, keep_residual);
  s.set_observer(&rec);
  out->clear();
  for (size_t at = 0; at < ids.size(); at += T) {
    const uint32_t len = static_cast<uint32_t>(std::min<size_t>(T, ids.size() - at));
    out->emplace_back();
    SinkWindow& w = out->back();
    w.tokens.assign(1, m.config().bos_id);
    w.tokens.insert(w.tokens.end(), ids.begin() + at, ids.begin() + at + len - 1);
    rec.start(&w);
    s.reset();
    st = s.prefill(w.tokens.data(), w.tokens.size());
    if (st != Status::kOk) return std::string("prefill: ") + status_message(st);
    rec.finish(len);
    w.slot.resize(len);
    for (uint32_t i = 0; i < len; ++i) w.slot[i] = s.sink_slot(i);
  }
  return "";
}

Confusion score_sinks(const std::vector<SinkWindow>& ws, double ratio, uint32_t pfn) {
  Confusion c;
  for (const SinkWindow& w : ws) {
    for (uint32_t i = 0; i < w.judged; ++i) {
      const bool truth = w.received[i] >= ratio;
      const bool pred = pfn ? i < pfn : w.slot[i] >= 0;
      c.tp += truth && pred;
      c.fp += !truth && pred;
      c.fn += truth && !pred;
    }
  }
  return c;
}

namespace {

struct Sample {
  const float* x;  // the residual row at the layer being fitted
  bool sink;
};

struct LayerFit {
  std::vector<format::SinkChannel> channels;
  Confusion confusion;
};

LayerFit fit_layer(const std::vector<Sample>& s, uint32_t dim, uint32_t max_channels) {
  LayerFit fit;
  size_t positives = 0;
  for (const Sample& x : s) positives += x.sink;
  std::vector<char> pred(s.size(), 0);
  fit.confusion.fn = positives;
  std::vector<size_t> order(s.size());
  for (uint32_t step = 0; step < max_channels; ++step) {
    Confusion best = fit.confusion;
    format::SinkChannel best_ch{dim, 0.f};
    for (uint32_t c = 0; c < dim; ++c) {
      bool used = false;
      for (const auto& ch : fit.channels) used |= ch.channel == c;
      if (used) continue;
      auto mag = [&](size_t k) { return std::fabs(s[k].x[c]); };
      for (size_t k = 0; k < s.size(); ++k) order[k] = k;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mag(a) > mag(b); });
      Confusion cur = fit.confusion;
      for (size_t r = 0; r < order.size(); ++r) {
        const size_t k = order[r];
        if (!pred[k]) {
          if (s[k].sink) {
            ++cur.tp;
            --cur.fn;
          } else {
            ++cur.fp;
          }
        }
        // Thresholds only between distinct values.
        if (r + 1 < order.size() && mag(order[r + 1]) == mag(k)) continue;
        if (cur.f1() > best.f1()) {
          best = cur;
          const float below = r + 1 < order.size() ? mag(order[r + 1]) : 0.f;
          best_ch = {c, 0.5f * (mag(k) + below)};
        }
      }
    }
    if (best_ch.channel == dim || !(best_ch.threshold > 0.f)) break;
    fit.channels.push_back(best_ch);
    fit.confusion = best;
    for (size_t k = 0; k < s.size(); ++k)
      pred[k] |= std::fabs(s[k].x[best_ch.channel]) > best_ch.threshold;
  }
  return fit;
}

}  // namespace

bool fit_sink_predictor(const std::vector<SinkWindow>& ws, uint32_t layers, uint32_t dim,
                        double ratio, uint32_t max_channels, FittedPredictor* out) {
  std::vector<LayerFit> fits;
  double best = 0;
  for (uint32_t l = 0; l < layers; ++l) {
    std::vector<Sample> s;
    for (const SinkWindow& w : ws) {
      const uint32_t T = static_cast<uint32_t>(w.residual.size() / (size_t{layers} * dim));
      for (uint32_t i = 0; i < w.judged; ++i)
        s.push_back({&w.residual[(size_t{l} * T + i) * dim], w.received[i] >= ratio});
    }
    fits.push_back(fit_layer(s, dim, max_channels));
    best = std::max(best, fits.back().confusion.f1());
  }
  if (best <= 0) return false;
  out->per_layer.clear();
  for (const LayerFit& f : fits) out->per_layer.push_back(f.confusion);
  for (uint32_t l = 0; l < layers; ++l) {
    if (fits[l].confusion.f1() >= best - 0.01) {
      out->layer = l;
      out->channels = fits[l].channels;
      out->confusion = fits[l].confusion;
      return true;
    }
  }
  return false;
}

std::vector<uint8_t> sink_predictor_section(const FittedPredictor& p, uint32_t layers,
                                            uint32_t dim, uint32_t calib_tokens, double ratio) {
  format::SinkPredictorHeader h{};
  h.n_layers = layers;
  h.dim = dim;
  h.layer = p.layer;
  h.n_channels = static_cast<uint32_t>(p.channels.size());
  h.calib_tokens = calib_tokens;
  h.attention_ratio = static_cast<float>(ratio);
  std::vector<uint8_t> b(sizeof h + p.channels.size() * sizeof(format::SinkChannel));
  std::memcpy(b.data(), &h, sizeof h);
  if (!p.channels.empty())
    std::memcpy(b.data() + sizeof h, p.channels.data(), p.channels.size() * sizeof(format::SinkChannel));
  return b;
}

}  // namespace host
}  // namespace sinkq
