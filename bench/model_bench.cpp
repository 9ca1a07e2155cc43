// End to end: stories260K prefill and decode tokens/s in every --quant mode
// the session supports (others are reported as skipped with the status). The
// model is converted in memory with fp32 and per-tensor int8 weights and
// static scales calibrated on the calibration half; SINKQ_BENCH_MODEL=M.sqm
// benchmarks a prepared file instead. Counters: tokens/s and the session's
// arena bytes (RAM).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "host/calibrate.h"
#include "host/io.h"
#include "host/llama2c.h"
#include "host/quantize.h"
#include "host/text_eval.h"
#include "sinkq/session.h"

namespace sinkq {
namespace bench {
namespace {

constexpr uint32_t kTokens = 256;  // per prefill and per decode run

struct Prepared {
  host::AlignedBuffer bytes;
  Model model;
  std::vector<int32_t> ids;  // BOS, then evaluation-half tokens
  std::string error;
};

std::string shared_dir() {
  const char* env = std::getenv("SINKQ_SHARED_DIR");
  return env && *env ? env : SINKQ_BENCH_SHARED_DIR;
}

std::string prepare_bytes(const std::string& calib_text, std::vector<uint8_t>* out) {
  const char* path = std::getenv("SINKQ_BENCH_MODEL");
  if (path && *path) return host::read_file(path, out) ? "" : std::string("cannot read ") + path;
  std::vector<uint8_t> ck, tk;
  const std::string models = shared_dir() + "/models/";
  if (!host::read_file(models + "stories260K.bin", &ck) ||
      !host::read_file(models + "tok512.bin", &tk))
    return "stories260K.bin / tok512.bin missing under " + models;
  host::Llama2cModel m;
  host::Llama2cVocab v;
  std::string err = host::read_llama2c_checkpoint(ck, &m);
  if (err.empty()) err = host::read_llama2c_tokenizer(tk, m.config.vocab_size, &v);
  if (!err.empty()) return err;
  host::add_int8_weights(&m.tensors, host::Granularity::kTensor, false);
  const std::vector<uint8_t> plain = host::build_sqm(m, v);
  host::AlignedBuffer buf(plain);
  Model model;
  if (Model::load(buf.data(), buf.size(), &model) != Status::kOk)
    return "converted model does not load";
  host::CalibrationOptions o;
  host::CalibrationResult r;
  err = host::calibrate(model, calib_text, o, &r);
  if (!err.empty()) return "calibration: " + err;
  std::vector<host::Section> sections = host::read_sections(buf.data(), buf.size());
  host::put_section(&sections, host::act_quant_section(model, o, r));
  *out = host::write_sqm(sections);
  return "";
}

const Prepared& prepared() {
  static Prepared p = [] {
    Prepared r;
    std::string text, calib, eval;
    if (!host::read_text(shared_dir() + "/data/tinystories-valid-30k.txt", &text)) {
      r.error = "tinystories-valid-30k.txt missing under " + shared_dir() + "/data";
      return r;
    }
    host::select_slice(text, "calib", -1, -1, &calib);
    host::select_slice(text, "eval", -1, -1, &eval);
    std::vector<uint8_t> bytes;
    r.error = prepare_bytes(calib, &bytes);
    if (!r.error.empty()) return r;
    r.bytes = host::AlignedBuffer(bytes);
    if (Model::load(r.bytes.data(), r.bytes.size(), &r.model) != Status::kOk) {
      r.error = "model does not load";
      return r;
    }
    std::vector<int32_t> ids;
    r.error = host::encode_text(r.model, eval, &ids);
    if (r.error.empty() && ids.size() < kTokens) r.error = "evaluation text too short";
    if (!r.error.empty()) return r;
    r.ids.push_back(static_cast<int32_t>(r.model.config().bos_id));
    r.ids.insert(r.ids.end(), ids.begin(), ids.begin() + (kTokens - 1));
    return r;
  }();
  return p;
}

const char* const kModeNames[] = {"fp32", "w8a8-static", "w8a8-dyn-tensor", "w8a8-dyn-token"};

// A session for the benchmark's mode, or a skip with the reason.
bool start(benchmark::State& state, uint32_t batch, host::AlignedBuffer* arena, Session* s) {
  const Prepared& p = prepared();
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return false;
  }
  SessionOptions o;
  o.quant = static_cast<QuantMode>(state.range(0));
  o.batch = batch;
  o.context = kTokens;
  size_t need = 0;
  Status st = Session::required_bytes(p.model, o, &need);
  if (st == Status::kOk) {
    arena->resize(need);
    st = s->init(p.model, o, arena->data(), need);
  }
  if (st != Status::kOk) {
    static std::string msg;
    msg = std::string(kModeNames[state.range(0)]) + ": " + status_message(st);
    state.SkipWithError(msg.c_str());
    return false;
  }
  state.SetLabel(kModeNames[state.range(0)]);
  state.counters["arena_bytes"] = static_cast<double>(need);
  return true;
}

void BM_Prefill(benchmark::State& state) {
  host::AlignedBuffer arena;
  Session s;
  if (!start(state, static_cast<uint32_t>(state.range(1)), &arena, &s)) return;
  const std::vector<int32_t>& ids = prepared().ids;
  for (auto _ : state) {
    s.reset();
    if (s.prefill(ids.data(), kTokens) != Status::kOk) {
      state.SkipWithError("prefill failed");
      break;
    }
    benchmark::DoNotOptimize(s.logits());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(kTokens, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Decode(benchmark::State& state) {
  host::AlignedBuffer arena;
  Session s;
  if (!start(state, 1, &arena, &s)) return;
  const std::vector<int32_t>& ids = prepared().ids;
  for (auto _ : state) {
    s.reset();
    for (uint32_t t = 0; t < kTokens; ++t) {
      if (s.decode(ids[t]) != Status::kOk) {
        state.SkipWithError("decode failed");
        break;
      }
    }
    benchmark::DoNotOptimize(s.logits());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(kTokens, benchmark::Counter::kIsIterationInvariantRate);
}

// Mode (QuantMode value) and, for prefill, the batch (tokens per forward call).
BENCHMARK(BM_Prefill)->ArgNames({"mode", "batch"})->ArgsProduct({{0, 1, 2, 3}, {8, 64}});
BENCHMARK(BM_Decode)->ArgName("mode")->DenseRange(0, 3);

}  // namespace
}  // namespace bench
}  // namespace sinkq
