#include <cstdio>

#include "cli.h"
#include "kv_args.h"

namespace sinkq {
namespace cli {

namespace {

bool is_norm(uint32_t kind) {
  return kind == format::kRmsAtt || kind == format::kRmsFfn || kind == format::kRmsFinal;
}

// Bytes of the tensors a session with these options reads: the matrices in
// the mode's precision (the classifier in its own), the norms, and the
// per-channel scales of int8 matrices.
uint64_t weights_read(const Model& m, const SessionOptions& opt) {
  const bool int8 = opt.quant != QuantMode::kFp32;
  const uint32_t dt = int8 ? format::kI8 : format::kF32;
  const uint32_t cls_dt = int8 && opt.classifier_int8 ? format::kI8 : format::kF32;
  const bool shared = m.config().shared_classifier;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < m.tensor_count(); ++i) {
    const format::TensorEntry& e = m.tensor_entry(i);
    bool used;
    if (is_norm(e.kind)) {
      used = true;
    } else if (e.kind == format::kChannelScales) {
      used = int8;
    } else if (e.kind == format::kWcls) {
      used = e.dtype == cls_dt;
    } else if (e.kind == format::kTokenEmbedding) {
      used = e.dtype == dt || (shared && e.dtype == cls_dt);
    } else {
      used = e.dtype == dt;
    }
    if (used) bytes += e.size;
  }
  return bytes;
}

}  // namespace

int cmd_info(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, with_kv_keys({"model", "context", "batch", "quant", "classifier"}))) return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  const ModelConfig& c = model.config();
  std::printf("model: %zu bytes, dim %u, hidden %u, layers %u, heads %u (kv %u), head size %u, vocab %u, max seq %u\n",
              model.size(), c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_size,
              c.vocab_size, c.max_seq_len);
  std::printf("tensors: %u\n", model.tensor_count());
  if (model.cushion_length())
    std::printf("cushion: %u tokens, %zu bytes of fp32 K/V in the file (pinned, not copied)\n",
                model.cushion_length(), size_t{2} * c.n_layers * model.cushion_length() * c.kv_dim * 4);
  SessionOptions opt;
  opt.context = static_cast<uint32_t>(a.integer("context", 0));
  opt.batch = static_cast<uint32_t>(a.integer("batch", opt.batch));
  if (!parse_precision(a, &opt)) return 1;
  const std::string kv_err = parse_kv_options(a, &opt.kv);
  if (!kv_err.empty()) return fail(kv_err);

  // The model file is read in place (flash on a board): what it holds.
  uint64_t f32 = 0, i8 = 0, other_tensors = 0;
  for (uint32_t i = 0; i < model.tensor_count(); ++i) {
    const format::TensorEntry& e = model.tensor_entry(i);
    if (e.dtype == format::kI8) i8 += e.size;
    else if (e.dtype == format::kF32 && e.kind != format::kChannelScales) f32 += e.size;
    else other_tensors += e.size;
  }
  const uint8_t* data;
  uint64_t vocab = 0, scales = 0, sinks = 0, cushion = 0;
  model.section(format::kSectionVocab, &data, &vocab);
  model.section(format::kSectionActQuant, &data, &scales);
  model.section(format::kSectionSinkPredictor, &data, &sinks);
  model.section(format::kSectionCushion, &data, &cushion);
  const uint64_t listed = f32 + i8 + other_tensors + vocab + scales + sinks + cushion;
  std::printf("model file (read in place, e.g. from flash): %zu bytes\n", model.size());
  std::printf("  fp32 tensors %10llu\n  int8 tensors %10llu\n  scales       %10llu (per-channel weight scales)\n",
              static_cast<unsigned long long>(f32), static_cast<unsigned long long>(i8),
              static_cast<unsigned long long>(other_tensors));
  std::printf("  vocabulary   %10llu\n  act. scales  %10llu\n  sink pred.   %10llu\n  cushion      %10llu\n",
              static_cast<unsigned long long>(vocab), static_cast<unsigned long long>(scales),
              static_cast<unsigned long long>(sinks), static_cast<unsigned long long>(cushion));
  std::printf("  headers      %10llu (file header, config, tensor table, padding)\n",
              static_cast<unsigned long long>(model.size() - listed));
  std::printf("weights read by --quant %s: %llu bytes\n", a.str("quant", "fp32").c_str(),
              static_cast<unsigned long long>(weights_read(model, opt)));

  size_t total = 0;
  MemoryPlan p;
  Status st = Session::required_bytes(model, opt, &total, &p);
  if (st != Status::kOk) return fail(std::string("session: ") + status_message(st));
  std::printf("arena (required_bytes) for context %u, batch %u:\n", opt.context ? opt.context : c.max_seq_len, opt.batch);
  std::printf("%s, %zu bytes/token\n", describe_kv(opt.kv).c_str(),
              kv_bytes_per_token(c.n_layers, c.kv_dim, opt.kv));
  const size_t listed_arena = p.kv_cache + p.sink_table + p.activations + p.activations_int8 +
                              p.logits + p.tables;
  std::printf("  kv cache     %10zu\n  sink table   %10zu\n  activations  %10zu\n", p.kv_cache,
              p.sink_table, p.activations);
  std::printf("  int8 scratch %10zu (W8A8: quantized inputs, accumulators, row scales)\n",
              p.activations_int8);
  std::printf("  logits       %10zu\n  tables       %10zu (RoPE, resolved weight pointers)\n",
              p.logits, p.tables);
  std::printf("  padding      %10zu\n  total        %10zu bytes\n", p.total - listed_arena, p.total);
  return 0;
}

}  // namespace cli
}  // namespace sinkq
