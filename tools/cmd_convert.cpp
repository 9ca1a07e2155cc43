#include "cli.h"
#include "host/io.h"
#include "host/llama2c.h"
#include "host/quantize.h"
#include "host/sqm_writer.h"

#include <cstdio>

namespace sinkq {
namespace cli {

int cmd_convert(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"checkpoint", "tokenizer", "out", "weights", "granularity", "sections-from"}))
    return fail(a.error());
  // fp32: the reference only; int8: int8 matrices only (smallest, for flash);
  // both: one file serving every --quant mode.
  const std::string weights = a.str("weights", "both");
  if (weights != "fp32" && weights != "int8" && weights != "both")
    return fail("--weights must be fp32, int8 or both");
  host::Granularity gran;
  if (!host::parse_granularity(a.str("granularity", "tensor"), &gran))
    return fail("--granularity must be tensor or channel");
  const std::string ckpt = a.str("checkpoint"), tok = a.str("tokenizer"), out = a.str("out");
  if (ckpt.empty() || tok.empty() || out.empty())
    return fail("convert needs --checkpoint, --tokenizer and --out");
  std::vector<uint8_t> cb, tb;
  if (!host::read_file(ckpt, &cb)) return fail("cannot read checkpoint '" + ckpt + "'");
  if (!host::read_file(tok, &tb)) return fail("cannot read tokenizer '" + tok + "'");
  host::Llama2cModel m;
  std::string err = host::read_llama2c_checkpoint(cb, &m);
  if (!err.empty()) return fail(ckpt + ": " + err);
  host::Llama2cVocab v;
  err = host::read_llama2c_tokenizer(tb, m.config.vocab_size, &v);
  if (!err.empty()) return fail(tok + ": " + err);
  if (weights != "fp32") host::add_int8_weights(&m.tensors, gran, weights == "int8");
  std::vector<uint8_t> bytes = host::build_sqm(m, v);
  // Fitted sections (activation scales, cushion, sink predictor) from a file
  // of the same checkpoint: calibration needs the fp32 weights, which an
  // int8-only file for flash leaves out.
  const std::string from = a.str("sections-from", "");
  if (!from.empty()) {
    port::MappedFile file;
    Model src;
    if (!open_model(from, &file, &src)) return 1;
    if (src.config().dim != m.config.dim || src.config().n_layers != m.config.n_layers ||
        src.config().vocab_size != m.config.vocab_size)
      return fail("'" + from + "' is a model of another shape");
    std::vector<host::Section> sections = host::read_sections(bytes.data(), bytes.size());
    for (const host::Section& s : host::read_sections(src.base(), src.size()))
      if (s.kind == format::kSectionActQuant || s.kind == format::kSectionCushion ||
          s.kind == format::kSectionSinkPredictor)
        host::put_section(&sections, s);
    bytes = host::write_sqm(sections);
  }
  // Prove the result loads before writing it.
  host::AlignedBuffer buf(bytes);
  Model check;
  Status st = Model::load(buf.data(), buf.size(), &check);
  if (st != Status::kOk) return fail(std::string("converted model does not load: ") + status_message(st));
  if (!host::write_file(out, bytes)) return fail("cannot write '" + out + "'");
  const ModelConfig& c = m.config;
  std::printf("wrote %s: %zu bytes, dim %u, hidden %u, layers %u, heads %u/%u, vocab %u, seq %u, %s classifier, weights %s\n",
              out.c_str(), bytes.size(), c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
              c.vocab_size, c.max_seq_len, c.shared_classifier ? "shared" : "separate", weights.c_str());
  return 0;
}

}  // namespace cli
}  // namespace sinkq
