// sinkq sinks calibrate | stats: fits the KVSink predictor on the calibration
// text and measures how well predicted sinks match real ones.
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli.h"
#include "host/io.h"
#include "host/sink_stats.h"
#include "host/sqm_writer.h"
#include "host/text_eval.h"
#include "kv_args.h"

namespace sinkq {
namespace cli {

namespace {

bool read_slice(const Args& a, const std::string& half, std::string* slice) {
  std::string text;
  if (a.str("text").empty()) return fail("--text is required"), false;
  if (!host::read_text(a.str("text"), &text)) return fail("cannot read text '" + a.str("text") + "'"), false;
  std::string err = host::select_slice(text, a.str("half", half), a.integer("offset", -1),
                                       a.integer("bytes", -1), slice);
  if (!err.empty()) return fail(err), false;
  return true;
}

bool truth_options(const Args& a, const Model& m, SessionOptions* opt, host::SinkTruthOptions* t) {
  const long long ctx = a.integer("ctx", m.config().max_seq_len);
  if (ctx < 2 || ctx > m.config().max_seq_len) return fail("--ctx out of range"), false;
  opt->context = static_cast<uint32_t>(ctx);
  opt->batch = static_cast<uint32_t>(a.integer("batch", 16));
  t->ratio = a.real("ratio", t->ratio);
  t->delay = static_cast<uint32_t>(a.integer("delay", t->delay));
  t->min_queries = static_cast<uint32_t>(a.integer("min-queries", t->min_queries));
  if (!(t->ratio > 1.0)) return fail("--ratio must be > 1"), false;
  return true;
}

void print_confusion(const char* name, const host::Confusion& c) {
  std::printf("%-24s predicted %5zu  true %5zu  precision %.3f  recall %.3f  F1 %.3f\n", name,
              c.tp + c.fp, c.tp + c.fn, c.precision(), c.recall(), c.f1());
}

size_t count_tokens(const std::vector<host::SinkWindow>& w) {
  size_t n = 0;
  for (const auto& x : w) n += x.tokens.size();
  return n;
}

int calibrate(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"model", "text", "half", "offset", "bytes", "ctx", "batch", "ratio",
                            "delay", "min-queries", "max-channels", "out"}))
    return fail(a.error());
  const std::string out_path = a.str("out", a.str("model"));
  std::vector<host::Section> sections;
  host::FittedPredictor fit;
  size_t tokens = 0;
  uint32_t layers = 0, dim = 0;
  host::SinkTruthOptions truth;
  {
    port::MappedFile file;
    Model model;
    if (!open_model(a.str("model"), &file, &model)) return 1;
    std::string slice;
    if (!read_slice(a, "calib", &slice)) return 1;
    SessionOptions opt;
    if (!truth_options(a, model, &opt, &truth)) return 1;
    layers = model.config().n_layers;
    dim = model.config().dim;
    std::vector<host::SinkWindow> windows;
    std::string err = host::collect_sink_windows(model, opt, slice, truth, true, &windows);
    if (!err.empty()) return fail(err);
    tokens = count_tokens(windows);
    const long long max_ch = a.integer("max-channels", 4);
    if (max_ch < 1 || max_ch > format::kMaxSinkChannels) return fail("--max-channels must be in [1, 16]");
    if (!host::fit_sink_predictor(windows, layers, dim, truth.ratio, static_cast<uint32_t>(max_ch), &fit))
      return fail("no attention sinks in the calibration text at --ratio " + std::to_string(truth.ratio));
    for (uint32_t l = 0; l < layers; ++l) {
      const std::string name = "  after layer " + std::to_string(l);
      print_confusion(name.c_str(), fit.per_layer[l]);
    }
    sections = host::read_sections(model.base(), model.size());
  }
  std::printf("chosen: after layer %u, %zu channel(s):", fit.layer, fit.channels.size());
  for (const auto& ch : fit.channels) std::printf(" %u (|x| > %.4f)", ch.channel, ch.threshold);
  std::printf("\n");
  host::Section s;
  s.kind = format::kSectionSinkPredictor;
  s.bytes = host::sink_predictor_section(fit, layers, dim, static_cast<uint32_t>(tokens), truth.ratio);
  host::put_section(&sections, s);
  if (!host::write_file(out_path, host::write_sqm(sections))) return fail("cannot write '" + out_path + "'");
  std::printf("wrote %s (calibrated on %zu tokens)\n", out_path.c_str(), tokens);
  return 0;
}

int stats(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, with_kv_keys({"model", "text", "half", "offset", "bytes", "ctx", "batch",
                                          "ratio", "delay", "min-queries"})))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  std::string slice;
  if (!read_slice(a, "eval", &slice)) return 1;
  SessionOptions opt;
  host::SinkTruthOptions truth;
  if (!truth_options(a, model, &opt, &truth)) return 1;
  std::string err = parse_kv_options(a, &opt.kv);
  if (!err.empty()) return fail(err);
  std::vector<host::SinkWindow> windows;
  err = host::collect_sink_windows(model, opt, slice, truth, false, &windows);
  if (!err.empty()) return fail(err);
  size_t judged = 0;
  for (const auto& w : windows) judged += w.judged;
  std::printf("%zu windows, %zu tokens, %zu judged; sink: received >= %.1f x uniform "
              "(queries >= %u after, >= %u of them)\n",
              windows.size(), count_tokens(windows), judged, truth.ratio, truth.delay,
              truth.min_queries);
  std::printf("%s\n", describe_kv(opt.kv).c_str());
  print_confusion("sink table", host::score_sinks(windows, truth.ratio, 0));
  for (uint32_t n : {1u, 4u}) {
    const std::string name = "pfn:" + std::to_string(n) + " (for comparison)";
    print_confusion(name.c_str(), host::score_sinks(windows, truth.ratio, n));
  }
  return 0;
}

}  // namespace

int cmd_sinks(int argc, char** argv) {
  if (argc >= 1 && !std::strcmp(argv[0], "calibrate")) return calibrate(argc - 1, argv + 1);
  if (argc >= 1 && !std::strcmp(argv[0], "stats")) return stats(argc - 1, argv + 1);
  return fail("sinks: expected 'calibrate' or 'stats'");
}

}  // namespace cli
}  // namespace sinkq
