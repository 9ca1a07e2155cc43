// The converter's readers on arbitrary bytes. The first byte picks the file:
//   even: a llama2.c checkpoint; if it parses, it is converted (with an
//         invented vocabulary and, by bits 1-3, int8 weights per tensor or
//         per channel, with or without fp32) and loaded, as `sinkq convert`
//         does;
//   odd:  a llama2.c tokenizer for 1 + (byte1 | byte2 << 8) % 4096 pieces; if it
//         parses, it becomes the vocabulary of a tiny model that is loaded and
//         run, so the tokenizer meets arbitrary pieces and scores.
#include <cstring>
#include <vector>

#include "fuzz_common.h"
#include "host/io.h"
#include "host/llama2c.h"
#include "host/quantize.h"
#include "host/synthetic.h"

using namespace sinkq;

namespace {

void load_and_run(const std::vector<uint8_t>& sqm) {
  host::AlignedBuffer buf(sqm);
  Model m;
  const Status st = Model::load(buf.data(), buf.size(), &m);
  fuzz::check_known(st);
  if (st == Status::kOk) fuzz::exercise_model(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  if ((data[0] & 1) == 0) {
    const std::vector<uint8_t> file(data + 1, data + size);
    host::Llama2cModel m;
    if (!host::read_llama2c_checkpoint(file, &m).empty()) return 0;
    uint64_t bytes = 0;
    for (const host::Tensor& t : m.tensors) bytes += t.data.size();
    fuzz::check(bytes <= file.size(), "checkpoint tensors larger than the file");
    if (data[0] & 2)
      host::add_int8_weights(&m.tensors, data[0] & 4 ? host::Granularity::kChannel : host::Granularity::kTensor,
                             (data[0] & 8) != 0);
    load_and_run(host::build_sqm(m, host::synthetic_vocab(m.config.vocab_size)));
  } else {
    const uint32_t n = 1 + (data[1] | uint32_t{data[2]} << 8) % 4096;
    const std::vector<uint8_t> file(data + 3, data + size);
    host::Llama2cVocab v;
    if (!host::read_llama2c_tokenizer(file, n, &v).empty()) return 0;
    fuzz::check(v.pieces.size() == n && v.scores.size() == n, "tokenizer piece count");
    host::SyntheticOptions o;
    o.config = host::synthetic_config(8, 16, 1, 2, 1, n, 16, true);
    load_and_run(host::build_sqm(host::synthetic_weights(o), v));
  }
  return 0;
}
