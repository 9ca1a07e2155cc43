#include "calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io.h"
#include "sinkq/session.h"
#include "text_eval.h"

namespace sinkq {
namespace host {

namespace {

// Keeps every |x| per site (the calibration slice is small: about 15 KB of
// text gives some 10^7 values for stories260K) so percentiles are exact.
class SiteRecorder : public Observer {
 public:
  explicit SiteRecorder(uint32_t n_layers) : values_((n_layers + 1) * kSitesPerLayer) {}
  void on_site(uint32_t layer, Site site, const float* x, uint32_t n, uint32_t cols,
               uint32_t first_pos) override {
    (void)first_pos;
    const uint32_t idx = layer * kSitesPerLayer + (site == kSiteClassifierIn ? 0u : static_cast<uint32_t>(site));
    std::vector<float>& v = values_[idx];
    for (size_t i = 0; i < size_t{n} * cols; ++i) v.push_back(std::fabs(x[i]));
  }
  std::vector<std::vector<float>>& values() { return values_; }

 private:
  std::vector<std::vector<float>> values_;
};

}  // namespace

std::string calibrate(const Model& model, const std::string& text, const CalibrationOptions& o,
                      CalibrationResult* out) {
  const ModelConfig& c = model.config();
  if (text.empty()) return "calibration text is empty";
  if (o.context < 2 || o.context > c.max_seq_len)
    return "calibration context must be in [2, " + std::to_string(c.max_seq_len) + "]";
  if (o.method == format::kCalibPercentile && !(o.percentile > 0 && o.percentile <= 100))
    return "percentile must be in (0, 100]";
  std::vector<int32_t> ids;
  std::string err = encode_text(model, text, &ids);
  if (!err.empty()) return err;
  if (ids.size() < o.context)
    return "calibration text has " + std::to_string(ids.size()) +
           " tokens, fewer than one context of " + std::to_string(o.context) +
           " (give more text or a smaller --ctx)";

  SessionOptions opt;
  opt.context = o.context;
  opt.batch = 16;
  opt.all_logits = true;
  opt.quant = QuantMode::kFp32;
  out->fp32_model = true;
  size_t need = 0;
  if (Session::required_bytes(model, opt, &need) != Status::kOk) {
    // An int8-only file: per-token dynamic activations are the closest to fp32.
    opt.quant = QuantMode::kW8A8DynToken;
    out->fp32_model = false;
    Status st = Session::required_bytes(model, opt, &need);
    if (st != Status::kOk) return std::string("cannot run the model: ") + status_message(st);
  }
  AlignedBuffer arena(need);
  Session s;
  Status st = s.init(model, opt, arena.data(), need);
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  SiteRecorder rec(c.n_layers);
  s.set_observer(&rec);
  // Whole windows only, so every token sees the context lengths it will see.
  // With the model's cushion in place (the default when it has one) the
  // scales are fitted to the activations that follow it.
  const size_t window = s.context() - s.prefix_length();
  double nll = 0;
  size_t count = 0;
  for (size_t at = 0; at + window <= ids.size(); at += window) {
    err = score_window(&s, ids.data() + at, window, c.bos_id, &nll, &count);
    if (!err.empty()) return err;
  }
  out->tokens = count;
  out->with_cushion = s.prefix_length() > 0;

  const size_t n_scales = size_t{c.n_layers} * kSitesPerLayer + 1;
  out->scales.assign(n_scales, 1.f);
  out->absmax.assign(n_scales, 0.f);
  for (size_t i = 0; i < n_scales; ++i) {
    std::vector<float>& v = rec.values()[i];
    if (v.empty()) continue;
    float m = *std::max_element(v.begin(), v.end());
    out->absmax[i] = m;
    if (o.method == format::kCalibPercentile) {
      const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(o.percentile / 100.0 * v.size())) - 1);
      std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
      m = v[k];
    }
    out->scales[i] = m > 0.f ? m / 127.f : 1.f;
  }
  return "";
}

Section act_quant_section(const Model& model, const CalibrationOptions& o,
                          const CalibrationResult& r) {
  format::ActQuantHeader h{};
  h.n_layers = model.config().n_layers;
  h.sites_per_layer = kSitesPerLayer;
  h.method = o.method;
  h.percentile = o.method == format::kCalibPercentile ? static_cast<float>(o.percentile) : 0.f;
  h.calib_tokens = static_cast<uint32_t>(r.tokens);
  h.with_cushion = r.with_cushion ? 1 : 0;
  Section s;
  s.kind = format::kSectionActQuant;
  s.version = 1;
  s.bytes.resize(sizeof h + r.scales.size() * 4);
  std::memcpy(s.bytes.data(), &h, sizeof h);
  std::memcpy(s.bytes.data() + sizeof h, r.scales.data(), r.scales.size() * 4);
  return s;
}

}  // namespace host
}  // namespace sinkq
