// The tokenizer of the real stories260K vocabulary on arbitrary bytes: both
// merge paths agree, every id is in range, decoding gives the text back, and
// arbitrary ids decode or are rejected by range.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "host/io.h"
#include "sinkq/tokenizer.h"

using namespace sinkq;

namespace {

struct Vocab {
  host::AlignedBuffer buf;
  Model model;
  Tokenizer tok;
};
Vocab* g_vocab = nullptr;

// The scratch-free merge loop does a vocabulary search per pair per merge,
// so the two paths are compared on a prefix of this many bytes.
constexpr size_t kPlainPathBytes = 48;

std::vector<int32_t> encode(const char* text, size_t len, bool bos, bool eos, bool scratch) {
  std::vector<int32_t> ids(len + 3), s(len + 3);
  size_t n = 0;
  fuzz::check(g_vocab->tok.encode(text, len, bos, eos, ids.data(), ids.size(), &n,
                                  scratch ? s.data() : nullptr) == Status::kOk,
              "encode failed with a large enough buffer");
  fuzz::check(n <= len + 3, "encode wrote past its worst case");
  ids.resize(n);
  return ids;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_vocab = new Vocab;
  g_vocab->buf = host::AlignedBuffer(fuzz::stories260k_sqm());
  fuzz::check(Model::load(g_vocab->buf.data(), g_vocab->buf.size(), &g_vocab->model) == Status::kOk,
              "stories260K does not load");
  fuzz::check(g_vocab->tok.init(g_vocab->model) == Status::kOk, "tokenizer init");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tokenizer& tok = g_vocab->tok;
  const char* text = reinterpret_cast<const char*>(data);
  const int32_t vocab = static_cast<int32_t>(tok.vocab_size());

  const std::vector<int32_t> ids = encode(text, size, false, false, true);
  const size_t prefix = size < kPlainPathBytes ? size : kPlainPathBytes;
  fuzz::check(encode(text, prefix, false, false, true) == encode(text, prefix, false, false, false),
              "scratch and plain merges differ");
  std::string back;
  for (size_t i = 0; i < ids.size(); ++i) {
    fuzz::check(ids[i] >= 0 && ids[i] < vocab, "encoded id out of range");
    Piece p;
    fuzz::check(tok.decode(i ? ids[i - 1] : 0, ids[i], &p) == Status::kOk, "decode of an encoded id");
    back.append(p.data, p.size);
  }
  fuzz::check(back == (size ? " " : "") + std::string(text, size), "decode(encode(text)) != text");

  const std::vector<int32_t> framed = encode(text, size, true, true, true);
  fuzz::check(framed.size() == ids.size() + 2 && framed.front() == tok.bos_id() &&
                  framed.back() == tok.eos_id(),
              "BOS/EOS framing");

  // One slot short of the worst case is refused, with the size it needs.
  std::vector<int32_t> small(size + 2);
  size_t need = 0;
  fuzz::check(tok.encode(text, size, true, true, small.data(), small.size(), &need) ==
                      Status::kBufferTooSmall &&
                  need == size + 3,
              "short buffer accepted");

  const int32_t hit = tok.lookup(text, size);
  if (hit >= 0) {
    const Piece p = tok.piece(hit);
    fuzz::check(p.size == size && std::memcmp(p.data, text, size) == 0, "lookup found another piece");
  }

  // The same bytes as token ids.
  for (size_t i = 0; i + 4 <= size; i += 4) {
    int32_t id;
    std::memcpy(&id, data + i, 4);
    Piece p;
    const Status st = tok.decode(tok.bos_id(), id, &p);
    fuzz::check((id >= 0 && id < vocab) ? st == Status::kOk : st == Status::kTokenOutOfRange,
                "decode status disagrees with the id range");
  }
  return 0;
}
