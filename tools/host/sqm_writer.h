// Host-side writing of .sqm files: a file is a list of sections, each a blob.
// Tools build new files (convert) or read one, replace a section and write it
// back (calibrate, cushion). Uses the hosted standard library.
#ifndef SINKQ_TOOLS_SQM_WRITER_H_
#define SINKQ_TOOLS_SQM_WRITER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sinkq/format.h"
#include "sinkq/model.h"

namespace sinkq {
namespace host {

struct Section {
  uint32_t kind = 0;
  uint32_t version = 1;
  std::vector<uint8_t> bytes;
};

struct Tensor {
  uint32_t kind = 0;
  uint32_t layer = format::kNoLayer;
  uint32_t dtype = format::kF32;
  std::vector<uint32_t> shape;
  std::vector<uint8_t> data;
  float scale = 0.f;                 // per-tensor int8 scale
  int32_t scale_tensor = -1;         // index into the tensor list, per-channel int8
};

// Lays out sections on 64-byte boundaries, fills the header and checksum.
std::vector<uint8_t> write_sqm(const std::vector<Section>& sections);
// Splits a file into its sections (no validation beyond bounds; load it with
// Model::load first).
std::vector<Section> read_sections(const uint8_t* bytes, size_t size);
// Replaces the section of the same kind, or appends it.
void put_section(std::vector<Section>* sections, Section s);
void drop_section(std::vector<Section>* sections, uint32_t kind);

Section config_section(const ModelConfig& c);
// Tensor table + tensor data sections from a tensor list (offsets assigned here).
void tensor_sections(const std::vector<Tensor>& tensors, Section* table, Section* data);
// Reads the tensor list back from a loaded model (for rewriting tensors).
std::vector<Tensor> tensors_of(const Model& m);
Section vocab_section(const std::vector<std::string>& pieces, const std::vector<float>& scores);

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_SQM_WRITER_H_
