#include "cushion.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "io.h"
#include "sinkq/quant.h"

namespace sinkq {
namespace host {

using namespace format;

namespace {

class KvRecorder : public Observer {
 public:
  KvRecorder(uint32_t layers, uint32_t length, uint32_t kv_dim, CushionKv* out)
      : length_(length), kv_dim_(kv_dim), out_(out) {
    out->k.assign(size_t{layers} * length * kv_dim, 0.f);
    out->v.assign(out->k.size(), 0.f);
  }
  void on_kv(uint32_t layer, const float* k, const float* v, uint32_t n, uint32_t kv_dim,
             uint32_t first_pos) override {
    for (uint32_t t = 0; t < n; ++t) {
      const size_t at = (size_t{layer} * length_ + first_pos + t) * kv_dim_;
      std::memcpy(out_->k.data() + at, k + size_t{t} * kv_dim, kv_dim * sizeof(float));
      std::memcpy(out_->v.data() + at, v + size_t{t} * kv_dim, kv_dim * sizeof(float));
    }
  }

 private:
  uint32_t length_, kv_dim_;
  CushionKv* out_;
};

// Site activations of the positions at or after `start`, per site.
class SiteCollector : public Observer {
 public:
  explicit SiteCollector(uint32_t layers) : values(size_t{layers} * kSitesPerLayer + 1) {}
  void on_site(uint32_t layer, Site site, const float* x, uint32_t n, uint32_t cols,
               uint32_t first_pos) override {
    const size_t idx = size_t{layer} * kSitesPerLayer + (site == kSiteClassifierIn ? 0u : site);
    std::vector<float>& v = values[idx];
    for (uint32_t t = 0; t < n; ++t)
      if (first_pos + t >= start) v.insert(v.end(), x + size_t{t} * cols, x + size_t{t + 1} * cols);
  }
  void clear() {
    for (auto& v : values) v.clear();
  }
  uint32_t start = 0;
  std::vector<std::vector<float>> values;
};

double objective_of(const std::vector<std::vector<float>>& sites, CushionObjective o) {
  double total = 0;
  for (const std::vector<float>& v : sites) {
    if (v.empty()) continue;
    float mx = 0.f;
    for (float x : v) mx = std::max(mx, std::fabs(x));
    if (o == CushionObjective::kMaxAbs) {
      total += mx;
      continue;
    }
    if (!(mx > 0.f)) continue;
    const double s = mx / 127.0;
    double err = 0, sig = 0;
    for (float x : v) {
      const double q = s * std::nearbyint(x / s);  // ties to even; |x / s| <= 127
      err += (x - q) * (x - q);
      sig += double{x} * x;
    }
    total += err / sig;
  }
  return total;
}

// One fp32 session sized for the longest [prefix, BOS, sample].
class Scorer {
 public:
  Scorer(const Model& model, uint32_t max_prefix, const std::vector<std::vector<int32_t>>& samples)
      : model_(model), samples_(samples), collector_(model.config().n_layers) {
    size_t longest = 0;
    for (const auto& s : samples) longest = std::max(longest, s.size());
    opt_.context = static_cast<uint32_t>(std::min<size_t>(max_prefix + longest + 1,
                                                          model.config().max_seq_len));
    opt_.batch = 16;
    opt_.kv.use_cushion = false;
  }
  std::string init() {
    size_t need = 0;
    Status st = Session::required_bytes(model_, opt_, &need);
    if (st != Status::kOk) return std::string("session: ") + status_message(st);
    arena_.resize(need);
    st = session_.init(model_, opt_, arena_.data(), need);
    if (st != Status::kOk) return std::string("session: ") + status_message(st);
    session_.set_observer(&collector_);
    return "";
  }
  std::string score(const std::vector<int32_t>& prefix, CushionObjective o, double* out) {
    collector_.clear();
    collector_.start = static_cast<uint32_t>(prefix.size());
    std::vector<int32_t> seq;
    for (const auto& sample : samples_) {
      seq = prefix;
      seq.push_back(model_.config().bos_id);
      seq.insert(seq.end(), sample.begin(), sample.end());
      if (seq.size() > opt_.context) seq.resize(opt_.context);
      session_.reset();
      const Status st = session_.prefill(seq.data(), seq.size());
      if (st != Status::kOk) return std::string("forward: ") + status_message(st);
    }
    *out = objective_of(collector_.values, o);
    return "";
  }

 private:
  const Model& model_;
  const std::vector<std::vector<int32_t>>& samples_;
  SessionOptions opt_;
  AlignedBuffer arena_;
  Session session_;
  SiteCollector collector_;
};

}  // namespace

std::string cushion_kv(const Model& model, const std::vector<int32_t>& tokens, CushionKv* out) {
  const ModelConfig& c = model.config();
  if (tokens.empty() || tokens.size() > kMaxCushion || tokens.size() >= c.max_seq_len)
    return "a cushion has 1 to " + std::to_string(kMaxCushion) + " tokens";
  SessionOptions opt;
  opt.context = static_cast<uint32_t>(tokens.size());
  opt.batch = opt.context;
  opt.kv.use_cushion = false;
  size_t need = 0;
  Status st = Session::required_bytes(model, opt, &need);
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  AlignedBuffer arena(need);
  Session s;
  st = s.init(model, opt, arena.data(), need);
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  out->tokens = tokens;
  out->tuned = false;
  KvRecorder rec(c.n_layers, opt.context, c.kv_dim, out);
  s.set_observer(&rec);
  st = s.prefill(tokens.data(), tokens.size());
  if (st != Status::kOk) return std::string("forward: ") + status_message(st);
  return "";
}

CushionKv model_cushion(const Model& model) {
  CushionKv kv;
  const uint32_t p = model.cushion_length();
  if (p == 0) return kv;
  const ModelConfig& c = model.config();
  kv.tokens.assign(model.cushion_tokens(), model.cushion_tokens() + p);
  const uint8_t* data;
  uint64_t size;
  model.section(kSectionCushion, &data, &size);
  CushionHeader h;
  std::memcpy(&h, data, sizeof h);
  kv.tuned = h.tuned != 0;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    kv.k.insert(kv.k.end(), model.cushion_key(l), model.cushion_key(l) + size_t{p} * c.kv_dim);
    kv.v.insert(kv.v.end(), model.cushion_value(l), model.cushion_value(l) + size_t{p} * c.kv_dim);
  }
  return kv;
}

Section cushion_section(const ModelConfig& c, const CushionKv& kv) {
  CushionHeader h{};
  h.n_layers = c.n_layers;
  h.kv_dim = c.kv_dim;
  h.length = kv.length();
  h.tuned = kv.tuned ? 1 : 0;
  h.kv_offset = cushion_kv_offset(h.length);
  Section s;
  s.kind = kSectionCushion;
  s.version = 1;
  s.bytes.assign(h.kv_offset + (kv.k.size() + kv.v.size()) * sizeof(float), 0);
  std::memcpy(s.bytes.data(), &h, sizeof h);
  std::memcpy(s.bytes.data() + sizeof h, kv.tokens.data(), kv.tokens.size() * 4);
  std::memcpy(s.bytes.data() + h.kv_offset, kv.k.data(), kv.k.size() * 4);
  std::memcpy(s.bytes.data() + h.kv_offset + kv.k.size() * 4, kv.v.data(), kv.v.size() * 4);
  return s;
}

std::vector<uint8_t> with_cushion(const Model& model, const CushionKv& kv) {
  std::vector<Section> sections = read_sections(model.base(), model.size());
  put_section(&sections, cushion_section(model.config(), kv));
  return write_sqm(sections);
}

std::vector<std::vector<int32_t>> calibration_samples(const std::vector<int32_t>& ids,
                                                      uint32_t samples, uint32_t sample_len) {
  std::vector<std::vector<int32_t>> out;
  if (samples == 0 || sample_len == 0 || ids.size() < sample_len) return out;
  const size_t room = ids.size() - sample_len;
  for (uint32_t i = 0; i < samples; ++i) {
    const size_t at = samples == 1 ? 0 : room * i / (samples - 1);
    out.emplace_back(ids.begin() + static_cast<long>(at), ids.begin() + static_cast<long>(at + sample_len));
  }
  return out;
}

std::string cushion_score(const Model& model, const std::vector<int32_t>& prefix,
                          const std::vector<std::vector<int32_t>>& samples,
                          CushionObjective objective, double* score) {
  Scorer s(model, static_cast<uint32_t>(prefix.size()), samples);
  std::string err = s.init();
  if (!err.empty()) return err;
  return s.score(prefix, objective, score);
}

std::string cushion_search(const Model& model, const std::vector<std::vector<int32_t>>& samples,
                           const CushionSearchOptions& o, CushionSearchResult* out) {
  const ModelConfig& c = model.config();
  if (samples.empty()) return "no calibration samples";
  if (o.max_length == 0 || o.max_length > kMaxCushion) return "the maximum length must be in [1, 64]";
  std::vector<int32_t> candidates = o.candidates;
  if (candidates.empty())
    for (uint32_t t = 0; t < c.vocab_size; ++t) candidates.push_back(static_cast<int32_t>(t));
  for (int32_t t : candidates)
    if (t < 0 || static_cast<uint32_t>(t) >= c.vocab_size) return "candidate token out of range";
  const uint32_t threads = std::max(1u, o.threads);
  std::vector<std::unique_ptr<Scorer>> scorers;
  for (uint32_t i = 0; i < threads; ++i) {
    scorers.push_back(std::make_unique<Scorer>(model, o.max_length, samples));
    std::string err = scorers.back()->init();
    if (!err.empty()) return err;
  }
  out->tokens = {c.bos_id};
  out->scores.clear();
  std::string err = scorers[0]->score({}, o.objective, &out->no_prefix_score);
  if (!err.empty()) return err;
  double current = 0;
  err = scorers[0]->score(out->tokens, o.objective, &current);
  if (!err.empty()) return err;
  out->scores.push_back(current);

  while (out->tokens.size() < o.max_length) {
    std::vector<double> scores(candidates.size(), 0.0);
    std::atomic<size_t> next{0}, done{0};
    std::mutex mu;
    std::string first_error;
    double best_so_far = current;
    const auto t0 = std::chrono::steady_clock::now();
    auto work = [&](Scorer* s) {
      std::vector<int32_t> prefix = out->tokens;
      prefix.push_back(0);
      for (size_t i; (i = next.fetch_add(1)) < candidates.size();) {
        prefix.back() = candidates[i];
        double v = 0;
        std::string e = s->score(prefix, o.objective, &v);
        std::lock_guard<std::mutex> lock(mu);
        if (!e.empty() && first_error.empty()) first_error = e;
        scores[i] = v;
        best_so_far = std::min(best_so_far, v);
        const size_t d = ++done;
        if (o.progress && (d % 16 == 0 || d == candidates.size())) {
          const double secs =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          o.progress(static_cast<uint32_t>(out->tokens.size() + 1), d, candidates.size(),
                     d / (secs + 1e-9), best_so_far);
        }
      }
    };
    std::vector<std::thread> pool;
    for (uint32_t i = 1; i < threads; ++i) pool.emplace_back(work, scorers[i].get());
    work(scorers[0].get());
    for (auto& t : pool) t.join();
    if (!first_error.empty()) return first_error;
    size_t best = 0;
    for (size_t i = 1; i < scores.size(); ++i)
      if (scores[i] < scores[best]) best = i;  // ties: the earlier candidate
    if (!(scores[best] < current)) break;     // no candidate improves: stop
    current = scores[best];
    out->tokens.push_back(candidates[best]);
    out->scores.push_back(current);
  }
  return "";
}

std::vector<int32_t> frequent_tokens(const std::vector<int32_t>& ids, uint32_t vocab, uint32_t n) {
  std::vector<size_t> count(vocab, 0);
  for (int32_t t : ids)
    if (t >= 0 && static_cast<uint32_t>(t) < vocab) ++count[static_cast<size_t>(t)];
  std::vector<int32_t> order(vocab);
  for (uint32_t i = 0; i < vocab; ++i) order[i] = static_cast<int32_t>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return count[static_cast<size_t>(a)] > count[static_cast<size_t>(b)]; });
  order.resize(std::min<size_t>(n, vocab));
  return order;
}

}  // namespace host
}  // namespace sinkq
