#include "fuzz_common.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "host/io.h"
#include "host/llama2c.h"
#include "sinkq/sampler.h"
#include "sinkq/session.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace fuzz {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

void check_known(Status s) {
  check(std::strcmp(status_message(s), "unknown status") != 0, "status without a message");
}

const std::vector<uint8_t>& stories260k_sqm() {
  static const std::vector<uint8_t> sqm = [] {
    const char* env = std::getenv("SINKQ_SHARED_DIR");
    const std::string dir = std::string(env && *env ? env : SINKQ_FUZZ_SHARED_DIR) + "/models/";
    std::vector<uint8_t> ck, tk;
    host::Llama2cModel m;
    host::Llama2cVocab v;
    if (!host::read_file(dir + "stories260K.bin", &ck) || !host::read_file(dir + "tok512.bin", &tk) ||
        !host::read_llama2c_checkpoint(ck, &m).empty() ||
        !host::read_llama2c_tokenizer(tk, m.config.vocab_size, &v).empty()) {
      std::fprintf(stderr, "cannot read stories260K.bin / tok512.bin under %s (set SINKQ_SHARED_DIR)\n",
                   dir.c_str());
      std::exit(1);
    }
    return host::build_sqm(m, v);
  }();
  return sqm;
}

namespace {

bool all_finite(const float* x, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

void check_model_invariants(const Model& m) {
  const ModelConfig& c = m.config();
  check(c.dim > 0 && c.n_heads > 0 && c.n_kv_heads > 0 && c.n_layers > 0, "zero dimension loaded");
  check(c.dim % c.n_heads == 0 && c.head_size == c.dim / c.n_heads && c.head_size % 2 == 0,
        "head size inconsistent");
  check(c.n_heads % c.n_kv_heads == 0 && c.kv_dim == c.head_size * c.n_kv_heads, "kv heads inconsistent");
  check(c.bos_id >= 0 && static_cast<uint32_t>(c.bos_id) < c.vocab_size && c.eos_id >= 0 &&
            static_cast<uint32_t>(c.eos_id) < c.vocab_size,
        "special token out of range");
  const uint8_t* lo = m.base();
  const uint8_t* hi = m.base() + m.size();
  for (uint32_t kind = 0; kind < 16; ++kind) {
    const uint8_t* p;
    uint64_t size;
    if (m.section(kind, &p, &size)) check(p >= lo && size <= static_cast<uint64_t>(hi - p), "section outside the file");
  }
  if (const uint32_t p = m.cushion_length()) {
    const uint64_t bytes = uint64_t{p} * c.kv_dim * sizeof(float);
    for (uint32_t l = 0; l < c.n_layers; ++l) {
      const uint8_t* k = reinterpret_cast<const uint8_t*>(m.cushion_key(l));
      const uint8_t* v = reinterpret_cast<const uint8_t*>(m.cushion_value(l));
      check(k >= lo && bytes <= static_cast<uint64_t>(hi - k) && v >= lo &&
                bytes <= static_cast<uint64_t>(hi - v),
            "cushion outside the file");
    }
  }
  for (uint32_t i = 0; i < m.tensor_count(); ++i) {
    const format::TensorEntry& e = m.tensor_entry(i);
    const uint8_t* p = static_cast<const uint8_t*>(m.tensor_data(e));
    check(p >= lo && e.size <= static_cast<uint64_t>(hi - p), "tensor outside the file");
    check(reinterpret_cast<uintptr_t>(p) % format::kAlign == 0, "tensor misaligned");
  }
}

void run_tokenizer(const Model& m, const Tokenizer& tok, std::vector<int32_t>* ids) {
  static const char kText[] = "Once upon a time, caf\xC3\xA9 \xF0\x9F\x98\x80 \xFF<0x41>!";
  const size_t len = sizeof kText - 1;
  ids->assign(len + 3, 0);
  std::vector<int32_t> scratch(len + 3);
  size_t n = 0;
  check(tok.encode(kText, len, true, false, ids->data(), ids->size(), &n, scratch.data()) == Status::kOk,
        "encode failed on a loaded model");
  ids->resize(n);
  for (size_t i = 0; i < n; ++i) {
    check((*ids)[i] >= 0 && static_cast<uint32_t>((*ids)[i]) < m.config().vocab_size, "encode id out of range");
    Piece p;
    check(tok.decode(i ? (*ids)[i - 1] : tok.bos_id(), (*ids)[i], &p) == Status::kOk, "decode failed");
  }
}

void run_session(const Model& m, const SessionOptions& opt, const std::vector<int32_t>& prompt) {
  const ModelConfig& c = m.config();
  size_t need = 0;
  Status st = Session::required_bytes(m, opt, &need);
  check_known(st);
  if (st != Status::kOk || need > kMaxArenaBytes) return;
  host::AlignedBuffer arena(need);
  Session s;
  check(s.init(m, opt, arena.data(), need) == Status::kOk, "init failed after required_bytes");
  // A model's cushion takes the first positions of the context.
  const size_t room = s.context() - s.position();
  const size_t n = prompt.size() < room ? prompt.size() : room;
  if (n == 0) return;
  st = s.prefill(prompt.data(), n);
  check(st == Status::kOk || st == Status::kNonFinite, "prefill of valid tokens failed");
  if (st != Status::kOk) return;
  check(s.logits() != nullptr && all_finite(s.logits(), c.vocab_size), "logits not finite after kOk");
  Sampler sampler(0.8f, 7);
  const int32_t next = sampler.sample(s.logits(), c.vocab_size);
  check(next >= 0 && static_cast<uint32_t>(next) < c.vocab_size, "sampled id out of range");
  st = s.decode(next);
  check(st == Status::kOk || st == Status::kNonFinite || st == Status::kContextFull, "decode failed");
}

// Every quantization mode the model can serve (the others must say why not).
void run_sessions(const Model& m, const std::vector<int32_t>& prompt) {
  const ModelConfig& c = m.config();
  size_t need = 0;
  check_known(Session::required_bytes(m, SessionOptions(), &need));  // the planner at full context
  for (QuantMode q : {QuantMode::kFp32, QuantMode::kW8A8Static, QuantMode::kW8A8DynTensor,
                      QuantMode::kW8A8DynToken}) {
    SessionOptions opt;
    opt.context = c.max_seq_len < 8 ? c.max_seq_len : 8;
    opt.batch = 3;
    opt.all_logits = (c.dim & 2) != 0;
    opt.quant = q;
    opt.classifier_int8 = (c.dim & 4) == 0;
    run_session(m, opt, prompt);
  }
}

}  // namespace

void exercise_model(const Model& m) {
  check(m.loaded(), "kOk without a loaded model");
  check_model_invariants(m);
  Tokenizer tok;
  check(tok.init(m) == Status::kOk, "tokenizer rejects a loaded model");
  std::vector<int32_t> ids;
  run_tokenizer(m, tok, &ids);
  run_sessions(m, ids);
}

}  // namespace fuzz
}  // namespace sinkq
