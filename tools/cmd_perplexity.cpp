#include <cmath>
#include <cstdio>
#include <vector>

#include "cli.h"
#include "host/io.h"
#include "host/text_eval.h"
#include "kv_args.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace cli {

int cmd_perplexity(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, with_rolling_keys(with_kv_keys(
                                 {"model", "text", "ctx", "offset", "bytes", "half", "quant", "classifier", "batch"}))))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  std::string text;
  if (a.str("text").empty()) return fail("--text is required");
  if (!host::read_text(a.str("text"), &text)) return fail("cannot read text '" + a.str("text") + "'");
  std::string slice;
  std::string err = host::select_slice(text, a.str("half"), a.integer("offset", -1),
                                       a.integer("bytes", -1), &slice);
  if (!err.empty()) return fail(err);

  SessionOptions opt;
  if (!parse_precision(a, &opt)) return 1;
  opt.batch = static_cast<uint32_t>(a.integer("batch", 16));
  err = parse_kv_options(a, &opt.kv);
  if (err.empty()) err = parse_rolling(a, &opt);
  if (!err.empty()) return fail(err);
  const long long ctx = a.integer("ctx", model.config().max_seq_len);
  if (ctx < 2 || ctx > model.config().max_seq_len)
    return fail("--ctx must be in [2, " + std::to_string(model.config().max_seq_len) + "]");
  opt.context = static_cast<uint32_t>(ctx);

  host::PerplexityResult r;
  err = host::perplexity(model, opt, slice, &r);
  if (!err.empty()) return fail(err);
  if (opt.rolling)
    std::printf("tokens evaluated: %zu\none stream, context %lld, rolling window %u\n", r.tokens, ctx,
                r.window);
  else
    std::printf("tokens evaluated: %zu\nwindows: %zu of %lld tokens\n", r.tokens, r.windows,
                ctx - r.prefix);
  std::printf("mean NLL: %.6f\nperplexity: %.4f\n", r.mean_nll, std::exp(r.mean_nll));
  std::printf("kv: %s, %zu bytes/token\n", describe_kv(opt.kv).c_str(),
              kv_bytes_per_token(model.config().n_layers, model.config().kv_dim, opt.kv));
  if (r.prefix)
    std::printf("cushion: %u tokens at positions 0..%u of every window\n", r.prefix, r.prefix - 1);
  else if (model.cushion_length())
    std::printf("cushion: not used (--no-cushion, or no room in the sink table or context)\n");
  std::fprintf(stderr, "%.1f tok/s (%s kernels)\n", r.tokens / (r.seconds + 1e-12),
               SINKQ_KERNEL_FAMILY_NAME);
  return 0;
}

}  // namespace cli
}  // namespace sinkq
