// sinkq cushion search | tune: finds the CushionCache prefix on the
// calibration text and writes it into the model file (section kind 6).
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli.h"
#include "host/cushion.h"
#include "host/cushion_tune.h"
#include "host/io.h"
#include "host/text_eval.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace cli {

namespace {

// Prints the tokens as text ("\n" and "\r" escaped) with their ids.
std::string describe(const Model& m, const std::vector<int32_t>& tokens) {
  Tokenizer tok;
  if (tok.init(m) != Status::kOk) return "";
  std::string text, ids;
  for (size_t i = 0; i < tokens.size(); ++i) {
    ids += (i ? " " : "") + std::to_string(tokens[i]);
    if (tokens[i] == m.config().bos_id) {
      text += "<s>";
      continue;
    }
    Piece p;
    if (tok.decode(i ? tokens[i - 1] : m.config().bos_id, tokens[i], &p) != Status::kOk) continue;
    for (uint32_t j = 0; j < p.size; ++j) {
      const char ch = p.data[j];
      text += ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : std::string(1, ch);
    }
  }
  return "\"" + text + "\" (ids " + ids + ")";
}

bool calibration_ids(const Args& a, const Model& model, std::vector<int32_t>* ids) {
  std::string text, slice;
  if (a.str("text").empty()) return fail("--text is required"), false;
  if (!host::read_text(a.str("text"), &text)) return fail("cannot read text '" + a.str("text") + "'"), false;
  // Fitted on the calibration half unless a slice is given; never on eval text.
  const bool explicit_slice = a.has("offset") || a.has("bytes");
  std::string err = host::select_slice(text, explicit_slice ? "" : a.str("half", "calib"),
                                       a.integer("offset", -1), a.integer("bytes", -1), &slice);
  if (err.empty()) err = host::encode_text(model, slice, ids);
  if (!err.empty()) return fail(err), false;
  return true;
}

bool write_model(const Model& model, const host::CushionKv& kv, port::MappedFile* file,
                 const std::string& out) {
  const std::vector<uint8_t> bytes = host::with_cushion(model, kv);
  host::AlignedBuffer check(bytes);
  Model m2;
  const Status st = Model::load(check.data(), check.size(), &m2);
  if (st != Status::kOk) return fail(std::string("the new model does not load: ") + status_message(st)), false;
  file->close();
  if (!host::write_file(out, bytes)) return fail("cannot write '" + out + "'"), false;
  return true;
}

int cushion_search(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"model", "text", "half", "offset", "bytes", "out", "max-len", "samples",
                            "sample-len", "objective", "candidates", "threads"}))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  if (a.str("out").empty()) return fail("--out is required");
  std::vector<int32_t> ids;
  if (!calibration_ids(a, model, &ids)) return 1;
  const ModelConfig& c = model.config();

  host::CushionSearchOptions o;
  const long long max_len = a.integer("max-len", 4);
  const long long samples = a.integer("samples", 4);
  const long long sample_len = a.integer("sample-len", 128);
  const long long threads = a.integer("threads", 2);
  if (max_len < 1 || max_len > format::kMaxCushion) return fail("--max-len must be in [1, 64]");
  if (samples < 1 || samples > 1024) return fail("--samples must be in [1, 1024]");
  if (sample_len < 1 || max_len + 1 + sample_len > c.max_seq_len)
    return fail("--sample-len must be >= 1 and max-len + 1 + sample-len <= " + std::to_string(c.max_seq_len));
  if (threads < 1 || threads > 64) return fail("--threads must be in [1, 64]");
  o.max_length = static_cast<uint32_t>(max_len);
  o.threads = static_cast<uint32_t>(threads);
  const std::string objective = a.str("objective", "qerr");
  if (objective == "qerr") o.objective = host::CushionObjective::kQuantError;
  else if (objective == "max") o.objective = host::CushionObjective::kMaxAbs;
  else return fail("--objective must be qerr or max");
  // Large vocabularies: the N most frequent tokens of the calibration text.
  const long long n_cand = a.integer("candidates", c.vocab_size <= 4096 ? c.vocab_size : 1024);
  if (n_cand < 1 || n_cand > c.vocab_size) return fail("--candidates must be in [1, vocab size]");
  if (n_cand < c.vocab_size) o.candidates = host::frequent_tokens(ids, c.vocab_size, static_cast<uint32_t>(n_cand));
  const auto sample_ids = host::calibration_samples(ids, static_cast<uint32_t>(samples),
                                                    static_cast<uint32_t>(sample_len));
  if (sample_ids.empty())
    return fail("the calibration text has " + std::to_string(ids.size()) + " tokens, fewer than --sample-len");
  o.progress = [](uint32_t len, size_t done, size_t total, double rate, double best) {
    std::fprintf(stderr, "\rlength %u: %zu/%zu candidates, %.1f candidates/s, best %.6f   ", len,
                 done, total, rate, best);
    if (done == total) std::fputc('\n', stderr);
  };

  host::CushionSearchResult r;
  std::string err = host::cushion_search(model, sample_ids, o, &r);
  if (!err.empty()) return fail(err);
  std::printf("objective %s over %lld samples of %lld tokens, %zu candidates per step\n",
              objective.c_str(), samples, sample_len, o.candidates.empty() ? size_t{c.vocab_size} : o.candidates.size());
  std::printf("no prefix: %.6f\n", r.no_prefix_score);
  for (size_t i = 0; i < r.scores.size(); ++i) {
    const std::vector<int32_t> p(r.tokens.begin(), r.tokens.begin() + static_cast<long>(i + 1));
    std::printf("length %zu: %.6f  %s\n", i + 1, r.scores[i], describe(model, p).c_str());
  }
  std::printf("cushion: %zu tokens %s\n", r.tokens.size(), describe(model, r.tokens).c_str());

  host::CushionKv kv;
  err = host::cushion_kv(model, r.tokens, &kv);
  if (!err.empty()) return fail(err);
  if (!write_model(model, kv, &file, a.str("out"))) return 1;
  std::printf("written to %s (recalibrate: sinkq calibrate --model %s --text ...)\n", a.str("out").c_str(),
              a.str("out").c_str());
  return 0;
}

int cushion_tune(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"model", "text", "half", "offset", "bytes", "out", "samples", "sample-len",
                            "steps", "lr", "lambda", "power", "threads"}))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  if (a.str("out").empty()) return fail("--out is required");
  if (model.cushion_length() == 0) return fail("the model has no cushion to tune (run sinkq cushion search first)");
  std::vector<int32_t> ids;
  if (!calibration_ids(a, model, &ids)) return 1;
  const ModelConfig& c = model.config();
  const long long samples = a.integer("samples", 4);
  const long long sample_len = a.integer("sample-len", 128);
  const long long steps = a.integer("steps", 200);
  const long long threads = a.integer("threads", 2);
  host::TuneOptions o;
  o.lr = a.real("lr", o.lr);
  o.lambda = a.real("lambda", o.lambda);
  o.power = a.real("power", o.power);
  if (samples < 1 || samples > 1024) return fail("--samples must be in [1, 1024]");
  if (sample_len < 2 || model.cushion_length() + 1 + sample_len > c.max_seq_len)
    return fail("--sample-len must be >= 2 and cushion + 1 + sample-len <= " + std::to_string(c.max_seq_len));
  if (steps < 0 || steps > 100000) return fail("--steps must be in [0, 100000]");
  if (threads < 1 || threads > 64) return fail("--threads must be in [1, 64]");
  if (!(o.lr > 0) || !(o.lambda >= 0) || !(o.power >= 0 && o.power <= 64))
    return fail("--lr must be > 0, --lambda >= 0 and --power in [0, 64]");
  o.steps = static_cast<uint32_t>(steps);
  o.threads = static_cast<uint32_t>(threads);
  const auto sample_ids = host::calibration_samples(ids, static_cast<uint32_t>(samples),
                                                    static_cast<uint32_t>(sample_len));
  if (sample_ids.empty())
    return fail("the calibration text has " + std::to_string(ids.size()) + " tokens, fewer than --sample-len");
  o.progress = [&](uint32_t step, const host::PrefixLoss& l) {
    if (step % 10 == 0 || step == 1 || step == o.steps)
      std::fprintf(stderr, "step %u/%u: loss %.6f (LM %.6f, L_q %.6f)\n", step, o.steps, l.total, l.lm, l.quant);
  };
  host::CushionKv kv = host::model_cushion(model);
  host::PrefixLoss first, last;
  const std::string err = host::tune_cushion(model, sample_ids, o, &kv, &first, &last);
  if (!err.empty()) return fail(err);
  std::printf("tuned %u-token cushion %s: Adam, %u steps, lr %g, lambda %g, power %g, %lld samples of %lld tokens\n",
              kv.length(), describe(model, kv.tokens).c_str(), o.steps, o.lr, o.lambda, o.power, samples, sample_len);
  std::printf("before: loss %.6f (LM %.6f, L_q %.6f)\nafter:  loss %.6f (LM %.6f, L_q %.6f)\n", first.total,
              first.lm, first.quant, last.total, last.lm, last.quant);
  if (!write_model(model, kv, &file, a.str("out"))) return 1;
  std::printf("written to %s (recalibrate: sinkq calibrate --model %s --text ...)\n", a.str("out").c_str(),
              a.str("out").c_str());
  return 0;
}

}  // namespace

int cmd_cushion(int argc, char** argv) {
  if (argc >= 1 && !std::strcmp(argv[0], "search")) return cushion_search(argc - 1, argv + 1);
  if (argc >= 1 && !std::strcmp(argv[0], "tune")) return cushion_tune(argc - 1, argv + 1);
  return fail("usage: sinkq cushion search|tune --model M.sqm --text FILE --out M2.sqm [options]");
}

}  // namespace cli
}  // namespace sinkq
