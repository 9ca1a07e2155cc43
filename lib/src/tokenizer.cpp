#include "sinkq/tokenizer.h"

#include <stdint.h>
#include <string.h>

namespace sinkq {

namespace {

int compare2(const char* a, uint32_t na, const char* b, uint32_t nb, const char* s, uint32_t ns) {
  // Compares the concatenation a||b with s, byte-lexicographically.
  const uint32_t n = na + nb;
  const uint32_t m = n < ns ? n : ns;
  for (uint32_t i = 0; i < m; ++i) {
    const uint8_t x = static_cast<uint8_t>(i < na ? a[i] : b[i - na]);
    const uint8_t y = static_cast<uint8_t>(s[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return n < ns ? -1 : (n > ns ? 1 : 0);
}

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

// The 256 single bytes, so a decoded <0xXX> piece can point at static data.
struct ByteTable {
  char v[256];
};
constexpr ByteTable make_bytes() {
  ByteTable t{};
  for (int i = 0; i < 256; ++i) t.v[i] = static_cast<char>(i);
  return t;
}
constexpr ByteTable kBytes = make_bytes();

// The text of the byte-fallback piece of `byte`: "<0xXX>".
void byte_piece_name(uint8_t byte, char name[6]) {
  static const char kHex[] = "0123456789ABCDEF";
  name[0] = '<';
  name[1] = '0';
  name[2] = 'x';
  name[3] = kHex[byte >> 4];
  name[4] = kHex[byte & 15];
  name[5] = '>';
}

}  // namespace

Status Tokenizer::init(const Model& model) {
  *this = Tokenizer();
  const uint8_t* p;
  uint64_t size;
  if (!model.loaded() || !model.section(format::kSectionVocab, &p, &size)) {
    return Status::kNotInitialized;
  }
  // The section was validated by Model::load.
  format::VocabHeader h;
  memcpy(&h, p, sizeof h);
  n_ = h.n_pieces;
  max_len_ = h.max_piece_len;
  scores_ = reinterpret_cast<const float*>(p + h.scores_offset);
  offsets_ = reinterpret_cast<const uint32_t*>(p + h.offsets_offset);
  sorted_ = reinterpret_cast<const uint32_t*>(p + h.sorted_offset);
  bytes_ = reinterpret_cast<const char*>(p + h.bytes_offset);
  bos_ = model.config().bos_id;
  eos_ = model.config().eos_id;
  space_id_ = lookup(" ", 1);
  // The shortcut id = byte_base_ + byte holds only if all 256 byte pieces
  // are contiguous and in order; a vocabulary that merely starts and ends
  // the run right would otherwise encode bytes as unrelated pieces.
  const int32_t b0 = lookup("<0x00>", 6);
  bool contiguous = b0 >= 0 && static_cast<uint32_t>(b0) + 255 < n_;
  for (uint32_t b = 0; contiguous && b < 256; ++b) {
    char name[6];
    byte_piece_name(static_cast<uint8_t>(b), name);
    const Piece p = piece(b0 + static_cast<int32_t>(b));
    contiguous = p.size == 6 && memcmp(p.data, name, 6) == 0;
  }
  if (contiguous) byte_base_ = b0;
  return Status::kOk;
}

Piece Tokenizer::piece(int32_t id) const {
  if (id < 0 || static_cast<uint32_t>(id) >= n_) return Piece{"", 0};
  return Piece{bytes_ + offsets_[id], offsets_[id + 1] - offsets_[id]};
}

float Tokenizer::score(int32_t id) const {
  return (id < 0 || static_cast<uint32_t>(id) >= n_) ? 0.f : scores_[id];
}

int32_t Tokenizer::lookup_pair(const char* a, uint32_t na, const char* b, uint32_t nb) const {
  uint32_t lo = 0, hi = n_;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    const uint32_t id = sorted_[mid];
    const int c = compare2(a, na, b, nb, bytes_ + offsets_[id], offsets_[id + 1] - offsets_[id]);
    if (c == 0) return static_cast<int32_t>(id);
    if (c < 0) hi = mid; else lo = mid + 1;
  }
  return -1;
}

int32_t Tokenizer::lookup(const char* s, size_t len) const {
  if (len > max_len_) return -1;
  return lookup_pair(s, static_cast<uint32_t>(len), "", 0);
}

Status Tokenizer::encode(const char* text, size_t len, bool add_bos, bool add_eos,
                         int32_t* tokens, size_t capacity, size_t* n_tokens,
                         int32_t* scratch) const {
  if (n_ == 0) return Status::kNotInitialized;
  if ((text == nullptr && len > 0) || tokens == nullptr || n_tokens == nullptr)
    return Status::kInvalidArgument;
  // Worst case before merges: BOS, dummy prefix, one id per byte, EOS. A
  // length this close to SIZE_MAX cannot be a real buffer (on a 32-bit
  // target it would wrap the count below).
  if (len > SIZE_MAX - 3) return Status::kInvalidArgument;
  const size_t worst = len + 3;
  if (capacity < worst) {
    *n_tokens = worst;
    return Status::kBufferTooSmall;
  }
  size_t n = 0;
  if (add_bos) tokens[n++] = bos_;
  const size_t first = n;  // merges never touch BOS
  if (len > 0 && space_id_ >= 0) tokens[n++] = space_id_;

  // One id per UTF-8 code point (at most 4 bytes), byte fallback otherwise.
  size_t start = 0;
  while (start < len) {
    size_t end = start + 1;
    while (end < len && end - start < 4 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) ++end;
    const int32_t id = lookup(text + start, end - start);
    if (id >= 0) {
      tokens[n++] = id;
    } else {
      for (size_t i = start; i < end; ++i) {
        const uint8_t byte = static_cast<uint8_t>(text[i]);
        if (byte_base_ >= 0) {
          tokens[n++] = byte_base_ + byte;
        } else {
          char name[6];
          byte_piece_name(byte, name);
          const int32_t b = lookup(name, 6);
          tokens[n++] = b >= 0 ? b : 0;  // <unk> when the vocabulary has no byte pieces
        }
      }
    }
    start = end;
  }

  // Merge the adjacent pair whose concatenation is the highest-scoring piece
  // (leftmost on ties), until no pair merges: llama2.c's encoder.
  auto pair_id = [&](size_t i) {
    const Piece a = piece(tokens[i]), b = piece(tokens[i + 1]);
    return a.size + b.size > max_len_ ? -1 : lookup_pair(a.data, a.size, b.data, b.size);
  };
  if (scratch)
    for (size_t i = first; i + 1 < n; ++i) scratch[i] = pair_id(i);
  for (;;) {
    float best_score = -1e30f;
    int32_t best_id = -1;
    size_t best_idx = 0;
    for (size_t i = first; i + 1 < n; ++i) {
      const int32_t id = scratch ? scratch[i] : pair_id(i);
      if (id >= 0 && scores_[id] > best_score) {
        best_score = scores_[id];
        best_id = id;
        best_idx = i;
      }
    }
    if (best_id < 0) break;
    tokens[best_idx] = best_id;
    memmove(tokens + best_idx + 1, tokens + best_idx + 2, (n - best_idx - 2) * sizeof(int32_t));
    --n;
    if (scratch) {
      if (n >= best_idx + 3)
        memmove(scratch + best_idx + 1, scratch + best_idx + 2, (n - best_idx - 2) * sizeof(int32_t));
      if (best_idx > first) scratch[best_idx - 1] = pair_id(best_idx - 1);
      if (best_idx + 1 < n) scratch[best_idx] = pair_id(best_idx);
    }
  }
  if (add_eos) tokens[n++] = eos_;
  *n_tokens = n;
  return Status::kOk;
}

Status Tokenizer::decode(int32_t prev, int32_t token, Piece* out) const {
  if (out == nullptr) return Status::kInvalidArgument;
  *out = Piece{"", 0};
  if (token < 0 || static_cast<uint32_t>(token) >= n_) return Status::kTokenOutOfRange;
  Piece p = piece(token);
  // sentencepiece drops the leading space of the first piece after BOS.
  if (prev == bos_ && p.size > 0 && p.data[0] == ' ') {
    ++p.data;
    --p.size;
  }
  if (p.size == 6 && p.data[0] == '<' && p.data[1] == '0' && p.data[2] == 'x' && p.data[5] == '>') {
    const int hi = hex_value(p.data[3]), lo = hex_value(p.data[4]);
    if (hi >= 0 && lo >= 0) p = Piece{&kBytes.v[hi * 16 + lo], 1};
  }
  *out = p;
  return Status::kOk;
}

}  // namespace sinkq
