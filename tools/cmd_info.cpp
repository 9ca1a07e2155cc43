#include <cstdio>

#include "cli.h"
#include "kv_args.h"

namespace sinkq {
namespace cli {

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
  size_t total = 0;
  MemoryPlan p;
  Status st = Session::required_bytes(model, opt, &total, &p);
  if (st != Status::kOk) return fail(std::string("session: ") + status_message(st));
  std::printf("arena for context %u, batch %u:\n", opt.context ? opt.context : c.max_seq_len, opt.batch);
  std::printf("%s, %zu bytes/token\n", describe_kv(opt.kv).c_str(),
              kv_bytes_per_token(c.n_layers, c.kv_dim, opt.kv));
  std::printf("  sink table   %10zu\n", p.sink_table);
  std::printf("  kv cache     %10zu\n  activations  %10zu\n  logits       %10zu\n  tables       %10zu\n  total        %10zu bytes\n",
              p.kv_cache, p.activations, p.logits, p.tables, p.total);
  return 0;
}

}  // namespace cli
}  // namespace sinkq
