#include <cstdio>
#include <vector>

#include "cli.h"
#include "host/io.h"
#include "kv_args.h"
#include "sinkq/sampler.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace cli {

int cmd_generate(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, with_rolling_keys(with_kv_keys(
                                 {"model", "prompt", "steps", "temp", "seed", "context", "quant", "classifier"}))))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  SessionOptions opt;
  opt.context = static_cast<uint32_t>(a.integer("context", 0));
  if (!parse_precision(a, &opt)) return 1;
  std::string err = parse_kv_options(a, &opt.kv);
  if (err.empty()) err = parse_rolling(a, &opt);
  if (!err.empty()) return fail(err);
  const long long steps = a.integer("steps", 256);
  const double temp = a.real("temp", 0.0);
  const long long seed = a.integer("seed", 42);
  if (steps < 0 || temp < 0) return fail("--steps and --temp must be >= 0");

  Tokenizer tok;
  Status st = tok.init(model);
  if (st != Status::kOk) return fail(status_message(st));
  const std::string prompt = a.str("prompt", "");
  std::vector<int32_t> ids(prompt.size() + 3), scratch(prompt.size() + 3);
  size_t n = 0;
  st = tok.encode(prompt.data(), prompt.size(), true, false, ids.data(), ids.size(), &n, scratch.data());
  if (st != Status::kOk) return fail(std::string("cannot encode prompt: ") + status_message(st));

  size_t need = 0;
  st = Session::required_bytes(model, opt, &need);
  if (st != Status::kOk) return fail(std::string("bad session options: ") + status_message(st));
  host::AlignedBuffer arena(need);
  Session s;
  st = s.init(model, opt, arena.data(), arena.size());
  if (st != Status::kOk) return fail(std::string("cannot start session: ") + status_message(st));

  if (!opt.rolling && n > s.context())
    return fail("the prompt has " + std::to_string(n) + " tokens (with BOS) but the context holds " +
                std::to_string(s.context()) + " (--context)");
  const uint64_t t0 = port::now_ns();
  st = s.prefill(ids.data(), n);
  if (st != Status::kOk) return fail(std::string("prefill: ") + status_message(st));
  const uint64_t t1 = port::now_ns();
  // Echo the prompt as the tokenizer sees it.
  for (size_t i = 1; i < n; ++i) {
    Piece p;
    tok.decode(ids[i - 1], ids[i], &p);
    std::fwrite(p.data, 1, p.size, stdout);
  }
  Sampler sampler(static_cast<float>(temp), static_cast<uint64_t>(seed));
  int32_t prev = ids[n - 1];
  long long generated = 0;
  for (; generated < steps; ++generated) {
    int32_t next = sampler.sample(s.logits(), model.config().vocab_size);
    if (next == tok.bos_id() || next == tok.eos_id()) {
      // The end of a story; a rolling session goes on with the next one.
      if (!opt.rolling) break;
      next = tok.bos_id();
      std::fwrite("\n\n", 1, 2, stdout);
    } else {
      Piece p;
      tok.decode(prev, next, &p);
      std::fwrite(p.data, 1, p.size, stdout);
    }
    std::fflush(stdout);
    prev = next;
    if (generated + 1 == steps) { ++generated; break; }
    st = s.decode(next);
    if (st == Status::kContextFull) {
      std::fprintf(stderr, "\nsinkq: context of %u tokens is full\n", s.context());
      ++generated;
      break;
    }
    if (st != Status::kOk) return fail(std::string("decode: ") + status_message(st));
  }
  const uint64_t t2 = port::now_ns();
  std::printf("\n");
  std::fprintf(stderr, "prompt %zu tokens, generated %lld tokens, prefill %.1f tok/s, decode %.1f tok/s (%s kernels)\n",
               n, generated, n / ((t1 - t0) * 1e-9 + 1e-12),
               generated / ((t2 - t1) * 1e-9 + 1e-12), SINKQ_KERNEL_FAMILY_NAME);
  if (opt.rolling)
    std::fprintf(stderr, "rolling: context %u, window %u, %u sink slots, %zu arena bytes, position %u\n",
                 s.context(), s.window(), opt.kv.sink_slots, need, s.position());
  return 0;
}

}  // namespace cli
}  // namespace sinkq
