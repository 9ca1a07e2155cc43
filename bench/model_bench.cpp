// End to end: stories260K prefill and decode tokens/s in every --quant mode
// the session supports (others are reported as skipped with the status). The
// model is converted in memory with fp32 and per-tensor int8 weights and
// static scales calibrated on the calibration half; SINKQ_BENCH_MODEL=M.sqm
// benchmarks a prepared file instead. Counters: tokens/s, the speed relative
// to fp32 measured interleaved in the same iterations (vs_fp32), and the
// session's arena bytes (RAM). The context holds kTokens positions; decode
// runs from an empty context, so its attention spans 0..tokens-1.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "host/calibrate.h"
#include "host/io.h"
#include "host/llama2c.h"
#include "host/quantize.h"
#include "host/text_eval.h"
#include "machine.h"
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

// A session in `mode` with a KV cache of `kv_bits`, or a skip with the reason.
bool start(benchmark::State& state, QuantMode mode, uint32_t batch, host::AlignedBuffer* arena,
           Session* s, uint32_t kv_bits = 32) {
  const Prepared& p = prepared();
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return false;
  }
  SessionOptions o;
  o.quant = mode;
  o.batch = batch;
  o.context = kTokens;
  o.kv.bits = kv_bits;
  size_t need = 0;
  Status st = Session::required_bytes(p.model, o, &need);
  if (st == Status::kOk) {
    arena->resize(need);
    st = s->init(p.model, o, arena->data(), need);
  }
  if (st != Status::kOk) {
    static std::string msg;
    msg = std::string(kModeNames[static_cast<int>(mode)]) + ": " + status_message(st);
    state.SkipWithError(msg.c_str());
    return false;
  }
  return true;
}

// One run over `tokens` positions from an empty context: a prefill in
// chunks of the session's batch, or one decode call per token. Returns the
// CPU seconds it took, or a negative value on failure.
double run(Session* s, bool prefill, uint32_t tokens) {
  const std::vector<int32_t>& ids = prepared().ids;
  s->reset();
  const double t0 = thread_seconds();
  if (prefill) {
    if (s->prefill(ids.data(), tokens) != Status::kOk) return -1;
  } else {
    for (uint32_t t = 0; t < tokens; ++t)
      if (s->decode(ids[t]) != Status::kOk) return -1;
  }
  benchmark::DoNotOptimize(s->logits());
  return thread_seconds() - t0;
}

// Runs `s` once per iteration (its CPU time is the iteration time) and, when
// given, `base` before it in the same iterations, so the machine's other load
// affects both alike; sets tokens/s and returns base's time over s's (0
// without base or on failure).
double time_against(benchmark::State& state, Session* s, Session* base, bool prefill,
                    uint32_t tokens) {
  double t_s = 0, t_base = 0;
  for (auto _ : state) {
    if (base) t_base += run(base, prefill, tokens);
    const double dt = run(s, prefill, tokens);
    if (dt < 0) {
      state.SkipWithError("forward pass failed");
      return 0;
    }
    t_s += dt;
    state.SetIterationTime(dt);
  }
  state.counters["tokens/s"] =
      benchmark::Counter(tokens, benchmark::Counter::kIsIterationInvariantRate);
  return base && t_s > 0 ? t_base / t_s : 0;
}

// tokens/s of `mode` and its speed relative to fp32 (vs_fp32).
void run_stage(benchmark::State& state, bool prefill) {
  const auto mode = static_cast<QuantMode>(state.range(0));
  const auto tokens = static_cast<uint32_t>(state.range(1));
  const auto batch = prefill ? static_cast<uint32_t>(state.range(2)) : 1u;
  host::AlignedBuffer arena, fp32_arena;
  Session s, fp32;
  if (!start(state, mode, batch, &arena, &s)) return;
  const bool compare = mode != QuantMode::kFp32;
  if (compare && !start(state, QuantMode::kFp32, batch, &fp32_arena, &fp32)) return;
  const double ratio = time_against(state, &s, compare ? &fp32 : nullptr, prefill, tokens);
  state.SetLabel(kModeNames[state.range(0)]);
  state.counters["arena_bytes"] = static_cast<double>(arena.size());
  if (ratio > 0) state.counters["vs_fp32"] = ratio;
}

void BM_Prefill(benchmark::State& state) { run_stage(state, true); }
void BM_Decode(benchmark::State& state) { run_stage(state, false); }

// Decode with fp32 weights and a low-bit KV cache (defaults: keys per channel
// in blocks of 32 tokens, values in groups of 32 channels, no sinks), which
// attention reads through the packed kernels; vs_fp32_kv is its speed
// relative to the fp32 cache.
void BM_DecodeKv(benchmark::State& state) {
  const auto bits = static_cast<uint32_t>(state.range(0));
  const auto tokens = static_cast<uint32_t>(state.range(1));
  host::AlignedBuffer arena, fp32_arena;
  Session s, fp32;
  if (!start(state, QuantMode::kFp32, 1, &arena, &s, bits) ||
      !start(state, QuantMode::kFp32, 1, &fp32_arena, &fp32))
    return;
  const double ratio = time_against(state, &s, &fp32, false, tokens);
  if (ratio > 0) state.counters["vs_fp32_kv"] = ratio;
}

// Mode (QuantMode value), positions run from an empty context, and for
// prefill the batch (tokens per forward call). Iteration time is the mode's
// own CPU time (manual time), not the interleaved fp32 run's.
BENCHMARK(BM_Prefill)
    ->ArgNames({"mode", "tokens", "batch"})
    ->ArgsProduct({{0, 1, 2, 3}, {kTokens}, {8, 64}})
    ->UseManualTime();
BENCHMARK(BM_Decode)
    ->ArgNames({"mode", "tokens"})
    ->ArgsProduct({{0, 1, 2, 3}, {32, kTokens}})
    ->UseManualTime();
BENCHMARK(BM_DecodeKv)->ArgNames({"kv_bits", "tokens"})->ArgsProduct({{8, 4, 2}, {kTokens}})
    ->UseManualTime();

}  // namespace
}  // namespace bench
}  // namespace sinkq
