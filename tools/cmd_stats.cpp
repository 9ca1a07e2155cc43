// Activation statistics: where the massive activations and the attention
// sinks are. Per layer: the largest |x| of the residual stream and of every
// quantization site (with the token position and channel where it occurs),
// its ratio to the mean |x| (an outlier shows as a ratio in the hundreds), and
// the attention mass that queries put on the first positions.
#include <cmath>
#include <cstdio>
#include <vector>

#include "cli.h"
#include "host/io.h"
#include "host/text_eval.h"

namespace sinkq {
namespace cli {

namespace {

struct Extreme {
  float max = 0.f;
  uint32_t pos = 0, channel = 0;
  double sum = 0;
  uint64_t count = 0;
  void add(const float* x, uint32_t n, uint32_t cols, uint32_t first_pos) {
    for (uint32_t t = 0; t < n; ++t)
      for (uint32_t j = 0; j < cols; ++j) {
        const float a = std::fabs(x[size_t{t} * cols + j]);
        sum += a;
        if (a > max) {
          max = a;
          pos = first_pos + t;
          channel = j;
        }
      }
    count += uint64_t{n} * cols;
  }
  double ratio() const { return count ? max / (sum / count + 1e-30) : 0; }
};

constexpr uint32_t kFirst = 4;  // attention mass reported on positions 0..3

class StatsObserver : public Observer {
 public:
  explicit StatsObserver(uint32_t layers)
      : residual(layers), sites(size_t{layers + 1} * kSitesPerLayer), mass(size_t{layers} * kFirst, 0.0),
        queries(layers, 0) {}
  void on_site(uint32_t layer, Site site, const float* x, uint32_t n, uint32_t cols,
               uint32_t first_pos) override {
    const uint32_t s = site == kSiteClassifierIn ? 0u : static_cast<uint32_t>(site);
    sites[size_t{layer} * kSitesPerLayer + s].add(x, n, cols, first_pos);
  }
  void on_residual(uint32_t layer, const float* x, uint32_t n, uint32_t dim,
                   uint32_t first_pos) override {
    residual[layer].add(x, n, dim, first_pos);
  }
  void on_attention(uint32_t layer, uint32_t head, uint32_t pos, const float* probs,
                    uint32_t len) override {
    (void)head;
    if (pos < kFirst) return;  // only queries that can look past the first positions
    for (uint32_t p = 0; p < kFirst && p < len; ++p) mass[size_t{layer} * kFirst + p] += probs[p];
    ++queries[layer];
  }
  std::vector<Extreme> residual, sites;
  std::vector<double> mass;
  std::vector<uint64_t> queries;
};

}  // namespace

int cmd_stats(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"model", "text", "half", "offset", "bytes", "ctx", "quant", "classifier", "format"}))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  std::string text, slice;
  if (a.str("text").empty()) return fail("--text is required");
  if (!host::read_text(a.str("text"), &text)) return fail("cannot read text '" + a.str("text") + "'");
  const bool explicit_slice = a.has("offset") || a.has("bytes");
  std::string err = host::select_slice(text, explicit_slice ? "" : a.str("half", "calib"),
                                       a.integer("offset", -1), a.integer("bytes", -1), &slice);
  if (!err.empty()) return fail(err);
  const std::string format = a.str("format", "table");
  if (format != "table" && format != "csv") return fail("--format must be table or csv");

  const ModelConfig& c = model.config();
  SessionOptions opt;
  opt.context = static_cast<uint32_t>(a.integer("ctx", 256));
  if (opt.context < 2 || opt.context > c.max_seq_len) return fail("bad --ctx");
  if (!parse_precision(a, &opt)) return 1;
  opt.all_logits = true;
  opt.batch = 16;
  std::vector<int32_t> ids;
  err = host::encode_text(model, slice, &ids);
  if (!err.empty()) return fail(err);
  if (ids.empty()) return fail("the text has no tokens");
  size_t need = 0;
  Status st = Session::required_bytes(model, opt, &need);
  if (st != Status::kOk) return fail(std::string("session: ") + status_message(st));
  host::AlignedBuffer arena(need);
  Session s;
  st = s.init(model, opt, arena.data(), need);
  if (st != Status::kOk) return fail(std::string("session: ") + status_message(st));
  StatsObserver obs(c.n_layers);
  s.set_observer(&obs);
  double nll = 0;
  size_t count = 0;
  const size_t window = s.context() - s.prefix_length();  // text after the cushion
  for (size_t at = 0; at < ids.size(); at += window) {
    const size_t m = std::min<size_t>(window, ids.size() - at);
    err = host::score_window(&s, ids.data() + at, m, c.bos_id, &nll, &count);
    if (!err.empty()) return fail(err);
  }

  if (format == "csv") {
    std::printf("layer,what,max_abs,pos,channel,max_over_mean\n");
    for (uint32_t l = 0; l < c.n_layers; ++l) {
      const Extreme& r = obs.residual[l];
      std::printf("%u,residual,%.6g,%u,%u,%.4g\n", l, r.max, r.pos, r.channel, r.ratio());
      for (uint32_t site = 0; site < kSitesPerLayer; ++site) {
        const Extreme& e = obs.sites[size_t{l} * kSitesPerLayer + site];
        std::printf("%u,%s,%.6g,%u,%u,%.4g\n", l, site_name(site), e.max, e.pos, e.channel, e.ratio());
      }
      for (uint32_t p = 0; p < kFirst; ++p)
        std::printf("%u,attn_mass_pos%u,%.6g,,,\n", l, p,
                    obs.queries[l] ? obs.mass[size_t{l} * kFirst + p] / obs.queries[l] : 0.0);
    }
    return 0;
  }
  std::printf("%zu tokens, windows of %u, %s\n\n", count, opt.context, a.str("quant", "fp32").c_str());
  std::printf("max |x| (position, channel) and max/mean ratio\n");
  std::printf("%-5s %-26s", "layer", "residual");
  for (uint32_t site = 0; site < kSitesPerLayer; ++site) std::printf(" %-26s", site_name(site));
  std::printf("\n");
  auto cell = [](const Extreme& e) {
    char b[64];
    std::snprintf(b, sizeof b, "%.2f (%u,%u) x%.0f", e.max, e.pos, e.channel, e.ratio());
    std::printf(" %-26s", b);
  };
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    std::printf("%-5u", l);
    cell(obs.residual[l]);
    for (uint32_t site = 0; site < kSitesPerLayer; ++site) cell(obs.sites[size_t{l} * kSitesPerLayer + site]);
    std::printf("\n");
  }
  std::printf("%-5s %-26s", "final", "");
  cell(obs.sites[size_t{c.n_layers} * kSitesPerLayer]);
  std::printf("  (classifier input)\n\n");
  std::printf("mean attention on positions 0..%u (queries at positions >= %u, all heads)\n", kFirst - 1, kFirst);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    std::printf("layer %u:", l);
    for (uint32_t p = 0; p < kFirst; ++p)
      std::printf("  pos%u %.3f", p, obs.queries[l] ? obs.mass[size_t{l} * kFirst + p] / obs.queries[l] : 0.0);
    std::printf("\n");
  }
  return 0;
}

}  // namespace cli
}  // namespace sinkq
