// The synthetic models and the llama2.c writers that fuzzing seeds and tests
// build on: every variant loads and runs, and the writers produce files the
// converter reads back unchanged.
#include "host/synthetic.h"

#include <gtest/gtest.h>

#include "sinkq/tokenizer.h"
#include "test_util.h"

namespace sinkq {
namespace {

TEST(Synthetic, EveryVariantLoadsAndRuns) {
  for (int variant = 0; variant < 4; ++variant) {
    host::SyntheticOptions o;
    o.config = host::synthetic_config(16, 24, 2, 4, 2, 300, 8, variant % 2 == 0);
    o.int8 = variant >= 2;
    o.per_channel = variant == 3;
    o.act_quant = variant == 2;
    test::LoadedModel lm;
    test::load_copy(host::synthetic_sqm(o), &lm);
    ASSERT_EQ(lm.status, Status::kOk) << variant;
    test::OwnedSession s;
    test::start_session(lm.model, SessionOptions(), &s);
    ASSERT_EQ(s.status, Status::kOk);
    const int32_t ids[] = {1, 100, 299};
    EXPECT_EQ(s.session.prefill(ids, 3), Status::kOk) << variant;
    const uint8_t* p;
    uint64_t size;
    EXPECT_EQ(lm.model.section(format::kSectionActQuant, &p, &size), variant == 2);
  }
}

TEST(Synthetic, VocabularyHasBytePiecesAndMergeableStrings) {
  const host::Llama2cVocab v = host::synthetic_vocab(400);
  ASSERT_EQ(v.pieces.size(), 400u);
  EXPECT_EQ(v.pieces[1], "<s>");
  EXPECT_EQ(v.pieces[3], "<0x00>");
  EXPECT_EQ(v.pieces[258], "<0xFF>");
  EXPECT_EQ(v.pieces[259], " ");
  EXPECT_EQ(host::synthetic_vocab(3).pieces.size(), 3u);
  EXPECT_EQ(host::synthetic_vocab(40).pieces[3], " ");  // no byte pieces below 259
}

TEST(Synthetic, Llama2cWritersRoundTripThroughTheReaders) {
  for (bool shared : {true, false}) {
    host::SyntheticOptions o;
    o.config = host::synthetic_config(8, 12, 2, 2, 1, 40, 6, shared);
    const host::Llama2cModel m = host::synthetic_weights(o);
    host::Llama2cModel back;
    ASSERT_EQ(host::read_llama2c_checkpoint(host::llama2c_checkpoint_bytes(m), &back), "");
    EXPECT_EQ(back.config.shared_classifier, shared);
    ASSERT_EQ(back.tensors.size(), m.tensors.size());
    for (const host::Tensor& t : m.tensors) {
      bool found = false;
      for (const host::Tensor& u : back.tensors)
        found |= u.kind == t.kind && u.layer == t.layer && u.data == t.data && u.shape == t.shape;
      EXPECT_TRUE(found) << "kind " << t.kind << " layer " << t.layer;
    }
  }
  const host::Llama2cVocab v = host::synthetic_vocab(300);
  host::Llama2cVocab vb;
  ASSERT_EQ(host::read_llama2c_tokenizer(host::llama2c_tokenizer_bytes(v), 300, &vb), "");
  EXPECT_EQ(vb.pieces, v.pieces);
  EXPECT_EQ(vb.scores, v.scores);
}

}  // namespace
}  // namespace sinkq
