// The heap-free tokenizer against a straightforward std::string/std::map
// implementation of llama2.c's encoder written here.
#include "sinkq/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <sstream>

#include "host/synthetic.h"
#include "test_util.h"

namespace sinkq {
namespace {

// llama2.c's encode(), with std containers.
std::vector<int32_t> naive_encode(const host::Llama2cVocab& v, const std::string& text, bool bos,
                                  bool eos) {
  std::map<std::string, int32_t> id;
  for (size_t i = 0; i < v.pieces.size(); ++i) id.emplace(v.pieces[i], static_cast<int32_t>(i));
  std::vector<int32_t> t;
  if (bos) t.push_back(1);
  const size_t first = t.size();
  if (!text.empty()) t.push_back(id.at(" "));
  for (size_t i = 0; i < text.size();) {
    size_t j = i + 1;
    while (j < text.size() && j - i < 4 && (static_cast<uint8_t>(text[j]) & 0xC0) == 0x80) ++j;
    auto it = id.find(text.substr(i, j - i));
    if (it != id.end()) {
      t.push_back(it->second);
    } else {
      for (size_t k = i; k < j; ++k) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", static_cast<uint8_t>(text[k]));
        t.push_back(id.at(name));
      }
    }
    i = j;
  }
  for (;;) {
    float best = -1e30f;
    long at = -1;
    int32_t best_id = -1;
    for (size_t i = first; i + 1 < t.size(); ++i) {
      auto it = id.find(v.pieces[t[i]] + v.pieces[t[i + 1]]);
      if (it != id.end() && v.scores[it->second] > best) {
        best = v.scores[it->second];
        best_id = it->second;
        at = static_cast<long>(i);
      }
    }
    if (at < 0) break;
    t[at] = best_id;
    t.erase(t.begin() + at + 1);
  }
  if (eos) t.push_back(2);
  return t;
}

struct Fixture {
  test::LoadedModel lm;
  Tokenizer tok;
  Fixture() {
    test::load_copy(test::stories260k_sqm(), &lm);
    EXPECT_EQ(lm.status, Status::kOk);
    EXPECT_EQ(tok.init(lm.model), Status::kOk);
  }
  std::vector<int32_t> encode(const std::string& s, bool bos, bool eos, bool use_scratch = true) {
    std::vector<int32_t> ids(s.size() + 3), scratch(s.size() + 3);
    size_t n = 0;
    EXPECT_EQ(tok.encode(s.data(), s.size(), bos, eos, ids.data(), ids.size(), &n,
                         use_scratch ? scratch.data() : nullptr),
              Status::kOk);
    ids.resize(n);
    return ids;
  }
  std::string decode(const std::vector<int32_t>& ids) {
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) {
      Piece p;
      EXPECT_EQ(tok.decode(i ? ids[i - 1] : 1, ids[i], &p), Status::kOk);
      out.append(p.data, p.size);
    }
    return out;
  }
};

TEST(Tokenizer, MatchesTheReferenceEncoderOnStoryLines) {
  Fixture f;
  std::istringstream in(test::tinystories_text());
  std::string line;
  int lines = 0;
  while (std::getline(in, line) && lines < 8) {
    EXPECT_EQ(f.encode(line, true, false), naive_encode(test::stories260k_vocab(), line, true, false))
        << line;
    ++lines;
  }
  EXPECT_EQ(lines, 8);
}

TEST(Tokenizer, ScratchAndNoScratchPathsAgree) {
  Fixture f;
  const std::string s = test::tinystories_text().substr(0, 3000);
  EXPECT_EQ(f.encode(s, true, true, true), f.encode(s, true, true, false));
}

TEST(Tokenizer, RoundTripsTextThroughDecode) {
  Fixture f;
  const std::string s = test::tinystories_text().substr(0, 5000);
  std::vector<int32_t> ids = f.encode(s, true, false);
  ASSERT_EQ(ids[0], 1);
  ids.erase(ids.begin());  // decode after BOS drops the dummy-prefix space
  EXPECT_EQ(f.decode(ids), s);
}

TEST(Tokenizer, FallsBackToBytesForUnknownCharacters) {
  Fixture f;
  const std::string s = "caf\xC3\xA9 \xF0\x9F\x98\x80 \xFF";  // é, an emoji, an invalid byte
  const std::vector<int32_t> ids = f.encode(s, false, false);
  EXPECT_EQ(ids, naive_encode(test::stories260k_vocab(), s, false, false));
  std::string back;
  for (size_t i = 0; i < ids.size(); ++i) {
    Piece p;
    ASSERT_EQ(f.tok.decode(i ? ids[i - 1] : 0, ids[i], &p), Status::kOk);
    back.append(p.data, p.size);
  }
  EXPECT_EQ(back, " " + s);
}

TEST(Tokenizer, RandomBytesMatchTheReferenceAndRoundTrip) {
  Fixture f;
  std::mt19937 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    std::string s(1 + rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 2 ? 'a' + rng() % 26 : rng() % 256);
    const std::vector<int32_t> ids = f.encode(s, false, false);
    ASSERT_EQ(ids, naive_encode(test::stories260k_vocab(), s, false, false));
    std::string back;
    for (size_t i = 0; i < ids.size(); ++i) {
      Piece p;
      ASSERT_EQ(f.tok.decode(i ? ids[i - 1] : 0, ids[i], &p), Status::kOk);
      back.append(p.data, p.size);
    }
    EXPECT_EQ(back, " " + s);
  }
}

TEST(Tokenizer, AddsBosAndEosOnRequest) {
  Fixture f;
  EXPECT_EQ(f.encode("", true, true), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(f.encode("", false, false), std::vector<int32_t>{});
  const std::vector<int32_t> ids = f.encode("Hi", true, true);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
}

TEST(Tokenizer, ReportsTooSmallOutputBuffer) {
  Fixture f;
  int32_t ids[4];
  size_t n = 0;
  EXPECT_EQ(f.tok.encode("Once upon", 9, true, false, ids, 4, &n), Status::kBufferTooSmall);
  EXPECT_EQ(n, 12u);
}

TEST(Tokenizer, DecodeRejectsOutOfRangeIds) {
  Fixture f;
  Piece p;
  EXPECT_EQ(f.tok.decode(1, 512, &p), Status::kTokenOutOfRange);
  EXPECT_EQ(f.tok.decode(1, -3, &p), Status::kTokenOutOfRange);
  EXPECT_EQ(p.size, 0u);
}

TEST(Tokenizer, UninitializedOrUnloadedIsAnError) {
  Tokenizer tok;
  int32_t ids[8];
  size_t n = 0;
  EXPECT_EQ(tok.encode("a", 1, true, false, ids, 8, &n), Status::kNotInitialized);
  Model unloaded;
  EXPECT_EQ(tok.init(unloaded), Status::kNotInitialized);
  Piece p;
  EXPECT_EQ(tok.decode(1, 0, &p), Status::kTokenOutOfRange);
}

TEST(Tokenizer, RejectsNullArgumentsAndImpossibleLengths) {
  Fixture f;
  int32_t ids[8];
  size_t n = 0;
  EXPECT_EQ(f.tok.encode(nullptr, 3, true, false, ids, 8, &n), Status::kInvalidArgument);
  EXPECT_EQ(f.tok.encode("abc", 3, true, false, nullptr, 8, &n), Status::kInvalidArgument);
  EXPECT_EQ(f.tok.encode("abc", 3, true, false, ids, 8, nullptr), Status::kInvalidArgument);
  EXPECT_EQ(f.tok.decode(1, 5, nullptr), Status::kInvalidArgument);
  // len + 3 would wrap around to 2, which the buffer "holds".
  EXPECT_EQ(f.tok.encode("abc", SIZE_MAX, true, false, ids, 8, &n), Status::kInvalidArgument);
  EXPECT_EQ(f.tok.encode("abc", SIZE_MAX - 2, true, false, ids, 8, &n), Status::kInvalidArgument);
}

// Byte pieces whose first and last sit 255 apart but are not one run in
// between must not be addressed as byte_base + byte.
TEST(Tokenizer, FindsBytePiecesThatAreNotOneContiguousRun) {
  host::Llama2cVocab v = host::synthetic_vocab(300);  // <0x00> is id 3, <0xFF> id 258
  const int32_t moved = 290;
  std::swap(v.pieces[3 + 0x41], v.pieces[moved]);
  std::swap(v.scores[3 + 0x41], v.scores[moved]);
  ASSERT_EQ(v.pieces[moved], "<0x41>");
  host::SyntheticOptions o;
  o.config = host::synthetic_config(8, 16, 1, 2, 1, 300, 16, true);
  test::LoadedModel lm;
  test::load_copy(host::build_sqm(host::synthetic_weights(o), v), &lm);
  ASSERT_EQ(lm.status, Status::kOk);
  Tokenizer tok;
  ASSERT_EQ(tok.init(lm.model), Status::kOk);
  int32_t ids[8];
  size_t n = 0;
  ASSERT_EQ(tok.encode("A", 1, false, false, ids, 8, &n), Status::kOk);  // 'A' is no piece
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(ids[0], tok.lookup(" ", 1));
  EXPECT_EQ(ids[1], moved);
}

TEST(Tokenizer, LooksUpEveryPieceOfTheVocabulary) {
  Fixture f;
  const host::Llama2cVocab& v = test::stories260k_vocab();
  for (size_t i = 0; i < v.pieces.size(); ++i)
    EXPECT_EQ(f.tok.lookup(v.pieces[i].data(), v.pieces[i].size()), static_cast<int32_t>(i));
  EXPECT_EQ(f.tok.lookup("no such piece", 13), -1);
}

}  // namespace
}  // namespace sinkq
