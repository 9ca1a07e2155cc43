// The converter's readers refuse every malformed llama2.c file with a message
// that says what is wrong. Offsets come from the layout in
// ../shared/models/SOURCES.md, not from the reader.
#include "host/llama2c.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "test_util.h"

namespace sinkq {
namespace {

std::vector<uint8_t> checkpoint() {
  std::vector<uint8_t> b;
  EXPECT_TRUE(host::read_file(test::model_path("stories260K.bin"), &b));
  return b;
}

std::vector<uint8_t> tokenizer() {
  std::vector<uint8_t> b;
  EXPECT_TRUE(host::read_file(test::model_path("tok512.bin"), &b));
  return b;
}

std::string read_checkpoint(const std::vector<uint8_t>& b) {
  host::Llama2cModel m;
  return host::read_llama2c_checkpoint(b, &m);
}

std::string read_tokenizer(const std::vector<uint8_t>& b, uint32_t n) {
  host::Llama2cVocab v;
  return host::read_llama2c_tokenizer(b, n, &v);
}

void put_float(std::vector<uint8_t>* b, size_t at, float v) { std::memcpy(b->data() + at, &v, 4); }

// stories260K: dim 64, 5 layers, vocab 512; wq of layer 2, element 17 sits
// after the header, the embedding and all rms_att weights.
constexpr size_t kWqLayer2Element17 = 28 + 4 * (512 * 64 + 5 * 64 + 2 * 64 * 64 + 17);

TEST(Llama2cCheckpoint, ReadsStories260K) {
  host::Llama2cModel m;
  ASSERT_EQ(host::read_llama2c_checkpoint(checkpoint(), &m), "");
  EXPECT_EQ(m.config.dim, 64u);
  EXPECT_EQ(m.tensors.size(), 1u + 9 * 5 + 1);  // embedding, 9 per layer, final norm
}

TEST(Llama2cCheckpoint, RefusesNaNNamingTheTensorAndElement) {
  std::vector<uint8_t> b = checkpoint();
  put_float(&b, kWqLayer2Element17, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(read_checkpoint(b),
            "checkpoint tensor wq of layer 2 holds NaN at element 17 (a sinkq model needs finite weights)");
}

TEST(Llama2cCheckpoint, RefusesInf) {
  std::vector<uint8_t> b = checkpoint();
  put_float(&b, 28, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(read_checkpoint(b),
            "checkpoint tensor token_embedding_table holds Inf at element 0 (a sinkq model needs finite weights)");
}

TEST(Llama2cCheckpoint, RefusesASizeThatDisagreesWithTheHeader) {
  std::vector<uint8_t> b = checkpoint();
  ASSERT_EQ(b.size(), 1056540u);
  b.resize(b.size() + 4);
  EXPECT_EQ(read_checkpoint(b), "checkpoint size 1056544 differs from the 1056540 bytes its header implies");
  b.resize(b.size() - 8);
  EXPECT_EQ(read_checkpoint(b), "checkpoint size 1056536 differs from the 1056540 bytes its header implies");
}

TEST(Llama2cCheckpoint, RefusesEmptyAndBadHeaders) {
  EXPECT_EQ(read_checkpoint({}), "checkpoint shorter than its 28-byte header");
  std::vector<uint8_t> b = checkpoint();
  b.resize(20);
  EXPECT_EQ(read_checkpoint(b), "checkpoint shorter than its 28-byte header");
  b = checkpoint();
  int32_t zero = 0, seven = 7;
  std::memcpy(b.data() + 8, &zero, 4);  // n_layers
  EXPECT_EQ(read_checkpoint(b), "checkpoint header has a non-positive dimension");
  b = checkpoint();
  std::memcpy(b.data() + 12, &seven, 4);  // n_heads: 64 is not divisible by 7
  EXPECT_EQ(read_checkpoint(b), "checkpoint header is inconsistent (dims, heads or sizes)");
}

TEST(Llama2cTokenizer, RefusesTheWrongNumberOfPieces) {
  EXPECT_EQ(read_tokenizer(tokenizer(), 512), "");
  EXPECT_EQ(read_tokenizer(tokenizer(), 513),
            "tokenizer has fewer pieces than the model's vocabulary (512 < 513)");
  EXPECT_EQ(read_tokenizer(tokenizer(), 511), "tokenizer has more pieces than the model's vocabulary");
}

TEST(Llama2cTokenizer, RefusesTruncatedAndMalformedPieces) {
  std::vector<uint8_t> b = tokenizer();
  b.pop_back();
  EXPECT_EQ(read_tokenizer(b, 512), "tokenizer truncated inside piece 511");
  EXPECT_EQ(read_tokenizer({}, 512), "tokenizer shorter than its header");
  // Piece 0 starts after the 4-byte max length: score, then length.
  b = tokenizer();
  int32_t len = 0;
  std::memcpy(b.data() + 8, &len, 4);
  EXPECT_EQ(read_tokenizer(b, 512), "tokenizer piece 0 has a bad length or score");
  b = tokenizer();
  put_float(&b, 4, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(read_tokenizer(b, 512), "tokenizer piece 0 has a bad length or score");
}

}  // namespace
}  // namespace sinkq
