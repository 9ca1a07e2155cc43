// Model::load validates every field before use; each corruption maps to its
// own status.
#include "sinkq/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "host/sqm_writer.h"
#include "host/synthetic.h"
#include "test_util.h"

namespace sinkq {
namespace {

using namespace format;
using test::LoadedModel;

Status load_bytes(const std::vector<uint8_t>& bytes) {
  LoadedModel m;
  test::load_copy(bytes, &m);
  return m.status;
}

FileHeader header_of(const std::vector<uint8_t>& b) {
  FileHeader h;
  std::memcpy(&h, b.data(), sizeof h);
  return h;
}

void refresh_checksum(std::vector<uint8_t>* b) {
  FileHeader h = header_of(*b);
  h.checksum = crc32(b->data() + sizeof h, b->size() - sizeof h);
  std::memcpy(b->data(), &h, sizeof h);
}

SectionEntry* section_entry(std::vector<uint8_t>* b, uint32_t kind) {
  const FileHeader h = header_of(*b);
  for (uint32_t i = 0; i < h.section_count; ++i) {
    auto* e = reinterpret_cast<SectionEntry*>(b->data() + sizeof(FileHeader) + i * sizeof(SectionEntry));
    if (e->kind == kind) return e;
  }
  return nullptr;
}

TensorEntry* tensor_entry(std::vector<uint8_t>* b, uint32_t index) {
  SectionEntry* s = section_entry(b, kSectionTensorTable);
  return reinterpret_cast<TensorEntry*>(b->data() + s->offset + sizeof(TensorTableHeader) +
                                        index * sizeof(TensorEntry));
}

uint32_t tensor_index(std::vector<uint8_t>* b, uint32_t kind, uint32_t layer) {
  for (uint32_t i = 0;; ++i) {
    const TensorEntry* e = tensor_entry(b, i);
    if (e->kind == kind && e->layer == layer) return i;
  }
}

const std::vector<uint8_t>& good() { return test::stories260k_sqm(); }

uint32_t* vocab_sort_index(std::vector<uint8_t>* b) {
  const SectionEntry* s = section_entry(b, kSectionVocab);
  VocabHeader h;
  std::memcpy(&h, b->data() + s->offset, sizeof h);
  return reinterpret_cast<uint32_t*>(b->data() + s->offset + h.sorted_offset);
}

TEST(ModelLoad, AcceptsTheConvertedCheckpoint) {
  LoadedModel m;
  test::load_copy(good(), &m);
  ASSERT_EQ(m.status, Status::kOk);
  const ModelConfig& c = m.model.config();
  EXPECT_EQ(c.dim, 64u);
  EXPECT_EQ(c.hidden_dim, 172u);
  EXPECT_EQ(c.n_layers, 5u);
  EXPECT_EQ(c.n_heads, 8u);
  EXPECT_EQ(c.n_kv_heads, 4u);
  EXPECT_EQ(c.vocab_size, 512u);
  EXPECT_EQ(c.max_seq_len, 512u);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(c.kv_dim, 32u);
  // Tensors point into the buffer, not into copies.
  const Matrix wq = m.model.matrix(kWq, 0, kF32);
  ASSERT_NE(wq.f32, nullptr);
  EXPECT_GE(reinterpret_cast<const uint8_t*>(wq.f32), m.buffer.data());
  EXPECT_LT(reinterpret_cast<const uint8_t*>(wq.f32), m.buffer.data() + m.buffer.size());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(wq.f32) % 64, 0u);
  // The first weight equals the checkpoint's (header 28 bytes, then embedding).
  const host::Llama2cModel& ck = test::stories260k_checkpoint();
  EXPECT_EQ(std::memcmp(m.model.embedding(kF32).f32, ck.tensors[0].data.data(), 64 * 4), 0);
}

TEST(ModelLoad, RejectsNullAndTinyBuffers) {
  Model m;
  EXPECT_EQ(Model::load(nullptr, 100, &m), Status::kInvalidArgument);
  alignas(64) uint8_t small[16] = {0};
  EXPECT_EQ(Model::load(small, sizeof small, &m), Status::kTruncated);
}

TEST(ModelLoad, RejectsEveryTruncation) {
  const std::vector<uint8_t>& g = good();
  for (size_t len : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{200}, g.size() / 2, g.size() - 1}) {
    std::vector<uint8_t> b(g.begin(), g.begin() + static_cast<long>(len));
    if (len == 0) {
      Model m;
      alignas(64) uint8_t one[64];
      EXPECT_EQ(Model::load(one, 0, &m), Status::kTruncated);
      continue;
    }
    EXPECT_EQ(load_bytes(b), Status::kTruncated) << "length " << len;
  }
}

TEST(ModelLoad, RejectsBadMagic) {
  std::vector<uint8_t> b = good();
  b[0] = 'X';
  EXPECT_EQ(load_bytes(b), Status::kBadMagic);
}

TEST(ModelLoad, RejectsOtherVersions) {
  std::vector<uint8_t> b = good();
  FileHeader h = header_of(b);
  h.version = 2;
  std::memcpy(b.data(), &h, sizeof h);
  EXPECT_EQ(load_bytes(b), Status::kUnsupportedVersion);
}

TEST(ModelLoad, RejectsSetReservedHeaderBits) {
  std::vector<uint8_t> b = good();
  FileHeader h = header_of(b);
  h.reserved[3] = 1;
  std::memcpy(b.data(), &h, sizeof h);
  EXPECT_EQ(load_bytes(b), Status::kBadHeader);
}

TEST(ModelLoad, RejectsTrailingBytes) {
  std::vector<uint8_t> b = good();
  b.push_back(0);
  EXPECT_EQ(load_bytes(b), Status::kSizeMismatch);
}

TEST(ModelLoad, RejectsChecksumMismatch) {
  std::vector<uint8_t> b = good();
  b[b.size() / 2] ^= 0x10;
  EXPECT_EQ(load_bytes(b), Status::kChecksumMismatch);
}

TEST(ModelLoad, ChecksumCanBeSkippedButStructureIsStillChecked) {
  std::vector<uint8_t> b = good();
  b[b.size() / 2] ^= 0x10;  // inside tensor data: structure intact
  host::AlignedBuffer buf(b);
  Model m;
  LoadOptions o;
  o.verify_checksum = false;
  EXPECT_EQ(Model::load(buf.data(), buf.size(), &m, o), Status::kOk);
}

TEST(ModelLoad, RejectsMisalignedBuffer) {
  const std::vector<uint8_t>& g = good();
  host::AlignedBuffer buf(g.size() + 8);
  std::memcpy(buf.data() + 4, g.data(), g.size());
  Model m;
  EXPECT_EQ(Model::load(buf.data() + 4, g.size(), &m), Status::kMisalignedBuffer);
}

TEST(ModelLoad, RejectsSectionOutsideTheFile) {
  std::vector<uint8_t> b = good();
  section_entry(&b, kSectionVocab)->size = b.size();
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kBadSectionTable);
}

TEST(ModelLoad, RejectsOverlappingSections) {
  std::vector<uint8_t> b = good();
  SectionEntry* v = section_entry(&b, kSectionVocab);
  v->offset = section_entry(&b, kSectionConfig)->offset;
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kBadSectionTable);
}

TEST(ModelLoad, RejectsMissingSection) {
  std::vector<uint8_t> b = good();
  section_entry(&b, kSectionVocab)->kind = 77;  // now an unknown kind
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kMissingSection);
}

TEST(ModelLoad, IgnoresUnknownSections) {
  LoadedModel m;
  test::load_copy(good(), &m);
  ASSERT_EQ(m.status, Status::kOk);
  std::vector<host::Section> s = host::read_sections(good().data(), good().size());
  host::Section extra;
  extra.kind = 1000;
  extra.bytes = {1, 2, 3};
  s.push_back(extra);
  EXPECT_EQ(load_bytes(host::write_sqm(s)), Status::kOk);
}

TEST(ModelLoad, RejectsInconsistentConfig) {
  std::vector<uint8_t> b = good();
  ConfigSection* c = reinterpret_cast<ConfigSection*>(b.data() + section_entry(&b, kSectionConfig)->offset);
  c->n_heads = 7;  // dim 64 is not divisible by 7
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kBadConfig);
}

TEST(ModelLoad, RejectsConfigThatDisagreesWithTensors) {
  std::vector<uint8_t> b = good();
  ConfigSection* c = reinterpret_cast<ConfigSection*>(b.data() + section_entry(&b, kSectionConfig)->offset);
  c->hidden_dim = 171;
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kTensorShapeMismatch);
}

// Each config field the tensors pin down, changed alone (CRC refreshed), is
// caught by the check that sees the disagreement first.
TEST(ModelLoad, RejectsEveryConfigFieldThatDisagreesWithTheTensors) {
  struct Case {
    const char* what;
    void (*edit)(ConfigSection*);
    Status expect;
  };
  const Case cases[] = {
      {"more layers than the file has", [](ConfigSection* c) { c->n_layers = 6; }, Status::kMissingTensor},
      {"fewer layers than the file has", [](ConfigSection* c) { c->n_layers = 4; }, Status::kBadTensorTable},
      {"other dim", [](ConfigSection* c) { c->dim = 128; }, Status::kTensorShapeMismatch},
      {"other hidden_dim", [](ConfigSection* c) { c->hidden_dim = 170; }, Status::kTensorShapeMismatch},
      {"other kv heads", [](ConfigSection* c) { c->n_kv_heads = 8; }, Status::kTensorShapeMismatch},
      {"other vocab size", [](ConfigSection* c) { c->vocab_size = 500; }, Status::kTensorShapeMismatch},
      {"separate classifier missing", [](ConfigSection* c) { c->shared_classifier = 0; },
       Status::kMissingTensor},
  };
  for (const Case& k : cases) {
    std::vector<uint8_t> b = good();
    k.edit(reinterpret_cast<ConfigSection*>(b.data() + section_entry(&b, kSectionConfig)->offset));
    refresh_checksum(&b);
    EXPECT_EQ(load_bytes(b), k.expect) << k.what;
  }
}

TEST(ModelLoad, RejectsTensorOutsideTheDataSection) {
  std::vector<uint8_t> b = good();
  tensor_entry(&b, 3)->offset = section_entry(&b, kSectionTensorData)->size;
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kTensorOutOfRange);
}

TEST(ModelLoad, RejectsHugeTensorOffsetWithoutOverflow) {
  std::vector<uint8_t> b = good();
  tensor_entry(&b, 3)->offset = ~uint64_t{63};
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kTensorOutOfRange);
}

TEST(ModelLoad, RejectsOverlappingTensors) {
  std::vector<uint8_t> b = good();
  const uint32_t a = tensor_index(&b, kWq, 0), c = tensor_index(&b, kWo, 0);
  tensor_entry(&b, c)->offset = tensor_entry(&b, a)->offset;
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kTensorOverlap);
}

TEST(ModelLoad, RejectsMisalignedTensor) {
  std::vector<uint8_t> b = good();
  tensor_entry(&b, 2)->offset += 4;
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kTensorMisaligned);
}

TEST(ModelLoad, RejectsTensorSizeThatDisagreesWithShape) {
  std::vector<uint8_t> b = good();
  tensor_entry(&b, 2)->size -= 4;
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kBadTensorTable);
}

TEST(ModelLoad, RejectsMissingTensor) {
  host::Llama2cModel m = test::stories260k_checkpoint();
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    if (m.tensors[i].kind == kW2 && m.tensors[i].layer == 3) {
      m.tensors.erase(m.tensors.begin() + static_cast<long>(i));
      break;
    }
  }
  EXPECT_EQ(load_bytes(host::build_sqm(m, test::stories260k_vocab())), Status::kMissingTensor);
}

TEST(ModelLoad, RejectsNonFiniteWeights) {
  host::Llama2cModel m = test::stories260k_checkpoint();
  const float nan = std::nanf("");
  std::memcpy(m.tensors[5].data.data() + 8, &nan, 4);
  EXPECT_EQ(load_bytes(host::build_sqm(m, test::stories260k_vocab())), Status::kNonFinite);
}

TEST(ModelLoad, RejectsInt8WeightsOutsideTheSymmetricRange) {
  host::Llama2cModel m = test::stories260k_checkpoint();
  host::Tensor q;
  q.kind = kWq;
  q.layer = 0;
  q.dtype = kI8;
  q.shape = {64, 64};
  q.data.assign(64 * 64, 5);
  q.scale = 0.01f;
  m.tensors.push_back(q);
  EXPECT_EQ(load_bytes(host::build_sqm(m, test::stories260k_vocab())), Status::kOk);
  m.tensors.back().data[100] = static_cast<uint8_t>(-128);
  EXPECT_EQ(load_bytes(host::build_sqm(m, test::stories260k_vocab())), Status::kBadWeights);
  m.tensors.back().data[100] = 0;
  m.tensors.back().scale = 0.f;
  EXPECT_EQ(load_bytes(host::build_sqm(m, test::stories260k_vocab())), Status::kBadWeights);
}

TEST(ModelLoad, RejectsUnsortedVocabularyIndex) {
  std::vector<uint8_t> b = good();
  uint32_t* sorted = vocab_sort_index(&b);
  std::swap(sorted[10], sorted[200]);
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kBadVocab);
}

// A sort index that repeats one id and drops another is still in order, but
// binary search could never find the dropped piece.
TEST(ModelLoad, RejectsVocabularyIndexThatIsNotAPermutation) {
  std::vector<uint8_t> b = good();
  uint32_t* sorted = vocab_sort_index(&b);
  sorted[101] = sorted[100];
  refresh_checksum(&b);
  EXPECT_EQ(load_bytes(b), Status::kBadVocab);
}

TEST(ModelLoad, AcceptsRepeatedPiecesIndexedInIdOrder) {
  host::Llama2cVocab v = test::stories260k_vocab();
  v.pieces[300] = v.pieces[299];
  EXPECT_EQ(load_bytes(host::build_sqm(test::stories260k_checkpoint(), v)), Status::kOk);
}

TEST(ModelLoad, AcceptsPerChannelInt8OnGlobalAndLayerMatrices) {
  host::SyntheticOptions o;
  o.config = host::synthetic_config(8, 16, 2, 2, 1, 32, 16, false);
  o.int8 = true;
  o.per_channel = true;
  LoadedModel m;
  test::load_copy(host::synthetic_sqm(o), &m);
  ASSERT_EQ(m.status, Status::kOk);
  EXPECT_NE(m.model.classifier(kI8).channel_scales, nullptr);
  EXPECT_NE(m.model.matrix(kW2, 1, kI8).channel_scales, nullptr);
}

TEST(ModelLoad, RejectsChannelScalesThatAreNotPositive) {
  host::SyntheticOptions o;
  o.config = host::synthetic_config(8, 16, 1, 2, 1, 32, 16, true);
  o.int8 = true;
  o.per_channel = true;
  for (float bad : {0.f, -0.5f}) {
    std::vector<uint8_t> b = host::synthetic_sqm(o);
    const uint32_t i = tensor_index(&b, kChannelScales, 0);
    const uint64_t at = section_entry(&b, kSectionTensorData)->offset + tensor_entry(&b, i)->offset;
    std::memcpy(b.data() + at + 4, &bad, 4);
    refresh_checksum(&b);
    EXPECT_EQ(load_bytes(b), Status::kBadWeights) << bad;
  }
}

TEST(ModelLoad, RejectsVocabularyOfTheWrongSize) {
  host::Llama2cVocab v = test::stories260k_vocab();
  v.pieces.pop_back();
  v.scores.pop_back();
  EXPECT_EQ(load_bytes(host::build_sqm(test::stories260k_checkpoint(), v)), Status::kBadVocab);
}

// Random corruption with a valid checksum must give an error or a model that
// is still structurally sound, never a crash (the sanitizer build runs this).
TEST(ModelLoad, SurvivesRandomCorruptionOfTheMetadata) {
  std::mt19937 rng(1234);
  const std::vector<uint8_t>& g = good();
  const size_t meta_end = 4096;  // header, section table, config, tensor table
  int rejected = 0;
  for (int iter = 0; iter < 800; ++iter) {
    std::vector<uint8_t> b = g;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % meta_end] ^= static_cast<uint8_t>(1u << (rng() % 8));
    refresh_checksum(&b);
    LoadedModel m;
    test::load_copy(b, &m);
    if (m.status != Status::kOk) {
      ++rejected;
      EXPECT_STRNE(status_message(m.status), "unknown status");
    }
  }
  EXPECT_GT(rejected, 400);
}

}  // namespace
}  // namespace sinkq
