// Prints a digest of every logit bit and every sampled token of a run, so two
// builds (kernel families, targets) can be compared for bit-exact agreement.
#include <cstdio>
#include <vector>

#include "cli.h"
#include "host/io.h"
#include "sinkq/format.h"
#include "sinkq/sampler.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace cli {

int cmd_digest(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"model", "prompt", "steps", "temp", "seed", "context", "quant", "classifier", "batch"}))
    return fail(a.error());
  port::MappedFile file;
  Model model;
  if (!open_model(a.str("model"), &file, &model)) return 1;
  SessionOptions opt;
  opt.context = static_cast<uint32_t>(a.integer("context", 0));
  opt.batch = static_cast<uint32_t>(a.integer("batch", 8));
  if (!parse_precision(a, &opt)) return 1;
  Tokenizer tok;
  tok.init(model);
  const std::string prompt = a.str("prompt", "Once upon a time");
  std::vector<int32_t> ids(prompt.size() + 3);
  size_t n = 0;
  Status st = tok.encode(prompt.data(), prompt.size(), true, false, ids.data(), ids.size(), &n);
  if (st != Status::kOk) return fail(status_message(st));
  size_t need = 0;
  st = Session::required_bytes(model, opt, &need);
  if (st != Status::kOk) return fail(std::string("session: ") + status_message(st));
  host::AlignedBuffer arena(need);
  Session s;
  st = s.init(model, opt, arena.data(), arena.size());
  if (st == Status::kOk) st = s.prefill(ids.data(), n);
  if (st != Status::kOk) return fail(std::string("prefill: ") + status_message(st));
  const uint32_t vocab = model.config().vocab_size;
  uint32_t crc = format::crc32(s.logits(), vocab * sizeof(float));
  Sampler sampler(static_cast<float>(a.real("temp", 0.0)), static_cast<uint64_t>(a.integer("seed", 42)));
  const long long steps = a.integer("steps", 64);
  std::printf("tokens:");
  for (long long i = 0; i < steps && s.position() < s.context(); ++i) {
    const int32_t next = sampler.sample(s.logits(), vocab);
    std::printf(" %d", next);
    st = s.decode(next);
    if (st != Status::kOk) return fail(std::string("decode: ") + status_message(st));
    crc = format::crc32(s.logits(), vocab * sizeof(float), crc);
  }
  std::printf("\nlogits crc32: %08x\n", crc);
  return 0;
}

}  // namespace cli
}  // namespace sinkq
