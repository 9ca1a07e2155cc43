// Writes the seed inputs of every fuzz target into OUT/seeds/<target>/ and an
// empty OUT/corpus/<target>/ for libFuzzer's own finds, so each run starts
// from the same seeds. Nothing here is committed: the seeds come from the
// converter, from synthetic models of tiny dimensions (which reach the forward
// pass in a few kilobytes), and from truncated and bit-flipped variants, with
// and without a recomputed checksum.
//
//   make_fuzz_corpus OUT
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "host/io.h"
#include "host/synthetic.h"
#include "sinkq/format.h"

using namespace sinkq;
namespace fs = std::filesystem;

namespace {

fs::path g_out;
int g_count = 0;

void put(const std::string& target, const std::string& name, const std::vector<uint8_t>& bytes) {
  const fs::path p = g_out / "seeds" / target / name;
  if (!host::write_file(p.string(), bytes)) {
    std::fprintf(stderr, "cannot write %s\n", p.c_str());
    std::exit(1);
  }
  ++g_count;
}

std::vector<uint8_t> text_bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

void refresh_checksum(std::vector<uint8_t>* b) {
  format::FileHeader h;
  std::memcpy(&h, b->data(), sizeof h);
  h.checksum = format::crc32(b->data() + sizeof h, b->size() - sizeof h);
  std::memcpy(b->data(), &h, sizeof h);
}

std::vector<uint8_t> with_prefix(std::vector<uint8_t> prefix, const std::vector<uint8_t>& b) {
  prefix.insert(prefix.end(), b.begin(), b.end());
  return prefix;
}

struct Shape {
  const char* name;
  ModelConfig config;
  bool int8, per_channel, act_quant;
};

std::vector<Shape> shapes() {
  using host::synthetic_config;
  return {
      {"tiny", synthetic_config(8, 16, 1, 2, 1, 32, 16, true), false, false, false},
      {"gqa-separate-cls", synthetic_config(16, 24, 2, 4, 2, 64, 32, false), false, false, false},
      {"byte-pieces", synthetic_config(8, 8, 1, 1, 1, 300, 8, true), false, false, false},
      {"minimal", synthetic_config(4, 4, 2, 2, 2, 3, 1, true), false, false, false},
      {"int8-tensor-actquant", synthetic_config(16, 24, 2, 4, 2, 64, 32, false), true, false, true},
      {"int8-channel", synthetic_config(8, 16, 1, 2, 1, 32, 16, true), true, true, false},
  };
}

void model_load_seeds() {
  std::mt19937 rng(2406);
  std::vector<uint8_t> tiny;
  for (const Shape& s : shapes()) {
    host::SyntheticOptions o;
    o.config = s.config;
    o.int8 = s.int8;
    o.per_channel = s.per_channel;
    o.act_quant = s.act_quant;
    const std::vector<uint8_t> b = host::synthetic_sqm(o);
    if (tiny.empty()) tiny = b;
    put("model_load", std::string("synthetic-") + s.name, b);
  }
  {
    // A well-formed cushion section, so mutations reach its validator.
    host::SyntheticOptions o;
    o.config = host::synthetic_config(16, 24, 2, 4, 2, 64, 32, false);
    o.cushion = 3;
    put("model_load", "synthetic-cushion", host::synthetic_sqm(o));
  }
  put("model_load", "stories260K", fuzz::stories260k_sqm());
  for (size_t len : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{100}, size_t{200}, tiny.size() / 2,
                     tiny.size() - 1})
    put("model_load", "truncated-" + std::to_string(len),
        std::vector<uint8_t>(tiny.begin(), tiny.begin() + static_cast<long>(len)));
  // Flips in the header, section table, config and tensor table: with a
  // recomputed checksum they reach the structural checks of a strict load.
  const size_t meta = std::min<size_t>(tiny.size(), 1024);
  for (int i = 0; i < 24; ++i) {
    std::vector<uint8_t> b = tiny;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) b[rng() % meta] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const bool fix = i % 4 != 0;
    if (fix) refresh_checksum(&b);
    put("model_load", "flipped-" + std::to_string(i) + (fix ? "-crc" : ""), b);
  }
}

void tokenizer_seeds(const std::string& shared) {
  std::string text;
  host::read_text(shared + "/data/tinystories-valid-30k.txt", &text);
  std::istringstream in(text.substr(0, text.size() / 2));  // the calibration half
  std::string line;
  for (int i = 0; i < 6 && std::getline(in, line);)
    if (!line.empty()) put("tokenizer", "story-" + std::to_string(i++), text_bytes(line));
  const char* samples[] = {" ", "Once upon a time", "caf\xC3\xA9 \xF0\x9F\x98\x80 na\xC3\xAFve",
                           "\xE2\x82", "\x80\x80\xBF\xC0\xFF", "<0x41><s></s><unk>",
                           "  two  spaces\n\tand a tab", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
  int i = 0;
  for (const char* s : samples) put("tokenizer", "sample-" + std::to_string(i++), text_bytes(s));
  std::vector<uint8_t> all(256);
  for (int b = 0; b < 256; ++b) all[b] = static_cast<uint8_t>(b);
  put("tokenizer", "all-bytes", all);
}

void llama2c_seeds(const std::string& shared) {
  for (const Shape& s : shapes()) {
    if (s.int8) continue;
    host::SyntheticOptions o;
    o.config = s.config;
    const std::vector<uint8_t> ck = host::llama2c_checkpoint_bytes(host::synthetic_weights(o));
    put("llama2c", std::string("checkpoint-") + s.name, with_prefix({0}, ck));
    // Converted with int8 weights: per tensor, per channel, per channel alone.
    for (uint8_t mode : {2, 6, 14})
      put("llama2c", std::string("checkpoint-int8-") + std::to_string(mode) + "-" + s.name, with_prefix({mode}, ck));
    put("llama2c", std::string("checkpoint-truncated-") + s.name,
        with_prefix({0}, std::vector<uint8_t>(ck.begin(), ck.end() - 4)));
    const uint32_t n = s.config.vocab_size - 1;
    put("llama2c", std::string("tokenizer-") + s.name,
        with_prefix({1, static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8)},
                    host::llama2c_tokenizer_bytes(host::synthetic_vocab(s.config.vocab_size))));
  }
  std::vector<uint8_t> tok512;
  if (host::read_file(shared + "/models/tok512.bin", &tok512))
    put("llama2c", "tokenizer-tok512", with_prefix({1, 511 & 255, 511 >> 8}, tok512));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_corpus OUT\n");
    return 2;
  }
  g_out = argv[1];
  const char* env = std::getenv("SINKQ_SHARED_DIR");
  const std::string shared = env && *env ? env : SINKQ_FUZZ_SHARED_DIR;
  for (const char* t : {"model_load", "tokenizer", "llama2c"}) {
    for (const char* d : {"seeds", "corpus"}) {
      fs::remove_all(g_out / d / t);
      fs::create_directories(g_out / d / t);
    }
  }
  fs::create_directories(g_out / "artifacts");
  model_load_seeds();
  tokenizer_seeds(shared);
  llama2c_seeds(shared);
  std::printf("wrote %d seed inputs under %s/seeds\n", g_count, g_out.c_str());
  return 0;
}
